import Architecture
import Foundation
import GoldenModel
import GraphIR
import Lowering
import Pipeline
import SystoleTestSupport
import TFLiteImport
import Testing
import TileISA

/// The SSD-style detectors of `make_detection_models.py` (a small int8 conv network whose heads
/// feed the `TFLite_Detection_PostProcess` custom op: fast NMS, fast NMS with two classes per
/// detection, regular NMS) import, evaluate in the golden model as TFLite's BUILTIN_REF
/// interpreter does (boxes and scores within 1e-5 relative, classes and counts exactly), and
/// compile for every preset with the post-processing as a host task, running functionally
/// equal to TFLite's outputs.
@Suite struct DetectionNetworkTests {
  static let sets: [ReferenceSet] = (try? Fixtures.referenceSets(key: "detection")) ?? []

  @Test func fixturesArePresent() throws {
    let stems = Set(try Fixtures.referenceSets(key: "detection").map(\.stem))
    #expect(stems == ["ssd_tiny_int8", "ssd_tiny_multiclass_int8", "ssd_tiny_regular_int8"])
  }

  static func detectionOptions(_ model: Model) -> DetectionPostProcessOptions? {
    for op in model.main.operators { if case .detectionPostProcess(let o) = op.kind { return o } }
    return nil
  }

  /// The golden model's four outputs equal TFLite's; TFLite's own outputs are non-trivial
  /// (several detections per image, fewer than the candidates, so NMS suppressed some).
  @Test(arguments: sets)
  func goldenModelMatchesTFLite(_ set: ReferenceSet) throws {
    let model = try TFLiteImporter.load(contentsOf: set.model)
    let options = try #require(Self.detectionOptions(model))
    var interpreter = Interpreter(model: model)
    for n in 0..<set.invocations {
      let outputs = try interpreter.invoke(try set.inputs(invocation: n))
      let expected = try set.outputs(invocation: n)
      #expect(outputs.count == 4 && expected.count == 4)
      for (o, (got, want)) in zip(outputs, expected).enumerated() {
        let bad = mismatchCount(got, want)
        #expect(bad == 0, "\(set.stem) invocation \(n) output \(o): \(bad) of \(want.count) elements differ")
      }
      guard case .float32(let count) = expected[3].storage, case .float32(let classes) = expected[1].storage else {
        Issue.record("\(set.stem): float outputs expected")
        continue
      }
      #expect(count[0] >= 3, "\(set.stem) #\(n): \(count[0]) detections")
      #expect(classes.allSatisfy { $0 >= 0 && $0 < Float(options.numClasses) })
    }
  }

  /// The writer writes the custom op back (custom code, FlexBuffer options) and the re-read
  /// model has the same options and outputs.
  @Test(arguments: sets)
  func writerRoundTrips(_ set: ReferenceSet) throws {
    let model = try TFLiteImporter.load(contentsOf: set.model)
    let again = try TFLiteImporter.parse(try TFLiteWriter.serialize(model), source: set.stem)
    #expect(Self.detectionOptions(again) == Self.detectionOptions(model))
    var a = Interpreter(model: model)
    var b = Interpreter(model: again)
    let inputs = try set.inputs(invocation: 0)
    #expect(try a.invoke(inputs) == (try b.invoke(inputs)))
  }

  /// Every preset compiles the detector with the post-processing on the host and runs it
  /// functionally to TFLite's outputs. The fast-NMS detector runs on every preset, the other two
  /// on the Edge TPU preset (the array part is the same network).
  @Test(arguments: ["tpu-v1", "edge-tpu", "gemmini", "vta", "toy-4x4"])
  func compilesAndRunsOnEveryPreset(_ preset: String) throws {
    let sets = preset == "edge-tpu" ? Self.sets : Self.sets.filter { $0.stem == "ssd_tiny_int8" }
    #expect(!sets.isEmpty)
    for set in sets {
      let model = try set.loadResolved()
      let compiled = try LoweringPipeline(arch: try ArchSpec.preset(named: preset)).compile(model)
      let post = compiled.hostTasks.filter { $0.opName == "TFLite_Detection_PostProcess" }
      #expect(post.count == 1, "\(set.stem) on \(preset): \(compiled.hostTasks.map(\.opName))")
      #expect(post.first?.reason.contains("as TFLite runs it on the CPU") == true, "\(post.first?.reason ?? "")")
      let mismatches = try mismatchesWithTFLite(set, model, compiled, label: "\(set.stem) on \(preset)")
      #expect(mismatches.isEmpty, "\(mismatches.prefix(3))")
    }
  }
}
