import Foundation
import GraphIR
import Support
import SystoleTestSupport
import TFLiteImport
import Testing

/// Issue 15: hostile input and resource abuse, run against the built binary so that a trap or an
/// abort shows up as a failed status instead of a crashed test runner. Each case expects one line
/// on stderr and a sysexits status, and no partial or unwanted file.
@Suite struct HostileInputCLITests {
  let mlp = "Programs/models/mlp_int8.tflite"

  /// The result is one `error: …` line with `status`.
  func expectOneLine(_ r: ProcessResult, status: Int32, _ message: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(r.status == status, "\(r.stderr)", sourceLocation: sourceLocation)
    #expect(r.stderr.hasPrefix("error: "), "\(r.stderr)", sourceLocation: sourceLocation)
    // One line; an argument-parsing usage error ends it with the `--help` pointer.
    let first = r.stderrMessage.split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init) ?? ""
    #expect(r.stderr.filter { $0 == "\n" }.count == 1, "\(r.stderr)", sourceLocation: sourceLocation)
    if let message { #expect(first == "error: \(message)", sourceLocation: sourceLocation) }
  }

  func read(_ url: URL) throws -> String { String(decoding: try Data(contentsOf: url), as: UTF8.self) }

  // MARK: (1) architecture values

  @Test(arguments: [
    ("dram.latency_ns=1e18", "dram.latency_ns: expected a number from 0 to 1000000, got 1e+18"),
    ("dram.gbps=1e-300", "dram.gbps: expected a positive number from 0.001 to 100000, got 1e-300"),
    ("host.gops=1e-300", "host.gops: expected a positive number from 0.001 to 1000000, got 1e-300"),
    ("host.latency_us=1e300", "host.latency_us: expected a number from 0 to 1000000, got 1e+300"),
    ("host.link_gbps=1e-300", "host.link_gbps: expected a positive number from 0.001 to 100000, got 1e-300"),
  ])
  func architectureValuesOutOfRange(setting: String, message: String) throws {
    expectOneLine(
      try runSystole(["run", mlp, "--arch", "edge-tpu", "--set", setting]), status: 65, "--set \(setting): \(message)")
    expectOneLine(try runSystole(["arch", "show", "edge-tpu", "--set", setting]), status: 65)
  }

