import Architecture
import CycleSim
import Foundation
import GraphIR
import Lowering
import ModelZoo
import Pipeline
import Reporting
import Support

/// One published silicon measurement and how Systole predicts it.
struct SiliconMeasurement: Sendable {
  /// What is measured.
  enum Figure: Sendable {
    /// Latency of one inference (one batch), ms.
    case latencyMilliseconds
    /// Achieved tera-operations per second (1 MAC = 2 ops), as the TPU paper counts them.
    case teraOps
    /// MAC utilization over the run, %.
    case utilizationPercent
    /// Accelerator cycles: every simulated cycle except those the array spends waiting for
    /// host-fallback tasks (the measurement counts the accelerator's own cycles).
    case acceleratorCycles
    /// A class's share of all cycles (TPU v1 Table 3's breakdown), %.
    case cycleShare(CycleClass)
    /// TPU v1 Table 3's "non-matrix cycles", %: every cycle that is not array active, weight
    /// stall or weight shift. The table's caption says "Rows 1, 4, 5, and 6 total 100%", so its
    /// non-matrix row is the rest of the cycles, whatever keeps the matrix unit idle (its rows 7
    /// and 8, RAW hazards and PCIe input stalls, are counters for two possible reasons). In
    /// Systole's classes that is input stall + output stall + dependency wait + non_matrix
    /// (vector unit busy) + host + idle.
    case matrixIdleShare
    /// Efficiency at the peak rate, TOPS/W: the workload's dynamic energy per operation
    /// (everything but leakage, over 2 × MACs) as if the array ran at peak, plus leakage:
    /// `1 / (dynamic pJ/op + leakage W / peak ops/s)`. A datasheet's "TOPS per watt" is this
    /// ratio at the peak rate; the workload supplies a realistic mix of SRAM and DRAM accesses
    /// per MAC.
    case peakTopsPerWatt

    var label: String {
      switch self {
      case .latencyMilliseconds: "latency ms"
      case .teraOps: "TOPS"
      case .utilizationPercent: "MAC utilization %"
      case .acceleratorCycles: "accelerator cycles"
      case .cycleShare(let c): "\(c.rawValue) % of cycles"
      case .matrixIdleShare: "non-matrix (rest) % of cycles"
      case .peakTopsPerWatt: "TOPS/W at peak rate"
      }
    }

    var key: String {
      switch self {
      case .latencyMilliseconds: "latency_ms"
      case .teraOps: "tops"
      case .utilizationPercent: "utilization_percent"
      case .acceleratorCycles: "accelerator_cycles"
      case .cycleShare(let c): "\(c.rawValue)_percent"
      case .matrixIdleShare: "matrix_idle_percent"
      case .peakTopsPerWatt: "peak_tops_per_watt"
      }
    }
  }

  /// The chip as the source names it.
  var chip: String
  /// The model argument (`zoo:NAME`).
  var workload: String
  var preset: String
  var overrides: [String] = []
  var figure: Figure
  /// The published value, in the figure's unit.
  var published: Double
  var source: String
}

/// The measurements `systole validate` checks, from `../shared/REFERENCE.md` §8 with their
/// sources (docs/validation.md "Silicon"). One preset serves every workload: no per-model factors.
enum SiliconTable {
  static let coral = "coral.ai/docs/edgetpu/benchmarks, Table 1 (USB Accelerator, USB 3)"
  static let jouppi = "Jouppi et al., ISCA 2017, Tables 1 and 3"

