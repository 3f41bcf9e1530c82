import Architecture
import Support
import Testing
import TileISA

@testable import CycleSim

@Suite("stall reasons")
struct StallReasonTests {
  let toy = ArchSpec.toy4x4

  func run(_ program: TileProgram, on arch: ArchSpec = .toy4x4) throws -> RecordingObserver {
    var simulator = Simulator(arch: arch, program: program)
    var recorder = RecordingObserver()
    _ = try simulator.run(inputs: nil, observer: &recorder)
    return recorder
  }

  func stall(_ recorder: RecordingObserver, _ pc: Int) throws -> StallReason? {
    try #require(recorder.execution(of: pc)).stall
  }

  @Test("a single tile: each instruction is held for the reason its dependencies imply")
  func singleTile() throws {
    // pc 0 load UB, 1 load WB (push_next), 2 load_weights (pop_prev), 3 matmul, 4 activate
    // (push_next), 5 store (pop_prev), 6 finish.
    let recorder = try run(singleTileProgram(arch: toy, p: 8, k: 4, n: 4))
    #expect(try stall(recorder, 0) == nil)
    // The second load waits for the load DMA engine, busy with the first.
    #expect(try stall(recorder, 1) == .unitBusy)
    let first = try #require(recorder.execution(of: 0))
    #expect(try #require(recorder.execution(of: 1)).start == first.end)
    // load_weights waits for the weights' load→compute token.
    #expect(try stall(recorder, 2) == .loadToken)
    #expect(try #require(recorder.execution(of: 2)).start == (try #require(recorder.execution(of: 1))).end)
    // The matmul reads the slot load_weights is writing.
    #expect(try stall(recorder, 3) == .weightLoaderHazard)
    #expect(try #require(recorder.execution(of: 3)).start == (try #require(recorder.execution(of: 2))).end)
    // activate reads the accumulator rows the matmul is still writing.
    #expect(try stall(recorder, 4) == .arrayHazard)
    #expect(try #require(recorder.execution(of: 4)).start == (try #require(recorder.execution(of: 3))).end)
    // The store waits for activate's compute→store token.
    #expect(try stall(recorder, 5) == .computeToken)
    #expect(try #require(recorder.execution(of: 5)).start == (try #require(recorder.execution(of: 4))).end)
  }

  @Test("two back-to-back loads: the second waits for the DMA engine")
  func backToBackLoads() throws {
    var b = ProgramBuilder(arch: toy)
    b.add(.load(dma(.unifiedBuffer, sram: 0, dram: 0, bytes: 64)))
    b.add(.load(dma(.unifiedBuffer, sram: 64, dram: 64, bytes: 64)))
    b.add(.finish)
    let recorder = try run(b.program)
    let (first, second) = (try #require(recorder.execution(of: 0)), try #require(recorder.execution(of: 1)))
    #expect(first.stall == nil && second.stall == .unitBusy)
    #expect(second.queued == first.start && second.start == first.end)
  }

  @Test("compute waits for the store queue to drain a buffer: store token")
  func storeToken() throws {
    var b = ProgramBuilder(arch: toy)
    b.add(.load(dma(.unifiedBuffer, sram: 0, dram: 0, bytes: 16)), .pushNext)
    b.add(.nop(.compute), [.popPrev, .pushNext])
    b.add(.store(dma(.unifiedBuffer, sram: 0, dram: 0x100, bytes: 256)), [.popPrev, .pushPrev])
    b.add(.nop(.compute), .popNext)
    b.add(.finish)
    let recorder = try run(b.program)
    #expect(try stall(recorder, 1) == .loadToken)
    #expect(try stall(recorder, 2) == .computeToken)
    #expect(try stall(recorder, 3) == .storeToken)
    #expect(try #require(recorder.execution(of: 3)).start == (try #require(recorder.execution(of: 2))).end)
  }

  @Test("a matmul reading what an in-flight activate writes waits for the vector unit")
  func vectorHazard() throws {
    var b = ProgramBuilder(arch: toy)
    b.add(.load(dma(.unifiedBuffer, sram: 0, dram: 0, bytes: 16)))
    b.add(.load(dma(.weightBuffer, sram: 0, dram: 0x40, bytes: 16 + 48)), .pushNext)
    b.add(.loadWeights(LoadWeights(slot: .first, wbAddress: 0, rows: 4, columns: 4)), .popPrev)
    b.add(.matmul(gemm(ub: 0, pixels: 4, k: 4, n: 4)))
    b.add(.activate(activation(acc: 0, pixels: 4, n: 4, params: 16, ub: 0x40)))
    b.add(.matmul(gemm(ub: 0x40, pixels: 4, k: 4, n: 4, acc: 4)))
    b.add(.finish)
    let recorder = try run(b.program)
    #expect(try stall(recorder, 4) == .arrayHazard)
    #expect(try stall(recorder, 5) == .vectorHazard)
    #expect(try #require(recorder.execution(of: 5)).start == (try #require(recorder.execution(of: 4))).end)
  }

  @Test("an instruction has a stall reason exactly when it started after it was queued")
  func reasonIffWait() throws {
    let programs = [
      singleTileProgram(arch: toy, p: 13, k: 3, n: 2),
      pipelinedProgram(arch: toy, tiles: 6, p: 8, k: 4, n: 4, layers: 3),
      pipelinedProgram(arch: toy, tiles: 5, p: 5, k: 3, n: 4, dataflow: .outputStationary),
      pipelinedProgram(arch: .gemmini, tiles: 4, p: 16, k: 16, n: 16, layers: 2),
    ]
    var seen = Set<StallReason>()
    for (n, program) in programs.enumerated() {
      let arch = n == 3 ? ArchSpec.gemmini : toy
      let recorder = try run(program, on: arch)
      for e in recorder.executions {
        #expect((e.stall != nil) == (e.start > e.queued), "instruction #\(e.instruction ?? -1)")
        if let s = e.stall { seen.insert(s) }
      }
      #expect(recorder.arrayStates.allSatisfy { $0.stall == nil })
    }
    #expect(seen.isSuperset(of: [.loadToken, .computeToken, .unitBusy]))
  }

  @Test("the tally picks the reason that held the head longest, ties to the later one")
  func tally() {
    var t = StallTally()
    #expect(t.started(at: 5) == nil)
    t.blocked(.unitBusy, at: 7)
    #expect(t.started(at: 7) == nil)  // blocked and started in the same cycle: no wait
    t.blocked(.unitBusy, at: 0)
    t.blocked(.loadToken, at: 10)
    #expect(t.started(at: 12) == .unitBusy)  // 10 cycles against 2
    t.blocked(.loadToken, at: 20)
    t.blocked(.arrayHazard, at: 25)
    #expect(t.started(at: 30) == .arrayHazard)  // 5 each: the later
    t.blocked(.storeToken, at: 40)
    t.blocked(.storeToken, at: 44)
    t.blocked(.unitBusy, at: 46)
    t.blocked(.storeToken, at: 47)
    #expect(t.started(at: 48) == .storeToken)  // 7 against 1, credited in three pieces
    #expect(t.started(at: 60) == nil)  // reset after each start
  }
}
