import GraphIR
import Support
import Testing

@testable import GoldenModel

/// Builds one-operator graphs from constant tensors and runs them through the interpreter.
enum MatrixFixtures {
  /// Runs `kind` on constant `inputs` (nil = absent optional input) and returns its output.
  static func run(_ kind: OpKind, _ inputs: [Tensor?], output: Tensor) throws(GoldenModelError) -> TensorData {
    var tensors: [Tensor] = []
    var ids: [TensorID?] = []
    for t in inputs {
      if let t {
        tensors.append(t)
        ids.append(TensorID(tensors.count - 1))
      } else {
        ids.append(nil)
      }
    }
    tensors.append(output)
    let out = TensorID(tensors.count - 1)
    let graph = Graph(
      name: "test", tensors: tensors, operators: [Operator(kind: kind, inputs: ids, outputs: [out])],
      inputs: [], outputs: [out])
    var interpreter = Interpreter(model: Model(source: "test", graphs: [graph]))
    return try interpreter.invoke([])[0]
  }

  static func int8(
    _ shape: [Int], _ values: [Int8], scale: Float = 1, zeroPoint: Int64 = 0, name: String = "x"
  ) -> Tensor {
    Tensor(
      name: name, shape: shape, elementType: .int8,
      quantization: QuantizationParameters(scale: scale, zeroPoint: zeroPoint),
      data: TensorData(shape: shape, storage: .int8(values)))
  }

  static func int16(_ shape: [Int], _ values: [Int16], scale: Float = 1, name: String = "x") -> Tensor {
    Tensor(
      name: name, shape: shape, elementType: .int16,
      quantization: QuantizationParameters(scale: scale, zeroPoint: 0),
      data: TensorData(shape: shape, storage: .int16(values)))
  }

  /// Int8 weights with per-channel scales along `axis` (zero points 0).
  static func weights(_ shape: [Int], _ values: [Int8], scales: [Float], axis: Int = 0) -> Tensor {
    Tensor(
      name: "w", shape: shape, elementType: .int8,
      quantization: QuantizationParameters(
        scales: scales, zeroPoints: [Int64](repeating: 0, count: scales.count), quantizedDimension: axis),
      data: TensorData(shape: shape, storage: .int8(values)))
  }

  static func int32Bias(_ values: [Int32]) -> Tensor {
    Tensor(
      name: "b", shape: [values.count], elementType: .int32,
      data: TensorData(shape: [values.count], storage: .int32(values)))
  }

  static func int64Bias(_ values: [Int64]) -> Tensor {
    Tensor(
      name: "b", shape: [values.count], elementType: .int64,
      data: TensorData(shape: [values.count], storage: .int64(values)))
  }

  static func float(_ shape: [Int], _ values: [Float], name: String = "x") -> Tensor {
    Tensor(name: name, shape: shape, elementType: .float32, data: TensorData(shape: shape, storage: .float32(values)))
  }

  /// An output tensor (no data) of the given type and quantization.
  static func output(_ shape: [Int], _ type: ElementType, scale: Float = 1, zeroPoint: Int64 = 0) -> Tensor {
    Tensor(
      name: "y", shape: shape, elementType: type,
      quantization: type == .float32 ? nil : QuantizationParameters(scale: scale, zeroPoint: zeroPoint))
  }

  /// Small integers as floats, so that every float sum in a test is exact.
  static func smallIntegers(_ count: Int, seed: UInt64, range: ClosedRange<Int> = -3...3) -> [Float] {
    var g = SeededGenerator(seed: seed)
    return (0..<count).map { _ in Float(Int.random(in: range, using: &g)) }
  }

  static func int8Values(_ data: TensorData) -> [Int8] {
    if case .int8(let v) = data.storage { return v }
    return []
  }

  static func int16Values(_ data: TensorData) -> [Int16] {
    if case .int16(let v) = data.storage { return v }
    return []
  }

  static func floatValues(_ data: TensorData) -> [Float] {
    if case .float32(let v) = data.storage { return v }
    return []
  }
}

