import Foundation
import GoldenModel
import GraphIR
import Reporting
import Support

/// `systole demo`: the bundled MobileNet-v2-style model, end to end, with no arguments.
enum DemoCommand {
  static let defaultModel = "Programs/models/mobilenet_v2_int8.tflite"

  static let command = Driver.Command(
    name: "demo",
    abstract: "Run the bundled int8 MobileNet-v2 block net and check it against TFLite.",
    usage: "systole demo [--model-dir DIR]",
    discussion: """
      Loads Programs/models/mobilenet_v2_int8.tflite, summarizes it, runs it in the golden model
      on the committed inputs and compares every output byte with the outputs TensorFlow Lite's
      reference kernels produced for the same inputs (Programs/models/reference/). Run it from
      the repository root, or point --model-dir at the Programs/models directory.
      """,
    options: [
      OptionSpec(name: "model-dir", kind: .value(placeholder: "DIR", repeats: false), help: "The Programs/models directory (default: ./Programs/models).")
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
    var interpreter = Interpreter(model: model)
    var invocation = 0
    var differing = 0
    var total = 0
    let start = Date()
    while FileManager.default.fileExists(atPath: "\(referenceDir)/in.\(invocation).0.bin") {
      let files = (0..<graph.inputs.count).map { "\(referenceDir)/in.\(invocation).\($0).bin" }.joined(separator: ",")
      let inputs = try EvalCommand.readInputs(files, invocation: invocation, graph: graph)
      let outputs = try interpreter.invoke(inputs)
      for (o, value) in outputs.enumerated() {
        let expected = try FileIO.read("\(referenceDir)/out.\(invocation).\(o).bin")
        let got = value.littleEndianBytes()
        let bad = zip(got, expected).filter { $0 != $1 }.count + abs(got.count - expected.count)
        differing += bad
        total += expected.count
        let top = topClass(value)
        console.out("invocation \(invocation): output \(o) \(EvalCommand.shapeText(value.shape)) \(value.elementType), top class \(top), \(bad == 0 ? "identical to TFLite" : "\(bad) bytes differ from TFLite")\n")
      }
      invocation += 1
    }
    guard invocation > 0 else {
      throw DriverError(.cannotRead, "\(referenceDir): no reference inputs (in.0.0.bin) found")
    }
    let ms = Date().timeIntervalSince(start) * 1000
    console.out("\ngolden model vs TFLite reference kernels: \(differing) of \(total) output bytes differ over \(invocation) invocations")
    console.out(String(format: " (%.1f ms)\n", ms))
    if differing > 0 {
      throw DriverError(.badData, "golden model output differs from TFLite's reference kernels in \(differing) bytes")
    }
  }

  static func topClass(_ v: TensorData) -> Int {
    let values = v.storage.elementType == .float32
      ? { if case .float32(let f) = v.storage { return f.map(Double.init) } else { return [] } }()
      : v.integerValues.map(Double.init)
    return values.indices.max { values[$0] < values[$1] } ?? 0
  }
}
