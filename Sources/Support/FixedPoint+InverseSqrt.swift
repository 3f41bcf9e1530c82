// issue 14: PRELU / L2_NORMALIZATION

extension FixedPoint {
  /// TFLite's `GetInvSqrtQuantizedMultiplierExp(input, reverse_shift)` (`kernels/internal/common.h`):
  /// 1/√input as a Q0.31 multiplier and a shift, by five Newton–Raphson steps in Q3.28.
  ///
  /// Shared by the golden model's L2_NORMALIZATION and RSQRT kernels and by `vl2norm`, so the
  /// instruction and the reference take the same steps. An input ≤ 1 gives `(Int32.max, 0)`.
  public static func inverseSqrtMultiplier(_ input: Int32, reverseShift: Int) -> (multiplier: Int32, shift: Int) {
    if input <= 1 { return (Int32.max, 0) }
    var value = input
    var outputShift = 11
    while value >= (1 << 29) {
      value /= 4
      outputShift += 1
    }
    let maxLeftShiftBits = UInt32(bitPattern: value).leadingZeroBitCount - 1
    let leftShiftBitPairs = maxLeftShiftBits / 2 - 1
    outputShift -= leftShiftBitPairs
    value <<= Int32(2 * leftShiftBitPairs)
    let fixedInput = value >> 1  // Q3.28
    let halfInput = roundingDivideByPOT(fixedInput, 1)
    let halfThree: Int32 = (1 << 28) + (1 << 27)  // 1.5 in Q3.28
    var x: Int32 = 1 << 28  // 1.0 in Q3.28
    for _ in 0..<5 {
      let x3 = multiplyByPOT(
        saturatingRoundingDoublingHighMul(saturatingRoundingDoublingHighMul(x, x), x), 6)  // Q9.22 → Q3.28
      x = multiplyByPOT(
        saturatingRoundingDoublingHighMul(halfThree, x) &- saturatingRoundingDoublingHighMul(halfInput, x3), 3)  // Q6.25 → Q3.28
    }
    let halfSqrt2: Int32 = 1_518_500_250  // √2/2 in Q0.31
    var inverse = saturatingRoundingDoublingHighMul(x, halfSqrt2)
    if outputShift < 0 {
      inverse <<= Int32(-outputShift)
      outputShift = 0
    }
    return (inverse, outputShift * reverseShift)
  }
}