/// Straightforward reference loops over an explicitly zero-padded input, for geometry checks.
enum NaiveReference {
  /// NHWC convolution (OHWI filter, grouped when input channels exceed the filter depth).
  static func conv(
    _ x: [Float], _ xs: [Int], _ w: [Float], _ ws: [Int], bias: [Float], stride: (Int, Int), dilation: (Int, Int),
    pad: (Int, Int), out: [Int]
  ) -> [Float] {
    let groups = xs[3] / ws[3]
    var y: [Float] = []
    for b in 0..<out[0] {
      for oy in 0..<out[1] {
        for ox in 0..<out[2] {
          for oc in 0..<out[3] {
            let g = oc / (out[3] / groups)
            var s: Float = 0
            for ky in 0..<ws[1] {
              for kx in 0..<ws[2] {
                let iy = oy * stride.0 - pad.0 + ky * dilation.0
                let ix = ox * stride.1 - pad.1 + kx * dilation.1
                for ic in 0..<ws[3] {
                  let xv: Float =
                    (iy < 0 || iy >= xs[1] || ix < 0 || ix >= xs[2])
                    ? 0 : x[((b * xs[1] + iy) * xs[2] + ix) * xs[3] + g * ws[3] + ic]
                  s += xv * w[((oc * ws[1] + ky) * ws[2] + kx) * ws[3] + ic]
                }
              }
            }
            y.append(s + bias[oc])
          }
        }
      }
    }
    return y
  }

  /// NHWC depthwise convolution (1HWO filter).
  static func depthwise(
    _ x: [Float], _ xs: [Int], _ w: [Float], _ ws: [Int], bias: [Float], stride: (Int, Int), dilation: (Int, Int),
    pad: (Int, Int), out: [Int]
  ) -> [Float] {
    let multiplier = ws[3] / xs[3]
    var y: [Float] = []
    for b in 0..<out[0] {
      for oy in 0..<out[1] {
        for ox in 0..<out[2] {
          for oc in 0..<out[3] {
            var s: Float = 0
            for ky in 0..<ws[1] {
              for kx in 0..<ws[2] {
                let iy = oy * stride.0 - pad.0 + ky * dilation.0
                let ix = ox * stride.1 - pad.1 + kx * dilation.1
                let xv: Float =
                  (iy < 0 || iy >= xs[1] || ix < 0 || ix >= xs[2])
                  ? 0 : x[((b * xs[1] + iy) * xs[2] + ix) * xs[3] + oc / multiplier]
                s += xv * w[(ky * ws[2] + kx) * ws[3] + oc]
              }
            }
            y.append(s + bias[oc])
          }
        }
      }
    }
    return y
  }
}

@Suite("CONV_2D")
struct Conv2DKernelTests {
  typealias F = MatrixFixtures

  /// A 1×1 convolution with one input and one output channel: each output is `x · w` requantized.
  func pointwise(
    _ xs: [Int8], weightScale: Float, inputZeroPoint: Int64 = 0, outputScale: Float = 1, outputZeroPoint: Int64 = 0,
    bias: [Int32]? = nil, activation: FusedActivation = .none
  ) throws -> [Int8] {
    let n = xs.count
    let out = try F.run(
      .conv2D(Conv2DOptions(padding: .valid, activation: activation)),
      [
        F.int8([1, 1, n, 1], xs, zeroPoint: inputZeroPoint), F.weights([1, 1, 1, 1], [1], scales: [weightScale]),
        bias.map(F.int32Bias),
      ],
      output: F.output([1, 1, n, 1], .int8, scale: outputScale, zeroPoint: outputZeroPoint))
    return F.int8Values(out)
  }

  @Test func doubleRoundingOnTies() throws {
    // Scale 0.25 → multiplier 2^30, shift −1. SaturatingRoundingDoublingHighMul rounds x/2 with
    // ties toward +∞ (its negative nudge is 1 − 2^30), then RoundingDivideByPOT rounds /2 again
    // with ties away from zero:
    //   1 → 0.5 → 1 → 0.5 → 1 (exact 0.25)     5 → 2.5 → 3 → 1.5 → 2 (exact 1.25)
    //  −5 → −2.5 → −2 → −1 (exact −1.25)        3 → 1.5 → 2 → 1 (exact 0.75)
    //  −3 → −1.5 → −1 → −0.5 → −1 (exact −0.75)
    #expect(try pointwise([1, 5, -5, 3, -3, 0], weightScale: 0.25) == [1, 2, -1, 1, -1, 0])
    // Scale 0.5 → multiplier 2^30, shift 0: only the high multiply rounds (ties toward +∞).
    #expect(try pointwise([1, -1, 3, -3, 4], weightScale: 0.5) == [1, 0, 2, -1, 2])
  }

