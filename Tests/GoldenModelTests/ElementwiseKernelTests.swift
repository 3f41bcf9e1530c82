import GraphIR
import Testing

@testable import GoldenModel

/// A one-operator graph for kernel tests. Tensors are declared in operand order; those without
/// constant data become the graph inputs, fed in declaration order.
struct ElementwiseOpGraph {
  var tensors: [Tensor] = []

  /// Declares a tensor; `scale` makes it per-tensor quantized with `zeroPoint`.
  mutating func tensor(
    _ name: String, _ shape: [Int], _ type: ElementType, scale: Float? = nil, zeroPoint: Int64 = 0,
    data: TensorData.Storage? = nil
  ) -> TensorID {
    tensors.append(
      Tensor(
        name: name, shape: shape, elementType: type,
        quantization: scale.map { QuantizationParameters(scale: $0, zeroPoint: zeroPoint) },
        data: data.map { TensorData(shape: shape, storage: $0) }))
    return TensorID(tensors.count - 1)
  }

  /// Runs `kind` once and returns its outputs.
  func run(_ kind: OpKind, _ inputs: [TensorID?], _ outputs: [TensorID], feeds: [TensorData.Storage])
    throws(GoldenModelError) -> [TensorData]
  {
    let graphInputs = inputs.compactMap { $0 }.filter { tensors[$0.index].data == nil }
    let graph = Graph(
      name: "test", tensors: tensors, operators: [Operator(kind: kind, inputs: inputs, outputs: outputs)],
      inputs: graphInputs, outputs: outputs)
    var interpreter = Interpreter(model: Model(source: "test", graphs: [graph]))
    let values = zip(feeds, graphInputs).map { TensorData(shape: tensors[$1.index].shape, storage: $0) }
    return try interpreter.invoke(values)
  }

  /// Runs a single-output op.
  func run1(_ kind: OpKind, _ inputs: [TensorID?], _ output: TensorID, feeds: [TensorData.Storage])
    throws(GoldenModelError) -> TensorData
  {
    try run(kind, inputs, [output], feeds: feeds)[0]
  }
}

/// Parses a hex string of bytes as int8 values (expected tables generated once by TFLite).
func int8FromHex(_ hex: String) -> [Int8] {
  var out: [Int8] = []
  var i = hex.startIndex
  while i < hex.endIndex {
    let j = hex.index(i, offsetBy: 2)
    out.append(Int8(bitPattern: UInt8(hex[i..<j], radix: 16) ?? 0))
    i = j
  }
  return out
}

/// Every int8 value, −128 through 127.
let allInt8: [Int8] = (-128...127).map { Int8($0) }

/// Quantized binary op on two int8 tensors; returns the int8 output values.
private func binaryInt8(
  _ kind: OpKind, _ a: [Int8], _ shapeA: [Int], _ qa: (Float, Int64), _ b: [Int8], _ shapeB: [Int],
  _ qb: (Float, Int64),
  out shape: [Int], _ qo: (Float, Int64)
) throws -> [Int8] {
  var g = ElementwiseOpGraph()
  let x = g.tensor("a", shapeA, .int8, scale: qa.0, zeroPoint: qa.1)
  let y = g.tensor("b", shapeB, .int8, scale: qb.0, zeroPoint: qb.1)
  let o = g.tensor("out", shape, .int8, scale: qo.0, zeroPoint: qo.1)
  let r = try g.run1(kind, [x, y], o, feeds: [.int8(a), .int8(b)])
  guard case .int8(let v) = r.storage else { Issue.record("output is \(r.elementType)"); return [] }
  return v
}

@Suite struct ElementwiseKernelTests {
  // MARK: ADD

  @Test func addWithEqualScalesIsIntegerAddition() throws {
    // real = 0.5·q on every tensor, so the quantized sum is the integer sum.
    let r = try binaryInt8(
      .add(activation: .none), [3, -4, 10], [3], (0.5, 0), [4, -4, -20], [3], (0.5, 0), out: [3], (0.5, 0))
    #expect(r == [7, -8, -10])
  }

  @Test func addRoundsHalfAwayFromZero() throws {
    // Inputs at scale 0.5, output at scale 1: the sums ±0.5 and ±1.5 are ties.
    let r = try binaryInt8(
      .add(activation: .none), [1, -1, 3, -3], [4], (0.5, 0), [0, 0, 0, 0], [4], (0.5, 0), out: [4], (1, 0))
    #expect(r == [1, -1, 2, -2])
  }

