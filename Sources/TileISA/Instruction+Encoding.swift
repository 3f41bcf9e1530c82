import Support

/// The fixed-width binary form of instructions: 64 bytes each, little-endian. `docs/isa.md`
/// §"Binary encoding" tabulates every field's offset and width.
extension Instruction {
  /// Bytes per encoded instruction.
  public static let encodedSize = 64

  /// The instruction's 64 bytes.
  ///
  /// - Throws: `ISAError` `.encode` when a field does not fit its encoding (e.g. a height above
  ///   65535, a negative address).
  public func encoded() throws(ISAError) -> [UInt8] {
    var w = FieldWriter(location: mnemonic)
    try encode(into: &w)
    return w.bytes
  }

  /// Decodes the 64 bytes at `offset` in `bytes`.
  ///
  /// - Throws: `ISAError` `.decode` naming the absolute byte offset of the first bad field (an
  ///   unknown opcode or enum value, a nonzero reserved byte, a clamp whose minimum exceeds its
  ///   maximum, too few bytes).
  public init(decoding bytes: [UInt8], at offset: Int = 0) throws(ISAError) {
    guard offset >= 0, offset <= bytes.count - Self.encodedSize else {
      throw ISAError(.decode, formatOffset(max(offset, 0)), "expected \(Self.encodedSize) bytes of instruction, found \(max(0, bytes.count - offset))")
    }
    var r = FieldReader64(bytes: bytes, base: offset)
    self = try Self.decode(&r)
    try r.requireUnusedZero()
  }

