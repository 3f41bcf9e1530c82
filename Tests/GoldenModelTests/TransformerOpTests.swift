import Foundation
import GoldenModel
import GraphIR
import SystoleTestSupport
import TFLiteImport
import Testing

/// The operators the converter emits for a tiny ViT block and a tiny BERT-style encoder block
/// (GELU both ways, TANH, GATHER, LESS, SELECT, SELECT_V2) and further ones issue 14 lists (EXP,
/// REDUCE_MAX, EXPAND_DIMS, SLICE, SPLIT, BROADCAST_TO), one op per file, and the two blocks
/// themselves, against TFLite's reference-kernel outputs (`make_transformer_models.py`): integer
/// outputs byte for byte, float32 within 1e-5 relative.
@Suite struct TransformerOpTests {
  static let opSets: [ReferenceSet] = (try? Fixtures.referenceSets(key: "transformer_ops")) ?? []
  static let networkSets: [ReferenceSet] = (try? Fixtures.referenceSets(key: "transformers")) ?? []

  @Test func fixturesArePresent() throws {
    let ops = Set(try Fixtures.referenceSets(key: "transformer_ops").map(\.stem))
    for op in ["gelu_exact", "gelu_approximate", "tanh", "gather_axis1", "gather_axis2_2d", "gather_batch_dims",
      "less_select_v2", "less_select", "exp", "reduce_max_keepdims", "reduce_max_hw", "expand_dims_dynamic", "slice",
      "split", "broadcast_to", "sqrt", "div_broadcast"]
    {
      #expect(ops.contains(op + "_int8"), "missing reference set \(op)_int8")
      #expect(ops.contains(op + "_float"), "missing reference set \(op)_float")
    }
    // issue 14 part 2: float-only fixtures (quantized SUM is in SumOpTests, `make_sum_models.py`;
    // POW and CAST the converter keeps in float).
    for op in ["sum_keepdims", "sum_two_axes", "reduce_prod", "pow", "cast_roundtrip"] {
      #expect(ops.contains(op + "_float"), "missing reference set \(op)_float")
    }
    let networks = Set(try Fixtures.referenceSets(key: "transformers").map(\.stem))
    #expect(networks == ["vit_tiny_int8", "bert_tiny_int8"])
  }

  @Test(arguments: opSets + networkSets)
  func matchesTFLiteReference(_ set: ReferenceSet) throws {
    let model = try TFLiteImporter.load(contentsOf: set.model)
    let problems = try set.goldenMismatches(model)
    #expect(problems.isEmpty, "\(problems.prefix(3))")
  }

  /// The table-driven ops are checked exhaustively: each int8 invocation holds all 256 values.
  @Test(arguments: ["gelu_exact_int8", "gelu_approximate_int8", "tanh_int8", "exp_int8"])
  func tableOpsSeeEveryInt8Value(_ stem: String) throws {
    let set = try ReferenceSet(stem: stem)
    for n in 0..<set.invocations {
      guard case .int8(let values) = try set.inputs(invocation: n)[0].storage else {
        Issue.record("\(stem): input is not int8")
        return
      }
      #expect(Set(values).count == 256, "\(stem) invocation \(n)")
    }
  }

  /// The files carry the options the importer reads: GELU's `approximate`, GATHER's axis and
  /// batch dimensions.
  @Test func importerReadsOptions() throws {
    func kinds(_ stem: String) throws -> [OpKind] {
      try TFLiteImporter.load(contentsOf: try ReferenceSet(stem: stem).model).main.operators.map(\.kind)
    }
    #expect(try kinds("gelu_exact_int8").contains(.gelu(approximate: false)))
    #expect(try kinds("gelu_approximate_int8").contains(.gelu(approximate: true)))
    #expect(try kinds("gather_axis2_2d_int8").contains(.gather(axis: 2, batchDims: 0)))
    #expect(try kinds("gather_batch_dims_int8").contains(.gather(axis: 1, batchDims: 1)))
    #expect(try kinds("less_select_int8").contains(.select))
    #expect(try kinds("less_select_v2_int8").contains(.selectV2))
    #expect(try kinds("reduce_max_keepdims_int8").contains(.reduceMax(keepDims: true)))
    #expect(try kinds("reduce_max_hw_int8").contains(.reduceMax(keepDims: false)))
    #expect(try kinds("split_int8").contains(.split(count: 3)))
    #expect(try kinds("sum_keepdims_float").contains(.sum(keepDims: true)))
    #expect(try kinds("sum_two_axes_float").contains(.sum(keepDims: false)))
    #expect(try kinds("reduce_prod_float").contains(.reduceProd(keepDims: false)))
    #expect(try kinds("div_broadcast_float").contains(.div(activation: .none)))
    #expect(try kinds("cast_roundtrip_float").contains(.cast))
  }

  /// The writer round-trips every new op with its options.
  @Test(arguments: opSets.filter { $0.stem.hasSuffix("_int8") })
  func writerRoundTrips(_ set: ReferenceSet) throws {
    let model = try TFLiteImporter.load(contentsOf: set.model)
    let bytes = try TFLiteWriter.serialize(model)
    let again = try TFLiteImporter.parse(bytes, source: set.stem)
    #expect(again.main.operators.map(\.kind) == model.main.operators.map(\.kind))
  }
}
