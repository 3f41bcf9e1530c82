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
    usage: "systole demo [--arch A] [--model-dir DIR] [--max-memory SIZE]",
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
      MemoryLimitOption.spec,
    ] + ShapeOptions.specs,
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
    let model = try ModelLoader.load(modelPath, shapes: ShapeOptions.parse(args, command: "demo"))
    let summary = ModelSummary(model: model)
    console.out("model: \(modelPath)\n")
    console.out("  \(summary.rows.count) operators (\(summary.operatorCounts.map { "\($0.0) \($0.1)" }.joined(separator: ", ")))\n")
    console.out("  \(groupedDigits(summary.macs)) MACs, \(groupedDigits(summary.parameters)) parameters, ")
    console.out("\(groupedDigits(summary.weightBytesStored)) weight bytes as int8 vs \(groupedDigits(summary.weightBytesFloat32)) as float32\n\n")

    let graph = model.main
    // Every invocation the reference set mentions (in.N.I.bin or out.N.O.bin) must be complete:
    // a missing file fails the demo instead of silently checking fewer invocations.
    let invocationCount = try referenceInvocations(referenceDir)
    guard invocationCount > 0 else {
      throw DriverError(.cannotRead, "\(referenceDir): no reference inputs (in.0.0.bin) found")
    }
    var inputs: [[TensorData]] = []
    for n in 0..<invocationCount {
      let paths =
        (0..<graph.inputs.count).map { "\(referenceDir)/in.\(n).\($0).bin" }
        + (0..<graph.outputs.count).map { "\(referenceDir)/out.\(n).\($0).bin" }
      if let missing = paths.first(where: { !FileManager.default.fileExists(atPath: $0) }) {
        throw DriverError(
          .cannotRead,
          "\(missing): no such file; the reference set has invocations 0…\(invocationCount - 1), each with \(graph.inputs.count) input and \(graph.outputs.count) output file(s)")
      }
      inputs.append(try EvalCommand.readInputs(paths.prefix(graph.inputs.count).joined(separator: ","), invocation: n, graph: graph))
    }
    let archName = args.value("arch") ?? "edge-tpu"
    let arch = try RunCommand.resolveArch(archName, overrides: [])
    let start = Date()
    var options = RunPipeline.Options()
    options.lowering.memoryBudget = try MemoryLimitOption.budget(args, command: "demo")
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

  /// The number of invocations in a reference directory: the manifest's `invocations`, or one
  /// more than the highest N of any `in.N.I.bin` or `out.N.O.bin` when that is larger (0 when
  /// there is neither).
  static func referenceInvocations(_ dir: String) throws -> Int {
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else {
      throw DriverError(.cannotRead, "\(dir): no such directory (the demo's reference inputs and outputs)")
    }
    var count = 0
    if names.contains("manifest.json") {
      let path = "\(dir)/manifest.json"
      let manifest = try? JSONValue.parse(bytes: FileIO.read(path))
      guard case .int(let n)? = manifest?["invocations"], (0..<1_000_000).contains(n) else {
        throw DriverError(.badData, "\(path): expected a JSON object with a whole number 'invocations'")
      }
      count = Int(n)
    }
    for name in names {
      let parts = name.split(separator: ".")
      guard parts.count == 4, parts[0] == "in" || parts[0] == "out", parts[3] == "bin", let n = Int(parts[1]), n >= 0,
        n < 1_000_000
      else { continue }
      count = max(count, n + 1)
    }
    return count
  }

  static func topClass(_ v: TensorData) -> Int {
    let values = v.storage.elementType == .float32
      ? { if case .float32(let f) = v.storage { return f.map(Double.init) } else { return [] } }()
      : v.integerValues.map(Double.init)
    return values.indices.max { values[$0] < values[$1] } ?? 0
  }
}
