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
  let context = CheckContext(limits: state.limits, datapath: state.datapath, hostTaskCount: state.hostTasks.count)
  if let problem = operation.staticProblems(context).first {
    throw ISAError(.execution, location, problem)
  }
  switch operation {
  case .load(let d), .store(let d):
    guard let range = Checked.span(start: d.dramAddress.byteOffset, count: d.rows, stride: d.dramStrideBytes, length: d.rowBytes),
      range.upperBound <= state.dram.count
    else {
      throw ISAError(.execution, location, "DRAM range exceeds the DRAM size \(hex(state.dram.count))")
    }
    if case .load = operation { state.dmaLoad(d) } else { state.dmaStore(d) }
  case .loadWeights(let w):
    try requireInt8(state, location)
    state.loadWeights(w)
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
private func clamp(_ value: Int, _ range: ClosedRange<Int8>) -> UInt8 {
  UInt8(bitPattern: Int8(truncatingIfNeeded: min(max(value, Int(range.lowerBound)), Int(range.upperBound))))
}

extension MachineState {
  mutating func dmaLoad(_ d: DMA2D) {
    for r in 0..<d.rows {
      let src = d.dramAddress.byteOffset + r * d.dramStrideBytes
      let dst = d.sramAddress.byteOffset + r * d.sramStrideBytes
      let bytes = dram[src..<src + d.rowBytes]
      switch d.memory {
      case .unifiedBuffer: unifiedBuffer.replaceSubrange(dst..<dst + d.rowBytes, with: bytes)
      case .weightBuffer: weightBuffer.replaceSubrange(dst..<dst + d.rowBytes, with: bytes)
      case .accumulator:
        for w in 0..<d.rowBytes / 4 {
          let b = src + 4 * w
          let word = UInt32(dram[b]) | UInt32(dram[b + 1]) << 8 | UInt32(dram[b + 2]) << 16 | UInt32(dram[b + 3]) << 24
          accumulator[dst / 4 + w] = Int32(bitPattern: word)
        }
      }
    }
  }

  mutating func dmaStore(_ d: DMA2D) {
    for r in 0..<d.rows {
      let src = d.sramAddress.byteOffset + r * d.sramStrideBytes
      let dst = d.dramAddress.byteOffset + r * d.dramStrideBytes
      switch d.memory {
      case .unifiedBuffer: dram.replaceSubrange(dst..<dst + d.rowBytes, with: unifiedBuffer[src..<src + d.rowBytes])
      case .weightBuffer: dram.replaceSubrange(dst..<dst + d.rowBytes, with: weightBuffer[src..<src + d.rowBytes])
      case .accumulator:
        for w in 0..<d.rowBytes / 4 {
          let word = UInt32(bitPattern: accumulator[src / 4 + w])
          for b in 0..<4 { dram[dst + 4 * w + b] = UInt8(truncatingIfNeeded: word >> (8 * UInt32(b))) }
        }
      }
    }
  }

  mutating func loadWeights(_ w: LoadWeights) {
    var values = [Int32](repeating: 0, count: w.rows * w.columns)
    let bits = w.packing.bits
    for k in 0..<w.rows {
      let row = w.wbAddress.byteOffset + k * w.rowStrideBytes
      if bits == 8 {
        for n in 0..<w.columns {
          values[k * w.columns + n] = Int32(Int8(bitPattern: weightBuffer[row + n]))
        }
      } else {
        // Unpack: value n is the `bits`-bit field at bit n·bits of the row, sign-extended.
        let mask = (1 << bits) - 1
        let sign = 1 << (bits - 1)
        for n in 0..<w.columns {
          let bit = n * bits
          let field = (Int(weightBuffer[row + bit / 8]) >> (bit % 8)) & mask
          values[k * w.columns + n] = Int32(field >= sign ? field - (1 << bits) : field)
        }
      }
    }
    weightSlots[w.slot.rawValue] = WeightTile(rows: w.rows, columns: w.columns, int32Values: values)
  }

  /// The `matmul` loop nest, reorganized for speed (same result: int32 wrapping sums commute).
  /// For each output pixel the K-vector of `x − zp` (zero for padding) is gathered once, then
  /// multiplied into the N accumulators one weight row at a time.
  mutating func matmul(_ m: Matmul) {
    let f = m.input
    let w = m.window
    let channels = f.channelCount
    let k = m.reductionSize
    let n = m.columns
    let groups = m.groups
    let groupChannels = channels / groups
    let groupColumns = n / groups
    let zeroPoint = Int32(m.inputZeroPoint)
    let accColumns = limits.arrayColumns
    let slot = weightSlots[m.weightSlot.rawValue]
    let slotColumns = slot.columns
    let base = f.address.byteOffset + f.channelOffset
    var patch = [Int32](repeating: 0, count: k)
    unifiedBuffer.withUnsafeBufferPointer { ub in
      slot.values.withUnsafeBufferPointer { weights in
        accumulator.withUnsafeMutableBufferPointer { acc in
          patch.withUnsafeMutableBufferPointer { x in
            guard let ub = ub.baseAddress, let weights = weights.baseAddress, let acc = acc.baseAddress,
              let x = x.baseAddress
            else { return }
            for oh in 0..<w.outHeight {
              let ihOrigin = oh * w.strideHeight - w.padTop
              for ow in 0..<w.outWidth {
                let iwOrigin = ow * w.strideWidth - w.padLeft
                // 1. Gather the im2col row: k = (kh*kernelWidth + kw)*C + c.
                var k0 = 0
                for kh in 0..<w.kernelHeight {
                  let ih = ihOrigin + kh * w.dilationHeight
                  let rowInside = ih >= 0 && ih < f.height
                  for kw in 0..<w.kernelWidth {
                    let iw = iwOrigin + kw * w.dilationWidth
                    if rowInside && iw >= 0 && iw < f.width {
                      let pixel = ub + base + (ih * f.width + iw) * f.pixelStrideBytes
                      for c in 0..<channels {
                        x[k0 + c] = Int32(Int8(bitPattern: pixel[c])) &- zeroPoint
                      }
                    } else {
                      for c in 0..<channels { x[k0 + c] = 0 }
                    }
                    k0 += channels
                  }
                }
                // 2. Multiply into the accumulator row.
                let out = acc + (m.accRow.index + oh * w.outWidth + ow) * accColumns
                if !m.accumulate {
                  for j in 0..<n { out[j] = 0 }
                }
                if groups == 1 {
                  for kk in 0..<k {
                    let xv = x[kk]
                    if xv == 0 { continue }
                    let row = weights + kk * slotColumns
                    for j in 0..<n { out[j] &+= xv &* row[j] }
                  }
                } else if groupChannels == 1 && groupColumns == 1 {
                  // Depthwise: channel c meets only column c, on the tile's diagonal.
                  for tap in 0..<w.taps {
                    let xt = x + tap * channels
                    let wt = weights + tap * channels * slotColumns
                    for c in 0..<channels { out[c] &+= xt[c] &* wt[c * slotColumns + c] }
                  }
                } else {
                  for g in 0..<groups {
                    let firstColumn = g * groupColumns
                    for tap in 0..<w.taps {
                      for c in g * groupChannels..<(g + 1) * groupChannels {
                        let kk = tap * channels + c
                        let xv = x[kk]
                        if xv == 0 { continue }
                        let row = weights + kk * slotColumns + firstColumn
                        let o = out + firstColumn
                        for j in 0..<groupColumns { o[j] &+= xv &* row[j] }
                      }
                    }
                  }
                }
              }
            }
          }
        }
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
      case .fixedPoint:
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
    let zeroPoint = Int(a.outputZeroPoint)
    let d = a.destination
    for r in 0..<a.height {
      for x in 0..<a.width {
        let row = (a.accRow.index + r * a.width + x) * limits.arrayColumns
        let out = d.address.byteOffset + r * d.rowStrideBytes + x * d.pixelStrideBytes
        for j in 0..<a.columns {
          let acc = accumulator[row + j] &+ bias[j]
          let scaled: Int32
          switch a.mode {
          case .fixedPoint: scaled = FixedPoint.multiplyByQuantizedMultiplier(acc, multiplier[j], shift[j])
          case .floatScale: scaled = saturatingInt32(FixedPoint.roundHalfAwayFromZero(Double(acc) * scale[j]))
          }
          unifiedBuffer[out + j] = clamp(Int(scaled) + zeroPoint, a.clamp)
        }
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
      elementwise(o) { a, b in
        let product = (Int32(a) - aZeroPoint) * (Int32(b) - bZeroPoint)
        let raw = FixedPoint.multiplyByQuantizedMultiplier(product, q.outputMultiplier, q.outputShift)
        return clamp(Int(raw) + Int(q.outputZeroPoint), q.clamp)
      }
    case .requantize(let o, let q):
      let inputZeroPoint = Int32(q.inputZeroPoint)
      unary(o) { s in
        let raw = FixedPoint.multiplyByQuantizedMultiplier(Int32(s) - inputZeroPoint, q.multiplier, q.shift)
        return clamp(Int(raw) + Int(q.outputZeroPoint), q.clamp)
      }
    case .copy(let o):
      unary(o) { UInt8(bitPattern: $0) }
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

extension WeightTile {
  init(rows: Int, columns: Int, int32Values: [Int32]) {
    self.init()
    self.rows = rows
    self.columns = columns
    self.values = int32Values
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