  static let rows: [SiliconMeasurement] = [
    .init(chip: "Edge TPU (USB)", workload: "zoo:mobilenet_v1", preset: "edge-tpu", figure: .latencyMilliseconds, published: 2.4, source: coral),
    .init(chip: "Edge TPU (USB)", workload: "zoo:mobilenet_v2", preset: "edge-tpu", figure: .latencyMilliseconds, published: 2.6, source: coral),
    .init(chip: "Edge TPU (USB)", workload: "zoo:inception_v1", preset: "edge-tpu", figure: .latencyMilliseconds, published: 3.4, source: coral),
    .init(chip: "Edge TPU (USB)", workload: "zoo:efficientnet_edgetpu_s", preset: "edge-tpu", figure: .latencyMilliseconds, published: 5.1, source: coral),
    .init(chip: "Edge TPU (USB)", workload: "zoo:inception_v1", preset: "edge-tpu", figure: .peakTopsPerWatt, published: 2, source: "Coral Accelerator Module datasheet: 4 TOPS at 2 W"),
    .init(chip: "TPU v1", workload: "zoo:mlp0", preset: "tpu-v1", figure: .teraOps, published: 12.3, source: jouppi),
    .init(chip: "TPU v1", workload: "zoo:mlp0", preset: "tpu-v1", figure: .cycleShare(.arrayActive), published: 12.7, source: jouppi),
    .init(chip: "TPU v1", workload: "zoo:mlp0", preset: "tpu-v1", figure: .cycleShare(.weightStall), published: 53.9, source: jouppi),
    .init(chip: "TPU v1", workload: "zoo:mlp0", preset: "tpu-v1", figure: .cycleShare(.weightShift), published: 15.9, source: jouppi),
    .init(chip: "TPU v1", workload: "zoo:mlp0", preset: "tpu-v1", figure: .matrixIdleShare, published: 17.5, source: jouppi),
    .init(chip: "Gemmini (default)", workload: "zoo:resnet50", preset: "gemmini", figure: .utilizationPercent, published: 51, source: "ucb-bar/gemmini PR #90 (after offloading global average pooling)"),
    .init(chip: "VTA (default)", workload: "zoo:resnet18", preset: "vta", figure: .acceleratorCycles, published: 31_000_000, source: "apache/tvm PR #4694 (tsim, Chisel RTL)"),
  ]

}

/// `systole validate`: every preset against published silicon measurements.
enum ValidateCommand {
  static let command = Driver.Command(
    name: "validate",
    abstract: "Compare every preset's predictions with published silicon measurements.",
    usage: "systole validate [--preset NAME] [--json FILE] [--overwrite] [--max-memory SIZE]",
    discussion: """
      Runs each workload of the built-in table (Coral's Edge TPU benchmarks, the TPU v1 paper's
      MLP0 throughput and cycle breakdown, Gemmini's ResNet-50 utilization, VTA's ResNet-18
      cycles; sources in docs/validation.md) timing-only on its preset, with the preset exactly
      as `arch show` prints it, and prints workload, preset, figure, published value, source,
      Systole's prediction and the error in %, then the mean and largest |error|. --preset keeps
      one preset's rows; --json FILE writes the rows (keys in docs/cli.md).
      """,
    options: [
      OptionSpec(name: "preset", kind: .value(placeholder: "NAME", repeats: false), help: "Only this preset's rows."),
      OptionSpec(name: "json", kind: .value(placeholder: "FILE", repeats: false), help: "Write the rows as JSON."),
      OptionSpec(name: "overwrite", kind: .flag, help: "Replace an existing JSON file."),
      MemoryLimitOption.spec,
    ],
    run: { args, console in try run(args, console: &console) })

  struct Row {
    var measurement: SiliconMeasurement
    var predicted: Double
    var errorPercent: Double { 100 * (predicted - measurement.published) / measurement.published }
  }

  static func run(_ args: ParsedArguments, console: inout Driver.Console) throws {
    guard args.positionals.isEmpty else { throw UsageError("validate takes no positional arguments", command: "validate") }
    var table = SiliconTable.rows
    if let p = args.value("preset") {
      let presets = Set(SiliconTable.rows.map(\.preset))
      guard presets.contains(p) else {
        throw UsageError("no measurements for preset '\(p)'; presets with measurements: \(presets.sorted().joined(separator: ", "))", command: "validate")
      }
      table = table.filter { $0.preset == p }
    }
    if let path = args.value("json") { try FileIO.checkOverwrite([path], overwrite: args.flag("overwrite")) }
    let rows = try evaluate(table, budget: MemoryLimitOption.budget(args, command: "validate"))
    console.out(render(rows))
    if let path = args.value("json") {
      try FileIO.write(json(rows).serialized() + "\n", to: path, overwrite: args.flag("overwrite"))
      console.err("wrote \(path)\n")
    }
  }

