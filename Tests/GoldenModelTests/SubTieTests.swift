import GraphIR
import Support
import Testing

@testable import GoldenModel

/// Quantized SUB on exact ties of the high multiply.
///
/// Two readings of `sub.cc` exist: TF 2.21's reference kernel subtracts the rescaled second
/// input, `a' − MBQM(b', M2)`; older releases negated the multiplier and ran the ADD kernel,
/// `a' + MBQM(b', −M2)`. `SaturatingRoundingDoublingHighMul` rounds ties toward +∞ for either
/// sign, so the two differ by one wherever `b'·M2 + 2^30` is a multiple of 2^31. TFLite 2.21
/// matches the first on all 65,536 int8 pairs (`Programs/models/make_models.py`, the
/// `sub_tie_*` reference sets; `docs/quantization.md`).
@Suite struct SubTieTests {
  /// One tie-producing parameter set for an element type: input scales 1 and 0.5 + 2^-k (exact
  /// in float32) make input 2's multiplier `2^30 + 2^(30 − k + 1)` with shift −1, which ties
  /// for every odd `b'` once `k` matches the type's pre-shift (20 for 8 bits, 15 for int16).
  struct Case: Sendable, CustomStringConvertible {
    var type: ElementType
    var zeroPoint: Int32
    var leftShift: Int32
    var description: String { "\(type)" }

    var secondScale: Float { 0.5 + Float(sign: .plus, exponent: -(Int(leftShift) + 1), significand: 1) }
    var range: ClosedRange<Int32> {
      switch type {
      case .uint8: 0...255
      case .int16: -32768...32767
      default: -128...127
      }
    }
  }

  static let cases: [Case] = [
    Case(type: .int8, zeroPoint: 0, leftShift: 20), Case(type: .uint8, zeroPoint: 128, leftShift: 20),
    Case(type: .int16, zeroPoint: 0, leftShift: 15),
  ]

  /// Both readings, parameters derived as `PrepareGeneralSubOp` does (output scale 1).
  struct Readings {
    var m1: (multiplier: Int32, shift: Int)
    var m2: (multiplier: Int32, shift: Int)
    var mOut: (multiplier: Int32, shift: Int)
    var c: Case

    init(_ c: Case) {
      self.c = c
      let twiceMax = Double(2 * max(Float(1), c.secondScale))
      m1 = FixedPoint.quantizeMultiplier(1 / twiceMax)
      m2 = FixedPoint.quantizeMultiplier(Double(c.secondScale) / twiceMax)
      mOut = FixedPoint.quantizeMultiplier(twiceMax / Double(Float(Int32(1) << c.leftShift)))
    }

    /// `b'` rescaled by `multiplier` (the positive one, or its negation).
    func scaled(_ q: Int32, _ multiplier: Int32, _ shift: Int) -> Int32 {
      FixedPoint.multiplyByQuantizedMultiplier((q - c.zeroPoint) << c.leftShift, multiplier, shift)
    }

    func output(_ raw: Int32) -> Int32 {
      let y = FixedPoint.multiplyByQuantizedMultiplier(raw, mOut.multiplier, mOut.shift) + c.zeroPoint
      return min(max(y, c.range.lowerBound), c.range.upperBound)
    }

    /// TF 2.21: `a' − MBQM(b', M2)`.
    func subtracting(_ p: Int32, _ q: Int32) -> Int32 {
      output(scaled(p, m1.multiplier, m1.shift) &- scaled(q, m2.multiplier, m2.shift))
    }

    /// Older `sub.cc`: `a' + MBQM(b', −M2)`.
    func negatedAdd(_ p: Int32, _ q: Int32) -> Int32 {
      output(scaled(p, m1.multiplier, m1.shift) &+ scaled(q, 0 &- m2.multiplier, m2.shift))
    }
  }

  @Test(arguments: cases)
  func aTieRoundsTheNegatedProductTheOtherWay(_ c: Case) {
    let r = Readings(c)
    let x = Int32(1) << c.leftShift  // b' = 1, odd
    let product = Int64(x) * Int64(r.m2.multiplier)
    #expect((product + (1 << 30)) % (1 << 31) == 0, "b' = 1 is an exact tie of the high multiply")
    let positive = FixedPoint.saturatingRoundingDoublingHighMul(x, r.m2.multiplier)
    let negative = FixedPoint.saturatingRoundingDoublingHighMul(x, 0 &- r.m2.multiplier)
    // floor(t + 1/2) for +M, floor(−t + 1/2) = −floor(t + 1/2) + 1 for −M: off by one.
    #expect(negative == 0 &- positive &+ 1)
  }

  @Test(arguments: cases)
  func goldenModelSubtractsTheRescaledSecondInput(_ c: Case) throws {
    let r = Readings(c)
    // Every (q1, q2) pair of 256 values around the zero point: a [256, 1] − [1, 256] broadcast.
    let values = (c.zeroPoint - 128)..<(c.zeroPoint + 128)
    func storage(_ v: [Int32]) -> TensorData.Storage {
      switch c.type {
      case .uint8: .uint8(v.map { UInt8($0) })
      case .int16: .int16(v.map { Int16($0) })
      default: .int8(v.map { Int8($0) })
      }
    }
    var g = ElementwiseOpGraph()
    let zp = Int64(c.zeroPoint)
    let a = g.tensor("a", [256, 1], c.type, scale: 1, zeroPoint: zp)
    let b = g.tensor("b", [1, 256], c.type, scale: c.secondScale, zeroPoint: zp)
    let o = g.tensor("out", [256, 256], c.type, scale: 1, zeroPoint: zp)
    let out = try g.run1(.sub(activation: .none), [a, b], o, feeds: [storage(Array(values)), storage(Array(values))])
    guard let got = ElementwiseSupport.integers(out) else {
      Issue.record("output is \(out.elementType)")
      return
    }
    var differing = 0
    var wrong = 0
    var i = 0
    for p in values {
      for q in values {
        let want = r.subtracting(p, q)
        if r.negatedAdd(p, q) != want { differing += 1 }
        if got[i] != want { wrong += 1 }
        i += 1
      }
    }
    #expect(differing > 0, "the parameters must put some ties on an output rounding boundary")
    #expect(wrong == 0, "\(wrong) of \(got.count) outputs differ from a' − MBQM(b', M2)")
  }
}