  private func encode(into w: inout FieldWriter) throws(ISAError) {
    let opcode: Opcode
    switch operation {
    case .nop(let queue):
      opcode = .nop
      try w.put(caseIndex(queue), UInt8.self, at: 4, "queue")
    case .load(let d), .store(let d):
      opcode = if case .load = operation { .load } else { .store }
      try w.put(caseIndex(d.memory), UInt8.self, at: 4, "mem")
      try w.put(caseIndex(d.backing), UInt8.self, at: 5, "backing")
      try w.put(d.resident ? 1 : 0, UInt8.self, at: 6, "resident")
      try w.put(d.hostLink ? 1 : 0, UInt8.self, at: 7, "host_link")
      try w.put(d.dramAddress.byteOffset, UInt64.self, at: 8, "dram")
      try w.put(d.dramStrideBytes, UInt32.self, at: 16, "dram_stride")
      try w.put(d.sramAddress.byteOffset, UInt32.self, at: 20, "sram")
      try w.put(d.sramStrideBytes, UInt32.self, at: 24, "sram_stride")
      try w.put(d.rows, UInt32.self, at: 28, "rows")
      try w.put(d.rowBytes, UInt32.self, at: 32, "row_bytes")
    case .loadWeights(let l):
      opcode = .loadWeights
      try w.put(l.slot.rawValue, UInt8.self, at: 4, "slot")
      try w.put(l.wbAddress.byteOffset, UInt32.self, at: 8, "wb")
      try w.put(l.rows, UInt16.self, at: 12, "rows")
      try w.put(l.columns, UInt16.self, at: 14, "cols")
      try w.put(l.rowStrideBytes, UInt32.self, at: 16, "stride")
      try w.put(caseIndex(l.packing), UInt8.self, at: 5, "packing")
      // The level table's presence follows the packing, so decoding restores it exactly.
      guard l.packing.hasLevels == (l.levels != nil) else {
        throw ISAError(
          .encode, w.location,
          l.packing.hasLevels
            ? "\(l.packing) weights need a level table (levels=, group=)"
            : "a level table belongs to ternary-grouped weights; this tile is \(l.packing)")
      }
      if let levels = l.levels {
        try w.put(levels.address.byteOffset, UInt32.self, at: 20, "levels")
        try w.put(levels.group, UInt16.self, at: 24, "group")
        try w.put(levels.phase, UInt16.self, at: 26, "phase")
      }
    case .matmul(let m):
      opcode = .matmul
      try w.put(m.weightSlot.rawValue, UInt8.self, at: 4, "slot")
      try w.put(m.accumulate ? 1 : 0, UInt8.self, at: 5, "accumulate")
      try w.put(caseIndex(m.dataflow), UInt8.self, at: 6, "df")
      try w.put(Int(m.inputZeroPoint), Int8.self, at: 7, "zp")
      try encodeFeatureMap(m.input, m.window, &w)
      try w.put(m.columns, UInt16.self, at: 44, "n")
      try w.put(m.groups, UInt16.self, at: 46, "g")
      try w.put(m.accRow.index, UInt32.self, at: 48, "acc")
    case .activate(let a):
      opcode = .activate
      try w.put(caseIndex(a.mode), UInt8.self, at: 4, "mode")
      try w.put(Int(a.outputZeroPoint), Int8.self, at: 5, "zp")
      try w.put(Int(a.clamp.lowerBound), Int8.self, at: 6, "clamp")
      try w.put(Int(a.clamp.upperBound), Int8.self, at: 7, "clamp")
      try w.put(a.accRow.index, UInt32.self, at: 8, "acc")
      try w.put(a.height, UInt16.self, at: 12, "out")
      try w.put(a.width, UInt16.self, at: 14, "out")
      try w.put(a.columns, UInt16.self, at: 16, "n")
      try w.put(a.paramAddress.byteOffset, UInt32.self, at: 20, "params")
      try encodeDestination(a.destination, at: 24, &w)
    case .vector(let v):
      switch v {
      case .add(let o, let q), .sub(let o, let q):
        opcode = if case .add = v { .vadd } else { .vsub }
        try encodeBinary(o, &w)
        try encodeAddParameters(q, &w)
        try encodeClamp(q.clamp, &w)
      case .mul(let o, let q):
        opcode = .vmul
        try encodeBinary(o, &w)
        try w.put(Int(q.outputMultiplier), Int32.self, at: 50, "out_mult")
        try w.put(q.outputShift, Int8.self, at: 56, "out_shift")
        try w.put(Int(q.aZeroPoint), Int8.self, at: 58, "a_zp")
        try w.put(Int(q.bZeroPoint), Int8.self, at: 59, "b_zp")
        try w.put(Int(q.outputZeroPoint), Int8.self, at: 60, "out_zp")
        try encodeClamp(q.clamp, &w)
      case .requantize(let o, let q):
        opcode = .vrequant
        try encodeUnary(o, &w)
        try encodeRequantize(q, &w)
      case .softmax(let o, let q):
        opcode = .vsoftmax
        try encodeUnary(o, &w)
        try w.put(Int(q.diffMin), Int32.self, at: 42, "diff_min")
        try w.put(Int(q.inputMultiplier), Int32.self, at: 50, "mult")
        try w.put(q.inputShift, UInt8.self, at: 56, "shift")
        try encodeClamp(q.outputRange, &w)
      case .lookup(let o, let table):
        opcode = .vlut
        try encodeUnary(o, &w)
        try w.put(table.byteOffset, UInt32.self, at: 50, "table")
      case .mean(let o, let q):
        opcode = .vmean
        try encodeUnary(o, &w)
        try encodeRequantize(q, &w)
        // issue 14: sum — byte 57, unused by `vrequant`, holds the `unsigned` flag.
        try w.put(q.unsignedBytes ? 1 : 0, UInt8.self, at: 57, "unsigned")
      case .copy(let o):
        opcode = .vcopy
        try encodeUnary(o, &w)
      // issue 14: vector binary/reduce
      // issue 14: PRELU / L2_NORMALIZATION
      case .l2Normalize(let o, let zeroPoint):
        opcode = .vl2norm
        try encodeUnary(o, &w)
        try w.put(Int(zeroPoint), Int8.self, at: 58, "in_zp")
      case .binary(let o, let f):
        opcode = .vbinary
        try encodeBinary(o, &w)
        try w.put(caseIndex(f.name), UInt8.self, at: 63, "fn")
        if case .squaredDifference(let q) = f { try encodeAddParameters(q, &w) }
        if case .prelu(let q) = f { try encodePreluParameters(q, &w) }
        // issue 14: vops
        if case .divide(let q) = f { try encodeDivideParameters(q, &w) }
        if case .less(let q) = f { try encodeComparisonParameters(q, &w) }
        if case .select(let c) = f { try encodeView(c, at: 42, "cond", &w) }
        try encodeClamp(f.clamp, &w)
      case .reduce(let o, let f, let q):
        opcode = .vreduce
        try encodeUnary(o, &w)
        try w.put(caseIndex(f), UInt8.self, at: 63, "fn")
        // issue 14: prod — fn=prod's parameters in `vrequant`'s bytes 50–62; a function and
        // parameters that do not belong together cannot be encoded.
        guard (f == .product) == (q != nil) else {
          throw ISAError(
            .encode, w.location, "vreduce fn=\(f.rawValue) \(q == nil ? "without" : "with") requantization parameters")
        }
        if let q { try encodeRequantize(q, &w) }
      case .maxPool(let p), .avgPool(let p):
        opcode = if case .maxPool = v { .vmaxpool } else { .vavgpool }
        try w.put(Int(p.clamp.lowerBound), Int8.self, at: 4, "clamp")
        try w.put(Int(p.clamp.upperBound), Int8.self, at: 5, "clamp")
        try encodeFeatureMap(p.input, p.window, &w)
        try encodeDestination(p.destination, at: 44, &w)
      // issue 14: resize
      case .resize(let z):
        opcode = .vresize
        try encodeResize(z, &w)
      // issue 14: lstm
      case .lstmCell(let l):
        opcode = .vlstm
        try encodeLSTMCell(l, &w)
      }
    case .host(let index):
      opcode = .host
      try w.put(index.value, UInt32.self, at: 4, "task")
    case .finish:
      opcode = .finish
    }
    try w.put(Int(opcode.rawValue), UInt8.self, at: 0, "opcode")
    var flags = Int(dependencies.rawValue)
    if let layer {
      flags |= 1 << 4
      try w.put(layer.value, UInt16.self, at: 2, "layer")
    }
    try w.put(flags, UInt8.self, at: 1, "flags")
  }

