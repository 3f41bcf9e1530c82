import Foundation
import Support
import SystoleTestSupport
import Testing

@testable import SystoleDriver

/// `systole bench --scaling` and `--threads`: the plumbing only. Timings are never asserted.
@Suite struct BenchCLITests {
  @Test("the scaling study doubles the tile count with the chain length, one point per length")
  func scalingStudyDoublesTiles() throws {
    let setup = ScalingStudy.Setup(layerCounts: [1, 2, 4, 8], width: 64, batch: 4, arraySide: 16, repeats: 1)
    let study = try ScalingStudy.measure(setup)
    #expect(study.points.map(\.layers) == setup.layerCounts)
    let oneLayer = try #require(study.points.first).tiles
    // 64 × 64 weights on a 16 × 16 array: at least the 4 × 4 weight tiles per layer.
    #expect(oneLayer >= (64 / 16) * (64 / 16))
    #expect(study.points.map(\.tiles) == setup.layerCounts.map { $0 * oneLayer })
    #expect(study.points.allSatisfy { $0.instructions > 0 && $0.compileSeconds >= 0 && $0.simulateSeconds >= 0 })
    let fit = try #require(study.fit)
    #expect(fit.rSquared <= 1)
    let text = study.renderText()
    #expect(text.contains("layers  tiles  instructions  compile s  simulate s  total s  µs per tile"))
    #expect(text.contains("least-squares fit: total s = "))
  }

  @Test("bench --scaling --quick --json: the documented keys, tiles 1×, 2×, 4×, 8×, 16×")
  func scalingJSON() throws {
    let r = try runSystole(["bench", "--scaling", "--quick", "--json"])
    #expect(r.status == 0, "\(r.stderr)")
    let v = try JSONValue.parse(r.stdout)
    #expect(v["benchmark"] == .string("scaling"))
    guard case .array(let points)? = v["points"] else {
      Issue.record("no points in \(r.stdout)")
      return
    }
    let tiles = points.compactMap { p -> Int64? in if case .int(let t)? = p["tiles"] { t } else { nil } }
    let layers = points.compactMap { p -> Int64? in if case .int(let l)? = p["layers"] { l } else { nil } }
    #expect(layers == [1, 2, 4, 8, 16])
    #expect(tiles.count == 5 && tiles.allSatisfy { $0 > 0 })
    #expect(zip(tiles, layers).allSatisfy { $0 == tiles[0] * $1 })
    for p in points {
      for key in ["instructions", "compile_s", "simulate_s", "total_s", "us_per_tile"] { #expect(p[key] != nil, "\(key)") }
    }
    for key in ["slope_us_per_tile", "intercept_s", "r_squared"] { #expect(v["fit"]?[key] != nil, "fit.\(key)") }
  }

  @Test("the least-squares fit: an exact line, a flat scatter, and too few points")
  func linearFit() throws {
    let line = try #require(LinearFit(x: [1, 2, 4, 8], y: [5, 7, 11, 19]))  // y = 3 + 2x
    #expect(abs(line.slope - 2) < 1e-12)
    #expect(abs(line.intercept - 3) < 1e-12)
    #expect(abs(line.rSquared - 1) < 1e-12)
    // A symmetric scatter about a horizontal line explains nothing: slope 0, R² 0.
    let flat = try #require(LinearFit(x: [0, 1, 2], y: [0, 1, 0]))
    #expect(abs(flat.slope) < 1e-12)
    #expect(abs(flat.intercept - 1.0 / 3) < 1e-12)
    #expect(abs(flat.rSquared) < 1e-12)
    #expect(LinearFit(x: [1], y: [1]) == nil)
    #expect(LinearFit(x: [2, 2], y: [1, 3]) == nil)
    #expect(LinearFit(x: [1, 2], y: [1]) == nil)
  }

  @Test("--threads must be an integer in 1...1024", arguments: ["0", "-1", "two", "1025"])
  func badThreads(value: String) throws {
    let r = try runSystole(["run", "Programs/models/mlp_int8.tflite", "--arch", "toy-4x4", "--functional", "--threads", value])
    #expect(r.status == 64)
    #expect(r.stderr.contains("option '--threads' expects an integer in 1...1024; got '\(value)'"))
  }

  @Test("run --functional --threads 3 writes TFLite's outputs")
  func runWithThreads() throws {
    let dir = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let ref = "Programs/models/reference/convpool_int8"
    let r = try runSystole([
      "run", "Programs/models/convpool_int8.tflite", "--arch", "gemmini", "--input", "\(ref)/in.0.0.bin",
      "--output-dir", dir.path, "--baseline", "none", "--threads", "3",
    ])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("simulator outputs equal the golden model's"))
    let got = try Data(contentsOf: dir.appendingPathComponent("0.0.bin"))
    #expect(got == (try Data(contentsOf: Fixtures.root.appendingPathComponent("\(ref)/out.0.0.bin"))))
  }
}