  @Test func biasZeroPointsAndSaturation() throws {
    // acc = 1 · (x − (−3)) + 100, scale 1, then + output zero point 10, clamped to int8.
    let xs: [Int8] = [-3, 0, 17, 127, -128]
    let expected = xs.map { x -> Int8 in Int8(clamping: (Int(x) + 3) + 100 + 10) }
    #expect(try pointwise(xs, weightScale: 1, inputZeroPoint: -3, outputZeroPoint: 10, bias: [100]) == expected)
    #expect(expected.last == -15 && expected[3] == 127)
  }

  @Test func fusedActivationRanges() throws {
    // Output scale 0.1, zero point −10: RELU6 clamps to [q(0), q(6)] = [−10, 50];
    // RELU_N1_TO_1 to [−20, 0].
    let xs: [Int8] = [-60, -5, 0, 30, 100]
    #expect(
      try pointwise(xs, weightScale: 0.1, outputScale: 0.1, outputZeroPoint: -10, activation: .relu6)
        == [-10, -10, -10, 20, 50])
    #expect(
      try pointwise(xs, weightScale: 0.1, outputScale: 0.1, outputZeroPoint: -10, activation: .reluN1To1)
        == [-20, -15, -10, 0, 0])
    #expect(
      try pointwise(xs, weightScale: 0.1, outputScale: 0.1, outputZeroPoint: -10, activation: .relu)
        == [-10, -10, -10, 20, 90])
  }

  @Test func perChannelMultipliers() throws {
    // Two output channels see the same acc = 6 with filter scales 0.5 and 0.25:
    // 6 · 0.5 = 3; 6 · 0.25 = 1.5 → (double rounding) 2. A third channel uses scale 0.75
    // (multiplier 3·2^29, shift 0): 4.5 → 5.
    let out = try F.run(
      .conv2D(Conv2DOptions(padding: .valid)),
      [F.int8([1, 1, 1, 1], [6]), F.weights([3, 1, 1, 1], [1, 1, 1], scales: [0.5, 0.25, 0.75]), nil],
      output: F.output([1, 1, 1, 3], .int8))
    #expect(F.int8Values(out) == [3, 2, 5])
  }

  @Test func paddingTapsAreSkippedNotZeroPointFilled() throws {
    // 2×2 image of x = 7 with zero point 5 (real value 2 per pixel), 3×3 all-ones filter, SAME.
    // Every window holds the 4 in-image pixels: acc = 4 · (7 − 5) = 8. Treating the 5 padding
    // taps as q = 0 would add 5 · (0 − 5) = −25.
    let out = try F.run(
      .conv2D(Conv2DOptions(padding: .same)),
      [
        F.int8([1, 2, 2, 1], [7, 7, 7, 7], zeroPoint: 5),
        F.weights([1, 3, 3, 1], [Int8](repeating: 1, count: 9), scales: [1]), F.int32Bias([0]),
      ],
      output: F.output([1, 2, 2, 1], .int8))
    #expect(F.int8Values(out) == [8, 8, 8, 8])
  }

  @Test(arguments: [
    (padding: Padding.same, stride: (1, 1), dilation: (1, 1), input: [1, 5, 6, 3], filter: [4, 3, 3, 3]),
    (padding: .same, stride: (2, 2), dilation: (1, 1), input: [2, 7, 6, 2], filter: [3, 3, 2, 2]),
    (padding: .valid, stride: (2, 1), dilation: (1, 1), input: [1, 7, 5, 2], filter: [2, 3, 2, 2]),
    (padding: .same, stride: (1, 1), dilation: (2, 2), input: [1, 6, 6, 2], filter: [3, 3, 3, 2]),
    (padding: .valid, stride: (1, 2), dilation: (2, 3), input: [1, 9, 10, 1], filter: [2, 2, 3, 1]),
    (padding: .same, stride: (1, 1), dilation: (1, 1), input: [1, 4, 4, 6], filter: [6, 3, 3, 2]),  // 3 groups
  ])
  func floatGeometryMatchesNaiveLoops(
    _ p: (padding: Padding, stride: (Int, Int), dilation: (Int, Int), input: [Int], filter: [Int])
  ) throws {
    let h = p.padding.geometry(input: p.input[1], filter: p.filter[1], stride: p.stride.0, dilation: p.dilation.0)
    let w = p.padding.geometry(input: p.input[2], filter: p.filter[2], stride: p.stride.1, dilation: p.dilation.1)
    let outShape = [p.input[0], h.output, w.output, p.filter[0]]
    let x = F.smallIntegers(p.input.reduce(1, *), seed: 1)
    let wv = F.smallIntegers(p.filter.reduce(1, *), seed: 2)
    let bias = F.smallIntegers(p.filter[0], seed: 3)
    let options = Conv2DOptions(
      padding: p.padding, strideH: p.stride.0, strideW: p.stride.1, dilationH: p.dilation.0, dilationW: p.dilation.1)
    let out = try F.run(
      .conv2D(options),
      [F.float(p.input, x), F.float(p.filter, wv, name: "w"), F.float([p.filter[0]], bias, name: "b")],
      output: F.output(outShape, .float32))
    let expected = NaiveReference.conv(
      x, p.input, wv, p.filter, bias: bias, stride: p.stride, dilation: p.dilation, pad: (h.padBefore, w.padBefore),
      out: outShape)
    #expect(F.floatValues(out) == expected)
  }

  @Test func floatActivationClampsInfinity() throws {
    // No activation still clamps to ±Float.greatestFiniteMagnitude, as TFLite does.
    let out = try F.run(
      .conv2D(Conv2DOptions(padding: .valid)),
      [F.float([1, 1, 2, 1], [.infinity, -2]), F.float([1, 1, 1, 1], [1], name: "w"), nil],
      output: F.output([1, 1, 2, 1], .float32))
    #expect(F.floatValues(out) == [.greatestFiniteMagnitude, -2])
    let relu6 = try F.run(
      .conv2D(Conv2DOptions(padding: .valid, activation: .relu6)),
      [F.float([1, 1, 2, 1], [7.5, -2]), F.float([1, 1, 1, 1], [1], name: "w"), nil],
      output: F.output([1, 1, 2, 1], .float32))
    #expect(F.floatValues(relu6) == [6, 0])
  }

  @Test func int16x8UsesSixteenBitMultiplierRoundingHalfUp() throws {
    // 16×8: multiplier 2^30 reduced to 2^14, shift −1 → one rounding shift by 16 bits with
    // +2^15: 5 · 0.25 = 1.25 → 1; −5 → −1.25 → −1; 2 → 0.5 → 1; −2 → −0.5 → 0 (half up).
    let out = try F.run(
      .conv2D(Conv2DOptions(padding: .valid)),
      [F.int16([1, 1, 4, 1], [5, -5, 2, -2]), F.weights([1, 1, 1, 1], [1], scales: [0.25]), F.int64Bias([0])],
      output: F.output([1, 1, 4, 1], .int16))
    #expect(F.int16Values(out) == [1, -1, 1, 0])
  }

  @Test func int16x8Int64BiasAndSaturation() throws {
    // acc = ±1000 · 127 + bias; a bias beyond int32 needs the 64-bit accumulator; scale 2^−17:
    // −4294873000 / 2^17 = −32767.3 → −32767; −4295127000 / 2^17 = −32769.2 → clamped −32768.
    let bias: Int64 = -4_295_000_000
    let out = try F.run(
      .conv2D(Conv2DOptions(padding: .valid)),
      [
        F.int16([1, 1, 2, 1], [1000, -1000], scale: 1),
        F.weights([1, 1, 1, 1], [127], scales: [Float(1.0 / 131_072)]), F.int64Bias([bias]),
      ],
      output: F.output([1, 1, 2, 1], .int16))
    let expected = [Int64(127_000), -127_000].map { acc -> Int16 in
      Int16(clamping: Int((Double(acc + bias) / 131_072).rounded(.toNearestOrAwayFromZero)))
    }
    #expect(F.int16Values(out) == expected)
    #expect(expected == [-32767, -32768])
  }

  @Test func rejectsWhatTFLiteRejects() throws {
    func error(_ inputs: [Tensor?], _ options: Conv2DOptions = Conv2DOptions(padding: .valid), output: Tensor)
      -> GoldenModelError?
    {
      do {
        _ = try F.run(.conv2D(options), inputs, output: output)
        return nil
      } catch {
        return error
      }
    }
    let x = F.int8([1, 2, 2, 1], [1, 2, 3, 4])
    var wzp = F.weights([1, 1, 1, 1], [1], scales: [1])
    wzp.quantization?.zeroPoints = [3]
    #expect(error([x, wzp, nil], output: F.output([1, 2, 2, 1], .int8))?.kind == .invalidModel)
    #expect(
      error([x, F.weights([1, 1, 1, 1], [1], scales: [1]), nil], output: F.output([1, 3, 2, 1], .int8))?.kind
        == .invalidModel)
    #expect(
      error(
        [x, F.weights([1, 1, 1, 1], [1], scales: [1]), nil], Conv2DOptions(padding: .valid, activation: .tanh),
        output: F.output([1, 2, 2, 1], .int8))?.kind == .unsupported)
    let u8 = Tensor(
      name: "x", shape: [1, 1, 1, 1], elementType: .uint8, quantization: QuantizationParameters(scale: 1, zeroPoint: 0),
      data: TensorData(shape: [1, 1, 1, 1], storage: .uint8([1])))
    let err = error([u8, F.weights([1, 1, 1, 1], [1], scales: [1]), nil], output: F.output([1, 1, 1, 1], .uint8))
    #expect(err?.kind == .unsupported)
    #expect(err?.description == "op #0 CONV_2D 'y': unsupported: CONV_2D with uint8 input and int8 filter")
  }
}

