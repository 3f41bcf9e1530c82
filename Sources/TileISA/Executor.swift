import Support

/// Executes one instruction on the machine state: exactly the loop nest its operation documents.
///
/// Dependency flags are ignored (they order queues in time; the timing simulator honours them).
/// `finish` and `nop` do nothing. Every field is checked before anything is written, so an
/// instruction that throws leaves the state unchanged (except a failing host task, which may
/// have written DRAM).
///
/// - Throws: `ISAError` `.execution` for an instruction that cannot run (the same problems the
///   verifier reports), `.unsupported` for compute on a float32 machine, `.hostTask` when the
///   host executor fails.
public func execute(_ instruction: Instruction, on state: inout MachineState, host: some HostExecutor)
  throws(ISAError)
{
  let operation = instruction.operation
  let location = instruction.mnemonic
  let context = CheckContext(
    limits: state.limits, datapath: state.datapath, hostTaskCount: state.hostTasks.count, arenaBytes: state.arena.count)
  if let problem = operation.staticProblems(context).first {
    throw ISAError(.execution, location, problem)
  }
  switch operation {
  case .load(let d), .store(let d):
    let size = d.backing == .dram ? state.dram.count : state.arena.count
    guard let range = Checked.span(start: d.dramAddress.byteOffset, count: d.rows, stride: d.dramStrideBytes, length: d.rowBytes),
      range.upperBound <= size
    else {
      throw ISAError(.execution, location, "\(d.backing) range exceeds the \(d.backing) size \(hex(size))")
    }
    if case .load = operation { state.dmaLoad(d) } else { state.dmaStore(d) }
  case .loadWeights(let w):
    try requireInt8(state, location)
    try state.loadWeights(w, location)
  case .matmul(let m):
    try requireInt8(state, location)
    let slot = state.weightSlots[m.weightSlot.rawValue]
    if m.reductionSize > slot.rows || m.columns > slot.columns {
      throw ISAError(
        .execution, location,
        "uses \(m.reductionSize)×\(m.columns) weights but slot \(m.weightSlot) holds a \(slot.rows)×\(slot.columns) tile")
    }
    state.matmul(m)
  case .activate(let a):
    try requireInt8(state, location)
    try state.activate(a, location)
  case .vector(let v):
    try requireInt8(state, location)
    try state.vector(v, location)
  case .host(let index):
    let task = state.hostTasks[index.value]
    do {
      try host.run(task: task, index: index, dram: &state.dram)
    } catch let error as ISAError {
      throw error
    } catch {
      throw ISAError(.hostTask, "host task \(index.value) '\(task.name)'", "\(error)")
    }
  case .nop, .finish:
    break
  }
}

private func requireInt8(_ state: MachineState, _ location: String) throws(ISAError) {
  if state.datapath != .int8 {
    throw ISAError(.unsupported, location, "functional execution of a \(state.datapath) program is not supported")
  }
}

@inline(__always)
func clamp(_ value: Int, _ range: ClosedRange<Int8>) -> UInt8 {
  UInt8(bitPattern: Int8(truncatingIfNeeded: min(max(value, Int(range.lowerBound)), Int(range.upperBound))))
}

extension MachineState {
  mutating func dmaLoad(_ d: DMA2D) {
    switch d.backing {
    case .dram: dmaLoad(d, from: dram)
    case .arena: dmaLoad(d, from: arena)
    }
  }

  /// A load whose backing memory's bytes are `backing` (DRAM or the arena).
  private mutating func dmaLoad(_ d: DMA2D, from backing: [UInt8]) {
    let src = d.dramAddress.byteOffset
    let dst = d.sramAddress.byteOffset
    switch d.memory {
    case .unifiedBuffer:
      copyRows(d.rows, rowBytes: d.rowBytes, from: backing, src, stride: d.dramStrideBytes, to: &unifiedBuffer, dst, stride: d.sramStrideBytes)
    case .weightBuffer:
      copyRows(d.rows, rowBytes: d.rowBytes, from: backing, src, stride: d.dramStrideBytes, to: &weightBuffer, dst, stride: d.sramStrideBytes)
    case .accumulator:
      for r in 0..<d.rows {
        let rowSource = src + r * d.dramStrideBytes
        let rowDestination = dst + r * d.sramStrideBytes
        for w in 0..<d.rowBytes / 4 {
          let b = rowSource + 4 * w
          let word =
            UInt32(backing[b]) | UInt32(backing[b + 1]) << 8 | UInt32(backing[b + 2]) << 16 | UInt32(backing[b + 3]) << 24
          accumulator[rowDestination / 4 + w] = Int32(bitPattern: word)
        }
      }
    }
  }