  @Test func addSaturatesAndAppliesFusedActivation() throws {
    let r = try binaryInt8(
      .add(activation: .none), [100, -100], [2], (1, 0), [100, -100], [2], (1, 0), out: [2], (1, 0))
    #expect(r == [127, -128])
    // RELU6 on an output of scale 0.1, zero point −10: clamp to [−10, −10 + 60].
    let relu6 = try binaryInt8(
      .add(activation: .relu6), [20, -20, 3], [3], (0.5, 0), [20, 0, 4], [3], (0.5, 0), out: [3], (0.1, -10))
    #expect(relu6 == [50, -10, 25])
  }

  @Test func addBroadcastsBothWays() throws {
    // [2, 1] + [3] → [2, 3]: a[i] + b[j].
    let r = try binaryInt8(
      .add(activation: .none), [10, 20], [2, 1], (1, 0), [1, 2, 3], [3], (1, 0), out: [2, 3], (1, 0))
    #expect(r == [11, 12, 13, 21, 22, 23])
    // A scalar against a matrix.
    let s = try binaryInt8(
      .add(activation: .none), [5], [], (1, 0), [1, 2, 3, 4], [2, 2], (1, 0), out: [2, 2], (1, 0))
    #expect(s == [6, 7, 8, 9])
  }

  @Test func addRespectsZeroPoints() throws {
    // a = 0.5·(q − 10), b = 0.25·(q + 8), out = 0.5·(q − 3).
    let r = try binaryInt8(
      .add(activation: .none), [14, 10], [2], (0.5, 10), [0, -8], [2], (0.25, -8), out: [2], (0.5, 3))
    // 2 + 2 = 4 → 3 + 8 = 11; 0 + 0 = 0 → 3.
    #expect(r == [11, 3])
  }

  @Test func addInt16UsesTheGeneralPath() throws {
    var g = ElementwiseOpGraph()
    let x = g.tensor("a", [3], .int16, scale: 0.001)
    let y = g.tensor("b", [3], .int16, scale: 0.002)
    let o = g.tensor("out", [3], .int16, scale: 0.004)
    let r = try g.run1(
      .add(activation: .none), [x, y], o, feeds: [.int16([1000, -30000, 32767]), .int16([500, -30000, 32767])])
    // 1.0 + 1.0 = 2.0 → 500; −30 − 60 = −90 → −22500; 32.767 + 65.534 = 98.301 → 24575.25 → 24575.
    #expect(r.storage == .int16([500, -22500, 24575]))
  }

  @Test func addFloatAndInt32() throws {
    var g = ElementwiseOpGraph()
    let x = g.tensor("a", [2, 2], .float32)
    let y = g.tensor("b", [2], .float32)
    let o = g.tensor("out", [2, 2], .float32)
    let r = try g.run1(.add(activation: .relu), [x, y], o, feeds: [.float32([1.5, -2, 3, 4]), .float32([0.25, -3])])
    #expect(r.storage == .float32([1.75, 0, 3.25, 1]))

    var h = ElementwiseOpGraph()
    let p = h.tensor("a", [3], .int32)
    let q = h.tensor("b", [3], .int32)
    let z = h.tensor("out", [3], .int32)
    let s = try h.run1(.add(activation: .none), [p, q], z, feeds: [.int32([1, Int32.max, -5]), .int32([2, 1, 5])])
    #expect(s.storage == .int32([3, Int32.min, 0]))  // int32 ADD wraps, as in TFLite
  }

  @Test func addWithConstantOperand() throws {
    var g = ElementwiseOpGraph()
    let x = g.tensor("a", [2, 2], .int8, scale: 1)
    let bias = g.tensor("bias", [2], .int8, scale: 1, data: .int8([10, -10]))
    let o = g.tensor("out", [2, 2], .int8, scale: 1)
    let r = try g.run1(.add(activation: .none), [x, bias], o, feeds: [.int8([1, 2, 3, 4])])
    #expect(r.storage == .int8([11, -8, 13, -6]))
  }

  // MARK: SUB, MUL, SQUARED_DIFFERENCE