@Suite("DEPTHWISE_CONV_2D")
struct DepthwiseConv2DKernelTests {
  typealias F = MatrixFixtures

  @Test(arguments: [
    (padding: Padding.same, stride: (1, 1), dilation: (1, 1), input: [1, 5, 5, 3], multiplier: 1, k: (3, 3)),
    (padding: .same, stride: (2, 2), dilation: (1, 1), input: [2, 6, 7, 2], multiplier: 2, k: (3, 3)),
    (padding: .valid, stride: (1, 1), dilation: (2, 2), input: [1, 8, 7, 2], multiplier: 2, k: (3, 2)),
    (padding: .same, stride: (1, 2), dilation: (2, 1), input: [1, 6, 6, 1], multiplier: 3, k: (2, 3)),
  ])
  func floatGeometryMatchesNaiveLoops(
    _ p: (padding: Padding, stride: (Int, Int), dilation: (Int, Int), input: [Int], multiplier: Int, k: (Int, Int))
  ) throws {
    let channels = p.input[3] * p.multiplier
    let filter = [1, p.k.0, p.k.1, channels]
    let h = p.padding.geometry(input: p.input[1], filter: p.k.0, stride: p.stride.0, dilation: p.dilation.0)
    let w = p.padding.geometry(input: p.input[2], filter: p.k.1, stride: p.stride.1, dilation: p.dilation.1)
    let outShape = [p.input[0], h.output, w.output, channels]
    let x = F.smallIntegers(p.input.reduce(1, *), seed: 4)
    let wv = F.smallIntegers(filter.reduce(1, *), seed: 5)
    let bias = F.smallIntegers(channels, seed: 6)
    let options = DepthwiseConv2DOptions(
      padding: p.padding, strideH: p.stride.0, strideW: p.stride.1, dilationH: p.dilation.0, dilationW: p.dilation.1,
      depthMultiplier: p.multiplier)
    let out = try F.run(
      .depthwiseConv2D(options),
      [F.float(p.input, x), F.float(filter, wv, name: "w"), F.float([channels], bias, name: "b")],
      output: F.output(outShape, .float32))
    let expected = NaiveReference.depthwise(
      x, p.input, wv, filter, bias: bias, stride: p.stride, dilation: p.dilation, pad: (h.padBefore, w.padBefore),
      out: outShape)
    #expect(F.floatValues(out) == expected)
  }

