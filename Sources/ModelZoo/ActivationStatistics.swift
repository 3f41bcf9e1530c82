import Foundation

/// First and second moments of a tensor's real values per channel (the last axis), over the
/// calibration distribution: uniformly random int8 input codes.
///
/// This is the analytic stand-in for a calibration run (see `docs/model-zoo.md`): every layer
/// of a zoo model derives its output statistics from its input statistics and its weights, and
/// the output's int8 range from those statistics. A single channel means "the same for every
/// channel" (the statistics broadcast).
struct ActivationStatistics: Sendable {
  /// Mean of each channel's real values.
  var mean: [Double]
  /// Variance of each channel's real values (over inputs and positions).
  var variance: [Double]

  /// For the output of a fused RELU/RELU6: the Gaussian pre-activation per channel and the cap
  /// (`nil` for RELU), so that a following max pool can work on the pre-activation.
  var rectifiedFrom: (preActivation: [(mean: Double, variance: Double)], cap: Double?)?

  init(mean: [Double], variance: [Double]) {
    precondition(mean.count == variance.count && !mean.isEmpty, "statistics need one mean and one variance per channel")
    self.mean = mean
    self.variance = variance.map { max($0, 0) }
  }

  /// One channel with the given moments.
  init(mean: Double, variance: Double) {
    self.init(mean: [mean], variance: [variance])
  }

  /// A uniform distribution on `lo...hi` in every channel.
  static func uniform(_ lo: Double, _ hi: Double) -> ActivationStatistics {
    ActivationStatistics(mean: (lo + hi) / 2, variance: (hi - lo) * (hi - lo) / 12)
  }

  /// Number of channels described (1 when the statistics broadcast).
  var channels: Int { mean.count }

  /// The moments of channel `c` (channel 0 when the statistics broadcast).
  func moments(_ c: Int) -> (mean: Double, variance: Double) {
    channels == 1 ? (mean[0], variance[0]) : (mean[c], variance[c])
  }

  /// The moments of the whole tensor: the mixture of all channels.
  var pooled: (mean: Double, variance: Double) {
    let n = Double(channels)
    let m = mean.reduce(0, +) / n
    let second = zip(mean, variance).reduce(0) { $0 + $1.1 + $1.0 * $1.0 } / n
    return (m, max(second - m * m, 0))
  }

  /// Statistics expanded to `count` channels (broadcast ones repeat).
  func expanded(to count: Int) -> ActivationStatistics {
    channels == count
      ? self
      : ActivationStatistics(
        mean: (0..<count).map { moments($0).mean }, variance: (0..<count).map { moments($0).variance })
  }

}

/// A real-valued range that an int8 tensor's quantization must cover.
struct RealRange: Sendable {
  var lower: Double
  var upper: Double

  /// The union of two ranges.
  func union(_ other: RealRange) -> RealRange {
    RealRange(lower: min(lower, other.lower), upper: max(upper, other.upper))
  }

  static let empty = RealRange(lower: .infinity, upper: -.infinity)
}

/// Gaussian helpers for moment propagation.
///
/// Numerical expectations use the trapezoid rule on a grid of standardized points `z` in
/// ±6.4 with step 0.1 (129 points); the integrands are smooth apart from the kinks of
/// RELU/RELU6, which cost well under 0.1 % of a moment.
enum Gaussian {
  static let gridStep = 0.1
  static let gridHalfWidth = 64

  /// Standard normal density.
  static func density(_ z: Double) -> Double { exp(-0.5 * z * z) / (2 * Double.pi).squareRoot() }
  /// Standard normal distribution function.
  static func cdf(_ z: Double) -> Double { 0.5 * erfc(-z / 2.0.squareRoot()) }

  /// `E[max(X − t, 0)]` and `E[max(X − t, 0)²]` for X ~ N(m, v).
  static func rectifiedMoments(mean m: Double, variance v: Double, threshold t: Double) -> (Double, Double) {
    let s = v.squareRoot()
    let d = m - t
    guard s > 1e-12 else { return (max(d, 0), max(d, 0) * max(d, 0)) }
    let z = d / s
    let p = cdf(z)
    let phi = density(z)
    return (d * p + s * phi, (d * d + v) * p + d * s * phi)
  }

