import GraphIR
import Support
import TileISA

/// The parameter derivations of TensorFlow Lite's `Prepare` functions, re-derived (no code
/// copied) so the compiler computes exactly the multipliers the reference kernels use; the
/// golden model derives the same numbers independently and the functional tests compare them.
///
/// Sources: `kernels/kernel_util.cc` (`PopulateConvolutionQuantizationParams`,
/// `GetQuantizedConvolutionMultipler`, `CalculateActivationRangeQuantized`), `kernels/add.cc`,
/// `kernels/sub.cc`, `kernels/mul.cc`, `kernels/activations.cc` (`ReluPrepare`, `SoftmaxPrepare`),
/// `kernels/quantize.cc`, and TF 2.21's `reference/integer_ops/fully_connected.h` (requantization
/// in double). `docs/compiler.md` §"Epilogues" lists which op uses which.
enum TFLiteQuantization {
  /// `QuantizeMultiplier(real)` as (Q0.31 multiplier, shift).
  static func multiplier(_ real: Double) -> (multiplier: Int32, shift: Int)? {
    guard real.isFinite, real >= 0 else { return nil }
    return FixedPoint.quantizeMultiplier(real)
  }

  /// CONV_2D / DEPTHWISE_CONV_2D, per channel: `Double(in) · Double(filter) / Double(out)`.
  static func convolution(inputScale: Float, filterScale: Float, outputScale: Float) -> (multiplier: Int32, shift: Int)?
  {
    multiplier(Double(inputScale) * Double(filterScale) / Double(outputScale))
  }

  /// FULLY_CONNECTED (TF 2.21 reference): the double scale `Double(in) · Double(filter) / Double(out)`.
  static func fullyConnectedScale(inputScale: Float, filterScale: Float, outputScale: Float) -> Double {
    Double(inputScale) * Double(filterScale) / Double(outputScale)
  }

  /// BATCH_MATMUL: the product of the input scales in float, widened, over the output scale.
  static func product(_ a: Float, _ b: Float, outputScale: Float) -> (multiplier: Int32, shift: Int)? {
    multiplier(Double(a * b) / Double(outputScale))
  }

  /// `QuantizeMultiplierSmallerThanOneExp`: nil unless `real < 1` (so the shift is ≤ 0).
  static func smallerThanOne(_ real: Double) -> (multiplier: Int32, shift: Int)? {
    guard real < 1, let m = multiplier(real), m.shift <= 0 else { return nil }
    return m
  }

  /// ADD and SUB int8 (`add.cc` / `sub.cc` Prepare, general path, left shift 20); nil when TFLite
  /// would reject the scales (an output multiplier ≥ 1).
  static func add(
    a: (scale: Float, zeroPoint: Int8), b: (scale: Float, zeroPoint: Int8),
    output: (scale: Float, zeroPoint: Int8), clamp: ClosedRange<Int8>
  ) -> AddParameters? {
    let leftShift = 20
    let twiceMax = Double(2 * max(a.scale, b.scale))
    guard let ma = smallerThanOne(Double(a.scale) / twiceMax), let mb = smallerThanOne(Double(b.scale) / twiceMax),
      let mo = smallerThanOne(twiceMax / Double(Float(Int32(1) << Int32(leftShift)) * output.scale))
    else { return nil }
    return AddParameters(
      aZeroPoint: a.zeroPoint, bZeroPoint: b.zeroPoint, outputZeroPoint: output.zeroPoint, leftShift: leftShift,
      aMultiplier: ma.multiplier, aShift: ma.shift, bMultiplier: mb.multiplier, bShift: mb.shift,
      outputMultiplier: mo.multiplier, outputShift: mo.shift, clamp: clamp)
  }

  // issue 14: vector binary/reduce
  /// SQUARED_DIFFERENCE int8 (`squared_difference.cc` Prepare): left shift 7; each input's
  /// multiplier `s_i / (2·max(s_a, s_b))` and the output's `(2·max)² / (2^14 · s_out)` (the
  /// denominator's product in float), all with `QuantizeMultiplierSmallerThanOneExp`; nil when
  /// one is not below one (TFLite rejects it).
  static func squaredDifference(
    a: (scale: Float, zeroPoint: Int8), b: (scale: Float, zeroPoint: Int8),
    output: (scale: Float, zeroPoint: Int8), clamp: ClosedRange<Int8>
  ) -> AddParameters? {
    let leftShift = 7
    let twiceMax = Double(2 * max(a.scale, b.scale))
    guard let ma = smallerThanOne(Double(a.scale) / twiceMax), let mb = smallerThanOne(Double(b.scale) / twiceMax),
      let mo = smallerThanOne(twiceMax * twiceMax / Double(Float(Int32(1) << Int32(2 * leftShift)) * output.scale))
    else { return nil }
    return AddParameters(
      aZeroPoint: a.zeroPoint, bZeroPoint: b.zeroPoint, outputZeroPoint: output.zeroPoint, leftShift: leftShift,
      aMultiplier: ma.multiplier, aShift: ma.shift, bMultiplier: mb.multiplier, bShift: mb.shift,
      outputMultiplier: mo.multiplier, outputShift: mo.shift, clamp: clamp)
  }

