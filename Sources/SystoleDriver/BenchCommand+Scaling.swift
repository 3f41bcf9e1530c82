import Architecture
import CycleSim
import Foundation
import GraphIR
import Lowering
import ModelZoo
import Reporting
import Support

/// `systole bench --scaling`: compile + timing-simulation time against the number of tiles, with
/// the tile shape fixed and the tile count doubling (a chain of 1, 2, 4, … identical
/// FULLY_CONNECTED layers, `ModelZoo.fullyConnectedChain`), and a least-squares line through the
/// points so linearity is a computed number (R²), not a reading of the table.
struct ScalingStudy {
  /// What to build and where to run it.
  struct Setup {
    /// Chain lengths measured (each doubles the tiles of the previous one).
    var layerCounts: [Int]
    /// Units of every layer (input width = output width).
    var width: Int
    /// Rows fed to every layer.
    var batch: Int
    /// Array rows and columns of the `tpu-v1` variant used.
    var arraySide: Int
    /// Measurements per point; the fastest is kept (the machine may be shared).
    var repeats: Int

    /// The figures of docs/performance.md: 1,024 × 1,024 layers, batch 256, on a 32×32 array.
    static let documented = Setup(layerCounts: [1, 2, 4, 8, 16], width: 1024, batch: 256, arraySide: 32, repeats: 3)
    /// A seconds-long smoke test.
    static let quick = Setup(layerCounts: [1, 2, 4, 8, 16], width: 128, batch: 32, arraySide: 32, repeats: 1)
  }

  /// One chain length's figures.
  struct Point {
    var layers: Int
    var tiles: Int
    var instructions: Int
    var compileSeconds: Double
    var simulateSeconds: Double
    var totalSeconds: Double { compileSeconds + simulateSeconds }
    var microsecondsPerTile: Double { totalSeconds * 1e6 / Double(max(tiles, 1)) }
  }

  var setup: Setup
  var archName: String
  var points: [Point]

  /// The least-squares line of total seconds against tiles, nil for fewer than two distinct tile counts.
  var fit: LinearFit? {
    LinearFit(x: points.map { Double($0.tiles) }, y: points.map(\.totalSeconds))
  }

  /// Builds, compiles and simulates every chain length of `setup`.
  static func measure(_ setup: Setup) throws -> ScalingStudy {
    let arch = try ArchSpec.tpuV1.applying(overrides: ["array=\(setup.arraySide)x\(setup.arraySide)"])
    var points: [Point] = []
    for layers in setup.layerCounts {
      let model = try ModelZoo.fullyConnectedChain(layers: layers, width: setup.width, batch: setup.batch)
      var best: Point?
      for _ in 0..<max(setup.repeats, 1) {
        let (compiled, compileSeconds) = try BenchCommand.time { try LoweringPipeline(arch: arch).compile(model) }
        let (_, simulateSeconds) = try BenchCommand.time { () throws -> SimulationResult in
          var simulator = Simulator(arch: arch, program: compiled.program, mode: .timing)
          return try simulator.run()
        }
        let point = Point(
          layers: layers, tiles: compiled.report.operators.reduce(0) { $0 + $1.tileCount },
          instructions: compiled.program.instructions.count, compileSeconds: compileSeconds,
          simulateSeconds: simulateSeconds)
        if best.map({ point.totalSeconds < $0.totalSeconds }) ?? true { best = point }
      }
      if let best { points.append(best) }
    }
    return ScalingStudy(setup: setup, archName: "tpu-v1 with array=\(setup.arraySide)x\(setup.arraySide)", points: points)
  }

  /// What was measured, in one line.
  var subject: String {
    "chain of N FULLY_CONNECTED \(setup.width)x\(setup.width) layers, batch \(setup.batch), on \(archName); compile + timing simulation, best of \(setup.repeats)"
  }

  /// The table and the fit as text.
  func renderText() -> String {
    var t = TextTable(
      headers: ["layers", "tiles", "instructions", "compile s", "simulate s", "total s", "µs per tile"],
      alignments: [.right, .right, .right, .right, .right, .right, .right])
    for p in points {
      t.append([
        "\(p.layers)", groupedDigits(p.tiles), groupedDigits(p.instructions), String(format: "%.4f", p.compileSeconds),
        String(format: "%.4f", p.simulateSeconds), String(format: "%.4f", p.totalSeconds),
        String(format: "%.2f", p.microsecondsPerTile),
      ])
    }
    var text = subject + "\n\n" + t.render()
    if let fit {
      text += String(
        format: "\nleast-squares fit: total s = %.4f + %.3f µs × tiles; R² = %.5f\n", fit.intercept, fit.slope * 1e6,
        fit.rSquared)
    }
    return text
  }

  /// `{"benchmark", "subject", "arch", "width", "batch", "repeats", "points": [...], "fit": {...}}`.
  func json() -> JSONValue {
    let rows: [JSONValue] = points.map { p in
      .object([
        ("layers", .int(Int64(p.layers))), ("tiles", .int(Int64(p.tiles))), ("instructions", .int(Int64(p.instructions))),
        ("compile_s", .double(p.compileSeconds)), ("simulate_s", .double(p.simulateSeconds)),
        ("total_s", .double(p.totalSeconds)), ("us_per_tile", .double(p.microsecondsPerTile)),
      ])
    }
    let fitValue: JSONValue =
      fit.map { f in
        .object([
          ("slope_us_per_tile", .double(f.slope * 1e6)), ("intercept_s", .double(f.intercept)),
          ("r_squared", .double(f.rSquared)),
        ])
      } ?? .null
    return .object([
      ("benchmark", .string("scaling")), ("subject", .string(subject)), ("arch", .string(archName)),
      ("width", .int(Int64(setup.width))), ("batch", .int(Int64(setup.batch))),
      ("repeats", .int(Int64(setup.repeats))), ("points", .array(rows)), ("fit", fitValue),
    ])
  }
}

/// The least-squares line `y = intercept + slope · x` and its coefficient of determination.
struct LinearFit: Equatable {
  var slope: Double
  var intercept: Double
  /// 1 − residual / total sum of squares (1 for a perfect line; 1 also when every y is equal
  /// and the line passes through them).
  var rSquared: Double

  /// The fit of paired samples; nil when there are fewer than two points, the counts differ, or
  /// every x is the same.
  init?(x: [Double], y: [Double]) {
    guard x.count == y.count, x.count >= 2 else { return nil }
    let n = Double(x.count)
    let meanX = x.reduce(0, +) / n
    let meanY = y.reduce(0, +) / n
    var sxx = 0.0
    var sxy = 0.0
    var syy = 0.0
    for (a, b) in zip(x, y) {
      sxx += (a - meanX) * (a - meanX)
      sxy += (a - meanX) * (b - meanY)
      syy += (b - meanY) * (b - meanY)
    }
    guard sxx > 0 else { return nil }
    slope = sxy / sxx
    intercept = meanY - slope * meanX
    var residual = 0.0
    for (a, b) in zip(x, y) {
      let e = b - (intercept + slope * a)
      residual += e * e
    }
    rSquared = syy > 0 ? 1 - residual / syy : 1
  }
}
