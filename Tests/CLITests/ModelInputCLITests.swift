import Foundation
import Support
import SystoleTestSupport
import Testing

/// Model arguments as users bring them: `--batch`, `--input-shape`, SCALE-Sim CSVs in the full
/// model, files recognised by content, and one-line errors for bad values.
@Suite struct ModelInputCLITests {
  @Test func topologyCSVRunsInSystolesOwnModelWithBaseline() throws {
    let r = try runSystole(["run", "Programs/topologies/resnet18_head.csv", "--arch", "Programs/arch/scalesim-32x32-ws.cfg"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("Conv1"))
    #expect(r.stdout.contains("float32 baseline"))
    #expect(r.stdout.contains("DRAM "))
    let gemm = try runSystole(["run", "Programs/topologies/bert_gemms.csv", "--arch", "tpu-v1", "--batch", "2", "--baseline", "none"])
    #expect(gemm.status == 0, "\(gemm.stderr)")
    #expect(gemm.stdout.contains("per batch of 2"))
    // The same file still runs SCALE-Sim's own closed form.
    let scalesim = try runSystole([
      "run", "Programs/topologies/resnet18_head.csv", "--arch", "Programs/arch/scalesim-32x32-ws.cfg", "--timing", "scalesim",
    ])
    #expect(scalesim.status == 0, "\(scalesim.stderr)")
    #expect(scalesim.stdout.contains("SCALE-Sim compute model"))
  }

  @Test func topologyMACsMatchSCALESimsCount() throws {
    // Systole's graph of the CSV does the MACs SCALE-Sim counts for the same rows.
    let dir = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let a = dir.appendingPathComponent("a.json").path
    let b = dir.appendingPathComponent("b.json").path
    // GEMM rows: P·K·N exactly. (Convolution rows use the VALID output size ⌊(H − R)/s⌋ + 1,
    // one less than SCALE-Sim's ⌈(H − R + s)/s⌉ when s does not divide H − R: SCALE-Sim counts
    // a partial window a real convolution does not compute; docs/cli.md.)
    let csv = "Programs/topologies/bert_gemms.csv"
    let ours = try runSystole(["run", csv, "--arch", "tpu-v1", "--baseline", "none", "--json", a])
    let theirs = try runSystole(["run", csv, "--arch", "tpu-v1", "--timing", "scalesim", "--gemm", "--json", b])
    #expect(ours.status == 0 && theirs.status == 0, "\(ours.stderr)\(theirs.stderr)")
    let va = try JSONValue.parse(String(decoding: try Data(contentsOf: URL(fileURLWithPath: a)), as: UTF8.self))
    let vb = try JSONValue.parse(String(decoding: try Data(contentsOf: URL(fileURLWithPath: b)), as: UTF8.self))
    #expect(va["total"]?["macs"] != nil)
    #expect(va["total"]?["macs"] == vb["total"]?["macs"])
  }

  @Test func unknownFileKindsSayWhatIsAccepted() throws {
    let dir = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let path = dir.appendingPathComponent("notes.txt").path
    try Data("hello, world\n".utf8).write(to: URL(fileURLWithPath: path))
    let r = try runSystole(["compile", path, "--arch", "tpu-v1"])
    #expect(r.status == 65)
    #expect(
      r.stderr
        == "error: \(path): not a model this tool reads (first line 'hello, world'); expected a .tflite file (identifier TFL3), a SCALE-Sim topology CSV (header 'Layer name, IFMAP Height, …') or a GEMM CSV (header 'Layer, M, N, K')\n"
    )
  }

  @Test func brokenCSVRowsAndAbsurdSizesAreOneLine() throws {
    let dir = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let broken = dir.appendingPathComponent("t.csv").path
    try Data("Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\nc1, 8, 8, 3, 3, x, 4, 1,\n".utf8)
      .write(to: URL(fileURLWithPath: broken))
    let r = try runSystole(["run", broken, "--arch", "tpu-v1"])
    #expect(r.status == 65, "\(r.stderr)")
    #expect(r.stderr.hasPrefix("error: \(broken):2:"))
    #expect(r.stderr.split(separator: "\n").count == 1)
    let huge = dir.appendingPathComponent("g.csv").path
    try Data("Layer, M, N, K,\ng1, 2147483647, 2147483647, 2147483647,\n".utf8).write(to: URL(fileURLWithPath: huge))
    let h = try runSystole(["run", huge, "--arch", "tpu-v1"])
    #expect(h.status == 65, "\(h.status) \(h.stderr)")
    #expect(h.stderr.hasPrefix("error: \(huge):2:"))
    #expect(h.stderr.split(separator: "\n").count == 1)
    // Within the reader's bounds but too large to build: refused before allocating weights.
    let big = dir.appendingPathComponent("b.csv").path
    try Data("Layer, M, N, K,\ng1, 4, 65536, 65536,\n".utf8).write(to: URL(fileURLWithPath: big))
    let b = try runSystole(["run", big, "--arch", "tpu-v1"])
    #expect(b.status == 65, "\(b.status) \(b.stderr)")
    #expect(b.stderr == "error: \(big): layer 'g1': weights N × K = 65536 × 65536 exceed 64 MiB\n")
  }

