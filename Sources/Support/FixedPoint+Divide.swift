// issue 14: vops
/// TFLite's int8 DIV arithmetic on one pair of elements, shared by the golden model's DIV kernel
/// and the vector unit's `vbinary fn=div` (one function, so the two cannot drift apart).
///
/// Semantics re-derived (not copied) from TensorFlow Lite 2.21
/// `kernels/internal/reference/div.h` (`DivElementwise`) and `kernels/internal/common.h`
/// (`CountLeadingSignBits`, `GetReciprocal`, `RoundingDivideByPOT`).
extension FixedPoint {
  /// TFLite `CountLeadingSignBits` as clang builds it: `clz(x) − 1` for x ≥ 0 (31 for 0),
  /// `clz(2·|x| − 1)` for negative x, 0 for `Int32.min`.
  public static func countLeadingSignBits(_ x: Int32) -> Int {
    if x >= 0 { return UInt32(x).leadingZeroBitCount - 1 }
    if x == Int32.min { return 0 }
    return (2 &* UInt32(-x) &- 1).leadingZeroBitCount
  }

  /// gemmlowp's `RoundingDivideByPOT` also for exponents 32…63, which DIV reaches when the
  /// dividend is 0 (headroom 31): the mask `(1 << e) − 1` is computed in 64 bits and truncated
  /// to int32, and the shift count is taken mod 32 as x86-64's `sar` does. This is TFLite's
  /// zero-dividend quirk: `0 / b` can come out one above the output zero point.
  public static func roundingDivideByPOTWide(_ x: Int32, _ exponent: Int) -> Int32 {
    if exponent <= 31 { return roundingDivideByPOT(x, exponent) }
    let mask = Int32(truncatingIfNeeded: (Int64(1) << Int64(exponent)) &- 1)
    let remainder = x & mask
    let threshold = (mask >> 1) + (x < 0 ? 1 : 0)
    return (x >> Int32(exponent & 31)) + (remainder > threshold ? 1 : 0)
  }

  /// The shifts of DIV's output multiplier for which every int8 pair's rescaling exponent lies in
  /// 0...63: a dividend `a = q₁ − z₁` in −255...255 has 23...31 sign bits of headroom `h`, a
  /// divisor in 1...255 a reciprocal shift `e_r` of 0...7, and the exponent is `e_r + h − shift`.
  public static let divideShifts: ClosedRange<Int> = -25...23

  /// One element of TFLite's int8 DIV (`DivElementwise`), before the output zero point and clamp:
  ///
  /// ```swift
  /// if b < 0 { a = -a; b = -b }                  // a = q₁ − z₁, b = q₂ − z₂
  /// let (r, e_r) = GetReciprocal(b, 31)
  /// let h = CountLeadingSignBits(a)
  /// let u = SRDHM(a · 2^h, r)                    // MultiplyByQuantizedMultiplierGreaterThanOne
  /// return RoundingDivideByPOT(SRDHM(u, M), e_r + h − shift)
  /// ```
  ///
  /// `multiplier`, `shift` are `QuantizeMultiplier(s₁ / (s₂ · s_y))`. Returns nil for a zero
  /// divisor (TFLite's kernel errors) or a rescaling exponent outside 0...63 (TFLite's shift is
  /// undefined there).
  public static func quantizedDivide(_ dividend: Int32, by divisor: Int32, multiplier: Int32, shift: Int) -> Int32? {
    guard divisor != 0, divisor != Int32.min, dividend != Int32.min else { return nil }
    var a = dividend
    var b = divisor
    if b < 0 {
      a = -a
      b = -b
    }
    let (reciprocal, reciprocalShift) = FixedPoint.reciprocal(b, integerDigits: 31)
    let headroom = countLeadingSignBits(a)
    let unscaled = multiplyGreaterThanOne(a, reciprocal, headroom)
    let exponent = reciprocalShift + headroom - shift
    guard exponent >= 0 && exponent <= 63 else { return nil }
    return roundingDivideByPOTWide(saturatingRoundingDoublingHighMul(unscaled, multiplier), exponent)
  }
}
