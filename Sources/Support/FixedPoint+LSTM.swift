// issue 14: lstm

/// gemmlowp's `FixedPoint<std::int16_t, IntegerBits>` arithmetic (`fixedpoint/fixedpoint.h`),
/// as TFLite's integer LSTM uses it for its gates (`PortableApplySigmoid`, `PortableApplyTanh`).
///
/// Raw values are int16; "integer bits" m gives the format Qm.(15 − m). Plain `+`, `−` and
/// negation wrap (C++ integer promotion then truncation); products are the int16
/// saturating-rounding doubling high multiply; 32-bit constants are rounded to 16 bits
/// (`RescaleConstantInitializer`).
public enum GemmlowpQ16 {
  public static func add(_ a: Int16, _ b: Int16) -> Int16 { Int16(truncatingIfNeeded: Int32(a) + Int32(b)) }
  public static func sub(_ a: Int16, _ b: Int16) -> Int16 { Int16(truncatingIfNeeded: Int32(a) - Int32(b)) }
  public static func neg(_ a: Int16) -> Int16 { Int16(truncatingIfNeeded: -Int32(a)) }

  /// `SaturatingRoundingDoublingHighMul` on int16.
  public static func mul(_ a: Int16, _ b: Int16) -> Int16 {
    if a == Int16.min && b == Int16.min { return Int16.max }
    let ab = Int32(a) * Int32(b)
    let nudge: Int32 = ab >= 0 ? (1 << 14) : (1 - (1 << 14))
    return Int16(truncatingIfNeeded: (ab + nudge) / (1 << 15))
  }

  public static func saturatingAdd(_ a: Int16, _ b: Int16) -> Int16 { Int16(clamping: Int32(a) + Int32(b)) }

  public static func roundingHalfSum(_ a: Int16, _ b: Int16) -> Int16 {
    let sum = Int32(a) + Int32(b)
    return Int16(truncatingIfNeeded: (sum + (sum >= 0 ? 1 : -1)) / 2)
  }

  public static func roundingDivideByPOT(_ x: Int16, _ exponent: Int) -> Int16 {
    let mask = Int16(truncatingIfNeeded: (Int32(1) << exponent) - 1)
    let remainder = x & mask
    let threshold = (mask >> 1) + (x < 0 ? 1 : 0)
    return (x >> Int16(exponent)) + (remainder > threshold ? 1 : 0)
  }

  /// `SaturatingRoundingMultiplyByPOT<exponent>`.
  public static func multiplyByPOT(_ x: Int16, _ exponent: Int) -> Int16 {
    if exponent == 0 { return x }
    if exponent < 0 { return roundingDivideByPOT(x, -exponent) }
    let threshold = (Int32(1) << (15 - exponent)) - 1
    if Int32(x) > threshold { return Int16.max }
    if Int32(x) < -threshold { return Int16.min }
    return Int16(truncatingIfNeeded: Int32(x) << exponent)
  }

  /// `Rescale<to>` of a value with `from` integer bits.
  public static func rescale(_ x: Int16, from: Int, to: Int) -> Int16 { multiplyByPOT(x, from - to) }

  /// A 32-bit gemmlowp constant rounded to 16 bits.
  public static func constant(_ raw32: Int32) -> Int16 {
    Int16(truncatingIfNeeded: FixedPoint.roundingDivideByPOT(raw32, 16))
  }

  public static func one(integerBits m: Int) -> Int16 { m == 0 ? Int16.max : Int16(1) << Int16(15 - m) }

  /// `exp_on_interval_between_negative_one_quarter_and_0_excl` (Q0.15 in and out).
  public static func expOnQuarterInterval(_ a: Int16) -> Int16 {
    let constantTerm = constant(1_895_147_668)
    let oneThird = constant(715_827_883)
    let x = add(a, 1 << 12)
    let x2 = mul(x, x)
    let x3 = mul(x2, x)
    let x4 = mul(x2, x2)
    let x4Over4 = multiplyByPOT(x4, -2)
    let poly = multiplyByPOT(add(mul(add(x4Over4, x3), oneThird), x2), -1)
    return saturatingAdd(constantTerm, mul(constantTerm, add(x, poly)))
  }

