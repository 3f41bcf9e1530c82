import Support

/// The binary container of a whole program: a header, the tables, the DRAM image, then the
/// instruction stream as 64-byte instructions. `docs/isa.md` §"Binary encoding" specifies it.
extension TileProgram {
  /// The four magic bytes, `STIS` (Systole tile instruction stream).
  public static let encodingMagic: [UInt8] = Array("STIS".utf8)
  /// The container version this code writes and reads.
  public static let encodingVersion = 1

  /// The program's binary form.
  ///
  /// - Throws: `ISAError` `.encode` when an instruction field does not fit its encoding, or a
  ///   table has more than 2³² − 1 entries.
  public func encoded() throws(ISAError) -> [UInt8] {
    var out = ContainerWriter()
    out.bytes += Self.encodingMagic
    out.u16(Self.encodingVersion)
    out.u8(caseIndex(datapath))
    out.u8(
      (tiles.isEmpty ? 0 : Self.hasTileTableFlag) | (arenaSize.count == 0 ? 0 : Self.hasArenaFlag)
        | (hostTasks.isEmpty ? 0 : Self.hasHostOperationsFlag))
    out.i64(dramSize.count)
    out.i64(limits.unifiedBuffer.count)
    out.i64(limits.weightBuffer.count)
    out.i64(Int64(limits.accumulatorRows))
    out.i64(Int64(limits.arrayRows))
    out.i64(Int64(limits.arrayColumns))
    for count in [layers.count, hostTasks.count, inputs.count, outputs.count, dramImage.segments.count, instructions.count] {
      try out.count(count)
    }
    let offsetField = out.bytes.count
    out.i64(0)  // instruction-stream offset, patched below
    if arenaSize.count != 0 { out.i64(arenaSize.count) }
    for layer in layers {
      try out.string(layer.name)
      try out.string(layer.opName)
    }
    for task in hostTasks {
      try out.string(task.name)
      for ranges in [task.reads, task.writes] {
        try out.count(ranges.count)
        for range in ranges {
          out.i64(Int64(range.start.byteOffset))
          out.i64(Int64(range.byteCount))
        }
      }
      out.i64(Int64(task.operations))
    }
    for binding in inputs + outputs {
      try out.string(binding.name)
      out.u8(caseIndex(binding.elementType))
      try out.count(binding.shape.count)
      for d in binding.shape { out.i64(Int64(d)) }
      out.i64(Int64(binding.address.byteOffset))
    }
    for segment in dramImage.segments {
      out.i64(Int64(segment.address.byteOffset))
      out.i64(Int64(segment.bytes.count))
      out.bytes += segment.bytes
    }
    if !tiles.isEmpty { try writeTileTable(&out) }
    while out.bytes.count % Instruction.encodedSize != 0 { out.u8(0) }
    let streamOffset = out.bytes.count
    for i in 0..<8 { out.bytes[offsetField + i] = UInt8(truncatingIfNeeded: streamOffset >> (8 * i)) }
    out.bytes.reserveCapacity(streamOffset + instructions.count * Instruction.encodedSize)
    for (index, instruction) in instructions.enumerated() {
      do {
        out.bytes += try instruction.encoded()
      } catch {
        throw ISAError(.encode, "instruction #\(index) (\(instruction.mnemonic))", error.message)
      }
    }
    return out.bytes
  }

