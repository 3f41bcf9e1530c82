import GraphIR

/// The `systole_packed_bits` metadata entry: which INT8 tensors of a `.tflite` file hold values
/// that Systole stores in fewer bits (`Tensor.packedBits`) although TFLite has no usable type
/// for that width (2-bit ternary weights: TFLite's INT2 is not accepted by its CONV_2D kernels).
///
/// INT4 tensors need no entry: their type says it. The entry's buffer is little-endian:
///
/// | offset | type | field |
/// |---|---|---|
/// | 0 | u32 | format version, 1 or 2 |
/// | 4 | u32 | entry count n |
/// | 8 + s·i | u32 | entry i: subgraph index |
/// | 12 + s·i | u32 | entry i: tensor index in that subgraph |
/// | 16 + s·i | u32 | entry i: bits per value (2 or 4) |
/// | 20 + s·i | u32 | version 2 only: entry i's group size N (`Tensor.packedGroupSize`), 0 for none |
///
/// The entry size s is 12 bytes in version 1 and 16 in version 2, and the buffer is exactly
/// `8 + s·n` bytes. Version 2 is written only when some tensor has a group size (fine-grained
/// ternary weights: 2-bit sign codes with one int8 level per group of N). Each listed tensor
/// must be a constant INT8 tensor whose values fit the width (for a group size: one magnitude
/// per group), listed once. TensorFlow Lite ignores metadata names it does not know, so the file
/// still loads and runs there with its int8 values.
enum PackedBitsMetadata {
  /// The metadata name.
  static let name = "systole_packed_bits"
  /// The format versions read; the writer uses the lowest that can say everything.
  static let versions: ClosedRange<UInt32> = 1...2
  /// Bytes before the entries.
  static let headerBytes = 8

  /// Bytes per entry in `version`.
  static func entryBytes(version: UInt32) -> Int { version >= 2 ? 16 : 12 }

  /// One entry: a tensor, its storage width and its ternary group size.
  struct Entry: Equatable {
    var graph: Int
    var tensor: Int
    var bits: Int
    var groupSize: Int? = nil
  }

  /// The version `entries` need: 2 when any has a group size, else 1.
  static func version(for entries: [Entry]) -> UInt32 { entries.contains { $0.groupSize != nil } ? 2 : 1 }

  /// The buffer for `entries`.
  static func encode(_ entries: [Entry]) -> [UInt8] {
    var out: [UInt8] = []
    func put(_ v: UInt32) { for i in 0..<4 { out.append(UInt8(truncatingIfNeeded: v >> (8 * UInt32(i)))) } }
    let version = version(for: entries)
    put(version)
    put(UInt32(entries.count))
    for e in entries {
      put(UInt32(e.graph))
      put(UInt32(e.tensor))
      put(UInt32(e.bits))
      if version >= 2 { put(UInt32(e.groupSize ?? 0)) }
    }
    return out
  }

  /// The tensors `model` must list: every tensor whose `packedBits` its TFLite type cannot
  /// carry (everything but 4-bit tensors, which are written as INT4).
  static func entries(of model: Model) -> [Entry] {
    var entries: [Entry] = []
    for (g, graph) in model.graphs.enumerated() {
      for (t, tensor) in graph.tensors.enumerated() {
        if let bits = tensor.packedBits, bits != 4 {
          entries.append(Entry(graph: g, tensor: t, bits: bits, groupSize: tensor.packedGroupSize))
        }
      }
    }
    return entries
  }
}
