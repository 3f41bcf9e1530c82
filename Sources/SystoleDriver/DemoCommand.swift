import Foundation
import GoldenModel
import Pipeline
import GraphIR
import Reporting
import Support

/// `systole demo`: the bundled MobileNet-v2-style model, end to end, with no arguments.
enum DemoCommand {
  static let defaultModel = "Programs/models/mobilenet_v2_int8.tflite"

  static let command = Driver.Command(
    name: "demo",
    abstract: "Compile and simulate the bundled int8 MobileNet-v2 block net; check it against TFLite.",
    usage: "systole demo [--arch A] [--model-dir DIR]",
    discussion: """
      Loads Programs/models/mobilenet_v2_int8.tflite, compiles it for the architecture (default
      edge-tpu), simulates it functionally on the committed inputs, prints the run report (per-layer
      cycles, utilization, traffic, energy, and the float32 baseline beside it) and compares every
      simulated output byte with the outputs TensorFlow Lite's reference kernels produced for the
      same inputs (Programs/models/reference/). Run it from the repository root, or point
      --model-dir at the Programs/models directory.
      """,
    options: [
      OptionSpec(name: "model-dir", kind: .value(placeholder: "DIR", repeats: false), help: "The Programs/models directory (default: ./Programs/models)."),
      OptionSpec(name: "arch", kind: .value(placeholder: "A", repeats: false), help: "Architecture preset or JSON (default edge-tpu)."),
    ],
    run: { args, console in try run(args, console: &console) })

  static func run(_ args: ParsedArguments, console: inout Driver.Console) throws {
    guard args.positionals.isEmpty else {
      throw UsageError("demo takes no positional arguments", command: "demo")
    }
    let dir = args.value("model-dir") ?? "Programs/models"
    let modelPath = "\(dir)/mobilenet_v2_int8.tflite"
    let referenceDir = "\(dir)/reference/mobilenet_v2_int8"
    guard FileManager.default.fileExists(atPath: modelPath) else {
      throw DriverError(.cannotRead, "\(modelPath): no such file (run 'systole demo' from the repository root, or pass --model-dir)")
    }
    let model = try ModelLoader.load(modelPath)
    let summary = ModelSummary(model: model)
    console.out("model: \(modelPath)\n")
    console.out("  \(summary.rows.count) operators (\(summary.operatorCounts.map { "\($0.0) \($0.1)" }.joined(separator: ", ")))\n")
    console.out("  \(groupedDigits(summary.macs)) MACs, \(groupedDigits(summary.parameters)) parameters, ")
    console.out("\(groupedDigits(summary.weightBytesStored)) weight bytes as int8 vs \(groupedDigits(summary.weightBytesFloat32)) as float32\n\n")

    let graph = model.main
    var inputs: [[TensorData]] = []
    while FileManager.default.fileExists(atPath: "\(referenceDir)/in.\(inputs.count).0.bin") {
      let n = inputs.count
      let files = (0..<graph.inputs.count).map { "\(referenceDir)/in.\(n).\($0).bin" }.joined(separator: ",")
      inputs.append(try EvalCommand.readInputs(files, invocation: n, graph: graph))
    }
    guard !inputs.isEmpty else {
      throw DriverError(.cannotRead, "\(referenceDir): no reference inputs (in.0.0.bin) found")
    }
    let archName = args.value("arch") ?? "edge-tpu"
    let arch = try RunCommand.resolveArch(archName, overrides: [])
    let start = Date()
    var options = RunPipeline.Options()
    options.functional = true
    let result = try RunPipeline.run(model: model, arch: arch, options: options, inputs: inputs)
    let seconds = Date().timeIntervalSince(start)
    console.out(RunReport(result).renderText())
    console.out("\n")

    var differing = 0
    var total = 0
    for (n, outputs) in result.outputs.enumerated() {
      for (o, value) in outputs.enumerated() {
        let expected = try FileIO.read("\(referenceDir)/out.\(n).\(o).bin")
        let got = value.littleEndianBytes()
        let bad = zip(got, expected).filter { $0 != $1 }.count + abs(got.count - expected.count)
        differing += bad
        total += expected.count
        console.out("invocation \(n): output \(o) top class \(topClass(value)), \(bad == 0 ? "identical to TFLite" : "\(bad) bytes differ from TFLite")\n")
      }
    }
    console.out("\nsimulated \(arch.name) vs TFLite reference kernels: \(differing) of \(total) output bytes differ over \(inputs.count) invocations")
    console.out(String(format: " (compile + simulate + baseline: %.2f s)\n", seconds))
    if differing > 0 {
      throw DriverError(.badData, "simulated output differs from TFLite's reference kernels in \(differing) bytes")
    }
  }

  static func topClass(_ v: TensorData) -> Int {
    let values = v.storage.elementType == .float32
      ? { if case .float32(let f) = v.storage { return f.map(Double.init) } else { return [] } }()
      : v.integerValues.map(Double.init)
    return values.indices.max { values[$0] < values[$1] } ?? 0
  }
}
