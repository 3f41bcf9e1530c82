import Foundation
import Support
import SystoleTestSupport
import Testing

/// `quantize --scheme all` (the trade-off table) and `quantize --target-drop P` as a binary, on
/// the committed digits models (`Programs/trained`).
@Suite struct TradeoffCLITests {
  static let trained = "Programs/trained"
  static let labelled = [
    "--calibration", "\(trained)/calibration", "--inputs", "\(trained)/test", "--labels", "\(trained)/test/labels.txt",
  ]

  /// Every key path of `json` in order of first appearance (`schemes[].scheme`): the shape a
  /// script reads, without the figures.
  static func keyPaths(_ json: JSONValue, _ prefix: String = "") -> [String] {
    var out: [String] = []
    func add(_ paths: [String]) { for p in paths where !out.contains(p) { out.append(p) } }
    switch json {
    case .object(let pairs):
      for (key, value) in pairs {
        let path = prefix.isEmpty ? key : "\(prefix).\(key)"
        add([path])
        add(keyPaths(value, path))
      }
    case .array(let items):
      for item in items { add(keyPaths(item, prefix + "[]")) }
    default: break
    }
    return out
  }

  static func number(_ v: JSONValue?) -> Double? {
    switch v {
    case .double(let d)?: d
    case .int(let i)?: Double(i)
    default: nil
    }
  }

