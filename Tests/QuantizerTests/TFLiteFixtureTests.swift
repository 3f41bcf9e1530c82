import Foundation
import GoldenModel
import GraphIR
import Quantizer
import Support
import SystoleTestSupport
import TFLiteImport
import Testing

/// Systole-quantized models checked against TensorFlow Lite without Python: the committed
/// files under `Programs/quantizer/models`, TFLite's BUILTIN_REF outputs on them (written by
/// `check_with_tflite.py`), and the golden model on the same files.
@Suite struct TFLiteFixtureTests {
  /// Systole's golden model on Systole's quantized file equals TFLite's reference kernels on
  /// that file, byte for byte, for every committed reference set of a natively run scheme.
  @Test func goldenModelMatchesTFLiteReferenceKernels() throws {
    let references = try QuantizerFixtures.references()
    try #require(!references.isEmpty, "no reference sets under Programs/quantizer/reference")
    var checked = 0
    for ref in references {
      guard let scheme = ref.scheme.flatMap(QuantizationScheme.init(rawValue:)), scheme.runsNatively else { continue }
      let model = try TFLiteImporter.load(contentsOf: ref.model)
      var interpreter = Interpreter(model: model)
      for n in 0..<ref.invocations {
        let outputs = try interpreter.invoke(try ref.inputs(invocation: n))
        let expected = try ref.outputs(invocation: n)
        #expect(outputs.count == expected.count, "\(ref.stem) invocation \(n)")
        for (o, (got, want)) in zip(outputs, expected).enumerated() {
          #expect(got.littleEndianBytes() == want.littleEndianBytes(), "\(ref.stem) invocation \(n) output \(o)")
        }
      }
      checked += 1
    }
    // Every committed model has at least its int8-per-channel file checked.
    let config = try QuantizerFixtures.config()
    #expect(checked >= config.models.count)
  }

  /// The committed int4 files store their weights as TFLite INT4 and the ternary files list
  /// theirs in the `systole_packed_bits` metadata (fine-grained ternary with its group size);
  /// reading them restores `packedBits` and `packedGroupSize`, and the
  /// Python check recorded that TFLite loaded and ran each one (so the golden-model comparison
  /// above covers INT4 filters in TFLite's reference kernels).
  @Test func subByteFilesKeepTheirWidthAndRanInTFLite() throws {
    let results = try JSONValue.parse(
      String(decoding: try Data(contentsOf: QuantizerFixtures.directory.appendingPathComponent("results.json")), as: UTF8.self))
    guard case .array(let models)? = results["models"] else {
      Issue.record("results.json has no models")
      return
    }
    var checked = 0
    for (scheme, bits) in [(QuantizationScheme.int4, 4), (.ternary, 2), (.fineGrainedTernary, 2)] {
      let config = try QuantizerFixtures.config()
      for entry in config.models where config.schemes(for: entry).contains(scheme) {
        let rel = QuantizerFixtures.modelPath(entry.name, scheme)
        let model = try TFLiteImporter.load(contentsOf: QuantizerFixtures.directory.appendingPathComponent(rel))
        let weights = model.main.operators.compactMap { op -> Tensor? in
          switch op.kind {
          case .conv2D, .depthwiseConv2D, .fullyConnected: return op.input(1).map { model.main[$0] }
          default: return nil
          }
        }
        #expect(!weights.isEmpty && weights.allSatisfy { $0.packedBits == bits }, "\(rel)")
        // Fine-grained ternary files carry their group size (metadata version 2).
        let group = scheme == .fineGrainedTernary ? QuantizerFixtures.options.ternaryGroupSize : nil
        #expect(weights.allSatisfy { $0.packedGroupSize == group }, "\(rel)")
        if group != nil {
          let row = models.first { $0["model"] == .string(entry.name) }?["systole"]?[scheme.rawValue]
          #expect(row?["grouped_entries"] == .int(Int64(Set(weights.map(\.name)).count)), "\(rel): the Python check saw the groups")
        }
        let row = models.first { $0["model"] == .string(entry.name) }?["systole"]?[scheme.rawValue]
        #expect(row?["runs"] == .bool(true), "\(rel) ran in TFLite")
        let stored = bits == 4 ? row?["int4_tensors"] : row?["packed_bits_metadata_entries"]
        #expect(stored == .int(Int64(Set(weights.map(\.name)).count)), "\(rel): \(String(describing: stored))")
        checked += 1
      }
    }
    #expect(checked >= 9)
  }

  /// The committed int8 file of every model has a reference set (TFLite loaded and ran it).
  @Test func everyModelHasAnInt8ReferenceSet() throws {
    let stems = Set(try QuantizerFixtures.references().map(\.stem))
    for entry in try QuantizerFixtures.config().models {
      #expect(stems.contains("\(entry.name).int8-per-channel"), "\(entry.name)")
    }
  }

