import Architecture
import Foundation
import Support
import Sweeps
import Testing

/// A deterministic evaluator from closed-form figures of `ArchSpec`: no compiler, no simulator.
///
/// Model `small` does 2²⁰ MACs, `big` 2²⁶, anything else throws. Compiler option
/// `double-buffering=broken` throws. It counts its calls.
final class FakeEvaluator: PointEvaluator, @unchecked Sendable {
  private let lock = NSLock()
  private var calls = 0
  let declared: [String]

  init(declaring components: [String] = []) { declared = components }

  var callCount: Int { lock.withLock { calls } }
  var energyComponents: [String] { declared }

  struct Failure: Error, CustomStringConvertible {
    var description: String
  }

  static func macs(_ model: String) -> Double? {
    switch model {
    case "small": 1_048_576
    case "big": 67_108_864
    default: nil
    }
  }

  func evaluate(model: String, arch: ArchSpec, compilerOptions: [String: String]) throws -> PointMetrics {
    lock.withLock { calls += 1 }
    guard let macs = FakeEvaluator.macs(model) else { throw Failure(description: "unknown model '\(model)'") }
    if compilerOptions["double-buffering"] == "broken" {
      throw Failure(description: "compiler: double-buffering must be on or off, got broken")
    }
    let (cycles, energy, dram) = FakeEvaluator.figures(macs: macs, arch: arch, options: compilerOptions)
    let (baseCycles, baseEnergy, _) = FakeEvaluator.figures(macs: macs, arch: arch.baseline, options: compilerOptions)
    let latency = cycles / arch.clock.value
    var components = ["mac": macs * arch.macEnergy.value / 1e6, "dram": dram * arch.dram.energyPerBit.value * 8 / 1e6]
    if model == "big" { components["leakage"] = energy - components["mac"]! - components["dram"]! }
    return PointMetrics(
      cycles: Cycle(Int64(cycles)), latencyMicroseconds: latency, inferencesPerSecond: 1e6 / latency,
      utilization: macs / (cycles * Double(arch.peakMACsPerCycle)), dramBytes: ByteCount(Int64(dram)),
      sramBytes: ByteCount(Int64(macs / 16)), energyMicrojoules: energy, energyByComponent: components,
      baselineLatencyMicroseconds: baseCycles / arch.clock.value, baselineEnergyMicrojoules: baseEnergy)
  }

  /// cycles = ⌈MACs / PEs⌉ + DRAM bytes / bytes per cycle (+ weight loads unless double
  /// buffered); energy = MAC energy + DRAM energy + leakage.
  static func figures(macs: Double, arch: ArchSpec, options: [String: String]) -> (Double, Double, Double) {
    let dram = (macs / Double(arch.array.rows)).rounded(.up) * Double(arch.elementBytes)
    var cycles = (macs / Double(arch.peakMACsPerCycle)).rounded(.up) + (dram / arch.dramBytesPerCycle).rounded(.up)
    if options["double-buffering"] == "off" { cycles += Double(arch.weightTileLoadCycles) * 4 }
    if arch.dataflow == .outputStationary { cycles += Double(arch.array.rows) }
    let energyPJ = macs * arch.macEnergy.value + dram * arch.dram.energyPerBit.value * 8
      + cycles * arch.energy.leakageMilliwatts / arch.clock.value * 1000
    return (cycles, energyPJ / 1e6, dram)
  }
}

/// A base architecture small enough that 512×512 arrays overflow its weight buffer.
func smallBase() throws -> ArchSpec {
  try ArchSpec.defaults.applying(overrides: ["name=base", "array=64x64", "weights.kib=256"]).validated()
}

/// Records every progress call.
final class RecordingProgress: SweepProgress, @unchecked Sendable {
  private let lock = NSLock()
  private var log: [String] = []
  var events: [String] { lock.withLock { log } }
  func sweepStarted(evaluations: Int, rows: Int) { lock.withLock { log.append("start \(evaluations) \(rows)") } }
  func evaluationFinished(completed: Int, total: Int, label: String) {
    lock.withLock { log.append("done \(completed)/\(total)") }
  }
  func sweepFinished() { lock.withLock { log.append("end") } }
}

/// Expects `body` to throw an error whose description is `message`.
func expectError(
  _ message: String, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void
) {
  do {
    try body()
    Issue.record("expected the error: \(message)", sourceLocation: sourceLocation)
  } catch {
    #expect(String(describing: error) == message, sourceLocation: sourceLocation)
  }
}
