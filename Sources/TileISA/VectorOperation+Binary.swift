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

  /// The assembly name of the function (`fn=`), also its encoding order.
  public enum Name: String, CaseIterable, Sendable {
    case squaredDifference = "sqdiff"
    case maximum = "max"
    case minimum = "min"
  }

  /// The function's name.
  public var name: Name {
    switch self {
    case .squaredDifference: .squaredDifference
    case .maximum: .maximum
    case .minimum: .minimum
    }
  }

  /// The output range.
  public var clamp: ClosedRange<Int8> {
    switch self {
    case .squaredDifference(let q): q.clamp
    case .maximum(let c), .minimum(let c): c
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
    }
  }

  /// The function's result for one pair of elements, as the type's documentation states.
  public func apply(_ a: Int8, _ b: Int8) -> Int8 {
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

/// The function a `vreduce` instruction folds each column with.
public enum ReduceFunction: String, CaseIterable, Hashable, Sendable {
  /// The largest stored value, starting from −128 (TFLite REDUCE_MAX int8).
  case maximum = "max"
}
