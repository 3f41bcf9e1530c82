import GraphIR
import Support

/// The formulas that turn a real range into quantization parameters, and values into integers.
///
/// `real = scale × (q − zeroPoint)` (TFLite `quantization_spec.md`).
public enum AffineQuantization {
  /// Asymmetric parameters for `[min, max]` over the integers `range`.
  ///
  /// The range is first widened to contain 0 (so that real zero is exactly representable, as
  /// zero padding needs), then `scale = (max − min) / (qmax − qmin)` in double precision and the
  /// zero point is "nudged" to an integer: it is computed from whichever end, `qmin − min/scale`
  /// or `qmax − max/scale`, adds the smaller rounding error, rounded half away from zero and
  /// clamped to the range. This is gemmlowp's and MLIR's `getNudgedScaleAndZeroPoint` (used by
  /// TensorFlow's converter). An empty range (`min = max = 0`) gets scale 1, zero point 0 for
  /// signed types and `qmin` for unsigned ones. The scale is returned as the `Float` the file stores.
  public static func asymmetric(min: Double, max: Double, range: ClosedRange<Int64>) -> QuantizationParameters {
    let lo = Swift.min(min, 0)
    let hi = Swift.max(max, 0)
    let qmin = Double(range.lowerBound)
    let qmax = Double(range.upperBound)
    guard hi > lo, (hi - lo).isFinite else {
      return QuantizationParameters(scale: 1, zeroPoint: range.contains(0) ? 0 : range.lowerBound)
    }
    let scale = (hi - lo) / (qmax - qmin)
    let fromMin = qmin - lo / scale
    let fromMax = qmax - hi / scale
    let errorFromMin = abs(qmin) + abs(lo / scale)
    let errorFromMax = abs(qmax) + abs(hi / scale)
    let zeroPoint = errorFromMin < errorFromMax ? fromMin : fromMax
    let nudged: Int64 =
      zeroPoint < qmin
      ? range.lowerBound : zeroPoint > qmax ? range.upperBound : Int64(zeroPoint.rounded(.toNearestOrAwayFromZero))
    return QuantizationParameters(scale: positiveScale(scale), zeroPoint: nudged)
  }

  /// Symmetric parameters, zero point 0: `scale = max(|min|, |max|) / qmax`.
  ///
  /// Used for int16 activations (`qmax` = 32767) and for weights (127, or 7 for int4). An
  /// all-zero range gets scale 1.
  public static func symmetric(maxAbs: Double, qmax: Int64) -> QuantizationParameters {
    guard maxAbs > 0, maxAbs.isFinite else { return QuantizationParameters(scale: 1, zeroPoint: 0) }
    return QuantizationParameters(scale: positiveScale(maxAbs / Double(qmax)), zeroPoint: 0)
  }

  /// Parameters of an activation of precision `precision` over `[min, max]`: asymmetric for
  /// int8 and uint8, symmetric (zero point 0) for int16; `nil` for float32.
  public static func activation(min: Double, max: Double, precision: ActivationPrecision) -> QuantizationParameters? {
    switch precision {
    case .float32: nil
    case .int8: asymmetric(min: min, max: max, range: -128...127)
    case .uint8: asymmetric(min: min, max: max, range: 0...255)
    case .int16: symmetric(maxAbs: Swift.max(abs(min), abs(max)), qmax: 32767)
    }
  }

  /// `clamp(round(x / scale) + zeroPoint)`, the division in `Float` and rounding half away
  /// from zero: what TFLite's QUANTIZE does and what callers of an int8 model do to its inputs.
  public static func quantize(_ x: Float, scale: Float, zeroPoint: Int64, range: ClosedRange<Int64>) -> Int64 {
    let q = (x / scale).rounded(.toNearestOrAwayFromZero)
    guard q.isFinite else { return q > 0 ? range.upperBound : range.lowerBound }
    let clamped = Swift.min(
      Swift.max(Double(q) + Double(zeroPoint), Double(range.lowerBound)), Double(range.upperBound))
    return Int64(clamped)
  }

  /// `scale × (q − zeroPoint)` in double precision.
  public static func dequantize(_ q: Int64, scale: Float, zeroPoint: Int64) -> Double {
    Double(scale) * Double(q - zeroPoint)
  }

  /// Quantizes float values to `type` with per-tensor `params` (TFLite's QUANTIZE rule).
  public static func quantize(_ values: [Float], shape: [Int], to type: ElementType, params: QuantizationParameters)
    -> TensorData?
  {
    guard let range = type.integerRange else { return nil }
    let r = Int64(range.lowerBound)...Int64(range.upperBound)
    let q = values.map { quantize($0, scale: params.scale, zeroPoint: params.zeroPoint, range: r) }
    return tensorData(q, shape: shape, type: type)
  }

  /// Real values of a quantized tensor (per tensor or per channel); float tensors pass through.
  public static func dequantize(_ data: TensorData, params: QuantizationParameters?) -> [Double] {
    let ints: [Int64]
    switch data.storage {
    case .float32(let v): return v.map(Double.init)
    case .bool(let v): return v.map { $0 ? 1 : 0 }
    case .int8(let v): ints = v.map(Int64.init)
    case .uint8(let v): ints = v.map(Int64.init)
    case .int16(let v): ints = v.map(Int64.init)
    case .int32(let v): ints = v.map(Int64.init)
    case .int64(let v): ints = v
    }
    guard let params, !params.scales.isEmpty else { return ints.map(Double.init) }
    if !params.isPerChannel {
      return ints.map { dequantize($0, scale: params.scale, zeroPoint: params.zeroPoint) }
    }
    let layout = ChannelLayout(shape: data.shape, axis: params.quantizedDimension)
    return ints.indices.map { i in
      let c = layout?.channel(of: i) ?? 0
      let zp = c < params.zeroPoints.count ? params.zeroPoints[c] : 0
      return dequantize(ints[i], scale: params.scales[Swift.min(c, params.scales.count - 1)], zeroPoint: zp)
    }
  }

  /// Integer values as a tensor of `type` (values must already lie in its range).
  static func tensorData(_ values: [Int64], shape: [Int], type: ElementType) -> TensorData? {
    let storage: TensorData.Storage
    switch type {
    case .int8: storage = .int8(values.map { Int8(clamping: $0) })
    case .uint8: storage = .uint8(values.map { UInt8(clamping: $0) })
    case .int16: storage = .int16(values.map { Int16(clamping: $0) })
    case .int32: storage = .int32(values.map { Int32(clamping: $0) })
    case .int64: storage = .int64(values)
    default: return nil
    }
    return TensorData(shape: shape, storage: storage)
  }

  /// A scale as the `Float` the file stores, never 0 or subnormal-rounded to 0.
  static func positiveScale(_ s: Double) -> Float {
    let f = Float(s)
    return f > 0 && f.isFinite ? f : Float.leastNormalMagnitude
  }
}
