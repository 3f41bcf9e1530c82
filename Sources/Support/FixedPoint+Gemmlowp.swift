/// gemmlowp's scalar fixed-point functions on raw `Int32` values, shared by the golden model
/// and the vector unit (SOFTMAX's exponential and reciprocal).
///
/// A gemmlowp `FixedPoint<int32, I>` is a raw integer with `31 − I` fractional bits (Q`I`.`31−I`);
/// these functions take and return raw values and name the integer bits where they matter.
/// Semantics re-derived (not copied) from gemmlowp `fixedpoint/fixedpoint.h`
/// (`SaturatingRoundingMultiplyByPOT`, `RoundingHalfSum`, `exp_on_negative_values`,
/// `one_over_one_plus_x_for_x_in_0_1`) and TensorFlow Lite `kernels/internal/common.h`
/// (`GetReciprocal`, `MultiplyByQuantizedMultiplierGreaterThanOne`).
extension FixedPoint {
  /// `SaturatingRoundingMultiplyByPOT<e>` for e > 0: `x · 2^e`, saturating at the `Int32` limits.
  @inlinable
  public static func saturatingLeftShift(_ x: Int32, _ e: Int) -> Int32 {
    let threshold = Int32((1 << (31 - e)) - 1)
    if x > threshold { return Int32.max }
    if x < -threshold { return Int32.min }
    return x << Int32(e)
  }

  /// `SaturatingRoundingMultiplyByPOT<e>` for either sign of `e` (gemmlowp's `Rescale`): a
  /// saturating left shift for e > 0, ``roundingDivideByPOT(_:_:)`` by −e for e < 0.
  @inlinable
  public static func multiplyByPOT(_ x: Int32, _ e: Int) -> Int32 {
    e > 0 ? saturatingLeftShift(x, e) : e < 0 ? roundingDivideByPOT(x, -e) : x
  }

  /// `RoundingHalfSum` (int32): `(a + b) / 2` rounded half away from zero.
  @inlinable
  public static func roundingHalfSum(_ a: Int32, _ b: Int32) -> Int32 {
    let sum = Int64(a) + Int64(b)
    let sign: Int64 = sum >= 0 ? 1 : -1
    return Int32(truncatingIfNeeded: (sum + sign) / 2)
  }

  /// TFLite `MultiplyByQuantizedMultiplierGreaterThanOne(x, multiplier, shift)` (shift ≥ 0):
  /// `SRDHM(x · 2^shift, multiplier)`, the left shift wrapping as the C++ does.
  @inlinable
  public static func multiplyGreaterThanOne(_ x: Int32, _ multiplier: Int32, _ shift: Int) -> Int32 {
    saturatingRoundingDoublingHighMul(x &* Int32(truncatingIfNeeded: Int64(1) << shift), multiplier)
  }

  /// gemmlowp `exp_on_interval_between_negative_one_quarter_and_0_excl`: `exp(a)` for
  /// a ∈ [−1/4, 0), input and result in Q0.31, by the Taylor series around −1/8 to fourth order.
  public static func expOnIntervalBetweenNegativeOneQuarterAnd0Excl(_ a: Int32) -> Int32 {
    let constantTerm: Int32 = 1_895_147_668  // exp(−1/8) in Q0.31
    let oneThird: Int32 = 715_827_883
    let x = a &+ (1 << 28)  // a + 1/8
    let x2 = saturatingRoundingDoublingHighMul(x, x)
    let x3 = saturatingRoundingDoublingHighMul(x2, x)
    let x4 = saturatingRoundingDoublingHighMul(x2, x2)
    let x4Over4 = roundingDivideByPOT(x4, 2)
    let poly = roundingDivideByPOT(saturatingRoundingDoublingHighMul(x4Over4 &+ x3, oneThird) &+ x2, 1)
    return constantTerm &+ saturatingRoundingDoublingHighMul(constantTerm, x &+ poly)
  }

  /// (exponent k, Q0.31 value of exp(−2^k)) for gemmlowp's barrel of multiplications.
  @usableFromInline
  static let expBarrel: [(exponent: Int, multiplier: Int32)] = [
    (-2, 1_672_461_947), (-1, 1_302_514_674), (0, 790_015_084), (1, 290_630_308),
    (2, 39_332_535), (3, 720_401), (4, 242),
  ]

