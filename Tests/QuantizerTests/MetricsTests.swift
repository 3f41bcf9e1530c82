import Foundation
import Quantizer
import Testing

@Suite struct MetricsTests {
  /// A sine of amplitude A over whole periods has power A²/2; noise alternating ±σ has power σ²,
  /// so the SQNR is 10·log10(A² / (2σ²)) exactly.
  @Test(arguments: [(1.0, 0.01), (3.0, 0.3), (0.5, 0.0005)])
  func sineWithKnownNoise(amplitude: Double, sigma: Double) {
    let n = 1000
    let periods = 10.0
    let signal = (0..<n).map { amplitude * sin(2 * Double.pi * periods * Double($0) / Double(n)) }
    let noisy = signal.enumerated().map { $0.element + ($0.offset % 2 == 0 ? sigma : -sigma) }
    let expected = 10 * log10(amplitude * amplitude / (2 * sigma * sigma))
    #expect(abs(Metrics.sqnr(signal: signal, approximation: noisy) - expected) < 1e-6)
  }

  /// Rounding a full-scale sine to a uniform grid of step Δ adds noise of power Δ²/12: with 127
  /// steps on each side, SQNR ≈ 10·log10((A²/2) / (Δ²/12)) = 10·log10(6 · 127²) ≈ 49.85 dB.
  @Test func uniformQuantizationOfASineMatchesTheStepFormula() {
    let n = 10007
    let signal = (0..<n).map { sin(2 * Double.pi * 37.3 * Double($0) / Double(n)) }
    let step = 1.0 / 127
    let quantized = signal.map { ($0 / step).rounded() * step }
    let expected = 10 * log10(0.5 / (step * step / 12))
    #expect(abs(Metrics.sqnr(signal: signal, approximation: quantized) - expected) < 0.2)
    // Four bits (7 steps each side) lose about 6.02 dB per bit.
    let coarse = 1.0 / 7
    let q4 = signal.map { ($0 / coarse).rounded() * coarse }
    let drop = Metrics.sqnr(signal: signal, approximation: quantized) - Metrics.sqnr(signal: signal, approximation: q4)
    #expect(abs(drop - 20 * log10(127.0 / 7)) < 0.5)
  }

  @Test func exactAndDegenerateCases() {
    #expect(Metrics.sqnr(signal: [1, 2], approximation: [1, 2]) == .infinity)
    #expect(Metrics.sqnr(signal: [0, 0], approximation: [0, 1]) == -.infinity)
    #expect(Metrics.sqnr(signal: [], approximation: []).isNaN)
    #expect(Metrics.sqnr(signal: [1], approximation: [1, 2]).isNaN)
  }

  @Test func accumulatorSumsEnergiesAcrossTensors() {
    var a = SQNRAccumulator()
    a.add(signal: [3], approximation: [2])
    a.add(signal: [4], approximation: [4])
    // (9 + 16) / 1 = 25 → 13.98 dB.
    #expect(abs(a.decibels - 10 * log10(25)) < 1e-12)
    #expect(a.count == 2)
  }

  @Test func cosineMaxErrorAndArgmax() {
    #expect(abs(Metrics.cosineSimilarity([1, 0], [0, 1])) < 1e-12)
    #expect(abs(Metrics.cosineSimilarity([1, 2, 3], [2, 4, 6]) - 1) < 1e-12)
    #expect(abs(Metrics.cosineSimilarity([1, 2], [-1, -2]) + 1) < 1e-12)
    #expect(Metrics.maxAbsoluteError([1, 2, 3], [1.5, 2, 1]) == 2)
    #expect(Metrics.argmax([0.1, 0.7, 0.7, 0.2][...]) == 1)
    #expect(Metrics.argmax([Double]()[...]) == nil)
    let slice = [9.0, 1, 5, 2][2..<4]
    #expect(Metrics.argmax(slice) == 0)
  }
}
