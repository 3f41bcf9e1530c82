import Support

// issue 14: vector binary/reduce

/// The function a `vbinary` instruction applies to each pair of int8 elements.
///
/// Each is TFLite's int8 reference arithmetic, with `MBQM` = `FixedPoint.multiplyByQuantizedMultiplier`
/// (equal to TFLite's `MultiplyByQuantizedMultiplierSmallerThanOneExp` for the shifts ≤ 0 these
/// ops use):
///
/// ```swift
/// switch function {
/// case .squaredDifference(let q):   // squared_difference.cc, int8 path
///   let a = MBQM((Int32(A) - q.aZeroPoint) << q.leftShift, q.aMultiplier, q.aShift)
///   let b = MBQM((Int32(B) - q.bZeroPoint) << q.leftShift, q.bMultiplier, q.bShift)
///   let d = a &- b
///   OUT = clamp(MBQM(d &* d, q.outputMultiplier, q.outputShift) &+ q.outputZeroPoint, q.clamp)
/// case .maximum(let c):             // maximum_minimum.cc: raw values, quantization ignored
///   OUT = clamp(max(A, B), c)
/// case .minimum(let c):
///   OUT = clamp(min(A, B), c)
/// case .prelu(let q):               // prelu.cc, BroadcastPrelu4DSlow int8 path; B is alpha
///   let x = Int32(A) - q.inputZeroPoint
///   let r = x >= 0 ? MBQM(x, q.positiveMultiplier, q.positiveShift)
///                  : MBQM(x * (Int32(B) - q.alphaZeroPoint), q.negativeMultiplier, q.negativeShift)
///   OUT = clamp(r &+ q.outputZeroPoint, q.clamp)
/// case .divide(let q):              // issue 14: vops; div.h DivElementwise, FixedPoint.quantizedDivide
///   let d = quantizedDivide(Int32(A) - q.aZeroPoint, by: Int32(B) - q.bZeroPoint, q.multiplier, q.shift)
///   OUT = clamp(d &+ q.outputZeroPoint, q.clamp)   // a zero divisor: an execution error
/// case .less(let q):                // comparisons.cc ComparisonWithScaling; OUT is bool (0 or 1)
///   let a = MBQM((Int32(A) - q.aZeroPoint) << q.leftShift, q.aMultiplier, q.aShift)
///   let b = MBQM((Int32(B) - q.bZeroPoint) << q.leftShift, q.bMultiplier, q.bShift)
///   OUT = a < b ? 1 : 0
/// case .logicalAnd:                 // logical.cc on bool bytes (non-zero is true)
///   OUT = A != 0 && B != 0 ? 1 : 0
/// case .select(let condition):      // select.cc: a third view C of bool bytes; values copied
///   OUT = C[i][j] != 0 ? A : B
/// }
/// ```
public enum BinaryFunction: Hashable, Sendable {
  /// TFLite int8 SQUARED_DIFFERENCE: both inputs rescaled to a common scale after a left shift of
  /// 7 (`AddParameters.leftShift`), the difference squared in int32 and requantized.
  case squaredDifference(AddParameters)
  /// TFLite MAXIMUM on the stored int8 values, then the clamp (a fused RELU's range).
  case maximum(clamp: ClosedRange<Int8>)
  /// TFLite MINIMUM on the stored int8 values, then the clamp.
  case minimum(clamp: ClosedRange<Int8>)
  /// TFLite int8 PRELU with `B` the alpha tensor (broadcast through a zero-stride view).
  case prelu(PreluParameters)
  // issue 14: vops
  /// TFLite int8 DIV (`A / B`): `FixedPoint.quantizedDivide` on the centred values. A zero
  /// divisor (`B` at its zero point) is an execution error, as TFLite's kernel errors.
  case divide(DivideParameters)
  /// TFLite LESS on int8 operands: both rescaled to a common scale, compared; the output is a
  /// bool byte, 1 or 0.
  case less(ComparisonParameters)
  /// TFLite LOGICAL_AND on bool bytes: 1 when both are non-zero, else 0.
  case logicalAnd
  /// TFLite SELECT / SELECT_V2: `C != 0 ? A : B` with `C` a third view (bool bytes, the same
  /// outer × inner extent, zero strides broadcasting), the stored values copied unchanged.
  case select(condition: VectorView)