  mutating func dmaStore(_ d: DMA2D) {
    switch d.backing {
    case .dram: Self.dmaStore(d, unifiedBuffer, weightBuffer, accumulator, to: &dram)
    case .arena: Self.dmaStore(d, unifiedBuffer, weightBuffer, accumulator, to: &arena)
    }
  }

  /// A store into `backing` (DRAM or the arena) from the on-chip memories.
  private static func dmaStore(
    _ d: DMA2D, _ unifiedBuffer: [UInt8], _ weightBuffer: [UInt8], _ accumulator: [Int32], to backing: inout [UInt8]
  ) {
    let src = d.sramAddress.byteOffset
    let dst = d.dramAddress.byteOffset
    switch d.memory {
    case .unifiedBuffer:
      copyRows(d.rows, rowBytes: d.rowBytes, from: unifiedBuffer, src, stride: d.sramStrideBytes, to: &backing, dst, stride: d.dramStrideBytes)
    case .weightBuffer:
      copyRows(d.rows, rowBytes: d.rowBytes, from: weightBuffer, src, stride: d.sramStrideBytes, to: &backing, dst, stride: d.dramStrideBytes)
    case .accumulator:
      for r in 0..<d.rows {
        let rowSource = src + r * d.sramStrideBytes
        let rowDestination = dst + r * d.dramStrideBytes
        for w in 0..<d.rowBytes / 4 {
          let word = UInt32(bitPattern: accumulator[rowSource / 4 + w])
          for b in 0..<4 { backing[rowDestination + 4 * w + b] = UInt8(truncatingIfNeeded: word >> (8 * UInt32(b))) }
        }
      }
    }
  }

  mutating func loadWeights(_ w: LoadWeights, _ location: String) throws(ISAError) {
    let rows = w.rows
    let columns = w.columns
    let bits = w.packing.bits
    let rowBytes = (columns * bits + 7) / 8
    var rowMajor = [Int16](repeating: 0, count: rows * columns)
    let first = w.wbAddress.byteOffset
    let last = first + (rows - 1) * w.rowStrideBytes
    precondition(
      rows == 0 || columns == 0 || (first >= 0 && last >= 0 && max(first, last) + rowBytes <= weightBuffer.count),
      "weight tile \(rows)×\(columns) at \(first) (stride \(w.rowStrideBytes)) outside the weight buffer")
    // Packed rows (int4, int2): value n is the `bits`-bit field at bit n·bits, sign-extended.
    let mask = (1 << bits) - 1
    let sign = 1 << (bits - 1)
    weightBuffer.withUnsafeBufferPointer { wb in
      rowMajor.withUnsafeMutableBufferPointer { byRow in
        guard let wb = wb.baseAddress, let byRow = byRow.baseAddress else { return }
        for k in 0..<rows {
          let source = wb + first + k * w.rowStrideBytes
          let row = byRow + k * columns
          if bits == 8 {
            for n in 0..<columns { row[n] = Int16(Int8(bitPattern: source[n])) }
            continue
          }
          for n in 0..<columns {
            let bit = n * bits
            let field = (Int(source[bit / 8]) >> (bit % 8)) & mask
            row[n] = Int16(field >= sign ? field - (1 << bits) : field)
          }
        }
      }
    }
    if let levels = w.levels {
      try applyLevels(levels, rows: rows, columns: columns, &rowMajor, location)
    }
    weightSlots[w.slot.rawValue] = WeightTile(rows: rows, columns: columns, rowMajor: rowMajor)
  }