  @Test func subtractsWithRescaling() throws {
    let r = try binaryInt8(.sub(activation: .none), [5, -5, 1], [3], (1, 0), [7, 3, 0], [3], (1, 0), out: [3], (1, 0))
    #expect(r == [-2, -8, 1])
    // Output scale 2 with RELU: −1 → −0.5 clamps to 0; 3 → 1.5 → 2 (half away from zero).
    let t = try binaryInt8(.sub(activation: .relu), [2, 3], [2], (1, 0), [3, 0], [2], (1, 0), out: [2], (2, 0))
    #expect(t == [0, 2])
  }

  @Test func multipliesWithRoundingAndSaturation() throws {
    // 0.5 × 0.5 / 0.25 = 1: the product of the integers.
    let r = try binaryInt8(
      .mul(activation: .none), [3, -3, 20], [3], (0.5, 0), [4, 4, 20], [3], (0.5, 0), out: [3], (0.25, 0))
    #expect(r == [12, -12, 127])
    // Output scale 0.5: 3 × 1 × 0.25 / 0.5 = ±1.5. The multiplier 0.5 is applied by the
    // doubling high multiply alone (no right shift), which rounds ties toward +∞: 2 and −1.
    let t = try binaryInt8(.mul(activation: .none), [3, -3], [2], (0.5, 0), [1, 1], [2], (0.5, 0), out: [2], (0.5, 0))
    #expect(t == [2, -1])
    // Zero points: (13 − 10)·0.5 × (−2 + 4)·0.5 = 1.5 → 0.5·(q + 1) → q = 2.
    let z = try binaryInt8(.mul(activation: .none), [13], [1], (0.5, 10), [-2], [1], (0.5, -4), out: [1], (0.5, -1))
    #expect(z == [2])
  }

  @Test func multipliesInt16() throws {
    var g = ElementwiseOpGraph()
    let x = g.tensor("a", [2], .int16, scale: 0.01)
    let y = g.tensor("b", [2], .int16, scale: 0.01)
    let o = g.tensor("out", [2], .int16, scale: 0.01)
    let r = try g.run1(.mul(activation: .none), [x, y], o, feeds: [.int16([200, -300]), .int16([150, 150])])
    // 2 × 1.5 = 3 → 300; −3 × 1.5 = −4.5 → −450.
    #expect(r.storage == .int16([300, -450]))
  }

  @Test func squaredDifference() throws {
    let r = try binaryInt8(.squaredDifference, [5, -3, 20], [3], (1, 0), [2, 3, -20], [3], (1, 0), out: [3], (1, 0))
    #expect(r == [9, 36, 127])  // 40² saturates
    var g = ElementwiseOpGraph()
    let x = g.tensor("a", [2], .float32)
    let y = g.tensor("b", [], .float32)
    let o = g.tensor("out", [2], .float32)
    let f = try g.run1(.squaredDifference, [x, y], o, feeds: [.float32([1.5, -1]), .float32([0.5])])
    #expect(f.storage == .float32([1, 2.25]))
  }

  // MARK: NEG, RSQRT

  @Test func negatesStoredValues() throws {
    var g = ElementwiseOpGraph()
    let x = g.tensor("x", [4], .int8, scale: 0.1, zeroPoint: 3)
    let o = g.tensor("out", [4], .int8, scale: 0.1, zeroPoint: 3)
    // TFLite negates the raw integers and ignores the zero point; −(−128) wraps to −128.
    let r = try g.run1(.neg, [x], o, feeds: [.int8([-128, 0, 5, 127])])
    #expect(r.storage == .int8([-128, 0, -5, -127]))
    var h = ElementwiseOpGraph()
    let y = h.tensor("x", [2], .float32)
    let p = h.tensor("out", [2], .float32)
    #expect(try h.run1(.neg, [y], p, feeds: [.float32([1.5, -0])]).storage == .float32([-1.5, 0]))
  }