  /// `exp_on_negative_values` of a value with `m` integer bits (0 ≤ m ≤ 13), Q0.15 result.
  public static func expOnNegativeValues(_ a: Int16, integerBits m: Int) -> Int16 {
    precondition(m >= 0 && m <= 13, "exp_on_negative_values with \(m) integer bits")
    let fractional = 15 - m
    let quarter = Int16(1) << Int16(fractional - 2)
    let mask = sub(quarter, 1)
    let modQuarter = sub(a & mask, quarter)
    var result = expOnQuarterInterval(rescale(modQuarter, from: m, to: 0))
    let remainder = sub(modQuarter, a)
    let barrel: [(Int, Int32)] = [
      (-2, 1_672_461_947), (-1, 1_302_514_674), (0, 790_015_084), (1, 290_630_308), (2, 39_332_535), (3, 720_401),
      (4, 242),
    ]
    for (exponent, multiplier) in barrel where m > exponent {
      let bit = Int16(truncatingIfNeeded: Int32(1) << (fractional + exponent))
      if remainder & bit != 0 { result = mul(result, constant(multiplier)) }
    }
    if m > 5 {
      // Inputs below −32 give 0.
      let clamp = constant(-(Int32(1) << (36 - m)))
      if a < clamp { result = 0 }
    }
    return a == 0 ? one(integerBits: 0) : result
  }

  /// The Newton–Raphson reciprocal shared by `one_over_one_plus_x_for_x_in_0_1` and
  /// `one_minus_x_over_one_plus_x_for_x_in_0_1`: x ≈ 1 / half_denominator in Q2.13.
  public static func newtonReciprocal(_ halfDenominator: Int16) -> Int16 {
    var x = add(constant(1_515_870_810), mul(halfDenominator, constant(-1_010_580_540)))
    for _ in 0..<3 {
      let product = mul(halfDenominator, x)
      let oneMinus = sub(one(integerBits: 2), product)
      x = add(x, rescale(mul(x, oneMinus), from: 4, to: 2))
    }
    return x
  }

  /// `logistic` of a value with `m` integer bits, Q0.15 result.
  public static func logistic(_ a: Int16, integerBits m: Int) -> Int16 {
    if a == 0 { return constant(1 << 30) }
    let absolute = a > 0 ? a : neg(a)
    let e = expOnNegativeValues(neg(absolute), integerBits: m)
    let x = newtonReciprocal(roundingHalfSum(e, one(integerBits: 0)))
    let positive = rescale(x, from: 1, to: 0)  // ExactMulByPot<-1> then Rescale<0>
    return a > 0 ? positive : sub(one(integerBits: 0), positive)
  }

  /// `tanh` of a value with `m` integer bits, Q0.15 result.
  public static func tanh(_ a: Int16, integerBits m: Int) -> Int16 {
    if a == 0 { return 0 }
    let negative = a < 0 ? a : neg(a)
    let e = expOnNegativeValues(negative, integerBits: m + 1)  // ExactMulByPot<1>
    let x = newtonReciprocal(roundingHalfSum(e, one(integerBits: 0)))
    let t = rescale(sub(x, one(integerBits: 2)), from: 2, to: 0)
    return a < 0 ? neg(t) : t
  }
}