  @Test func int8DepthMultiplierTwoPerChannel() throws {
    // Input channels (x − zp) = (4, −2) at one pixel; multiplier 2 → output channels
    // 0,1 read input channel 0 and 2,3 read channel 1. Weights (1, 2, 3, −1), scales
    // (0.5, 0.25, 1, 0.5), bias (1, 0, 0, 2):
    // ch0: (4·1 + 1)·0.5 = 2.5 → 3; ch1: 4·2·0.25 = 2; ch2: −2·3 = −6; ch3: (2 + 2)·0.5 = 2.
    let out = try F.run(
      .depthwiseConv2D(DepthwiseConv2DOptions(padding: .valid, depthMultiplier: 2)),
      [
        F.int8([1, 1, 1, 2], [5, -1], zeroPoint: 1),
        F.weights([1, 1, 1, 4], [1, 2, 3, -1], scales: [0.5, 0.25, 1, 0.5], axis: 3), F.int32Bias([1, 0, 0, 2]),
      ],
      output: F.output([1, 1, 1, 4], .int8))
    #expect(F.int8Values(out) == [3, 2, -6, 2])
  }

  @Test func int8MatchesFloatModelOnExactScales() throws {
    // With power-of-two scales and small values the quantized kernel is exact: dequantized
    // outputs equal the float kernel's on the same real values (no rounding anywhere).
    let shape = [1, 5, 4, 2]
    let xq = F.smallIntegers(40, seed: 7, range: -20...20).map { Int8($0) }
    let wq = F.smallIntegers(18 * 2, seed: 8, range: -4...4).map { Int8($0) }
    let options = DepthwiseConv2DOptions(padding: .same, strideH: 2, dilationW: 2, depthMultiplier: 2)
    let outShape = [1, 3, 4, 4]
    let q = try F.run(
      .depthwiseConv2D(options),
      [F.int8(shape, xq, scale: 0.5, zeroPoint: 3), F.weights([1, 3, 3, 4], wq, scales: [1, 1, 1, 1], axis: 3), nil],
      output: F.output(outShape, .int8, scale: 0.5, zeroPoint: 0))
    let f = try F.run(
      .depthwiseConv2D(options),
      [F.float(shape, xq.map { (Float($0) - 3) * 0.5 }), F.float([1, 3, 3, 4], wq.map(Float.init), name: "w"), nil],
      output: F.output(outShape, .float32))
    let expected = F.floatValues(f).map { Int8(clamping: Int(($0 / 0.5).rounded())) }
    #expect(F.int8Values(q) == expected)
  }

