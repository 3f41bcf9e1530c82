import Architecture
import GraphIR
import Support
import Testing

@testable import Lowering

/// Issue 15: the cost model's Double → Int conversions and sums saturate instead of trapping,
/// and the compiler handles architectures at the edges of every parameter range.
@Suite struct SaturationTests {
  /// Valid specs at the corners of the parameter ranges (slowest memories and host on the
  /// fastest clock; the fastest memories on the slowest clock).
  static let corners: [[String]] = [
    ["clock.mhz=100000", "dram.latency_ns=1000000", "host.latency_us=1000000", "dram.gbps=0.001",
     "host.link_gbps=0.001", "host.gops=0.001"],
    ["clock.mhz=1", "dram.latency_ns=0", "host.latency_us=0", "dram.gbps=100000", "host.link_gbps=100000",
     "host.gops=1000000"],
  ]

  @Test(arguments: corners)
  func compilesAtTheEdgesOfTheRanges(_ overrides: [String]) throws {
    let arch = try ArchSpec.edgeTPU.applying(overrides: overrides).validated()
    for model in [
      TestModels.conv(h: 16, w: 16, c: 8, n: 8), TestModels.depthwise(h: 16, w: 16, c: 8),
      TestModels.fullyConnected(m: 4, k: 64, n: 32),
    ] {
      let compiled = try LoweringPipeline(arch: arch).compile(model)
      #expect(compiled.report.totals.estimatedCycles > 0)
      #expect(compiled.report.totals.estimatedCycles < Int.max)
    }
  }

  /// Figures beyond `Int` clamp at `Int.max` (what an unvalidated, absurd spec would give).
  @Test func costModelSaturates() {
    var arch = ArchSpec.toy4x4
    arch.dram.latencyNanoseconds = 1e18
    arch.dram.bandwidth = GigabytesPerSecond(1e-300)
    arch.host.gigaOpsPerSecond = 1e-300
    arch.host.latencyMicroseconds = 1e300
    arch.host.linkBandwidth = GigabytesPerSecond(1e-300)
    let cost = CostModel(arch: arch)
    #expect(cost.dma(1) == Int.max)
    #expect(cost.dma(1 << 40, transfers: 1 << 40) == Int.max)
    #expect(cost.host(bytes: 1, operations: 1) == Int.max)
    #expect(cost.matmul(pixels: Int.max, reduction: 4, columns: 4, .outputStationary) == Int.max)
    #expect(cost.matmulsWithWeightLoads(matmul: Int.max, load: 5, count: 3) == Int.max)
    #expect(cost.combine(compute: Int.max, load: 1, store: 1, firstLoad: 1, lastStore: 1, overlapped: true) == Int.max)
    #expect(ceilDiv(Int.max, 3) == Int.max / 3 + 1)
  }

  /// An unvalidated absurd spec still compiles to a result or a one-line error, never a trap.
  @Test func absurdSpecDoesNotTrap() {
    var arch = ArchSpec.edgeTPU
    arch.dram.latencyNanoseconds = 1e18
    arch.clock = Megahertz(1e300)
    do {
      let compiled = try LoweringPipeline(arch: arch).compile(TestModels.fullyConnected(m: 2, k: 10, n: 3))
      #expect(compiled.report.totals.estimatedCycles == Int.max)
    } catch {
      #expect(!error.description.contains("\n"))
    }
  }
}
