import Foundation
import GraphIR
import Quantizer
import Support
import TFLiteImport

/// `systole quantize` and `systole compare`: post-training quantization and its accuracy cost.
enum QuantizeCommand {
  static let command = Driver.Command(
    name: "quantize",
    abstract: "Quantize a float32 model (int8 and below) and measure the accuracy cost.",
    usage: "systole quantize <model_float.tflite> (-o <out.tflite> [--scheme S] | --scheme all [-o DIR] | --target-drop P --labels FILE -o <out.tflite>) [--arch A] [--calibration DIR | --samples N] [--inputs DIR [--labels FILE]] [--report FILE.html] [--json]",
    discussion: """
      Calibrates on a folder of raw inputs (--calibration DIR: one .bin per sample, or
      <sample>.<input>.bin for several inputs; see docs/quantizer.md) or on N seeded synthetic
      inputs (--samples, default 32; --seed), quantizes with the scheme, writes a .tflite file
      TensorFlow Lite loads, and reports the accuracy: per-layer SQNR, output SQNR, max abs
      error, cosine similarity, top-1 agreement, and sizes. The accuracy is measured on --inputs
      DIR (same file naming) when given, else on the calibration folder, and only without either
      on 16 further seeded synthetic inputs; the report names which. --labels FILE (one class
      per line, in the inputs' sorted file-name order) adds the top-1 (and top-5) accuracy of
      the float and the quantized model and the drop in points.
      Schemes: \(QuantizationScheme.allCases.map(\.rawValue).joined(separator: ", ")).
      --scheme all --arch A: the trade-off table. Every scheme is quantized from one
      calibration run, measured on the inputs (top-1 with --labels, output SQNR) and compiled
      and simulated on the architecture (default edge-tpu) as 'systole run' does: one row per
      scheme with bytes, x smaller, top-1, drop, SQNR, latency, energy and where the cycles go
      (array, vector, host); a scheme that cannot quantize the model is a row with its reason.
      -o DIR is optional and names a directory for one <scheme>.tflite per scheme. --report
      adds accuracy-versus-energy and -latency Pareto charts and the worst scheme's per-layer
      SQNR; --json prints the table as JSON (keys in docs/cli.md).
      --target-drop P (needs --labels): a per-layer mix of ternary, int4, int8, 16x8 and float
      whose labelled top-1 drop is at most P points, found by a greedy search guided by each
      layer's sensitivity (docs/quantizer.md); writes it to -o and reports the assignment and
      its cost on --arch beside float32 and all-int8.
      """,
    options: [
      OptionSpec(name: "o", kind: .value(placeholder: "FILE", repeats: false), help: "Output .tflite file (with --scheme all: an optional directory)."),
      OptionSpec(name: "scheme", kind: .value(placeholder: "S", repeats: false), help: "Quantization scheme (default int8-per-channel), or all for the trade-off table."),
      OptionSpec(name: "target-drop", kind: .value(placeholder: "P", repeats: false), help: "Search a per-layer mix whose top-1 drop is at most P points (needs --labels)."),
      OptionSpec(name: "arch", kind: .value(placeholder: "A", repeats: false), help: "Architecture of --scheme all and --target-drop (default edge-tpu)."),
      OptionSpec(name: "set", kind: .value(placeholder: "KEY=VALUE", repeats: true), help: "Override an architecture parameter."),
      OptionSpec(name: "calibration", kind: .value(placeholder: "DIR", repeats: false), help: "Folder of raw calibration inputs."),
      OptionSpec(name: "samples", kind: .value(placeholder: "N", repeats: false), help: "Synthetic calibration samples when no folder is given (default 32)."),
      OptionSpec(name: "inputs", kind: .value(placeholder: "DIR", repeats: false), help: "Folder of raw test inputs the accuracy is measured on (default: the calibration folder)."),
      OptionSpec(name: "labels", kind: .value(placeholder: "FILE", repeats: false), help: "One class per line for the test inputs: adds top-1/top-5 accuracy."),
      OptionSpec(name: "seed", kind: .value(placeholder: "N", repeats: false), help: "Seed for synthetic inputs (default 0)."),
      OptionSpec(name: "estimator", kind: .value(placeholder: "E", repeats: false), help: "minmax (default), moving-average[:M], percentile[:P]."),
      OptionSpec(name: "group", kind: .value(placeholder: "N", repeats: false), help: "Weights per group for ternary-fine-grained (default 4)."),
      OptionSpec(name: "keep-float", kind: .value(placeholder: "LAYER,...", repeats: true), help: "Leave these ops in float32 (op index or output tensor name)."),
      OptionSpec(name: "int16", kind: .value(placeholder: "LAYER,...", repeats: true), help: "Run these ops in 16x8."),
      OptionSpec(name: "float-io", kind: .flag, help: "Keep float32 inputs/outputs (QUANTIZE/DEQUANTIZE at the edges)."),
      OptionSpec(name: "allow-fallback", kind: .flag, help: "Ops without a kernel in the scheme's precision fall back to int8, then float."),
      OptionSpec(name: "report", kind: .value(placeholder: "FILE.html", repeats: false), help: "Write a self-contained HTML accuracy report."),
      OptionSpec(name: "json", kind: .flag, help: "Print the accuracy report as JSON."),
      OptionSpec(name: "overwrite", kind: .flag, help: "Replace existing output files."),
    ] + ShapeOptions.specs,
    run: { args, console in try run(args, console: &console) })