  private static func decode(_ r: inout FieldReader64) throws(ISAError) -> Instruction {
    let code = r.get(UInt8.self, at: 0)
    guard let opcode = Opcode(rawValue: UInt8(code)) else {
      throw r.error(at: 0, "unknown opcode \(code) (expected \(Opcode.validRanges))")
    }
    let flags = r.get(UInt8.self, at: 1)
    guard flags & 0xE0 == 0 else { throw r.error(at: 1, "reserved flag bits set in \(hex(flags))") }
    let layerValue = r.get(UInt16.self, at: 2)
    let layer: LayerIndex?
    if flags & 0x10 != 0 {
      layer = LayerIndex(layerValue)
    } else {
      guard layerValue == 0 else { throw r.error(at: 2, "layer field \(layerValue) set without the has-layer flag") }
      layer = nil
    }
    let dependencies = DependencyFlags(rawValue: UInt8(flags & 0x0F))
    let operation: Operation
    switch opcode {
    case .nop:
      operation = .nop(try r.choice(Queue.allCases, at: 4, "queue"))
    case .load, .store:
      let d = DMA2D(
        memory: try r.choice(OnChipMemory.allCases, at: 4, "memory"), sramAddress: SRAMAddress(r.get(UInt32.self, at: 20)),
        sramStrideBytes: r.get(UInt32.self, at: 24), dramAddress: DRAMAddress(try r.nonNegative64(at: 8, "DRAM address")),
        dramStrideBytes: r.get(UInt32.self, at: 16), rows: r.get(UInt32.self, at: 28), rowBytes: r.get(UInt32.self, at: 32),
        backing: try r.choice(BackingMemory.allCases, at: 5, "backing memory"))
      var transfer = d
      transfer.resident = try r.choice([false, true], at: 6, "resident flag")
      transfer.hostLink = try r.choice([false, true], at: 7, "host_link flag")
      operation = opcode == .load ? .load(transfer) : .store(transfer)
    case .loadWeights:
      let packing = try r.choice(WeightPacking.allCases, at: 5, "weight packing")
      // A level table only with `ternary-grouped`; other packings leave bytes 20–27 zero.
      let levels =
        packing.hasLevels
        ? GroupLevels(
          address: SRAMAddress(r.get(UInt32.self, at: 20)), group: r.get(UInt16.self, at: 24),
          phase: r.get(UInt16.self, at: 26)) : nil
      operation = .loadWeights(
        LoadWeights(
          slot: try r.choice(WeightSlot.allCases, at: 4, "weight slot"), wbAddress: SRAMAddress(r.get(UInt32.self, at: 8)),
          rows: r.get(UInt16.self, at: 12), columns: r.get(UInt16.self, at: 14), rowStrideBytes: r.get(UInt32.self, at: 16),
          packing: packing, levels: levels))
    case .matmul:
      let slot = try r.choice(WeightSlot.allCases, at: 4, "weight slot")
      let accumulate = try r.choice([false, true], at: 5, "accumulate flag")
      let dataflow = try r.choice(Matmul.Dataflow.allCases, at: 6, "dataflow")
      let (input, window) = decodeFeatureMap(&r)
      operation = .matmul(
        Matmul(
          input: input, window: window, inputZeroPoint: Int8(r.get(Int8.self, at: 7)), weightSlot: slot,
          columns: r.get(UInt16.self, at: 44), groups: r.get(UInt16.self, at: 46), accRow: AccumulatorRow(r.get(UInt32.self, at: 48)),
          accumulate: accumulate, dataflow: dataflow))
    case .activate:
      operation = .activate(
        Activate(
          accRow: AccumulatorRow(r.get(UInt32.self, at: 8)), height: r.get(UInt16.self, at: 12), width: r.get(UInt16.self, at: 14),
          columns: r.get(UInt16.self, at: 16), paramAddress: SRAMAddress(r.get(UInt32.self, at: 20)),
          mode: try r.choice(RequantMode.allCases, at: 4, "requantization mode"), outputZeroPoint: Int8(r.get(Int8.self, at: 5)),
          clamp: try r.clamp(at: 6), destination: decodeDestination(at: 24, &r)))
    case .vadd, .vsub:
      let o = decodeBinary(&r)
      let q = decodeAddParameters(&r, clamp: try r.clamp(at: 61))
      operation = .vector(opcode == .vadd ? .add(o, q) : .sub(o, q))
    case .vmul:
      let o = decodeBinary(&r)
      operation = .vector(
        .mul(
          o,
          MulParameters(
            aZeroPoint: Int8(r.get(Int8.self, at: 58)), bZeroPoint: Int8(r.get(Int8.self, at: 59)),
            outputZeroPoint: Int8(r.get(Int8.self, at: 60)), outputMultiplier: Int32(r.get(Int32.self, at: 50)),
            outputShift: r.get(Int8.self, at: 56), clamp: try r.clamp(at: 61))))
    case .vrequant:
      operation = .vector(.requantize(decodeUnary(&r), try decodeRequantize(&r)))
    case .vcopy:
      operation = .vector(.copy(decodeUnary(&r)))
    case .vlut:
      let o = decodeUnary(&r)
      operation = .vector(.lookup(o, table: SRAMAddress(r.get(UInt32.self, at: 50))))
    case .vmean:
      let o = decodeUnary(&r)
      var q = try decodeRequantize(&r)
      q.unsignedBytes = try r.choice([false, true], at: 57, "unsigned")  // issue 14: sum
      operation = .vector(.mean(o, q))
    case .vsoftmax:
      let o = decodeUnary(&r)
      operation = .vector(
        .softmax(
          o,
          SoftmaxParameters(
            inputMultiplier: Int32(r.get(Int32.self, at: 50)), inputShift: r.get(UInt8.self, at: 56),
            diffMin: Int32(r.get(Int32.self, at: 42)), outputRange: try r.clamp(at: 61))))
    case .vmaxpool, .vavgpool:
      let clamp = try r.clamp(at: 4)
      let (input, window) = decodeFeatureMap(&r)
      let pool = Pool(input: input, window: window, destination: decodeDestination(at: 44, &r), clamp: clamp)
      operation = .vector(opcode == .vmaxpool ? .maxPool(pool) : .avgPool(pool))
    // issue 14: resize
    case .vresize:
      operation = .vector(.resize(try decodeResize(&r)))
    // issue 14: vector binary/reduce
    // issue 14: PRELU / L2_NORMALIZATION
    case .vl2norm:
      operation = .vector(.l2Normalize(decodeUnary(&r), inputZeroPoint: Int8(r.get(Int8.self, at: 58))))
    case .vbinary:
      let o = decodeBinary(&r)
      let name = try r.choice(BinaryFunction.Name.allCases, at: 63, "binary function")
      let clamp = try r.clamp(at: 61)
      switch name {
      case .squaredDifference: operation = .vector(.binary(o, .squaredDifference(decodeAddParameters(&r, clamp: clamp))))
      case .maximum: operation = .vector(.binary(o, .maximum(clamp: clamp)))
      case .minimum: operation = .vector(.binary(o, .minimum(clamp: clamp)))
      case .prelu: operation = .vector(.binary(o, .prelu(decodePreluParameters(&r, clamp: clamp))))
      // issue 14: vops
      case .divide: operation = .vector(.binary(o, .divide(decodeDivideParameters(&r, clamp: clamp))))
      case .select:
        guard clamp == -128...127 else { throw r.error(at: 61, "select with clamp \(clamp); expected -128...127") }
        operation = .vector(.binary(o, .select(condition: decodeView(at: 42, &r))))
      case .less, .logicalAnd:
        guard clamp == 0...1 else {
          throw r.error(at: 61, "bool function \(name.rawValue) with clamp \(clamp); expected 0...1")
        }
        operation = .vector(.binary(o, name == .less ? .less(decodeComparisonParameters(&r)) : .logicalAnd))
      }
    case .vreduce:
      let o = decodeUnary(&r)
      let f = try r.choice(ReduceFunction.allCases, at: 63, "reduce function")
      operation = .vector(.reduce(o, f, f == .product ? try decodeRequantize(&r) : nil))  // issue 14: prod
    // issue 14: lstm
    case .vlstm:
      operation = .vector(.lstmCell(try decodeLSTMCell(&r)))
    case .host:
      operation = .host(HostTaskIndex(r.get(UInt32.self, at: 4)))
    case .finish:
      operation = .finish
    }
    return Instruction(operation, dependencies: dependencies, layer: layer)
  }
}