  /// `ternary-grouped`: each unpacked code (−1, 0, +1; −2 is the reserved 0b10) times its
  /// block's level from the table (0…127).
  func applyLevels(
    _ levels: GroupLevels, rows: Int, columns: Int, _ rowMajor: inout [Int16], _ location: String
  ) throws(ISAError) {
    let base = levels.address.byteOffset
    let bytes = levels.tableBytes(rows: rows, columns: columns) ?? Int.max
    precondition(
      base >= 0 && bytes <= weightBuffer.count - base, "level table at \(base) (\(bytes) bytes) outside the weight buffer")
    for k in 0..<rows {
      let block = levels.block(ofRow: k)
      for n in 0..<columns {
        let code = rowMajor[k * columns + n]
        guard code != -2 else {
          throw ISAError(.execution, location, "weight (\(k), \(n)): code 0b10 is reserved in ternary-grouped tiles")
        }
        let level = Int16(weightBuffer[base + block * columns + n])
        guard level <= 127 else {
          throw ISAError(.execution, location, "weight (\(k), \(n)): level \(level) of block \(block) exceeds 127")
        }
        rowMajor[k * columns + n] = code * level
      }
    }
  }

  mutating func activate(_ a: Activate, _ location: String) throws(ISAError) {
    // Parameter table, hoisted: one entry per channel.
    var bias = [Int32](repeating: 0, count: a.columns)
    var multiplier = [Int32](repeating: 0, count: a.columns)
    var shift = [Int](repeating: 0, count: a.columns)
    var scale = [Double](repeating: 0, count: a.columns)
    for j in 0..<a.columns {
      let entry = a.paramAddress.byteOffset + j * ActivationParameters.entryBytes
      bias[j] = Int32(bitPattern: readLE32(weightBuffer, entry))
      switch a.mode {
      // issue 14: lstm (the int16 modes use the fixed-point entry)
      case .fixedPoint, .fixedPointInt16, .fixedPointInt16Add:
        multiplier[j] = Int32(bitPattern: readLE32(weightBuffer, entry + 4))
        shift[j] = Int(Int32(bitPattern: readLE32(weightBuffer, entry + 8)))
        if !(-31...30).contains(shift[j]) {
          throw ISAError(.execution, location, "channel \(j): parameter shift \(shift[j]) out of -31...30")
        }
      case .floatScale:
        scale[j] = Double(bitPattern: UInt64(readLE32(weightBuffer, entry + 4)) | UInt64(readLE32(weightBuffer, entry + 8)) << 32)
        if !scale[j].isFinite {
          throw ISAError(.execution, location, "channel \(j): parameter scale \(scale[j]) is not finite")
        }
      }
    }
    let table = ActivateKernel.Parameters(bias: bias, multiplier: multiplier, shift: shift, scale: scale)
    let lanes = a.mode == .fixedPoint ? ActivateKernel.Lanes(table) : nil
    let parallelism = ActivateKernel.destinationsAreDisjoint(a) ? self.parallelism : .serial
    let accumulatorColumns = limits.arrayColumns
    accumulator.withUnsafeBufferPointer { acc in
      unifiedBuffer.withUnsafeMutableBufferPointer { ub in
        guard let acc = acc.baseAddress, let ub = ub.baseAddress else { return }
        let kernel = ActivateKernel(
          instruction: a, parameters: table, lanes: lanes, accumulator: acc, accumulatorColumns: accumulatorColumns,
          unifiedBuffer: ub)
        parallelism.forEachRange(
          items: a.pixels, workPerItem: a.columns * ExecutionParallelism.activateElementWork, kernel: kernel)
      }
    }
  }

