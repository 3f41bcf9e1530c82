/// A table to serialize: its fields by id. Absent ids are not written (readers use defaults).
struct FlatBufferTableValue {
  var fields: [(id: Int, value: FlatBufferField)] = []

  init(_ fields: [(id: Int, value: FlatBufferField)] = []) { self.fields = fields }

  /// Adds field `id` (ignored when `value` is `nil`).
  mutating func set(_ id: Int, _ value: FlatBufferField?) {
    if let value { fields.append((id, value)) }
  }
}

/// One field value of a table.
enum FlatBufferField {
  case int8(Int8)
  case uint8(UInt8)
  case bool(Bool)
  case int32(Int32)
  case uint32(UInt32)
  case float32(Float)
  /// A `uint64` whose absolute position is recorded under `key` so it can be patched later.
  case uint64(UInt64, patchKey: Int?)
  case table(FlatBufferTableValue)
  case tables([FlatBufferTableValue])
  case string(String)
  case int32s([Int32])
  case int64s([Int64])
  case float32s([Float])
  /// A `[ubyte]` vector whose first element is aligned to `alignment` bytes.
  case bytes([UInt8], alignment: Int)

  /// Bytes the field takes inside its table (references are 4-byte `uoffset`s).
  var inlineSize: Int {
    switch self {
    case .int8, .uint8, .bool: 1
    case .int32, .uint32, .float32: 4
    case .uint64: 8
    case .table, .tables, .string, .int32s, .int64s, .float32s, .bytes: 4
    }
  }

  var isReference: Bool {
    switch self {
    case .table, .tables, .string, .int32s, .int64s, .float32s, .bytes: true
    default: false
    }
  }
}

/// Serializes a tree of tables into a little-endian FlatBuffer.
///
/// Unlike the usual back-to-front FlatBuffers builder, this one writes front to back: a table's
/// inline part first, with placeholders for its references, then each referenced object after
/// it, patching the placeholder with the (always positive) distance. Every scalar is aligned to
/// its size relative to the start of the buffer, vectors of 8-byte elements to 8, and `[ubyte]`
/// vectors to the requested alignment (16 for tensor data, as TFLite's converter does).
struct FlatBufferBuilder {
  private(set) var bytes: [UInt8] = []
  /// Absolute positions of `uint64` fields written with a patch key.
  private(set) var patchPositions: [Int: Int] = [:]

  /// The finished buffer: root offset, `identifier` (4 bytes), then `root` and its children.
  static func build(root: FlatBufferTableValue, identifier: [UInt8]) -> FlatBufferBuilder {
    precondition(identifier.count == 4, "file identifier must be 4 bytes")
    var b = FlatBufferBuilder()
    b.bytes = [0, 0, 0, 0] + identifier
    let position = b.writeTable(root)
    b.patchOffset(at: 0, to: position)
    return b
  }

  // MARK: Primitives

  private mutating func align(_ alignment: Int, plus extra: Int = 0) {
    while (bytes.count + extra) % alignment != 0 { bytes.append(0) }
  }

  private mutating func append<T: FixedWidthInteger>(_ value: T) {
    withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
  }

  private mutating func store<T: FixedWidthInteger>(_ value: T, at position: Int) {
    withUnsafeBytes(of: value.littleEndian) { raw in
      for (k, byte) in raw.enumerated() { bytes[position + k] = byte }
    }
  }

  /// Writes the `uoffset` at `position` pointing forward to `target`.
  private mutating func patchOffset(at position: Int, to target: Int) {
    precondition(target >= position && target - position <= Int(UInt32.max), "uoffset must point forward")
    store(UInt32(target - position), at: position)
  }

  /// Overwrites the `uint64` recorded under `key`.
  mutating func patch(_ key: Int, _ value: UInt64) {
    guard let position = patchPositions[key] else { preconditionFailure("no uint64 field with patch key \(key)") }
    store(value, at: position)
  }

  /// Appends raw bytes at `alignment`; returns where they start.
  mutating func appendRaw(_ data: [UInt8], alignment: Int) -> Int {
    align(alignment)
    let start = bytes.count
    bytes.append(contentsOf: data)
    return start
  }

