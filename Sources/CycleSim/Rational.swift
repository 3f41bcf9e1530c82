/// A positive rational number `numerator / denominator`, for bandwidths in bytes per cycle.
///
/// DRAM bandwidth per cycle (`dram.gbps × 1000 / clock.mhz`) is rarely an integer (TPU v1:
/// 34 GB/s at 700 MHz = 340/7 B/cycle). Keeping it exact lets the DRAM model compute transfer
/// times with integer arithmetic, so a lone transfer of B bytes takes exactly
/// `⌈B · denominator / numerator⌉` cycles and results never depend on floating-point rounding.
struct Rational: Hashable, Sendable, CustomStringConvertible {
  /// The numerator (> 0).
  var numerator: Int64
  /// The denominator (> 0).
  var denominator: Int64

  init(_ numerator: Int64, _ denominator: Int64 = 1) {
    precondition(numerator > 0 && denominator > 0, "rational \(numerator)/\(denominator) must be positive")
    let g = gcd(numerator, denominator)
    self.numerator = numerator / g
    self.denominator = denominator / g
  }

  /// The best rational approximation of `x` with a denominator ≤ `maximumDenominator`
  /// (continued fractions), or nil for a value that is not finite and positive or too large.
  ///
  /// Bandwidth parameters are short decimals (`0.4`, `15.75`, `34`) over clocks in MHz, so the
  /// exact value always has a small denominator and this recovers it despite binary rounding.
  static func approximating(_ x: Double, maximumDenominator: Int64 = 1_000_000) -> Rational? {
    guard x.isFinite, x > 0, x < 1e12 else { return nil }
    // Convergents h/k of the continued fraction of x.
    var (h0, h1): (Int64, Int64) = (0, 1)
    var (k0, k1): (Int64, Int64) = (1, 0)
    var rest = x
    for _ in 0..<64 {
      let a = rest.rounded(.down)
      guard a < 1e12 else { break }
      let ai = Int64(a)
      let (h2, k2) = (ai &* h1 &+ h0, ai &* k1 &+ k0)
      if k2 > maximumDenominator || k2 <= 0 || h2 <= 0 && ai > 0 { break }
      (h0, h1, k0, k1) = (h1, h2, k1, k2)
      let fraction = rest - a
      if fraction < 1e-12 * max(1, x) { break }
      rest = 1 / fraction
      if abs(Double(h1) / Double(k1) - x) <= 1e-12 * x { break }
    }
    guard h1 > 0, k1 > 0 else { return nil }
    return Rational(h1, k1)
  }

  var doubleValue: Double { Double(numerator) / Double(denominator) }

  /// `n/d`, or `n` when the denominator is 1.
  var description: String { denominator == 1 ? "\(numerator)" : "\(numerator)/\(denominator)" }
}

/// The greatest common divisor of two non-negative integers.
func gcd(_ a: Int64, _ b: Int64) -> Int64 {
  var (x, y) = (a, b)
  while y != 0 { (x, y) = (y, x % y) }
  return x
}

/// `⌈a / b⌉` for `a ≥ 0`, `b > 0`.
@inline(__always)
func ceilDiv(_ a: Int64, _ b: Int64) -> Int64 {
  a == 0 ? 0 : (a - 1) / b + 1
}

/// `⌈x⌉` of a non-negative double as an `Int64`, saturating; 0 for NaN or negative input.
func ceilToInt64(_ x: Double) -> Int64 {
  guard x.isFinite else { return x > 0 ? Int64.max / 4 : 0 }
  if x <= 0 { return 0 }
  let c = x.rounded(.up)
  return c >= Double(Int64.max / 4) ? Int64.max / 4 : Int64(c)
}