/// The position of `value` in `allCases`: its encoding.
func caseIndex<T: CaseIterable & Equatable>(_ value: T) -> Int { Array(T.allCases).firstIndex(of: value) ?? 0 }

/// Opcodes (byte 0 of an encoded instruction). New opcodes are appended so that existing
/// encodings keep their numbers.
enum Opcode: UInt8, CaseIterable {
  case nop = 0, load, store, loadWeights, matmul, activate, vadd, vsub, vmul, vmaxpool, vavgpool, vrequant, vcopy, host,
    finish, vsoftmax, vmean, vlut
  // issue 14: resize (explicit raw values 20–23)
  case vresize = 20
  // issue 14: vector binary/reduce
  case vbinary = 24, vreduce
  // issue 14: PRELU / L2_NORMALIZATION
  case vl2norm = 26
  // issue 14: lstm
  case vlstm = 27

  /// The assigned opcodes as ranges, e.g. `0...17, 24` (numbers may be reserved in between).
  static var validRanges: String {
    var runs: [ClosedRange<UInt8>] = []
    for code in allCases.map(\.rawValue).sorted() {
      if let last = runs.last, last.upperBound + 1 == code {
        runs[runs.count - 1] = last.lowerBound...code
      } else {
        runs.append(code...code)
      }
    }
    return runs.map { $0.count == 1 ? "\($0.lowerBound)" : "\($0.lowerBound)...\($0.upperBound)" }.joined(separator: ", ")
  }
}

