import GraphIR
import ModelZoo
import Testing

/// The analytic calibration checked against real arithmetic: the zoo graph run in float32 with
/// dequantized weights (``FloatReference``) on random inputs; each activation's real values must
/// fall inside the range its int8 scale and zero point represent.
@Suite struct CalibrationTests {
  /// Largest fraction of a tensor's real values allowed outside its int8 range (measured worst
  /// at the published sizes: 1.0 %, MobileNet v2's last projection).
  static let outsideLimit = 0.02

  static let reduced: [(String, Int)] = [("mobilenet_v2", 32)]
  static let slow: [(String, Int?)] =
    [("resnet50", 32), ("mobilenet_v1", 32), ("bert-base-layer", 8)] + ModelZoo.names.map { ($0, nil) }

  @Test(arguments: reduced)
  func reducedVariantRangesCoverTheFloatValues(_ name: String, _ size: Int) throws {
    try check(name, size)
  }

  @Test(.enabled(if: slowTestsEnabled, "set SYSTOLE_SLOW_TESTS=1"), arguments: slow)
  func fullSizeRangesCoverTheFloatValues(_ name: String, _ size: Int?) throws {
    try check(name, size)
  }

  func check(_ name: String, _ size: Int?) throws {
    let g = try ZooModels.shared.model(name, inputSize: size).main
    let codes = randomInputs(g, seed: 3).map { data -> [Int8] in
      if case .int8(let v) = data.storage { return v }
      return []
    }
    let values = FloatReference(graph: g).run(inputCodes: codes)
    for (i, op) in g.operators.enumerated() {
      let id = op.outputs[0]
      guard let v = values[id.index], let q = g[id].quantization else {
        Issue.record("\(name) op #\(i): no value")
        continue
      }
      let lo = q.scale * Float(-128 - q.zeroPoint) - q.scale / 2
      let hi = q.scale * Float(127 - q.zeroPoint) + q.scale / 2
      var count = 0
      for x in v where x < lo || x > hi { count += 1 }
      let outside = Double(count) / Double(v.count)
      #expect(
        outside <= Self.outsideLimit,
        "\(name) op #\(i) \(op.kind.tfliteName) '\(g[id].name)': \(outside * 100)% outside [\(lo), \(hi)]")
    }
  }
}