  /// The assembly name of the function (`fn=`), also its encoding order.
  public enum Name: String, CaseIterable, Sendable {
    case squaredDifference = "sqdiff"
    case maximum = "max"
    case minimum = "min"
    case prelu = "prelu"
    // issue 14: vops
    case divide = "div"
    case less = "less"
    case logicalAnd = "and"
    case select = "select"
  }

  /// The function's name.
  public var name: Name {
    switch self {
    case .squaredDifference: .squaredDifference
    case .maximum: .maximum
    case .minimum: .minimum
    case .prelu: .prelu
    // issue 14: vops
    case .divide: .divide
    case .less: .less
    case .logicalAnd: .logicalAnd
    case .select: .select
    }
  }

  /// The output range.
  public var clamp: ClosedRange<Int8> {
    switch self {
    case .squaredDifference(let q): q.clamp
    case .maximum(let c), .minimum(let c): c
    case .prelu(let q): q.clamp
    // issue 14: vops
    case .divide(let q): q.clamp
    case .less, .logicalAnd: 0...1
    case .select: -128...127
    }
  }

  /// The same function with another output range.
  public func withClamp(_ clamp: ClosedRange<Int8>) -> BinaryFunction {
    switch self {
    case .squaredDifference(var q):
      q.clamp = clamp
      return .squaredDifference(q)
    case .maximum: return .maximum(clamp: clamp)
    case .minimum: return .minimum(clamp: clamp)
    case .prelu(var q):
      q.clamp = clamp
      return .prelu(q)
    // issue 14: vops
    case .divide(var q):
      q.clamp = clamp
      return .divide(q)
    case .less, .logicalAnd, .select: return self  // bool outputs or copies: no activation fuses
    }
  }

  /// The function's result for one pair of elements, as the type's documentation states; for a
  /// pair `result` refuses (a zero divisor), the output zero point.
  public func apply(_ a: Int8, _ b: Int8) -> Int8 {
    if let r = result(a, b) { return r }
    if case .divide(let q) = self { return q.outputZeroPoint }
    return 0
  }

  // issue 14: vops
  /// Whether some pair of elements has no result (`result` returns nil): DIV's zero divisor.
  public var canFault: Bool {
    if case .divide = self { return true }
    return false
  }

