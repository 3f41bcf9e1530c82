import Support
import Testing

@testable import TileISA

/// `load_weights … packing=ternary-grouped levels= group= phase=`: the executor multiplies each
/// ternary code by its block's level, with every phase; reserved codes and levels above 127 are
/// execution errors; the checks, assembly and binary handle the level table.
@Suite("ternary-grouped weight tiles")
struct GroupedWeightTests {
  /// The 2-bit code of a ternary sign: 0b01 = +1, 0b00 = 0, 0b11 = −1.
  func code(_ sign: Int) -> UInt8 { UInt8(bitPattern: Int8(sign)) & 0b11 }

  /// Writes a K × N tile of signs (dense rows) at `address` and its level table right after it.
  func place(_ signs: [[Int]], levels: [[UInt8]], at address: Int, in m: inout MachineState) -> Int {
    let n = signs[0].count
    let rowBytes = (n * 2 + 7) / 8
    for (k, row) in signs.enumerated() {
      for (j, s) in row.enumerated() {
        m.weightBuffer[address + k * rowBytes + j / 4] |= code(s) << UInt8(2 * (j % 4))
      }
    }
    let table = address + signs.count * rowBytes
    for (b, row) in levels.enumerated() {
      for (j, level) in row.enumerated() { m.weightBuffer[table + b * n + j] = level }
    }
    return table
  }

  @Test("every weight is code × level of block ⌊(phase + k) / group⌋, for every phase and group")
  func executorScalesCodes() throws {
    for (k, n) in [(1, 1), (7, 3), (16, 8), (5, 5)] {
      for group in 1...5 {
        for phase in 0..<group {
          let signs: [[Int]] = (0..<k).map { r in (0..<n).map { c in (r * 5 + c * 7 + group) % 3 - 1 } }
          let geometry = GroupLevels(address: 0, group: group, phase: phase)
          let blocks = try #require(geometry.blocks(rows: k))
          #expect(blocks == (phase + k + group - 1) / group)
          var levels: [[UInt8]] = []
          for b in 0..<blocks {
            let row: [UInt8] = (0..<n).map { c in UInt8((b * 37 + c * 11 + 1) % 128) }
            levels.append(row)
          }
          var m = try makeMachine()
          let table = place(signs, levels: levels, at: 64, in: &m)
          let load = LoadWeights(
            slot: .first, wbAddress: 64, rows: k, columns: n, packing: .ternaryGrouped,
            levels: GroupLevels(address: SRAMAddress(table), group: group, phase: phase))
          #expect(load.levelTableBytes == blocks * n)
          try run(.loadWeights(load), on: &m)
          var want: [Int16] = []
          for r in 0..<k {
            for c in 0..<n { want.append(Int16(signs[r][c]) * Int16(levels[(phase + r) / group][c])) }
          }
          #expect(m.weightSlots[0].values == want, "\(k)×\(n) group \(group) phase \(phase)")
          // The loader reads the rows and the table, nothing else.
          let reads = Instruction(.loadWeights(load)).uncheckedMemoryAccesses(limits: smallLimits, datapath: .int8, hostTasks: [])
          let ranges: [[Range<Int>]] = reads.map { (a: MemoryAccess) in a.ranges }
          #expect(ranges == [[64..<table + blocks * n]])
        }
      }
    }
  }

  @Test("the reserved code 0b10 and a level above 127 are execution errors naming the weight")
  func badCodesAndLevels() throws {
    var m = try makeMachine()
    m.weightBuffer[0] = 0b10_01  // codes +1, −2 (reserved)
    m.weightBuffer[1] = 5
    m.weightBuffer[2] = 5
    let load = LoadWeights(
      slot: .first, wbAddress: 0, rows: 1, columns: 2, packing: .ternaryGrouped,
      levels: GroupLevels(address: 1, group: 1))
    let reserved = #expect(throws: ISAError.self) { try run(.loadWeights(load), on: &m) }
    #expect(reserved?.description.contains("weight (0, 1): code 0b10 is reserved in ternary-grouped tiles") == true)
    m.weightBuffer[0] = 0b11_01
    m.weightBuffer[2] = 200
    let level = #expect(throws: ISAError.self) { try run(.loadWeights(load), on: &m) }
    #expect(level?.description.contains("weight (0, 1): level 200 of block 0 exceeds 127") == true)
    m.weightBuffer[2] = 127
    try run(.loadWeights(load), on: &m)
    #expect(m.weightSlots[0].values == [5, -127])
  }

