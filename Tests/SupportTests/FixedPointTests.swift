import Support
import Testing

@Suite struct FixedPointTests {
  /// Exact rational reference: a·b / 2^31 rounded to nearest, ties toward +∞, computed as
  /// floor((a·b + 2^30) / 2^31) with an arithmetic shift (independent of the nudge trick).
  static func reference(_ a: Int32, _ b: Int32) -> Int32 {
    if a == .min && b == .min { return .max }
    let p = Int64(a) * Int64(b)
    return Int32((p + (1 << 30)) >> 31)
  }

  @Test func doublingHighMulMatchesRationalRounding() {
    var rng = SeededGenerator(seed: 1)
    let edges: [Int32] = [.min, .min + 1, -1, 0, 1, .max, 1 << 30, -(1 << 30)]
    for a in edges { for b in edges { #expect(FixedPoint.saturatingRoundingDoublingHighMul(a, b) == Self.reference(a, b)) } }
    for _ in 0..<20_000 {
      let a = Int32(truncatingIfNeeded: rng.next())
      let b = Int32(truncatingIfNeeded: rng.next())
      #expect(FixedPoint.saturatingRoundingDoublingHighMul(a, b) == Self.reference(a, b))
    }
  }

  @Test func roundingDivideRoundsHalfAwayFromZero() {
    for x in Int32(-40)...40 {
      for e in 0...4 {
        let exact = Double(x) / Double(1 << e)
        let want = Int32(exact.rounded(.toNearestOrAwayFromZero))
        #expect(FixedPoint.roundingDivideByPOT(x, e) == want, "x=\(x) e=\(e)")
      }
    }
  }

  @Test func rightShiftRoundsHalfAwayFromZeroAfterTheHighMultiply() {
    // 0.25 = 2^30 / 2^31 · 2^−1: the exact product x/2 is formed first (ties to +∞), then the
    // rounding shift (ties away from zero) — the "double rounding" of TFLite's default build.
    let (m, s) = FixedPoint.quantizeMultiplier(0.25)
    #expect(s == -1)
    #expect(FixedPoint.multiplyByQuantizedMultiplier(-3, m, s) == -1)  // −1.5 → −1, then −0.5 → −1
    #expect(FixedPoint.multiplyByQuantizedMultiplier(3, m, s) == 1)  // 1.5 → 2, then 1.0 → 1
    #expect(FixedPoint.multiplyByQuantizedMultiplier(-2, m, s) == -1)  // −1 exact, then −0.5 → −1
    #expect(FixedPoint.multiplyByQuantizedMultiplier(2, m, s) == 1)
  }

  @Test func quantizeMultiplierReconstructsTheScale() {
    var rng = SeededGenerator(seed: 2)
    for _ in 0..<2_000 {
      let real = Double(rng.next() % 1_000_000 + 1) / 1e6 * pow2(Int(rng.next() % 20) - 10)
      let (m, shift) = FixedPoint.quantizeMultiplier(real)
      #expect(m >= 1 << 30, "multiplier \(m) not normalized for \(real)")
      let back = Double(m) / Double(1 << 31) * pow2(shift)
      #expect(abs(back - real) <= real * 1e-9, "real \(real) → (\(m), \(shift)) → \(back)")
    }
    #expect(FixedPoint.quantizeMultiplier(0) == (0, 0))
    // A fraction that rounds up to 2^31 is halved and the exponent bumped.
    let almostOne = 1.0 - 1e-12
    let (m, s) = FixedPoint.quantizeMultiplier(almostOne)
    #expect(m == 1 << 30 && s == 1)
  }

  @Test func multiplyByQuantizedMultiplierHalfScale() {
    // 0.5 = 2^30 / 2^31 · 2^0: the high multiply alone rounds x · 0.5 with ties toward +∞.
    let (m, s) = FixedPoint.quantizeMultiplier(0.5)
    for x in Int32(-9)...9 {
      let want = Int32((Double(x) * 0.5).rounded(.down) + ((x & 1) != 0 ? 1 : 0))
      #expect(FixedPoint.multiplyByQuantizedMultiplier(x, m, s) == want)
    }
  }
}

private func pow2(_ e: Int) -> Double { e >= 0 ? Double(1 << e) : 1 / Double(1 << -e) }
