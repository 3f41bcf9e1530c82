import Support
import Testing

@testable import TileISA

/// `load … resident`: a DRAM → weight-buffer load of parameters kept across inferences (the
/// architecture's `memory.parameters_resident`). It moves the same bytes; only the simulator's
/// steady-state timing treats it differently (CycleSimTests).
@Suite("resident parameter loads")
struct ResidentParameterTests {
  static func program(memory: OnChipMemory = .weightBuffer, backing: BackingMemory = .dram) -> TileProgram {
    var p = TileProgram(
      limits: smallLimits, dramSize: 4096, arenaSize: ByteCount(backing == .arena ? 0x400 : 0),
      inputs: [IOBinding(name: "x", elementType: .int8, shape: [16], address: 0)], outputs: [])
    var d = DMA2D(memory: memory, sramAddress: 0x40, dramAddress: backing == .arena ? 0x10 : 0, rows: 1, rowBytes: 16, backing: backing)
    d.resident = true
    p.instructions = [Instruction(.load(d)), Instruction(.finish)]
    return p
  }

  @Test("round-trips through assembly and binary; the flag is byte 6 and a bare word")
  func roundTrip() throws {
    let p = Self.program()
    #expect(ProgramVerifier.verify(p) == [])
    let text = p.assembly()
    #expect(text.contains("load mem=wb sram=0x40 sram_stride=16 dram=0x0 dram_stride=16 rows=1 row_bytes=16 resident"))
    #expect(try TileProgram(parsingAssembly: text) == p)
    #expect(try TileProgram(decoding: try p.encoded()) == p)
    let bytes = try p.instructions[0].encoded()
    #expect(bytes[6] == 1)
    var plain = p.instructions[0]
    if case .load(var d) = plain.operation {
      d.resident = false
      plain = Instruction(.load(d))
    }
    #expect(try plain.encoded()[6] == 0)
    var corrupt = bytes
    corrupt[6] = 2
    #expect(throws: ISAError.self) { try Instruction(decoding: corrupt) }
  }

  @Test("only DRAM → weight-buffer loads may be resident")
  func verifierRule() {
    for p in [Self.program(memory: .unifiedBuffer), Self.program(backing: .arena)] {
      let problems = ProgramVerifier.verify(p).map(\.description)
      #expect(problems.contains { $0.contains("resident is only for DRAM → weight-buffer loads") }, "\(problems)")
    }
  }
}
