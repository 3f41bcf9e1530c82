import Architecture
import CycleSim
import Foundation
import GoldenModel
import GraphIR
import Lowering
import Pipeline
import Reporting
import Support
import Sweeps
import TileISA

/// Evaluates sweep points with the same compiler and simulator as `systole run`.
///
/// Every point is planned (legalize, fuse, tiling: the cost model's decisions, milliseconds);
/// the plan is finished into a program only when no earlier point had the same
/// `ProgramIdentity` (geometry, options and decisions). Clock, DRAM, host, vector-rate and
/// energy parameters change a program only through the cost model's decisions, so most points
/// reuse one. The float32 baseline is planned and shared the same way.
struct PipelineEvaluator: PointEvaluator {
  /// What identifies a compiled program in a study.
  struct ProgramKey: Hashable, Sendable {
    var model: String
    var identity: ProgramIdentity
  }

  /// The models as loaded, before shape resolution: each point resolves its own batch.
  let models: [String: Model]
  /// `--batch`/`--input-shape` from the command line; a `batch` axis overrides the batch.
  var shapes = ShapeRequest()
  /// Simulate the float32 baseline at every point (`--baseline fp32`, the default); without
  /// it the baseline columns are empty (CSV) or null (JSON).
  var baseline = true
  /// `--max-memory`: each point's program is refused (an invalid row) when its estimate, with
  /// the simulator's tables, exceeds it.
  var memoryBudget: MemoryBudget?
  let programs = ProgramCache<ProgramKey, TileProgram>()

  var energyComponents: [String] { EnergyComponent.allCases.map { $0.rawValue.replacingOccurrences(of: "_pj", with: "") } }

  /// How many programs were compiled so far (for the end-of-run summary).
  var compiledPrograms: Int { programs.computeCount }

  func evaluate(model name: String, arch: ArchSpec, compilerOptions: [String: String]) throws -> PointMetrics {
    guard let loaded = models[name] else { throw PipelineError("model '\(name)' was not loaded") }
    var request = shapes
    if let text = compilerOptions["batch"] {
      guard let b = Int(text), b >= 1, b <= ShapeOptions.maxBatch else {
        throw PipelineError("batch=\(text.prefix(20)): expected an integer in 1...\(ShapeOptions.maxBatch)")
      }
      request.batch = b
    }
    let model = try ShapeResolver.resolve(loaded, request, maxTensorBytes: ModelLoader.tensorBudget)
    let batch = model.main.inputs.first.flatMap { model.main[$0].shape.first } ?? 1
    let programModel = request.batch.map { "\(name)#batch=\($0)" } ?? name
    var options = LoweringOptions(verifyData: false, writeConstants: false)
    options.recordTiles = false
    options.memoryBudget = memoryBudget
    options.memoryBudget?.consumerBytesPerInstruction = Simulator.bytesPerInstruction
    switch compilerOptions["dataflow-policy"] ?? "arch" {
    case "auto": options.dataflow = .automatic
    case "arch": options.dataflow = .architecture
    case let other: throw PipelineError("compiler option dataflow-policy=\(other): expected auto or arch")
    }
    if let d = compilerOptions["double-buffering"] { options.doubleBuffering = d == "on" || d == "true" }
    if let c = compilerOptions["cache-weights"] { options.cacheWeights = c == "on" || c == "true" }
    func simulate(_ arch: ArchSpec) throws -> SimulationResult {
      let pipeline = LoweringPipeline(arch: arch, options: options)
      let plan = try pipeline.plan(model)
      let program = try programs.value(for: ProgramKey(model: programModel, identity: plan.identity)) {
        try pipeline.compile(plan).program
      }
      var simulator = Simulator(arch: arch, program: program, mode: .timing)
      return try simulator.run()
    }
    let sim = try simulate(arch)
    let base = baseline ? try simulate(arch.baseline) : nil
    let us = Double(sim.cycles.count) / arch.clock.value
    var components: [String: Double] = [:]
    for c in EnergyComponent.allCases { components[c.rawValue.replacingOccurrences(of: "_pj", with: "")] = sim.energy[c].value / 1e6 }
    return PointMetrics(
      cycles: sim.cycles, latencyMicroseconds: us, inferencesPerSecond: us > 0 ? Double(batch) * 1e6 / us : 0,
      utilization: sim.utilization, dramBytes: ByteCount(sim.total.dramBytes), sramBytes: ByteCount(RunReport.sramBytes(sim.total)),
      energyMicrojoules: sim.energy.total.value / 1e6, energyByComponent: components,
      baselineLatencyMicroseconds: base.map { Double($0.cycles.count) / arch.baseline.clock.value } ?? .nan,
      baselineEnergyMicrojoules: base.map { $0.energy.total.value / 1e6 } ?? .nan)
  }
}