  @Test func int16x8NeedsInt64Bias() {
    #expect(throws: GoldenModelError.self) {
      _ = try F.run(
        .depthwiseConv2D(DepthwiseConv2DOptions(padding: .valid)),
        [F.int16([1, 1, 1, 1], [3]), F.weights([1, 1, 1, 1], [1], scales: [1], axis: 3), F.int32Bias([0])],
        output: F.output([1, 1, 1, 1], .int16))
    }
  }
}

@Suite("FULLY_CONNECTED")
struct FullyConnectedKernelTests {
  typealias F = MatrixFixtures

  @Test func requantizesInDoubleNotFixedPoint() throws {
    // Scale 0.25: the reference FC computes round(acc · 0.25) in double (1 → 0, 5 → 1, −5 → −1,
    // 6 → 2 (1.5, half away), −6 → −2), where CONV_2D's fixed-point path gives 1, 2, −1, 2, −2.
    let xs: [Int8] = [1, 5, -5, 6, -6]
    let out = try F.run(
      .fullyConnected(FullyConnectedOptions()),
      [F.int8([5, 1], xs), F.weights([1, 1], [1], scales: [0.25]), nil],
      output: F.output([5, 1], .int8))
    #expect(F.int8Values(out) == [0, 1, -1, 2, -2])
  }

  @Test func perTensorWeightsKeepTheirZeroPoint() throws {
    // Per-tensor weights (one scale) apply weights_offset: (w − 2) · (x − 1) summed over depth 2.
    var w = F.weights([2, 2], [3, 4, 2, 0], scales: [1])
    w.quantization?.zeroPoints = [2]
    let out = try F.run(
      .fullyConnected(FullyConnectedOptions()),
      [F.int8([1, 2], [5, -1], zeroPoint: 1), w, F.int32Bias([10, -10])],
      output: F.output([1, 2], .int8))
    // unit 0: (1)(4) + (2)(−2) + 10 = 10; unit 1: (0)(4) + (−2)(−2) − 10 = −6.
    #expect(F.int8Values(out) == [10, -6])
  }