  /// The function's result for one pair of elements, or nil where TFLite's kernel errors (DIV by
  /// a divisor at its zero point, or a rescaling exponent outside 0...63).
  public func result(_ a: Int8, _ b: Int8) -> Int8? {
    let raw: Int32
    switch self {
    case .squaredDifference(let q):
      let shift = Int32(q.leftShift)
      let sa = FixedPoint.multiplyByQuantizedMultiplier(
        (Int32(a) - Int32(q.aZeroPoint)) &* (1 << shift), q.aMultiplier, q.aShift)
      let sb = FixedPoint.multiplyByQuantizedMultiplier(
        (Int32(b) - Int32(q.bZeroPoint)) &* (1 << shift), q.bMultiplier, q.bShift)
      let d = sa &- sb
      raw = FixedPoint.multiplyByQuantizedMultiplier(d &* d, q.outputMultiplier, q.outputShift) &+ Int32(q.outputZeroPoint)
    case .maximum: raw = Int32(max(a, b))
    case .minimum: raw = Int32(min(a, b))
    case .prelu(let q):
      let x = Int32(a) - Int32(q.inputZeroPoint)
      raw =
        (x >= 0
          ? FixedPoint.multiplyByQuantizedMultiplier(x, q.positiveMultiplier, q.positiveShift)
          : FixedPoint.multiplyByQuantizedMultiplier(
            x * (Int32(b) - Int32(q.alphaZeroPoint)), q.negativeMultiplier, q.negativeShift))
        &+ Int32(q.outputZeroPoint)
    // issue 14: vops
    case .divide(let q):
      guard
        let d = FixedPoint.quantizedDivide(
          Int32(a) - Int32(q.aZeroPoint), by: Int32(b) - Int32(q.bZeroPoint), multiplier: q.multiplier, shift: q.shift)
      else { return nil }
      raw = d &+ Int32(q.outputZeroPoint)
    case .less(let q):
      let factor = Int32(1) << Int32(q.leftShift)
      let ca = (Int32(a) - Int32(q.aZeroPoint)) &* factor
      let cb = (Int32(b) - Int32(q.bZeroPoint)) &* factor
      let sa = FixedPoint.multiplyByQuantizedMultiplier(ca, q.aMultiplier, q.aShift)
      let sb = FixedPoint.multiplyByQuantizedMultiplier(cb, q.bMultiplier, q.bShift)
      return sa < sb ? 1 : 0
    case .logicalAnd:
      return a != 0 && b != 0 ? 1 : 0
    case .select:
      return a  // the condition is a third operand: the executor reads it (`Executor.select`)
    }
    let c = clamp
    return Int8(min(max(raw, Int32(c.lowerBound)), Int32(c.upperBound)))
  }

  /// All 65,536 results, indexed by `(a + 128) << 8 | (b + 128)`: what a lane's datapath computes,
  /// evaluated once per instruction by the executor for large operands.
  func table() -> [UInt8] {
    var t = [UInt8](repeating: 0, count: 65_536)
    for a in -128...127 {
      for b in -128...127 { t[(a + 128) << 8 | (b + 128)] = UInt8(bitPattern: apply(Int8(a), Int8(b))) }
    }
    return t
  }
}

/// Parameters of `vbinary fn=prelu` (TFLite int8 PRELU, `prelu.cc` Prepare): the positive
/// branch's multiplier is `QuantizeMultiplier(s_in / s_out)`, the negative branch's
/// `QuantizeMultiplier(s_in · s_alpha / s_out)` (quotients in float); either shift may be positive.
public struct PreluParameters: Hashable, Sendable {
  /// Zero point of the input (`A`).
  public var inputZeroPoint: Int8
  /// Zero point of alpha (`B`).
  public var alphaZeroPoint: Int8
  /// Zero point of the output.
  public var outputZeroPoint: Int8
  /// Q0.31 multiplier of `s_in / s_out` (inputs at or above the zero point).
  public var positiveMultiplier: Int32
  /// Its exponent.
  public var positiveShift: Int
  /// Q0.31 multiplier of `s_in · s_alpha / s_out` (inputs below the zero point, times alpha).
  public var negativeMultiplier: Int32
  /// Its exponent.
  public var negativeShift: Int
  /// The output range (−128...127: TFLite's PRELU has no fused activation).
  public var clamp: ClosedRange<Int8>

  /// Creates PRELU parameters.
  public init(
    inputZeroPoint: Int8, alphaZeroPoint: Int8, outputZeroPoint: Int8, positiveMultiplier: Int32, positiveShift: Int,
    negativeMultiplier: Int32, negativeShift: Int, clamp: ClosedRange<Int8> = -128...127
  ) {
    self.inputZeroPoint = inputZeroPoint
    self.alphaZeroPoint = alphaZeroPoint
    self.outputZeroPoint = outputZeroPoint
    self.positiveMultiplier = positiveMultiplier
    self.positiveShift = positiveShift
    self.negativeMultiplier = negativeMultiplier
    self.negativeShift = negativeShift
    self.clamp = clamp
  }
}