  mutating func vector(_ v: VectorOperation, _ location: String) throws(ISAError) {
    switch v {
    case .add(let o, let q), .sub(let o, let q):
      // SUB subtracts the rescaled `b` (TF 2.21 `reference_ops::Sub`); negating the multiplier
      // instead would round the high multiply's ties the other way.
      let isSub = if case .sub = v { true } else { false }
      let aZeroPoint = Int32(q.aZeroPoint)
      let bZeroPoint = Int32(q.bZeroPoint)
      let factor = Int32(1) << Int32(q.leftShift)
      // Four lanes at a time when no product can overflow (|x − zp| ≤ 255) and every shift is
      // in range; the scalar loop below keeps its traps for the other cases.
      // The rescaled inputs depend on one byte each: tabulated once per instruction.
      if Int64(factor.magnitude) * 255 <= Int64(Int32.max),
        let ra = UniformRescale(multiplier: q.aMultiplier, shift: q.aShift),
        let rb = UniformRescale(multiplier: q.bMultiplier, shift: q.bShift),
        let ro = UniformRescale(multiplier: q.outputMultiplier, shift: q.outputShift)
      {
        let ta = ra.table(zeroPoint: aZeroPoint, factor: factor)
        let tb = rb.table(zeroPoint: bZeroPoint, factor: factor)
        let done = ta.withUnsafeBufferPointer { ta in
          tb.withUnsafeBufferPointer { tb in
            elementwiseLanes(o, clamp: q.clamp) { a, b in
              let sa = SIMD4(ta[Int(a[0]) + 128], ta[Int(a[1]) + 128], ta[Int(a[2]) + 128], ta[Int(a[3]) + 128])
              let sb = SIMD4(tb[Int(b[0]) + 128], tb[Int(b[1]) + 128], tb[Int(b[2]) + 128], tb[Int(b[3]) + 128])
              return offsetForClamp(ro(isSub ? sa &- sb : sa &+ sb), q.outputZeroPoint)
            }
          }
        }
        if done { return }
      }
      elementwise(o) { a, b in
        let sa = FixedPoint.multiplyByQuantizedMultiplier((Int32(a) - aZeroPoint) * factor, q.aMultiplier, q.aShift)
        let sb = FixedPoint.multiplyByQuantizedMultiplier((Int32(b) - bZeroPoint) * factor, q.bMultiplier, q.bShift)
        let sum = isSub ? sa &- sb : sa &+ sb
        let raw = FixedPoint.multiplyByQuantizedMultiplier(sum, q.outputMultiplier, q.outputShift)
        return clamp(Int(raw) + Int(q.outputZeroPoint), q.clamp)
      }
    case .mul(let o, let q):
      let aZeroPoint = Int32(q.aZeroPoint)
      let bZeroPoint = Int32(q.bZeroPoint)
      if let r = UniformRescale(multiplier: q.outputMultiplier, shift: q.outputShift),
        elementwiseLanes(o, clamp: q.clamp, { a, b in
          offsetForClamp(r((a &- aZeroPoint) &* (b &- bZeroPoint)), q.outputZeroPoint)
        })
      {
        return
      }
      elementwise(o) { a, b in
        let product = (Int32(a) - aZeroPoint) * (Int32(b) - bZeroPoint)
        let raw = FixedPoint.multiplyByQuantizedMultiplier(product, q.outputMultiplier, q.outputShift)
        return clamp(Int(raw) + Int(q.outputZeroPoint), q.clamp)
      }
    case .requantize(let o, let q):
      let inputZeroPoint = Int32(q.inputZeroPoint)
      if let r = UniformRescale(multiplier: q.multiplier, shift: q.shift),
        unaryLanes(o, clamp: q.clamp, { s in offsetForClamp(r(s &- inputZeroPoint), q.outputZeroPoint) })
      {
        return
      }
      unary(o) { s in
        let raw = FixedPoint.multiplyByQuantizedMultiplier(Int32(s) - inputZeroPoint, q.multiplier, q.shift)
        return clamp(Int(raw) + Int(q.outputZeroPoint), q.clamp)
      }
    case .softmax(let o, let q):
      try softmax(o, q, location)
    // issue 14: PRELU / L2_NORMALIZATION
    case .l2Normalize(let o, let zeroPoint):
      l2Normalize(o, inputZeroPoint: zeroPoint)
    // issue 14: lstm
    case .lstmCell(let l):
      lstmCell(l)
    case .mean(let o, let q):
      mean(o, q)
    case .lookup(let o, let table):
      let start = table.byteOffset
      let entries = Array(weightBuffer[start..<start + VectorOperation.lookupTableBytes])
      unary(o) { s in entries[Int(s) + 128] }
    case .copy(let o):
      unary(o) { UInt8(bitPattern: $0) }
    // issue 14: resize
    case .resize(let z):
      resize(z)
    // issue 14: vector binary/reduce
    // issue 14: vops
    case .binary(let o, .select(let condition)):
      select(o, condition: condition)
    case .binary(let o, let f):
      // issue 14: vops
      if f.canFault { try binaryFault(o, f, location) }
      let elements = o.outer.multipliedReportingOverflow(by: o.inner)
      if elements.overflow || elements.partialValue > 16_384 {
        let table = f.table()
        elementwise(o) { a, b in table[Int(UInt8(bitPattern: a) ^ 0x80) << 8 | Int(UInt8(bitPattern: b) ^ 0x80)] }
      } else {
        elementwise(o) { a, b in UInt8(bitPattern: f.apply(a, b)) }
      }
    // issue 14: prod — each column's chain in row order (the static checks require `q`)
    case .reduce(let o, .product, let q?):
      // Every column is computed before the first output is written, so `out` may alias `src`.
      let zp = Int32(q.inputZeroPoint)
      var results = [UInt8](repeating: 0, count: o.inner)
      for j in 0..<o.inner {
        let column = o.source.address.byteOffset + j * o.source.innerStrideBytes
        var p = Int32(Int8(bitPattern: unifiedBuffer[column])) - zp
        for i in 1..<max(o.outer, 1) {
          let v = Int32(Int8(bitPattern: unifiedBuffer[column + i * o.source.outerStrideBytes])) - zp
          p = FixedPoint.productStep(p, v, multiplier: q.multiplier, shift: q.shift)
        }
        let r = FixedPoint.productOutput(
          p, multiplier: q.multiplier, shift: q.shift, outputZeroPoint: Int32(q.outputZeroPoint),
          range: Int32(q.clamp.lowerBound)...Int32(q.clamp.upperBound))
        results[j] = UInt8(bitPattern: Int8(r))
      }
      for j in 0..<o.inner { unifiedBuffer[o.output.address.byteOffset + j * o.output.innerStrideBytes] = results[j] }
    case .reduce(let o, .maximum, _):
      var best = [Int8](repeating: .min, count: o.inner)
      for i in 0..<o.outer {
        let row = o.source.address.byteOffset + i * o.source.outerStrideBytes
        for j in 0..<o.inner { best[j] = max(best[j], Int8(bitPattern: unifiedBuffer[row + j * o.source.innerStrideBytes])) }
      }
      for j in 0..<o.inner {
        unifiedBuffer[o.output.address.byteOffset + j * o.output.innerStrideBytes] = UInt8(bitPattern: best[j])
      }
    // issue 14: argmax
    case .reduce(let o, let f, _):
      // The first row holding the column's largest value: a strictly greater value moves the
      // index, so ties keep the earlier row (−128 everywhere keeps row 0).
      let width = f.indexBytes ?? 4
      var best = [Int8](repeating: .min, count: o.inner)
      var at = [Int](repeating: 0, count: o.inner)
      for i in 0..<o.outer {
        let row = o.source.address.byteOffset + i * o.source.outerStrideBytes
        for j in 0..<o.inner {
          let v = Int8(bitPattern: unifiedBuffer[row + j * o.source.innerStrideBytes])
          if v > best[j] {
            best[j] = v
            at[j] = i
          }
        }
      }
      for j in 0..<o.inner {
        let base = o.output.address.byteOffset + j * o.output.innerStrideBytes
        for k in 0..<width { unifiedBuffer[base + k] = UInt8(truncatingIfNeeded: at[j] >> (8 * k)) }
      }
    case .maxPool(let pool):
      pooling(pool) { taps in
        var m: Int8 = .min
        for t in taps { m = max(m, t) }
        return clamp(Int(m), pool.clamp)
      }
    case .avgPool(let pool):
      var empty = false
      pooling(pool) { taps in
        var sum: Int32 = 0
        for t in taps { sum += Int32(t) }
        let count = Int32(taps.count)
        guard count > 0 else {
          empty = true
          return 0
        }
        let average = (sum + (sum > 0 ? count / 2 : -count / 2)) / count
        return clamp(Int(average), pool.clamp)
      }
      if empty { throw ISAError(.execution, location, "a pooling window has no in-image tap") }
    }
  }