  // MARK: Objects

  /// Writes a table and its children; returns the table's position.
  private mutating func writeTable(_ table: FlatBufferTableValue) -> Int {
    let maxID = table.fields.map(\.id).max() ?? -1
    // Lay out the inline part: soffset at 0, then fields, largest first, each aligned to its size.
    let order = table.fields.indices.sorted { table.fields[$0].value.inlineSize > table.fields[$1].value.inlineSize }
    var offsets = [Int](repeating: 0, count: table.fields.count)
    var size = 4
    var maxAlign = 4
    for i in order {
      let s = table.fields[i].value.inlineSize
      maxAlign = max(maxAlign, s)
      size = (size + s - 1) / s * s
      offsets[i] = size
      size += s
    }
    // vtable: [vtable size, table size, one slot per id].
    align(2)
    let vtable = bytes.count
    var slots = [UInt16](repeating: 0, count: maxID + 1)
    for (i, field) in table.fields.enumerated() {
      precondition(slots[field.id] == 0, "field id \(field.id) set twice")
      slots[field.id] = UInt16(offsets[i])
    }
    append(UInt16(4 + 2 * slots.count))
    append(UInt16(size))
    for s in slots { append(s) }
    // Table start aligned so that every field is aligned in absolute terms.
    align(maxAlign)
    let start = bytes.count
    bytes.append(contentsOf: repeatElement(0, count: size))
    store(Int32(start - vtable), at: start)
    for (i, field) in table.fields.enumerated() {
      let at = start + offsets[i]
      switch field.value {
      case .int8(let v): store(v, at: at)
      case .uint8(let v): store(v, at: at)
      case .bool(let v): store(UInt8(v ? 1 : 0), at: at)
      case .int32(let v): store(v, at: at)
      case .uint32(let v): store(v, at: at)
      case .float32(let v): store(v.bitPattern, at: at)
      case .uint64(let v, let key):
        store(v, at: at)
        if let key { patchPositions[key] = at }
      default: break
      }
    }
    for (i, field) in table.fields.enumerated() where field.value.isReference {
      let at = start + offsets[i]
      let target = writeObject(field.value)
      patchOffset(at: at, to: target)
    }
    return start
  }

  /// Writes a referenced object (table, vector or string); returns its position.
  private mutating func writeObject(_ value: FlatBufferField) -> Int {
    switch value {
    case .table(let t):
      return writeTable(t)
    case .tables(let tables):
      align(4)
      let start = bytes.count
      append(UInt32(tables.count))
      bytes.append(contentsOf: repeatElement(0, count: 4 * tables.count))
      for (k, t) in tables.enumerated() {
        let target = writeTable(t)
        patchOffset(at: start + 4 + 4 * k, to: target)
      }
      return start
    case .string(let s):
      let utf8 = Array(s.utf8)
      align(4)
      let start = bytes.count
      append(UInt32(utf8.count))
      bytes.append(contentsOf: utf8)
      bytes.append(0)
      return start
    case .int32s(let v):
      return writeVector(count: v.count, alignment: 4) { b in for x in v { b.append(x) } }
    case .int64s(let v):
      return writeVector(count: v.count, alignment: 8) { b in for x in v { b.append(x) } }
    case .float32s(let v):
      return writeVector(count: v.count, alignment: 4) { b in for x in v { b.append(x.bitPattern) } }
    case .bytes(let v, let alignment):
      return writeVector(count: v.count, alignment: max(alignment, 4)) { b in b.bytes.append(contentsOf: v) }
    default:
      preconditionFailure("not a reference field")
    }
  }

  /// Writes a length prefix aligned so that the elements start at `alignment`, then the elements.
  private mutating func writeVector(count: Int, alignment: Int, _ elements: (inout FlatBufferBuilder) -> Void) -> Int {
    align(alignment, plus: 4)
    let start = bytes.count
    append(UInt32(count))
    elements(&self)
    return start
  }
}
