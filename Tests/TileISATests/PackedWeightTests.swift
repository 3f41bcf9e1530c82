import Support
import Testing

@testable import TileISA

/// `load_weights … packing=int4|int2`: the executor unpacks the documented layout, assembly and
/// binary carry the field, and the checks size the tile by its packed bytes.
@Suite("packed weight tiles")
struct PackedWeightTests {
  /// Packs a K × N tile row by row the way docs/isa.md §3.2 lays it out: value n of row k at bit
  /// n·bits of the row's first byte, rows `stride` bytes apart.
  func pack(_ tile: [[Int8]], bits: Int, stride: Int) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: stride * tile.count)
    for (k, row) in tile.enumerated() {
      for (n, v) in row.enumerated() {
        let bit = n * bits
        out[k * stride + bit / 8] |= (UInt8(bitPattern: v) & UInt8((1 << bits) - 1)) << UInt8(bit % 8)
      }
    }
    return out
  }

  @Test("the executor unpacks int4 and int2 tiles, sign-extended, with odd widths and a row stride")
  func executorUnpacks() throws {
    for packing in [WeightPacking.int4, .int2] {
      let bits = packing.bits
      let range = -(1 << (bits - 1))...((1 << (bits - 1)) - 1)
      for (k, n) in [(1, 1), (3, 5), (16, 8), (7, 3)] {
        let tile: [[Int8]] = (0..<k).map { r in
          (0..<n).map { c in Int8(range.lowerBound + (r * 7 + c * 3) % range.count) }
        }
        let rowBytes = packing.rowBytes(columns: n)
        #expect(rowBytes == (n * bits + 7) / 8)
        let stride = rowBytes + 1  // a gap byte between rows must be skipped
        var m = try makeMachine()
        for (i, b) in pack(tile, bits: bits, stride: stride).enumerated() { m.weightBuffer[40 + i] = b }
        // Garbage in the gap bytes must not leak into the tile.
        for r in 0..<k { m.weightBuffer[40 + r * stride + rowBytes] = 0xFF }
        try run(
          .loadWeights(
            LoadWeights(slot: .second, wbAddress: 40, rows: k, columns: n, rowStrideBytes: stride, packing: packing)),
          on: &m)
        let slot = m.weightSlots[1]
        #expect(slot.rows == k && slot.columns == n)
        #expect(slot.values == tile.flatMap { $0.map(Int16.init) }, "\(packing) \(k)×\(n)")
      }
    }
  }

  @Test("int4 nibble order: the first value is the low nibble (0xF1 = [1, −1]); int2: codes 01, 00, 11 = 1, 0, −1")
  func exactLayout() throws {
    var m = try makeMachine()
    m.weightBuffer[0] = 0xF1
    m.weightBuffer[1] = 0x87
    try run(.loadWeights(LoadWeights(slot: .first, wbAddress: 0, rows: 1, columns: 4, packing: .int4)), on: &m)
    #expect(m.weightSlots[0].values == [1, -1, 7, -8])
    m.weightBuffer[0] = 0b1110_0001  // crumbs from bit 0: 01, 00, 10, 11
    try run(.loadWeights(LoadWeights(slot: .first, wbAddress: 0, rows: 1, columns: 4, packing: .int2)), on: &m)
    #expect(m.weightSlots[0].values == [1, 0, -2, -1])
  }

  @Test("a packed tile is checked against the weight buffer by its packed extent")
  func extentIsPacked() throws {
    // 16 rows × 8 int4 columns = 4 bytes a row: the tile ends exactly at the 4 KiB buffer's end.
    let fits = LoadWeights(slot: .first, wbAddress: SRAMAddress(4096 - 64), rows: 16, columns: 8, packing: .int4)
    #expect(fits.rowStrideBytes == 4)
    var m = try makeMachine()
    try run(.loadWeights(fits), on: &m)
    let over = LoadWeights(slot: .first, wbAddress: SRAMAddress(4096 - 63), rows: 16, columns: 8, packing: .int4)
    #expect(throws: ISAError.self) { try run(.loadWeights(over), on: &m) }
    // The same tile unpacked needs 8 bytes a row.
    let unpacked = LoadWeights(slot: .first, wbAddress: SRAMAddress(4096 - 64), rows: 16, columns: 8)
    #expect(throws: ISAError.self) { try run(.loadWeights(unpacked), on: &m) }
    let reads = Instruction(.loadWeights(fits)).uncheckedMemoryAccesses(
      limits: smallLimits, datapath: .int8, hostTasks: [])
    #expect(reads.count == 1 && reads[0].ranges == [4032..<4096])
  }

  @Test("packed weights need the int8 datapath")
  func floatDatapathRejectsPacking() throws {
    var m = try MachineState(limits: smallLimits, datapath: .float32, dramSize: 4096)
    let error = #expect(throws: ISAError.self) {
      try run(.loadWeights(LoadWeights(slot: .first, wbAddress: 0, rows: 2, columns: 2, packing: .int2)), on: &m)
    }
    #expect(error?.description.contains("int2 weights need the int8 datapath; this program is float32") == true)
  }

  @Test("assembly prints packing= only for packed tiles and reads it back; the binary keeps it in byte 5")
  func assemblyAndEncoding() throws {
    let line = "load_weights slot=1 wb=0x40 rows=3 cols=5 stride=3 packing=int4 deps=pop_prev"
    let instruction = try Instruction(parsingAssembly: line)
    #expect(instruction.assembly() == line)
    guard case .loadWeights(let w) = instruction.operation else {
      Issue.record("expected load_weights")
      return
    }
    #expect(w.packing == .int4 && w.rowStrideBytes == 3 && w.columns == 5)
    let plain = try Instruction(parsingAssembly: "load_weights slot=0 wb=0x0 rows=2 cols=2 stride=2")
    #expect(plain.assembly() == "load_weights slot=0 wb=0x0 rows=2 cols=2 stride=2")
    for (packing, code) in [(WeightPacking.int8, 0), (.int4, 1), (.int2, 2)] {
      let i = Instruction(.loadWeights(LoadWeights(slot: .first, wbAddress: 8, rows: 4, columns: 6, packing: packing)))
      let bytes = try i.encoded()
      #expect(bytes[5] == UInt8(code), "\(packing)")
      #expect(try Instruction(decoding: bytes, at: 0) == i)
    }
    var bad = try Instruction(.loadWeights(LoadWeights(slot: .first, wbAddress: 8, rows: 4, columns: 6))).encoded()
    bad[5] = 4
    let error = #expect(throws: ISAError.self) { try Instruction(decoding: bad, at: 0) }
    #expect(error?.description == "@0x5: weight packing 4 out of 0...3")
    let parse = #expect(throws: ISAError.self) {
      try Instruction(parsingAssembly: "load_weights slot=0 wb=0x0 rows=2 cols=2 stride=2 packing=int3")
    }
    #expect(parse?.description.contains("expected one of 'int8', 'int4', 'int2', 'ternary-grouped' for 'packing', found 'int3'") == true)
  }
}
