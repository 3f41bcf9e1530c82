/// Dense storage of signed integers narrower than a byte (4 or 2 bits; 8 is a plain copy).
///
/// Value k occupies bits `(k·bits) mod 8 …` of byte `(k·bits) / 8`, least significant bits
/// first, in two's complement: int4 puts the first value of each pair in the low nibble (TFLite's
/// INT4 layout), 2 bits put four values per byte, the first in bits 0–1. `n` values take
/// `⌈n·bits / 8⌉` bytes; unused high bits of the last byte are zero.
public enum PackedIntegers {
  /// Bytes `count` values of `bits` bits occupy: `⌈count·bits / 8⌉`.
  public static func byteCount(values count: Int, bits: Int) -> Int { (count * bits + 7) / 8 }

  /// Packs `values`, keeping the low `bits` bits of each; callers check the range first
  /// (``Tensor/signedRange(bits:)``). `bits` must be 2, 4 or 8.
  public static func pack(_ values: [Int8], bits: Int) -> [UInt8] {
    precondition([2, 4, 8].contains(bits), "cannot pack \(bits)-bit values")
    if bits == 8 { return values.map { UInt8(bitPattern: $0) } }
    let mask = UInt8(truncatingIfNeeded: (1 << bits) - 1)
    var out = [UInt8](repeating: 0, count: byteCount(values: values.count, bits: bits))
    for (k, v) in values.enumerated() {
      let bit = k * bits
      out[bit / 8] |= (UInt8(bitPattern: v) & mask) << UInt8(bit % 8)
    }
    return out
  }

  /// The first `count` values of `bytes`, sign-extended; `nil` when `bytes` is not exactly
  /// `⌈count·bits / 8⌉` long. `bits` must be 2, 4 or 8.
  public static func unpack(_ bytes: some Collection<UInt8>, count: Int, bits: Int) -> [Int8]? {
    precondition([2, 4, 8].contains(bits), "cannot unpack \(bits)-bit values")
    guard count >= 0, bytes.count == byteCount(values: count, bits: bits) else { return nil }
    let raw = Array(bytes)
    if bits == 8 { return raw.map { Int8(bitPattern: $0) } }
    let mask = (1 << bits) - 1
    let sign = 1 << (bits - 1)
    return (0..<count).map { k in
      let bit = k * bits
      let field = (Int(raw[bit / 8]) >> (bit % 8)) & mask
      return Int8(truncatingIfNeeded: field >= sign ? field - (1 << bits) : field)
    }
  }
}
