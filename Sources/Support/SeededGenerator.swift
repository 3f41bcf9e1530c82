/// A deterministic random number generator (SplitMix64), for seeded inputs, weights and fuzz cases.
///
/// SplitMix64 is Steele, Lea and Flood, "Fast splittable pseudorandom number generators",
/// OOPSLA 2014. The same seed gives the same sequence on every platform and every run, so tests
/// and synthetic models are reproducible. There is no global generator: pass one explicitly.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
  private var state: UInt64

  /// Creates a generator whose whole sequence is determined by `seed`.
  public init(seed: UInt64) { self.state = seed }

  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// A standard-normal sample (Box–Muller), deterministic for a given state.
  public mutating func nextGaussian() -> Double {
    let u1 = max(Double(next() >> 11) / Double(1 << 53), 1e-300)
    let u2 = Double(next() >> 11) / Double(1 << 53)
    return (-2 * _log(u1)).squareRoot() * _cos(2 * Double.pi * u2)
  }
}

import Foundation
private func _log(_ x: Double) -> Double { Foundation.log(x) }
private func _cos(_ x: Double) -> Double { Foundation.cos(x) }