  @Test func badBatchesAndShapesAreUsageOrDataErrors() throws {
    let model = "Programs/models/mlp_int8.tflite"
    for bad in ["0", "-3", "abc", "1e9", "99999999999999999999"] {
      let r = try runSystole(["run", model, "--arch", "tpu-v1", "--batch", bad])
      #expect(r.status == 64, "--batch \(bad): \(r.stderr)")
      #expect(r.stderr.hasPrefix("error: option '--batch' expects an integer in 1...16777216; got '\(bad)'"))
    }
    let absurd = try runSystole(["run", "zoo:resnet50", "--arch", "tpu-v1", "--batch", "16000000"])
    #expect(absurd.status == 65)
    #expect(absurd.stderr.contains("has more than 2^31 - 1 elements (TFLite's bound); use a smaller batch"))
    let shape = try runSystole(["inspect", model, "--input-shape", "0=1,2,3"])
    #expect(shape.status == 65)
    #expect(shape.stderr.contains("--input-shape gives 3 dimensions [1, 2, 3]"))
    let malformed = try runSystole(["inspect", model, "--input-shape", "0:1,2"])
    #expect(malformed.status == 64)
  }

  @Test func zooTakesBatchAndMLP0KeepsItsPaperDefault() throws {
    let paper = try runSystole(["inspect", "zoo:mlp0", "--json"])
    #expect(paper.status == 0)
    #expect(paper.stdout.contains("200x2048 int8"))
    let eight = try runSystole(["inspect", "zoo:mlp0", "--batch", "8", "--json"])
    #expect(eight.stdout.contains("8x2048 int8"))
    let cnn = try runSystole(["inspect", "zoo:mobilenet_v1@64", "--batch", "3"])
    #expect(cnn.status == 0, "\(cnn.stderr)")
    #expect(cnn.stdout.contains("3x64x64x3 int8"))
  }
}

extension ModelInputCLITests {
  /// As the batch grows, latency per batch never decreases and inferences/s never decreases
  /// while the array is below saturation (MAC utilization < 90 %). MobileNet v1 at 32 × 32 (at
  /// 64 × 64 its batch-200 point alone took 8 s of CPU in a debug build).
  @Test func batchSweepLatencyAndThroughputAreMonotone() throws {
    let dir = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let out = dir.appendingPathComponent("batch.csv").path
    let r = try runSystole([
      "sweep", "zoo:mlp0", "zoo:mobilenet_v1@32", "--arch", "tpu-v1", "--vary", "batch=1,2,8,32,200", "-o", out,
    ])
    #expect(r.status == 0, "\(r.stderr)")
    let lines = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
    guard let header = lines.first, let m = header.firstIndex(of: "model"), let b = header.firstIndex(of: "batch"),
      let lat = header.firstIndex(of: "latency_us"), let ips = header.firstIndex(of: "inferences_per_s"),
      let util = header.firstIndex(of: "utilization")
    else {
      Issue.record("missing columns in \(lines.first ?? [])")
      return
    }
    var byModel: [String: [(batch: Int, latency: Double, ips: Double, util: Double)]] = [:]
    for row in lines.dropFirst() {
      byModel[row[m], default: []].append((Int(row[b]) ?? 0, Double(row[lat]) ?? 0, Double(row[ips]) ?? 0, Double(row[util]) ?? 0))
    }
    #expect(byModel.count == 2)
    for (model, rows) in byModel {
      let sorted = rows.sorted { $0.batch < $1.batch }
      #expect(sorted.map(\.batch) == [1, 2, 8, 32, 200], "\(model)")
      for (a, c) in zip(sorted, sorted.dropFirst()) {
        // Tile choices differ between batches, so a larger batch may lose a few percent to a
        // luckier tiling of a smaller one; more than 5 % would be a bug.
        #expect(c.latency >= 0.95 * a.latency, "\(model): latency \(a.latency) µs at batch \(a.batch) > \(c.latency) at \(c.batch)")
        if c.util < 0.9 {
          #expect(c.ips >= a.ips, "\(model): \(a.ips)/s at batch \(a.batch) > \(c.ips)/s at \(c.batch)")
        }
      }
    }
  }
}

/// `systole validate`: the silicon table is pinned, so any model change shows its effect on
/// every error (re-record with SYSTOLE_RECORD_SNAPSHOTS=1 and explain the change in
/// docs/validation.md).
@Suite struct ValidateCLITests {
  @Test func validateTableIsPinned() throws {
    let r = try runSystole(["validate"])
    #expect(r.status == 0, "\(r.stderr)")
    assertSnapshot(r.stdout, named: "validate.txt")
  }

  @Test func validateFiltersByPresetAndWritesJSON() throws {
    let dir = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let path = dir.appendingPathComponent("v.json").path
    let r = try runSystole(["validate", "--preset", "tpu-v1", "--json", path])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("zoo:mlp0"))
    #expect(!r.stdout.contains("edge-tpu"))
    let v = try JSONValue.parse(String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self))
    guard case .array(let rows) = v, let first = rows.first else {
      Issue.record("expected an array of rows")
      return
    }
    for key in ["chip", "workload", "preset", "figure", "published", "predicted", "error_percent", "source"] {
      #expect(first[key] != nil, "\(key)")
    }
    let again = try runSystole(["validate", "--preset", "tpu-v1", "--json", path])
    #expect(again.status == 73)
    let bad = try runSystole(["validate", "--preset", "toy-4x4"])
    #expect(bad.status == 64)
  }
}