  /// `vsoftmax`: the three passes over each row that `VectorOperation.softmax` documents.
  ///
  /// An int8 row's differences `x − max` lie in −255...0, so the exponential of each is looked
  /// up in a 256-entry table built once per instruction (what a hardware unit would hold as a
  /// per-instruction LUT; the arithmetic of each entry is the documented one). A faulting row
  /// restores the bytes earlier rows wrote, so the instruction leaves the state unchanged.
  private mutating func softmax(_ o: UnaryOperands, _ q: SoftmaxParameters, _ location: String) throws(ISAError) {
    let accumulationIntegerBits = 12
    let outputBits = 8
    let offset = Int32(q.outputRange.lowerBound)
    // exp(−d) in Q0.31 for d = 0...255, or −1 where −d < diffMin (no contribution).
    var expOfDifference = [Int32](repeating: -1, count: 256)
    for d in 0...255 where Int32(-d) >= q.diffMin {
      let rescaled = FixedPoint.multiplyGreaterThanOne(Int32(-d), q.inputMultiplier, q.inputShift)  // Q5.26
      expOfDifference[d] = FixedPoint.expOnNegativeValues(rescaled, integerBits: 5)
    }
    var row = [Int32](repeating: 0, count: o.inner)
    var overwritten: [(byte: Int, value: UInt8)] = []
    for i in 0..<o.outer {
      let sRow = o.source.address.byteOffset + i * o.source.outerStrideBytes
      let outRow = o.output.address.byteOffset + i * o.output.outerStrideBytes
      var rowMax = Int32(Int8.min)
      for j in 0..<o.inner {
        row[j] = Int32(Int8(bitPattern: unifiedBuffer[sRow + j * o.source.innerStrideBytes]))
        rowMax = max(rowMax, row[j])
      }
      var sum: Int32 = 0  // Q12.19
      for j in 0..<o.inner {
        let e = expOfDifference[Int(rowMax - row[j])]
        if e >= 0 { sum = sum &+ FixedPoint.roundingDivideByPOT(e, accumulationIntegerBits) }
      }
      let (scale, bitsOverUnit) = FixedPoint.reciprocal(sum, integerDigits: accumulationIntegerBits)
      let exponent = bitsOverUnit + 31 - outputBits
      guard (0...31).contains(exponent) else {
        for w in overwritten.reversed() { unifiedBuffer[w.byte] = w.value }
        throw ISAError(
          .execution, location,
          "row \(i): the exponentials sum to \(sum) in Q12.19 (2^9 or more, or wrapped); reciprocal exponent \(exponent) out of 0...31 (TFLite's kernel aborts)"
        )
      }
      for j in 0..<o.inner {
        let e = expOfDifference[Int(rowMax - row[j])]
        let y: Int32
        if e < 0 {
          y = offset
        } else {
          let unsaturated = FixedPoint.roundingDivideByPOT(FixedPoint.saturatingRoundingDoublingHighMul(scale, e), exponent)
          y = unsaturated &+ offset
        }
        let byte = outRow + j * o.output.innerStrideBytes
        overwritten.append((byte, unifiedBuffer[byte]))
        unifiedBuffer[byte] = clamp(Int(y), q.outputRange)
      }
    }
  }