// MARK: Shared field groups

private func encodeFeatureMap(_ f: FeatureMap, _ win: Window, _ w: inout FieldWriter) throws(ISAError) {
  try w.put(f.address.byteOffset, UInt32.self, at: 8, "ub")
  try w.put(f.height, UInt16.self, at: 12, "h")
  try w.put(f.width, UInt16.self, at: 14, "w")
  try w.put(f.pixelStrideBytes, UInt32.self, at: 16, "ps")
  try w.put(f.channelOffset, UInt16.self, at: 20, "c")
  try w.put(f.channelCount, UInt16.self, at: 22, "c")
  try w.put(win.outHeight, UInt16.self, at: 24, "out")
  try w.put(win.outWidth, UInt16.self, at: 26, "out")
  try w.put(win.kernelHeight, UInt16.self, at: 28, "k")
  try w.put(win.kernelWidth, UInt16.self, at: 30, "k")
  try w.put(win.strideHeight, UInt16.self, at: 32, "s")
  try w.put(win.strideWidth, UInt16.self, at: 34, "s")
  try w.put(win.dilationHeight, UInt16.self, at: 36, "d")
  try w.put(win.dilationWidth, UInt16.self, at: 38, "d")
  try w.put(win.padTop, Int16.self, at: 40, "pad")
  try w.put(win.padLeft, Int16.self, at: 42, "pad")
}

private func decodeFeatureMap(_ r: inout FieldReader64) -> (FeatureMap, Window) {
  (
    FeatureMap(
      address: SRAMAddress(r.get(UInt32.self, at: 8)), height: r.get(UInt16.self, at: 12), width: r.get(UInt16.self, at: 14),
      pixelStrideBytes: r.get(UInt32.self, at: 16), channelOffset: r.get(UInt16.self, at: 20),
      channelCount: r.get(UInt16.self, at: 22)),
    Window(
      outHeight: r.get(UInt16.self, at: 24), outWidth: r.get(UInt16.self, at: 26), kernelHeight: r.get(UInt16.self, at: 28),
      kernelWidth: r.get(UInt16.self, at: 30), strideHeight: r.get(UInt16.self, at: 32), strideWidth: r.get(UInt16.self, at: 34),
      dilationHeight: r.get(UInt16.self, at: 36), dilationWidth: r.get(UInt16.self, at: 38), padTop: r.get(Int16.self, at: 40),
      padLeft: r.get(Int16.self, at: 42))
  )
}

private func encodeDestination(_ d: PixelDestination, at offset: Int, _ w: inout FieldWriter) throws(ISAError) {
  try w.put(d.address.byteOffset, UInt32.self, at: offset, "dst")
  try w.put(d.pixelStrideBytes, UInt32.self, at: offset + 4, "dst_ps")
  try w.put(d.rowStrideBytes, UInt32.self, at: offset + 8, "dst_rs")
}

private func decodeDestination(at offset: Int, _ r: inout FieldReader64) -> PixelDestination {
  PixelDestination(
    address: SRAMAddress(r.get(UInt32.self, at: offset)), pixelStrideBytes: r.get(UInt32.self, at: offset + 4),
    rowStrideBytes: r.get(UInt32.self, at: offset + 8))
}

private func encodeView(_ v: VectorView, at offset: Int, _ name: String, _ w: inout FieldWriter) throws(ISAError) {
  try w.put(v.address.byteOffset, UInt32.self, at: offset, name)
  try w.put(v.outerStrideBytes, UInt32.self, at: offset + 4, name)
  try w.put(v.innerStrideBytes, UInt16.self, at: offset + 8, name)
}

private func decodeView(at offset: Int, _ r: inout FieldReader64) -> VectorView {
  VectorView(
    address: SRAMAddress(r.get(UInt32.self, at: offset)), outerStrideBytes: r.get(UInt32.self, at: offset + 4),
    innerStrideBytes: r.get(UInt16.self, at: offset + 8))
}