  /// Mean and variance of `min(max(X, 0), cap)` for X ~ N(m, v); `cap` nil means unbounded.
  static func clippedMoments(mean m: Double, variance v: Double, cap: Double?) -> (mean: Double, variance: Double) {
    let (e1, e2) = rectifiedMoments(mean: m, variance: v, threshold: 0)
    guard let cap else { return (e1, max(e2 - e1 * e1, 0)) }
    // clip(x) = relu(x) − relu(x − cap);  clip² = relu(x)² − relu(x − cap)² − 2·cap·relu(x − cap).
    let (c1, c2) = rectifiedMoments(mean: m, variance: v, threshold: cap)
    let mean = e1 - c1
    let second = e2 - c2 - 2 * cap * c1
    return (mean, max(second - mean * mean, 0))
  }

  /// Mean and variance of `clip(clip(Z) + G)` for independent Z ~ N(pre) and G ~ N(other),
  /// where `clip` rectifies at 0 and caps at `cap` (or the output cap): the fused-activation ADD
  /// of a rectified shortcut and a linear branch. Integrates over Z on the grid.
  static func rectifiedSumMoments(
    pre: (mean: Double, variance: Double), preCap: Double?, other: (mean: Double, variance: Double), outputCap: Double?
  ) -> (mean: Double, variance: Double) {
    let s = pre.variance.squareRoot()
    var w = 0.0
    var e1 = 0.0
    var e2 = 0.0
    for i in -Self.gridHalfWidth...Self.gridHalfWidth {
      let z = Double(i) * Self.gridStep
      let p = density(z)
      let x = min(max(pre.mean + s * z, 0), preCap ?? .infinity)
      let (m, v) = clippedMoments(mean: x + other.mean, variance: other.variance, cap: outputCap)
      w += p
      e1 += p * m
      e2 += p * (v + m * m)
      if s < 1e-12 { break }
    }
    let mean = e1 / w
    return (mean, max(e2 / w - mean * mean, 0))
  }

  /// The Gaussian N(m, v) whose rectification `max(X, 0)` has mean `mean` and variance
  /// `variance` (moment matching; `mean²/E[x²]` grows monotonically with m/σ, found by bisection).
  static func rectifiedFit(mean: Double, variance: Double) -> (mean: Double, variance: Double) {
    let second = variance + mean * mean
    guard mean > 1e-12, second > 1e-24 else { return (0, max(variance, 1e-12)) }
    let target = mean * mean / second
    func ratio(_ t: Double) -> (Double, Double) {
      let a = t * cdf(t) + density(t)
      let b = (t * t + 1) * cdf(t) + t * density(t)
      return (a * a / b, a)
    }
    var lo = -12.0
    var hi = 12.0
    for _ in 0..<60 {
      let mid = (lo + hi) / 2
      if ratio(mid).0 < target { lo = mid } else { hi = mid }
    }
    let t = (lo + hi) / 2
    let sigma = mean / ratio(t).1
    return (t * sigma, sigma * sigma)
  }

  /// Mean and variance of `f(X)` for X with mean m, variance v, skewness `skew` and excess
  /// kurtosis `kurt`, using the Edgeworth expansion of X's density
  /// `φ(z)·(1 + skew/6·He₃(z) + kurt/24·He₄(z) + skew²/72·He₆(z))` (on the grid).
  ///
  /// Depthwise pre-activations are sums of only k² rectified inputs, far enough from Gaussian
  /// that the plain Gaussian rule misjudges a RELU6's output by several percent per layer.
  static func edgeworthMoments(
    mean m: Double, variance v: Double, skewness skew: Double, excessKurtosis kurt: Double, of f: (Double) -> Double
  ) -> (mean: Double, variance: Double) {
    let s = v.squareRoot()
    guard s > 1e-12 else { return (f(m), 0) }
    var w = 0.0
    var e1 = 0.0
    var e2 = 0.0
    for i in -Self.gridHalfWidth...Self.gridHalfWidth {
      let z = Double(i) * Self.gridStep
      let z2 = z * z
      let he3 = z * z2 - 3 * z
      let he4 = z2 * z2 - 6 * z2 + 3
      let he6 = z2 * z2 * z2 - 15 * z2 * z2 + 45 * z2 - 15
      let p = density(z) * (1 + skew / 6 * he3 + kurt / 24 * he4 + skew * skew / 72 * he6)
      let y = f(m + s * z)
      w += p
      e1 += p * y
      e2 += p * y * y
    }
    let mean = e1 / w
    return (mean, max(e2 / w - mean * mean, 0))
  }