  static func run(_ args: ParsedArguments, console: inout Driver.Console) throws {
    let name = "quantize"
    guard args.positionals.count == 1 else {
      if args.flag("json"), let extra = args.positionals.dropFirst().first(where: { $0.hasSuffix(".json") }) {
        throw UsageError(
          "--json is a flag that prints the JSON on stdout; redirect it instead of naming '\(extra)' (--json > \(extra))",
          command: name)
      }
      throw UsageError("expected exactly one float32 model; got \(args.positionals.count) arguments", command: name)
    }
    let all = args.value("scheme") == "all"
    if all || args.value("target-drop") != nil { return try runStudy(args, all: all, console: &console) }
    for option in ["arch", "set"] where args.value(option) != nil {
      throw UsageError(
        "--\(option) sets the architecture of --scheme all and --target-drop; for one scheme's cost use 'systole run --quantize SCHEME'",
        command: name)
    }
    guard let output = args.value("o") else { throw UsageError("missing -o <out.tflite>", command: name) }
    let model = try ModelLoader.load(args.positionals[0], shapes: ShapeOptions.parse(args, command: "quantize"))
    let scheme = try parseScheme(args.value("scheme") ?? QuantizationScheme.int8PerChannel.rawValue, command: name)
    var options = try parseOptions(args, command: name)
    options.keepFloat = Set(args.all("keep-float").flatMap(layerSelectors))
    options.int16 = Set(args.all("int16").flatMap(layerSelectors))
    let (calibration, seed) = try parseCalibration(args, model: model, command: name)
    try Quantizer.checkIsFloat(model)  // before anything runs the model on synthetic float inputs
    let evaluation = try evaluationInputs(args, model: model, calibrationFolder: args.value("calibration"), seed: seed &+ 1, command: name)
    let labels = try loadLabels(args, model: model, inputCount: evaluation.inputs.count, source: evaluation.source, command: name)
    try FileIO.checkOverwrite([output] + (args.value("report").map { [$0] } ?? []), overwrite: args.flag("overwrite"))
    let quantized = try Quantizer.quantize(model: model, scheme: scheme, calibration: calibration, options: options)
    try FileIO.write(try quantized.tfliteBytes(), to: output, overwrite: args.flag("overwrite"))

    let report = try AccuracyReport.compare(
      float: model, quantized: quantized, inputs: evaluation.inputs, labels: labels, source: evaluation.source)
    console.out(args.flag("json") ? report.json.serialized() + "\n" : report.renderText())
    for limitation in quantized.arrayLimitations { console.err("note: \(limitation)\n") }
    console.err("wrote \(output)\n")
    if let html = args.value("report") {
      let comparison = SchemeComparison(model: model.source, reports: [report], failures: [])
      try FileIO.write(AccuracyHTMLReport.render([comparison]), to: html, overwrite: args.flag("overwrite"))
      console.err("wrote \(html)\n")
    }
  }