  @Test("the checks want a level table with ternary-grouped and only then, a phase below the group, and the table inside the buffer")
  func checks() throws {
    var m = try makeMachine()
    func message(_ w: LoadWeights) -> String? {
      do {
        try run(.loadWeights(w), on: &m)
        return nil
      } catch {
        return error.description
      }
    }
    let base = LoadWeights(slot: .first, wbAddress: 0, rows: 4, columns: 4, packing: .ternaryGrouped)
    #expect(message(base)?.contains("ternary-grouped weights need a level table (levels=, group=)") == true)
    var stray = LoadWeights(slot: .first, wbAddress: 0, rows: 4, columns: 4, packing: .int2)
    stray.levels = GroupLevels(address: 64, group: 2)
    #expect(message(stray)?.contains("a level table belongs to ternary-grouped weights; this tile is int2") == true)
    var phase = base
    phase.levels = GroupLevels(address: 64, group: 2, phase: 2)
    #expect(message(phase)?.contains("phase 2 must be below group 2") == true)
    var zero = base
    zero.levels = GroupLevels(address: 64, group: 0)
    #expect(message(zero)?.contains("group must be ≥ 1, got 0") == true)
    // 4 rows in blocks of 2 with phase 1: 3 blocks × 4 columns = 12 bytes, ending at 4096 exactly.
    var edge = base
    edge.levels = GroupLevels(address: SRAMAddress(4096 - 12), group: 2, phase: 1)
    #expect(message(edge) == nil)
    edge.levels?.address = SRAMAddress(4096 - 11)
    #expect(message(edge)?.contains("level table 0xff5..<0x1001 exceeds the weight buffer's 0x1000 bytes") == true)
    var huge = base
    huge.levels = GroupLevels(address: 0, group: Int.max, phase: Int.max - 1)
    #expect(message(huge)?.contains("level table address arithmetic overflows") == true)
  }

  @Test("assembly prints levels=, group= and a non-zero phase=; the binary keeps them in bytes 20–27")
  func assemblyAndEncoding() throws {
    let line = "load_weights slot=1 wb=0x40 rows=6 cols=5 stride=2 packing=ternary-grouped levels=0x80 group=4 phase=3"
    let instruction = try Instruction(parsingAssembly: line)
    #expect(instruction.assembly() == line)
    guard case .loadWeights(let w) = instruction.operation else {
      Issue.record("expected load_weights")
      return
    }
    #expect(w.levels == GroupLevels(address: 0x80, group: 4, phase: 3))
    let noPhase = try Instruction(
      parsingAssembly: "load_weights slot=0 wb=0x0 rows=2 cols=2 stride=1 packing=ternary-grouped levels=0x10 group=2")
    #expect(noPhase.assembly().hasSuffix("levels=0x10 group=2"))
    let bytes = try instruction.encoded()
    #expect(bytes[5] == 3)
    #expect(Array(bytes[20..<28]) == [0x80, 0, 0, 0, 4, 0, 3, 0])
    #expect(try Instruction(decoding: bytes, at: 0) == instruction)
    // Other packings keep bytes 20–27 reserved.
    var int2 = try Instruction(.loadWeights(LoadWeights(slot: .first, wbAddress: 0, rows: 2, columns: 2, packing: .int2)))
      .encoded()
    int2[24] = 4
    let reserved = #expect(throws: ISAError.self) { try Instruction(decoding: int2, at: 0) }
    #expect(reserved?.description == "@0x18: reserved byte is 0x4, expected 0")
    let missing = #expect(throws: ISAError.self) {
      try Instruction(parsingAssembly: "load_weights slot=0 wb=0x0 rows=2 cols=2 stride=1 packing=ternary-grouped group=2")
    }
    #expect(missing?.description.contains("levels") == true)
    let unused = #expect(throws: ISAError.self) {
      try Instruction(parsingAssembly: "load_weights slot=0 wb=0x0 rows=2 cols=2 stride=1 packing=int2 group=2")
    }
    #expect(unused?.description.contains("group") == true)
  }
}

extension GroupedWeightTests {
  @Test("encoding refuses a level table the packing does not call for, and a ternary-grouped tile without one")
  func encodingKeepsTablesWithTheirPacking() throws {
    let missing = Instruction(.loadWeights(LoadWeights(slot: .first, wbAddress: 0, rows: 2, columns: 2, packing: .ternaryGrouped)))
    let a = #expect(throws: ISAError.self) { try missing.encoded() }
    #expect(a?.description.contains("ternary-grouped weights need a level table") == true)
    let stray = Instruction(
      .loadWeights(
        LoadWeights(slot: .first, wbAddress: 0, rows: 2, columns: 2, packing: .int4, levels: GroupLevels(address: 0, group: 1))))
    let b = #expect(throws: ISAError.self) { try stray.encoded() }
    #expect(b?.description.contains("a level table belongs to ternary-grouped weights; this tile is int4") == true)
  }
}