  @Test func rsqrtFloatAndInt8() throws {
    var g = ElementwiseOpGraph()
    let x = g.tensor("x", [3], .float32)
    let o = g.tensor("out", [3], .float32)
    #expect(try g.run1(.rsqrt, [x], o, feeds: [.float32([4, 0.25, 1])]).storage == .float32([0.5, 2, 1]))

    // All int8 inputs ≥ the zero point −100, against the table TFLite 2.21's reference kernel
    // produced for input (0.02, −100) and output (0.05, −128).
    let expected = int8FromHex(
      "7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f0de4d2c7bfbab5b2afadaba9a7a6a5a3a2a1a0a09f9e9d9d9c9c9b9b9a9a99999998989897979796969696959595959494949494939393939393929292929292929191919191919191909090909090909090908f8f8f8f8f8f8f8f8f8f8f8f8e8e8e8e8e8e8e8e8e8e8e8e8e8e8d8d8d8d8d8d8d8d8d8d8d8d8d8d8d8d8d8d8d8c8c8c8c8c8c8c8c8c8c8c8c8c8c8c8c8c8c8c8c8c8c8c8b8b8b8b8b8b8b8b8b8b8b8b8b8b8b8b8b8b8b8b8b8b8b8b8b8b8b8b8b8b8a8a8a8a8a8a8a8a8a8a8a8a8a8a8a8a8a8a8a8a8a8a8a8a8a8a8a8a8a8a8a8a8a8a8a8a8a8a8a8a898989898989"
    )
    var h = ElementwiseOpGraph()
    let q = h.tensor("x", [256], .int8, scale: 0.02, zeroPoint: -100)
    let p = h.tensor("out", [256], .int8, scale: 0.05, zeroPoint: -128)
    let inputs = allInt8.map { max($0, -100) }
    let r = try h.run1(.rsqrt, [q], p, feeds: [.int8(inputs)])
    #expect(r.storage == .int8(expected))
    // Sanity of the table itself: x = 0.02·(q + 100); q = −96 → x = 0.08 → 1/√x ≈ 3.54 → q ≈ −57.
    if case .int8(let v) = r.storage { #expect(abs(Int(v[Int(-96 + 128)]) - (-57)) <= 1) }
  }

  @Test func rsqrtInt16InterpolatesItsTable() throws {
    // Input scale 1/256: 1024 → 4.0, 4096 → 16.0, 256 → 1.0; output scale 1/1024. Away from 0
    // the table is accurate to 1 LSB (0.5 → 512, 0.25 → 256); near 0, where 1/√x is steep, its
    // midpoint bias shows: TFLite 2.21 gives 1018 for 1/√1 (checked once with BUILTIN_REF).
    var g = ElementwiseOpGraph()
    let x = g.tensor("x", [3], .int16, scale: 1.0 / 256)
    let o = g.tensor("out", [3], .int16, scale: 1.0 / 1024)
    let r = try g.run1(.rsqrt, [x], o, feeds: [.int16([1024, 4096, 256])])
    #expect(r.storage == .int16([512, 256, 1018]))
  }

  // MARK: Errors

  @Test func reportsBadOperandsWithTheirPlace() throws {
    var g = ElementwiseOpGraph()
    let x = g.tensor("a", [2], .int8, scale: 1)
    let y = g.tensor("b", [3], .int8, scale: 1)
    let o = g.tensor("sum", [3], .int8, scale: 1)
    #expect(throws: GoldenModelError(.invalidModel, "op #0 ADD 'sum'", "shapes [2] and [3] do not broadcast")) {
      try g.run1(.add(activation: .none), [x, y], o, feeds: [.int8([1, 2]), .int8([1, 2, 3])])
    }
    var h = ElementwiseOpGraph()
    let q = h.tensor("x", [2], .int8, scale: 0.1, zeroPoint: 0)
    let p = h.tensor("r", [2], .int8, scale: 0.1)
    #expect(
      throws: GoldenModelError(
        .badInput, "op #0 RSQRT 'r'",
        "RSQRT is only defined for non-negative values; input -1 is below the zero point 0")
    ) {
      try h.run1(.rsqrt, [q], p, feeds: [.int8([4, -1])])
    }
    var k = ElementwiseOpGraph()
    let u = k.tensor("a", [2], .int8)
    let v = k.tensor("b", [2], .int8)
    let w = k.tensor("m", [2], .int8)
    #expect(
      throws: GoldenModelError(.invalidModel, "op #0 MUL 'm'", "tensor 'a' (int8) has no quantization parameters")
    ) {
      try k.run1(.mul(activation: .none), [u, v], w, feeds: [.int8([1, 2]), .int8([1, 2])])
    }
  }
}
