import Foundation
import GoldenModel
import GraphIR
import SystoleTestSupport
import TFLiteImport
import Testing

/// Every committed model against TFLite's reference-kernel outputs: integer outputs byte for
/// byte, float32 within 1e-5 relative.
@Suite struct ReferenceModelTests {
  static let sets: [ReferenceSet] = (try? Fixtures.referenceSets()) ?? []

  @Test func fixturesArePresent() throws {
    let sets = try Fixtures.referenceSets()
    #expect(sets.count >= 20, "expected the committed reference sets; found \(sets.count)")
    let stems = Set(sets.map(\.stem))
    for required in ["mobilenet_v2_int8", "resnet_small_int8", "kws_dscnn_int8", "mlp_int8", "convpool_int8", "attention_int8", "streaming_int8"] {
      #expect(stems.contains(required), "missing reference set \(required)")
    }
  }

  @Test(arguments: sets)
  func matchesTFLiteReference(_ set: ReferenceSet) throws {
    let model = try TFLiteImporter.load(contentsOf: set.model)
    let problems = try set.goldenMismatches(model)
    #expect(problems.isEmpty, "\(problems.prefix(3))")
  }

  @Test func referenceOutputsDifferAcrossInputs() throws {
    // The fixtures are only meaningful if different inputs give different outputs.
    for set in try Fixtures.referenceSets() where set.invocations > 1 {
      let a = try set.outputs(invocation: 0).map { $0.littleEndianBytes() }
      let b = try set.outputs(invocation: 1).map { $0.littleEndianBytes() }
      #expect(a != b, "\(set.stem): invocations 0 and 1 have identical outputs")
    }
  }
}
