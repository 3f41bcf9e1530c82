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

/// The tiny ViT and BERT-style blocks (`make_transformer_models.py`) compile for every preset
/// and run functionally bit-exact with TFLite's reference kernels. Their int8 GELU and TANH run
/// on the vector unit through `vlut`, their LayerNorm float islands (DEQUANTIZE → NEG → QUANTIZE) as
/// one `vlut` each, their attention TRANSPOSEs as DMA copies, their LayerNorm means (last axis)
/// through `vmean` and squared deviations through `vbinary`; GATHER, LESS and SELECT have no array
/// or vector-unit lowering yet: each becomes a host task that the golden model executes.
@Suite struct TransformerBlockTests {
  static let sets: [ReferenceSet] = (try? Fixtures.referenceSets(key: "transformers")) ?? []
  static let newOps: Set<String> = ["GELU", "TANH", "GATHER", "LESS", "SELECT", "SELECT_V2"]
  static let lookupOps: Set<String> = ["GELU", "TANH"]

  @Test(arguments: sets)
  func runsBitExactOnEveryPreset(_ set: ReferenceSet) throws {
    let model = try set.loadResolved()
    for arch in allPresets {
      let compiled = try LoweringPipeline(arch: arch).compile(model)
      let hostOps = Set(compiled.hostTasks.map(\.opName))
      let used = Set(model.main.operators.map(\.kind.tfliteName)).intersection(Self.newOps)
      #expect(!used.isEmpty, "\(set.stem) uses none of \(Self.newOps.sorted())")
      #expect(
        used.subtracting(Self.lookupOps).isSubset(of: hostOps),
        "\(set.stem): \(used.subtracting(Self.lookupOps).subtracting(hostOps).sorted()) not on the host")
      for op in compiled.report.operators
      where Self.lookupOps.union(["TRANSPOSE", "MEAN", "SQUARED_DIFFERENCE"]).contains(op.opName) {
        #expect(op.placement == .vectorUnit, "\(set.stem) on \(arch.name) #\(op.index) \(op.opName): \(op.reason)")
      }
      #expect(compiled.report.operators.contains { $0.opName == "GELU" && $0.placement == .vectorUnit })
      // issue 14: resize — LayerNorm's float islands (DEQUANTIZE → NEG → QUANTIZE) are one vlut each.
      let islands = compiled.report.operators.filter { $0.reason.hasPrefix("DEQUANTIZE → NEG → QUANTIZE folded into one vlut") }
      #expect(islands.count == 3 && islands.allSatisfy { $0.placement == .vectorUnit }, "\(set.stem) on \(arch.name)")
      for op in compiled.report.operators where op.opName == "NEG" {
        #expect(op.placement == .fused, "\(set.stem) on \(arch.name) #\(op.index): \(op.reason)")
      }
      // issue 14: vector binary/reduce — the LayerNorm ops are no longer host tasks.
      #expect(!hostOps.contains("MEAN") && !hostOps.contains("SQUARED_DIFFERENCE"), "\(set.stem): \(hostOps.sorted())")
      #expect(compiled.report.operators.filter { $0.opName == "MEAN" }.count >= 6)
      let mismatches = try mismatchesWithTFLite(set, model, compiled, label: "\(set.stem) on \(arch.name)")
      #expect(mismatches.isEmpty, "\(mismatches.prefix(3))")
    }
  }
}
