import Architecture
import GoldenModel
import GraphIR
import Lowering
import Support
import SystoleTestSupport
import Testing

/// Shape resolution (`ShapeResolver`): dynamic batches, `--input-shape`, re-batching static
/// graphs, folded shape arithmetic, and that the compiled program of a resolved graph equals the
/// golden model on it.
@Suite struct ShapeResolutionTests {
  /// The converter's default form of a 2-layer MLP with a Flatten-style reshape: every
  /// activation has signature [-1, …]; the reshape target comes from SHAPE → STRIDED_SLICE →
  /// PACK. The stored shapes are the batch-1 placeholders.
  static func dynamicMLP() -> Model {
    var b = GraphBuilder(seed: 11)
    let x = b.activation("x", [1, 16], scale: 0.04, zeroPoint: -3)
    b.tensors[x.index].declaredSignature = [-1, 16]
    let w1 = b.weights("w1", [32, 16], scales: b.scales(32, base: 0.01))
    let b1 = b.bias("b1", 32)
    let h = b.activation("h", [1, 32], scale: GraphBuilder.outputScale(inputScale: 0.04, weightScale: 0.01, depth: 16), zeroPoint: 2)
    b.op(.fullyConnected(FullyConnectedOptions(activation: .relu)), [x, w1, b1], [h])
    let s = b.activation("shape", [2])
    b.tensors[s.index] = Tensor(name: "shape", shape: [2], elementType: .int32)
    b.op(.shape(outputType: .int32), [h], [s])
    let begin = b.int32("begin", [1], [0])
    let end = b.int32("end", [1], [1])
    let stride = b.int32("stride", [1], [1])
    let batch = b.activation("batch", [])
    b.tensors[batch.index] = Tensor(name: "batch", shape: [], elementType: .int32)
    b.op(.stridedSlice(StridedSliceOptions(shrinkAxisMask: 1)), [s, begin, end, stride], [batch])
    let units = b.int32("units", [], [32])
    let target = b.activation("target", [2])
    b.tensors[target.index] = Tensor(name: "target", shape: [2], elementType: .int32)
    b.op(.pack(count: 2, axis: 0), [batch, units], [target])
    let r = b.activation("r", [1, 32], scale: b.tensors[h.index].quantization!.scale, zeroPoint: 2)
    b.op(.reshape(newShape: nil), [h, target], [r])
    let w2 = b.weights("w2", [10, 32], scales: b.scales(10, base: 0.01))
    let b2 = b.bias("b2", 10)
    let y = b.activation("y", [1, 10], scale: 0.05, zeroPoint: -1)
    b.op(.fullyConnected(FullyConnectedOptions()), [r, w2, b2], [y])
    for (id, signature) in [(h, [-1, 32]), (r, [-1, 32]), (y, [-1, 10])] {
      b.tensors[id.index].shapeSignature = signature
      b.tensors[id.index].declaredSignature = signature
    }
    return b.model("dynamic_mlp", inputs: [x], outputs: [y])
  }

  @Test func dynamicBatchResolvesEverywhereAndShapeArithmeticFolds() throws {
    let model = Self.dynamicMLP()
    let resolved = try ShapeResolver.resolve(model, ShapeRequest(batch: 3))
    let g = resolved.main
    #expect(!g.tensors.contains { $0.isDynamic })
    #expect(g[g.inputs[0]].shape == [3, 16])
    #expect(g[g.outputs[0]].shape == [3, 10])
    #expect(g[g.inputs[0]].declaredSignature == [-1, 16])
    // SHAPE → STRIDED_SLICE → PACK stay operators (no constant is ever an operator's output);
    // the compiler folds them.
    #expect(g.tensors.first { $0.name == "target" }?.data == nil)
    #expect(g.tensors.first { $0.name == "r" }?.shape == [3, 32])
    let compiled = try LoweringPipeline(arch: .tpuV1).compile(resolved)
    #expect(compiled.report.operators.map(\.placement) == [.systolicArray, .folded, .folded, .folded, .alias, .systolicArray])
    // The default (no request) resolves the batch to 1.
    let one = try ShapeResolver.resolve(model)
    #expect(one.main[one.main.outputs[0]].shape == [1, 10])
  }

  @Test func batchOfNEqualsNBatchOneRunsOnEveryPreset() throws {
    let model = Self.dynamicMLP()
    let four = try ShapeResolver.resolve(model, ShapeRequest(batch: 4))
    let one = try ShapeResolver.resolve(model)
    var rng = SeededGenerator(seed: 5)
    let samples = (0..<4).map { _ in randomTensor(.int8, [1, 16], &rng) }
    var single = Interpreter(model: one)
    var expected: [UInt8] = []
    for s in samples { expected += try single.invoke([s])[0].littleEndianBytes() }
    let joined = TensorData(
      littleEndianBytes: samples.flatMap { $0.littleEndianBytes() }, type: .int8, shape: [4, 16])!
    var batched = Interpreter(model: four)
    #expect(try batched.invoke([joined])[0].littleEndianBytes() == expected)
    for arch in allPresets {
      let (problems, _) = try compileAndCompare(four, on: arch, inputs: [[joined]], label: "batch 4")
      #expect(problems.isEmpty, "\(problems)")
    }
  }

