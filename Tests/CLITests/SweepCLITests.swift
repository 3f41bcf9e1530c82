import Foundation
import SystoleTestSupport
import Testing

/// `systole sweep` with the real compiler and simulator.
@Suite struct SweepCLITests {
  let model = "Programs/models/kws_dscnn_int8.tflite"
  let axes = ["--vary", "array=8x8,16x16", "--vary", "dram.gbps=8,34", "--arch", "gemmini"]

  func read(_ url: URL) throws -> String { String(decoding: try Data(contentsOf: url), as: UTF8.self) }

  @Test func jobsDoNotChangeRowsAndShardsMergeToTheSameFile() throws {
    let dir = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let one = dir.appendingPathComponent("one.csv")
    let two = dir.appendingPathComponent("two.csv")
    #expect(try runSystole(["sweep", model] + axes + ["--jobs", "1", "-o", one.path]).status == 0)
    #expect(try runSystole(["sweep", model] + axes + ["--jobs", "2", "-o", two.path]).status == 0)
    #expect(try read(one) == read(two))
    var parts: [String] = []
    for i in 0..<3 {
      let part = dir.appendingPathComponent("part\(i).csv").path
      #expect(try runSystole(["sweep", model] + axes + ["--shard", "\(i)/3", "-o", part]).status == 0)
      parts.append(part)
    }
    let merged = dir.appendingPathComponent("merged.csv")
    let m = try runSystole(["sweep", "merge"] + parts + ["-o", merged.path])
    #expect(m.status == 0, "\(m.stderr)")
    #expect(try read(merged) == read(one))
    // 2 × 2 points, header + 4 rows, each ok.
    let lines = try read(one).split(separator: "\n")
    #expect(lines.count == 5)
    let best = try runSystole(["sweep", "best", one.path, "--objective", "latency"])
    #expect(best.status == 0)
    #expect(best.stdout.contains("array=16x16 dram.gbps=34"))
  }

  @Test func existingOutputIsNotOverwritten() throws {
    let dir = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let out = dir.appendingPathComponent("s.csv")
    try Data("keep".utf8).write(to: out)
    let r = try runSystole(["sweep", model] + axes + ["-o", out.path])
    #expect(r.status == 73)
    #expect(r.stderr == "error: \(out.path): already exists; pass --overwrite to replace it or --resume to continue it\n")
    #expect(try read(out) == "keep")
  }

  @Test func withoutTheBaselineTheInt8ColumnsAreTheSameAndTheBaselineCellsEmpty() throws {
    let dir = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let full = dir.appendingPathComponent("full.csv")
    let lean = dir.appendingPathComponent("lean.csv")
    #expect(try runSystole(["sweep", model] + axes + ["-o", full.path]).status == 0)
    let r = try runSystole(["sweep", model] + axes + ["--baseline", "none", "-o", lean.path, "--json", dir.appendingPathComponent("lean.json").path])
    #expect(r.status == 0, "\(r.stderr)")
    func table(_ url: URL) throws -> [[String: String]] {
      let lines = try read(url).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
      return lines.dropFirst().map { Dictionary(uniqueKeysWithValues: zip(lines[0], $0)) }
    }
    let withBaseline = try table(full)
    let without = try table(lean)
    #expect(withBaseline.count == 4 && without.count == 4)
    for (a, b) in zip(withBaseline, without) {
      for column in ["cycles", "latency_us", "energy_uj", "edp_uj_us", "status"] { #expect(a[column] == b[column], "\(column)") }
      #expect(!(a["baseline_latency_us"] ?? "").isEmpty && Double(a["speedup_vs_fp32"] ?? "") != nil)
      for column in ["baseline_latency_us", "baseline_energy_uj", "speedup_vs_fp32", "energy_saving_vs_fp32"] {
        #expect(b[column] == "", "\(column) is empty without the baseline")
      }
    }
    #expect(try read(dir.appendingPathComponent("lean.json")).contains("\"baseline_latency_us\": null"))
    // Such a file reads back: best and merge accept it.
    #expect(try runSystole(["sweep", "best", lean.path]).status == 0)
    let merged = dir.appendingPathComponent("merged.csv")
    #expect(try runSystole(["sweep", "merge", lean.path, "-o", merged.path]).status == 0)
    #expect(try read(merged) == read(lean))
    let bad = try runSystole(["sweep", model] + axes + ["--baseline", "fp16", "-o", dir.appendingPathComponent("x.csv").path])
    #expect(bad.status == 64)
    #expect(bad.stderr.hasPrefix("error: unknown --baseline 'fp16'; expected fp32 or none"))
  }
}
