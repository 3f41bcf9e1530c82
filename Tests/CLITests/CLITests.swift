import Foundation
import GraphIR
import Support
import SystoleTestSupport
import TFLiteImport
import Testing

/// The `systole` executable run as a user runs it: stdout, stderr and exit status.
@Suite struct CLITests {
  let mnv2 = "Programs/models/mobilenet_v2_int8.tflite"

  @Test func topLevelHelpListsCommands() throws {
    let r = try runSystole(["--help"])
    #expect(r.status == 0)
    assertSnapshot(r.stdout, named: "help.txt")
  }

  @Test(arguments: ["inspect", "eval"])
  func commandHelp(_ command: String) throws {
    let r = try runSystole([command, "--help"])
    #expect(r.status == 0)
    assertSnapshot(r.stdout, named: "help-\(command).txt")
  }

  @Test func inspectPrintsOneRowPerOperatorAndTotals() throws {
    let model = try TFLiteImporter.load(contentsOf: Fixtures.root.appendingPathComponent(mnv2))
    let r = try runSystole(["inspect", mnv2])
    #expect(r.status == 0, "\(r.stderr)")
    let macs = (0..<model.main.operators.count).reduce(0) { $0 + model.main.macs(ofOperator: $1) }
    #expect(r.stdout.contains("MACs:             \(thousandsSeparated(macs))"))
    assertSnapshot(r.stdout, named: "inspect-mobilenet_v2_int8.txt")
  }

  @Test func inspectJSONHasTheDocumentedKeys() throws {
    let model = try TFLiteImporter.load(contentsOf: Fixtures.root.appendingPathComponent(mnv2))
    let r = try runSystole(["inspect", mnv2, "--json"])
    #expect(r.status == 0)
    let json = try JSONValue.parse(r.stdout)
    guard case .array(let ops)? = json["operators"] else {
      Issue.record("no operators array")
      return
    }
    #expect(ops.count == model.main.operators.count)
    for key in ["parameters", "macs", "weight_bytes_stored", "weight_bytes_float32", "activation_peak_bytes", "operator_counts"] {
      #expect(json["totals"]?[key] != nil, "totals.\(key) missing")
    }
    if case .int(let stored)? = json["totals"]?["weight_bytes_stored"], case .int(let f32)? = json["totals"]?["weight_bytes_float32"] {
      // int8 weights with int32 biases: float32 is between 1× and 4× the stored size, near 4×.
      #expect(f32 > stored * 3 && f32 <= stored * 4)
    } else {
      Issue.record("weight byte totals are not integers")
    }
  }

  @Test func evalWritesReferenceOutputs() throws {
    let set = try ReferenceSet(stem: "mobilenet_v2_int8")
    let dir = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let refDir = "Programs/models/reference/mobilenet_v2_int8"
    var args = ["eval", mnv2, "--output-dir", dir.path]
    for n in 0..<set.invocations { args += ["--input", "\(refDir)/in.\(n).0.bin"] }
    let r = try runSystole(args)
    #expect(r.status == 0, "\(r.stderr)")
    for n in 0..<set.invocations {
      let got = try Data(contentsOf: dir.appendingPathComponent("\(n).0.bin"))
      let want = try Data(contentsOf: Fixtures.root.appendingPathComponent("\(refDir)/out.\(n).0.bin"))
      #expect(got == want, "invocation \(n) output differs from TFLite")
    }
    // Running again into the same directory must not overwrite without --overwrite.
    let again = try runSystole(args)
    #expect(again.status == 73)
    // Every output is checked before any is written, and every one in the way is named.
    let existing = (0..<set.invocations).map { "\(dir.path)/\($0).0.bin" }.joined(separator: ", ")
    #expect(again.stderr == "error: \(existing): already exist; pass --overwrite to replace them\n")
    #expect(try runSystole(args + ["--overwrite"]).status == 0)
  }

  @Test func evalDumpsEveryTensor() throws {
    let dir = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let r = try runSystole(["eval", "Programs/models/mlp_int8.tflite", "--dump-tensors", dir.path, "--seed", "7"])
    #expect(r.status == 0, "\(r.stderr)")
    let index = try JSONValue.parse(String(decoding: try Data(contentsOf: dir.appendingPathComponent("tensors.json")), as: UTF8.self))
    guard case .array(let entries)? = index["tensors"] else {
      Issue.record("tensors.json has no tensors array")
      return
    }
    let model = try TFLiteImporter.load(contentsOf: Fixtures.model("mlp_int8.tflite"))
    #expect(entries.count == model.main.tensors.count)
  }

  @Test(arguments: [
    (["inspect", "no/such/model.tflite"], Int32(66), "error: no/such/model.tflite: no such file\n"),
    (["inspect"], Int32(64), "error: expected exactly one model file; got 0 arguments; see 'systole inspect --help'\n"),
    (["inspect", "Programs/models/mlp_int8.tflite", "--bogus"], Int32(64), "error: unknown option '--bogus' for 'inspect'; known options: --json, --batch, --input-shape; see 'systole inspect --help'\n"),
    (["frobnicate"], Int32(64), "error: unknown command 'frobnicate'; commands: demo, inspect, eval, compile, run, trace, sweep, arch, bench, quantize, compare, validate\n"),
    (["inspect", "Programs"], Int32(66), "error: Programs: is a directory; expected a .tflite file or a topology CSV\n"),
    (["eval", "Programs/models/mlp_int8.tflite", "--input", "Programs/models/reference/mobilenet_v2_int8/in.0.0.bin"], Int32(65),
     "error: Programs/models/reference/mobilenet_v2_int8/in.0.0.bin: 3072 bytes; input 0 'serving_default_keras_tensor:0' is 1x64 int8 = 64 bytes\n"),
  ])
  func badInputGivesOneLineAndExitStatus(_ args: [String], _ status: Int32, _ message: String) throws {
    let r = try runSystole(args)
    #expect(r.status == status)
    #expect(r.stderr == message)
  }

  @Test func corruptModelIsOneLineError() throws {
    let dir = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let bytes = try Data(contentsOf: Fixtures.model("mlp_int8.tflite"))
    let truncated = dir.appendingPathComponent("truncated.tflite")
    try bytes.prefix(100).write(to: truncated)
    let r = try runSystole(["inspect", truncated.path])
    #expect(r.status == 65)
    #expect(r.stderr.hasPrefix("error: \(truncated.path)"))
    #expect(r.stderr.split(separator: "\n").count == 1, "expected one line: \(r.stderr)")
  }
}
