import Architecture
import CycleSim
import Foundation
import GoldenModel
import GraphIR
import Lowering
import Pipeline
import Quantizer
import Reporting
import Support

/// `systole run`: compile and simulate a model on an architecture, with the float32 baseline.
enum RunCommand {
  static let command = Driver.Command(
    name: "run",
    abstract: "Compile and simulate a model: cycles, utilization, traffic, energy, float32 baseline.",
    usage: "systole run <model.tflite|zoo:NAME|topology.csv> --arch <preset|file.json|scale.cfg> [--set K=V]... [--functional] [--input F,...]... [--output-dir D] [--json FILE] [--baseline fp32|none] [--max-memory SIZE] [--batch N] [--input-shape INPUT=DIMS]...",
    discussion: """
      Compiles the model for the architecture (docs/compiler.md), simulates it (docs/cost-model.md)
      and prints a per-layer table (op, where it ran, cycles, MACs, utilization, top stall, DRAM
      bytes, energy) and totals: latency in cycles and µs, inferences/s, achieved vs peak TOPS,
      MAC utilization, DRAM and SRAM traffic by class, energy by component, the roofline position
      and the array's cycle breakdown (TPU v1 stall taxonomy). The float32 baseline — the same
      model on the same array geometry with a float32 datapath — is printed beside it with ratios;
      --baseline none skips it.
      --functional executes the int8 math (same --input/--output-dir interface as 'eval'; random
      inputs with --seed when no --input is given) and checks the outputs equal the golden model's.
      --batch N sets the batch (a converter-default file's -1 batch resolves to 1 without it; a
      static model is re-batched where its graph allows): latency is then per batch and
      inferences/s counts samples; functional input and output files hold N samples back to
      back. A SCALE-Sim topology or GEMM CSV runs through Systole's own model (seeded weights).
      --quantize SCHEME quantizes a float32 model first (32 synthetic calibration samples).
      --timing scalesim with a SCALE-Sim topology CSV (or GEMM CSV with --gemm) and .cfg prints
      SCALE-Sim's own per-layer compute cycles, utilization and mapping efficiency.
      """,
    options: [
      OptionSpec(name: "arch", kind: .value(placeholder: "A", repeats: false), help: "Preset name, architecture JSON, or SCALE-Sim .cfg (default edge-tpu)."),
      OptionSpec(name: "set", kind: .value(placeholder: "KEY=VALUE", repeats: true), help: "Override an architecture parameter."),
      OptionSpec(name: "dataflow", kind: .value(placeholder: "auto|arch|ws|os|is", repeats: false), help: "Per-layer dataflow choice (default auto: the cost model picks)."),
      OptionSpec(name: "functional", kind: .flag, help: "Execute the int8 math and produce outputs."),
      OptionSpec(name: "input", kind: .value(placeholder: "FILE[,FILE...]", repeats: true), help: "Inputs of one invocation (implies --functional)."),
      OptionSpec(name: "output-dir", kind: .value(placeholder: "DIR", repeats: false), help: "Write outputs as DIR/<invocation>.<output>.bin."),
      OptionSpec(name: "seed", kind: .value(placeholder: "N", repeats: false), help: "Seed for random inputs (default 0)."),
      ThreadsOption.spec,
      OptionSpec(name: "baseline", kind: .value(placeholder: "fp32|none", repeats: false), help: "Simulate the float32 baseline (default fp32)."),
      OptionSpec(name: "json", kind: .value(placeholder: "FILE", repeats: false), help: "Write the whole report as JSON (keys in docs/cli.md)."),
      OptionSpec(name: "report", kind: .value(placeholder: "FILE.html", repeats: false), help: "Write a self-contained HTML report (docs/reports.md)."),
      OptionSpec(name: "csv", kind: .value(placeholder: "FILE", repeats: false), help: "Write one CSV row per layer (headers with units)."),
      OptionSpec(name: "quantize", kind: .value(placeholder: "SCHEME", repeats: false), help: "Quantize a float32 model first."),
      OptionSpec(name: "timing", kind: .value(placeholder: "systole|scalesim", repeats: false), help: "Timing model (default systole)."),
      OptionSpec(name: "gemm", kind: .flag, help: "With --timing scalesim: the CSV is a GEMM topology (Layer, M, N, K)."),
      OptionSpec(name: "trace", kind: .value(placeholder: "FILE.json", repeats: false), help: "Write a Perfetto/Chrome trace (docs/traces.md)."),
      OptionSpec(name: "trace-level", kind: .value(placeholder: "layer|instruction", repeats: false), help: "Trace detail (default instruction)."),
      OptionSpec(name: "trace-cycles", kind: .value(placeholder: "START:END", repeats: false), help: "Trace only this cycle window."),
      OptionSpec(name: "trace-layers", kind: .value(placeholder: "A-B", repeats: false), help: "Trace only these layers."),
      OptionSpec(name: "overwrite", kind: .flag, help: "Replace existing output files."),
      MemoryLimitOption.spec,
    ] + ShapeOptions.specs,
    run: { args, console in try run(args, console: &console) })

