import GraphIR
import Support
import Testing

@testable import GoldenModel

/// Reference loops for pools over in-image taps only.
enum NaivePool {
  static func run(
    _ x: [Float], _ s: [Int], filter: (Int, Int), stride: (Int, Int), padding: Padding, average: Bool
  ) -> (shape: [Int], values: [Float]) {
    let h = padding.geometry(input: s[1], filter: filter.0, stride: stride.0)
    let w = padding.geometry(input: s[2], filter: filter.1, stride: stride.1)
    var values: [Float] = []
    for b in 0..<s[0] {
      for oy in 0..<h.output {
        for ox in 0..<w.output {
          for c in 0..<s[3] {
            var window: [Float] = []
            for ky in 0..<filter.0 {
              for kx in 0..<filter.1 {
                let iy = oy * stride.0 - h.padBefore + ky
                let ix = ox * stride.1 - w.padBefore + kx
                if iy >= 0 && iy < s[1] && ix >= 0 && ix < s[2] {
                  window.append(x[((b * s[1] + iy) * s[2] + ix) * s[3] + c])
                }
              }
            }
            values.append(average ? window.reduce(0, +) / Float(window.count) : window.max() ?? 0)
          }
        }
      }
    }
    return ([s[0], h.output, w.output, s[3]], values)
  }
}

@Suite("AVERAGE_POOL_2D and MAX_POOL_2D")
struct PoolKernelTests {
  typealias F = MatrixFixtures

  func pool(
    _ average: Bool, _ x: Tensor, filter: (Int, Int), stride: (Int, Int), padding: Padding = .valid,
    output: Tensor, activation: FusedActivation = .none
  ) throws -> TensorData {
    let o = Pool2DOptions(
      padding: padding, strideH: stride.0, strideW: stride.1, filterH: filter.0, filterW: filter.1,
      activation: activation)
    return try F.run(average ? .averagePool2D(o) : .maxPool2D(o), [x], output: output)
  }

  @Test func averageRoundsHalfAwayFromZero() throws {
    // Windows of 2: (1,2) → 1.5 → 2; (−1,−2) → −2; (0,0) → 0; (3,4) → 4.
    let pairs = try pool(
      true, F.int8([1, 1, 8, 1], [1, 2, -1, -2, 0, 0, 3, 4]), filter: (1, 2), stride: (1, 2),
      output: F.output([1, 1, 4, 1], .int8))
    #expect(F.int8Values(pairs) == [2, -2, 0, 4])
    // Windows of 3: (1,1,0) → (2 + 1) / 3 = 1; (−1,−1,0) → (−2 − 1) / 3 = −1; (1,0,0) → 0.
    let triples = try pool(
      true, F.int8([1, 1, 9, 1], [1, 1, 0, -1, -1, 0, 1, 0, 0]), filter: (1, 3), stride: (1, 3),
      output: F.output([1, 1, 3, 1], .int8))
    #expect(F.int8Values(triples) == [1, -1, 0])
  }

  @Test func averageCountsOnlyInImageTaps() throws {
    // 2×2 image (1, 2, 3, 4) with a 3×3 SAME window: every window holds the 4 pixels, so the
    // average is 10 / 4 = 2.5 → 3, whatever the zero point (padding is never read).
    let out = try pool(
      true, F.int8([1, 2, 2, 1], [1, 2, 3, 4], zeroPoint: 100), filter: (3, 3), stride: (1, 1), padding: .same,
      output: F.output([1, 2, 2, 1], .int8, zeroPoint: 100))
    #expect(F.int8Values(out) == [3, 3, 3, 3])
  }

  @Test(arguments: [
    (shape: [1, 5, 5, 2], filter: (3, 3), stride: (1, 1), padding: Padding.same),
    (shape: [2, 6, 7, 3], filter: (3, 2), stride: (2, 2), padding: .same),
    (shape: [1, 7, 5, 1], filter: (2, 3), stride: (2, 1), padding: .valid),
  ])
  func floatMatchesNaiveLoops(_ p: (shape: [Int], filter: (Int, Int), stride: (Int, Int), padding: Padding)) throws {
    let x = F.smallIntegers(p.shape.reduce(1, *), seed: 21, range: -8...8).map { $0 / 4 }
    for average in [true, false] {
      let expected = NaivePool.run(x, p.shape, filter: p.filter, stride: p.stride, padding: p.padding, average: average)
      let out = try pool(
        average, F.float(p.shape, x), filter: p.filter, stride: p.stride, padding: p.padding,
        output: F.output(expected.shape, .float32))
      #expect(F.floatValues(out) == expected.values, "average: \(average)")
    }
  }

  @Test func maxNeverSeesPadding() throws {
    // All-negative image: a padded zero would win if padding were read.
    let x = F.int8([1, 2, 2, 1], [-100, -90, -80, -70])
    let out = try pool(false, x, filter: (3, 3), stride: (1, 1), padding: .same, output: F.output([1, 2, 2, 1], .int8))
    #expect(F.int8Values(out) == [-70, -70, -70, -70])
    let f = try pool(
      false, F.float([1, 2, 2, 1], [-4, -3, -2, -1]), filter: (3, 3), stride: (2, 2), padding: .same,
      output: F.output([1, 1, 1, 1], .float32))
    #expect(F.floatValues(f) == [-1])
  }