  @Test func architectureFileOutOfRangeAndHugeName() throws {
    let dir = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let clock = dir.appendingPathComponent("clock.json")
    try Data(#"{"base": "edge-tpu", "clock": {"mhz": 1e300}}"#.utf8).write(to: clock)
    expectOneLine(
      try runSystole(["run", mlp, "--arch", clock.path]), status: 65,
      "\(clock.path): clock.mhz: expected a positive number from 1 to 100000, got 1e+300")
    // A 50 MB name: refused at once (the file is far beyond any architecture's size).
    let big = dir.appendingPathComponent("big.json")
    var text = Data(#"{"base": "toy-4x4", "name": ""#.utf8)
    text.append(Data(repeating: UInt8(ascii: "a"), count: 50_000_000))
    text.append(Data(#""}"#.utf8))
    try text.write(to: big)
    let start = Date()
    expectOneLine(try runSystole(["arch", "show", big.path]), status: 65)
    #expect(Date().timeIntervalSince(start) < 10)
    // A long name that fits the file limit is refused by the name's own limit.
    let long = dir.appendingPathComponent("long.json")
    try Data((#"{"base": "toy-4x4", "name": ""# + String(repeating: "b", count: 500_000) + #""}"#).utf8).write(to: long)
    expectOneLine(
      try runSystole(["arch", "show", long.path]), status: 65,
      "\(long.path): name: expected a non-empty string of at most 256 characters, got \"\(String(repeating: "b", count: 40))…\" (500000 bytes)")
  }

  /// The corners of the ranges run to completion: nothing traps in the compiler or simulator.
  @Test(arguments: [
    "clock.mhz=100000,dram.latency_ns=1000000,dram.gbps=0.001,host.latency_us=1000000,host.link_gbps=0.001,host.gops=0.001",
    "clock.mhz=1,dram.latency_ns=0,dram.gbps=100000,host.latency_us=0,host.link_gbps=100000,host.gops=1000000",
  ])
  func extremeValidArchitecturesRun(_ corner: String) throws {
    let sets = corner.split(separator: ",").flatMap { ["--set", String($0)] }
    for model in [mlp, "Programs/models/attention_int8.tflite"] {
      let r = try runSystole(["run", model, "--arch", "edge-tpu"] + sets)
      #expect(r.status == 0, "\(model): \(r.stderr)")
    }
  }

  // MARK: (2), (7), (10) sweeps

  @Test func sweepPointsThatFailAreRowsAndBadValuesStopIt() throws {
    let dir = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let out = dir.appendingPathComponent("s.csv")
    // A value outside its parameter's range is a usage error before anything runs.
    expectOneLine(
      try runSystole(["sweep", mlp, "--arch", "edge-tpu", "--vary", "dram.latency_ns=100,1e18", "-o", out.path]),
      status: 64, "--vary dram.latency_ns=100,1e18: dram.latency_ns: expected a number from 0 to 1000000, got 1e+18")
    #expect(!FileManager.default.fileExists(atPath: out.path))
    // A point that cannot compile (64 B of unified buffer) is an invalid row; the others are written.
    let r = try runSystole([
      "sweep", mlp, "--arch", "edge-tpu", "--vary", "ub.kib=0.0625,512", "--vary", "dram.latency_ns=100,1000000", "-o",
      out.path, "--jobs", "1",
    ])
    #expect(r.status == 0, "\(r.stderr)")
    let rows = try read(out).split(separator: "\n").dropFirst()
    #expect(rows.count == 4)
    #expect(rows.filter { $0.contains(",invalid: ") }.count == 2)
    #expect(rows.filter { $0.contains(",ok,") }.count == 2)
    #expect(rows.first { $0.contains("invalid") }?.contains("smallest tile needs") == true)
  }

  @Test func sweepTyposAndHugeProductsAreUsageErrors() throws {
    let dir = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let out = dir.appendingPathComponent("s.csv").path
    expectOneLine(
      try runSystole(["sweep", mlp, "--arch", "edge-tpu", "--vary", "double-buffering=on,maybe", "-o", out]),
      status: 64, "--vary double-buffering=on,maybe: double-buffering: expected on, off, true or false, got \"maybe\"")
    let hundred = (1...100).map(String.init).joined(separator: ",")
    let start = Date()
    expectOneLine(
      try runSystole([
        "sweep", mlp, "--arch", "edge-tpu", "--vary", "array.rows=\(hundred)", "--vary", "array.cols=\(hundred)",
        "--vary", "vector.lanes=\(hundred)", "-o", out,
      ]), status: 64,
      "the sweep has 1000000 rows (array.rows: 100 × array.cols: 100 × vector.lanes: 100 × 1 model); one process plans at most 100000 (about 4 KiB and one evaluation each); vary fewer values or split the study with --shard I/N, N ≥ 10"
    )
    #expect(Date().timeIntervalSince(start) < 20)
    #expect(!FileManager.default.fileExists(atPath: out))
  }

  // MARK: (3) compare, (10) quantize and demo

  @Test func compareMismatchedModels() throws {
    expectOneLine(
      try runSystole(["compare", "Programs/models/mlp_float.tflite", "Programs/models/convpool_int8.tflite"]), status: 65,
      "Programs/models/convpool_int8.tflite: input 0 'serving_default_keras_tensor:0' has shape [1, 16, 16, 3] (768 elements); Programs/models/mlp_float.tflite's input 0 'serving_default_keras_tensor:0' has [1, 64] (64); the two models do not match"
    )
  }

  @Test func samplesMustBePositive() throws {
    let dir = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let out = dir.appendingPathComponent("q.tflite")
    expectOneLine(
      try runSystole(["quantize", "Programs/models/mlp_float.tflite", "-o", out.path, "--samples", "0"]), status: 64,
      "option '--samples' expects an integer from 1 to 10000; got '0'")
    #expect(!FileManager.default.fileExists(atPath: out.path))
    expectOneLine(
      try runSystole(["compare", "Programs/models/mlp_float.tflite", mlp, "--samples", "0"]), status: 64,
      "option '--samples' expects an integer from 1 to 10000; got '0'")
    expectOneLine(
      try runSystole(["eval", mlp, "--invocations", "1000000000"]), status: 64,
      "option '--invocations' expects an integer from 1 to 1000000; got '1000000000'")
    // Samples whose inputs would not fit memory are refused with the estimate, before allocating.
    let r = try runSystole(["compare", "Programs/models/mlp_float.tflite", mlp, "--batch", "100000", "--samples", "10000"])
    expectOneLine(r, status: 64)
    #expect(r.stderr.hasPrefix("error: --samples 10000: 10000 inputs of 24.4 MiB need 238.42 GiB; at most "), "\(r.stderr)")
  }

  @Test(arguments: ["in.1.0.bin", "out.2.0.bin"])
  func demoWithAMissingReferenceFileFails(_ missing: String) throws {
    let dir = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let fm = FileManager.default
    try fm.copyItem(
      at: Fixtures.root.appendingPathComponent("Programs/models/mobilenet_v2_int8.tflite"),
      to: dir.appendingPathComponent("mobilenet_v2_int8.tflite"))
    let reference = dir.appendingPathComponent("reference/mobilenet_v2_int8")
    try fm.createDirectory(at: reference.deletingLastPathComponent(), withIntermediateDirectories: true)
    try fm.copyItem(at: Fixtures.root.appendingPathComponent("Programs/models/reference/mobilenet_v2_int8"), to: reference)
    try fm.removeItem(at: reference.appendingPathComponent(missing))
    let r = try runSystole(["demo", "--model-dir", dir.path])
    #expect(r.status == 66, "\(r.stderr)")
    #expect(
      r.stderr
        == "error: \(reference.path)/\(missing): no such file; the reference set has invocations 0…2, each with 1 input and 1 output file(s)\n"
    )
  }

  // MARK: (4) SCALE-Sim, (5) traces, (9) invalid graphs

  @Test func scaleSimHugeDimensions() throws {
    let dir = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let gemm = dir.appendingPathComponent("g.csv")
    try Data("Layer, M, N, K,\ng1, 2147483647, 2147483647, 2147483647,\n".utf8).write(to: gemm)
    let message = "\(gemm.path):2:5: 'M' is 2147483647; at most 16777216"
    expectOneLine(try runSystole(["run", gemm.path, "--timing", "scalesim", "--gemm"]), status: 65, message)
    expectOneLine(try runSystole(["run", gemm.path]), status: 65, message)
  }

  @Test func traceToolsWithHugeNumbers() throws {
    let dir = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let good = dir.appendingPathComponent("t.json")
    #expect(try runSystole(["run", mlp, "--arch", "toy-4x4", "--trace", good.path]).status == 0)
    let text = try read(good)
    let cases: [(String, String, String)] = [
      (#""clock_mhz":[0-9.]+"#, #""clock_mhz":1e308"#, "otherData.clock_mhz is 1e+308; at most 100000 MHz"),
      (#""ts":[0-9.]+,"dur""#, #""ts":1e308,"dur""#, "ts 1e+308 µs is outside the run"),
      (#""dur":[0-9.]+"#, #""dur":1e308"#, "ts + dur 1e+308 µs is outside the run"),
    ]
    for (i, (pattern, replacement, message)) in cases.enumerated() {
      let bad = dir.appendingPathComponent("bad\(i).json")
      guard let range = text.range(of: pattern, options: .regularExpression) else {
        Issue.record("no \(pattern)")
        continue
      }
      try Data(text.replacingCharacters(in: range, with: replacement).utf8).write(to: bad)
      for verb in [["summary", bad.path], ["layers", bad.path], ["show", bad.path], ["diff", good.path, bad.path]] {
        let r = try runSystole(["trace"] + verb)
        expectOneLine(r, status: 65)
        #expect(r.stderr.contains(message), "\(verb): \(r.stderr)")
      }
    }
  }

  @Test func invalidGraphsAreRefusedAtImport() throws {
    let dir = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let tensors = ["x", "a", "y"].map {
      Tensor(name: $0, shape: [1, 4], elementType: .int8, quantization: .init(scale: 0.1, zeroPoint: 0))
    }
    var graph = Graph(
      name: "main", tensors: tensors,
      operators: [
        Operator(kind: .relu, inputs: [TensorID(2)], outputs: [TensorID(1)]),
        Operator(kind: .relu, inputs: [TensorID(1)], outputs: [TensorID(2)]),
      ],
      inputs: [TensorID(0)], outputs: [TensorID(2)])
    let cycle = dir.appendingPathComponent("cycle.tflite")
    try Data(try TFLiteWriter.serialize(Model(source: "c", graphs: [graph]))).write(to: cycle)
    expectOneLine(
      try runSystole(["inspect", cycle.path]), status: 65,
      "\(cycle.path): op #0 RELU 'a': reads tensor #2 'y' before op #1 RELU writes it; operators must be in execution order (a cycle?)")
    graph.operators[0].inputs = [TensorID(0)]
    graph.tensors[0].quantization = .init(scale: 0.1, zeroPoint: -1000)
    let zp = dir.appendingPathComponent("zp.tflite")
    try Data(try TFLiteWriter.serialize(Model(source: "z", graphs: [graph]))).write(to: zp)
    expectOneLine(
      try runSystole(["compile", zp.path]), status: 65,
      "\(zp.path): graph: tensor #0 'x' has zero point -1000; int8 zero points must lie in -128…127")
  }

  // MARK: (6) memory estimates before allocation

  /// Runs the built binary under `ulimit -v` (KiB of address space) through `/bin/sh`.
  func runLimited(_ arguments: [String], virtualKiB: Int) throws -> (ProcessResult, seconds: Double) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", "ulimit -v \(virtualKiB); exec \"$0\" \"$@\"", try systoleExecutable().path] + arguments
    process.currentDirectoryURL = Fixtures.root
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    let start = Date()
    try process.run()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let result = ProcessResult(
      status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
      stderr: String(decoding: errData, as: UTF8.self))
    return (result, Date().timeIntervalSince(start))
  }

  /// The issue's reproducers (which ran for ~30 s and then aborted on a 6 GB allocation) are
  /// refused at once with the estimate, the default limit (half of physical memory) and what to
  /// change — inside a 4 GiB address space, so nothing large was allocated on the way.
  @Test(arguments: [
    ["run", "zoo:resnet50", "--arch", "toy-4x4"], ["run", "zoo:resnet50", "--set", "array=1x1"],
    ["run", "zoo:mlp0", "--arch", "toy-4x4", "--functional"], ["compile", "zoo:mlp0", "--arch", "toy-4x4"],
  ])
  func programsBeyondTheMemoryLimitAreRefusedAtOnce(_ arguments: [String]) throws {
    let (r, seconds) = try runLimited(arguments, virtualKiB: 4 << 20)
    expectOneLine(r, status: 65)
    let limit = ByteCount(Int(clamping: ProcessInfo.processInfo.physicalMemory / 2))
    #expect(r.stderr.hasPrefix("error: \(arguments[1]): on "), "\(r.stderr)")
    #expect(r.stderr.contains(" the program needs up to "), "\(r.stderr)")
    #expect(r.stderr.contains("; the limit is \(limit); use a larger array"), "\(r.stderr)")
    #expect(r.stderr.hasSuffix("or raise --max-memory\n"), "\(r.stderr)")
    #expect(r.stdout.isEmpty)
    // Planning is milliseconds in a release build; a debug build on a loaded machine is slower.
    #expect(seconds < 30, "took \(seconds) s")
  }

  /// A limit far above a small model's needs runs it; one below refuses it, naming that limit;
  /// sizes parse with binary suffixes.
  @Test func maxMemoryChangesTheLimit() throws {
    for size in ["64G", "8GiB", "\(1 << 34)", "1.5T"] {
      let r = try runSystole(["run", mlp, "--arch", "toy-4x4", "--functional", "--max-memory", size])
      #expect(r.status == 0, "--max-memory \(size): \(r.stderr)")
    }
    let compile = try runSystole(["compile", mlp, "--arch", "toy-4x4", "--max-memory", "64M"])
    #expect(compile.status == 0, "\(compile.stderr)")
    let tight = try runSystole(["run", mlp, "--arch", "toy-4x4", "--max-memory", "64K"])
    expectOneLine(tight, status: 65)
    #expect(tight.stderr.contains("; the limit is \(ByteCount(64 * 1024)); "), "\(tight.stderr)")
    let one = try runSystole(["compile", mlp, "--arch", "toy-4x4", "--max-memory", "1"])
    expectOneLine(one, status: 65)
    #expect(one.stderr.contains("; the limit is 1 B; "), "\(one.stderr)")
  }

  @Test(arguments: ["", "0", "-5", "8X", "abc", "1.2.3G", "1e99", "2E", "G", "nan", " 8G", "8 G"])
  func malformedMaxMemoryIsAUsageError(_ value: String) throws {
    let dir = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let study = dir.appendingPathComponent("s.csv").path
    for command in [["compile", mlp], ["run", mlp], ["sweep", mlp, "--vary", "array=8x8", "-o", study]] {
      let r = try runSystole(command + ["--max-memory", value])
      expectOneLine(r, status: 64)
      #expect(r.stderr.hasPrefix("error: option '--max-memory' expects a size"), "\(command[0]) '\(value)': \(r.stderr)")
    }
  }

  /// A sweep point whose program exceeds the limit is that point's invalid row; the rest run.
  @Test func sweepPointsBeyondTheLimitAreInvalidRows() throws {
    let dir = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let out = dir.appendingPathComponent("s.csv")
    let r = try runSystole([
      "sweep", mlp, "--arch", "edge-tpu", "--vary", "array=1x1,64x64", "--max-memory", "4M", "-o", out.path, "--jobs", "1",
    ])
    #expect(r.status == 0, "\(r.stderr)")
    let rows = try read(out).split(separator: "\n").dropFirst()
    #expect(rows.count == 2)
    let invalid = rows.filter { $0.contains("invalid: ") }
    #expect(invalid.count == 1)
    #expect(invalid.first?.contains("1x1") == true)
    #expect(invalid.first?.contains("the limit is \(ByteCount(4 << 20))") == true, "\(invalid)")
  }

  /// On a terminal a compile that takes more than a second shows a progress line on stderr and
  /// erases it; through a pipe (every other test) nothing is printed. MobileNet v1 on Gemmini
  /// compiles in about 5 s of CPU in a debug build (ResNet-50, used before, took about 25 s,
  /// twice).
  @Test func longCompilesShowProgressOnlyOnATerminal() throws {
    guard FileManager.default.isExecutableFile(atPath: "/usr/bin/script") else { return }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
    let command = "'\(try systoleExecutable().path)' compile zoo:mobilenet_v1 --arch gemmini > /dev/null"
    process.arguments = ["-qec", command, "/dev/null"]
    process.currentDirectoryURL = Fixtures.root
    let out = Pipe()
    process.standardOutput = out
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let terminal = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    #expect(process.terminationStatus == 0, "\(terminal)")
    #expect(terminal.contains("\rzoo:mobilenet_v1 for gemmini: compiling… 1s\u{1B}[K"), "\(terminal.debugDescription)")
    #expect(terminal.hasSuffix("\r\u{1B}[K"), "\(terminal.debugDescription)")
    let piped = try runSystole(["compile", "zoo:mobilenet_v1", "--arch", "gemmini"])
    #expect(piped.status == 0)
    #expect(piped.stderr.isEmpty, "\(piped.stderr)")
  }

  // MARK: issue 14: the whole unsupported-operator gap at once

  /// The committed gap model (REDUCE_MIN, REVERSE_V2, MIRROR_PAD, CUMSUM and a FlexRoll custom op
  /// among supported layers): every model-loading command names every unsupported
  /// kind with its count in one line and exits 65; `inspect` also prints the rest, and its
  /// operator rows and unsupported positions cover the file's operators exactly once.
  @Test func everyUnsupportedOperatorIsNamedAtOnce() throws {
    let gap = "Programs/models/unsupported/gap_int8.tflite"
    let json = try runSystole(["inspect", gap, "--json"])
    expectOneLine(json, status: 65)
    guard case .object(let fields)? = try? JSONValue.parse(json.stdout),
      case .array(let rows)? = fields.first(where: { $0.key == "operators" })?.value,
      case .array(let unsupported)? = fields.first(where: { $0.key == "unsupported" })?.value
    else {
      Issue.record("inspect --json printed no operators and unsupported list: \(json.stdout)")
      return
    }
    var indices: [Int] = rows.compactMap { row -> Int? in
      guard case .object(let r) = row, case .int(let i)? = r.first(where: { $0.key == "index" })?.value else { return nil }
      return Int(i)
    }
    var kinds: [(String, Int)] = []
    var positions: [Int] = []
    for case .string(let line) in unsupported {
      // `REDUCE_MIN ×3 (builtin 89): op #7, op #10, op #14`
      let parts = line.components(separatedBy: ": ")
      let these = parts.last?.components(separatedBy: ", ").compactMap { Int($0.replacingOccurrences(of: "op #", with: "")) } ?? []
      positions += these
      kinds.append((parts.dropLast().joined(separator: ": "), these.count))
      #expect(line.contains("×\(these.count)"), "\(line)")
    }
    indices += positions
    #expect(indices.sorted() == Array(0..<indices.count), "operator indices \(indices.sorted())")
    for name in ["REDUCE_MIN", "REVERSE_V2", "MIRROR_PAD", "CUMSUM", "custom op 'FlexRoll'"] {
      #expect(kinds.contains { $0.0.hasPrefix(name + " ×") }, "\(name) missing from \(kinds)")
    }
    let expected =
      "error: \(gap): unsupported: " + kinds.map(\.0).joined(separator: ", ")
      + " (\(positions.count) operators, the first op #\(positions.min() ?? -1)); docs/tflite-import.md lists the operators Systole supports"
    #expect(json.stderr == expected + "\n")
    let text = try runSystole(["inspect", gap])
    #expect(text.status == 65)
    #expect(text.stdout.contains("FULLY_CONNECTED"))
    #expect(text.stdout.contains("not imported"))
    #expect(text.stderr == json.stderr)
    let dir = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let study = dir.appendingPathComponent("s.csv").path
    for command in [["compile", gap], ["run", gap], ["run", gap, "--functional"], ["eval", gap], ["sweep", gap, "-o", study, "--vary", "array=8x8"]] {
      let r = try runSystole(command)
      expectOneLine(r, status: 65)
      #expect(r.stderr == json.stderr, "\(command[0]): \(r.stderr)")
    }
  }

  // MARK: (8) outputs

  /// All outputs are checked before any is written.
  @Test func everyOutputIsCheckedBeforeAnyIsWritten() throws {
    let dir = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let json = dir.appendingPathComponent("r.json")
    let csv = dir.appendingPathComponent("r.csv")
    try Data("keep".utf8).write(to: csv)
    expectOneLine(
      try runSystole(["run", mlp, "--arch", "toy-4x4", "--json", json.path, "--csv", csv.path]), status: 73,
      "\(csv.path): already exists; pass --overwrite to replace it")
    #expect(!FileManager.default.fileExists(atPath: json.path))
    #expect(try read(csv) == "keep")
    // quantize: the report exists, so the model is not written either.
    let model = dir.appendingPathComponent("q.tflite")
    let report = dir.appendingPathComponent("q.html")
    try Data("keep".utf8).write(to: report)
    expectOneLine(
      try runSystole(["quantize", "Programs/models/mlp_float.tflite", "-o", model.path, "--report", report.path]),
      status: 73, "\(report.path): already exists; pass --overwrite to replace it")
    #expect(!FileManager.default.fileExists(atPath: model.path))
    // sweep: the JSON exists, so the CSV is not written.
    let study = dir.appendingPathComponent("s.csv")
    let studyJSON = dir.appendingPathComponent("s.json")
    try Data("keep".utf8).write(to: studyJSON)
    expectOneLine(
      try runSystole(["sweep", mlp, "--arch", "toy-4x4", "--vary", "dram.gbps=1,2", "-o", study.path, "--json", studyJSON.path]),
      status: 73, "\(studyJSON.path): already exists; pass --overwrite to replace it")
    #expect(!FileManager.default.fileExists(atPath: study.path))
    // With --overwrite, both are replaced, and no temporary file is left behind.
    let r = try runSystole(["run", mlp, "--arch", "toy-4x4", "--json", json.path, "--csv", csv.path, "--overwrite"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(try read(csv).hasPrefix("layer") || (try read(csv)) != "keep")
    let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains("systole-tmp") }
    #expect(leftovers.isEmpty)
  }

  /// Ctrl-C while a trace streams leaves neither a truncated trace nor a temporary file.
  @Test func interruptedTraceLeavesNothing() throws {
    let dir = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let trace = dir.appendingPathComponent("big.json")
    let process = Process()
    process.executableURL = try systoleExecutable()
    process.arguments = ["run", "zoo:resnet50", "--arch", "tpu-v1", "--trace", trace.path, "--trace-level", "instruction"]
    process.currentDirectoryURL = Fixtures.root
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    // Wait until the trace is being written, then interrupt.
    let deadline = Date().addingTimeInterval(300)
    var started = false
    while Date() < deadline && process.isRunning {
      let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
      if let temp = names.first(where: { $0.contains("systole-tmp") }),
        let size = (try? FileManager.default.attributesOfItem(atPath: dir.appendingPathComponent(temp).path))?[.size] as? Int,
        size > 0
      {
        started = true
        break
      }
      Thread.sleep(forTimeInterval: 0.05)
    }
    #expect(started, "the trace never started streaming")
    process.interrupt()
    process.waitUntilExit()
    // Ended by the signal (or, where it stays blocked, exit 128 + SIGINT as a shell reports it).
    #expect(
      (process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGINT)
        || (process.terminationReason == .exit && process.terminationStatus == 128 + SIGINT),
      "\(process.terminationReason) \(process.terminationStatus)")
    #expect(!FileManager.default.fileExists(atPath: trace.path))
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
    // The rerun is not refused: nothing was left at the final path.
    #expect(!FileManager.default.fileExists(atPath: trace.path))
  }
}
