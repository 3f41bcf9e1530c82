import Architecture
import CycleSim
import GraphIR
import Lowering
import Support

/// What one inference of a model costs on an architecture: latency, energy, and where the
/// cycles go (array, vector unit, host), from the compile + timing simulation `systole run` does.
///
/// Latency is `cycles / clock` (the simulator's cycle count at `ArchSpec.clock`); energy is the
/// simulator's total (`docs/cost-model.md`), leakage over those cycles included.
public struct ArchitectureCost: Sendable, Hashable {
  /// The architecture's name.
  public var arch: String
  /// Simulated cycles of one inference.
  public var cycles: Int64
  /// `cycles` at the architecture's clock, in microseconds.
  public var latencyMicroseconds: Double
  /// Total energy of one inference, in microjoules.
  public var energyMicrojoules: Double
  /// Simulated cycles attributed to the layers of each placement (array, vector, host; the
  /// other placements do no work). With ``otherCycles`` they sum to ``cycles``.
  public var cyclesByPlacement: [Placement: Int64]
  /// Cycles no layer's span covers (the first weight loads, the last output store).
  public var otherCycles: Int64
  /// Operators per placement, as the compiler mapped them.
  public var operatorsByPlacement: [Placement: Int]

  /// The placements that do work, in report order.
  public static let workingPlacements: [Placement] = [.systolicArray, .vectorUnit, .host]

  /// The fraction of ``cycles`` spent in layers of `placement`.
  public func share(_ placement: Placement) -> Double {
    cycles > 0 ? Double(cyclesByPlacement[placement] ?? 0) / Double(cycles) : 0
  }

  /// `array 87 %, vector 4 %` — the working placements with at least 0.5 % of the cycles,
  /// largest first; `host 100 %` for a model the array cannot run.
  public var runsOn: String {
    let parts = Self.workingPlacements.map { ($0, share($0)) }.filter { $0.1 >= 0.005 }
      .sorted { $0.1 > $1.1 }
      .map { "\($0.0.rawValue) \(Int(($0.1 * 100).rounded())) %" }
    return parts.isEmpty ? "none" : parts.joined(separator: ", ")
  }

  /// Compiles `model` for `arch` and simulates one inference (timing only), as `systole run`
  /// does without `--functional`.
  public static func measure(
    model: Model, arch: ArchSpec, lowering: LoweringOptions = LoweringOptions()
  ) throws -> ArchitectureCost {
    var options = RunPipeline.Options(lowering: lowering)
    options.baseline = false
    return ArchitectureCost(try RunPipeline.run(model: model, arch: arch, options: options))
  }

  /// The cost of a finished run.
  public init(_ run: RunPipeline.Result) {
    let sim = run.simulation
    var byPlacement: [Placement: Int64] = [:]
    var attributed: Int64 = 0
    let mapping = run.compiled.report.operators
    for layer in sim.layers {
      let placement = mapping.first { $0.name == layer.name && $0.opName == layer.opName }?.placement
      attributed += layer.counters.cycles
      if let placement { byPlacement[placement, default: 0] += layer.counters.cycles }
    }
    var operators: [Placement: Int] = [:]
    for m in mapping { operators[m.placement, default: 0] += 1 }
    arch = run.arch.name
    cycles = sim.cycles.count
    latencyMicroseconds = Double(sim.cycles.count) / run.arch.clock.value
    energyMicrojoules = sim.energy.total.value / 1e6
    cyclesByPlacement = byPlacement
    otherCycles = max(0, sim.cycles.count - attributed)
    operatorsByPlacement = operators
  }
}
