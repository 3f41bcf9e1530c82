import Foundation
import GoldenModel
import GraphIR
import Support

/// `systole eval MODEL [--input FILE[,FILE...]]... [--output-dir DIR] [--dump-tensors DIR]`.
enum EvalCommand {
  static let command = Driver.Command(
    name: "eval",
    abstract: "Run a model in the golden model (bit-exact with TFLite's reference kernels).",
    usage: "systole eval <model.tflite> [--batch N] [--input-shape INPUT=DIMS]... [--input FILE[,FILE...]]... [--output-dir DIR] [--dump-tensors DIR] [--seed N] [--invocations N] [--overwrite]",
    discussion: """
      Each --input gives one invocation's input tensors, in the model's input order, as raw
      little-endian row-major bytes of each tensor's own type (comma-separated, one file per
      input tensor). Repeat --input for successive invocations of the same loaded model: state
      (resource variables, CALL_ONCE) persists across them, as in TFLite. Without --input, the
      model runs on seeded random inputs (--seed, default 0; --invocations, default 1).
      --output-dir DIR writes DIR/<invocation>.<output index>.bin in each output's type.
      --dump-tensors DIR writes every tensor of the first invocation as DIR/<tensor index>.bin
      plus DIR/tensors.json (name, shape, type, quantization, file), to diff layer by layer
      against TFLite. Existing files are never replaced unless --overwrite is given.
      """,
    options: [
      OptionSpec(name: "input", kind: .value(placeholder: "FILE[,FILE...]", repeats: true), help: "Input tensors of one invocation (repeatable)."),
      OptionSpec(name: "output-dir", kind: .value(placeholder: "DIR", repeats: false), help: "Write outputs as DIR/<invocation>.<output>.bin."),
      OptionSpec(name: "dump-tensors", kind: .value(placeholder: "DIR", repeats: false), help: "Write every tensor of the first invocation."),
      OptionSpec(name: "seed", kind: .value(placeholder: "N", repeats: false), help: "Seed for random inputs (default 0)."),
      OptionSpec(name: "invocations", kind: .value(placeholder: "N", repeats: false), help: "Random invocations when no --input is given (default 1)."),
      OptionSpec(name: "overwrite", kind: .flag, help: "Replace existing output files."),
    ] + ShapeOptions.specs,
    run: { args, console in try run(args, console: &console) })

  static func run(_ args: ParsedArguments, console: inout Driver.Console) throws {
    guard args.positionals.count == 1 else {
      throw UsageError("expected exactly one model file; got \(args.positionals.count) arguments", command: "eval")
    }
    let model = try ModelLoader.load(args.positionals[0], shapes: ShapeOptions.parse(args, command: "eval"))
    let seed = try args.value("seed").map { v throws(UsageError) in try parseInteger(v, option: "seed", command: "eval") } ?? 0
    let randomInvocations =
      try args.value("invocations").map { v throws(UsageError) in
        try parseInteger(v, option: "invocations", command: "eval", in: 1...maximumInvocations)
      } ?? 1
    let overwrite = args.flag("overwrite")

    // File inputs are read up front; random ones are made one invocation at a time (in the same
    // order, so the same values), so memory does not grow with --invocations.
    var invocations: [[TensorData]] = []
    var rng = SeededGenerator(seed: UInt64(seed))
    let invocationCount: Int
    if args.all("input").isEmpty {
      invocationCount = randomInvocations
    } else {
      if args.value("invocations") != nil || args.value("seed") != nil {
        throw UsageError("--seed and --invocations apply only to random inputs; they cannot be combined with --input", command: "eval")
      }
      for (n, list) in args.all("input").enumerated() {
        invocations.append(try readInputs(list, invocation: n, graph: model.main))
      }
      invocationCount = invocations.count
    }
    func inputs(_ n: Int) -> [TensorData] {
      invocations.isEmpty ? model.main.inputs.map { RandomTensors.make(model.main[$0], using: &rng) } : invocations[n]
    }

    // Every output is checked before any is written (the dumped tensors' files too).
    var outputs: [String] = []
    if let dir = args.value("output-dir") {
      outputs += (0..<invocationCount).flatMap { n in model.main.outputs.indices.map { "\(dir)/\(n).\($0).bin" } }
    }
    if let dir = args.value("dump-tensors") { outputs += dumpFiles(model.main, dir) }
    try FileIO.checkOverwrite(outputs, overwrite: overwrite)
    if let dir = args.value("output-dir") { try FileIO.makeDirectory(dir) }
    if let dir = args.value("dump-tensors") { try FileIO.makeDirectory(dir) }

    var interpreter = Interpreter(model: model, recordsIntermediates: args.value("dump-tensors") != nil)
    for n in 0..<invocationCount {
      let outputs = try interpreter.invoke(inputs(n))
      if n == 0, let dir = args.value("dump-tensors") {
        try dumpTensors(interpreter.intermediates, graph: model.main, to: dir, overwrite: overwrite)
      }
      for (o, value) in outputs.enumerated() {
        if let dir = args.value("output-dir") {
          try FileIO.write(value.littleEndianBytes(), to: "\(dir)/\(n).\(o).bin", overwrite: overwrite)
        }
        let t = model.main[model.main.outputs[o]]
        console.out("invocation \(n) output \(o) '\(t.name)' \(shapeText(value.shape)) \(value.elementType): \(preview(value))\n")
      }
    }
    if let dir = args.value("output-dir") {
      console.err("wrote \(invocationCount * model.main.outputs.count) output file(s) to \(dir)\n")
    }
  }

