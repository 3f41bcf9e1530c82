import Architecture
import Support
import Testing
import TileISA

@testable import CycleSim

/// Closed-form timing on small programs: every start and end is predicted from the formulas of
/// docs/cost-model.md and must match exactly (an instruction that starts exactly at its gate
/// was blocked at the cycle before and ready at it).
@Suite("timing gates")
struct TimingGateTests {
  let toy = ArchSpec.toy4x4

  @Test("one weight load + one matmul + one activate on toy-4x4: every edge from the formulas")
  func singleTileClosedForm() throws {
    for (p, k, n) in [(4, 4, 4), (3, 4, 2), (16, 3, 4), (1, 1, 1), (13, 4, 3)] {
      let program = singleTileProgram(arch: toy, p: p, k: k, n: n)
      let (result, r) = try simulate(program, arch: toy, verify: true)
      // Figures of toy-4x4 from ArchSpec: 0.4 GB/s at 100 MHz = 4 B/cycle, 100 ns = 10 cycles.
      let bw = toy.dramBytesPerCycle
      #expect(bw == 4)
      let latency = Int64(toy.dramLatencyCycles)
      #expect(latency == 10)
      func dmaCycles(_ bytes: Int, port: Int) -> Int64 {
        latency + Int64((Double(bytes) / min(bw, Double(port))).rounded(.up))
      }
      let rows = Int64(toy.array.rows), cols = Int64(toy.array.cols)
      let t0 = dmaCycles(p * k, port: toy.ub.portBytesPerCycle)
      let t1 = t0 + dmaCycles(k * n + 12 * n, port: toy.weights.portBytesPerCycle)
      let shift = max(
        Int64(k + toy.array.weightLoadRowsPerCycle - 1) / Int64(toy.array.weightLoadRowsPerCycle),
        Int64((k * n + toy.weights.portBytesPerCycle - 1) / toy.weights.portBytesPerCycle))
      let t2 = t1 + shift
      let t3 = t2 + Int64(p) + rows + cols - 2
      let ops = Int64(toy.vectorOpsPerCycle)
      let t4 =
        t3
        + max(
          (Int64(p * n) + ops - 1) / ops,
          Int64(4 * p * n + toy.acc.portBytesPerCycle - 1) / Int64(toy.acc.portBytesPerCycle))
      let t5 = t4 + dmaCycles(p * n, port: toy.ub.portBytesPerCycle)
      #expect(span(r, 0) == (0, t0), "input load \(p)×\(k)")
      #expect(span(r, 1) == (t0, t1), "weight load")
      #expect(span(r, 2) == (t1, t2), "load_weights waits for the token of the weight load")
      #expect(span(r, 3) == (t2, t3), "matmul waits for its slot; P + R + C − 2")
      #expect(span(r, 4) == (t3, t4), "activate waits for the matmul's accumulator rows")
      #expect(span(r, 5) == (t4, t5), "store waits for the activate's token")
      #expect(result.cycles.count == t5)
      #expect(result.total[.cycles] == t5)
    }
  }

  @Test("a DMA of B bytes finishes at latency + ⌈B / bytes per cycle⌉ (TPU v1: 340/7 B/cycle)")
  func dmaExactOnTPU() throws {
    let tpu = ArchSpec.tpuV1
    for bytes in [1, 48, 49, 340, 341, 4096, 65_536, 65_537] {
      var b = ProgramBuilder(arch: tpu, dramSize: 1 << 17)
      b.add(.load(dma(.weightBuffer, sram: 0, dram: 0, bytes: bytes)))
      b.add(.finish)
      let (result, r) = try simulate(b.program, arch: tpu)
      // 34 GB/s ÷ 700 MHz = 340/7 bytes per cycle; ⌈B / (340/7)⌉ = ⌈7B / 340⌉ exactly.
      let expected = Int64(tpu.dramLatencyCycles) + Int64((7 * bytes + 339) / 340)
      #expect(span(r, 0) == (0, expected), "\(bytes) bytes")
      #expect(result.cycles.count == expected)
    }
  }

  @Test("moving the gate by one byte moves the matmul's start by exactly the DMA's extra cycle")
  func gateMovesWithTheLoad() throws {
    // toy: 4 B/cycle. A weight load of 4m bytes ends one cycle earlier than one of 4m + 1.
    var starts: [Int64] = []
    for extra in [0, 1] {
      var b = ProgramBuilder(arch: toy, dramSize: 0x1000)
      b.add(.load(dma(.weightBuffer, sram: 0, dram: 0, bytes: 16 + extra)), .pushNext)
      b.add(.loadWeights(LoadWeights(slot: .first, wbAddress: 0, rows: 4, columns: 4)), .popPrev)
      b.add(.load(dma(.unifiedBuffer, sram: 0, dram: 0x100, bytes: 16)), .pushNext)
      b.add(.matmul(gemm(ub: 0, pixels: 4, k: 4, n: 4)), .popPrev)
      b.add(.finish)
      let (_, r) = try simulate(b.program, arch: toy)
      #expect(span(r, 1).start == span(r, 0).end, "load_weights starts the cycle its token arrives")
      starts.append(span(r, 1).start)
    }
    #expect(starts[1] == starts[0] + 1)
  }