private func encodeBinary(_ o: BinaryOperands, _ w: inout FieldWriter) throws(ISAError) {
  try w.put(o.outer, UInt32.self, at: 4, "size")
  try w.put(o.inner, UInt32.self, at: 8, "size")
  try encodeView(o.a, at: 12, "a", &w)
  try encodeView(o.b, at: 22, "b", &w)
  try encodeView(o.output, at: 32, "out", &w)
}

private func decodeBinary(_ r: inout FieldReader64) -> BinaryOperands {
  BinaryOperands(
    a: decodeView(at: 12, &r), b: decodeView(at: 22, &r), output: decodeView(at: 32, &r), outer: r.get(UInt32.self, at: 4),
    inner: r.get(UInt32.self, at: 8))
}

private func encodeUnary(_ o: UnaryOperands, _ w: inout FieldWriter) throws(ISAError) {
  try w.put(o.outer, UInt32.self, at: 4, "size")
  try w.put(o.inner, UInt32.self, at: 8, "size")
  try encodeView(o.source, at: 12, "src", &w)
  try encodeView(o.output, at: 32, "out", &w)
}

private func decodeUnary(_ r: inout FieldReader64) -> UnaryOperands {
  UnaryOperands(
    source: decodeView(at: 12, &r), output: decodeView(at: 32, &r), outer: r.get(UInt32.self, at: 4),
    inner: r.get(UInt32.self, at: 8))
}

/// `vrequant` and `vmean` parameters: one layout for both.
private func encodeRequantize(_ q: RequantizeParameters, _ w: inout FieldWriter) throws(ISAError) {
  try w.put(Int(q.multiplier), Int32.self, at: 50, "mult")
  try w.put(q.shift, Int8.self, at: 56, "shift")
  try w.put(Int(q.inputZeroPoint), Int8.self, at: 58, "in_zp")
  try w.put(Int(q.outputZeroPoint), Int8.self, at: 60, "out_zp")
  try encodeClamp(q.clamp, &w)
}

private func decodeRequantize(_ r: inout FieldReader64) throws(ISAError) -> RequantizeParameters {
  RequantizeParameters(
    inputZeroPoint: Int8(r.get(Int8.self, at: 58)), outputZeroPoint: Int8(r.get(Int8.self, at: 60)),
    multiplier: Int32(r.get(Int32.self, at: 50)), shift: r.get(Int8.self, at: 56), clamp: try r.clamp(at: 61))
}

// issue 14: vector binary/reduce
/// The rescaling fields of `vadd`/`vsub` and `vbinary fn=sqdiff` (bytes 42–60).
private func encodeAddParameters(_ q: AddParameters, _ w: inout FieldWriter) throws(ISAError) {
  try w.put(Int(q.aMultiplier), Int32.self, at: 42, "a_mult")
  try w.put(Int(q.bMultiplier), Int32.self, at: 46, "b_mult")
  try w.put(Int(q.outputMultiplier), Int32.self, at: 50, "out_mult")
  try w.put(q.aShift, Int8.self, at: 54, "a_shift")
  try w.put(q.bShift, Int8.self, at: 55, "b_shift")
  try w.put(q.outputShift, Int8.self, at: 56, "out_shift")
  try w.put(q.leftShift, UInt8.self, at: 57, "lshift")
  try w.put(Int(q.aZeroPoint), Int8.self, at: 58, "a_zp")
  try w.put(Int(q.bZeroPoint), Int8.self, at: 59, "b_zp")
  try w.put(Int(q.outputZeroPoint), Int8.self, at: 60, "out_zp")
}

private func decodeAddParameters(_ r: inout FieldReader64, clamp: ClosedRange<Int8>) -> AddParameters {
  AddParameters(
    aZeroPoint: Int8(r.get(Int8.self, at: 58)), bZeroPoint: Int8(r.get(Int8.self, at: 59)),
    outputZeroPoint: Int8(r.get(Int8.self, at: 60)), leftShift: r.get(UInt8.self, at: 57),
    aMultiplier: Int32(r.get(Int32.self, at: 42)), aShift: r.get(Int8.self, at: 54),
    bMultiplier: Int32(r.get(Int32.self, at: 46)), bShift: r.get(Int8.self, at: 55),
    outputMultiplier: Int32(r.get(Int32.self, at: 50)), outputShift: r.get(Int8.self, at: 56), clamp: clamp)
}

/// `vbinary fn=prelu`'s fields, in the slots `sqdiff` uses for the same kinds of values
/// (multipliers at 42 and 46, shifts at 54 and 55, zero points at 58–60).
private func encodePreluParameters(_ q: PreluParameters, _ w: inout FieldWriter) throws(ISAError) {
  try w.put(Int(q.positiveMultiplier), Int32.self, at: 42, "pos_mult")
  try w.put(Int(q.negativeMultiplier), Int32.self, at: 46, "neg_mult")
  try w.put(q.positiveShift, Int8.self, at: 54, "pos_shift")
  try w.put(q.negativeShift, Int8.self, at: 55, "neg_shift")
  try w.put(Int(q.inputZeroPoint), Int8.self, at: 58, "in_zp")
  try w.put(Int(q.alphaZeroPoint), Int8.self, at: 59, "alpha_zp")
  try w.put(Int(q.outputZeroPoint), Int8.self, at: 60, "out_zp")
}