  /// gemmlowp `exp_on_negative_values` for `a ≤ 0` with `integerBits` integer bits; the result
  /// is in Q0.31.
  ///
  /// ```swift
  /// let q = 1/4 in the input format
  /// let r = (a mod q) − q                                      // in [−1/4, 0)
  /// var y = expOnInterval(r · 2^integerBits)                   // exp(r) in Q0.31
  /// for k in −2...4 where integerBits > k and bit k of (r − a) is set { y = SRDHM(y, exp(−2^k)) }
  /// if integerBits > 5 && a < −2^(36 − integerBits) { y = 0 }  // below −32: flush
  /// if a == 0 { y = Int32.max }                                // exp(0) = 1
  /// ```
  public static func expOnNegativeValues(_ a: Int32, integerBits: Int) -> Int32 {
    let fractionalBits = 31 - integerBits
    let oneQuarter = Int32(1) << Int32(fractionalBits - 2)
    let mask = oneQuarter &- 1
    let aModQuarterMinusOneQuarter = (a & mask) &- oneQuarter
    var result = expOnIntervalBetweenNegativeOneQuarterAnd0Excl(
      multiplyByPOT(aModQuarterMinusOneQuarter, integerBits))
    let remainder = aModQuarterMinusOneQuarter &- a
    for (exponent, multiplier) in expBarrel where integerBits > exponent {
      let shift = fractionalBits + exponent
      if remainder & (Int32(1) << Int32(shift)) != 0 {
        result = saturatingRoundingDoublingHighMul(result, multiplier)
      }
    }
    if integerBits > 5 {
      let clamp = -(Int32(1) << Int32(36 - integerBits))
      if a < clamp { result = 0 }
    }
    if a == 0 { result = Int32.max }
    return result
  }

  /// gemmlowp `one_over_one_plus_x_for_x_in_0_1`: `1 / (1 + a)` for a ∈ [0, 1), Q0.31 in and
  /// out, by three Newton–Raphson iterations in Q2.29 from the 48/17 − 32/17·d estimate.
  public static func oneOverOnePlusXForXIn01(_ a: Int32) -> Int32 {
    let halfDenominator = roundingHalfSum(a, Int32.max)
    let c48over17: Int32 = 1_515_870_810  // Q2.29
    let cNeg32over17: Int32 = -1_010_580_540  // Q2.29
    var x = c48over17 &+ saturatingRoundingDoublingHighMul(halfDenominator, cNeg32over17)
    let oneF2: Int32 = 1 << 29
    for _ in 0..<3 {
      let halfDenominatorTimesX = saturatingRoundingDoublingHighMul(halfDenominator, x)
      let oneMinus = oneF2 &- halfDenominatorTimesX
      x = x &+ multiplyByPOT(saturatingRoundingDoublingHighMul(x, oneMinus), 2)
    }
    return multiplyByPOT(x, 1)
  }

  /// TFLite `GetReciprocal(x, integerDigits)`: for `x` with `integerDigits` integer bits, the
  /// reciprocal's Q0.31 mantissa and how many bits `x` has above 1 (`1/x ≈ scale · 2^−bitsOverUnit`).
  ///
  /// ```swift
  /// let h = clz(UInt32(x))                        // headroom plus one
  /// bitsOverUnit = integerDigits − h
  /// scale = oneOverOnePlusX((UInt32(x) << h) − 2^31)   // x normalised to [1, 2), minus 1
  /// ```
  public static func reciprocal(_ x: Int32, integerDigits: Int) -> (scale: Int32, bitsOverUnit: Int) {
    let headroomPlusOne = UInt32(bitPattern: x).leadingZeroBitCount
    let bitsOverUnit = integerDigits - headroomPlusOne
    let shifted = (UInt32(bitPattern: x) << UInt32(headroomPlusOne)) &- (UInt32(1) << 31)
    return (oneOverOnePlusXForXIn01(Int32(bitPattern: shifted)), bitsOverUnit)
  }
}
