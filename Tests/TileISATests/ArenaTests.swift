import Support
import Testing

@testable import TileISA

/// The activation arena: `DMA2D.backing`, `TileProgram.arenaSize`, their text and binary forms,
/// the verifier's rules and the executor.
@Suite("activation arena")
struct ArenaTests {
  /// 4 KiB unified buffer whose top 0x400 bytes are the arena; 4 KiB DRAM.
  /// #0 load 16 B DRAM → ub 0x0; #2 store ub 0x0 → arena 0x10 (2 rows of 8, stride 16); #4
  /// load arena 0x10 → wb 0x40; #5 load arena 0x10 (2 rows) → accumulator bytes 0..<16; #7 store
  /// accumulator bytes 0..<8 → arena 0x100; #9, #10 load arena 0x100 and 0x20 → ub 0x80, 0x88;
  /// #13 store ub 0x80 (16 B) → DRAM 0x100, the output (= the input). Compute-queue `nop`s
  /// route the tokens so that every transfer waits for the one whose bytes it reads.
  func program(arena: Int = 0x400) -> TileProgram {
    var p = TileProgram(
      limits: smallLimits, dramSize: 4096, arenaSize: ByteCount(arena),
      inputs: [IOBinding(name: "x", elementType: .int8, shape: [16], address: 0)],
      outputs: [IOBinding(name: "y", elementType: .int8, shape: [16], address: 0x100)])
    let ops: [(Operation, DependencyFlags)] = [
      (.load(DMA2D(memory: .unifiedBuffer, sramAddress: 0, dramAddress: 0, rows: 1, rowBytes: 16)), .pushNext),
      (.nop(.compute), [.popPrev, .pushNext]),
      (
        .store(
          DMA2D(
            memory: .unifiedBuffer, sramAddress: 0, sramStrideBytes: 8, dramAddress: 0x10, dramStrideBytes: 16, rows: 2,
            rowBytes: 8, backing: .arena)), [.popPrev, .pushPrev]
      ),
      (.nop(.compute), [.popNext, .pushPrev]),
      (
        .load(DMA2D(memory: .weightBuffer, sramAddress: 0x40, dramAddress: 0x10, rows: 1, rowBytes: 8, backing: .arena)),
        .popNext
      ),
      (
        .load(
          DMA2D(
            memory: .accumulator, sramAddress: 0, sramStrideBytes: 8, dramAddress: 0x10, dramStrideBytes: 16, rows: 2,
            rowBytes: 8, backing: .arena)), .pushNext
      ),
      (.nop(.compute), [.popPrev, .pushNext]),
      (
        .store(DMA2D(memory: .accumulator, sramAddress: 0, dramAddress: 0x100, rows: 1, rowBytes: 8, backing: .arena)),
        [.popPrev, .pushPrev]
      ),
      (.nop(.compute), [.popNext, .pushPrev]),
      (
        .load(DMA2D(memory: .unifiedBuffer, sramAddress: 0x80, dramAddress: 0x100, rows: 1, rowBytes: 8, backing: .arena)),
        [.popNext, .pushNext]
      ),
      (
        .load(DMA2D(memory: .unifiedBuffer, sramAddress: 0x88, dramAddress: 0x20, rows: 1, rowBytes: 8, backing: .arena)),
        .pushNext
      ),
      (.nop(.compute), .popPrev),
      (.nop(.compute), [.popPrev, .pushNext]),
      (.store(DMA2D(memory: .unifiedBuffer, sramAddress: 0x80, dramAddress: 0x100, rows: 1, rowBytes: 16)), .popPrev),
      (.finish, []),
    ]
    p.instructions = ops.map { Instruction($0.0, dependencies: $0.1) }
    return p
  }

