import GraphIR
import Quantizer
import Testing

@Suite struct WeightQuantizerTests {
  // MARK: Ternary (TWN)

  @Test func ternaryThresholdOnAHandMadeTensor() {
    // mean|w| = (0.9 + 0.1 + 0.05 + 1.2 + 0.5 + 0) / 6 = 2.75 / 6; Δ = 0.7 · that = 0.3208…
    // Above Δ: 0.9, −1.2, 0.5 → α = 2.6 / 3.
    let w: [Float] = [0.9, -0.1, 0.05, -1.2, 0.5, 0]
    let (delta, alpha, levels) = WeightQuantizer.ternarize(w, threshold: 0.7)
    #expect(abs(delta - 0.7 * 2.75 / 6) < 1e-7)
    #expect(abs(alpha - 2.6 / 3) < 1e-7)
    #expect(levels == [1, 0, 0, -1, 1, 0])
  }

  @Test func ternaryEdgeCases() {
    // All equal magnitudes: Δ = 0.7 · 0.5; every weight is above it; α = 0.5.
    let (_, alpha, levels) = WeightQuantizer.ternarize([0.5, -0.5, 0.5, -0.5], threshold: 0.7)
    #expect(alpha == 0.5)
    #expect(levels == [1, -1, 1, -1])
    // All zero: nothing exceeds Δ = 0; α = 0.
    let zero = WeightQuantizer.ternarize([0, 0, 0], threshold: 0.7)
    #expect(zero.alpha == 0 && zero.levels == [0, 0, 0])
    // A weight exactly at Δ stays 0 (strictly greater is required): mean|w| = 1, Δ = 1.
    let at = WeightQuantizer.ternarize([1, 1, 1, 1], threshold: 1)
    #expect(at.levels == [0, 0, 0, 0])
  }

  @Test func ternaryPerChannelUsesEachChannelsAlpha() {
    // FULLY_CONNECTED [2, 4], channels on axis 0.
    // Row 0: mean 0.5, Δ 0.35, above: 1.0, −0.6 → α 0.8. Row 1: all 0.2 → α 0.2.
    let w: [Float] = [1.0, -0.6, 0.2, 0.2, 0.2, -0.2, 0.2, -0.2]
    let q = WeightQuantizer.quantize(w, shape: [2, 4], axis: 0, format: .ternaryPerChannel(threshold: 0.7))
    #expect(q.data.int8s == [1, -1, 0, 0, 1, -1, 1, -1])
    #expect(q.parameters.scales == [0.8, 0.2])
    #expect(q.parameters.zeroPoints == [0, 0])
    #expect(q.bits == 2)
    #expect(q.dequantized() == [0.8, -0.8, 0, 0, 0.2, -0.2, 0.2, -0.2])
  }

  @Test func fineGrainedTernaryHasItsOwnThresholdPerGroup() {
    // One channel of 8 weights, groups of 4.
    // Group 0: [0.9, −0.1, 0.05, −1.2]: mean 0.5625, Δ 0.39375 → 0.9, −1.2 → α0 = 1.05.
    // Group 1: [0.02, 0.03, −0.02, 0.01]: mean 0.02, Δ 0.014 → 0.02, 0.03, −0.02 → α1 = 0.07/3.
    // scale = α0 / 127; level1 = round(α1 / scale) = round(2.8222…) = 3.
    let w: [Float] = [0.9, -0.1, 0.05, -1.2, 0.02, 0.03, -0.02, 0.01]
    let q = WeightQuantizer.quantize(w, shape: [1, 8], axis: 0, format: .ternaryPerGroup(groupSize: 4, threshold: 0.7))
    let scale = Float(1.05 / 127)
    #expect(q.parameters.scales == [scale])
    #expect(q.groupLevels == [127, 3])
    #expect(q.data.int8s == [127, 0, 0, -127, 3, 3, -3, 0])
    // Per-channel ternary would zero the whole small group (channel Δ = 0.7 · 0.29125 ≈ 0.204).
    let coarse = WeightQuantizer.quantize(w, shape: [1, 8], axis: 0, format: .ternaryPerChannel(threshold: 0.7))
    #expect(coarse.data.int8s == [1, 0, 0, -1, 0, 0, 0, 0])
  }

  @Test func depthwiseGroupsRunAlongEachChannel() {
    // DEPTHWISE [1, 2, 2, 2]: channel c holds elements c, c+2, c+4, c+6.
    let w: [Float] = [1, 0.1, -1, 0.1, 1, -0.1, -1, 0.1]
    let q = WeightQuantizer.quantize(w, shape: [1, 2, 2, 2], axis: 3, format: .ternaryPerChannel(threshold: 0.7))
    #expect(q.parameters.quantizedDimension == 3)
    #expect(q.parameters.scales == [1, 0.1])
    #expect(q.data.int8s == [1, 1, -1, 1, 1, -1, -1, 1])
  }

  // MARK: Integer formats

  @Test func int8PerChannelIsSymmetricWithTheLargestWeightAt127() {
    let w: [Float] = [0.5, -1.0, 0.25, 2.0, -0.5, 1.0]  // [2, 3]
    let q = WeightQuantizer.quantize(w, shape: [2, 3], axis: 0, format: .int8PerChannel)
    #expect(q.parameters.scales == [Float(1.0 / 127), Float(2.0 / 127)])
    #expect(q.parameters.zeroPoints == [0, 0])
    // 0.5 · 127 = 63.5 → 64 (half away from zero); 0.25 · 127 = 31.75 → 32.
    #expect(q.data.int8s == [64, -127, 32, 127, -32, 64])
  }

  @Test func int4IsSevenLevelsEachSide() {
    let w: [Float] = [0.7, -0.36, 0.04, 0.16]
    let q = WeightQuantizer.quantize(w, shape: [1, 4], axis: 0, format: .int4PerChannel)
    #expect(q.parameters.scales == [Float(0.7 / 7)])
    #expect(q.data.int8s == [7, -4, 0, 2])
    #expect(q.data.int8s.allSatisfy { (-7...7).contains($0) })
    #expect(q.bits == 4)
  }

  @Test func int8PerTensorSharesOneScale() {
    let w: [Float] = [0.5, -1.0, 0.25, 2.0]
    let q = WeightQuantizer.quantize(w, shape: [2, 2], axis: 0, format: .int8PerTensor)
    #expect(q.parameters.scales == [Float(2.0 / 127)])
    #expect(q.data.int8s == [32, -64, 16, 127])
  }

  @Test func uint8AffineIsTheClassicMinMaxMapping() {
    // q = round((x − min) · 255 / (max − min)) with min −1, max 3 (zero point exactly 63.75 →
    // nudged to 64, so the grid shifts by a quarter step to keep 0 exact).
    let w: [Float] = [-1, 0, 1, 3]
    let q = WeightQuantizer.quantize(w, shape: [4], axis: 0, format: .uint8PerTensor)
    let scale = Float(4.0 / 255)
    #expect(q.parameters.scales == [scale])
    #expect(q.parameters.zeroPoints == [64])
    guard case .uint8(let v) = q.data.storage else {
      Issue.record("expected uint8")
      return
    }
    #expect(v[1] == 64)
    for (x, qv) in zip(w, v) {
      let classic = ((Double(x) + 1) * 255 / 4).rounded()
      #expect(abs(Double(qv) - classic) <= 1, "\(x)")
    }
  }
}
