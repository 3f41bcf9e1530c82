// issue 14: vops
import Support
import TileISA

/// The issue-14 elementwise operators that moved from the host onto the vector unit: int8 DIV
/// (`vbinary fn=div`); int8 SQRT is a `vlut` table (`isLookupOperator`).
extension TFLiteQuantization {
  /// DIV int8 (`div.cc` Prepare): `QuantizeMultiplier(Double(s_a / (s_b · s_out)))`, the ratio
  /// in float as TFLite computes it. nil when the shift leaves some int8 pair's rescaling
  /// exponent outside 0...63 (`FixedPoint.divideShifts`), where TFLite's shift is undefined.
  static func divide(
    a: (scale: Float, zeroPoint: Int8), b: (scale: Float, zeroPoint: Int8),
    output: (scale: Float, zeroPoint: Int8), clamp: ClosedRange<Int8>
  ) -> DivideParameters? {
    guard let m = multiplier(Double(a.scale / (b.scale * output.scale))), FixedPoint.divideShifts.contains(m.shift)
    else { return nil }
    return DivideParameters(
      aZeroPoint: a.zeroPoint, bZeroPoint: b.zeroPoint, outputZeroPoint: output.zeroPoint, multiplier: m.multiplier,
      shift: m.shift, clamp: clamp)
  }
}
