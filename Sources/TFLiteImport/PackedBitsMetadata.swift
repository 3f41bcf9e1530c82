import GraphIR

/// The `systole_packed_bits` metadata entry: which INT8 tensors of a `.tflite` file hold values
/// that Systole stores in fewer bits (`Tensor.packedBits`) although TFLite has no usable type
/// for that width (2-bit ternary weights: TFLite's INT2 is not accepted by its CONV_2D kernels).
///
/// INT4 tensors need no entry: their type says it. The entry's buffer is little-endian:
///
/// | offset | type | field |
/// |---|---|---|
/// | 0 | u32 | format version, 1 |
/// | 4 | u32 | entry count n |
/// | 8 + 12·i | u32 | entry i: subgraph index |
/// | 12 + 12·i | u32 | entry i: tensor index in that subgraph |
/// | 16 + 12·i | u32 | entry i: bits per value (2 or 4) |
///
/// The buffer is exactly `8 + 12·n` bytes. Each listed tensor must be a constant INT8 tensor
/// whose values fit the width, listed once. TensorFlow Lite ignores metadata names it does not
/// know, so the file still loads and runs there with its int8 values.
enum PackedBitsMetadata {
  /// The metadata name.
  static let name = "systole_packed_bits"
  /// The format version written and read.
  static let version: UInt32 = 1
  /// Bytes before the entries.
  static let headerBytes = 8
  /// Bytes per entry.
  static let entryBytes = 12

  /// One entry: a tensor and its storage width.
  struct Entry: Equatable {
    var graph: Int
    var tensor: Int
    var bits: Int
  }

  /// The buffer for `entries`.
  static func encode(_ entries: [Entry]) -> [UInt8] {
    var out: [UInt8] = []
    func put(_ v: UInt32) { for i in 0..<4 { out.append(UInt8(truncatingIfNeeded: v >> (8 * UInt32(i)))) } }
    put(version)
    put(UInt32(entries.count))
    for e in entries {
      put(UInt32(e.graph))
      put(UInt32(e.tensor))
      put(UInt32(e.bits))
    }
    return out
  }

  /// The tensors `model` must list: every tensor whose `packedBits` its TFLite type cannot
  /// carry (everything but 4-bit tensors, which are written as INT4).
  static func entries(of model: Model) -> [Entry] {
    var entries: [Entry] = []
    for (g, graph) in model.graphs.enumerated() {
      for (t, tensor) in graph.tensors.enumerated() {
        if let bits = tensor.packedBits, bits != 4 { entries.append(Entry(graph: g, tensor: t, bits: bits)) }
      }
    }
    return entries
  }
}