  /// The options every mode shares: model I/O, fallback, range estimator, fine-grained group.
  static func parseOptions(_ args: ParsedArguments, command name: String) throws -> QuantizerOptions {
    var options = QuantizerOptions()
    options.io = args.flag("float-io") ? .float : .quantized
    options.allowFallback = args.flag("allow-fallback")
    if let e = args.value("estimator") { options.rangeEstimator = try parseEstimator(e, command: name) }
    if let g = args.value("group") { options.ternaryGroupSize = try parseInteger(g, option: "group", command: name, in: 1...65_536) }
    return options
  }

  /// `--calibration DIR`, else `--samples N` seeded synthetic inputs (`--seed`); and the seed.
  static func parseCalibration(_ args: ParsedArguments, model: Model, command name: String) throws -> (Calibration, UInt64) {
    let seed = UInt64(try args.value("seed").map { v throws(UsageError) in try parseInteger(v, option: "seed", command: name) } ?? 0)
    if let dir = args.value("calibration") { return (.folder(URL(fileURLWithPath: dir)), seed) }
    let n = try args.value("samples").map { v throws(UsageError) in
      try parseInteger(v, option: "samples", command: name, in: 1...maximumSamples)
    } ?? 32
    try checkSampleMemory(n, model: model, command: name)
    return (.random(count: n, seed: seed, distribution: defaultDistribution(model)), seed)
  }

  /// The inputs accuracy figures are measured on: `--inputs DIR`, else the calibration folder,
  /// else `syntheticCount` seeded synthetic inputs; with where they came from.
  static func evaluationInputs(
    _ args: ParsedArguments, model: Model, calibrationFolder: String?, seed: UInt64, syntheticCount: Int = 16,
    command: String
  ) throws -> (inputs: [[TensorData]], source: InputSource) {
    if let dir = args.value("inputs") {
      return (try CalibrationData.load(folder: URL(fileURLWithPath: dir), for: model, role: "inputs"), InputSource(.inputs, dir))
    }
    if let dir = calibrationFolder {
      return (try CalibrationData.load(folder: URL(fileURLWithPath: dir), for: model), InputSource(.calibration, dir))
    }
    try checkSampleMemory(syntheticCount, model: model, command: command)
    let distribution = defaultDistribution(model)
    let inputs = try CalibrationData.generate(for: model, count: syntheticCount, seed: seed, distribution: distribution)
    let name = distribution == .image ? "image" : "normal"
    return (inputs, InputSource(.synthetic, "seed \(seed), \(name) distribution"))
  }

  /// The `--labels FILE` for `inputCount` inputs, checked against the model's classification
  /// output; `nil` without the option. Synthetic inputs have no labels (a usage error).
  static func loadLabels(
    _ args: ParsedArguments, model: Model, inputCount: Int, source: InputSource, command: String
  ) throws -> ClassLabels? {
    guard let path = args.value("labels") else { return nil }
    guard source.kind != .synthetic else {
      throw UsageError("--labels \(path) needs the labelled inputs: pass --inputs DIR (the files the labels describe)", command: command)
    }
    let bytes = try FileIO.read(path)
    let labels = try ClassLabels.parse(String(decoding: bytes, as: UTF8.self), source: path, model: model.source)
    let classification = try ClassificationOutput.of(model)
    try labels.validate(inputCount: inputCount, classes: classification.classes, model: model.source)
    return labels
  }

  /// The most synthetic samples `--samples` accepts (quantize and compare): every sample's
  /// activations are kept for the statistics, so memory grows with the count.
  static let maximumSamples = 10_000

  /// Images get the synthetic-image distribution, everything else a standard normal.
  static func defaultDistribution(_ model: Model) -> InputDistribution {
    let rank4 = model.main.inputs.allSatisfy { model.main[$0].shape.count == 4 }
    return rank4 ? .image : .normal(mean: 0, standardDeviation: 1)
  }

  static func parseScheme(_ text: String, command: String) throws(UsageError) -> QuantizationScheme {
    guard let s = QuantizationScheme(rawValue: text) else {
      throw UsageError(
        "unknown scheme '\(text)'; known: \(QuantizationScheme.allCases.map(\.rawValue).joined(separator: ", "))", command: command)
    }
    return s
  }