  @Test("a program with arena transfers verifies, round-trips through assembly and binary")
  func roundTrip() throws {
    let p = program()
    #expect(ProgramVerifier.verify(p) == [])
    let text = p.assembly()
    #expect(text.contains(".program datapath=int8 dram=0x1000 ub=0x1000 wb=0x1000 acc_rows=64 array=16x8 arena=0x400"))
    #expect(
      text.contains("store mem=ub sram=0x0 sram_stride=8 arena=0x10 arena_stride=16 rows=2 row_bytes=8 deps=pop_prev,push_prev"))
    #expect(try TileProgram(parsingAssembly: text) == p)
    #expect(try TileProgram(decoding: try p.encoded()) == p)
    for instruction in p.instructions {
      #expect(try Instruction(decoding: try instruction.encoded()) == instruction)
      #expect(try Instruction(parsingAssembly: instruction.assembly(), line: 1) == instruction)
    }
  }

  @Test("DRAM transfers and arena-less programs encode exactly as before the arena existed")
  func dramEncodingUnchanged() throws {
    let d = DMA2D(
      memory: .weightBuffer, sramAddress: 0x20, sramStrideBytes: 16, dramAddress: 0x1234, dramStrideBytes: 32, rows: 3,
      rowBytes: 16)
    let bytes = try Instruction(.load(d), dependencies: .pushNext, layer: 2).encoded()
    var expected = [UInt8](repeating: 0, count: 64)
    expected[0] = 1  // load
    expected[1] = 0x08 | 0x10  // push_next, has-layer
    expected[2] = 2  // layer
    expected[4] = 1  // wb
    expected[8] = 0x34
    expected[9] = 0x12  // DRAM address
    expected[16] = 32  // DRAM stride
    expected[20] = 0x20  // SRAM address
    expected[24] = 16  // SRAM stride
    expected[28] = 3  // rows
    expected[32] = 16  // row bytes
    #expect(bytes == expected)
    var arena = d
    arena.backing = .arena
    var withArena = expected
    withArena[5] = 1
    #expect(try Instruction(.load(arena), dependencies: .pushNext, layer: 2).encoded() == withArena)
    // An arena-less program: flags byte 0 and its tables at offset 88, as before; with an arena,
    // flag bit 1 and the size at 88, the tables at 96.
    var p = program()
    p.arenaSize = 0
    p.instructions = [Instruction(.finish)]
    let encoded = try p.encoded()
    #expect(encoded[7] == 0)
    #expect(Array(encoded[88..<92]) == [1, 0, 0, 0], "the first binding's name length ('x')")
    var q = program()
    q.instructions = [Instruction(.finish)]
    let withSize = try q.encoded()
    #expect(withSize[7] == 2)
    #expect(Array(withSize[88..<96]) == [0, 4, 0, 0, 0, 0, 0, 0])
    #expect(Array(withSize[96..<100]) == [1, 0, 0, 0])
    #expect(try TileProgram(decoding: withSize) == q)
  }

  @Test("decoding rejects an unknown backing memory and an arena flag with a zero size")
  func decodeErrors() throws {
    var bytes = try Instruction(.load(DMA2D(memory: .unifiedBuffer, sramAddress: 0, dramAddress: 0, rows: 1, rowBytes: 1)))
      .encoded()
    bytes[5] = 2
    do {
      _ = try Instruction(decoding: bytes)
      Issue.record("decoded a backing memory of 2")
    } catch {
      #expect(error.description.contains("backing memory"), "\(error)")
    }
    var q = program()
    q.instructions = [Instruction(.finish)]
    var container = try q.encoded()
    for i in 88..<96 { container[i] = 0 }
    #expect(throws: ISAError.self) { try TileProgram(decoding: container) }
  }

  @Test("assembly: arena= selects the arena; both dram= and arena= is an error")
  func assemblyForms() throws {
    let line = "load mem=acc sram=0x10 sram_stride=16 arena=0x40 arena_stride=32 rows=2 row_bytes=16"
    let i = try Instruction(parsingAssembly: line, line: 1)
    guard case .load(let d) = i.operation else {
      Issue.record("not a load")
      return
    }
    #expect(d.backing == .arena)
    #expect(d.dramAddress == 0x40 && d.dramStrideBytes == 32)
    #expect(i.assembly() == line)
    #expect(throws: ISAError.self) {
      try Instruction(
        parsingAssembly: "load mem=ub sram=0x0 sram_stride=1 dram=0x0 dram_stride=1 arena=0x0 arena_stride=1 rows=1 row_bytes=1",
        line: 1)
    }
  }

  @Test("verifier: arena bounds, the working region below the arena, the arena inside the unified buffer")
  func verifierErrors() {
    func problems(_ edit: (inout TileProgram) -> Void) -> [String] {
      var p = program()
      edit(&p)
      return ProgramVerifier.verify(p).map(\.description)
    }
    #expect(
      problems { $0.instructions[2].operation = .store(DMA2D(memory: .unifiedBuffer, sramAddress: 0, dramAddress: 0x3f8, rows: 1, rowBytes: 16, backing: .arena)) }
        .first == "instruction #2 (store): arena range 0x3f8..<0x408 exceeds the arena's 0x400 bytes")
    #expect(
      problems { $0.instructions[0].operation = .load(DMA2D(memory: .unifiedBuffer, sramAddress: 0xbf8, dramAddress: 0, rows: 1, rowBytes: 16)) }
        .first
        == "instruction #0 (load): unified buffer range 0xbf8..<0xc08 exceeds the unified buffer's 0xc00 working bytes below the 0x400-byte arena")
    #expect(
      problems { $0.arenaSize = 0x2000 }.first == "program: arena of 0x2000 bytes exceeds the unified buffer's 0x1000 bytes")
    let unwritten = problems { p in
      p.instructions[4].operation = .load(
        DMA2D(memory: .weightBuffer, sramAddress: 0x40, dramAddress: 0x200, rows: 1, rowBytes: 8, backing: .arena))
    }
    #expect(unwritten == ["instruction #4 (load): reads arena byte 0x200 (of 0x200..<0x208) before anything writes it"])
    let noArena = problems { $0.arenaSize = 0 }
    #expect(noArena.contains("instruction #2 (store): arena range 0x10..<0x28 exceeds the arena's 0x0 bytes"))
  }

  @Test("functional: bytes go DRAM → ub → arena → wb/acc → arena → ub → DRAM; DRAM holds only input and output")
  func execution() throws {
    let p = program()
    let input = (0..<16).map { UInt8($0 * 3 + 1) }
    let outputs = try p.run(inputs: [input], host: NoHostExecutor())
    // Arena 0x10: rows of 8 at stride 16 → input bytes 0..7 at 0x10, 8..15 at 0x20. The
    // accumulator store writes accumulator bytes 0..7 (= input 0..7) at arena 0x100. Output =
    // arena 0x100..<0x108, then arena 0x20..<0x28 = the input.
    #expect(outputs == [input])
    var state = try MachineState(program: p)
    state.dram.replaceSubrange(0..<16, with: input)
    for instruction in p.instructions { try execute(instruction, on: &state, host: NoHostExecutor()) }
    #expect(Array(state.arena[0x10..<0x18]) == Array(input[0..<8]))
    #expect(Array(state.arena[0x20..<0x28]) == Array(input[8..<16]))
    #expect(Array(state.weightBuffer[0x40..<0x48]) == Array(input[0..<8]))
    #expect(state.accumulator[0] == Int32(bitPattern: UInt32(input[0]) | UInt32(input[1]) << 8 | UInt32(input[2]) << 16 | UInt32(input[3]) << 24))
    #expect(state.dram[0x10..<0x100].allSatisfy { $0 == 0 }, "nothing of the arena traffic reaches DRAM")
  }

  @Test("footprints name the arena; the executor refuses a transfer beyond the arena")
  func footprintsAndBounds() throws {
    let p = program()
    let accesses = try #require(p.instructions[2].memoryAccesses(in: p))
    #expect(accesses.contains(MemoryAccess(space: .arena, kind: .write, ranges: [0x10..<0x18, 0x20..<0x28])))
    var state = try MachineState(program: p)
    #expect(throws: ISAError.self) {
      try run(.load(DMA2D(memory: .unifiedBuffer, sramAddress: 0, dramAddress: 0x3ff, rows: 1, rowBytes: 2, backing: .arena)), on: &state)
    }
  }
}