  // issue 14: PRELU / L2_NORMALIZATION
  /// PRELU int8 (`prelu.cc` Prepare): `QuantizeMultiplier(Double(s_in / s_out))` for inputs at
  /// or above the zero point and `QuantizeMultiplier(Double(s_in · s_alpha / s_out))` for the
  /// others (both quotients in float); nil when a shift is outside −31...30.
  static func prelu(
    input: (scale: Float, zeroPoint: Int8), alpha: (scale: Float, zeroPoint: Int8),
    output: (scale: Float, zeroPoint: Int8)
  ) -> PreluParameters? {
    guard let m1 = multiplier(Double(input.scale / output.scale)), (-31...30).contains(m1.shift),
      let m2 = multiplier(Double(input.scale * alpha.scale / output.scale)), (-31...30).contains(m2.shift)
    else { return nil }
    return PreluParameters(
      inputZeroPoint: input.zeroPoint, alphaZeroPoint: alpha.zeroPoint, outputZeroPoint: output.zeroPoint,
      positiveMultiplier: m1.multiplier, positiveShift: m1.shift, negativeMultiplier: m2.multiplier,
      negativeShift: m2.shift)
  }

  /// MUL int8 (`mul.cc` Prepare): `QuantizeMultiplier(Double(s_a · s_b / s_out))`, the ratio in
  /// float.
  static func mul(
    a: (scale: Float, zeroPoint: Int8), b: (scale: Float, zeroPoint: Int8),
    output: (scale: Float, zeroPoint: Int8), clamp: ClosedRange<Int8>
  ) -> MulParameters? {
    guard let m = multiplier(Double(a.scale * b.scale / output.scale)), (-31...30).contains(m.shift) else {
      return nil
    }
    return MulParameters(
      aZeroPoint: a.zeroPoint, bZeroPoint: b.zeroPoint, outputZeroPoint: output.zeroPoint,
      outputMultiplier: m.multiplier, outputShift: m.shift, clamp: clamp)
  }

  /// RELU, RELU6, RELU_N1_TO_1 int8 (`ReluPrepare`): rescale by `Double(s_in / s_out)` (float
  /// ratio), clamp to `[q(lower), q(upper)]` with `q(x) = zp + trunc(round(x / s_out))`.
  static func relu(
    input: (scale: Float, zeroPoint: Int8), output: (scale: Float, zeroPoint: Int8), lower: Float, upper: Float?
  ) -> RequantizeParameters? {
    guard let m = multiplier(Double(input.scale / output.scale)), (-31...30).contains(m.shift) else { return nil }
    func bound(_ x: Float) -> Int? {
      let r = (x / output.scale).rounded(.toNearestOrAwayFromZero)
      guard r.isFinite, r > -2_147_483_904, r < 2_147_483_648 else { return nil }
      return Int(output.zeroPoint) + Int(Int32(r))
    }
    guard let lo = bound(lower) else { return nil }
    let low = max(-128, lo)
    var high = 127
    if let upper {
      guard let hi = bound(upper) else { return nil }
      high = min(127, hi)
    }
    guard low <= high else { return nil }
    return RequantizeParameters(
      inputZeroPoint: input.zeroPoint, outputZeroPoint: output.zeroPoint, multiplier: m.multiplier, shift: m.shift,
      clamp: Int8(low)...Int8(high))
  }

  /// QUANTIZE int8 → int8 (`Requantize`): `QuantizeMultiplier(Double(s_in) / Double(s_out))`.
  static func requantize(input: (scale: Float, zeroPoint: Int8), output: (scale: Float, zeroPoint: Int8))
    -> RequantizeParameters?
  {
    guard let m = multiplier(Double(input.scale) / Double(output.scale)), (-31...30).contains(m.shift) else {
      return nil
    }
    return RequantizeParameters(
      inputZeroPoint: input.zeroPoint, outputZeroPoint: output.zeroPoint, multiplier: m.multiplier, shift: m.shift)
  }

