import Support

/// A table inside a FlatBuffer whose header and vtable have been checked against the buffer.
///
/// Only ``FlatBufferReader/table(at:_:)`` creates one, so every `Table` has a vtable inside
/// the buffer and an inline part (`position ..< position + size`) inside the buffer.
struct FlatBufferTable {
  /// Byte offset of the table (where its `soffset` to the vtable is stored).
  let position: Int
  /// Byte offset of its vtable.
  let vtable: Int
  /// Size of the vtable in bytes (4 + 2 × number of field slots).
  let vtableSize: Int
  /// Size of the table's inline part in bytes, `soffset` included.
  let size: Int
  /// The schema name of the table, for messages (`"Tensor"`).
  let name: String
}

/// A vector inside a FlatBuffer whose extent has been checked against the buffer.
struct FlatBufferVector {
  /// Byte offset of the length prefix.
  let position: Int
  /// Byte offset of the first element (`position + 4`).
  var start: Int { position + 4 }
  /// Number of elements.
  let count: Int
  /// Size of one element in bytes.
  let elementSize: Int
}

/// A read-only, bounds-checked reader of a little-endian FlatBuffer.
///
/// Every offset is checked against the buffer before it is used:
/// - a table's `soffset` must lead to a vtable inside the buffer whose declared vtable size
///   (≥ 4, even) and table size (≥ 4) both fit inside the buffer;
/// - a field must lie inside its table's declared inline size;
/// - a `uoffset` is unsigned, so references only point forward: following them cannot loop,
///   and the importer follows a fixed schema, so recursion depth is bounded by the schema;
/// - a vector's length prefix and all of its elements must fit inside the buffer.
///
/// Tables, vectors and strings may be shared (a FlatBuffer is a DAG), so a hostile file could
/// make a small buffer decode into a huge model by referencing one big vector many times. The
/// reader therefore charges every decoded vector element against a budget proportional to the
/// buffer size (``elementBudget``) and fails when it runs out.
final class FlatBufferReader {
  /// The whole buffer.
  let bytes: [UInt8]
  /// The file name used in messages.
  let source: String
  /// Vector elements that may still be decoded.
  private(set) var elementBudget: Int

  init(_ bytes: [UInt8], source: String) {
    self.bytes = bytes
    self.source = source
    self.elementBudget = 8 * bytes.count + 65_536
  }

  /// The number of bytes in the buffer.
  var count: Int { bytes.count }

  // MARK: Errors

  func error(_ kind: TFLiteImportError.Kind, at offset: Int, _ message: String) -> TFLiteImportError {
    TFLiteImportError(kind, source: source, at: .byteOffset(max(offset, 0)), message)
  }

  static func hex(_ value: Int) -> String { value < 0 ? "-0x" + String(-value, radix: 16) : "0x" + String(value, radix: 16) }

  /// Checks that `count` bytes starting at `offset` lie inside the buffer.
  @inline(__always)
  func need(_ offset: Int, _ count: Int, _ what: @autoclosure () -> String) throws(TFLiteImportError) {
    guard offset >= 0, count >= 0, offset <= bytes.count, count <= bytes.count - offset else {
      throw outOfBounds(offset, count, what())
    }
  }

  private func outOfBounds(_ offset: Int, _ count: Int, _ what: String) -> TFLiteImportError {
    if offset < 0 {
      return error(.malformed, at: 0, "\(what) at \(Self.hex(offset)) is before the start of the file")
    }
    return error(
      .malformed, at: offset,
      "\(what) (\(count) bytes) runs past the end of the file at \(Self.hex(bytes.count)) (truncated?)")
  }

  /// Charges `elements` decoded vector elements against the budget.
  func charge(_ elements: Int, at offset: Int) throws(TFLiteImportError) {
    elementBudget -= elements
    guard elementBudget >= 0 else {
      throw error(
        .malformed, at: offset,
        "the file references shared data too often: more than \(8 * bytes.count + 65_536) vector elements decoded from \(bytes.count) bytes")
    }
  }

  // MARK: Raw little-endian loads (callers check bounds first)

