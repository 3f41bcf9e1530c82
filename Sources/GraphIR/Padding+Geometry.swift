/// Output size and leading padding of one spatial dimension, as TFLite computes them.
public struct SpatialGeometry: Sendable, Hashable {
  /// Output extent.
  public var output: Int
  /// Padding before the first element (the extra odd element of SAME padding goes at the end).
  public var padBefore: Int
  /// Padding after the last element.
  public var padAfter: Int
}

extension Padding {
  /// Output size and padding for one dimension (TFLite `ComputePaddingHeightWidth`).
  ///
  /// ```swift
  /// let effective = (filter - 1) * dilation + 1
  /// let output = self == .same ? (input + stride - 1) / stride
  ///                            : (input - effective + stride) / stride
  /// let total = max((output - 1) * stride + effective - input, 0)
  /// padBefore = total / 2; padAfter = total - total / 2
  /// ```
  public func geometry(input: Int, filter: Int, stride: Int, dilation: Int = 1) -> SpatialGeometry {
    let effective = (filter - 1) * dilation + 1
    let output: Int
    switch self {
    case .same: output = (input + stride - 1) / stride
    case .valid: output = (input - effective + stride) / stride
    }
    let total = max((output - 1) * stride + effective - input, 0)
    return SpatialGeometry(output: output, padBefore: total / 2, padAfter: total - total / 2)
  }
}

extension FusedActivation {
  /// The clamp range this activation implies on a quantized output, intersected with the type's
  /// range (TFLite `CalculateActivationRangeQuantized`): RELU → [q(0), max], RELU6 → [q(0), q(6)],
  /// RELU_N1_TO_1 → [q(−1), q(1)], where `q(x) = zeroPoint + round(x / scale)`.
  public func quantizedRange(scale: Float, zeroPoint: Int64, type: ElementType) -> ClosedRange<Int32>? {
    guard let full = type.integerRange else { return nil }
    func q(_ x: Float) -> Int32 {
      let v = Int64(zeroPoint) + Int64((x / scale).rounded(.toNearestOrAwayFromZero))
      return Int32(clamping: v)
    }
    var lo = full.lowerBound
    var hi = full.upperBound
    switch self {
    case .none: break
    case .relu: lo = max(lo, q(0))
    case .relu6:
      lo = max(lo, q(0))
      hi = min(hi, q(6))
    case .reluN1To1:
      lo = max(lo, q(-1))
      hi = min(hi, q(1))
    case .tanh, .signBit: return nil
    }
    return lo...hi
  }

  /// The clamp range for a float output (`nil` bounds mean unbounded).
  public var floatRange: (lower: Float, upper: Float)? {
    switch self {
    case .none: (-Float.greatestFiniteMagnitude, Float.greatestFiniteMagnitude)
    case .relu: (0, Float.greatestFiniteMagnitude)
    case .relu6: (0, 6)
    case .reluN1To1: (-1, 1)
    case .tanh, .signBit: nil
    }
  }
}
