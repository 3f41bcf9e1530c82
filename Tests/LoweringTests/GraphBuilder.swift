import GraphIR
import Support

/// Builds small quantized graphs for tests, with seeded random weights.
struct GraphBuilder {
  var tensors: [Tensor] = []
  var operators: [Operator] = []
  var rng: SeededGenerator

  init(seed: UInt64) { rng = SeededGenerator(seed: seed) }

  /// An int8 activation tensor.
  mutating func activation(_ name: String, _ shape: [Int], scale: Float = 0.05, zeroPoint: Int64 = 0) -> TensorID {
    tensors.append(
      Tensor(
        name: name, shape: shape, elementType: .int8,
        quantization: QuantizationParameters(scale: scale, zeroPoint: zeroPoint)))
    return TensorID(tensors.count - 1)
  }

  /// Constant int8 weights in −127...127, per-channel along `axis` when `scales` has several.
  mutating func weights(_ name: String, _ shape: [Int], scales: [Float], axis: Int = 0) -> TensorID {
    let n = shape.reduce(1, *)
    let values = (0..<n).map { _ in Int8(Int(rng.next() % 255) - 127) }
    tensors.append(
      Tensor(
        name: name, shape: shape, elementType: .int8,
        quantization: QuantizationParameters(
          scales: scales, zeroPoints: scales.map { _ in 0 }, quantizedDimension: axis),
        data: TensorData(shape: shape, storage: .int8(values))))
    return TensorID(tensors.count - 1)
  }

  /// A constant int8 activation-like tensor (random values).
  mutating func constant(_ name: String, _ shape: [Int], scale: Float, zeroPoint: Int64) -> TensorID {
    let n = shape.reduce(1, *)
    let values = (0..<n).map { _ in Int8(truncatingIfNeeded: rng.next()) }
    tensors.append(
      Tensor(
        name: name, shape: shape, elementType: .int8,
        quantization: QuantizationParameters(scale: scale, zeroPoint: zeroPoint),
        data: TensorData(shape: shape, storage: .int8(values))))
    return TensorID(tensors.count - 1)
  }

  /// A constant int32 bias of `count` values in ±`range`.
  mutating func bias(_ name: String, _ count: Int, range: Int = 3000) -> TensorID {
    let values = (0..<count).map { _ in Int32(Int(rng.next() % UInt64(2 * range + 1)) - range) }
    tensors.append(
      Tensor(name: name, shape: [count], elementType: .int32, data: TensorData(shape: [count], storage: .int32(values)))
    )
    return TensorID(tensors.count - 1)
  }

  /// A constant int32 vector (shapes, paddings, axes).
  mutating func int32(_ name: String, _ shape: [Int], _ values: [Int32]) -> TensorID {
    tensors.append(
      Tensor(name: name, shape: shape, elementType: .int32, data: TensorData(shape: shape, storage: .int32(values))))
    return TensorID(tensors.count - 1)
  }

  mutating func op(_ kind: OpKind, _ inputs: [TensorID?], _ outputs: [TensorID]) {
    operators.append(Operator(kind: kind, inputs: inputs, outputs: outputs))
  }

  /// Random per-channel scales around `base`.
  mutating func scales(_ count: Int, base: Float) -> [Float] {
    (0..<count).map { _ in base * (0.5 + Float(rng.next() % 1000) / 1000) }
  }

  func model(_ name: String, inputs: [TensorID], outputs: [TensorID], extraGraphs: [Graph] = []) -> Model {
    Model(
      source: name,
      graphs: [Graph(name: name, tensors: tensors, operators: operators, inputs: inputs, outputs: outputs)]
        + extraGraphs)
  }

  /// An output scale that keeps a K-deep int8 dot product mostly unsaturated.
  static func outputScale(inputScale: Float, weightScale: Float, depth: Int) -> Float {
    inputScale * weightScale * Float(depth).squareRoot() * 110
  }
}

/// Single-operator models with seeded weights.
enum TestModels {
  /// CONV_2D on a `[batch, h, w, c]` input with an `n × kh × kw × c` filter.
  static func conv(
    h: Int, w: Int, c: Int, n: Int, kh: Int = 3, kw: Int = 3, stride: Int = 1, dilation: Int = 1,
    padding: Padding = .same, activation: FusedActivation = .none, batch: Int = 1, inputZeroPoint: Int64 = -3,
    seed: UInt64 = 1
  ) -> Model {
    var b = GraphBuilder(seed: seed)
    let x = b.activation("x", [batch, h, w, c], scale: 0.04, zeroPoint: inputZeroPoint)
    let ws = b.scales(n, base: 0.01)
    let f = b.weights("filter", [n, kh, kw, c], scales: ws)
    let bias = b.bias("bias", n)
    let hg = padding.geometry(input: h, filter: kh, stride: stride, dilation: dilation)
    let wg = padding.geometry(input: w, filter: kw, stride: stride, dilation: dilation)
    let y = b.activation(
      "y", [batch, hg.output, wg.output, n],
      scale: GraphBuilder.outputScale(inputScale: 0.04, weightScale: 0.01, depth: kh * kw * c),
      zeroPoint: 5)
    b.op(
      .conv2D(
        Conv2DOptions(
          padding: padding, strideH: stride, strideW: stride, dilationH: dilation, dilationW: dilation,
          activation: activation)),
      [x, f, bias], [y])
    return b.model("conv", inputs: [x], outputs: [y])
  }

