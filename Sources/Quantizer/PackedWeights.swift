import GraphIR
import Support

/// Signed integers packed densely, `bits` per value: the storage a 4-bit or 2-bit weight
/// tensor needs, and the byte count a compiler should charge for it.
///
/// Layout: value k occupies bits `(k · bits) mod 8 …` of byte `(k · bits) / 8`, least
/// significant bits first, in two's complement. For int4 the first value of each pair sits in
/// the low nibble (TFLite's int4 packing); for 2 bits, four values per byte, first in bits 0–1.
/// Ternary weights use the 2-bit codes 0b01 (+1), 0b00 (0) and 0b11 (−1).
public struct PackedWeights: Sendable, Equatable {
  /// Bits per value: 2, 4 or 8.
  public let bits: Int
  /// The number of values.
  public let count: Int
  /// The packed bytes, `ceil(count · bits / 8)` of them.
  public let bytes: [UInt8]

  /// Packs `values`; `nil` when `bits` is not 2, 4 or 8 or a value lies outside the signed
  /// `bits`-bit range (−2…1, −8…7, −128…127).
  public init?(packing values: [Int8], bits: Int) {
    guard [2, 4, 8].contains(bits) else { return nil }
    let lo = -(1 << (bits - 1))
    let hi = (1 << (bits - 1)) - 1
    guard values.allSatisfy({ Int($0) >= lo && Int($0) <= hi }) else { return nil }
    self.bits = bits
    self.count = values.count
    self.bytes = PackedIntegers.pack(values, bits: bits)
  }

  /// The values, sign-extended back to `Int8`.
  public func unpacked() -> [Int8] {
    guard let values = PackedIntegers.unpack(bytes, count: count, bits: bits) else {
      preconditionFailure("\(bytes.count) packed bytes do not hold \(count) \(bits)-bit values")
    }
    return values
  }

  /// The storage of the packed values.
  public var byteCount: ByteCount { ByteCount(bytes.count) }

  /// `ceil(values · bits / 8)`.
  public static func byteCount(values: Int, bits: Int) -> Int { PackedIntegers.byteCount(values: values, bits: bits) }
}