  static func run(_ args: ParsedArguments, console: inout Driver.Console) throws {
    let name = "run"
    guard args.positionals.count == 1 else {
      throw UsageError("expected exactly one model; got \(args.positionals.count) arguments", command: name)
    }
    if args.value("timing") == "scalesim" { return try runScaleSim(args, console: &console) }
    if let t = args.value("timing"), t != "systole" {
      throw UsageError("unknown --timing '\(t)'; expected systole or scalesim", command: name)
    }
    let arch = try resolveArch(args.value("arch") ?? "edge-tpu", overrides: args.all("set"))
    var model = try ModelLoader.load(args.positionals[0], shapes: ShapeOptions.parse(args, command: name))
    if let scheme = args.value("quantize") {
      let s = try QuantizeCommand.parseScheme(scheme, command: name)
      let q = try Quantizer.quantize(
        model: model, scheme: s,
        calibration: .random(count: 32, seed: 0, distribution: QuantizeCommand.defaultDistribution(model)))
      for limitation in q.arrayLimitations { console.err("note: \(limitation)\n") }
      model = q.model
    }
    var options = RunPipeline.Options()
    options.lowering.memoryBudget = try MemoryLimitOption.budget(args, command: name)
    options.lowering.dataflow = try parseDataflow(args.value("dataflow") ?? "auto")
    options.baseline = try parseBaseline(args, command: name)
    options.functional = args.flag("functional") || !args.all("input").isEmpty || args.value("output-dir") != nil
    if let parallelism = try ThreadsOption.parse(args, command: name) { options.parallelism = parallelism }
    var inputs: [[TensorData]] = []
    if options.functional {
      if args.all("input").isEmpty {
        let seed = try args.value("seed").map { v throws(UsageError) in try parseInteger(v, option: "seed", command: name) } ?? 0
        var rng = SeededGenerator(seed: UInt64(seed))
        inputs = [model.main.inputs.map { RandomTensors.make(model.main[$0], using: &rng) }]
      } else {
        for (n, list) in args.all("input").enumerated() {
          inputs.append(try EvalCommand.readInputs(list, invocation: n, graph: model.main))
        }
      }
    }
    // Every output is checked before anything runs or is written.
    var outputs = ["trace", "json", "report", "csv"].compactMap { args.value($0) }
    if let dir = args.value("output-dir") {
      outputs += inputs.indices.flatMap { n in model.main.outputs.indices.map { "\(dir)/\(n).\($0).bin" } }
    }
    try FileIO.checkOverwrite(outputs, overwrite: args.flag("overwrite"))
    if let dir = args.value("output-dir") { try FileIO.makeDirectory(dir) }

    let result: RunPipeline.Result
    if let tracePath = args.value("trace") {
      result = try runTraced(model: model, arch: arch, options: options, inputs: inputs, path: tracePath, args: args, console: &console)
    } else {
      result = try TerminalActivity.run("\(args.positionals[0]) on \(arch.name)", phase: "compiling") { progress in
        var options = options
        options.progress = progress
        return try RunPipeline.run(model: model, arch: arch, options: options, inputs: inputs)
      }
    }
    let report = RunReport(result)
    console.out(report.renderText())

    if options.functional {
      // The simulator's outputs must equal the golden model's (and so TFLite's reference kernels').
      var interpreter = Interpreter(model: model)
      var differing = 0
      for (n, sample) in inputs.enumerated() {
        let golden = try interpreter.invoke(sample)
        for (o, value) in result.outputs[n].enumerated() {
          if value != golden[o] { differing += 1 }
          if let dir = args.value("output-dir") {
            try FileIO.write(value.littleEndianBytes(), to: "\(dir)/\(n).\(o).bin", overwrite: args.flag("overwrite"))
          }
        }
      }
      console.out("\nfunctional: \(inputs.count) invocation(s); simulator outputs \(differing == 0 ? "equal" : "DIFFER from") the golden model's\n")
      if differing > 0 {
        throw PipelineError("\(differing) simulated output tensor(s) differ from the golden model (a compiler or simulator bug)")
      }
    }
    if let path = args.value("json") {
      try FileIO.write(report.json().serialized() + "\n", to: path, overwrite: args.flag("overwrite"))
      console.err("wrote \(path)\n")
    }
    if let path = args.value("report") {
      try FileIO.write(RunHTMLReport.render(result), to: path, overwrite: args.flag("overwrite"))
      console.err("wrote \(path)\n")
    }
    if let path = args.value("csv") {
      try FileIO.write(report.csv(), to: path, overwrite: args.flag("overwrite"))
      console.err("wrote \(path)\n")
    }
  }

