import Architecture
import Foundation
import GoldenModel
import GraphIR
import Lowering
import Pipeline
import Quantizer
import SystoleTestSupport
import Testing

/// The trade-off table (`QuantizationTradeoff`) and the accuracy-targeted mixed-precision search
/// (`MixedPrecisionSearch`) on the committed digits models (`Programs/trained`).
@Suite struct QuantizationStudyTests {
  static var directory: URL { Fixtures.root.appendingPathComponent("Programs/trained") }
  static var slow: Bool { ProcessInfo.processInfo.environment["SYSTOLE_SLOW_TESTS"] == "1" }

  struct Setup {
    var model: Model
    var statistics: ActivationStatistics
    var inputs: [[TensorData]]
    var labels: ClassLabels
  }

  static func setup(_ name: String) throws -> Setup {
    let model = try loadResolvedModel(directory.appendingPathComponent("\(name)_float.tflite"))
    let calibration = try CalibrationData.load(folder: directory.appendingPathComponent("calibration"), for: model)
    let statistics = try ActivationStatistics.collect(model: model, samples: calibration, estimator: .minMax)
    let inputs = try CalibrationData.load(folder: directory.appendingPathComponent("test"), for: model, role: "inputs")
    let text = try String(contentsOf: directory.appendingPathComponent("test/labels.txt"), encoding: .utf8)
    let labels = try ClassLabels.parse(text, source: "test/labels.txt", model: name)
    return Setup(model: model, statistics: statistics, inputs: inputs, labels: labels)
  }

  /// Whether each input's label is the model's top class.
  static func correct(_ model: Model, _ inputs: [[TensorData]], _ labels: ClassLabels) throws -> [Bool] {
    var interpreter = Interpreter(model: model)
    let output = model.main[model.main.outputs[0]]
    return try inputs.enumerated().map { k, sample in
      let out = try interpreter.invoke(AccuracyReport.prepare(sample, for: model.main))[0]
      let scores = AffineQuantization.dequantize(out, params: output.quantization)
      return Metrics.argmax(scores[...]) == labels.values[k]
    }
  }

  // MARK: Trade-off

  @Test func tradeoffRowsHaveEverySchemesSizeAccuracyAndCost() throws {
    let s = try Self.setup("mlp")
    let t = try QuantizationTradeoff.run(
      float: s.model, schemes: QuantizationScheme.allCases, statistics: s.statistics, inputs: s.inputs, labels: s.labels,
      source: InputSource(.inputs, "test"), arch: .edgeTPU)
    #expect(t.rows.map(\.scheme) == QuantizationScheme.allCases)
    #expect(t.rows.allSatisfy { $0.failure == nil && $0.costFailure == nil })
    // The float top-1, from the float model alone.
    let floatCorrect = try Self.correct(s.model, s.inputs, s.labels).filter { $0 }.count
    #expect(t.float.top1Accuracy == Double(floatCorrect) / Double(s.inputs.count))
    #expect(t.float.modelBytes == ModelSize(s.model, weights: [:]).totalBytes)
    for row in t.rows {
      let accuracy = try #require(row.accuracy)
      let top1 = try #require(row.top1Accuracy)
      let drop = try #require(row.top1DropPoints)
      #expect(abs(drop - 100 * (try #require(t.float.top1Accuracy) - top1)) < 1e-9)
      // Natively run schemes: the top-1 of the quantized model itself.
      if !row.simulated {
        let q = try #require(row.quantized)
        let n = try Self.correct(q.model, s.inputs, s.labels).filter { $0 }.count
        #expect(top1 == Double(n) / Double(s.inputs.count), "\(row.scheme)")
      }
      #expect(row.modelBytes == accuracy.size.totalBytes)
      // Cycles split into placements plus the unattributed rest.
      let cost = try #require(row.cost)
      let placed = cost.cyclesByPlacement.values.reduce(0, +)
      #expect(placed + cost.otherCycles == cost.cycles, "\(row.scheme)")
      #expect(abs(cost.latencyMicroseconds - Double(cost.cycles) / ArchSpec.edgeTPU.clock.value) < 1e-9)
    }
    func row(_ scheme: QuantizationScheme) throws -> QuantizationTradeoff.Row {
      try #require(t.rows.first { $0.scheme == scheme })
    }
    // Packed weights: ternary < int4 < int8.
    #expect(try row(.ternary).modelBytes! < row(.int4).modelBytes!)
    #expect(try row(.int4).modelBytes! < row(.int8PerChannel).modelBytes!)
    // The int8 datapath runs int8 models on the array; hybrid, uint8 and 16×8 models on the host.
    #expect(try row(.int8PerChannel).cost!.share(.systolicArray) > 0.5)
    for scheme in [QuantizationScheme.weightsOnly, .uint8Affine, .int16x8] {
      let cost = try row(scheme).cost!
      #expect(cost.share(.systolicArray) == 0, "\(scheme)")
      #expect(cost.share(.host) > 0.9, "\(scheme)")
      #expect(cost.energyMicrojoules > (try row(.int8PerChannel).cost!.energyMicrojoules))
    }
    #expect(try row(.weightsOnly).note?.contains("host") == true)
  }

