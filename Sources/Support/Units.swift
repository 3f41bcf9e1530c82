/// A count of accelerator clock cycles.
///
/// Time in Systole is always a simulated value the engine advances; it is never wall-clock time.
public struct Cycle: Hashable, Comparable, Sendable, CustomStringConvertible,
  ExpressibleByIntegerLiteral, AdditiveArithmetic
{
  /// The number of cycles.
  public var count: Int64

  /// Creates a cycle count.
  public init(_ count: Int64) { self.count = count }
  public init(_ count: Int) { self.count = Int64(count) }
  public init(integerLiteral value: Int64) { self.count = value }

  public static let zero = Cycle(0 as Int64)
  public static func < (a: Cycle, b: Cycle) -> Bool { a.count < b.count }
  public static func + (a: Cycle, b: Cycle) -> Cycle { Cycle(a.count + b.count) }
  public static func - (a: Cycle, b: Cycle) -> Cycle { Cycle(a.count - b.count) }
  public var description: String { "\(count) cycles" }
}

/// A number of bytes.
public struct ByteCount: Hashable, Comparable, Sendable, CustomStringConvertible,
  ExpressibleByIntegerLiteral, AdditiveArithmetic
{
  /// The number of bytes.
  public var count: Int64

  public init(_ count: Int64) { self.count = count }
  public init(_ count: Int) { self.count = Int64(count) }
  public init(integerLiteral value: Int64) { self.count = value }

  /// `kib` × 1024 bytes.
  public static func kibibytes(_ kib: Int) -> ByteCount { ByteCount(Int64(kib) * 1024) }
  /// `mib` × 1024 × 1024 bytes.
  public static func mebibytes(_ mib: Int) -> ByteCount { ByteCount(Int64(mib) * 1024 * 1024) }

  public static let zero = ByteCount(0 as Int64)
  public static func < (a: ByteCount, b: ByteCount) -> Bool { a.count < b.count }
  public static func + (a: ByteCount, b: ByteCount) -> ByteCount { ByteCount(a.count + b.count) }
  public static func - (a: ByteCount, b: ByteCount) -> ByteCount { ByteCount(a.count - b.count) }
  public static func * (a: ByteCount, n: Int) -> ByteCount { ByteCount(a.count * Int64(n)) }

  /// Human-readable form with binary prefixes: `512 B`, `3.5 KiB`, `24.0 MiB`.
  public var description: String {
    let b = Double(count)
    if count < 1024 { return "\(count) B" }
    if b < 1024 * 1024 { return String(format: "%.1f KiB", b / 1024) }
    if b < 1024 * 1024 * 1024 { return String(format: "%.1f MiB", b / (1024 * 1024)) }
    return String(format: "%.2f GiB", b / (1024 * 1024 * 1024))
  }
}

import Foundation
