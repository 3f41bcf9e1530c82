import Foundation
import Support
import SystoleTestSupport
import TileISA
import Testing

/// `systole run`, `compile` and `demo` as a user runs them.
@Suite struct RunCLITests {
  @Test func demoIsBitExactWithTFLite() throws {
    let r = try runSystole(["demo"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("simulated edge-tpu vs TFLite reference kernels: 0 of 30 output bytes differ over 3 invocations"))
    #expect(r.stdout.contains("float32 baseline (edge-tpu-fp32"))
  }

  @Test func runWritesTheDocumentedJSONKeys() throws {
    let dir = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let json = dir.appendingPathComponent("run.json").path
    let r = try runSystole(["run", "Programs/models/kws_dscnn_int8.tflite", "--arch", "gemmini", "--json", json])
    #expect(r.status == 0, "\(r.stderr)")
    let v = try JSONValue.parse(String(decoding: try Data(contentsOf: URL(fileURLWithPath: json)), as: UTF8.self))
    for key in ["cycles", "energy_pj", "dram_bytes", "utilization"] {
      #expect(v["total"]?[key] != nil, "total.\(key)")
      #expect(v["baseline"]?["total"]?[key] != nil, "baseline.total.\(key)")
    }
    guard case .array(let layers)? = v["layers"], let first = layers.first else {
      Issue.record("no layers")
      return
    }
    for key in ["name", "op", "cycles", "macs", "utilization", "dram_bytes", "energy_pj"] {
      #expect(first[key] != nil, "layers[0].\(key)")
    }
    // The text report's latency is the JSON's cycles.
    if case .int(let cycles)? = v["total"]?["cycles"] {
      let digits = thousandsSeparated(Int(cycles))
      #expect(r.stdout.contains("latency      \(digits) cycles"))
    }
  }

  @Test func functionalRunWritesOutputsEqualToTFLite() throws {
    let dir = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let ref = "Programs/models/reference/convpool_int8"
    let r = try runSystole([
      "run", "Programs/models/convpool_int8.tflite", "--arch", "toy-4x4", "--input", "\(ref)/in.0.0.bin",
      "--output-dir", dir.path, "--baseline", "none",
    ])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("simulator outputs equal the golden model's"))
    let got = try Data(contentsOf: dir.appendingPathComponent("0.0.bin"))
    #expect(got == (try Data(contentsOf: Fixtures.root.appendingPathComponent("\(ref)/out.0.0.bin"))))
  }

