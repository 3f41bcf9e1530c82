import Architecture
import Foundation
import GoldenModel
import GraphIR
import Lowering
import Pipeline
import Support
import SystoleTestSupport
import Testing
import TileISA

/// Data-movement operators on chip: TRANSPOSE, SLICE, STRIDED_SLICE, GATHER with constant
/// indices, BROADCAST_TO, PACK, SPLIT and SPLIT_V as strided DMA copies (`DataMovement`), EXPAND_DIMS as an
/// alias. Seeded shapes and every permutation compared with the golden model on every preset and
/// odd arch; the committed transformer-op fixtures compared with TFLite; host fallbacks.
@Suite struct ShapeOpTests {
  /// x (int8, `shape`) → `kind` with constant operands `constants` → y.
  static func model(
    _ kind: OpKind, _ shape: [Int], constants: [(shape: [Int], values: [Int32])], output: [Int],
    outputQuantization: (Float, Int64) = (0.05, 3)
  ) -> Model {
    var g = GraphBuilder(seed: 7)
    let x = g.activation("x", shape, scale: 0.05, zeroPoint: 3)
    let operands = constants.enumerated().map { g.int32("c\($0.offset)", $0.element.shape, $0.element.values) }
    let y = g.activation("y", output, scale: outputQuantization.0, zeroPoint: outputQuantization.1)
    g.op(kind, [x] + operands, [y])
    return g.model(kind.tfliteName, inputs: [x], outputs: [y])
  }

  static func permutations(_ n: Int) -> [[Int]] {
    guard n > 1 else { return [[0]] }
    return permutations(n - 1).flatMap { p in (0...p.count).map { i in var q = p; q.insert(n - 1, at: i); return q } }
  }

  /// Compiles on every preset and odd arch, compares with the golden model, and expects the
  /// operator on the vector unit (strided DMA copies).
  func check(_ model: Model, _ label: String) throws {
    for arch in allPresets + oddArchs {
      let (problems, compiled) = try compileAndCompare(model, on: arch, inputs: randomInputs(model, seed: 5), label: label)
      #expect(problems.isEmpty, "\(problems)")
      let op = compiled.report.operators[0]
      #expect(op.placement == .vectorUnit, "\(label) on \(arch.name): \(op.reason)")
      #expect(op.reason.contains("strided DMA cop"), "\(label): \(op.reason)")
    }
  }

  @Test("TRANSPOSE: every permutation of ranks 2 to 4, bit-exact on every preset and odd arch")
  func transposeEveryPermutation() throws {
    var checked = 0
    for shape in [[5, 7], [2, 3, 4], [1, 3, 4, 5]] {
      for perm in Self.permutations(shape.count) {
        let output = perm.map { shape[$0] }
        let model = Self.model(
          .transpose, shape, constants: [([perm.count], perm.map { Int32($0) })], output: output)
        try check(model, "TRANSPOSE \(shape) by \(perm)")
        checked += 1
      }
    }
    #expect(checked == 2 + 6 + 24)
  }

  @Test("SLICE, STRIDED_SLICE (negative strides, masks), GATHER, BROADCAST_TO and PACK")
  func otherMovements() throws {
    // SLICE begin [0, 1, 1] size [2, -1, 2] of 2×4×5.
    try check(
      Self.model(.slice, [2, 4, 5], constants: [([3], [0, 1, 1]), ([3], [2, -1, 2])], output: [2, 3, 2]),
      "SLICE")
    // STRIDED_SLICE x[:, ::-2, 1:4:2] of 3×6×5 (begin mask on axis 0).
    let reverse = StridedSliceOptions(beginMask: 1, endMask: 1)
    try check(
      Self.model(
        .stridedSlice(reverse), [3, 6, 5], constants: [([3], [0, 5, 1]), ([3], [0, -7, 4]), ([3], [1, -2, 2])],
        output: [3, 3, 2]), "STRIDED_SLICE reversed")
    // Shrink axis 1: x[:, 2, :] of 2×4×6.
    try check(
      Self.model(
        .stridedSlice(StridedSliceOptions(beginMask: 5, endMask: 5, shrinkAxisMask: 2)), [2, 4, 6],
        constants: [([3], [0, 2, 0]), ([3], [0, 3, 0]), ([3], [1, 1, 1])], output: [2, 6]), "STRIDED_SLICE shrink")
    // GATHER axis 1 with repeated and descending constant indices.
    try check(
      Self.model(.gather(axis: 1, batchDims: 0), [2, 5, 3], constants: [([4], [4, 0, 0, 2])], output: [2, 4, 3]),
      "GATHER")
    // BROADCAST_TO 1×3 → 4×3.
    try check(Self.model(.broadcastTo, [1, 3], constants: [([2], [4, 3])], output: [4, 3]), "BROADCAST_TO")
    // PACK of three inputs along axis 1.
    var g = GraphBuilder(seed: 9)
    let inputs = (0..<3).map { g.activation("x\($0)", [2, 4], scale: 0.05, zeroPoint: 3) }
    let y = g.activation("y", [2, 3, 4], scale: 0.05, zeroPoint: 3)
    g.op(.pack(count: 3, axis: 1), inputs, [y])
    try check(g.model("pack", inputs: inputs, outputs: [y]), "PACK")
  }

