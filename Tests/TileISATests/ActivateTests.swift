import Support
import Testing

@testable import TileISA

@Suite("activate semantics")
struct ActivateTests {
  /// Puts accumulator values in rows 0..<count (column 0) and runs activate on them with one
  /// channel whose parameter entry is `parameters`.
  func activate(
    _ accumulators: [Int32], _ parameters: ActivationParameters, mode: RequantMode, zeroPoint: Int8 = 0,
    clamp: ClosedRange<Int8> = -128...127
  ) throws -> [Int8] {
    var m = try makeMachine()
    for (row, v) in accumulators.enumerated() { m.accumulator[row * smallLimits.arrayColumns] = v }
    for (i, b) in parameters.bytes.enumerated() { m.weightBuffer[0x200 + i] = b }
    let a = Activate(
      accRow: 0, height: 1, width: accumulators.count, columns: 1, paramAddress: 0x200, mode: mode,
      outputZeroPoint: zeroPoint, clamp: clamp, destination: PixelDestination(address: 0x40, pixelStrideBytes: 1, rowStrideBytes: 0))
    try run(.activate(a), on: &m)
    return m.ub(0x40, accumulators.count)
  }

  @Test("fixed point: ties in the rounding shift go away from zero")
  func fixedPointTies() throws {
    // multiplier 2^30 is 0.5; shift −1 halves again: acc/4. The high multiply is exact for even
    // acc, so the rounding shift sees the ties: 6/4 = 1.5 → 2, −6/4 → −2, 10/4 = 2.5 → 3, −10/4 → −3,
    // 4/4 = 1. Odd acc shows the double rounding: 5 → high multiply 2.5 → 3 → 3/2 = 1.5 → 2 (a single
    // rounding of 5/4 = 1.25 would give 1); −7 → −3.5 → −3 (ties upward) → −1.5 → −2.
    let out = try activate([6, -6, 10, -10, 4, 5, -7], .fixedPoint(bias: 0, multiplier: 1 << 30, shift: -1), mode: .fixedPoint)
    #expect(out == [2, -2, 3, -3, 1, 2, -2])
  }

  @Test("fixed point: the doubling high multiply rounds its own ties upward (gemmlowp's nudge)")
  func fixedPointHighMulTies() throws {
    // multiplier 2^30, shift 0: acc/2 rounded by SaturatingRoundingDoublingHighMul alone:
    // 3/2 = 1.5 → 2, −3/2 = −1.5 → −1, −1/2 → 0 (gemmlowp's nudge 1 − 2^30 for negative products).
    let out = try activate([3, -3, -1, 1], .fixedPoint(bias: 0, multiplier: 1 << 30, shift: 0), mode: .fixedPoint)
    #expect(out == [2, -1, 0, 1])
  }

  @Test("bias is added before rescaling; a positive shift multiplies first")
  func biasAndLeftShift() throws {
    // (acc + 7) · 2^2 · 0.5 = (acc + 7) · 2
    let out = try activate([0, -10, 20], .fixedPoint(bias: 7, multiplier: 1 << 30, shift: 2), mode: .fixedPoint)
    #expect(out == [14, -6, 54])
  }

  @Test("output zero point, then the clamp; saturation at the int8 ends")
  func zeroPointAndSaturation() throws {
    let identity = ActivationParameters.fixedPoint(bias: 0, multiplier: 1 << 30, shift: 1)  // × 1
    #expect(try activate([100, 1_000_000, -1_000_000, -100], identity, mode: .fixedPoint, zeroPoint: -20) == [80, 127, -128, -120])
    // ReLU range with zero point −20: [−20, 127]
    #expect(try activate([-5, 5], identity, mode: .fixedPoint, zeroPoint: -20, clamp: -20...127) == [-20, -15])
    // RELU6-style narrower range
    #expect(try activate([50, -50], identity, mode: .fixedPoint, zeroPoint: 0, clamp: 0...24) == [24, 0])
  }

  @Test("float scale: round half away from zero in double precision")
  func floatScaleTies() throws {
    let out = try activate([5, -5, 3, -3, 6, 1], .floatScale(bias: 0, scale: 0.5), mode: .floatScale)
    // 2.5 → 3, −2.5 → −3, 1.5 → 2, −1.5 → −2, 3, 0.5 → 1
    #expect(out == [3, -3, 2, -2, 3, 1])
    let withBias = try activate([10, -30], .floatScale(bias: -4, scale: 0.25), mode: .floatScale, zeroPoint: 3)
    // (10 − 4)·0.25 = 1.5 → 2, + 3 = 5; (−30 − 4)·0.25 = −8.5 → −9, + 3 = −6
    #expect(withBias == [5, -6])
  }

  @Test("float scale: huge products saturate instead of trapping")
  func floatScaleSaturates() throws {
    let out = try activate([Int32.max, Int32.min], .floatScale(bias: 0, scale: 1e30), mode: .floatScale)
    #expect(out == [127, -128])
  }

  @Test("bad parameter entries are execution errors")
  func badParameters() throws {
    #expect(throws: ISAError(.execution, "activate", "channel 0: parameter shift 40 out of -31...30")) {
      _ = try activate([1], .fixedPoint(bias: 0, multiplier: 1, shift: 40), mode: .fixedPoint)
    }
    #expect(throws: ISAError(.execution, "activate", "channel 0: parameter scale nan is not finite")) {
      _ = try activate([1], .floatScale(bias: 0, scale: .nan), mode: .floatScale)
    }
  }

  @Test("2-D destination and per-channel parameters")
  func destinationLayout() throws {
    var m = try makeMachine()
    // 2×2 pixels (accumulator rows 10...13), 2 channels: acc = 10·row + column
    for p in 0..<4 { for j in 0..<2 { m.accumulator[(10 + p) * smallLimits.arrayColumns + j] = Int32(10 * p + j) } }
    let table = ActivationParameters.table([
      .fixedPoint(bias: 0, multiplier: 1 << 30, shift: 1),  // × 1
      .fixedPoint(bias: 100, multiplier: 1 << 30, shift: 0),  // (acc + 100) / 2
    ])
    for (i, b) in table.enumerated() { m.weightBuffer[64 + i] = b }
    let a = Activate(
      accRow: 10, height: 2, width: 2, columns: 2, paramAddress: 64, mode: .fixedPoint, outputZeroPoint: 0,
      destination: PixelDestination(address: 0x100, pixelStrideBytes: 4, rowStrideBytes: 32))
    try run(.activate(a), on: &m)
    #expect(m.ub(0x100, 2) == [0, 51])  // p0: 0, (1+100)/2 = 50.5 → 51
    #expect(m.ub(0x104, 2) == [10, 56])  // p1: 10, (11+100)/2 = 55.5 → 56
    #expect(m.ub(0x120, 2) == [20, 61])  // p2 (row 1): 20, 60.5 → 61
    #expect(m.ub(0x124, 2) == [30, 66])
    #expect(m.ub(0x102, 2) == [0, 0])  // untouched gap
  }
}