private func decodePreluParameters(_ r: inout FieldReader64, clamp: ClosedRange<Int8>) -> PreluParameters {
  PreluParameters(
    inputZeroPoint: Int8(r.get(Int8.self, at: 58)), alphaZeroPoint: Int8(r.get(Int8.self, at: 59)),
    outputZeroPoint: Int8(r.get(Int8.self, at: 60)), positiveMultiplier: Int32(r.get(Int32.self, at: 42)),
    positiveShift: r.get(Int8.self, at: 54), negativeMultiplier: Int32(r.get(Int32.self, at: 46)),
    negativeShift: r.get(Int8.self, at: 55), clamp: clamp)
}

// issue 14: vops
/// `vbinary fn=div`'s fields, in the slots `vrequant` uses for its multiplier (50) and shift (56),
/// and `sqdiff`'s zero points (58–60).
private func encodeDivideParameters(_ q: DivideParameters, _ w: inout FieldWriter) throws(ISAError) {
  try w.put(Int(q.multiplier), Int32.self, at: 50, "mult")
  try w.put(q.shift, Int8.self, at: 56, "shift")
  try w.put(Int(q.aZeroPoint), Int8.self, at: 58, "a_zp")
  try w.put(Int(q.bZeroPoint), Int8.self, at: 59, "b_zp")
  try w.put(Int(q.outputZeroPoint), Int8.self, at: 60, "out_zp")
}

private func decodeDivideParameters(_ r: inout FieldReader64, clamp: ClosedRange<Int8>) -> DivideParameters {
  DivideParameters(
    aZeroPoint: Int8(r.get(Int8.self, at: 58)), bZeroPoint: Int8(r.get(Int8.self, at: 59)),
    outputZeroPoint: Int8(r.get(Int8.self, at: 60)), multiplier: Int32(r.get(Int32.self, at: 50)),
    shift: r.get(Int8.self, at: 56), clamp: clamp)
}

/// `vbinary fn=less`'s fields, in the slots `sqdiff` uses for its input rescaling (42/46
/// multipliers, 54/55 shifts, 57 left shift, 58/59 zero points).
private func encodeComparisonParameters(_ q: ComparisonParameters, _ w: inout FieldWriter) throws(ISAError) {
  try w.put(Int(q.aMultiplier), Int32.self, at: 42, "a_mult")
  try w.put(Int(q.bMultiplier), Int32.self, at: 46, "b_mult")
  try w.put(q.aShift, Int8.self, at: 54, "a_shift")
  try w.put(q.bShift, Int8.self, at: 55, "b_shift")
  try w.put(q.leftShift, UInt8.self, at: 57, "lshift")
  try w.put(Int(q.aZeroPoint), Int8.self, at: 58, "a_zp")
  try w.put(Int(q.bZeroPoint), Int8.self, at: 59, "b_zp")
}

private func decodeComparisonParameters(_ r: inout FieldReader64) -> ComparisonParameters {
  ComparisonParameters(
    aZeroPoint: Int8(r.get(Int8.self, at: 58)), bZeroPoint: Int8(r.get(Int8.self, at: 59)),
    leftShift: r.get(UInt8.self, at: 57), aMultiplier: Int32(r.get(Int32.self, at: 42)),
    aShift: r.get(Int8.self, at: 54), bMultiplier: Int32(r.get(Int32.self, at: 46)), bShift: r.get(Int8.self, at: 55))
}

private func encodeClamp(_ c: ClosedRange<Int8>, _ w: inout FieldWriter) throws(ISAError) {
  try w.put(Int(c.lowerBound), Int8.self, at: 61, "clamp")
  try w.put(Int(c.upperBound), Int8.self, at: 62, "clamp")
}

// issue 14: lstm
/// `vlstm`: sizes u16 at 4 and 6, views gates 8, cell 22, hidden 32 (address u32, outer stride
/// u32, inner stride u16), gate stride u32 at 18, hidden multiplier i32 at 42, hidden shift i8
/// at 46, hidden zero point i8 at 47, log2 cell scale i8 at 48, CIFG flag u8 at 49, cell clip
/// i16 at 50.
private func encodeLSTMCell(_ l: LSTMCell, _ w: inout FieldWriter) throws(ISAError) {
  try w.put(l.outer, UInt16.self, at: 4, "size")
  try w.put(l.inner, UInt16.self, at: 6, "size")
  try encodeView(l.gates, at: 8, "gates", &w)
  try w.put(l.gateStrideBytes, UInt32.self, at: 18, "gate_stride")
  try encodeView(l.cell, at: 22, "cell", &w)
  try encodeView(l.hidden, at: 32, "hidden", &w)
  let p = l.parameters
  try w.put(Int(p.hiddenMultiplier), Int32.self, at: 42, "h_mult")
  try w.put(p.hiddenShift, Int8.self, at: 46, "h_shift")
  try w.put(Int(p.hiddenZeroPoint), Int8.self, at: 47, "h_zp")
  try w.put(p.cellScaleLog2, Int8.self, at: 48, "cell_log2")
  try w.put(p.coupledInputForget ? 1 : 0, UInt8.self, at: 49, "cifg")
  try w.put(Int(p.cellClip), Int16.self, at: 50, "clip")
}