  /// Decodes a program from its binary form.
  ///
  /// - Throws: `ISAError` `.decode` naming the byte offset of the first malformed field.
  public init(decoding bytes: [UInt8]) throws(ISAError) {
    var r = ContainerReader(bytes: bytes)
    let magic = try r.take(4, "magic")
    guard Array(magic) == Self.encodingMagic else {
      throw ISAError(.decode, formatOffset(0), "expected the magic bytes 'STIS'")
    }
    let versionOffset = r.offset
    let version = try r.u16("version")
    guard version == Self.encodingVersion else {
      throw ISAError(.decode, formatOffset(versionOffset), "unsupported version \(version) (expected \(Self.encodingVersion))")
    }
    let datapath = try r.choice(TileProgram.Datapath.allCases, "datapath")
    let flagsOffset = r.offset
    let flags = try r.u8("flags")
    guard flags & ~(Self.hasTileTableFlag | Self.hasArenaFlag | Self.hasHostOperationsFlag) == 0 else {
      throw ISAError(.decode, formatOffset(flagsOffset), "reserved flag bits set in \(hex(flags))")
    }
    let dramSize = try r.i64("DRAM size")
    let ub = try r.i64("unified buffer size")
    let wb = try r.i64("weight buffer size")
    let accRows = try r.int("accumulator rows")
    let arrayRows = try r.int("array rows")
    let arrayColumns = try r.int("array columns")
    let layerCount = try r.count("layer count", minimumBytesEach: 8)
    let hostCount = try r.count("host task count", minimumBytesEach: 12)
    let inputCount = try r.count("input count", minimumBytesEach: 17)
    let outputCount = try r.count("output count", minimumBytesEach: 17)
    let segmentCount = try r.count("segment count", minimumBytesEach: 16)
    let instructionCount = try r.count("instruction count", minimumBytesEach: Instruction.encodedSize)
    let streamFieldOffset = r.offset
    let streamOffset = try r.i64("instruction-stream offset")
    var arenaSize: Int64 = 0
    if flags & Self.hasArenaFlag != 0 {
      let arenaOffset = r.offset
      arenaSize = try r.i64("arena size")
      guard arenaSize > 0 else {
        throw ISAError(.decode, formatOffset(arenaOffset), "arena size \(arenaSize) with the arena flag set (expected > 0)")
      }
    }
    var layers: [LayerInfo] = []
    for _ in 0..<layerCount { layers.append(LayerInfo(name: try r.string("layer name"), opName: try r.string("layer op"))) }
    var hostTasks: [HostTask] = []
    for _ in 0..<hostCount {
      let name = try r.string("host task name")
      var lists: [[DRAMRange]] = []
      for what in ["host task reads", "host task writes"] {
        let n = try r.count("\(what) count", minimumBytesEach: 16)
        var list: [DRAMRange] = []
        for _ in 0..<n { list.append(DRAMRange(start: DRAMAddress(try r.int("range start")), byteCount: try r.int("range length"))) }
        lists.append(list)
      }
      var operations: Int? = nil
      if flags & Self.hasHostOperationsFlag != 0 {
        let operationsOffset = r.offset
        let n = try r.int("host task operations")
        guard n >= 0 else {
          throw ISAError(.decode, formatOffset(operationsOffset), "host task operations \(n) (expected ≥ 0)")
        }
        operations = n
      }
      hostTasks.append(HostTask(name: name, reads: lists[0], writes: lists[1], operations: operations))
    }
    var bindings: [IOBinding] = []
    for _ in 0..<(inputCount + outputCount) {
      let name = try r.string("binding name")
      let type = try r.choice(IOElementType.allCases, "element type")
      let rank = try r.count("rank", minimumBytesEach: 8)
      var shape: [Int] = []
      for _ in 0..<rank { shape.append(try r.int("dimension")) }
      bindings.append(IOBinding(name: name, elementType: type, shape: shape, address: DRAMAddress(try r.int("binding address"))))
    }
    var image = DRAMImage()
    for _ in 0..<segmentCount {
      let addressOffset = r.offset
      let address = try r.int("segment address")
      let length = try r.count64("segment length")
      let data = try r.take(length, "segment bytes")
      guard address >= 0, address <= Int.max - length else {
        throw ISAError(.decode, formatOffset(addressOffset), "segment address \(address) out of range")
      }
      image.write(Array(data), at: DRAMAddress(address))
    }
    var tiles: [Int: TileCoordinate] = [:]
    if flags & Self.hasTileTableFlag != 0 { tiles = try Self.readTileTable(&r, instructionCount: instructionCount) }
    while r.offset % Instruction.encodedSize != 0 {
      let padOffset = r.offset
      guard try r.u8("padding") == 0 else { throw ISAError(.decode, formatOffset(padOffset), "padding byte is not 0") }
    }
    guard streamOffset == Int64(r.offset) else {
      throw ISAError(.decode, formatOffset(streamFieldOffset), "instruction stream offset \(streamOffset), expected \(r.offset)")
    }
    let expectedEnd = r.offset + instructionCount * Instruction.encodedSize
    guard bytes.count == expectedEnd else {
      throw ISAError(
        .decode, formatOffset(min(bytes.count, expectedEnd)),
        "expected \(instructionCount) instructions ending at \(formatOffset(expectedEnd)), found \(bytes.count) bytes in all")
    }
    var instructions: [Instruction] = []
    instructions.reserveCapacity(instructionCount)
    for i in 0..<instructionCount {
      instructions.append(try Instruction(decoding: bytes, at: r.offset + i * Instruction.encodedSize))
    }
    self.init(
      datapath: datapath,
      limits: MemoryLimits(
        unifiedBuffer: ByteCount(ub), weightBuffer: ByteCount(wb), accumulatorRows: accRows, arrayRows: arrayRows,
        arrayColumns: arrayColumns),
      dramSize: ByteCount(dramSize), arenaSize: ByteCount(arenaSize), dramImage: image, layers: layers, hostTasks: hostTasks,
      inputs: Array(bindings[..<inputCount]), outputs: Array(bindings[inputCount...]), instructions: instructions,
      tiles: tiles)
  }