/// `systole sweep`: architecture what-if studies.
enum SweepCommand {
  static let command = Driver.Command(
    name: "sweep",
    abstract: "Sweep architecture parameters over models: CSV/JSON rows, Pareto fronts, plots, shards.",
    usage: "systole sweep MODEL... --arch BASE --vary KEY=V1,V2 ... -o study.csv [--plot study.html] [--jobs N] [--baseline fp32|none] [--shard I/N] [--resume] [--max-memory SIZE] | sweep merge PART... -o study.csv | sweep best study.csv [--objective energy|latency|edp]",
    discussion: """
      Runs the cartesian product of the --vary axes (any architecture parameter by its dotted key,
      array=32x32,64x64, dataflow=ws,os,is, or compiler options double-buffering=on,off,
      cache-weights=on,off, dataflow-policy=arch,auto) — or the points of --points FILE.csv — for
      every model, timing-only, on all cores (--jobs). Each row: the varied settings, cycles,
      latency, inferences/s, utilization, DRAM/SRAM bytes, energy by component, the float32
      baseline's latency and energy with ratios, an area proxy, a status (invalid points keep
      their reason), and Pareto flags. Rows are identical whatever --jobs is. --shard I/N runs a
      deterministic slice; 'sweep merge' joins parts into the file one run would write.
      --resume skips points already in the output file. Details: docs/sweeps.md.
      """,
    options: [
      OptionSpec(name: "arch", kind: .value(placeholder: "BASE", repeats: false), help: "Base architecture (preset or JSON; default tpu-v1)."),
      OptionSpec(name: "set", kind: .value(placeholder: "KEY=VALUE", repeats: true), help: "Override a base parameter."),
      OptionSpec(name: "vary", kind: .value(placeholder: "KEY=V1,V2", repeats: true), help: "An axis of the study (repeatable)."),
      OptionSpec(name: "points", kind: .value(placeholder: "FILE.csv", repeats: false), help: "Explicit points instead of --vary."),
      OptionSpec(name: "jobs", kind: .value(placeholder: "N", repeats: false), help: "Parallel evaluations (default: all cores)."),
      OptionSpec(name: "shard", kind: .value(placeholder: "I/N", repeats: false), help: "Run slice I of N (0-based)."),
      OptionSpec(name: "resume", kind: .flag, help: "Skip points already present in the -o file."),
      OptionSpec(name: "o", kind: .value(placeholder: "FILE.csv", repeats: false), help: "Output CSV (required for runs and merge)."),
      OptionSpec(name: "json", kind: .value(placeholder: "FILE.json", repeats: false), help: "Also write the study as JSON."),
      OptionSpec(name: "plot", kind: .value(placeholder: "FILE.html", repeats: false), help: "Write a self-contained HTML page of charts."),
      OptionSpec(name: "baseline", kind: .value(placeholder: "fp32|none", repeats: false), help: "Simulate the float32 baseline at every point (default fp32); none halves the work."),
      OptionSpec(name: "objective", kind: .value(placeholder: "energy|latency|edp", repeats: false), help: "'best': what to minimize (default edp)."),
      OptionSpec(name: "overwrite", kind: .flag, help: "Replace existing output files."),
      MemoryLimitOption.spec,
    ] + ShapeOptions.specs,
    run: { args, console in try run(args, console: &console) })