/// The elementwise part of one step of TFLite's integer LSTM (8×8→16, no peephole, projection
/// or layer norm): from one cell's four int16 gate pre-activations (Q3.12) and its int16 cell
/// state to the new cell state and the int8 hidden value. `lstm_eval.cc`
/// `LstmStepInteger8x8_16` after `CalculateLstmGateInteger8x8_16`: σ/tanh of the gates
/// (`PortableApplySigmoid`/`PortableApplyTanh` on Q3.12), `UpdateLstmCellInteger`, then
/// `CalculateLstmOutputInteger8x8_16`.
///
/// Shared by the golden model's kernel and the `vlstm` instruction, so both take the same steps.
public struct LSTMCellParameters: Hashable, Sendable {
  /// log2 of the cell state's scale (−15 ... −9; TFLite requires a power of two).
  public var cellScaleLog2: Int
  /// The cell clip in cell-state units; 0 means no clipping.
  public var cellClip: Int16
  /// `o · tanh(c)` (Q0.15 × Q0.15) → hidden int8: multiplier and shift
  /// (`effective_hidden_scale`), then the hidden zero point.
  public var hiddenMultiplier: Int32
  public var hiddenShift: Int
  public var hiddenZeroPoint: Int8
  /// CIFG (coupled input and forget gate): the input gate is `1 − f`, its pre-activation unused.
  public var coupledInputForget: Bool

  public init(
    cellScaleLog2: Int, cellClip: Int16, hiddenMultiplier: Int32, hiddenShift: Int, hiddenZeroPoint: Int8,
    coupledInputForget: Bool
  ) {
    self.cellScaleLog2 = cellScaleLog2
    self.cellClip = cellClip
    self.hiddenMultiplier = hiddenMultiplier
    self.hiddenShift = hiddenShift
    self.hiddenZeroPoint = hiddenZeroPoint
    self.coupledInputForget = coupledInputForget
  }

  /// Whether the instruction's arithmetic is defined for these values: the cell scale's range
  /// the kernel accepts, a non-negative clip and a shift `MultiplyByQuantizedMultiplier` takes.
  public var problem: String? {
    if !(-15 ... -9).contains(cellScaleLog2) { return "cell scale 2^\(cellScaleLog2) outside 2^-15...2^-9" }
    if cellClip < 0 { return "cell clip \(cellClip) is negative" }
    if !(-31...30).contains(hiddenShift) { return "hidden shift \(hiddenShift) outside -31...30" }
    if hiddenMultiplier < 0 { return "hidden multiplier \(hiddenMultiplier) is negative" }
    return nil
  }

  /// One cell: gate pre-activations `input`, `forget`, `cellGate`, `output` (Q3.12) and the old
  /// cell state → (new cell state, hidden int8).
  ///
  /// ```swift
  /// let f = logistic(forget), g = tanh(cellGate), o = logistic(output)         // Q0.15
  /// let i = coupledInputForget ? 32767 − f : logistic(input)
  /// c = sat16(Int16(RDBP(f · c, 15)) + Int16(RDBP(i · g, 30 + cellScaleLog2)))  // truncating casts
  /// if cellClip > 0 { c = clamp(c, −cellClip...cellClip) }
  /// h = clamp(MBQM(o · tanh_{15 + cellScaleLog2 integer bits}(c), mult, shift) + zp, −128...127)
  /// ```
  public func step(input: Int16, forget: Int16, cellGate: Int16, output: Int16, cell: Int16) -> (
    cell: Int16, hidden: Int8
  ) {
    let f = GemmlowpQ16.logistic(forget, integerBits: 3)
    let g = GemmlowpQ16.tanh(cellGate, integerBits: 3)
    let i = coupledInputForget ? 32767 - f : GemmlowpQ16.logistic(input, integerBits: 3)
    let kept = Int16(truncatingIfNeeded: FixedPoint.roundingDivideByPOT(Int32(f) * Int32(cell), 15))
    let added = Int16(
      truncatingIfNeeded: FixedPoint.roundingDivideByPOT(Int32(i) * Int32(g), 30 + cellScaleLog2))
    var c = Int16(clamping: Int32(kept) + Int32(added))
    if cellClip > 0 { c = max(min(cellClip, c), -cellClip) }
    let o = GemmlowpQ16.logistic(output, integerBits: 3)
    let tc = GemmlowpQ16.tanh(c, integerBits: 15 + cellScaleLog2)
    let h = FixedPoint.multiplyByQuantizedMultiplier(Int32(o) * Int32(tc), hiddenMultiplier, hiddenShift)
    return (c, Int8(clamping: h + Int32(hiddenZeroPoint)))
  }
}