  /// Quantizing the committed float model again with the configured calibration reproduces the
  /// committed file byte for byte (mlp always; every model and scheme with SYSTOLE_SLOW_TESTS=1).
  @Test func committedFilesAreReproduced() throws {
    let config = try QuantizerFixtures.config()
    for entry in config.models where entry.name == "mlp" || QuantizerFixtures.slow {
      let float = try QuantizerFixtures.floatModel(entry.name)
      let samples = try QuantizerFixtures.calibration(entry, config, float)
      let stats = try ActivationStatistics.collect(model: float, samples: samples, estimator: .minMax)
      for scheme in config.schemes(for: entry) {
        let q = try Quantizer.quantize(
          model: float, scheme: scheme, statistics: stats, options: QuantizerFixtures.options)
        let path = QuantizerFixtures.directory.appendingPathComponent(QuantizerFixtures.modelPath(entry.name, scheme))
        let committed = [UInt8](try Data(contentsOf: path))
        #expect(try q.tfliteBytes() == committed, "\(entry.name) \(scheme)")
      }
    }
  }

  /// `SYSTOLE_RECORD_QUANTIZER=1 swift test --filter TFLiteFixtureTests/record` rewrites the
  /// committed files, `models/index.json` (data fingerprints for the Python check), the
  /// Systole-side accuracy table across schemes and the example HTML report.
  @Test(.enabled(if: QuantizerFixtures.record)) func record() throws {
    let config = try QuantizerFixtures.config()
    let dir = QuantizerFixtures.directory
    try FileManager.default.createDirectory(at: dir.appendingPathComponent("models"), withIntermediateDirectories: true)
    var index: [JSONValue] = []
    var comparisons: [SchemeComparison] = []
    for entry in config.models {
      let float = try QuantizerFixtures.floatModel(entry.name)
      let samples = try QuantizerFixtures.calibration(entry, config, float)
      let test = try QuantizerFixtures.testInputs(entry, config, float)
      let stats = try ActivationStatistics.collect(model: float, samples: samples, estimator: .minMax)
      let committed = Set(config.schemes(for: entry))
      var files: [(String, JSONValue)] = []
      var reports: [AccuracyReport] = []
      var failures: [(scheme: QuantizationScheme, error: QuantizerError)] = []
      for name in config.all_schemes {
        guard let scheme = QuantizationScheme(rawValue: name) else { continue }
        let q: QuantizedModel
        do {
          q = try Quantizer.quantize(
            model: float, scheme: scheme, statistics: stats, options: QuantizerFixtures.options)
        } catch {
          failures.append((scheme, error))
          continue
        }
        if committed.contains(scheme) {
          let path = QuantizerFixtures.modelPath(entry.name, scheme)
          try Data(try q.tfliteBytes()).write(to: dir.appendingPathComponent(path))
          files.append((scheme.rawValue, .string(path)))
        }
        var report = try AccuracyReport.compare(float: float, quantized: q, inputs: test)
        report.model = "Programs/models/\(entry.name)_float.tflite"  // not the checkout's absolute path
        reports.append(report)
      }
      comparisons.append(SchemeComparison(model: "\(entry.name)_float.tflite", reports: reports, failures: failures))
      index.append(
        .object([
          ("name", .string(entry.name)),
          ("calibration_fnv1a", .string(QuantizerFixtures.fingerprint(samples))),
          ("test_fnv1a", .string(QuantizerFixtures.fingerprint(test))),
          ("files", .object(files)),
        ]))
    }
    let indexJSON = JSONValue.object([("models", .array(index))]).serialized() + "\n"
    try indexJSON.write(to: dir.appendingPathComponent("models/index.json"), atomically: true, encoding: .utf8)
    // The committed summary leaves out the per-layer tables (report.html and the text have them).
    let summaries = comparisons.map { c -> JSONValue in
      var reports = c.reports
      for i in reports.indices { reports[i].layers = [] }
      return SchemeComparison(model: c.model, reports: reports, failures: c.failures).json
    }
    let json = JSONValue.array(summaries).serialized() + "\n"
    try json.write(to: dir.appendingPathComponent("systole_accuracy.json"), atomically: true, encoding: .utf8)
    let text = comparisons.map { $0.renderText() }.joined(separator: "\n")
    try text.write(to: dir.appendingPathComponent("systole_accuracy.txt"), atomically: true, encoding: .utf8)
    let html = AccuracyHTMLReport.render(
      comparisons.filter { $0.model.hasPrefix("kws_dscnn") || $0.model.hasPrefix("mlp") })
    try html.write(to: dir.appendingPathComponent("report.html"), atomically: true, encoding: .utf8)
  }
}
