// issue 14: prod
/// TFLite's int8/int16 REDUCE_PROD arithmetic on one element, shared by the golden model's
/// REDUCE_PROD kernel and the vector unit's `vreduce fn=prod` (one function, so the two cannot
/// drift apart).
///
/// Semantics re-derived (not copied) from TensorFlow Lite 2.21 `kernels/reduce.cc`
/// (`QuantizedReduceProd`, `GetQuantProdScaling`) and `kernels/internal/common.cc`
/// (`MultiplyByQuantizedMultiplier(int64_t, int32_t, int)`).
extension FixedPoint {
  /// TFLite's `MultiplyByQuantizedMultiplier(int64_t x, multiplier, shift)` (the 16×8 form).
  ///
  /// The Q0.31 multiplier is first rounded to 16 bits, then one rounding shift is applied:
  /// `reduced = multiplier < 0x7FFF_0000 ? (multiplier + 2^15) >> 16 : 0x7FFF`,
  /// `(x · reduced + 2^(14 − shift)) >> (15 − shift)`, truncated to 32 bits. Rounds half up
  /// (toward +∞), unlike the 32-bit form. Callers keep `shift` in ``wideShifts`` first; the
  /// products wrap as the C++ does under its range assumptions.
  @inlinable
  public static func multiplyByQuantizedMultiplierWide(_ x: Int64, _ multiplier: Int32, _ shift: Int) -> Int32 {
    let reduced: Int64 = multiplier < 0x7FFF_0000 ? (Int64(multiplier) + (1 << 15)) >> 16 : 0x7FFF
    let total = 15 - shift
    let rounded = (x &* reduced) &+ (Int64(1) << Int64(total - 1))
    return Int32(truncatingIfNeeded: rounded >> Int64(total))
  }

  /// The shifts the 64-bit `MultiplyByQuantizedMultiplier` supports (TFLite asserts −31...7).
  public static let wideShifts = -31...7

  /// One step of REDUCE_PROD's chain: the running product `p` times the next element's
  /// zero-point-corrected value `v = q − zp_in`, rescaled by the 64-bit multiply.
  @inlinable
  public static func productStep(_ p: Int32, _ v: Int32, multiplier: Int32, shift: Int) -> Int32 {
    multiplyByQuantizedMultiplierWide(Int64(p) * Int64(v), multiplier, shift)
  }

  /// REDUCE_PROD's output: the chain's value `p` rescaled once more, plus `zp_out`, clamped to
  /// `range` (the output type's).
  @inlinable
  public static func productOutput(
    _ p: Int32, multiplier: Int32, shift: Int, outputZeroPoint: Int32, range: ClosedRange<Int32>
  ) -> Int32 {
    let r = multiplyByQuantizedMultiplierWide(Int64(p), multiplier, shift) &+ outputZeroPoint
    return min(max(r, range.lowerBound), range.upperBound)
  }
}
