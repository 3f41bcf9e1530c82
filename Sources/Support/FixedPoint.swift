/// Fixed-point helpers with the exact rounding of TensorFlow Lite's integer kernels.
///
/// Sources (semantics re-derived here, no code copied):
/// - gemmlowp `fixedpoint/fixedpoint.h`: `SaturatingRoundingDoublingHighMul`,
///   `RoundingDivideByPOT`.
/// - TensorFlow Lite `kernels/internal/common.h` / `common.cc`: `MultiplyByQuantizedMultiplier`
///   (double-rounding form, the default build without `TFLITE_SINGLE_ROUNDING`).
/// - TensorFlow Lite `kernels/internal/quantization_util.cc`: `QuantizeMultiplier`.
/// `docs/quantization.md` states which op uses which helper.
public enum FixedPoint {
  /// `floor((a × b + 2^30) / 2^31)`: a × b / 2^31 rounded to nearest with ties toward +∞,
  /// saturating the one overflow case (gemmlowp's nudge `1 − 2^30` for negative products plus
  /// C++'s truncating division make −0.5 round to 0, not −1: this is *not* half-away-from-zero).
  ///
  /// ```swift
  /// if a == b == Int32.min { return Int32.max }
  /// let ab = Int64(a) * Int64(b)
  /// let nudge = ab >= 0 ? 1 << 30 : 1 - (1 << 30)
  /// return Int32((ab + nudge) / (1 << 31))   // division truncates toward zero
  /// ```
  @inlinable
  public static func saturatingRoundingDoublingHighMul(_ a: Int32, _ b: Int32) -> Int32 {
    if a == Int32.min && b == Int32.min { return Int32.max }
    let ab = Int64(a) * Int64(b)
    let nudge: Int64 = ab >= 0 ? (1 << 30) : (1 - (1 << 30))
    return Int32(truncatingIfNeeded: (ab + nudge) / (1 << 31))
  }

  /// `x / 2^exponent`, rounding half away from zero (0 ≤ exponent ≤ 31).
  @inlinable
  public static func roundingDivideByPOT(_ x: Int32, _ exponent: Int) -> Int32 {
    precondition(exponent >= 0 && exponent <= 31, "rounding shift \(exponent) out of 0...31")
    let mask: Int32 = Int32(truncatingIfNeeded: (Int64(1) << exponent) - 1)
    let remainder = x & mask
    let threshold = (mask >> 1) + (x < 0 ? 1 : 0)
    return (x >> Int32(exponent)) + (remainder > threshold ? 1 : 0)
  }

  /// TFLite's `MultiplyByQuantizedMultiplier(x, multiplier, shift)`, double-rounding form.
  ///
  /// A positive `shift` multiplies by `2^shift` before the high multiply (wrapping, as the C++
  /// does); a negative one is a rounding right shift after it.
  @inlinable
  public static func multiplyByQuantizedMultiplier(_ x: Int32, _ multiplier: Int32, _ shift: Int)
    -> Int32
  {
    let leftShift = shift > 0 ? shift : 0
    let rightShift = shift > 0 ? 0 : -shift
    let shifted = x &* Int32(truncatingIfNeeded: Int64(1) << leftShift)
    return roundingDivideByPOT(saturatingRoundingDoublingHighMul(shifted, multiplier), rightShift)
  }

  /// TFLite's `QuantizeMultiplier`: `real ≈ multiplier × 2^(shift − 31)`, multiplier in Q0.31.
  ///
  /// `frexp` splits `real` into a fraction in [0.5, 1) and an exponent; the fraction is rounded
  /// half away from zero to 31 bits. A fraction that rounds up to 2^31 is halved and the exponent
  /// bumped; an exponent below −31 flushes to zero.
  public static func quantizeMultiplier(_ real: Double) -> (multiplier: Int32, shift: Int) {
    if real == 0 { return (0, 0) }
    let (fraction, exponent) = frexpParts(real)
    var shift = exponent
    var q = (fraction * Double(Int64(1) << 31)).rounded(.toNearestOrAwayFromZero)
    precondition(q <= Double(Int64(1) << 31), "quantized multiplier overflow for \(real)")
    if q == Double(Int64(1) << 31) {
      q /= 2
      shift += 1
    }
    if shift < -31 {
      shift = 0
      q = 0
    }
    return (Int32(q), shift)
  }

  /// `frexp`: `x = fraction × 2^exponent` with |fraction| in [0.5, 1).
  public static func frexpParts(_ x: Double) -> (fraction: Double, exponent: Int) {
    if x == 0 || !x.isFinite { return (x, 0) }
    let e = Int(x.exponent) + 1
    return (x.significand * (x.sign == .minus ? -1 : 1) / 2, e)
  }

  /// Rounds half away from zero, as C's `round`/`std::round` does.
  @inlinable
  public static func roundHalfAwayFromZero(_ x: Double) -> Double {
    x.rounded(.toNearestOrAwayFromZero)
  }
}
