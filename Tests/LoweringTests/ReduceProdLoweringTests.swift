import Architecture
import Lowering
import SystoleTestSupport
import Testing

/// int8 REDUCE_PROD (`QuantizedReduceProd<int8_t>`, a chain of 64-bit products each requantized;
/// docs/quantization.md): the converter-default single-op file runs as a host task through the
/// golden model on every preset, bit-exact with TFLite's BUILTIN_REF outputs, and the mapping
/// report says why it is on the host.
@Suite struct ReduceProdLoweringTests {
  @Test func int8ReduceProdIsBitExactOnEveryPreset() throws {
    let sets = try Fixtures.referenceSets(key: "transformer_ops").filter { $0.stem == "reduce_prod_int8" }
    #expect(sets.count == 1)
    for set in sets {
      let model = try set.loadResolved()
      for arch in allPresets {
        let compiled = try LoweringPipeline(arch: arch).compile(model)
        let ops = compiled.report.operators.filter { $0.opName == "REDUCE_PROD" }
        #expect(ops.count == 1 && ops.allSatisfy { $0.placement == .host && $0.reason.contains("runs on the host") }, "\(ops.map(\.reason))")
        let mismatches = try mismatchesWithTFLite(set, model, compiled, label: "\(set.stem) on \(arch.name)", relativeTolerance: 0)
        #expect(mismatches.isEmpty, "\(mismatches.prefix(3))")
      }
    }
  }
}