  @Test("SPLIT and SPLIT_V write every output by strided copies, bit-exact on every preset and odd arch")
  func splits() throws {
    // SPLIT 3 ways along axis 1 of 2×6×4 (axis first, then the data).
    var g = GraphBuilder(seed: 11)
    let axis = g.int32("axis", [], [1])
    let x = g.activation("x", [2, 6, 4], scale: 0.05, zeroPoint: 3)
    let parts = (0..<3).map { g.activation("y\($0)", [2, 2, 4], scale: 0.05, zeroPoint: 3) }
    g.op(.split(count: 3), [axis, x], parts)
    try check(g.model("split", inputs: [x], outputs: parts), "SPLIT")
    // SPLIT_V sizes [1, -1, 2] along the last axis of 3×7 (data, sizes, axis).
    var h = GraphBuilder(seed: 12)
    let v = h.activation("x", [3, 7], scale: 0.05, zeroPoint: 3)
    let sizes = h.int32("sizes", [3], [1, -1, 2])
    let last = h.int32("axis", [], [-1])
    let pieces = [1, 4, 2].enumerated().map { h.activation("y\($0.offset)", [3, $0.element], scale: 0.05, zeroPoint: 3) }
    h.op(.splitV(count: 3), [v, sizes, last], pieces)
    try check(h.model("split_v", inputs: [v], outputs: pieces), "SPLIT_V")
  }

  @Test("the committed transformer-op fixtures run on chip bit-exact with TFLite on every preset")
  func committedFixtures() throws {
    let onChip = [
      "slice_int8", "broadcast_to_int8", "gather_axis1_int8", "gather_axis2_2d_int8", "gather_batch_dims_int8",
      "expand_dims_dynamic_int8", "split_int8",
    ]
    let sets = try Fixtures.referenceSets(key: "transformer_ops").filter { onChip.contains($0.stem) }
    #expect(sets.count == onChip.count, "\(sets.map(\.stem))")
    for set in sets {
      let model = try set.loadResolved()
      for arch in allPresets {
        let compiled = try LoweringPipeline(arch: arch).compile(model)
        let moved = compiled.report.operators.filter {
          ["SLICE", "BROADCAST_TO", "GATHER", "EXPAND_DIMS", "SPLIT"].contains($0.opName)
        }
        #expect(!moved.isEmpty && moved.allSatisfy { $0.placement == .vectorUnit || $0.placement == .alias },
          "\(set.stem) on \(arch.name): \(moved.map(\.reason))")
        let mismatches = try mismatchesWithTFLite(set, model, compiled, label: "\(set.stem) on \(arch.name)")
        #expect(mismatches.isEmpty, "\(mismatches.prefix(3))")
      }
    }
  }

  /// The vision ops that only move stored values (UNPACK, TILE, SPACE_TO_DEPTH, DEPTH_TO_SPACE,
  /// RESIZE_NEAREST_NEIGHBOR in every coordinate mode) run as strided DMA copies, and LEAKY_RELU
  /// through `vlut`, bit-exact with TFLite's reference kernels on every preset.
  @Test("the committed vision-op fixtures that move or tabulate values run on chip bit-exact with TFLite")
  func committedVisionFixtures() throws {
    let onChip: [String: String] = [
      "unpack_axis1_int8": "UNPACK", "tile_int8": "TILE", "space_to_depth_int8": "SPACE_TO_DEPTH",
      "depth_to_space_int8": "DEPTH_TO_SPACE", "resize_nearest_align_corners_int8": "RESIZE_NEAREST_NEIGHBOR",
      "resize_nearest_half_pixel_int8": "RESIZE_NEAREST_NEIGHBOR", "resize_nearest_legacy_int8": "RESIZE_NEAREST_NEIGHBOR",
      "resize_nearest_down_int8": "RESIZE_NEAREST_NEIGHBOR", "leaky_relu_int8": "LEAKY_RELU",
    ]
    let sets = try Fixtures.referenceSets(key: "vision_ops").filter { onChip[$0.stem] != nil }
    #expect(sets.count == onChip.count, "\(sets.map(\.stem))")
    for set in sets {
      let model = try set.loadResolved()
      let opName = onChip[set.stem] ?? ""
      for arch in allPresets {
        let compiled = try LoweringPipeline(arch: arch).compile(model)
        let ops = compiled.report.operators.filter { $0.opName == opName }
        #expect(!ops.isEmpty && ops.allSatisfy { $0.placement == .vectorUnit },
          "\(set.stem) on \(arch.name): \(ops.map(\.reason))")
        let mismatches = try mismatchesWithTFLite(set, model, compiled, label: "\(set.stem) on \(arch.name)")
        #expect(mismatches.isEmpty, "\(mismatches.prefix(3))")
      }
    }
  }

  @Test("data movement stays on the host when it would rescale or its operands are not constant")
  func hostFallbacks() throws {
    let rescaled = Self.model(
      .transpose, [2, 3], constants: [([2], [1, 0])], output: [3, 2], outputQuantization: (0.1, 3))
    let r = try LoweringPipeline(arch: .edgeTPU).compile(rescaled).report.operators[0]
    #expect(r.placement == .host)
    #expect(
      r.reason
        == "TRANSPOSE: input 0 is quantized differently from the output (a copy cannot rescale); runs on the host")
    // A permutation computed at run time (a model input): int32 activations stay on the host.
    var g = GraphBuilder(seed: 1)
    let x = g.activation("x", [2, 3], scale: 0.05, zeroPoint: 3)
    g.tensors.append(Tensor(name: "perm", shape: [2], elementType: .int32))
    let perm = TensorID(g.tensors.count - 1)
    let y = g.activation("y", [3, 2], scale: 0.05, zeroPoint: 3)
    g.op(.transpose, [x, perm], [y])
    let dynamic = try LoweringPipeline(arch: .edgeTPU).compile(g.model("t", inputs: [x, perm], outputs: [y]))
    #expect(dynamic.report.operators[0].placement == .host, "\(dynamic.report.operators[0].reason)")
  }
}