  /// Header byte 7, bit 0: a tile table follows the DRAM segments.
  static let hasTileTableFlag = 1
  /// Header byte 7, bit 1: an i64 arena size (> 0) follows the instruction-stream offset field.
  /// Programs without an arena leave it clear and encode exactly as before the arena existed.
  static let hasArenaFlag = 2
  /// Header byte 7, bit 2: every host-task entry ends with an i64 operation count (≥ 0). Without
  /// it (programs written before the count existed) a task counts one operation per byte read.
  static let hasHostOperationsFlag = 4
  /// Bytes per tile-table entry: u32 instruction index, u8 mask, three u32 components.
  static let tileEntryBytes = 17

  /// Writes the tile table: a u32 count, then per entry in increasing instruction order the
  /// instruction index, a mask of the components present (bit 0 m, 1 n, 2 k) and the three
  /// components (0 when absent).
  private func writeTileTable(_ out: inout ContainerWriter) throws(ISAError) {
    try out.count(tiles.count)
    for (index, tile) in tiles.sorted(by: { $0.key < $1.key }) {
      guard instructions.indices.contains(index) else {
        throw ISAError(.encode, "tile table", "entry for instruction #\(index), but the program has \(instructions.count) instructions")
      }
      try out.count(index)
      out.u8((tile.m != nil ? 1 : 0) | (tile.n != nil ? 2 : 0) | (tile.k != nil ? 4 : 0))
      for (name, value) in [("m", tile.m), ("n", tile.n), ("k", tile.k)] {
        guard let v = UInt32(exactly: value ?? 0) else {
          throw ISAError(.encode, "tile table", "instruction #\(index): tile \(name) = \(value ?? 0) does not fit u32")
        }
        appendLittleEndian(&out.bytes, v)
      }
    }
  }

  private static func readTileTable(_ r: inout ContainerReader, instructionCount: Int) throws(ISAError)
    -> [Int: TileCoordinate]
  {
    let count = try r.count("tile count", minimumBytesEach: tileEntryBytes)
    var tiles: [Int: TileCoordinate] = [:]
    tiles.reserveCapacity(count)
    var previous = -1
    for _ in 0..<count {
      let at = r.offset
      let index = Int(try r.unsigned(4, "tile instruction index"))
      guard index > previous, index < instructionCount else {
        throw ISAError(
          .decode, formatOffset(at),
          "tile entry for instruction #\(index): expected increasing indices below \(instructionCount)")
      }
      previous = index
      let maskOffset = r.offset
      let mask = try r.u8("tile mask")
      guard mask < 8 else { throw ISAError(.decode, formatOffset(maskOffset), "tile mask \(hex(mask)) has reserved bits set") }
      var components: [Int?] = []
      for bit in 0..<3 {
        let valueOffset = r.offset
        let v = Int(try r.unsigned(4, "tile component"))
        if mask & (1 << bit) != 0 {
          components.append(v)
        } else {
          guard v == 0 else { throw ISAError(.decode, formatOffset(valueOffset), "absent tile component is \(v), expected 0") }
          components.append(nil)
        }
      }
      tiles[index] = TileCoordinate(m: components[0], n: components[1], k: components[2])
    }
    return tiles
  }
}

