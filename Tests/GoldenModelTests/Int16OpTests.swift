import Foundation
import GraphIR
import Support
import SystoleTestSupport
import TFLiteImport
import Testing

@testable import GoldenModel

/// Issue 14's operators in 16×8 (int16 activations, int8 weights) as TFLite 2.21's converter
/// writes them with `EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8`, one op per file
/// (`make_int16_models.py`, index key `int16_ops`), against TFLite's BUILTIN_REF outputs byte for
/// byte; plus the uint8-I/O MLP (uint8 only at the edges, as the TF2 converter writes it) and the
/// same ops in uint8 as the TF1-compatible converter writes them (`int16/uint8/`).
/// Inputs are seeded uniform int16 values over the whole range with −32768, −32767, −1, 0, 1 and
/// 32767 in the first of 8 invocations; TANH, EXP and exact GELU also see every int16 value.
@Suite struct Int16OpTests {
  static let opSets: [ReferenceSet] = (try? Fixtures.referenceSets(key: "int16_ops")) ?? []

  /// The ops whose 16×8 files convert and run on BUILTIN_REF (make_int16_models.py's summary);
  /// the others have no 16×8 kernel or quantization (docs/quantization.md).
  static let expectedOps = [
    "resize_bilinear_half_pixel", "resize_bilinear_align_corners", "resize_bilinear_legacy", "resize_bilinear_down",
    "resize_bilinear_down_align_corners", "resize_nearest_half_pixel", "resize_nearest_align_corners",
    "resize_nearest_legacy", "resize_nearest_down", "transpose_conv_same_bias", "transpose_conv_same_nobias",
    "transpose_conv_valid_bias", "transpose_conv_valid_nobias", "transpose_conv_same_relu", "transpose_conv_k4_same",
    "transpose_conv_output_padding", "transpose_conv_odd_same", "unpack_axis1", "maximum_broadcast",
    "minimum_broadcast", "maximum_const", "minimum_const", "leaky_relu", "gelu_exact", "gelu_approximate", "tanh",
    "gather_axis1", "gather_axis2_2d", "gather_batch_dims", "exp", "reduce_max_keepdims", "reduce_max_hw",
    "expand_dims_dynamic", "slice", "split", "broadcast_to", "reduce_prod", "tanh_all", "exp_all", "gelu_exact_all",
  ]

  @Test func fixturesArePresent() throws {
    let stems = Set(try Fixtures.referenceSets(key: "int16_ops").map(\.stem))
    for op in Self.expectedOps {
      #expect(stems.contains(op + "_int16x8"), "missing reference set \(op)_int16x8")
    }
    #expect(stems.contains("mlp_uint8io"))
    for op in Self.expectedUInt8Ops {
      #expect(stems.contains(op + "_uint8"), "missing reference set \(op)_uint8")
    }
  }

  /// The ops whose uint8 files (TF1-compatible converter, `inference_type=tf.uint8`) run on
  /// BUILTIN_REF; uint8 EXP has no reference kernel ("Type 3 is currently not supported by Exp").
  static let expectedUInt8Ops = [
    "resize_bilinear_half_pixel", "resize_bilinear_align_corners", "resize_bilinear_legacy",
    "resize_nearest_half_pixel", "resize_nearest_align_corners", "space_to_depth", "depth_to_space", "tile",
    "unpack_axis1", "maximum_broadcast", "minimum_broadcast", "leaky_relu", "arg_max", "l2_normalization", "tanh",
    "gelu", "gather_axis1", "reduce_max", "slice", "split", "transpose_conv",
  ]

  @Test(arguments: opSets)
  func matchesTFLiteReference(_ set: ReferenceSet) throws {
    let model = try set.loadResolved()
    let problems = try set.goldenMismatches(model, relativeTolerance: 0)
    #expect(problems.isEmpty, "\(problems.prefix(3))")
  }