  @Test("a matmul cannot start before the weight tile it reads has shifted in")
  func matmulWaitsForItsSlot() throws {
    var b = ProgramBuilder(arch: toy, dramSize: 0x1000)
    b.add(.loadWeights(LoadWeights(slot: .second, wbAddress: 0, rows: 4, columns: 4)))
    b.add(.matmul(gemm(ub: 0, pixels: 2, k: 4, n: 4, slot: .second)))
    b.add(.loadWeights(LoadWeights(slot: .first, wbAddress: 0, rows: 4, columns: 4)))
    b.add(.finish)
    let (_, r) = try simulate(b.program, arch: toy)
    #expect(span(r, 0) == (0, 4))
    #expect(span(r, 1).start == 4, "blocked at 3 by the slot being loaded, ready at 4")
    // The other slot loads while the array computes (double buffering).
    #expect(span(r, 2).start == 4)
  }

  @Test("without weight double buffering, a tile load waits for the array to drain")
  func noDoubleBuffering() throws {
    var arch = toy
    arch.array.weightDoubleBuffered = false
    var b = ProgramBuilder(arch: arch, dramSize: 0x1000)
    b.add(.loadWeights(LoadWeights(slot: .second, wbAddress: 0, rows: 4, columns: 4)))
    b.add(.matmul(gemm(ub: 0, pixels: 2, k: 4, n: 4, slot: .second)))
    b.add(.loadWeights(LoadWeights(slot: .first, wbAddress: 0, rows: 4, columns: 4)))
    b.add(.finish)
    let (_, r) = try simulate(b.program, arch: arch)
    #expect(span(r, 2).start == span(r, 1).end, "the loader waits for the matmul to complete")
  }

  @Test("consecutive weight-stationary matmuls pipeline: each starts when the previous has streamed its rows")
  func matmulsPipeline() throws {
    var b = ProgramBuilder(arch: toy, dramSize: 0x1000)
    b.add(.loadWeights(LoadWeights(slot: .first, wbAddress: 0, rows: 4, columns: 4)))
    b.add(.matmul(gemm(ub: 0, pixels: 3, k: 4, n: 4, acc: 0)))
    b.add(.matmul(gemm(ub: 0, pixels: 5, k: 4, n: 4, acc: 3)))
    b.add(.matmul(gemm(ub: 0, pixels: 2, k: 4, n: 4, acc: 0, accumulate: true)))
    b.add(.finish)
    let (result, r) = try simulate(b.program, arch: toy)
    let fill: Int64 = 4 + 4 - 2
    #expect(span(r, 1) == (4, 4 + 3 + fill))
    #expect(span(r, 2) == (7, 7 + 5 + fill))
    #expect(span(r, 3) == (12, 12 + 2 + fill))
    // Three streams back to back pay the fill and drain once: Σ P + R + C − 2 after the tile load.
    #expect(result.cycles.count == 4 + (3 + 5 + 2) + fill)
    // Active = streaming only (MACs issued); the final fill and drain is the end of the run.
    #expect(result.total[.arrayActiveCycles] == 3 + 5 + 2)
    #expect(result.total[.weightShiftCycles] == 4)
    #expect(result.total[.outputStallCycles] == fill, "nothing left to issue while the last matmul drains")
  }

  @Test("output- and input-stationary matmuls use SCALE-Sim's per-fold formulas")
  func otherDataflows() throws {
    for (dataflow, p, k, n) in [
      (Matmul.Dataflow.outputStationary, 9, 3, 2), (.inputStationary, 9, 3, 2), (.outputStationary, 4, 4, 4),
    ] {
      var b = ProgramBuilder(arch: toy, dramSize: 0x1000)
      b.add(.loadWeights(LoadWeights(slot: .first, wbAddress: 0, rows: k, columns: n)))
      b.add(.matmul(gemm(ub: 0, pixels: p, k: k, n: n, dataflow: dataflow)))
      b.add(.finish)
      let (_, r) = try simulate(b.program, arch: toy)
      let (rows, cols) = (4, 4)
      let cycles =
        dataflow == .outputStationary
        ? (p + rows - 1) / rows * (k + rows + cols - 2)
        : (p + cols - 1) / cols * (2 * rows + cols + n - 2)
      let load = Int64(max(k, (k * n + 3) / 4))
      #expect(span(r, 1) == (load, load + Int64(cycles)), "\(dataflow) P=\(p) K=\(k) N=\(n)")
    }
  }