  @inline(__always)
  func load<T: FixedWidthInteger>(_: T.Type, at offset: Int) -> T {
    precondition(offset >= 0 && offset <= bytes.count - MemoryLayout<T>.size, "unchecked read at \(offset)")
    return bytes.withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: T.self)) }
  }

  // MARK: Tables

  /// Validates the table at `position`: its `soffset`, vtable and inline size.
  func table(at position: Int, _ name: String) throws(TFLiteImportError) -> FlatBufferTable {
    try need(position, 4, "\(name) table")
    let vtable = position - Int(load(Int32.self, at: position))
    try need(vtable, 4, "\(name) vtable")
    let vtableSize = Int(load(UInt16.self, at: vtable))
    let size = Int(load(UInt16.self, at: vtable + 2))
    guard vtableSize >= 4, vtableSize % 2 == 0 else {
      throw error(.malformed, at: vtable, "\(name) vtable declares \(vtableSize) bytes; expected an even size of at least 4")
    }
    try need(vtable, vtableSize, "\(name) vtable")
    guard size >= 4 else {
      throw error(.malformed, at: vtable, "\(name) vtable declares a table of \(size) bytes; expected at least 4")
    }
    try need(position, size, "\(name) table")
    return FlatBufferTable(position: position, vtable: vtable, vtableSize: vtableSize, size: size, name: name)
  }

  /// The table the buffer's root `uoffset` (bytes 0..<4) points to.
  func rootTable(_ name: String) throws(TFLiteImportError) -> FlatBufferTable {
    try need(0, 4, "root offset")
    return try table(at: Int(load(UInt32.self, at: 0)), name)
  }

  /// The absolute offset of field `id` of `table` when present, checking that `size` bytes of
  /// it lie inside the table; `nil` when the field is absent (the schema default applies).
  func field(_ table: FlatBufferTable, _ id: Int, size: Int, _ name: StaticString) throws(TFLiteImportError) -> Int? {
    let slot = 4 + 2 * id
    guard slot + 2 <= table.vtableSize else { return nil }
    let offset = Int(load(UInt16.self, at: table.vtable + slot))
    guard offset != 0 else { return nil }
    guard offset >= 4, offset + size <= table.size else {
      throw error(
        .malformed, at: table.position,
        "\(table.name).\(name) at table offset \(offset) (\(size) bytes) lies outside the table's \(table.size) bytes")
    }
    return table.position + offset
  }

  // MARK: Scalars

  /// A scalar field, or `defaultValue` when absent.
  func scalar<T: FixedWidthInteger>(
    _ table: FlatBufferTable, _ id: Int, _ name: StaticString, default defaultValue: T
  ) throws(TFLiteImportError) -> T {
    guard let at = try field(table, id, size: MemoryLayout<T>.size, name) else { return defaultValue }
    return load(T.self, at: at)
  }

  /// A `bool` field (any non-zero byte is true), or `defaultValue` when absent.
  func bool(_ table: FlatBufferTable, _ id: Int, _ name: StaticString, default defaultValue: Bool = false)
    throws(TFLiteImportError) -> Bool
  {
    try scalar(table, id, name, default: UInt8(defaultValue ? 1 : 0)) != 0
  }

  /// A `float` field, or `defaultValue` when absent.
  func float32(_ table: FlatBufferTable, _ id: Int, _ name: StaticString, default defaultValue: Float)
    throws(TFLiteImportError) -> Float
  {
    guard let at = try field(table, id, size: 4, name) else { return defaultValue }
    return Float(bitPattern: load(UInt32.self, at: at))
  }

  // MARK: References

  /// Follows the `uoffset` stored at `at` (its target is not yet checked).
  private func follow(_ at: Int) -> Int { at + Int(load(UInt32.self, at: at)) }

  /// A table-valued field, or `nil` when absent.
  func table(
    _ table: FlatBufferTable, _ id: Int, _ field: StaticString, as name: String
  ) throws(TFLiteImportError) -> FlatBufferTable? {
    guard let at = try self.field(table, id, size: 4, field) else { return nil }
    return try self.table(at: follow(at), name)
  }

  /// The vector at `position`, checked to fit inside the buffer.
  func vector(at position: Int, elementSize: Int, _ what: @autoclosure () -> String) throws(TFLiteImportError)
    -> FlatBufferVector
  {
    try need(position, 4, "\(what()) length")
    let count = Int(load(UInt32.self, at: position))
    try need(position + 4, count * elementSize, "\(what()) of \(count) × \(elementSize)-byte elements")
    return FlatBufferVector(position: position, count: count, elementSize: elementSize)
  }

  /// A vector-valued field, or `nil` when absent.
  func vector(_ table: FlatBufferTable, _ id: Int, _ name: StaticString, elementSize: Int) throws(TFLiteImportError)
    -> FlatBufferVector?
  {
    guard let at = try field(table, id, size: 4, name) else { return nil }
    return try vector(at: follow(at), elementSize: elementSize, "\(table.name).\(name) vector")
  }

  /// Element `index` of a vector of tables.
  func table(in vector: FlatBufferVector, at index: Int, _ name: String) throws(TFLiteImportError)
    -> FlatBufferTable
  {
    precondition(index >= 0 && index < vector.count && vector.elementSize == 4, "table vector index \(index)")
    return try table(at: follow(vector.start + 4 * index), name)
  }

  /// A string field (UTF-8; invalid sequences are replaced), or `nil` when absent.
  func string(_ table: FlatBufferTable, _ id: Int, _ name: StaticString) throws(TFLiteImportError) -> String? {
    guard let v = try vector(table, id, name, elementSize: 1) else { return nil }
    try charge(v.count, at: v.position)
    return String(decoding: bytes[v.start..<v.start + v.count], as: UTF8.self)
  }

  /// The elements of a vector of 4-byte integers, or `nil` when absent.
  func int32s(_ table: FlatBufferTable, _ id: Int, _ name: StaticString) throws(TFLiteImportError) -> [Int32]? {
    guard let v = try vector(table, id, name, elementSize: 4) else { return nil }
    try charge(v.count, at: v.position)
    return (0..<v.count).map { load(Int32.self, at: v.start + 4 * $0) }
  }

  /// The elements of a vector of 8-byte integers, or `nil` when absent.
  func int64s(_ table: FlatBufferTable, _ id: Int, _ name: StaticString) throws(TFLiteImportError) -> [Int64]? {
    guard let v = try vector(table, id, name, elementSize: 8) else { return nil }
    try charge(v.count, at: v.position)
    return (0..<v.count).map { load(Int64.self, at: v.start + 8 * $0) }
  }

  /// The elements of a vector of floats, or `nil` when absent.
  func float32s(_ table: FlatBufferTable, _ id: Int, _ name: StaticString) throws(TFLiteImportError) -> [Float]? {
    guard let v = try vector(table, id, name, elementSize: 4) else { return nil }
    try charge(v.count, at: v.position)
    return (0..<v.count).map { Float(bitPattern: load(UInt32.self, at: v.start + 4 * $0)) }
  }
}