  @Test func aSchemeThatCannotQuantizeTheModelIsARowWithItsReason() throws {
    // attention_float has SQUARED_DIFFERENCE, which has no int16 or uint8 kernel.
    let model = try loadResolvedModel(Fixtures.model("attention_float.tflite"))
    let samples = try CalibrationData.generate(for: model, count: 4, seed: 1, distribution: .normal(mean: 0, standardDeviation: 1))
    let statistics = try ActivationStatistics.collect(model: model, samples: samples, estimator: .minMax)
    let t = try QuantizationTradeoff.run(
      float: model, schemes: [.int8PerChannel, .int16x8, .uint8Affine], statistics: statistics, inputs: samples, arch: .edgeTPU)
    #expect(t.rows.count == 3)
    #expect(t.rows[0].failure == nil && t.rows[0].cost != nil)
    for r in t.rows.dropFirst() {
      #expect(r.accuracy == nil && r.cost == nil)
      let precision = r.scheme == .int16x8 ? "int16" : "uint8"
      #expect(
        r.failure
          == "op #1 SQUARED_DIFFERENCE 'SquaredDifference': no \(precision) kernel for SQUARED_DIFFERENCE (scheme \(r.scheme)); keep the op float (keepFloat) or allow fallback"
      )
    }
    #expect(t.float.top1Accuracy == nil)
  }

  // MARK: Mixed precision

  /// Re-quantizes `chosen`'s assignment through the public options and measures its drop anew.
  static func remeasure(_ e: MixedPrecisionSearch.Evaluation, _ s: Setup, inputs: [[TensorData]], labels: ClassLabels) throws
    -> (drop: Double, bytes: [UInt8])
  {
    var options = QuantizerOptions()
    if e.allFloat {
      options.keepFloat = Set(s.model.main.operators.indices.map { LayerSelector.index($0) })
      options.io = .float
    }
    for (op, p) in e.assignment where !e.allFloat {
      if p == .float { options.keepFloat.insert(.index(op)) } else if p != .int8 { options.layerSchemes[.index(op)] = p.scheme }
    }
    let q = try Quantizer.quantize(model: s.model, scheme: .int8PerChannel, statistics: s.statistics, options: options)
    let f = try correct(s.model, inputs, labels).filter { $0 }.count
    let n = try correct(q.model, inputs, labels).filter { $0 }.count
    return (100 * Double(f - n) / Double(inputs.count), try q.tfliteBytes())
  }

  static var targetModels: [String] { slow ? ["mlp", "cnn", "resnet"] : ["mlp"] }

  @Test(arguments: targetModels)
  func targetDropIsMetOnTheCommittedTestSet(_ name: String) throws {
    let s = try Self.setup(name)
    let target = 0.5
    let r = try MixedPrecisionSearch.run(
      float: s.model, statistics: s.statistics, inputs: s.inputs, labels: s.labels, targetDropPoints: target, arch: .edgeTPU)
    #expect(r.metTarget)
    // Measured again from the assignment alone, with the golden model on the whole test set.
    let again = try Self.remeasure(r.chosen, s, inputs: s.inputs, labels: s.labels)
    #expect(again.drop <= target, "\(name): \(again.drop) points")
    #expect(abs(again.drop - r.chosen.dropPoints) < 1e-9)
    #expect(again.bytes == (try r.chosen.quantized.tfliteBytes()))
    // Cheaper than all-int8: fewer bytes, no more energy.
    #expect(r.chosen.modelBytes <= r.int8.modelBytes)
    if let c = r.chosenCost?.energyMicrojoules, let i = r.int8Cost?.energyMicrojoules, r.int8.dropPoints <= target {
      #expect(c <= i)
    }
    #expect(r.layers.map(\.operatorIndex) == MixedPrecisionSearch.weightLayers(of: s.model).map(\.operatorIndex))
    #expect(r.chosen.assignment.keys.sorted() == r.layers.map(\.operatorIndex))
    if name == "mlp" {
      // mlp's layers all lose nothing at int4 on this test set: the search must find that.
      #expect(r.chosen.assignment.values.allSatisfy { $0 <= .int4 })
    }
  }

  @Test func whenInt8IsTooLossyTheSearchRaisesLayersUntilTheTargetHolds() throws {
    // A test subset on which int8 per channel loses images the float model gets right: the
    // images where it does, plus the first 20 both get right.
    let s = try Self.setup("cnn")
    let int8 = try Quantizer.quantize(model: s.model, scheme: .int8PerChannel, statistics: s.statistics)
    let f = try Self.correct(s.model, s.inputs, s.labels)
    let q = try Self.correct(int8.model, s.inputs, s.labels)
    let lost = s.inputs.indices.filter { f[$0] && !q[$0] }
    try #require(!lost.isEmpty, "int8 loses no image on the cnn test set")
    let kept = Array(s.inputs.indices.filter { f[$0] && q[$0] }.prefix(20))
    let subset = (lost + kept).sorted()
    let inputs = subset.map { s.inputs[$0] }
    let labels = ClassLabels(subset.map { s.labels.values[$0] }, source: "subset")
    let r = try MixedPrecisionSearch.run(
      float: s.model, statistics: s.statistics, inputs: inputs, labels: labels, targetDropPoints: 0, arch: .edgeTPU)
    #expect(r.int8.dropPoints > 0)
    #expect(r.metTarget)
    #expect(r.chosen.allFloat || r.chosen.assignment.values.contains { $0 > .int8 })
    #expect(r.steps.first?.change.hasSuffix("→ int16x8") == true || r.steps.first?.change.hasSuffix("→ float") == true)
    let again = try Self.remeasure(r.chosen, s, inputs: inputs, labels: labels)
    #expect(again.drop <= 0)
  }

  @Test func targetOutOfRangeIsAnError() throws {
    let s = try Self.setup("mlp")
    for target in [-1, .nan, 101, .infinity] {
      #expect(throws: QuantizerError.self) {
        _ = try MixedPrecisionSearch.run(
          float: s.model, statistics: s.statistics, inputs: Array(s.inputs.prefix(2)),
          labels: ClassLabels(Array(s.labels.values.prefix(2))), targetDropPoints: target, arch: .edgeTPU)
      }
    }
  }
}
