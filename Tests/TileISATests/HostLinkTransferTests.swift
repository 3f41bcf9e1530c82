import Support
import Testing

@testable import TileISA

/// `load … host_link` / `store … host_link`: a DRAM ↔ unified-buffer transfer whose far side is
/// the host's memory across the host link (TPU v1's `Read_Host_Memory`/`Write_Host_Memory`). It
/// moves the same bytes as the plain transfer; only the simulator's timing differs
/// (CycleSimTests). docs/isa.md §3.1.
@Suite("host-link transfers")
struct HostLinkTransferTests {
  static func program(memory: OnChipMemory = .unifiedBuffer, resident: Bool = false, store: Bool = false) -> TileProgram {
    var p = TileProgram(
      limits: smallLimits, dramSize: 4096, arenaSize: 0,
      inputs: [IOBinding(name: "x", elementType: .int8, shape: [16], address: 0)], outputs: [])
    var d = DMA2D(memory: memory, sramAddress: 0x40, dramAddress: 0, rows: 1, rowBytes: 16)
    d.hostLink = true
    d.resident = resident
    p.instructions = [Instruction(store ? .store(d) : .load(d)), Instruction(.finish)]
    return p
  }

  @Test("round-trips through assembly and binary; the flag is byte 7 and a bare word")
  func roundTrip() throws {
    for store in [false, true] {
      let p = Self.program(store: store)
      // (A lone store reads unified-buffer bytes nothing wrote: the verifier's data-flow check.)
      if !store { #expect(ProgramVerifier.verify(p) == []) }
      let text = p.assembly()
      let verb = store ? "store" : "load"
      #expect(text.contains("\(verb) mem=ub sram=0x40 sram_stride=16 dram=0x0 dram_stride=16 rows=1 row_bytes=16 host_link"))
      #expect(try TileProgram(parsingAssembly: text) == p)
      #expect(try TileProgram(decoding: try p.encoded()) == p)
      let bytes = try p.instructions[0].encoded()
      #expect(bytes[7] == 1)
      var corrupt = bytes
      corrupt[7] = 2
      #expect(throws: ISAError.self) { try Instruction(decoding: corrupt) }
    }
  }

  @Test("only DRAM ↔ unified-buffer transfers may cross the host link, and never resident ones")
  func verifierRule() {
    for p in [Self.program(memory: .weightBuffer), Self.program(memory: .accumulator), Self.program(memory: .weightBuffer, resident: true)] {
      let problems = ProgramVerifier.verify(p).map(\.description)
      #expect(problems.contains { $0.contains("host_link is only for transfers between DRAM and the unified buffer") }, "\(problems)")
    }
  }

  @Test("a host-link load moves the same bytes as a plain load")
  func sameBytes() throws {
    var plain = Self.program()
    if case .load(var d) = plain.instructions[0].operation {
      d.hostLink = false
      plain.instructions[0] = Instruction(.load(d))
    }
    let data = (0..<16).map { UInt8($0 * 7 + 3) }
    var results: [[UInt8]] = []
    for p in [plain, Self.program()] {
      var state = try MachineState(program: p)
      state.dram.replaceSubrange(0..<16, with: data)
      try execute(p.instructions[0], on: &state, host: NoHostExecutor())
      results.append(Array(state.unifiedBuffer[0x40..<0x50]))
    }
    #expect(results[0] == data)
    #expect(results[1] == data)
  }
}
