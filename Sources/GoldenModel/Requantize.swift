import GraphIR
import Support

/// Requantization helpers shared by the matrix and pooling kernels, with the exact arithmetic of
/// TensorFlow Lite's reference kernels and of the `Prepare` functions that derive their
/// parameters.
///
/// Sources (semantics re-derived, no code copied): `kernels/kernel_util.cc`
/// (`PopulateConvolutionQuantizationParams`, `GetQuantizedConvolutionMultipler`,
/// `CalculateActivationRangeQuantized`), `kernels/internal/common.cc`
/// (`MultiplyByQuantizedMultiplier`, both the `int32` and the `int64` form),
/// `kernels/internal/reference/integer_ops/fully_connected.h` (requantization in `double`).
/// `docs/quantization.md` states which op uses which helper.
public enum Requantize {
  /// A fixed-point multiplier: `real ≈ multiplier × 2^(shift − 31)` (TFLite `QuantizeMultiplier`).
  public struct Multiplier: Sendable, Hashable {
    /// Q0.31 mantissa in [2^30, 2^31), or 0.
    public var multiplier: Int32
    /// Power-of-two exponent; negative means a right shift.
    public var shift: Int

    /// Creates a multiplier from its parts.
    public init(multiplier: Int32, shift: Int) {
      self.multiplier = multiplier
      self.shift = shift
    }

    /// The multiplier TFLite's `QuantizeMultiplier` derives from `real`.
    public init(real: Double) {
      let (m, s) = FixedPoint.quantizeMultiplier(real)
      self.init(multiplier: m, shift: s)
    }
  }

  /// Per-output-channel multipliers of CONV_2D and DEPTHWISE_CONV_2D (int8 and 16×8).
  ///
  /// TFLite `PopulateConvolutionQuantizationParams`: for each channel `c`,
  /// `Double(inputScale) × Double(filterScale[c]) / Double(outputScale)` (products in `double`),
  /// then `QuantizeMultiplier`. A per-tensor filter scale is broadcast to every channel.
  public static func convolutionMultipliers(
    inputScale: Float, filterScales: [Float], outputScale: Float, channels: Int
  ) -> [Multiplier] {
    (0..<channels).map { c in
      let filterScale = filterScales.count > 1 ? filterScales[c] : filterScales[0]
      return Multiplier(real: Double(inputScale) * Double(filterScale) / Double(outputScale))
    }
  }

  /// The per-tensor multiplier of BATCH_MATMUL (and legacy uint8 kernels).
  ///
  /// TFLite `GetQuantizedConvolutionMultipler`: the product of the two input scales is taken in
  /// `float`, then widened: `Double(Float(a × b)) / Double(outputScale)`.
  public static func productMultiplier(_ scaleA: Float, _ scaleB: Float, outputScale: Float)
    -> Multiplier
  {
    Multiplier(real: Double(scaleA * scaleB) / Double(outputScale))
  }

  /// The real-valued rescale of the FULLY_CONNECTED reference kernel:
  /// `Double(inputScale) × Double(filterScale) / Double(outputScale)`.
  @inlinable
  public static func fullyConnectedScale(inputScale: Float, filterScale: Float, outputScale: Float)
    -> Double
  {
    Double(inputScale) * Double(filterScale) / Double(outputScale)
  }

  /// `static_cast<int32_t>(round(acc × scale))` as the FULLY_CONNECTED reference kernel does it.
  ///
  /// `round` is half away from zero. A result outside the `Int32` range (or NaN) is undefined in
  /// C++; on x86-64 the conversion instruction yields `Int32.min`, which is reproduced here.
  @inlinable
  public static func roundToInt32(_ acc: Int64, scale: Double) -> Int32 {
    let r = (Double(acc) * scale).rounded(.toNearestOrAwayFromZero)
    guard r >= -2_147_483_648.0 && r <= 2_147_483_647.0 else { return Int32.min }
    return Int32(r)
  }

  /// TFLite's `MultiplyByQuantizedMultiplier(int64_t x, multiplier, shift)` (16×8 kernels):
  /// `FixedPoint.multiplyByQuantizedMultiplierWide`, shared with the vector unit (issue 14: prod).
  /// Callers check `shift < 8` first (``checkWideShift(_:_:)``).
  @inlinable
  public static func multiplyByQuantizedMultiplier(_ x: Int64, _ multiplier: Int32, _ shift: Int)
    -> Int32
  {
    FixedPoint.multiplyByQuantizedMultiplierWide(x, multiplier, shift)
  }

  /// Throws unless every shift is in the range the 64-bit `MultiplyByQuantizedMultiplier`
  /// supports (−31...7); TFLite only asserts this.
  static func checkWideShift(_ multipliers: [Multiplier], _ c: KernelContext) throws(GoldenModelError) {
    if let bad = multipliers.first(where: { !FixedPoint.wideShifts.contains($0.shift) }) {
      throw c.unsupported(
        "requantization shift \(bad.shift) outside −31...7 (scale ratio too large for the 16×8 kernel)")
    }
  }