  /// Runs with a trace writer observing the simulation, streaming the trace to `path`.
  static func runTraced(
    model: Model, arch: ArchSpec, options: RunPipeline.Options, inputs: [[TensorData]], path: String,
    args: ParsedArguments, console: inout Driver.Console
  ) throws -> RunPipeline.Result {
    var traceOptions = TraceOptions()
    if let t = args.value("trace-level") { traceOptions.level = try TraceOptions.parseLevel(t) }
    if let t = args.value("trace-cycles") { traceOptions.cycleWindow = try TraceOptions.parseCycleWindow(t, option: "--trace-cycles") }
    if let t = args.value("trace-layers") { traceOptions.layerRange = try TraceOptions.parseLayerRange(t) }
    if FileManager.default.fileExists(atPath: path) && !args.flag("overwrite") {
      throw DriverError(.cannotWrite, "\(path): already exists; pass --overwrite to replace it")
    }
    let compiled = try RunPipeline.compile(model: model, arch: arch, options: options)
    let estimate = traceOptions.estimatedBytes(program: compiled.program)
    if estimate > 16 << 20 {
      console.err("writing a trace of about \(ByteCount(estimate)) to \(path) (use --trace-level layer or --trace-cycles to shrink it)\n")
    }
    // Streamed to a temporary file beside `path` and renamed at the end: an error or Ctrl-C
    // leaves nothing at `path` (the temporary file is removed too).
    let file = try PendingFile(finalPath: path)
    let stream = TraceFileStream(handle: file.handle)
    var writer = PerfettoTraceWriter(program: compiled.program, arch: arch, options: traceOptions, output: stream)
    let result = try RunPipeline.run(
      model: model, arch: arch, options: options, inputs: inputs, compiled: compiled, observer: &writer)
    writer.finish(result.simulation)
    do {
      try stream.close()
    } catch {
      file.discard()
      throw DriverError(.cannotWrite, "\(path): \(error)")
    }
    try file.commit(overwrite: args.flag("overwrite"))
    console.err("wrote \(path) (\(ByteCount(stream.byteCount)))\n")
    return result
  }

  static func resolveArch(_ text: String, overrides: [String]) throws -> ArchSpec {
    if text.hasSuffix(".cfg") {
      let bytes = try FileIO.read(text)
      let config = try ScaleSimConfig(parsing: String(decoding: bytes, as: UTF8.self), file: text)
      var spec = try config.archSpec(file: text)
      spec = try spec.applying(overrides: overrides)
      return try spec.validated()
    }
    return try ArchSpec.resolve(text, overrides: overrides)
  }

  static func parseDataflow(_ text: String) throws(UsageError) -> DataflowPolicy {
    switch text {
    case "auto": return .automatic
    case "arch": return .architecture
    default:
      guard let d = Dataflow(rawValue: text) else {
        throw UsageError("unknown --dataflow '\(text)'; expected auto, arch, ws, os or is", command: "run")
      }
      return .fixed(d)
    }
  }

  /// SCALE-Sim's closed-form compute model on a topology CSV, layer by layer.
  static func runScaleSim(_ args: ParsedArguments, console: inout Driver.Console) throws {
    let path = args.positionals[0]
    let text = String(decoding: try FileIO.read(path), as: UTF8.self)
    let layers = args.flag("gemm")
      ? try ScaleSimTopology.parseGEMM(text, file: path) : try ScaleSimTopology.parseConvolution(text, file: path)
    let arch = try resolveArch(args.value("arch") ?? "tpu-v1", overrides: args.all("set"))
    var table = TextTable(
      headers: ["layer", "folds", "cycles", "MACs", "util %", "mapping eff %", "compute util %"],
      alignments: [.left, .right, .right, .right, .right, .right, .right])
    var totalCycles: Int64 = 0
    var totalMACs: Int64 = 0
    var rows: [JSONValue] = []
    for layer in layers {
      let r = ScaleSimModel.computeCycles(layer: layer, arch: arch)
      totalCycles = totalCycles.addingSaturating(r.cycles)
      totalMACs = totalMACs.addingSaturating(r.macs)
      table.append([
        layer.name, "\(r.rowFolds)x\(r.columnFolds)", groupedDigits(Int(r.cycles)), groupedDigits(Int(r.macs)),
        String(format: "%.2f", r.utilizationPercent), String(format: "%.2f", r.mappingEfficiency * 100),
        String(format: "%.2f", r.computeUtilization * 100),
      ])
      rows.append(
        .object([
          ("name", .string(layer.name)), ("cycles", .int(r.cycles)), ("macs", .int(r.macs)),
          ("utilization", .double(r.utilization)), ("mapping_efficiency", .double(r.mappingEfficiency)),
        ]))
    }
    console.out("SCALE-Sim compute model (\(arch.array.rows)x\(arch.array.cols), \(arch.dataflow.rawValue)) on \(path)\n\n")
    console.out(table.render())
    let util = Double(totalMACs) / (Double(max(totalCycles, 1)) * Double(arch.array.rows * arch.array.cols))
    console.out("\ntotal: \(groupedDigits(Int(totalCycles))) cycles, \(groupedDigits(Int(totalMACs))) MACs, utilization \(String(format: "%.2f", util * 100)) %\n")
    if let path = args.value("json") {
      let json = JSONValue.object([
        ("total", .object([("cycles", .int(totalCycles)), ("macs", .int(totalMACs)), ("utilization", .double(util))])),
        ("layers", .array(rows)),
      ])
      try FileIO.write(json.serialized() + "\n", to: path, overwrite: args.flag("overwrite"))
    }
  }
}