  @Test func otherRunTimeDimensionsNeedAnInputShape() throws {
    var b = GraphBuilder(seed: 1)
    let x = b.activation("audio", [1, 1, 3])
    b.tensors[x.index].declaredSignature = [-1, -1, 3]
    let y = b.activation("y", [1, 1, 3])
    b.tensors[y.index].shapeSignature = [-1, -1, 3]
    b.op(.relu, [x], [y])
    let model = b.model("m", inputs: [x], outputs: [y])
    #expect(throws: GoldenModelError(
      .badInput, "input 0 'audio'",
      "dimension 1 of shape signature [-1, -1, 3] is only known at run time; give the shape with --input-shape 0=1,N,3")
    ) { try ShapeResolver.resolve(model) }
    let given = try ShapeResolver.resolve(model, ShapeRequest(inputShapes: [.init(key: "audio", shape: [2, 49, 3])]))
    #expect(given.main[given.main.outputs[0]].shape == [2, 49, 3])
    let byIndex = try ShapeResolver.resolve(model, ShapeRequest(batch: 5, inputShapes: [.init(key: "0", shape: [5, 7, 3])]))
    #expect(byIndex.main[byIndex.main.outputs[0]].shape == [5, 7, 3])
    #expect(throws: GoldenModelError(
      .badInput, "input 0 'audio'",
      "--input-shape [1, 7, 4] contradicts the file: dimension 2 is 3 (signature [-1, -1, 3])")
    ) { try ShapeResolver.resolve(model, ShapeRequest(inputShapes: [.init(key: "0", shape: [1, 7, 4])])) }
    #expect(throws: GoldenModelError(
      .badInput, "--input-shape speech", "the model has no such input; its inputs are 0 'audio'")
    ) { try ShapeResolver.resolve(model, ShapeRequest(inputShapes: [.init(key: "speech", shape: [1, 7, 3])])) }
  }

  @Test func staticModelsRebatchThroughReshapeTargets() throws {
    // conv → reshape to [1, 4·4·8] (a Flatten stored with the batch of 1) → FC.
    var b = GraphBuilder(seed: 9)
    let conv = TestModels.conv(h: 4, w: 4, c: 3, n: 8, batch: 1).main
    b.tensors = conv.tensors
    b.operators = conv.operators
    let y = conv.outputs[0]
    let target = b.int32("flatten/shape", [2], [1, 128])
    let flat = b.activation("flat", [1, 128], scale: b.tensors[y.index].quantization!.scale, zeroPoint: 5)
    b.op(.reshape(newShape: [1, 128]), [y, target], [flat])
    let w = b.weights("fc/w", [6, 128], scales: b.scales(6, base: 0.01))
    let bias = b.bias("fc/b", 6)
    let out = b.activation("logits", [1, 6], scale: 0.2, zeroPoint: 0)
    b.op(.fullyConnected(FullyConnectedOptions()), [flat, w, bias], [out])
    let model = b.model("cnn", inputs: conv.inputs, outputs: [out])
    #expect(try ShapeResolver.resolve(model).main.tensors.map(\.shape) == model.main.tensors.map(\.shape))
    let two = try ShapeResolver.resolve(model, ShapeRequest(batch: 2))
    #expect(two.main[out].shape == [2, 6])
    #expect(two.main[flat].shape == [2, 128])
    var rng = SeededGenerator(seed: 3)
    let input = randomTensor(.int8, [2, 4, 4, 3], &rng)
    for arch in [ArchSpec.tpuV1, .toy4x4] {
      let (problems, _) = try compileAndCompare(two, on: arch, inputs: [[input]], label: "rebatched")
      #expect(problems.isEmpty, "\(problems)")
    }

    // A reshape whose target ignores the batch cannot be re-batched: the error names the op.
    var bad = model
    bad.graphs[0].tensors[target.index].data = TensorData(shape: [2], storage: .int32([2, 64]))
    bad.graphs[0].tensors[flat.index].shape = [2, 64]
    bad.graphs[0].operators[1].kind = .reshape(newShape: [2, 64])
    #expect(throws: GoldenModelError(
      .badInput, "op #1 RESHAPE 'flat'",
      "RESHAPE target [2, 64] needs 128 elements; the input [3, 4, 4, 8] has 384; the graph cannot be re-batched here (its target does not follow the batch)")
    ) { try ShapeResolver.resolve(bad, ShapeRequest(batch: 3)) }
  }

  @Test func absurdBatchesAreRefusedBeforeAllocating() throws {
    let model = Self.dynamicMLP()
    #expect(throws: GoldenModelError(
      .badInput, "input 0 'x'",
      "resolved shape [200000000, 16] has more than 2^31 - 1 elements (TFLite's bound); use a smaller batch")
    ) { try ShapeResolver.resolve(model, ShapeRequest(batch: 200_000_000)) }
    #expect(throws: GoldenModelError(
      .badInput, "input 0 'x'",
      "resolved shape [100000, 16] needs 1.5 MiB for one tensor, over the 1.0 MiB budget; use a smaller batch")
    ) { try ShapeResolver.resolve(model, ShapeRequest(batch: 100_000), maxTensorBytes: 1 << 20) }
    #expect(throws: GoldenModelError(.badInput, "batch", "0 is not a batch size; it must be at least 1")) {
      try ShapeResolver.resolve(model, ShapeRequest(batch: 0))
    }
  }
}