  /// Simulates each distinct (workload, preset) once and reads every figure off it.
  static func evaluate(_ table: [SiliconMeasurement], budget: MemoryBudget? = nil) throws -> [Row] {
    var runs: [String: RunPipeline.Result] = [:]
    var rows: [Row] = []
    for m in table {
      let key = ([m.workload, m.preset] + m.overrides).joined(separator: " ")
      if runs[key] == nil {
        let arch = try ArchSpec.resolve(m.preset, overrides: m.overrides)
        let model = try ModelLoader.load(m.workload)
        var options = RunPipeline.Options()
        options.baseline = false
        // Timing-only, as sweeps compile: the same instructions and cycles (LoweringPlanTests
        // `timingOnlyProgramsTimeLikeFullOnes`) without the constant image and the verifier's
        // data check, which was half of the command's time.
        options.lowering.verifyData = false
        options.lowering.writeConstants = false
        options.lowering.recordTiles = false
        options.lowering.memoryBudget = budget
        runs[key] = try RunPipeline.run(model: model, arch: arch, options: options)
      }
      guard let r = runs[key] else { continue }
      rows.append(Row(measurement: m, predicted: figure(m.figure, r)))
    }
    return rows
  }

  static func figure(_ f: SiliconMeasurement.Figure, _ r: RunPipeline.Result) -> Double {
    let sim = r.simulation
    let cycles = Double(sim.cycles.count)
    let microseconds = cycles / r.arch.clock.value
    switch f {
    case .latencyMilliseconds: return microseconds / 1000
    case .teraOps: return microseconds > 0 ? 2 * Double(sim.total.macs) / (microseconds * 1e-6) / 1e12 : 0
    case .utilizationPercent: return 100 * sim.utilization
    case .acceleratorCycles: return cycles - Double(sim.total[CounterKey.cycles(of: .host)])
    case .cycleShare(let c): return cycles > 0 ? 100 * Double(sim.total[CounterKey.cycles(of: c)]) / cycles : 0
    case .matrixIdleShare:
      let matrix: [CycleClass] = [.arrayActive, .weightStall, .weightShift]
      let busy = matrix.reduce(0.0) { $0 + Double(sim.total[CounterKey.cycles(of: $1)]) }
      return cycles > 0 ? 100 * (cycles - busy) / cycles : 0
    case .peakTopsPerWatt:
      let ops = 2 * Double(sim.total.macs)
      guard ops > 0 else { return 0 }
      let dynamicPicojoulesPerOp = (sim.energy.total.value - sim.energy[.leakage].value) / ops
      let leakageWatts = r.arch.leakageEnergyPerCycle.value * 1e-12 * r.arch.clock.hertz
      let peakOpsPerSecond = 2 * r.arch.peakMACsPerSecond
      let joulesPerOp = dynamicPicojoulesPerOp * 1e-12 + leakageWatts / peakOpsPerSecond
      return 1 / joulesPerOp / 1e12
    }
  }

  static func format(_ v: Double, _ f: SiliconMeasurement.Figure) -> String {
    switch f {
    case .acceleratorCycles: groupedDigits(Int(v.rounded()))
    case .latencyMilliseconds, .peakTopsPerWatt: String(format: "%.2f", v)
    default: String(format: "%.1f", v)
    }
  }

  static func render(_ rows: [Row]) -> String {
    var t = TextTable(
      headers: ["chip", "workload", "preset", "figure", "published", "Systole", "error %", "source"],
      alignments: [.left, .left, .left, .left, .right, .right, .right, .left])
    for r in rows {
      let m = r.measurement
      t.append([
        m.chip, m.workload, ([m.preset] + m.overrides.map { "--set \($0)" }).joined(separator: " "), m.figure.label,
        format(m.published, m.figure), format(r.predicted, m.figure), String(format: "%+.1f", r.errorPercent), m.source,
      ])
    }
    var s = t.render()
    let errors = rows.map { abs($0.errorPercent) }
    if let worst = errors.max() {
      let mean = errors.reduce(0, +) / Double(errors.count)
      let within = errors.filter { $0 <= 25 }.count
      s += String(format: "\n%d rows: mean |error| %.1f %%, largest %.1f %%; %d of %d within 25 %%\n", rows.count, mean, worst, within, rows.count)
    }
    return s
  }

  static func json(_ rows: [Row]) -> JSONValue {
    .array(
      rows.map { r in
        let m = r.measurement
        return .object([
          ("chip", .string(m.chip)), ("workload", .string(m.workload)), ("preset", .string(m.preset)),
          ("overrides", .array(m.overrides.map { .string($0) })), ("figure", .string(m.figure.key)),
          ("published", .double(m.published)), ("predicted", .double(r.predicted)),
          ("error_percent", .double(r.errorPercent)), ("source", .string(m.source)),
        ])
      })
  }
}
