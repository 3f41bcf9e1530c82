import Foundation

/// An amount of energy in picojoules (10⁻¹² J).
///
/// Energy tables (per MAC, per SRAM byte, per DRAM bit) and energy totals use this type, so a
/// number of picojoules is never mistaken for a count or a power.
public struct Picojoules: Hashable, Comparable, Sendable, CustomStringConvertible,
  ExpressibleByFloatLiteral, ExpressibleByIntegerLiteral, AdditiveArithmetic
{
  /// The energy in picojoules.
  public var value: Double

  /// Creates an energy of `value` picojoules.
  public init(_ value: Double) { self.value = value }
  public init(floatLiteral value: Double) { self.value = value }
  public init(integerLiteral value: Int) { self.value = Double(value) }

  public static let zero = Picojoules(0)
  public static func < (a: Picojoules, b: Picojoules) -> Bool { a.value < b.value }
  public static func + (a: Picojoules, b: Picojoules) -> Picojoules { Picojoules(a.value + b.value) }
  public static func - (a: Picojoules, b: Picojoules) -> Picojoules { Picojoules(a.value - b.value) }
  /// `n` events of this energy each.
  public static func * (a: Picojoules, n: Double) -> Picojoules { Picojoules(a.value * n) }

  /// The energy in joules (`value × 10⁻¹²`).
  public var joules: Double { value * 1e-12 }

  /// `0.23 pJ`, `12.5 pJ`, `1.2 µJ`: picojoules below 10⁶, then the largest fitting SI prefix.
  public var description: String {
    let magnitude = abs(value)
    if magnitude < 1e6 { return "\(formatSignificant(value)) pJ" }
    if magnitude < 1e9 { return "\(formatSignificant(value / 1e6)) µJ" }
    if magnitude < 1e12 { return "\(formatSignificant(value / 1e9)) mJ" }
    return "\(formatSignificant(value / 1e12)) J"
  }
}

/// A bandwidth in decimal gigabytes per second (10⁹ bytes/s, as DRAM and link datasheets quote).
public struct GigabytesPerSecond: Hashable, Comparable, Sendable, CustomStringConvertible,
  ExpressibleByFloatLiteral, ExpressibleByIntegerLiteral
{
  /// The bandwidth in GB/s (10⁹ bytes per second).
  public var value: Double

  /// Creates a bandwidth of `value` × 10⁹ bytes per second.
  public init(_ value: Double) { self.value = value }
  public init(floatLiteral value: Double) { self.value = value }
  public init(integerLiteral value: Int) { self.value = Double(value) }

  public static func < (a: GigabytesPerSecond, b: GigabytesPerSecond) -> Bool {
    a.value < b.value
  }

  /// The bandwidth in bytes per second (`value × 10⁹`).
  public var bytesPerSecond: Double { value * 1e9 }

  /// Bytes moved per cycle of a clock running at `clock`: `value × 10⁹ / (MHz × 10⁶)`.
  public func bytesPerCycle(at clock: Megahertz) -> Double { bytesPerSecond / clock.hertz }

  /// `34 GB/s`, `0.8 GB/s`.
  public var description: String { "\(formatSignificant(value)) GB/s" }
}

/// A clock frequency in megahertz (10⁶ cycles per second).
public struct Megahertz: Hashable, Comparable, Sendable, CustomStringConvertible,
  ExpressibleByFloatLiteral, ExpressibleByIntegerLiteral
{
  /// The frequency in MHz.
  public var value: Double

  /// Creates a frequency of `value` MHz.
  public init(_ value: Double) { self.value = value }
  public init(floatLiteral value: Double) { self.value = value }
  public init(integerLiteral value: Int) { self.value = Double(value) }

  public static func < (a: Megahertz, b: Megahertz) -> Bool { a.value < b.value }

  /// The frequency in hertz (`value × 10⁶`).
  public var hertz: Double { value * 1e6 }

  /// The length of one cycle in nanoseconds (`1000 / value`).
  public var nanosecondsPerCycle: Double { 1000 / value }

  /// `700 MHz`, `1 GHz` is still written `1000 MHz` so tables line up.
  public var description: String { "\(formatSignificant(value)) MHz" }
}

/// Formats a number with up to four significant decimals and no trailing zeros: `700`, `0.23`,
/// `15.75`, `1349.33`.
///
/// Used by unit descriptions and tables so they never print `700.0` or `0.30000000000000004`.
public func formatSignificant(_ x: Double) -> String {
  if !x.isFinite { return "\(x)" }
  if x == x.rounded() && abs(x) < 1e15 { return String(Int64(x)) }
  let magnitude = abs(x)
  if magnitude < 0.001 { return String(format: "%.3g", x) }
  let decimals = magnitude >= 100 ? 2 : (magnitude >= 1 ? 3 : 4)
  var text = String(format: "%.\(decimals)f", x)
  if text.contains(".") {
    while text.hasSuffix("0") { text.removeLast() }
    if text.hasSuffix(".") { text.removeLast() }
  }
  return text
}