  /// The clamp range of a quantized output with a fused activation
  /// (TFLite `CalculateActivationRangeQuantized`); TANH and SIGN_BIT are rejected.
  static func activationRange(
    _ activation: FusedActivation, output: Tensor, _ c: KernelContext
  ) throws(GoldenModelError) -> ClosedRange<Int32> {
    if activation == .none, let full = output.elementType.integerRange { return full }
    let q = try c.quantization(of: output)
    guard
      let range = activation.quantizedRange(
        scale: q.scale, zeroPoint: q.zeroPoint, type: output.elementType)
    else {
      throw c.unsupported("fused activation \(activation.rawValue) on a \(output.elementType) output")
    }
    guard range.lowerBound <= range.upperBound else {
      throw GoldenModelError(
        .invalidModel, c.location,
        "fused \(activation.rawValue) leaves an empty output range \(range.lowerBound)...\(range.upperBound)")
    }
    return range
  }

  /// The clamp range of a float output (TFLite `CalculateActivationRange`: no activation clamps
  /// to ±`Float.greatestFiniteMagnitude`).
  static func floatActivationRange(_ activation: FusedActivation, _ c: KernelContext)
    throws(GoldenModelError) -> (lower: Float, upper: Float)
  {
    guard let r = activation.floatRange else {
      throw c.unsupported("fused activation \(activation.rawValue) on a float output")
    }
    return r
  }

  /// TFLite's `ActivationFunctionWithMinMax`: `std::min(std::max(x, lower), upper)`, in that
  /// order and with those comparisons (so a NaN input passes through).
  @inlinable
  static func clamp(_ x: Float, _ lower: Float, _ upper: Float) -> Float {
    let a = x < lower ? lower : x
    return upper < a ? upper : a
  }

  /// `min(max(x, lower), upper)` for integer outputs.
  @inlinable
  static func clamp(_ x: Int32, _ range: ClosedRange<Int32>) -> Int32 {
    x < range.lowerBound ? range.lowerBound : (x > range.upperBound ? range.upperBound : x)
  }
}

/// Typed views of kernel operands for the matrix and pooling kernels; each throws an error
/// naming the operator and the operand when the element type is not the expected one.
enum MatrixOperands {
  static func int8(_ v: TensorData, _ role: String, _ c: KernelContext) throws(GoldenModelError) -> [Int8] {
    guard case .int8(let a) = v.storage else { throw mismatch(v, .int8, role, c) }
    return a
  }
  static func uint8(_ v: TensorData, _ role: String, _ c: KernelContext) throws(GoldenModelError) -> [UInt8] {
    guard case .uint8(let a) = v.storage else { throw mismatch(v, .uint8, role, c) }
    return a
  }
  static func int16(_ v: TensorData, _ role: String, _ c: KernelContext) throws(GoldenModelError) -> [Int16] {
    guard case .int16(let a) = v.storage else { throw mismatch(v, .int16, role, c) }
    return a
  }
  static func int32(_ v: TensorData, _ role: String, _ c: KernelContext) throws(GoldenModelError) -> [Int32] {
    guard case .int32(let a) = v.storage else { throw mismatch(v, .int32, role, c) }
    return a
  }
  static func float32(_ v: TensorData, _ role: String, _ c: KernelContext) throws(GoldenModelError) -> [Float] {
    guard case .float32(let a) = v.storage else { throw mismatch(v, .float32, role, c) }
    return a
  }

  /// A bias as 64-bit values, widened from int32 or int64 storage.
  static func wideBias(_ v: TensorData, _ c: KernelContext) throws(GoldenModelError) -> [Int64] {
    switch v.storage {
    case .int32(let a): return a.map(Int64.init)
    case .int64(let a): return a
    default: throw mismatch(v, .int64, "bias", c)
    }
  }

  static func mismatch(_ v: TensorData, _ expected: ElementType, _ role: String, _ c: KernelContext)
    -> GoldenModelError
  {
    GoldenModelError(.invalidModel, c.location, "\(role) is \(v.elementType); expected \(expected)")
  }

  /// Metadata of input `position` with the run-time shape of its value (a run-time-sized
  /// tensor's stored shape is only a placeholder).
  static func input(_ position: Int, _ c: KernelContext) throws(GoldenModelError) -> Tensor {
    var t = try c.inputTensor(position)
    t.shape = try c.value(position).shape
    return t
  }

  /// The value of input `position`, checked to hold `count` elements.
  static func value(_ position: Int, count: Int, _ role: String, _ c: KernelContext) throws(GoldenModelError)
    -> TensorData
  {
    let v = try c.value(position)
    guard v.count == count else {
      throw GoldenModelError(
        .invalidModel, c.location, "\(role) has \(v.count) elements; expected \(count)")
    }
    return v
  }
}