  static func run(_ args: ParsedArguments, console: inout Driver.Console) throws {
    let name = "sweep"
    let overwrite = args.flag("overwrite")
    switch args.positionals.first {
    case "merge":
      guard let out = args.value("o") else { throw UsageError("'sweep merge' needs -o <study.csv>", command: name) }
      let parts = Array(args.positionals.dropFirst())
      guard !parts.isEmpty else { throw UsageError("'sweep merge' needs the part files", command: name) }
      let study = try SweepCSV.merge(paths: parts)
      try FileIO.write(study.csv(), to: out, overwrite: overwrite)
      console.err("merged \(parts.count) part(s), \(study.rows.count) rows, into \(out)\n")
      return
    case "best":
      guard args.positionals.count == 2 else { throw UsageError("'sweep best' takes one study CSV", command: name) }
      let study = try SweepCSV.load(path: args.positionals[1])
      let text = args.value("objective") ?? "edp"
      guard let objective = SweepStudy.Objective(rawValue: text) else {
        throw UsageError("unknown --objective '\(text)'; expected energy, latency or edp", command: name)
      }
      var t = TextTable(headers: ["model", "settings", "latency µs", "energy µJ", "EDP µJ·µs"], alignments: [.left, .left, .right, .right, .right])
      for row in study.best(objective: objective) {
        guard let m = row.metrics else { continue }
        let settings = study.columns.compactMap { c in study.setting(c, in: row).map { "\(c)=\($0)" } }.joined(separator: " ")
        t.append([
          row.model, settings, String(format: "%.2f", m.latencyMicroseconds), String(format: "%.3f", m.energyMicrojoules),
          String(format: "%.3g", m.energyDelayProduct),
        ])
      }
      console.out("best by \(objective.rawValue):\n" + t.render())
      return
    default:
      break
    }
    guard !args.positionals.isEmpty else { throw UsageError("expected one or more models", command: name) }
    guard let out = args.value("o") else { throw UsageError("missing -o <study.csv>", command: name) }
    let memoryBudget = try MemoryLimitOption.budget(args, command: name)
    if FileManager.default.fileExists(atPath: out) && !overwrite && !args.flag("resume") {
      throw DriverError(.cannotWrite, "\(out): already exists; pass --overwrite to replace it or --resume to continue it")
    }
    // The other outputs too, before anything runs or is written.
    try FileIO.checkOverwrite(["json", "plot"].compactMap { args.value($0) }, overwrite: overwrite)
    let base = try ArchSpec.resolve(args.value("arch") ?? "tpu-v1", overrides: args.all("set"))
    var spec = SweepSpec(models: args.positionals, base: base)
    spec.axes = try SweepSpec.parseAxes(args.all("vary"), base: base)
    spec.pointsFile = args.value("points")
    if let j = args.value("jobs") { spec.jobs = max(1, try parseInteger(j, option: "jobs", command: name)) }
    if let s = args.value("shard") { spec.shard = try SweepShard.parse(s) }
    if args.flag("resume") && FileManager.default.fileExists(atPath: out) { spec.resumeFrom = out }
    var models: [String: Model] = [:]
    let shapes = try ShapeOptions.parse(args, command: name)
    for m in Set(args.positionals) {
      // Kept unresolved so a `batch` axis can re-resolve it per point; resolved once here so a
      // bad batch or shape stops the sweep instead of becoming an invalid row.
      let unresolved = try ModelLoader.loadUnresolved(m, shapes: shapes, seed: 0)
      _ = try ShapeResolver.resolve(unresolved, shapes, maxTensorBytes: ModelLoader.tensorBudget)
      models[m] = unresolved
    }
    var evaluator = PipelineEvaluator(models: models)
    evaluator.shapes = shapes
    evaluator.baseline = try parseBaseline(args, command: name)
    evaluator.memoryBudget = memoryBudget
    let start = Date()
    let study = try SweepRunner.run(spec: spec, evaluator: evaluator, progress: TerminalProgressBar.standardError())
    let seconds = Date().timeIntervalSince(start)
    try FileIO.write(study.csv(), to: out, overwrite: true)
    if let path = args.value("json") { try FileIO.write(study.json().serialized() + "\n", to: path, overwrite: overwrite) }
    if let path = args.value("plot") { try FileIO.write(SweepPlot.html(study), to: path, overwrite: overwrite) }
    let ok = study.rows.filter { $0.metrics != nil }.count
    console.err(
      "\(study.rows.count) rows (\(ok) ok, \(study.rows.count - ok) invalid) in \(String(format: "%.1f", seconds)) s, \(evaluator.compiledPrograms) programs compiled; wrote \(out)\n")
  }
}