  @Test func keepNumDimsOnlyChangesTheShape() throws {
    let x = F.smallIntegers(2 * 3 * 4, seed: 9)
    let w = F.smallIntegers(5 * 4, seed: 10)
    let bias = F.smallIntegers(5, seed: 11)
    let inputs = [F.float([2, 3, 4], x), F.float([5, 4], w, name: "w"), F.float([5], bias, name: "b")]
    let kept = try F.run(
      .fullyConnected(FullyConnectedOptions(keepNumDims: true)), inputs, output: F.output([2, 3, 5], .float32))
    let flat = try F.run(
      .fullyConnected(FullyConnectedOptions(keepNumDims: false)), inputs, output: F.output([6, 5], .float32))
    var expected: [Float] = []
    for r in 0..<6 {
      for u in 0..<5 {
        var s: Float = 0
        for d in 0..<4 { s += x[r * 4 + d] * w[u * 4 + d] }
        expected.append(s + bias[u])
      }
    }
    #expect(kept.shape == [2, 3, 5] && flat.shape == [6, 5])
    #expect(F.floatValues(kept) == expected && F.floatValues(flat) == expected)
  }

  @Test func int16x8WithInt64Bias() throws {
    // scale 1e-3 · 1e-3 / 1 = 1e-6; bias 3e9 needs the 64-bit accumulator: 3e9 · 1e-6 = 3000.
    let out = try F.run(
      .fullyConnected(FullyConnectedOptions(activation: .relu)),
      [
        F.int16([2, 1], [500, -500], scale: 1e-3), F.weights([1, 1], [2], scales: [1e-3]),
        F.int64Bias([3_000_000_000]),
      ],
      output: F.output([2, 1], .int16, scale: 1))
    let eff = Double(Float(1e-3)) * Double(Float(1e-3)) / 1
    let expected = [Int64(1000), -1000].map {
      Int16((Double($0 + 3_000_000_000) * eff).rounded(.toNearestOrAwayFromZero))
    }
    #expect(F.int16Values(out) == expected)
    #expect(expected == [3000, 3000])
  }

  @Test func runTimeSizedOutputTakesTheComputedShape() throws {
    // The file stores a placeholder [1, 2] for an output whose batch is only known at run time.
    var output = F.output([1, 2], .float32)
    output.shapeSignature = [-1, 2]
    let out = try F.run(
      .fullyConnected(FullyConnectedOptions()),
      [F.float([3, 2], [1, 2, 3, 4, 5, 6]), F.float([2, 2], [1, 0, 0, 1], name: "w"), nil], output: output)
    #expect(out.shape == [3, 2])
    #expect(F.floatValues(out) == [1, 2, 3, 4, 5, 6])
  }

  @Test func rejectsMismatchedOutput() {
    #expect(throws: GoldenModelError.self) {
      _ = try F.run(
        .fullyConnected(FullyConnectedOptions()),
        [F.int8([2, 3], [1, 2, 3, 4, 5, 6]), F.weights([4, 3], [Int8](repeating: 1, count: 12), scales: [1]), nil],
        output: F.output([2, 5], .int8))
    }
  }
}

@Suite("BATCH_MATMUL")
struct BatchMatMulKernelTests {
  typealias F = MatrixFixtures

  /// out[n, i, j] = Σ_k X[n, i, k] · Y[n, k, j] with adjoints and broadcast batch dimensions.
  func naive(_ x: [Float], _ xs: [Int], _ y: [Float], _ ys: [Int], adjX: Bool, adjY: Bool, out: [Int]) -> [Float] {
    let rank = out.count
    let batchShape = Array(out.dropLast(2))
    let rows = out[rank - 2]
    let cols = out[rank - 1]
    let depth = adjX ? xs[xs.count - 2] : xs[xs.count - 1]
    func offset(_ index: [Int], _ shape: [Int]) -> Int {
      let dims = Array(shape.dropLast(2))
      let padded = [Int](repeating: 1, count: index.count - dims.count) + dims
      var off = 0
      for (i, d) in zip(index, padded) { off = off * d + (d == 1 ? 0 : i) }
      return off * shape[shape.count - 1] * shape[shape.count - 2]
    }
    var result: [Float] = []
    let batches = batchShape.reduce(1, *)
    for n in 0..<batches {
      var index: [Int] = []
      var rem = n
      for d in batchShape.reversed() {
        index.insert(rem % d, at: 0)
        rem /= d
      }
      let xo = offset(index, xs)
      let yo = offset(index, ys)
      for i in 0..<rows {
        for j in 0..<cols {
          var s: Float = 0
          for k in 0..<depth {
            let a = adjX ? x[xo + k * rows + i] : x[xo + i * depth + k]
            let b = adjY ? y[yo + j * depth + k] : y[yo + k * cols + j]
            s += a * b
          }
          result.append(s)
        }
      }
    }
    return result
  }