/// Appends little-endian container fields.
private struct ContainerWriter {
  var bytes: [UInt8] = []

  mutating func u8(_ v: Int) { bytes.append(UInt8(truncatingIfNeeded: v)) }
  mutating func u16(_ v: Int) { appendLittleEndian(&bytes, UInt16(truncatingIfNeeded: v)) }
  mutating func i64(_ v: Int64) { appendLittleEndian(&bytes, v) }
  mutating func count(_ n: Int) throws(ISAError) {
    guard let v = UInt32(exactly: n) else { throw ISAError(.encode, "program", "table of \(n) entries exceeds 2³² − 1") }
    appendLittleEndian(&bytes, v)
  }
  mutating func string(_ s: String) throws(ISAError) {
    let utf8 = Array(s.utf8)
    try count(utf8.count)
    bytes += utf8
  }
}

/// Reads little-endian container fields, with errors naming the byte offset.
private struct ContainerReader {
  let bytes: [UInt8]
  var offset = 0

  mutating func take(_ n: Int, _ what: String) throws(ISAError) -> ArraySlice<UInt8> {
    guard n >= 0, n <= bytes.count - offset else {
      throw ISAError(.decode, formatOffset(offset), "expected \(n) bytes of \(what), found \(bytes.count - offset)")
    }
    defer { offset += n }
    return bytes[offset..<offset + n]
  }

  mutating func unsigned(_ n: Int, _ what: String) throws(ISAError) -> UInt64 {
    let slice = try take(n, what)
    var v: UInt64 = 0
    for (i, b) in slice.enumerated() { v |= UInt64(b) << (8 * UInt64(i)) }
    return v
  }

  mutating func u8(_ what: String) throws(ISAError) -> Int { Int(try unsigned(1, what)) }
  mutating func u16(_ what: String) throws(ISAError) -> Int { Int(try unsigned(2, what)) }
  mutating func i64(_ what: String) throws(ISAError) -> Int64 { Int64(bitPattern: try unsigned(8, what)) }
  mutating func int(_ what: String) throws(ISAError) -> Int { Int(try i64(what)) }

  /// A u32 entry count, rejected when the remaining bytes cannot hold that many entries.
  mutating func count(_ what: String, minimumBytesEach: Int) throws(ISAError) -> Int {
    let at = offset
    let n = Int(try unsigned(4, what))
    guard n <= (bytes.count - offset) / max(minimumBytesEach, 1) else {
      throw ISAError(.decode, formatOffset(at), "\(what) \(n) exceeds what the remaining \(bytes.count - offset) bytes can hold")
    }
    return n
  }

  /// A u64 length that must fit the remaining bytes.
  mutating func count64(_ what: String) throws(ISAError) -> Int {
    let at = offset
    let n = try unsigned(8, what)
    guard n <= UInt64(bytes.count - offset) else {
      throw ISAError(.decode, formatOffset(at), "\(what) \(n) exceeds the remaining \(bytes.count - offset) bytes")
    }
    return Int(n)
  }

  mutating func choice<T>(_ cases: [T], _ what: String) throws(ISAError) -> T {
    let at = offset
    let v = try u8(what)
    guard v < cases.count else { throw ISAError(.decode, formatOffset(at), "\(what) \(v) out of 0...\(cases.count - 1)") }
    return cases[v]
  }

  mutating func string(_ what: String) throws(ISAError) -> String {
    let n = try count("\(what) length", minimumBytesEach: 1)
    let at = offset
    let utf8 = try take(n, what)
    guard let s = String(validating: utf8, as: UTF8.self) else {
      throw ISAError(.decode, formatOffset(at), "\(what) is not valid UTF-8")
    }
    return s
  }
}