// issue 14: vops
/// Parameters of `vbinary fn=div` (TFLite int8 DIV, `div.cc` Prepare): one output multiplier
/// `QuantizeMultiplier(s_a / (s_b · s_out))` (the ratio in float), whose shift must lie in
/// `FixedPoint.divideShifts` so that every int8 pair's rescaling exponent is in 0...63.
public struct DivideParameters: Hashable, Sendable {
  /// Zero point of the dividend (`A`).
  public var aZeroPoint: Int8
  /// Zero point of the divisor (`B`).
  public var bZeroPoint: Int8
  /// Zero point of the output.
  public var outputZeroPoint: Int8
  /// Q0.31 multiplier of `s_a / (s_b · s_out)`.
  public var multiplier: Int32
  /// Its exponent.
  public var shift: Int
  /// The output range (the fused activation's).
  public var clamp: ClosedRange<Int8>

  /// Creates DIV parameters.
  public init(
    aZeroPoint: Int8, bZeroPoint: Int8, outputZeroPoint: Int8, multiplier: Int32, shift: Int,
    clamp: ClosedRange<Int8> = -128...127
  ) {
    self.aZeroPoint = aZeroPoint
    self.bZeroPoint = bZeroPoint
    self.outputZeroPoint = outputZeroPoint
    self.multiplier = multiplier
    self.shift = shift
    self.clamp = clamp
  }
}

/// Parameters of `vbinary fn=less` (TFLite int8 LESS, `comparisons.cc` Prepare/Eval): each
/// input's multiplier is `QuantizeMultiplierSmallerThanOneExp(s_input)` (so shifts ≤ 0), applied
/// after a left shift of 8.
public struct ComparisonParameters: Hashable, Sendable {
  /// Zero point of `A`.
  public var aZeroPoint: Int8
  /// Zero point of `B`.
  public var bZeroPoint: Int8
  /// Left shift applied to both centred inputs (TFLite: 8).
  public var leftShift: Int
  /// Q0.31 multiplier of `A`'s scale.
  public var aMultiplier: Int32
  /// Its exponent (≤ 0).
  public var aShift: Int
  /// Q0.31 multiplier of `B`'s scale.
  public var bMultiplier: Int32
  /// Its exponent (≤ 0).
  public var bShift: Int

  /// Creates comparison parameters.
  public init(
    aZeroPoint: Int8, bZeroPoint: Int8, leftShift: Int = 8, aMultiplier: Int32, aShift: Int, bMultiplier: Int32,
    bShift: Int
  ) {
    self.aZeroPoint = aZeroPoint
    self.bZeroPoint = bZeroPoint
    self.leftShift = leftShift
    self.aMultiplier = aMultiplier
    self.aShift = aShift
    self.bMultiplier = bMultiplier
    self.bShift = bShift
  }
}

/// The function a `vreduce` instruction folds each column with.
public enum ReduceFunction: String, CaseIterable, Hashable, Sendable {
  /// The largest stored value, starting from −128 (TFLite REDUCE_MAX int8).
  case maximum = "max"
  // issue 14: argmax
  /// The row index of the first largest stored value (TFLite ARG_MAX int8: `arg_min_max.cc`
  /// with `std::greater`), written as an int32 (`argmax32`) or int64 (`argmax64`)
  /// little-endian index, 4 or 8 bytes per output element.
  case argMaxInt32 = "argmax32"
  case argMaxInt64 = "argmax64"
  // issue 14: prod
  /// TFLite REDUCE_PROD int8 (`QuantizedReduceProd<int8_t>`): a chain of 64-bit products each
  /// rescaled by the wide `MultiplyByQuantizedMultiplier` (`FixedPoint.productStep`); the only
  /// function with requantization parameters.
  case product = "prod"

  /// Bytes per output element: the index width for the argmax functions, nil when the output
  /// has the datapath's element size (`max`).
  public var indexBytes: Int? {
    switch self {
    case .maximum, .product: nil  // issue 14: prod
    case .argMaxInt32: 4
    case .argMaxInt64: 8
    }
  }
}
