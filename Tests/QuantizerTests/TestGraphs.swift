import GraphIR
import Quantizer
import Support

/// Small float graphs built by hand for the quantizer tests.
struct GraphBuilder {
  var tensors: [Tensor] = []
  var operators: [Operator] = []

  mutating func tensor(_ name: String, _ shape: [Int], data: [Float]? = nil) -> TensorID {
    tensors.append(
      Tensor(
        name: name, shape: shape, elementType: .float32,
        data: data.map { TensorData(shape: shape, storage: .float32($0)) }))
    return TensorID(tensors.count - 1)
  }

  mutating func int32(_ name: String, _ values: [Int32]) -> TensorID {
    tensors.append(
      Tensor(
        name: name, shape: [values.count], elementType: .int32,
        data: TensorData(shape: [values.count], storage: .int32(values))))
    return TensorID(tensors.count - 1)
  }

  mutating func op(_ kind: OpKind, _ inputs: [TensorID?], _ outputs: [TensorID]) {
    operators.append(Operator(kind: kind, inputs: inputs, outputs: outputs))
  }

  func model(_ source: String, inputs: [TensorID], outputs: [TensorID]) -> Model {
    Model(
      source: source,
      graphs: [Graph(name: "main", tensors: tensors, operators: operators, inputs: inputs, outputs: outputs)])
  }
}

/// Deterministic pseudo-random weights in [−1, 1).
func weights(_ count: Int, seed: UInt64) -> [Float] {
  var rng = SeededGenerator(seed: seed)
  return (0..<count).map { _ in Float(Double(rng.next() >> 11) * 0x1p-53 * 2 - 1) }
}

enum TestGraphs {
  /// x[1,8] → FULLY_CONNECTED(4, RELU) → h → FULLY_CONNECTED(3) → y.
  static func mlp() -> Model {
    var b = GraphBuilder()
    let x = b.tensor("x", [1, 8])
    let w1 = b.tensor("w1", [4, 8], data: weights(32, seed: 1))
    let b1 = b.tensor("b1", [4], data: [0.1, -0.2, 0.05, 0])
    let h = b.tensor("h", [1, 4])
    let w2 = b.tensor("w2", [3, 4], data: weights(12, seed: 2))
    let y = b.tensor("y", [1, 3])
    b.op(.fullyConnected(FullyConnectedOptions(activation: .relu)), [x, w1, b1], [h])
    b.op(.fullyConnected(FullyConnectedOptions()), [h, w2, nil], [y])
    return b.model("tiny_mlp.tflite", inputs: [x], outputs: [y])
  }

  /// x[1,4] → SOFTMAX → s; x → FULLY_CONNECTED → f; CONCATENATION(s, f) → y[1,8].
  static func softmaxConcat() -> Model {
    var b = GraphBuilder()
    let x = b.tensor("x", [1, 4])
    let s = b.tensor("s", [1, 4])
    let w = b.tensor("w", [4, 4], data: weights(16, seed: 3).map { $0 * 3 })
    let f = b.tensor("f", [1, 4])
    let y = b.tensor("y", [1, 8])
    b.op(.softmax(beta: 1), [x], [s])
    b.op(.fullyConnected(FullyConnectedOptions()), [x, w, nil], [f])
    b.op(.concatenation(axis: 1, activation: .none), [s, f], [y])
    return b.model("softmax_concat.tflite", inputs: [x], outputs: [y])
  }

  /// a[1,2,3], c[1,2,3] → ADD → y: a two-input model.
  static func twoInputs() -> Model {
    var b = GraphBuilder()
    let a = b.tensor("a", [1, 2, 3])
    let c = b.tensor("c", [1, 2, 3])
    let y = b.tensor("y", [1, 2, 3])
    b.op(.add(activation: .none), [a, c], [y])
    return b.model("two_inputs.tflite", inputs: [a, c], outputs: [y])
  }

  /// x[1,4] → NEG → y (TFLite has no int8 NEG).
  static func neg() -> Model {
    var b = GraphBuilder()
    let x = b.tensor("x", [1, 4])
    let n = b.tensor("n", [1, 4])
    let w = b.tensor("w", [2, 4], data: weights(8, seed: 4))
    let y = b.tensor("y", [1, 2])
    b.op(.neg, [x], [n])
    b.op(.fullyConnected(FullyConnectedOptions()), [n, w, nil], [y])
    return b.model("neg.tflite", inputs: [x], outputs: [y])
  }

  /// x[1,6,6,2] → MAX_POOL 2×2 → p → RESHAPE [1,18] → r → LOGISTIC → y.
  static func poolReshapeLogistic() -> Model {
    var b = GraphBuilder()
    let x = b.tensor("x", [1, 6, 6, 2])
    let p = b.tensor("p", [1, 3, 3, 2])
    let shape = b.int32("shape", [1, 18])
    let r = b.tensor("r", [1, 18])
    let y = b.tensor("y", [1, 18])
    b.op(.maxPool2D(Pool2DOptions(padding: .valid, strideH: 2, strideW: 2, filterH: 2, filterW: 2)), [x], [p])
    b.op(.reshape(newShape: [1, 18]), [p, shape], [r])
    b.op(.logistic, [r], [y])
    return b.model("pool_reshape_logistic.tflite", inputs: [x], outputs: [y])
  }

  /// Calibration samples for `model`'s float inputs.
  static func samples(_ model: Model, count: Int = 8, seed: UInt64 = 7) throws(QuantizerError) -> [[TensorData]] {
    try CalibrationData.generate(
      for: model, count: count, seed: seed, distribution: .normal(mean: 0, standardDeviation: 1))
  }
}

extension TensorData {
  /// The float32 values (empty for other types).
  var floats: [Float] {
    if case .float32(let v) = storage { return v }
    return []
  }

  /// The int8 values (empty for other types).
  var int8s: [Int8] {
    if case .int8(let v) = storage { return v }
    return []
  }
}