  @Test func compileWritesAssemblyThatParsesBack() throws {
    let dir = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let asm = dir.appendingPathComponent("m.sasm").path
    let r = try runSystole(["compile", "Programs/models/mlp_int8.tflite", "--arch", "vta", "-o", asm])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.hasPrefix("mapping on vta (int8):"))
    let program = try TileProgram(parsingAssembly: String(decoding: try Data(contentsOf: URL(fileURLWithPath: asm)), as: UTF8.self))
    #expect(ProgramVerifier.verify(program).isEmpty)
  }

  @Test func scaleSimTimingReadsCfgAndTopology() throws {
    let r = try runSystole([
      "run", "Programs/topologies/resnet18_head.csv", "--arch", "Programs/arch/scalesim-32x32-ws.cfg", "--timing", "scalesim",
    ])
    #expect(r.status == 0, "\(r.stderr)")
    // Conv2_1a: 56×56 outputs, K = 3·3·64 = 576, N = 64 on 32×32, WS: Fr = 18, Fc = 2,
    // cycles = Fr·Fc·(2R + C + T − 2) − 1 with T = 3136 (REFERENCE.md §5).
    let cycles = 18 * 2 * (2 * 32 + 32 + 3136 - 2) - 1
    #expect(r.stdout.contains("Conv2_1a            18x2  \(thousandsSeparated(cycles))"))
  }

  @Test func runReportSnapshots() throws {
    let dir = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let json = dir.appendingPathComponent("r.json")
    let csv = dir.appendingPathComponent("r.csv")
    let r = try runSystole(["run", "Programs/models/mlp_int8.tflite", "--arch", "toy-4x4", "--json", json.path, "--csv", csv.path])
    #expect(r.status == 0, "\(r.stderr)")
    assertSnapshot(r.stdout, named: "run-mlp_int8-toy-4x4.txt")
    assertSnapshot(String(decoding: try Data(contentsOf: json), as: UTF8.self), named: "run-mlp_int8-toy-4x4.json")
    assertSnapshot(String(decoding: try Data(contentsOf: csv), as: UTF8.self), named: "run-mlp_int8-toy-4x4.csv")
  }

  @Test func traceSummaryAgreesWithTheRun() throws {
    let dir = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let trace = dir.appendingPathComponent("t.json").path
    let json = dir.appendingPathComponent("r.json").path
    let r = try runSystole(["run", "Programs/models/kws_dscnn_int8.tflite", "--arch", "vta", "--trace", trace, "--json", json])
    #expect(r.status == 0, "\(r.stderr)")
    let run = try JSONValue.parse(String(decoding: try Data(contentsOf: URL(fileURLWithPath: json)), as: UTF8.self))
    let s = try runSystole(["trace", "summary", trace])
    #expect(s.status == 0, "\(s.stderr)")
    for key in ["cycles", "macs", "dram_bytes"] {
      guard case .int(let v)? = run["total"]?[key] else {
        Issue.record("run.json total.\(key) missing")
        continue
      }
      #expect(s.stdout.contains(thousandsSeparated(Int(v))), "summary lacks \(key) = \(v)")
    }
    // Long layer names: shortened to --width in tables, whole in --json.
    let layers = try runSystole(["trace", "layers", trace, "--sort", "cycles", "--width", "120"])
    #expect(layers.status == 0, "\(layers.stderr)")
    #expect(layers.stdout.split(separator: "\n").allSatisfy { $0.count <= 120 })
    let full = try runSystole(["trace", "layers", trace, "--json"])
    #expect(full.status == 0, "\(full.stderr)")
    let fullJSON = try JSONValue.parse(full.stdout)
    guard case .array(let rows)? = fullJSON["layers"], case .array(let reported)? = run["layers"] else {
      Issue.record("no layers")
      return
    }
    #expect(rows.map { $0["name"] } == reported.map { $0["name"] })
    let diff = try runSystole(["trace", "diff", trace, trace, "--json"])
    #expect(diff.status == 0, "\(diff.stderr)")
    #expect(try JSONValue.parse(diff.stdout)["total"]?["delta"]?["cycles"] == .int(0))
    let misplaced = try runSystole(["trace", "summary", trace, "--json"])
    #expect(misplaced.status == 64)
    let bad = try runSystole(["trace", "summary", "README.md"])
    #expect(bad.status == 65)
    #expect(bad.stderr == "error: README.md: not a trace: invalid JSON at line 1, column 1: expected a value, found '#'\n")
  }

  @Test(arguments: [
    (["run", "Programs/models/mlp_int8.tflite", "--arch", "nope"], Int32(65),
     "error: unknown architecture preset 'nope'; known presets: tpu-v1, edge-tpu, gemmini, vta, toy-4x4 (or give a .json file)\n"),
    (["run", "Programs/models/mlp_int8.tflite", "--dataflow", "diagonal"], Int32(64),
     "error: unknown --dataflow 'diagonal'; expected auto, arch, ws, os or is\n"),
    (["compile", "Programs/models/mlp_int8.tflite", "--dump-after", "magic"], Int32(64),
     "error: unknown pass 'magic'; passes: legalize, fuse, tiling, allocate, schedule, emit\n"),
  ])
  func badInput(_ args: [String], _ status: Int32, _ firstLine: String) throws {
    let r = try runSystole(args)
    #expect(r.status == status)
    #expect(r.stderrMessage.hasPrefix(firstLine), "\(r.stderr)")
    #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
  }
}