  // issue 14: PRELU / L2_NORMALIZATION
  /// `vl2norm`: the two passes over each row that `VectorOperation.l2Normalize` documents (the
  /// row is read whole, then written).
  private mutating func l2Normalize(_ o: UnaryOperands, inputZeroPoint: Int8) {
    var row = [Int32](repeating: 0, count: o.inner)
    for i in 0..<o.outer {
      let sRow = o.source.address.byteOffset + i * o.source.outerStrideBytes
      let outRow = o.output.address.byteOffset + i * o.output.outerStrideBytes
      var acc: Int32 = 0
      for j in 0..<o.inner {
        row[j] = Int32(Int8(bitPattern: unifiedBuffer[sRow + j * o.source.innerStrideBytes])) - Int32(inputZeroPoint)
        acc = acc &+ row[j] &* row[j]
      }
      let (m, s) = FixedPoint.inverseSqrtMultiplier(acc, reverseShift: -1)
      for j in 0..<o.inner {
        let y = FixedPoint.multiplyByQuantizedMultiplier(row[j], m, s + 7)
        unifiedBuffer[outRow + j * o.output.innerStrideBytes] = clamp(Int(y), -128...127)
      }
    }
  }

  /// `vmean`: per channel `j`, the wrapping `Int32` sum over the `outer` rows, centred by
  /// `inputZeroPoint · outer` in `Int64` and requantized, as `VectorOperation.mean` documents.
  /// All sums are taken before the first output is written.
  private mutating func mean(_ o: UnaryOperands, _ q: RequantizeParameters) {
    var sums = [Int32](repeating: 0, count: o.inner)
    for i in 0..<o.outer {
      let sRow = o.source.address.byteOffset + i * o.source.outerStrideBytes
      for j in 0..<o.inner {
        let byte = unifiedBuffer[sRow + j * o.source.innerStrideBytes]
        // issue 14: sum — the `unsigned` flag reads the byte as 0...255.
        sums[j] &+= q.unsignedBytes ? Int32(byte) : Int32(Int8(bitPattern: byte))
      }
    }
    let offset = Int64(q.inputZeroPoint) &* Int64(o.outer)
    let outputZeroPoint = Int32(q.outputZeroPoint)
    for j in 0..<o.inner {
      let centred = Int32(truncatingIfNeeded: Int64(sums[j]) &- offset)
      let raw = FixedPoint.multiplyByQuantizedMultiplier(centred, q.multiplier, q.shift) &+ outputZeroPoint
      let out = o.output.address.byteOffset + j * o.output.innerStrideBytes
      unifiedBuffer[out] = q.unsignedBytes ? UInt8(min(max(raw, 0), 255)) : clamp(Int(raw), q.clamp)
    }
  }

