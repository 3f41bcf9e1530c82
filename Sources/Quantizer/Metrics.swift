import Foundation

/// Error measures between a reference signal and an approximation of it.
public enum Metrics {
  /// Signal-to-quantization-noise ratio in dB: `10 · log10(Σ s² / Σ (s − a)²)`.
  ///
  /// `+∞` when the approximation is exact (and the signal non-zero), `−∞` when the signal is
  /// all zeros but the approximation is not, `nan` for empty or mismatched inputs.
  public static func sqnr(signal: [Double], approximation: [Double]) -> Double {
    var a = SQNRAccumulator()
    a.add(signal: signal, approximation: approximation)
    return a.decibels
  }

  /// Cosine similarity `s·a / (|s| |a|)`; 1 when both are all zeros.
  public static func cosineSimilarity(_ s: [Double], _ a: [Double]) -> Double {
    guard s.count == a.count, !s.isEmpty else { return .nan }
    var dot = 0.0
    var ns = 0.0
    var na = 0.0
    for i in s.indices {
      dot += s[i] * a[i]
      ns += s[i] * s[i]
      na += a[i] * a[i]
    }
    if ns == 0 && na == 0 { return 1 }
    if ns == 0 || na == 0 { return 0 }
    return dot / (ns.squareRoot() * na.squareRoot())
  }

  /// The largest `|s − a|`.
  public static func maxAbsoluteError(_ s: [Double], _ a: [Double]) -> Double {
    zip(s, a).reduce(0) { max($0, abs($1.0 - $1.1)) }
  }

  /// The index of the largest value (the first on ties), `nil` when empty.
  public static func argmax(_ v: ArraySlice<Double>) -> Int? {
    guard var best = v.indices.first else { return nil }
    for i in v.indices where v[i] > v[best] { best = i }
    return best - v.startIndex
  }
}

/// Accumulates signal and noise energy over several tensors for one SQNR.
public struct SQNRAccumulator: Sendable, Hashable {
  /// Σ s².
  public var signalEnergy: Double = 0
  /// Σ (s − a)².
  public var noiseEnergy: Double = 0
  /// Elements seen.
  public var count: Int = 0

  /// An empty accumulator.
  public init() {}

  /// Adds one pair of equally long arrays (a length mismatch poisons the result with `nan`).
  public mutating func add(signal: [Double], approximation: [Double]) {
    guard signal.count == approximation.count else {
      signalEnergy = .nan
      return
    }
    for i in signal.indices {
      signalEnergy += signal[i] * signal[i]
      let d = signal[i] - approximation[i]
      noiseEnergy += d * d
    }
    count += signal.count
  }

  /// `10 · log10(signal / noise)` (see ``Metrics/sqnr(signal:approximation:)``).
  public var decibels: Double {
    if count == 0 || signalEnergy.isNaN { return .nan }
    if noiseEnergy == 0 { return signalEnergy == 0 ? .nan : .infinity }
    if signalEnergy == 0 { return -.infinity }
    return 10 * log10(signalEnergy / noiseEnergy)
  }
}