private func decodeLSTMCell(_ r: inout FieldReader64) throws(ISAError) -> LSTMCell {
  let cifg = try r.choice([false, true], at: 49, "CIFG flag")
  let p = LSTMCellParameters(
    cellScaleLog2: r.get(Int8.self, at: 48), cellClip: Int16(r.get(Int16.self, at: 50)),
    hiddenMultiplier: Int32(r.get(Int32.self, at: 42)), hiddenShift: r.get(Int8.self, at: 46),
    hiddenZeroPoint: Int8(r.get(Int8.self, at: 47)), coupledInputForget: cifg)
  return LSTMCell(
    gates: decodeView(at: 8, &r), gateStrideBytes: r.get(UInt32.self, at: 18), cell: decodeView(at: 22, &r),
    hidden: decodeView(at: 32, &r), outer: r.get(UInt16.self, at: 4), inner: r.get(UInt16.self, at: 6), parameters: p)
}

// MARK: Byte-level helpers

/// Writes range-checked little-endian fields into a zeroed 64-byte instruction.
struct FieldWriter {
  var bytes = [UInt8](repeating: 0, count: Instruction.encodedSize)
  let location: String

  mutating func put<T: FixedWidthInteger>(_ value: Int, _ type: T.Type, at offset: Int, _ field: String) throws(ISAError) {
    guard let narrow = T(exactly: value) else {
      throw ISAError(
        .encode, location, "field '\(field)' = \(value) does not fit \(T.isSigned ? "i" : "u")\(T.bitWidth) (\(T.min)...\(T.max))")
    }
    let bits = UInt64(truncatingIfNeeded: narrow)
    for i in 0..<T.bitWidth / 8 { bytes[offset + i] = UInt8(truncatingIfNeeded: bits >> (8 * UInt64(i))) }
  }
}

/// Reads little-endian fields of one 64-byte instruction, remembering which bytes were read so
/// that every other byte can be required to be zero.
struct FieldReader64 {
  let bytes: [UInt8]
  let base: Int
  private var used = [Bool](repeating: false, count: Instruction.encodedSize)

  init(bytes: [UInt8], base: Int) {
    self.bytes = bytes
    self.base = base
  }

  func error(at offset: Int, _ message: String) -> ISAError {
    ISAError(.decode, formatOffset(base + offset), message)
  }

  /// The field of type `T` at `offset`, sign- or zero-extended to `Int`.
  mutating func get<T: FixedWidthInteger>(_ type: T.Type, at offset: Int) -> Int {
    var bits: UInt64 = 0
    for i in 0..<T.bitWidth / 8 {
      bits |= UInt64(bytes[base + offset + i]) << (8 * UInt64(i))
      used[offset + i] = true
    }
    return Int(T(truncatingIfNeeded: bits))
  }

  mutating func nonNegative64(at offset: Int, _ what: String) throws(ISAError) -> Int {
    var bits: UInt64 = 0
    for i in 0..<8 {
      bits |= UInt64(bytes[base + offset + i]) << (8 * UInt64(i))
      used[offset + i] = true
    }
    guard bits <= UInt64(Int.max) else { throw error(at: offset, "\(what) \(bits) exceeds \(Int.max)") }
    return Int(bits)
  }

  mutating func choice<T>(_ cases: [T], at offset: Int, _ what: String) throws(ISAError) -> T {
    let v = get(UInt8.self, at: offset)
    guard v < cases.count else { throw error(at: offset, "\(what) \(v) out of 0...\(cases.count - 1)") }
    return cases[v]
  }

  mutating func clamp(at offset: Int) throws(ISAError) -> ClosedRange<Int8> {
    let lo = Int8(get(Int8.self, at: offset))
    let hi = Int8(get(Int8.self, at: offset + 1))
    guard lo <= hi else { throw error(at: offset, "clamp minimum \(lo) exceeds maximum \(hi)") }
    return lo...hi
  }

  func requireUnusedZero() throws(ISAError) {
    for i in 0..<Instruction.encodedSize where !used[i] && bytes[base + i] != 0 {
      throw error(at: i, "reserved byte is \(hex(Int(bytes[base + i]))), expected 0")
    }
  }
}
