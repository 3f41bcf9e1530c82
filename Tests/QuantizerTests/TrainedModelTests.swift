import Foundation
import GraphIR
import Quantizer
import SystoleTestSupport
import Testing

/// The models trained on real handwritten digits (`Programs/trained`, made by `make_trained.py`):
/// Systole's int8 PTQ against TensorFlow's own PTQ on the same calibration data, top-1 on the
/// labelled test set.
@Suite struct TrainedModelTests {
  static var directory: URL { Fixtures.root.appendingPathComponent("Programs/trained") }

  struct Results: Decodable {
    struct File: Decodable {
      var file: String
      var top1_accuracy: Double
      var top5_accuracy: Double
    }
    var test: Int
    var calibration: Int
    var models: [String: [String: File]]
  }

  static func results() throws -> Results {
    try JSONDecoder().decode(Results.self, from: Data(contentsOf: directory.appendingPathComponent("results.json")))
  }

  static func labels() throws -> ClassLabels {
    let url = directory.appendingPathComponent("test/labels.txt")
    return try ClassLabels.parse(String(contentsOf: url, encoding: .utf8), source: "test/labels.txt", model: "test")
  }

  /// mlp always (a few seconds in a debug build); cnn and resnet too with `SYSTOLE_SLOW_TESTS=1`
  /// (~30 s debug). All three are checked by the documented release command in docs/quantizer.md.
  static var models: [String] { QuantizerFixtures.slow ? ["cnn", "mlp", "resnet"] : ["mlp"] }

  @Test(arguments: models)
  func systoleInt8PerChannelTop1IsWithinHalfAPointOfTensorFlowsPTQ(_ name: String) throws {
    let results = try Self.results()
    let tf = try #require(results.models[name]?["tf_int8"])
    let float = try loadResolvedModel(Self.directory.appendingPathComponent("\(name)_float.tflite"))
    let quantized = try Quantizer.quantize(
      model: float, scheme: .int8PerChannel, calibration: .folder(Self.directory.appendingPathComponent("calibration")))
    let inputs = try CalibrationData.load(folder: Self.directory.appendingPathComponent("test"), for: float, role: "inputs")
    #expect(inputs.count == results.test)
    let report = try AccuracyReport.compare(float: float, quantized: quantized, inputs: inputs, labels: try Self.labels())
    let labelled = try #require(report.labelled)
    let systole = 100 * labelled.quantizedTop1Accuracy
    #expect(abs(systole - tf.top1_accuracy) <= 0.5, "\(name): Systole int8 top-1 \(systole) %, TensorFlow PTQ \(tf.top1_accuracy) %")
    // The golden model's float kernels give TFLite's float top-1 (within one test image).
    let tfFloat = try #require(results.models[name]?["float"])
    #expect(abs(100 * labelled.floatTop1Accuracy - tfFloat.top1_accuracy) <= 100.0 / Double(results.test) + 1e-9)
  }

  /// TensorFlow's QAT files (`make_qat.py`): Systole's golden model scores each one exactly as
  /// TFLite's reference kernels did (`results.json`, `tf_qat_int8`).
  @Test(arguments: models)
  func goldenModelScoresTensorFlowsQATFilesAsTFLiteDoes(_ name: String) throws {
    let results = try Self.results()
    let qat = try #require(results.models[name]?["tf_qat_int8"])
    let float = try loadResolvedModel(Self.directory.appendingPathComponent("\(name)_float.tflite"))
    let quantized = try loadResolvedModel(Self.directory.appendingPathComponent(qat.file))
    let inputs = try CalibrationData.load(folder: Self.directory.appendingPathComponent("test"), for: float, role: "inputs")
    let comparison = try OutputComparison.run(float: float, quantized: quantized, inputs: inputs, labels: try Self.labels())
    let labelled = try #require(comparison.labelled)
    let correct = Int((qat.top1_accuracy * Double(results.test) / 100).rounded())
    #expect(labelled.quantizedTop1 == correct, "\(name): Systole \(labelled.quantizedTop1)/\(results.test), TFLite \(qat.top1_accuracy) %")
  }

  @Test func labelsParseOneClassPerLine() throws {
    let l = try ClassLabels.parse("3\n 7 \r\n0\n\n", source: "l.txt", model: "m")
    #expect(l.values == [3, 7, 0])
    try l.validate(inputCount: 3, classes: 10, model: "m")
  }

  @Test(arguments: [
    ("3\nseven\n", "m: labels 'l.txt' line 2: 'seven' is not a class number; expected one non-negative integer per line"),
    ("3\n-1\n", "m: labels 'l.txt' line 2: '-1' is not a class number; expected one non-negative integer per line"),
    ("3\n\n4\n", "m: labels 'l.txt' line 2: '' is not a class number; expected one non-negative integer per line"),
    ("1.5\n", "m: labels 'l.txt' line 1: '1.5' is not a class number; expected one non-negative integer per line"),
  ])
  func malformedLabelsAreOneLineErrors(_ text: String, _ message: String) throws {
    do {
      _ = try ClassLabels.parse(text, source: "l.txt", model: "m")
      Issue.record("'\(text)' parsed")
    } catch {
      #expect(error.description == message)
      #expect(error.kind == .labelsMismatch)
    }
  }

  @Test func labelsMustMatchTheInputsAndTheClasses() throws {
    let l = ClassLabels([1, 2, 10], source: "l.txt")
    do {
      try l.validate(inputCount: 4, classes: 10, model: "m")
      Issue.record("4 inputs accepted")
    } catch {
      #expect(error.description == "m: labels 'l.txt': 3 labels for 4 inputs; expected one label per input file, in sorted file-name order")
    }
    do {
      try l.validate(inputCount: 3, classes: 10, model: "m")
      Issue.record("class 10 accepted")
    } catch {
      #expect(error.description == "m: labels 'l.txt' line 3: class 10 is out of range; the output has 10 classes (0…9)")
    }
  }

  @Test func rankBreaksTiesTowardTheLowerClassAsArgmaxDoes() {
    let scores: [Double] = [1, 3, 3, 0, 2, 2]
    #expect(LabelledAccuracy.rank(of: 1, in: scores[...]) == 0)
    #expect(LabelledAccuracy.rank(of: 2, in: scores[...]) == 1)
    #expect(LabelledAccuracy.rank(of: 5, in: scores[...]) == 3)
    #expect(LabelledAccuracy.rank(of: 3, in: scores[...]) == 5)
    var acc = LabelledAccuracy(labelsSource: "l", classes: 6)
    acc.add(float: scores[...], quantized: scores[...], label: 2)
    acc.add(float: scores[...], quantized: [0, 0, 0, 0, 0, 1][...], label: 1)
    #expect(acc.floatTop1 == 1 && acc.quantizedTop1 == 0 && acc.floatTop5 == 2 && acc.quantizedTop5 == 2)
    #expect(abs(acc.top1DropPoints - 50) < 1e-12)
  }
}