  /// `OUT[i][j] = f(A[i][j], B[i][j])` in i-then-j order, reading before writing each element.
  private mutating func elementwise(_ o: BinaryOperands, _ f: (Int8, Int8) -> UInt8) {
    for i in 0..<o.outer {
      let aRow = o.a.address.byteOffset + i * o.a.outerStrideBytes
      let bRow = o.b.address.byteOffset + i * o.b.outerStrideBytes
      let outRow = o.output.address.byteOffset + i * o.output.outerStrideBytes
      for j in 0..<o.inner {
        let a = Int8(bitPattern: unifiedBuffer[aRow + j * o.a.innerStrideBytes])
        let b = Int8(bitPattern: unifiedBuffer[bRow + j * o.b.innerStrideBytes])
        unifiedBuffer[outRow + j * o.output.innerStrideBytes] = f(a, b)
      }
    }
  }

  // issue 14: vops
  /// Throws for the first pair of a `vbinary` that has no result (DIV by a divisor at its zero
  /// point), before any element is written, so a faulting instruction leaves the state unchanged.
  private func binaryFault(_ o: BinaryOperands, _ f: BinaryFunction, _ location: String) throws(ISAError) {
    let elements = o.outer.multipliedReportingOverflow(by: o.inner)
    var faults: [Bool]? = nil
    if elements.overflow || elements.partialValue > 16_384 {
      var t = [Bool](repeating: false, count: 65_536)
      for a in -128...127 {
        for b in -128...127 where f.result(Int8(a), Int8(b)) == nil { t[(a + 128) << 8 | (b + 128)] = true }
      }
      faults = t
    }
    for i in 0..<o.outer {
      let aRow = o.a.address.byteOffset + i * o.a.outerStrideBytes
      let bRow = o.b.address.byteOffset + i * o.b.outerStrideBytes
      for j in 0..<o.inner {
        let a = Int8(bitPattern: unifiedBuffer[aRow + j * o.a.innerStrideBytes])
        let b = Int8(bitPattern: unifiedBuffer[bRow + j * o.b.innerStrideBytes])
        let pair = Int(UInt8(bitPattern: a) ^ 0x80) << 8 | Int(UInt8(bitPattern: b) ^ 0x80)
        let fault = faults.map { $0[pair] } ?? (f.result(a, b) == nil)
        if fault {
          throw ISAError(
            .execution, location,
            "vbinary fn=\(f.name.rawValue) element [\(i)][\(j)]: \(a) / \(b) has no result (a zero divisor, or a rescaling shift outside 0...63; TFLite's kernel errors)"
          )
        }
      }
    }
  }

  /// `vbinary fn=select`: `OUT[i][j] = C[i][j] != 0 ? A[i][j] : B[i][j]`, bytes copied.
  private mutating func select(_ o: BinaryOperands, condition c: VectorView) {
    for i in 0..<o.outer {
      let aRow = o.a.address.byteOffset + i * o.a.outerStrideBytes
      let bRow = o.b.address.byteOffset + i * o.b.outerStrideBytes
      let cRow = c.address.byteOffset + i * c.outerStrideBytes
      let outRow = o.output.address.byteOffset + i * o.output.outerStrideBytes
      for j in 0..<o.inner {
        let pick = unifiedBuffer[cRow + j * c.innerStrideBytes] != 0
        let value =
          pick ? unifiedBuffer[aRow + j * o.a.innerStrideBytes] : unifiedBuffer[bRow + j * o.b.innerStrideBytes]
        unifiedBuffer[outRow + j * o.output.innerStrideBytes] = value
      }
    }
  }

