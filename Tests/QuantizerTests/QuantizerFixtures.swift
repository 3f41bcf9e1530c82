import Foundation
import GraphIR
import Quantizer
import SystoleTestSupport
import TFLiteImport

/// The committed quantizer fixtures under `Programs/quantizer` (see `check_with_tflite.py`).
enum QuantizerFixtures {
  /// `Programs/quantizer`.
  static var directory: URL { Fixtures.root.appendingPathComponent("Programs/quantizer") }

  /// `config.json`: the models, their input distributions and seeds, and which schemes are committed.
  struct Config: Decodable {
    struct Entry: Decodable {
      var name: String
      var distribution: String
      var seed: UInt64
      /// `"all"` or a list of scheme names.
      var fixtures: FixtureList
    }
    enum FixtureList: Decodable {
      case all
      case some([String])
      init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let s = try? c.decode(String.self), s == "all" {
          self = .all
        } else {
          self = .some(try c.decode([String].self))
        }
      }
    }
    var calibration_count: Int
    var test_count: Int
    var fixture_invocations: Int
    var all_schemes: [String]
    var models: [Entry]

    func schemes(for entry: Entry) -> [QuantizationScheme] {
      let names: [String] =
        switch entry.fixtures {
        case .all: all_schemes
        case .some(let s): s
        }
      return names.compactMap(QuantizationScheme.init(rawValue:))
    }
  }

  static func config() throws -> Config {
    try JSONDecoder().decode(Config.self, from: Data(contentsOf: directory.appendingPathComponent("config.json")))
  }

  static func distribution(_ name: String) -> InputDistribution {
    name == "image" ? .image : .normal(mean: 0, standardDeviation: 1)
  }

  /// The options every committed file is quantized with: defaults plus fallback (int16 ops
  /// without a 16×8 kernel run in int8).
  static var options: QuantizerOptions { QuantizerOptions(allowFallback: true) }

  static func floatModel(_ name: String) throws -> Model {
    try TFLiteImporter.load(contentsOf: Fixtures.model("\(name)_float.tflite"))
  }

  static func calibration(_ entry: Config.Entry, _ config: Config, _ model: Model) throws -> [[TensorData]] {
    try CalibrationData.generate(
      for: model, count: config.calibration_count, seed: entry.seed, distribution: distribution(entry.distribution))
  }

  static func testInputs(_ entry: Config.Entry, _ config: Config, _ model: Model) throws -> [[TensorData]] {
    try CalibrationData.generate(
      for: model, count: config.test_count, seed: entry.seed + 1, distribution: distribution(entry.distribution))
  }

  /// `models/<name>.<scheme>.tflite`, relative to ``directory``.
  static func modelPath(_ name: String, _ scheme: QuantizationScheme) -> String {
    "models/\(name).\(scheme.rawValue).tflite"
  }

  /// FNV-1a (64-bit) of every sample's bytes in order: the Python check compares it with its own.
  static func fingerprint(_ samples: [[TensorData]]) -> String {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for sample in samples {
      for t in sample {
        for b in t.littleEndianBytes() {
          h ^= UInt64(b)
          h = h &* 0x0000_0100_0000_01b3
        }
      }
    }
    return String(h, radix: 16)
  }

  /// Every reference set under `reference/` (TFLite's BUILTIN_REF outputs on a
  /// Systole-quantized file, in the layout of `Programs/models/reference`), sorted.
  static func references() throws -> [ReferenceSet] {
    let root = directory.appendingPathComponent("reference")
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: root.path) else { return [] }
    return try names.sorted().compactMap { stem in
      let m = root.appendingPathComponent(stem).appendingPathComponent("manifest.json")
      guard FileManager.default.fileExists(atPath: m.path) else { return nil }
      return try ReferenceSet(stem: stem, base: directory)
    }
  }

  /// Whether the slow cases run (`SYSTOLE_SLOW_TESTS=1`).
  static var slow: Bool { ProcessInfo.processInfo.environment["SYSTOLE_SLOW_TESTS"] == "1" }
  /// Whether to rewrite the committed quantized files (`SYSTOLE_RECORD_QUANTIZER=1`).
  static var record: Bool { ProcessInfo.processInfo.environment["SYSTOLE_RECORD_QUANTIZER"] == "1" }
}
