import Foundation
import GraphIR
import Quantizer
import Support
import SystoleTestSupport
import Testing

/// A fresh temporary directory, removed when `body` returns.
func withTemporaryDirectory<T>(_ body: (URL) throws -> T) throws -> T {
  let url = FileManager.default.temporaryDirectory.appendingPathComponent("systole-quantizer-\(UUID().uuidString)")
  try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  defer { try? FileManager.default.removeItem(at: url) }
  return try body(url)
}

func write(_ values: [Float], to url: URL) throws {
  try Data(TensorData(shape: [values.count], storage: .float32(values)).littleEndianBytes()).write(to: url)
}

@Suite struct CalibrationTests {
  @Test func folderSamplesAreReadInFileNameOrder() throws {
    let model = TestGraphs.mlp()
    try withTemporaryDirectory { dir in
      let a = (0..<8).map { Float($0) }
      let b = (0..<8).map { Float(-$0) }
      try write(b, to: dir.appendingPathComponent("0001.bin"))
      try write(a, to: dir.appendingPathComponent("0000.bin"))
      try Data("not an input".utf8).write(to: dir.appendingPathComponent("README.txt"))
      let samples = try CalibrationData.load(folder: dir, for: model)
      #expect(samples.count == 2)
      #expect(samples[0][0].floats == a)
      #expect(samples[1][0].floats == b)
      #expect(samples[0][0].shape == [1, 8])
    }
  }

