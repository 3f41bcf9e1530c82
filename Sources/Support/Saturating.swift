/// Saturating integer arithmetic for estimates that must never trap.
///
/// Cost-model and report figures are sums and products of cycle and byte counts derived from
/// user input (architecture parameters, model shapes). Architecture parameters are range-checked
/// at the boundary (`ArchSpec.validate()`), but a figure built from many of them can still leave
/// `Int`'s range; these operations clamp at `Int.max` (or `Int.min`) instead of trapping, so an
/// absurd estimate compares as "worst" rather than crashing the compiler.
extension Int {
  /// `⌈x⌉` as an `Int`: `Int.max` for `+∞` or anything at or above `2⁶³`, 0 for NaN, negative
  /// numbers and `−∞`.
  ///
  /// For counts (cycles, bytes) computed in floating point: `Int((x).rounded(.up))` traps on
  /// infinity, NaN and values beyond `Int.max`; this does not.
  public init(saturatingCeiling x: Double) {
    if x.isNaN || x <= 0 {
      self = 0
      return
    }
    let c = x.rounded(.up)
    self = c >= Double(Int.max) ? Int.max : Int(c)
  }
}

extension FixedWidthInteger where Self: SignedInteger {
  /// `self + other`, clamped to `Self.min...Self.max`.
  @inlinable
  public func addingSaturating(_ other: Self) -> Self {
    let (sum, overflow) = addingReportingOverflow(other)
    guard overflow else { return sum }
    return other > 0 ? .max : .min
  }

  /// `self − other`, clamped to `Self.min...Self.max`.
  @inlinable
  public func subtractingSaturating(_ other: Self) -> Self {
    let (difference, overflow) = subtractingReportingOverflow(other)
    guard overflow else { return difference }
    return other < 0 ? .max : .min
  }

  /// Adds `other` in place, clamping to `Self.min...Self.max`.
  @inlinable
  public mutating func addSaturating(_ other: Self) { self = addingSaturating(other) }

  /// `self × other`, clamped to `Self.min...Self.max`.
  @inlinable
  public func multipliedSaturating(by other: Self) -> Self {
    let (product, overflow) = multipliedReportingOverflow(by: other)
    guard overflow else { return product }
    return (self < 0) == (other < 0) ? .max : .min
  }
}

extension Sequence where Element: FixedWidthInteger & SignedInteger {
  /// The sum of the elements, clamped to the element type's range at each step.
  public func saturatingSum() -> Element { reduce(0) { $0.addingSaturating($1) } }

  /// The product of the elements, clamped to the element type's range at each step.
  public func saturatingProduct() -> Element { reduce(1) { $0.multipliedSaturating(by: $1) } }
}