  @Test func fusedActivationClampsInQuantizedUnits() throws {
    // Scale 0.1, zero point −10: RELU6 keeps [−10, 50].
    let x = F.int8([1, 1, 4, 1], [-128, -11, 45, 127], scale: 0.1, zeroPoint: -10)
    let out = try pool(
      false, x, filter: (1, 1), stride: (1, 1), output: F.output([1, 1, 4, 1], .int8, scale: 0.1, zeroPoint: -10),
      activation: .relu6)
    #expect(F.int8Values(out) == [-10, -10, 45, 50])
  }

  @Test func int16AverageAndMax() throws {
    let x = F.int16([1, 1, 4, 1], [32767, 32766, -32768, -32767])
    let avg = try pool(true, x, filter: (1, 2), stride: (1, 2), output: F.output([1, 1, 2, 1], .int16))
    #expect(F.int16Values(avg) == [32767, -32768])  // 32766.5 → 32767; −32767.5 → −32768
    let max = try pool(false, x, filter: (1, 2), stride: (1, 2), output: F.output([1, 1, 2, 1], .int16))
    #expect(F.int16Values(max) == [32767, -32767])
  }

  @Test func rejectsAnOutputShapeTheGeometryDoesNotProduce() {
    // TFLite's padding never yields an empty window; an output shape that disagrees with the
    // geometry (here 1×1 instead of VALID's 0×0 for a 3×3 window on 2×2) is rejected instead.
    #expect(throws: GoldenModelError.self) {
      _ = try pool(
        true, F.int8([1, 2, 2, 1], [1, 2, 3, 4]), filter: (3, 3), stride: (1, 1), padding: .valid,
        output: F.output([1, 1, 1, 1], .int8))
    }
  }
}

@Suite("MEAN")
struct MeanKernelTests {
  typealias F = MatrixFixtures

  func mean(_ x: Tensor, axes: [Int32], keepDims: Bool = true, output: Tensor) throws -> TensorData {
    let axis = Tensor(
      name: "axis", shape: [axes.count], elementType: .int32,
      data: TensorData(shape: [axes.count], storage: .int32(axes)))
    return try F.run(.mean(keepDims: keepDims), [x, axis], output: output)
  }

  @Test func int8FoldsOneOverNIntoTheMultiplier() throws {
    // Equal scales: multiplier 2^30, shift 1; N = 4 folds to 2^30, shift −1. Then each mean is
    // sum/4 with double rounding: 10 → 5 → 3 (2.5); −10 → −5 → −3 (−2.5); 1 → 1 → 1 (0.25!);
    // −1 → 0 (the high multiply rounds −0.5 toward +∞).
    let x = F.int8([4, 2, 2, 1], [1, 2, 3, 4, -1, -2, -3, -4, 1, 0, 0, 0, -1, 0, 0, 0])
    let out = try mean(x, axes: [1, 2], output: F.output([4, 1, 1, 1], .int8))
    #expect(F.int8Values(out) == [3, -3, 1, 0])
  }

  @Test func int8ZeroPointsAndThreeElements() throws {
    // N = 3: multiplier (2^30 << 1) / 3 = 715827882, shift 0. With zero points 2 (input) and
    // −1 (output): (3,3,4) → 10 − 6 = 4 → 4/3 → 1 → 0; (7,2,2) → 5 → 2 → 1; (−3,2,−2) → −9 → −3 → −4.
    let x = F.int8([3, 3], [3, 3, 4, 7, 2, 2, -3, 2, -2], zeroPoint: 2)
    let out = try mean(x, axes: [-1], keepDims: false, output: F.output([3], .int8, zeroPoint: -1))
    #expect(F.int8Values(out) == [0, 1, -4])
    #expect(
      Kernels.meanMultiplier(Requantize.Multiplier(real: 1), count: 3) == .init(multiplier: 715_827_882, shift: 0))
  }

  @Test func multiplierShiftIsClampedToKeepTheRightShiftBelow32() {
    // k = min(⌊log2 16⌋, 32, 31 + shift) = min(4, 32, 1) = 1: multiplier (2^30 << 1) / 16 = 2^27.
    let folded = Kernels.meanMultiplier(.init(multiplier: 1 << 30, shift: -30), count: 16)
    #expect(folded == .init(multiplier: 1 << 27, shift: -31))
  }

  @Test func negativeAndDuplicateAxes() throws {
    let values: [Float] = F.smallIntegers(24, seed: 31)
    let x = F.float([2, 3, 4], values)
    let out = try mean(x, axes: [-1, 2, 0], keepDims: false, output: F.output([3], .float32))
    var expected: [Float] = []
    for j in 0..<3 {
      var s: Float = 0
      for i in 0..<2 { for k in 0..<4 { s += values[(i * 3 + j) * 4 + k] } }
      expected.append(s / 8)
    }
    #expect(F.floatValues(out) == expected)
  }

  @Test func int16Mean() throws {
    // Scale ratio 2 (input 2, output 1): multiplier 2^30, shift 2; N = 2 folds to shift 1.
    // (3, 4) → 7 · 2 / 2 = 7; (−3, −4) → −7; (32767, 32767) → 65534 → clamped 32767.
    let x = F.int16([3, 2], [3, 4, -3, -4, 32767, 32767], scale: 2)
    let out = try mean(x, axes: [1], output: F.output([3, 1], .int16, scale: 1))
    #expect(F.int16Values(out) == [7, -7, 32767])
  }

  @Test func axisOutOfRange() {
    #expect(throws: GoldenModelError.self) {
      _ = try mean(F.int8([2, 2], [1, 2, 3, 4]), axes: [2], output: F.output([2, 1], .int8))
    }
  }
}