  @Test func multiInputFolderUsesSampleDotInputNames() throws {
    let model = TestGraphs.twoInputs()
    try withTemporaryDirectory { dir in
      for s in ["s0", "s1"] {
        for i in 0..<2 {
          try write(Array(repeating: Float(i), count: 6), to: dir.appendingPathComponent("\(s).\(i).bin"))
        }
      }
      let samples = try CalibrationData.load(folder: dir, for: model)
      #expect(samples.count == 2)
      #expect(
        samples.allSatisfy {
          $0[0].floats == Array(repeating: 0, count: 6) && $0[1].floats == Array(repeating: 1, count: 6)
        })
    }
  }

  @Test func seededInputsAreReproducible() throws {
    let model = TestGraphs.mlp()
    let a = try CalibrationData.generate(
      for: model, count: 3, seed: 42, distribution: .normal(mean: 0, standardDeviation: 1))
    let b = try CalibrationData.generate(
      for: model, count: 3, seed: 42, distribution: .normal(mean: 0, standardDeviation: 1))
    let c = try CalibrationData.generate(
      for: model, count: 3, seed: 43, distribution: .normal(mean: 0, standardDeviation: 1))
    #expect(a == b)
    #expect(a != c)
    let u = try CalibrationData.generate(for: model, count: 50, seed: 1, distribution: .uniform(lower: -2, upper: 3))
    let all = u.flatMap { $0[0].floats }
    #expect(all.allSatisfy { $0 >= -2 && $0 < 3 })
    #expect(abs(all.reduce(0, +) / Float(all.count) - 0.5) < 0.2)
  }

  @Test func irwinHallNormalHasUnitVariance() throws {
    var b = GraphBuilder()
    let x = b.tensor("x", [1, 4000])
    let model = b.model("wide.tflite", inputs: [x], outputs: [x])
    let v = try CalibrationData.generate(
      for: model, count: 1, seed: 9, distribution: .normal(mean: 1, standardDeviation: 2))[0][0].floats
    let mean = v.reduce(0, +) / Float(v.count)
    let variance = v.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(v.count)
    #expect(abs(mean - 1) < 0.1)
    #expect(abs(variance - 4) < 0.3)
    #expect(v.allSatisfy { abs($0 - 1) <= 12 })
  }

  /// The seeded inputs of the committed fixtures are bit-identical to the ones the Python check
  /// generated with its port (models/index.json holds Systole's fingerprint from recording, and
  /// check_with_tflite.py compares its own against it).
  @Test func committedFingerprintsMatchTheGenerator() throws {
    let config = try QuantizerFixtures.config()
    let index = try JSONValue.parse(
      String(
        decoding: try Data(contentsOf: QuantizerFixtures.directory.appendingPathComponent("models/index.json")),
        as: UTF8.self))
    guard case .array(let models)? = index["models"] else {
      Issue.record("models/index.json has no models")
      return
    }
    for entry in config.models where ["mlp", "streaming", "attention"].contains(entry.name) {
      let float = try QuantizerFixtures.floatModel(entry.name)
      let recorded = models.first { $0["name"] == .string(entry.name) }
      #expect(
        recorded?["calibration_fnv1a"]
          == .string(QuantizerFixtures.fingerprint(try QuantizerFixtures.calibration(entry, config, float))))
      #expect(
        recorded?["test_fnv1a"]
          == .string(QuantizerFixtures.fingerprint(try QuantizerFixtures.testInputs(entry, config, float))))
    }
    let results = try JSONValue.parse(
      String(
        decoding: try Data(contentsOf: QuantizerFixtures.directory.appendingPathComponent("results.json")),
        as: UTF8.self))
    guard case .array(let rows)? = results["models"] else {
      Issue.record("results.json has no models")
      return
    }
    #expect(rows.count == config.models.count)
    #expect(rows.allSatisfy { $0["data_matches_systole"] == .bool(true) })
  }

  // MARK: Range estimators

  /// x[1,4] → RELU → y, with three samples of known values.
  static let reluModel: Model = {
    var b = GraphBuilder()
    let x = b.tensor("x", [1, 4])
    let y = b.tensor("y", [1, 4])
    b.op(.relu, [x], [y])
    return b.model("relu.tflite", inputs: [x], outputs: [y])
  }()
  static let samples: [[TensorData]] = [[-1, 0, 1, 2], [-3, 0, 0, 1], [0, 0, 0, 4]].map {
    [TensorData(shape: [1, 4], storage: .float32($0))]
  }

  @Test func minMaxTakesTheExtremesOverAllSamples() throws {
    let s = try ActivationStatistics.collect(model: Self.reluModel, samples: Self.samples, estimator: .minMax)
    #expect(s.ranges[0] == -3...4)
    #expect(s.ranges[1] == 0...4)
    #expect(s.sampleCount == 3)
  }

  @Test func movingAverageStartsAtTheFirstSample() throws {
    // min: −1, then 0.5·−1 + 0.5·−3 = −2, then 0.5·−2 + 0.5·0 = −1.
    // max: 2, then 1.5, then 2.75.
    let s = try ActivationStatistics.collect(
      model: Self.reluModel, samples: Self.samples, estimator: .movingAverage(momentum: 0.5))
    #expect(s.ranges[0] == -1...2.75)
  }

  @Test func percentileClipsOutliers() throws {
    var values = (0..<1000).map { Float($0) / 1000 }
    values[500] = 100
    let sample = [TensorData(shape: [1, 1000], storage: .float32(values))]
    var b = GraphBuilder()
    let x = b.tensor("x", [1, 1000])
    let y = b.tensor("y", [1, 1000])
    b.op(.relu, [x], [y])
    let model = b.model("outlier.tflite", inputs: [x], outputs: [y])
    let minMax = try ActivationStatistics.collect(model: model, samples: [sample], estimator: .minMax)
    let p = try ActivationStatistics.collect(model: model, samples: [sample], estimator: .percentile(99.5))
    #expect(minMax.ranges[0]?.upperBound == 100)
    let upper = try #require(p.ranges[0]?.upperBound)
    // 99.5 % of 1000 values lie at or below ≈ 0.994; the histogram bin is 100/2048 wide.
    #expect(upper > 0.9 && upper < 1.1)
    #expect(p.ranges[0]?.lowerBound == 0)
  }
}