  @Test("two concurrent DMAs share the DRAM bandwidth equally")
  func sharedBandwidth() throws {
    // toy: 4 B/cycle, ports 4 B/cycle. A load of a bytes and a store of s bytes start together.
    for (a, s) in [(40, 40), (40, 100), (7, 3), (1, 1)] {
      var b = ProgramBuilder(arch: toy, dramSize: 0x1000)
      b.add(.load(dma(.unifiedBuffer, sram: 0, dram: 0, bytes: a)))
      b.add(.store(dma(.weightBuffer, sram: 0, dram: 0x400, bytes: s)))
      b.add(.finish)
      var simulator = Simulator(arch: toy, program: b.program)
      var r = RecordingObserver()
      _ = try simulator.run(inputs: nil, observer: &r)
      // Both stream from cycle L at 2 B/cycle each until the smaller finishes, then 4 B/cycle.
      let latency = Int64(toy.dramLatencyCycles)
      let small = Int64(min(a, s)), large = Int64(max(a, s))
      let first = (small + 1) / 2  // ⌈small / 2⌉
      let leftover = max(0, large - 2 * first)
      let second = first + (leftover + 3) / 4
      let (loadEnd, storeEnd) = a <= s ? (latency + first, latency + second) : (latency + second, latency + first)
      #expect(span(r, 0) == (0, loadEnd), "load \(a) B with store \(s) B")
      #expect(span(r, 1) == (0, storeEnd), "store \(s) B with load \(a) B")
    }
  }

  @Test("a DMA into a narrow port streams at the port's rate, leaving the rest of the bandwidth to the other queue")
  func portCapWaterFills() throws {
    var arch = toy
    arch.dram.bandwidth = 1.2  // 12 B/cycle at 100 MHz
    arch.ub.portBytesPerCycle = 2
    arch.weights.portBytesPerCycle = 16
    var b = ProgramBuilder(arch: arch, dramSize: 0x1000)
    b.add(.load(dma(.unifiedBuffer, sram: 0, dram: 0, bytes: 20)))  // capped at 2 B/cycle: 10 cycles
    b.add(.store(dma(.weightBuffer, sram: 0, dram: 0x400, bytes: 40)))  // gets 10 of 12 B/cycle: 4 cycles
    b.add(.finish)
    let (_, r) = try simulate(b.program, arch: arch)
    let latency = Int64(arch.dramLatencyCycles)
    #expect(span(r, 0) == (0, latency + 10))
    #expect(span(r, 1) == (0, latency + 4))
  }

  @Test("activate waits for the matmul that writes its accumulator rows, not for unrelated ones")
  func accumulatorHazard() throws {
    var b = ProgramBuilder(arch: toy, dramSize: 0x1000)
    b.add(.loadWeights(LoadWeights(slot: .first, wbAddress: 0, rows: 4, columns: 4)))
    b.add(.matmul(gemm(ub: 0, pixels: 4, k: 4, n: 4, acc: 0)))
    b.add(.matmul(gemm(ub: 0, pixels: 8, k: 4, n: 4, acc: 8)))
    b.add(.activate(activation(acc: 0, pixels: 4, n: 4, params: 0x40, ub: 0x200)))  // rows 0..<4
    b.add(.activate(activation(acc: 8, pixels: 8, n: 4, params: 0x40, ub: 0x300)))  // rows 8..<16
    b.add(.finish)
    let (result, r) = try simulate(b.program, arch: toy)
    #expect(span(r, 3).start == span(r, 1).end, "waits for rows 0..<4 only")
    #expect(span(r, 3).start < span(r, 2).end, "overlaps the second matmul")
    #expect(span(r, 4).start == max(span(r, 2).end, span(r, 3).end))
    #expect(result.total[.idleCycles] == 0)
  }

  @Test("compute tokens retire in order: a push waits for every earlier compute instruction")
  func inOrderRetirement() throws {
    var b = ProgramBuilder(arch: toy, dramSize: 0x1000)
    b.add(.loadWeights(LoadWeights(slot: .first, wbAddress: 0, rows: 4, columns: 4)))
    b.add(.matmul(gemm(ub: 0, pixels: 8, k: 4, n: 4, acc: 0)))
    // An unrelated vector op finishes long before the matmul; its token must not let the store
    // run before the matmul (sequential compute-queue semantics).
    b.add(
      .vector(
        .copy(
          UnaryOperands(
            source: VectorView(address: 0x300, outerStrideBytes: 4),
            output: VectorView(address: 0x380, outerStrideBytes: 4),
            outer: 1, inner: 4))), .pushNext)
    b.add(.store(dma(.unifiedBuffer, sram: 0x380, dram: 0, bytes: 4)), .popPrev)
    b.add(.finish)
    let (_, r) = try simulate(b.program, arch: toy)
    #expect(span(r, 2).end < span(r, 1).end)
    #expect(span(r, 3).start == span(r, 1).end)
  }
}