  /// `OUT[i][j] = f(SRC[i][j])` in i-then-j order.
  private mutating func unary(_ o: UnaryOperands, _ f: (Int8) -> UInt8) {
    for i in 0..<o.outer {
      let sRow = o.source.address.byteOffset + i * o.source.outerStrideBytes
      let outRow = o.output.address.byteOffset + i * o.output.outerStrideBytes
      for j in 0..<o.inner {
        let s = Int8(bitPattern: unifiedBuffer[sRow + j * o.source.innerStrideBytes])
        unifiedBuffer[outRow + j * o.output.innerStrideBytes] = f(s)
      }
    }
  }

  /// For each output pixel and channel (oh, ow, c order), `f` of the in-image taps in (kh, kw)
  /// order, written to the destination.
  private mutating func pooling(_ pool: Pool, _ f: ([Int8]) -> UInt8) {
    let input = pool.input
    let w = pool.window
    let d = pool.destination
    var taps: [Int8] = []
    taps.reserveCapacity(w.taps)
    for oh in 0..<w.outHeight {
      let rows = axisTaps(
        out: oh, stride: w.strideHeight, pad: w.padTop, kernel: w.kernelHeight, dilation: w.dilationHeight,
        size: input.height)
      for ow in 0..<w.outWidth {
        let cols = axisTaps(
          out: ow, stride: w.strideWidth, pad: w.padLeft, kernel: w.kernelWidth, dilation: w.dilationWidth,
          size: input.width)
        let out = d.address.byteOffset + oh * d.rowStrideBytes + ow * d.pixelStrideBytes
        for c in 0..<input.channelCount {
          taps.removeAll(keepingCapacity: true)
          for (_, ih) in rows {
            for (_, iw) in cols {
              let byte = input.address.byteOffset + (ih * input.width + iw) * input.pixelStrideBytes + input.channelOffset + c
              taps.append(Int8(bitPattern: unifiedBuffer[byte]))
            }
          }
          unifiedBuffer[out + c] = f(taps)
        }
      }
    }
  }
}

/// Copies `rows` rows of `rowBytes` bytes between two memories, row `r` from
/// `sourceStart + r · sourceStride` to `destinationStart + r · destinationStride` (a `load` or
/// `store`, whose ranges the verifier has checked).
private func copyRows(
  _ rows: Int, rowBytes: Int, from source: [UInt8], _ sourceStart: Int, stride sourceStride: Int,
  to destination: inout [UInt8], _ destinationStart: Int, stride destinationStride: Int
) {
  guard rows > 0, rowBytes > 0 else { return }
  let lastSource = sourceStart + (rows - 1) * sourceStride
  let lastDestination = destinationStart + (rows - 1) * destinationStride
  precondition(
    sourceStart >= 0 && lastSource >= 0 && max(sourceStart, lastSource) + rowBytes <= source.count
      && destinationStart >= 0 && lastDestination >= 0 && max(destinationStart, lastDestination) + rowBytes <= destination.count,
    "DMA rows outside a memory: \(rows) × \(rowBytes) B from \(sourceStart) (stride \(sourceStride)) of \(source.count) B to \(destinationStart) (stride \(destinationStride)) of \(destination.count) B")
  source.withUnsafeBufferPointer { s in
    destination.withUnsafeMutableBufferPointer { d in
      guard let s = s.baseAddress, let d = d.baseAddress else { return }
      for r in 0..<rows {
        UnsafeMutableRawPointer(d + destinationStart + r * destinationStride).copyMemory(
          from: s + sourceStart + r * sourceStride, byteCount: rowBytes)
      }
    }
  }
}

@inline(__always)
func readLE32(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
  UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16
    | UInt32(bytes[offset + 3]) << 24
}

/// Converts a rounded double to Int32, saturating at the ends of the range.
func saturatingInt32(_ x: Double) -> Int32 {
  if x >= Double(Int32.max) { return .max }
  if x <= Double(Int32.min) { return .min }
  return Int32(x)
}