  static func parseEstimator(_ text: String, command: String) throws(UsageError) -> RangeEstimator {
    let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
    let value = parts.count > 1 ? Double(parts[1]) : nil
    if parts.count > 1 && value == nil {
      throw UsageError("--estimator '\(text)': the value after ':' must be a number", command: command)
    }
    switch parts[0] {
    case "minmax", "min-max": return .minMax
    case "moving-average": return .movingAverage(momentum: value ?? 0.9)
    case "percentile": return .percentile(value ?? 99.99)
    default:
      throw UsageError("unknown --estimator '\(text)'; expected minmax, moving-average[:M] or percentile[:P]", command: command)
    }
  }

  static func layerSelectors(_ list: String) -> [LayerSelector] {
    list.split(separator: ",").map { item in
      let s = item.trimmingCharacters(in: .whitespaces)
      if let i = Int(s.hasPrefix("#") ? String(s.dropFirst()) : s) { return .index(i) }
      return .name(s)
    }
  }
}

/// `systole compare FLOAT QUANTIZED`: output accuracy of any quantized file against its float model.
enum CompareCommand {
  static let command = Driver.Command(
    name: "compare",
    abstract: "Compare a quantized model's outputs with its float32 model's.",
    usage: "systole compare <model_float.tflite> <model_quant.tflite> [--inputs DIR [--labels FILE]] [--samples N] [--seed N] [--json]",
    discussion: """
      Runs both models in the golden model on the same inputs (float inputs from --inputs DIR,
      as for 'quantize --calibration', or N seeded synthetic ones; quantized inputs are derived
      with the quantized model's input quantization) and reports, per output: SQNR in dB,
      max abs error, cosine similarity and top-1 agreement; and per tensor whose name appears in
      both models, the SQNR of the dequantized activation. --labels FILE (one class per line, in
      the --inputs files' sorted name order) adds the top-1 (and top-5) accuracy of both models
      and the drop in points. The report names the inputs it ran on.
      """,
    options: [
      OptionSpec(name: "inputs", kind: .value(placeholder: "DIR", repeats: false), help: "Folder of raw float inputs."),
      OptionSpec(name: "labels", kind: .value(placeholder: "FILE", repeats: false), help: "One class per line for the --inputs files: adds top-1/top-5 accuracy."),
      OptionSpec(name: "samples", kind: .value(placeholder: "N", repeats: false), help: "Synthetic inputs when no folder is given (default 16)."),
      OptionSpec(name: "seed", kind: .value(placeholder: "N", repeats: false), help: "Seed for synthetic inputs (default 1)."),
      OptionSpec(name: "json", kind: .flag, help: "Print JSON instead of text."),
    ] + ShapeOptions.specs,
    run: { args, console in try run(args, console: &console) })

  static func run(_ args: ParsedArguments, console: inout Driver.Console) throws {
    guard args.positionals.count == 2 else {
      throw UsageError("expected a float model and a quantized model; got \(args.positionals.count) arguments", command: "compare")
    }
    let float = try ModelLoader.load(args.positionals[0], shapes: ShapeOptions.parse(args, command: "compare"))
    let quant = try ModelLoader.load(args.positionals[1], shapes: ShapeOptions.parse(args, command: "compare"))
    let inputs: [[TensorData]]
    let source: InputSource
    if let dir = args.value("inputs") {
      inputs = try CalibrationData.load(folder: URL(fileURLWithPath: dir), for: float, role: "inputs")
      source = InputSource(.inputs, dir)
    } else {
      let n = try args.value("samples").map { v throws(UsageError) in
        try parseInteger(v, option: "samples", command: "compare", in: 1...QuantizeCommand.maximumSamples)
      } ?? 16
      let seed = try args.value("seed").map { v throws(UsageError) in try parseInteger(v, option: "seed", command: "compare") } ?? 1
      try checkSampleMemory(n, model: float, command: "compare")
      let distribution = QuantizeCommand.defaultDistribution(float)
      inputs = try CalibrationData.generate(for: float, count: n, seed: UInt64(seed), distribution: distribution)
      source = InputSource(.synthetic, "seed \(seed), \(distribution == .image ? "image" : "normal") distribution")
    }
    let labels = try QuantizeCommand.loadLabels(args, model: float, inputCount: inputs.count, source: source, command: "compare")
    let result = try OutputComparison.run(float: float, quantized: quant, inputs: inputs, labels: labels, source: source)
    console.out(args.flag("json") ? result.json.serialized() + "\n" : result.renderText())
  }
}