  /// The single-op files really are 16×8: every operator of issue 14 reads and writes int16
  /// (TRANSPOSE_CONV: int8 filter, int64 bias), and the first invocation holds the edge values.
  @Test func filesAreSixteenByEight() throws {
    for set in Self.opSets where set.stem.hasSuffix("_int16x8") {
      let graph = try TFLiteImporter.load(contentsOf: set.model).main
      let op = try #require(graph.operators.last(where: { $0.kind.tfliteName != "QUANTIZE" }), "\(set.stem)")
      let position = ["TRANSPOSE_CONV": 2, "SPLIT": 1][op.kind.tfliteName] ?? 0
      let input = try #require(op.input(position))
      #expect(graph[input].elementType == .int16, "\(set.stem): \(op.kind.tfliteName) input")
      #expect(graph[op.outputs[0]].elementType == .int16, "\(set.stem): \(op.kind.tfliteName) output")
      if op.kind.tfliteName == "TRANSPOSE_CONV" {
        #expect(graph[try #require(op.input(1))].elementType == .int8, "\(set.stem): filter")
        if let bias = op.input(3) { #expect(graph[bias].elementType == .int64, "\(set.stem): bias") }
      }
      let first = try set.inputs(invocation: 0)[0]
      if case .int16(let v) = first.storage, v.count >= 6, !set.stem.contains("_all_") {
        #expect(Array(v.prefix(2)) == [-32768, -32767], "\(set.stem): edge values")
      }
    }
  }

  /// The `_all` files' single invocation holds every int16 value once: TANH, EXP and GELU are
  /// checked over the whole input space by `matchesTFLiteReference`.
  @Test(arguments: ["tanh_all_int16x8", "exp_all_int16x8", "gelu_exact_all_int16x8"])
  func exhaustiveFilesHoldEveryInt16Value(_ stem: String) throws {
    let set = try ReferenceSet(stem: stem)
    #expect(set.invocations == 1)
    guard case .int16(let v) = try set.inputs(invocation: 0)[0].storage else {
      Issue.record("\(stem): input is not int16")
      return
    }
    #expect(v.count == 65_536 && Set(v).count == 65_536, "\(stem)")
  }

  /// TANH int16 with seeded scales on both of TanhPrepare's paths (a power-of-two scale with
  /// shift 0 or 1, and a general scale) stays within one step of `tanh` in double; the exact
  /// arithmetic is pinned by the reference file above. Every int16 value is evaluated.
  @Test(arguments: [Float(1.0 / 4096), Float(1.0 / 8192), Float(3.1e-4), Float(1.7e-3)])
  func tanhInt16IsCloseToTanh(_ scale: Float) throws {
    let values = (Int32(Int16.min)...Int32(Int16.max)).map { Int16($0) }
    let out = try Self.runUnary(.tanh, values, inScale: scale, outScale: 1.0 / 32768)
    var worst = 0.0
    for (q, r) in zip(values, out) {
      let want = Foundation.tanh(Double(q) * Double(scale)) * 32768
      worst = max(worst, abs(Double(r) - min(want, 32767)))
    }
    #expect(worst <= 3, "scale \(scale): worst error \(worst) steps")
  }

  /// Files TFLite's Prepare would refuse are refused with an error naming the operator, not a
  /// trap: int16 TANH needs zero points 0 and the output scale 2⁻¹⁵, int16 EXP zero points 0.
  @Test func int16PreconditionsAreErrors() throws {
    func run(_ kind: OpKind, inZeroPoint: Int64, outScale: Float) -> String? {
      var g = ElementwiseOpGraph()
      let x = g.tensor("x", [4], .int16, scale: 1.0 / 4096, zeroPoint: inZeroPoint)
      let y = g.tensor("y", [4], .int16, scale: outScale)
      do {
        _ = try g.run1(kind, [x], y, feeds: [.int16([-32768, -1, 0, 32767])])
        return nil
      } catch {
        return error.description
      }
    }
    let badScale = run(.tanh, inZeroPoint: 0, outScale: 1.0 / 256)
    #expect(badScale?.contains("TANH") == true && badScale?.contains("2^-15") == true, "\(badScale ?? "no error")")
    let badZeroPoint = run(.tanh, inZeroPoint: 3, outScale: 1.0 / 32768)
    #expect(badZeroPoint?.contains("zero points 0") == true, "\(badZeroPoint ?? "no error")")
    let exp = run(.exp, inZeroPoint: 5, outScale: 1.0 / 1024)
    #expect(exp?.contains("EXP") == true, "\(exp ?? "no error")")
    #expect(run(.tanh, inZeroPoint: 0, outScale: 1.0 / 32768) == nil)
  }

  /// The TFLite sigmoid table is monotone, starts at 0.5 and ends at 1 in 0.16 fixed point.
  @Test func sigmoidTableShape() {
    let t = Kernels.sigmoidTable16
    #expect(t.count == 256)
    #expect(t.first == 32768 && t.last == 65535)
    #expect(zip(t, t.dropFirst()).allSatisfy { $0 <= $1 })
  }

  /// A one-op graph `kind` on an int16 tensor with the given scales (zero points 0).
  static func runUnary(_ kind: OpKind, _ values: [Int16], inScale: Float, outScale: Float) throws -> [Int16] {
    var g = ElementwiseOpGraph()
    let x = g.tensor("x", [values.count], .int16, scale: inScale)
    let y = g.tensor("y", [values.count], .int16, scale: outScale)
    let out = try g.run1(kind, [x], y, feeds: [.int16(values)])
    guard case .int16(let r) = out.storage else { throw GoldenModelError(.invalidModel, "test", "not int16") }
    return r
  }
}

/// The U-Net and DeepLab head of make_vision_models.py converted in 16×8 (float32 I/O, int16
/// activations inside; index key `int16`) against TFLite's BUILTIN_REF outputs (float32 within
/// 1e-5 relative: the outputs are DEQUANTIZEd int16 values, so equal in practice). The ViT and
/// BERT blocks do not convert in 16×8 (NEG, int32 token input), see docs/quantization.md.
@Suite struct Int16NetworkTests {
  static let networkSets: [ReferenceSet] = (try? Fixtures.referenceSets(key: "int16")) ?? []

  @Test func fixturesArePresent() throws {
    let stems = Set(try Fixtures.referenceSets(key: "int16").map(\.stem))
    #expect(stems == ["unet_mobilenet_v2_int16x8", "deeplab_head_int16x8"])
  }

  @Test(arguments: networkSets)
  func matchesTFLiteReference(_ set: ReferenceSet) throws {
    let model = try set.loadResolved()
    let activations = model.main.tensors.filter { $0.data == nil && $0.elementType == .int16 }
    #expect(activations.count > 10, "\(set.stem): int16 activations inside")
    let problems = try set.goldenMismatches(model, relativeTolerance: 0)
    #expect(problems.isEmpty, "\(problems.prefix(3))")
  }
}