  /// MEAN int8 (`reduce.cc`, `reference_ops::QuantizedMeanOrSum`): `QuantizeMultiplier(Double(s_in)
  /// / Double(s_out))` with 1/`count` folded in as the golden model's `meanMultiplier` does —
  /// `k = min(⌊log2 count⌋, 32, 31 + s)`, `M' = Int32((Int64(M) << k) / count)`, `s' = s − k`;
  /// nil when `s'` is outside `vmean`'s −31...30.
  static func mean(
    input: (scale: Float, zeroPoint: Int8), output: (scale: Float, zeroPoint: Int8), count: Int
  ) -> RequantizeParameters? {
    guard count > 0, let m = multiplier(Double(input.scale) / Double(output.scale)) else { return nil }
    let n = Int64(count)
    let k = min(63 - n.leadingZeroBitCount, 32, 31 + m.shift)
    var folded = (multiplier: m.multiplier, shift: m.shift)
    if k >= 0 {
      folded = (Int32(truncatingIfNeeded: (Int64(m.multiplier) << Int64(k)) / n), m.shift - k)
    }
    guard (-31...30).contains(folded.shift) else { return nil }
    return RequantizeParameters(
      inputZeroPoint: input.zeroPoint, outputZeroPoint: output.zeroPoint, multiplier: folded.multiplier,
      shift: folded.shift)
  }

  // issue 14: sum
  /// SUM int8 as TF 2.21's BUILTIN_REF runs it (`reduce.cc` `PrepareMeanOrSum`, the uint8
  /// `QuantizedMeanOrSum` with `compute_sum = true`): `QuantizeMultiplier(Double(s_in) /
  /// Double(s_out))` with no 1/count, and `vmean`'s `unsigned` reading; nil when the shift is
  /// outside −31...30.
  static func sum(input: (scale: Float, zeroPoint: Int8), output: (scale: Float, zeroPoint: Int8))
    -> RequantizeParameters?
  {
    guard let m = multiplier(Double(input.scale) / Double(output.scale)), (-31...30).contains(m.shift) else {
      return nil
    }
    return RequantizeParameters(
      inputZeroPoint: input.zeroPoint, outputZeroPoint: output.zeroPoint, multiplier: m.multiplier, shift: m.shift,
      unsignedBytes: true)
  }

  /// SOFTMAX int8 (`activations.cc` `SoftmaxPrepare`, kReference): the input multiplier
  /// `QuantizeMultiplier(min(Double(β) · Double(s_in) · 2^26, 2^31 − 1))` (5 integer bits for the
  /// scaled difference), whose shift must be 0...31 (TFLite requires a multiplier above one), and
  /// `diff_min = −⌊31 · 2^26 / 2^shift⌋` (`CalculateInputRadius(5, shift, 31)`, in double).
  static func softmax(beta: Float, inputScale: Float) -> SoftmaxParameters? {
    let scaledDiffIntegerBits = 5
    let real = min(
      Double(beta) * Double(inputScale) * Double(1 << (31 - scaledDiffIntegerBits)), Double(Int32.max))
    guard let m = multiplier(real), (0...31).contains(m.shift) else { return nil }
    let radius =
      (Double((1 << scaledDiffIntegerBits) - 1) * Double(Int64(1) << (31 - scaledDiffIntegerBits))
      / Double(Int64(1) << m.shift)).rounded(.down)
    return SoftmaxParameters(inputMultiplier: m.multiplier, inputShift: m.shift, diffMin: Int32(-radius))
  }

  /// The clamp a fused activation implies on an int8 output (`CalculateActivationRangeQuantized`):
  /// RELU `[q(0), 127]`, RELU6 `[q(0), q(6)]`, RELU_N1_TO_1 `[q(−1), q(1)]` with
  /// `q(x) = zp + round(x / scale)`; nil for TANH and SIGN_BIT or an empty range.
  static func activationClamp(_ activation: FusedActivation, scale: Float, zeroPoint: Int8) -> ClosedRange<Int8>? {
    func q(_ x: Float) -> Int {
      let r = Double((x / scale).rounded(.toNearestOrAwayFromZero))
      guard r.isFinite else { return r > 0 ? Int(Int32.max) : Int(Int32.min) }
      return Int(zeroPoint) + Int(max(min(r, 2_147_483_647), -2_147_483_648))
    }
    var lo = -128
    var hi = 127
    switch activation {
    case .none: break
    case .relu: lo = max(lo, q(0))
    case .relu6:
      lo = max(lo, q(0))
      hi = min(hi, q(6))
    case .reluN1To1:
      lo = max(lo, q(-1))
      hi = min(hi, q(1))
    case .tanh, .signBit: return nil
    }
    guard lo <= hi else { return nil }
    return Int8(lo)...Int8(hi)
  }
}

extension Tensor {
  /// Per-tensor scale and int8 zero point, nil when unquantized or the zero point is not int8.
  var int8Affine: (scale: Float, zeroPoint: Int8)? {
    guard let q = quantization, let scale = q.scales.first, let zp = q.zeroPoints.first, scale > 0, scale.isFinite,
      let z = Int8(exactly: zp)
    else { return nil }
    return (scale, z)
  }
}