  /// DEPTHWISE_CONV_2D with depth multiplier `m`.
  static func depthwise(
    h: Int, w: Int, c: Int, m: Int = 1, kh: Int = 3, kw: Int = 3, stride: Int = 1, padding: Padding = .same,
    activation: FusedActivation = .relu6, seed: UInt64 = 2
  ) -> Model {
    var b = GraphBuilder(seed: seed)
    let x = b.activation("x", [1, h, w, c], scale: 0.04, zeroPoint: 7)
    let ws = b.scales(c * m, base: 0.02)
    let f = b.weights("filter", [1, kh, kw, c * m], scales: ws, axis: 3)
    let bias = b.bias("bias", c * m)
    let hg = padding.geometry(input: h, filter: kh, stride: stride)
    let wg = padding.geometry(input: w, filter: kw, stride: stride)
    let y = b.activation(
      "y", [1, hg.output, wg.output, c * m],
      scale: GraphBuilder.outputScale(inputScale: 0.04, weightScale: 0.02, depth: kh * kw),
      zeroPoint: -10)
    b.op(
      .depthwiseConv2D(
        DepthwiseConv2DOptions(
          padding: padding, strideH: stride, strideW: stride, depthMultiplier: m, activation: activation)),
      [x, f, bias], [y])
    return b.model("depthwise", inputs: [x], outputs: [y])
  }

  /// FULLY_CONNECTED of an `[m, k]` (or `[1, m, k]` with keep_num_dims) input to `n` units.
  static func fullyConnected(
    m: Int, k: Int, n: Int, keepNumDims: Bool = false, activation: FusedActivation = .none, bias: Bool = true,
    seed: UInt64 = 3
  ) -> Model {
    var b = GraphBuilder(seed: seed)
    let shape = keepNumDims ? [1, m, k] : [m, k]
    let x = b.activation("x", shape, scale: 0.03, zeroPoint: 11)
    let ws = b.scales(n, base: 0.01)
    let f = b.weights("weights", [n, k], scales: ws)
    let bb: TensorID? = bias ? b.bias("bias", n) : nil
    let y = b.activation(
      "y", keepNumDims ? [1, m, n] : [m, n],
      scale: GraphBuilder.outputScale(inputScale: 0.03, weightScale: 0.01, depth: k),
      zeroPoint: -4)
    b.op(.fullyConnected(FullyConnectedOptions(activation: activation, keepNumDims: keepNumDims)), [x, f, bb], [y])
    return b.model("fc", inputs: [x], outputs: [y])
  }

  /// BATCH_MATMUL of two activations.
  static func batchMatMul(
    batch: [Int], m: Int, k: Int, n: Int, adjX: Bool = false, adjY: Bool = false, rhsBatch: [Int]? = nil,
    rhsZeroPoint: Int64 = 9, seed: UInt64 = 4
  ) -> Model {
    var b = GraphBuilder(seed: seed)
    let x = b.activation("x", batch + (adjX ? [k, m] : [m, k]), scale: 0.05, zeroPoint: -6)
    let y = b.activation("y", (rhsBatch ?? batch) + (adjY ? [n, k] : [k, n]), scale: 0.04, zeroPoint: rhsZeroPoint)
    let outBatch = Broadcast.shape(batch, rhsBatch ?? batch) ?? batch
    let z = b.activation("z", outBatch + [m, n], scale: 0.05 * 0.04 * Float(k).squareRoot() * 90, zeroPoint: 2)
    b.op(.batchMatMul(adjointX: adjX, adjointY: adjY), [x, y], [z])
    return b.model("bmm", inputs: [x, y], outputs: [z])
  }
}

extension GraphBuilder {
  /// A model named `name` of one int8 reduction `kind(keepDims)` (MEAN, SUM, REDUCE_MAX,
  /// REDUCE_PROD) over the constant int32 `axes` of `shape` (negative axes count from the end),
  /// as the converter writes it: input `names.0` and the axes in, output `names.1` out, with the
  /// reduced dimensions dropped or kept as 1.
  static func reductionModel(
    _ name: String, _ kind: (Bool) -> OpKind, _ shape: [Int], axes: [Int32], keepDims: Bool,
    input: (Float, Int64), output: (Float, Int64), names: (String, String) = ("x", "y"), seed: UInt64
  ) -> Model {
    var g = GraphBuilder(seed: seed)
    let x = g.activation(names.0, shape, scale: input.0, zeroPoint: input.1)
    let a = g.int32("axes", [axes.count], axes)
    var outShape: [Int] = []
    for (d, size) in shape.enumerated() {
      let reduced = axes.contains { Int($0) == d || Int($0) + shape.count == d }
      if !reduced { outShape.append(size) } else if keepDims { outShape.append(1) }
    }
    let y = g.activation(names.1, outShape, scale: output.0, zeroPoint: output.1)
    g.op(kind(keepDims), [x, a], [y])
    return g.model(name, inputs: [x], outputs: [y])
  }
}
