import GoldenModel
import GraphIR
import ModelZoo
import Testing

/// Zoo models run in the golden model on uniformly random int8 inputs: outputs vary across
/// elements and across inputs, and no intermediate tensor is pinned at its int8 range ends
/// (the analytic calibration covers the real values).
@Suite struct GoldenRunTests {
  struct Variant: Sendable, CustomStringConvertible {
    var name: String
    var inputSize: Int?
    var description: String { "\(name)@\(inputSize.map(String.init) ?? "published size")" }
  }

  /// Cheap enough for the default (debug) suite: reduced resolution, sequence, batch.
  static let reduced = [
    Variant(name: "mobilenet_v1", inputSize: 32), Variant(name: "mobilenet_v2", inputSize: 32),
    Variant(name: "bert-base-layer", inputSize: 8), Variant(name: "mlp0", inputSize: 1),
  ]
  /// Full-size runs and ResNet-50 at 32×32: minutes in a debug build.
  static let slow =
    [Variant(name: "resnet50", inputSize: 32)] + ModelZoo.names.map { Variant(name: $0, inputSize: nil) }

  /// Largest fraction of a tensor's codes allowed at 127 (or −128 when that is not real 0).
  static let clampLimit = 0.02

  @Test(arguments: reduced)
  func reducedVariantRunsSensibly(_ v: Variant) throws {
    try check(v)
  }

  @Test(.enabled(if: slowTestsEnabled, "set SYSTOLE_SLOW_TESTS=1"), arguments: slow)
  func fullSizeRunsSensibly(_ v: Variant) throws {
    try check(v)
  }

  func check(_ v: Variant) throws {
    let model = try ZooModels.shared.model(v.name, inputSize: v.inputSize)
    let g = model.main
    var interpreter = Interpreter(model: model, recordsIntermediates: true)
    let first = try interpreter.invoke(randomInputs(g, seed: 1))
    for (i, op) in g.operators.enumerated() {
      let id = op.outputs[0]
      guard case .int8(let codes)? = interpreter.intermediates[id.index]?.storage, codes.count > 1,
        let q = g[id].quantization
      else {
        Issue.record("\(v) op #\(i): no int8 value recorded for '\(g[id].name)'")
        continue
      }
      let h = histogram(codes)
      let clamped = clampedFraction(h, zeroPoint: q.zeroPoint)
      #expect(
        clamped <= Self.clampLimit,
        "\(v) op #\(i) \(op.kind.tfliteName) '\(g[id].name)': \(clamped * 100)% of codes clamped")
      #expect(h.filter { $0 > 0 }.count > 1, "\(v) op #\(i) \(op.kind.tfliteName) '\(g[id].name)' is constant")
    }
    let second = try interpreter.invoke(randomInputs(g, seed: 2))
    guard case .int8(let a)? = first.first?.storage, case .int8(let b)? = second.first?.storage else {
      Issue.record("\(v): output is not int8")
      return
    }
    let distinct = histogram(a).filter { $0 > 0 }.count
    #expect(distinct >= 3, "\(v): output has \(distinct) distinct values")
    #expect(a != b, "\(v): two random inputs give the same output")
  }
}