  /// Third and fourth cumulants of `f(X)` for X ~ N(m, v).
  static func higherCumulants(mean m: Double, variance v: Double, of f: (Double) -> Double) -> (k3: Double, k4: Double)
  {
    let s = v.squareRoot()
    guard s > 1e-12 else { return (0, 0) }
    var w = 0.0
    var r = [0.0, 0.0, 0.0, 0.0]
    for i in -Self.gridHalfWidth...Self.gridHalfWidth {
      let z = Double(i) * Self.gridStep
      let p = density(z)
      let y = f(m + s * z)
      w += p
      r[0] += p * y
      r[1] += p * y * y
      r[2] += p * y * y * y
      r[3] += p * y * y * y * y
    }
    let mu = r[0] / w
    let m2 = r[1] / w - mu * mu
    let m3 = r[2] / w - 3 * mu * r[1] / w + 2 * mu * mu * mu
    let m4 = r[3] / w - 4 * mu * r[2] / w + 6 * mu * mu * r[1] / w - 3 * mu * mu * mu * mu
    return (m3, m4 - 3 * m2 * m2)
  }

  /// Mean and variance of `f(X)` for X ~ N(m, v), on the grid.
  static func moments(mean m: Double, variance v: Double, of f: (Double) -> Double) -> (mean: Double, variance: Double)
  {
    let s = v.squareRoot()
    guard s > 1e-12 else { return (f(m), 0) }
    var w = 0.0
    var e1 = 0.0
    var e2 = 0.0
    for i in -Self.gridHalfWidth...Self.gridHalfWidth {
      let z = Double(i) * Self.gridStep
      let p = density(z)
      let y = f(m + s * z)
      w += p
      e1 += p * y
      e2 += p * y * y
    }
    let mean = e1 / w
    return (mean, max(e2 / w - mean * mean, 0))
  }

  /// The range of `f` over `lo...hi`, sampled at 257 points (for non-monotonic `f`).
  static func range(of f: (Double) -> Double, over lo: Double, _ hi: Double) -> RealRange {
    var r = RealRange.empty
    for i in 0...256 {
      let y = f(lo + (hi - lo) * Double(i) / 256)
      r = RealRange(lower: min(r.lower, y), upper: max(r.upper, y))
    }
    return r
  }

  /// Mean and variance of `f(max(X₁…Xₙ))` for `n` independent draws of N(m, v) (on the grid;
  /// the maximum has density `n·φ(z)·Φ(z)^(n−1)`).
  static func maximumMoments(
    mean m: Double, variance v: Double, count n: Int, of f: (Double) -> Double = { $0 }
  ) -> (mean: Double, variance: Double) {
    let s = v.squareRoot()
    guard s > 1e-12 else { return (f(m), 0) }
    var w = 0.0
    var e1 = 0.0
    var e2 = 0.0
    for i in -Self.gridHalfWidth...Self.gridHalfWidth {
      let z = Double(i) * Self.gridStep
      let p = Double(n) * density(z) * pow(cdf(z), Double(n - 1))
      let y = f(m + s * z)
      w += p
      e1 += p * y
      e2 += p * y * y
    }
    let mean = e1 / w
    return (mean, max(e2 / w - mean * mean, 0))
  }
}