  /// The most random invocations `--invocations` accepts; they are made and run one at a time.
  static let maximumInvocations = 1_000_000

  static func readInputs(_ list: String, invocation: Int, graph: Graph) throws -> [TensorData] {
    let files = list.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
    guard files.count == graph.inputs.count else {
      throw UsageError(
        "--input #\(invocation + 1) names \(files.count) file(s); the model has \(graph.inputs.count) input tensor(s)", command: "eval")
    }
    var values: [TensorData] = []
    for (i, file) in files.enumerated() {
      let t = graph[graph.inputs[i]]
      let bytes = try FileIO.read(file)
      guard let v = TensorData(littleEndianBytes: bytes, type: t.elementType, shape: t.shape) else {
        throw DriverError(
          .badData,
          "\(file): \(bytes.count) bytes; input \(i) '\(t.name)' is \(shapeText(t.shape)) \(t.elementType) = \(t.byteCount) bytes")
      }
      values.append(v)
    }
    return values
  }

  /// The files `dumpTensors` may write in `dir`: one per tensor that is not a resource, and
  /// `tensors.json`.
  static func dumpFiles(_ graph: Graph, _ dir: String) -> [String] {
    graph.tensors.indices.filter { graph.tensors[$0].elementType != .resource }.map { "\(dir)/\($0).bin" }
      + ["\(dir)/tensors.json"]
  }

  static func dumpTensors(_ values: [TensorData?], graph: Graph, to dir: String, overwrite: Bool) throws {
    var entries: [JSONValue] = []
    for (i, value) in values.enumerated() {
      guard let value, graph.tensors[i].elementType != .resource else { continue }
      let t = graph.tensors[i]
      let file = "\(i).bin"
      try FileIO.write(value.littleEndianBytes(), to: "\(dir)/\(file)", overwrite: overwrite)
      var fields: [(String, JSONValue)] = [
        ("index", .int(i)), ("name", .string(t.name)), ("shape", .array(value.shape.map { .int($0) })),
        ("dtype", .string(value.elementType.rawValue)), ("constant", .bool(t.isConstant)), ("file", .string(file)),
      ]
      if let q = t.quantization {
        fields.append(("scales", .array(q.scales.map { .double(Double($0)) })))
        fields.append(("zero_points", .array(q.zeroPoints.map { .int($0) })))
      }
      entries.append(.object(fields))
    }
    try FileIO.write(JSONValue.object([("tensors", .array(entries))]).serialized() + "\n", to: "\(dir)/tensors.json", overwrite: overwrite)
  }

  static func shapeText(_ shape: [Int]) -> String {
    shape.isEmpty ? "scalar" : shape.map(String.init).joined(separator: "x")
  }

  /// The first 8 elements and, for longer tensors, the count of the rest.
  static func preview(_ v: TensorData) -> String {
    let n = min(v.count, 8)
    let items: [String]
    switch v.storage {
    case .float32(let a): items = a.prefix(n).map { String(format: "%.6g", Double($0)) }
    default: items = v.integerValues.prefix(n).map(String.init)
    }
    return "[" + items.joined(separator: ", ") + (v.count > n ? ", … (\(v.count) values)" : "") + "]"
  }
}

/// Seeded random tensors for a model's inputs.
enum RandomTensors {
  /// Uniform over the type's range for integer types; standard normal for float32.
  static func make(_ t: Tensor, using rng: inout SeededGenerator) -> TensorData {
    let n = t.elementCount
    let storage: TensorData.Storage
    switch t.elementType {
    case .int8: storage = .int8((0..<n).map { _ in Int8(truncatingIfNeeded: rng.next()) })
    case .uint8: storage = .uint8((0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) })
    case .int16: storage = .int16((0..<n).map { _ in Int16(truncatingIfNeeded: rng.next()) })
    case .int32, .resource: storage = .int32((0..<n).map { _ in Int32(truncatingIfNeeded: rng.next() % 256) })
    case .int64: storage = .int64((0..<n).map { _ in Int64(rng.next() % 256) })
    case .bool: storage = .bool((0..<n).map { _ in rng.next() & 1 == 1 })
    case .float32: storage = .float32((0..<n).map { _ in Float(rng.nextGaussian()) })
    }
    return TensorData(shape: t.shape, storage: storage)
  }
}