  @Test(arguments: [
    (x: [2, 3, 4], y: [2, 4, 5], adjX: false, adjY: false, out: [2, 3, 5]),
    (x: [2, 4, 3], y: [2, 4, 5], adjX: true, adjY: false, out: [2, 3, 5]),
    (x: [2, 3, 4], y: [2, 5, 4], adjX: false, adjY: true, out: [2, 3, 5]),
    (x: [4, 3], y: [1, 5, 4], adjX: true, adjY: true, out: [1, 3, 5]),
    (x: [2, 1, 3, 4], y: [1, 3, 4, 2], adjX: false, adjY: false, out: [2, 3, 3, 2]),  // batch broadcast
    (x: [3, 2, 3, 4], y: [4, 2], adjX: false, adjY: false, out: [3, 2, 3, 2]),  // rank broadcast
  ])
  func floatMatchesNaiveLoops(_ p: (x: [Int], y: [Int], adjX: Bool, adjY: Bool, out: [Int])) throws {
    let x = F.smallIntegers(p.x.reduce(1, *), seed: 12)
    let y = F.smallIntegers(p.y.reduce(1, *), seed: 13)
    let out = try F.run(
      .batchMatMul(adjointX: p.adjX, adjointY: p.adjY), [F.float(p.x, x), F.float(p.y, y, name: "y")],
      output: F.output(p.out, .float32))
    #expect(F.floatValues(out) == naive(x, p.x, y, p.y, adjX: p.adjX, adjY: p.adjY, out: p.out))
  }

  @Test func int8ZeroPointsAndFloatProductMultiplier() throws {
    // Broadcast [2,1,2,3] × [3,2] with zero points −3 (x), 2 (y), 5 (output).
    let xs = F.smallIntegers(12, seed: 14, range: -40...40).map { Int8($0) }
    let ys = F.smallIntegers(6, seed: 15, range: -40...40).map { Int8($0) }
    let (sx, sy, so): (Float, Float, Float) = (0.05, 0.02, 0.01)
    let out = try F.run(
      .batchMatMul(adjointX: false, adjointY: false),
      [F.int8([2, 1, 2, 3], xs, scale: sx, zeroPoint: -3), F.int8([3, 2], ys, scale: sy, zeroPoint: 2, name: "y")],
      output: F.output([2, 1, 2, 2], .int8, scale: so, zeroPoint: 5))
    // The multiplier comes from the float product of the input scales, widened to double.
    let m = FixedPoint.quantizeMultiplier(Double(sx * sy) / Double(so))
    var expected: [Int8] = []
    for n in 0..<2 {
      for i in 0..<2 {
        for j in 0..<2 {
          var acc: Int32 = 0
          for k in 0..<3 { acc += (Int32(xs[n * 6 + i * 3 + k]) + 3) * (Int32(ys[k * 2 + j]) - 2) }
          let r = FixedPoint.multiplyByQuantizedMultiplier(acc, m.multiplier, m.shift) + 5
          expected.append(Int8(clamping: r))
        }
      }
    }
    #expect(F.int8Values(out) == expected)
  }

  @Test func int8ToInt32IgnoresZeroPoints() throws {
    let out = try F.run(
      .batchMatMul(adjointX: false, adjointY: false),
      [F.int8([1, 2], [3, -4], zeroPoint: 7), F.int8([2, 1], [5, 6], zeroPoint: -1, name: "y")],
      output: Tensor(name: "y", shape: [1, 1], elementType: .int32))
    #expect(out.storage == .int32([3 * 5 + -4 * 6]))
  }
}