  @Test func schemeAllPrintsOneRowPerSchemeWithDocumentedJSONKeys() throws {
    let dir = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let html = dir.appendingPathComponent("tradeoff.html").path
    let files = dir.appendingPathComponent("schemes").path
    let r = try runSystole(
      ["quantize", "\(Self.trained)/mlp_float.tflite", "--scheme", "all", "--arch", "edge-tpu", "--json", "--report", html, "-o", files]
        + Self.labelled)
    #expect(r.status == 0, "\(r.stderr)")
    let json = try JSONValue.parse(r.stdout)
    assertSnapshot(Self.keyPaths(json).joined(separator: "\n") + "\n", named: "quantize-scheme-all-keys.txt")
    guard case .array(let schemes)? = json["schemes"] else {
      Issue.record("no schemes in \(r.stdout)")
      return
    }
    #expect(schemes.map { $0["scheme"] } == [
      "int8-per-channel", "int8-per-tensor", "uint8-affine", "int16x8", "weights-only", "int4", "ternary",
      "ternary-fine-grained",
    ].map { JSONValue.string($0) })
    let floatBytes = try #require(Self.number(json["float"]?["model_bytes"]))
    let floatTop1 = try #require(Self.number(json["float"]?["top1_accuracy"]))
    for s in schemes {
      let bytes = try #require(Self.number(s["model_bytes"]))
      #expect(abs(try #require(Self.number(s["x_smaller"])) - floatBytes / bytes) < 1e-9)
      let top1 = try #require(Self.number(s["top1_accuracy"]))
      #expect(abs(try #require(Self.number(s["top1_drop_points"])) - 100 * (floatTop1 - top1)) < 1e-9)
      #expect(try #require(Self.number(s["latency_us"])) > 0)
      #expect(try #require(Self.number(s["energy_uj"])) > 0)
    }
    // The hybrid scheme says it runs on the host.
    let hybrid = try #require(schemes.first { $0["scheme"] == .string("weights-only") })
    #expect(Self.number(hybrid["runs_on"]?["host"]).map { $0 > 0.9 } == true)
    #expect(Self.number(hybrid["runs_on"]?["array"]) == 0)
    // One file per scheme, and the HTML page with both Pareto charts and the worst scheme.
    for s in schemes {
      guard case .string(let name)? = s["scheme"] else { continue }
      #expect(FileManager.default.fileExists(atPath: "\(files)/\(name).tflite"), "\(name)")
    }
    let page = try String(contentsOfFile: html, encoding: .utf8)
    for id in ["chart-accuracy-energy", "chart-accuracy-latency", "worst-layers"] {
      #expect(page.contains("id=\"\(id)\""), "\(id)")
    }
    #expect(!page.contains("<script"))
    // The energy chart marks exactly the points no other point beats on both top-1 and energy.
    var points: [(name: String, top1: Double, energy: Double)] = [
      ("float32", floatTop1, try #require(Self.number(json["float"]?["energy_uj"])))
    ]
    for s in schemes {
      guard case .string(let name)? = s["scheme"] else { continue }
      points.append((name, try #require(Self.number(s["top1_accuracy"])), try #require(Self.number(s["energy_uj"]))))
    }
    let expected = Set(
      points.filter { p in
        !points.contains { q in q.top1 >= p.top1 && q.energy <= p.energy && (q.top1 > p.top1 || q.energy < p.energy) }
      }.map(\.name))
    let start = try #require(page.range(of: "id=\"chart-accuracy-energy\""))
    let end = try #require(page.range(of: "</svg>", range: start.upperBound..<page.endIndex))
    let chart = page[start.upperBound..<end.lowerBound]
    var front = Set<String>()
    for line in chart.split(separator: "\n") where line.hasPrefix("<circle class=\"front\" data-scheme=\"") {
      front.insert(String(line.dropFirst("<circle class=\"front\" data-scheme=\"".count).prefix { $0 != "\"" }))
    }
    #expect(front == expected)
    #expect(!front.isEmpty)
  }

  @Test func schemeAllTextNamesTheHostForTheHybridScheme() throws {
    let r = try runSystole(["quantize", "\(Self.trained)/mlp_float.tflite", "--scheme", "all"] + Self.labelled)
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("Quantization trade-off of \(Self.trained)/mlp_float.tflite on edge-tpu\n"))
    let hybrid = try #require(r.stdout.split(separator: "\n").first { $0.hasPrefix("weights-only ") })
    #expect(hybrid.hasSuffix("host 100 % (hybrid)"))
    #expect(r.stdout.contains("weights-only: hybrid: int8 weights, float32 activations; runs on the host.\n"))
  }

  @Test func targetDropWritesAModelWhoseMeasuredDropIsWithinTheTarget() throws {
    let dir = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let out = dir.appendingPathComponent("mixed.tflite").path
    let target = 0.5
    let r = try runSystole(
      ["quantize", "\(Self.trained)/mlp_float.tflite", "--target-drop", String(target), "--arch", "edge-tpu", "-o", out, "--json"]
        + Self.labelled)
    #expect(r.status == 0, "\(r.stderr)")
    let json = try JSONValue.parse(r.stdout)
    #expect(json["met_target"] == .bool(true))
    assertSnapshot(Self.keyPaths(json).joined(separator: "\n") + "\n", named: "quantize-target-drop-keys.txt")
    // The written file, compared with the float model by 'compare' (through the file reader).
    let compare = try runSystole([
      "compare", "\(Self.trained)/mlp_float.tflite", out, "--inputs", "\(Self.trained)/test", "--labels",
      "\(Self.trained)/test/labels.txt", "--json",
    ])
    #expect(compare.status == 0, "\(compare.stderr)")
    let measured = try #require(Self.number(try JSONValue.parse(compare.stdout)["labelled"]?["top1_drop_points"]))
    #expect(measured <= target)
    #expect(abs(measured - (try #require(Self.number(json["chosen"]?["top1_drop_points"])))) < 1e-9)
  }

  @Test func badCombinationsAreOneLineUsageErrors() throws {
    let dir = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let file = dir.appendingPathComponent("exists.bin")
    try Data([0]).write(to: file)
    let mlp = ["quantize", "\(Self.trained)/mlp_float.tflite"]
    let out = dir.appendingPathComponent("never.tflite").path
    let cases: [([String], Int32, String)] = [
      (mlp + ["--scheme", "all", "--target-drop", "1"] + Self.labelled, 64,
       "error: choose one: --scheme all measures every scheme, --target-drop searches a per-layer mix\n"),
      (mlp + ["--scheme", "all", "--keep-float", "1"], 64,
       "error: --keep-float sets one scheme's per-layer precision; --scheme all measures every scheme as it is (--target-drop searches a per-layer mix)\n"),
      (mlp + ["--scheme", "all", "-o", out], 64,
       "error: -o with --scheme all names a directory for one <scheme>.tflite per scheme; '\(out)' is a .tflite file name\n"),
      (mlp + ["--scheme", "all", "-o", file.path], 64,
       "error: -o with --scheme all names a directory for one <scheme>.tflite per scheme; '\(file.path)' is a file\n"),
      (mlp + ["--scheme", "all", "--json", "tradeoff.json"], 64,
       "error: --json is a flag that prints the JSON on stdout; redirect it instead of naming 'tradeoff.json' (--json > tradeoff.json)\n"),
      (mlp + ["--target-drop", "0.5", "-o", out, "--calibration", "\(Self.trained)/calibration"], 64,
       "error: --target-drop needs labelled inputs: pass --inputs DIR --labels FILE (the drop is in top-1 points)\n"),
      (mlp + ["--target-drop", "-1", "-o", out] + Self.labelled, 64,
       "error: option '--target-drop' expects a number of percentage points from 0 to 100; got '-1'\n"),
      (mlp + ["--target-drop", "nan", "-o", out] + Self.labelled, 64,
       "error: option '--target-drop' expects a number of percentage points from 0 to 100; got 'nan'\n"),
      (mlp + ["--target-drop", "0.5", "--scheme", "int4", "-o", out] + Self.labelled, 64,
       "error: --target-drop chooses each layer's precision itself; drop --scheme int4\n"),
      (mlp + ["--target-drop", "0.5", "--int16", "1", "-o", out] + Self.labelled, 64,
       "error: --int16 conflicts with --target-drop, which chooses every layer's precision itself\n"),
      (mlp + ["--target-drop", "0.5"] + Self.labelled, 64,
       "error: --target-drop writes the chosen model: missing -o <out.tflite>\n"),
      (mlp + ["-o", out, "--arch", "edge-tpu"], 64,
       "error: --arch sets the architecture of --scheme all and --target-drop; for one scheme's cost use 'systole run --quantize SCHEME'\n"),
      (mlp + ["--scheme", "all", "--arch", "no-such-arch"], 65, "error: unknown architecture preset 'no-such-arch'"),
      (mlp + ["--target-drop", "0.5", "-o", out, "--calibration", "\(Self.trained)/calibration", "--inputs", "\(Self.trained)/test",
              "--labels", "\(Self.trained)/calibration/0000.bin"], 65,
       "error: \(Self.trained)/mlp_float.tflite: labels '\(Self.trained)/calibration/0000.bin' line 1: "),
      (mlp + ["--scheme", "all", "--inputs", "\(Self.trained)/test", "--labels", "\(dir.path)/missing.txt"], 66,
       "error: \(dir.path)/missing.txt: no such file\n"),
    ]
    for (args, status, stderr) in cases {
      let r = try runSystole(args)
      #expect(r.status == status, "\(args): \(r.stderr)")
      #expect(r.stderrMessage.hasPrefix(stderr), "\(args): \(r.stderr)")
      #expect(!r.stderr.contains("Fatal error"), "\(args)")
      // One line; a usage error ends it with the `--help` pointer.
      #expect(r.stderr.split(separator: "\n").count == 1, "\(args): \(r.stderr)")
    }
    #expect(!FileManager.default.fileExists(atPath: out))
  }
}
