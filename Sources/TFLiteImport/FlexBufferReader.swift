/// A bounds-checked reader of a FlexBuffer: the schemaless format of a custom operator's
/// `custom_options` (`flatbuffers/flexbuffers.h`).
///
/// The layout, read from the end: the last byte is the root's byte width, the byte before it
/// the root's packed type (`type << 2 | log2(width)`), and the root value sits just before them.
/// A map is a vector of values (its length one element width before its start, one packed type
/// byte per value after its elements) preceded by a reference to its sorted keys vector and that
/// vector's element width. References are unsigned distances backwards from where they are
/// stored, so following one always moves towards the start of the buffer.
///
/// Every offset and width is checked against the buffer before it is read; the reader reads the
/// root map and its scalar values and follows no references further, so a hostile blob costs
/// at most one pass over its bytes. Each problem becomes the caller's error, one line naming
/// the key and the byte offset inside the blob.
struct FlexBufferReader {
  /// FlexBuffer value types (`flexbuffers::Type`) the reader interprets.
  enum ValueType: Int {
    case null = 0, int = 1, uint = 2, float = 3, key = 4, string = 5
    case indirectInt = 6, indirectUInt = 7, indirectFloat = 8, map = 9, vector = 10
    case bool = 26
  }

  /// A value's place: its bytes at `offset`, stored `parentWidth` bytes wide, of packed type
  /// `type` whose own width (for indirect values and vectors) is `byteWidth`.
  struct Reference {
    var offset: Int
    var parentWidth: Int
    var byteWidth: Int
    var type: Int
  }

  let bytes: [UInt8]
  /// Turns a problem description into the caller's error.
  let fail: (String) -> TFLiteImportError

  init(_ bytes: [UInt8], fail: @escaping (String) -> TFLiteImportError) {
    self.bytes = bytes
    self.fail = fail
  }

  /// Checks that `count` bytes at `offset` lie inside the blob.
  func need(_ offset: Int, _ count: Int, _ what: String) throws(TFLiteImportError) {
    guard offset >= 0, count >= 0, offset <= bytes.count, count <= bytes.count - offset else {
      throw fail("\(what) at byte \(offset) (\(count) bytes) lies outside the \(bytes.count)-byte FlexBuffer")
    }
  }

  static func isWidth(_ w: Int) -> Bool { w == 1 || w == 2 || w == 4 || w == 8 }

  /// An unsigned integer `width` bytes wide at `offset`, little-endian.
  func uint(at offset: Int, width: Int, _ what: String) throws(TFLiteImportError) -> UInt64 {
    guard Self.isWidth(width) else { throw fail("\(what) has byte width \(width); expected 1, 2, 4 or 8") }
    try need(offset, width, what)
    var v: UInt64 = 0
    for k in 0..<width { v |= UInt64(bytes[offset + k]) << (8 * k) }
    return v
  }

  /// A signed integer `width` bytes wide at `offset`.
  func int(at offset: Int, width: Int, _ what: String) throws(TFLiteImportError) -> Int64 {
    let u = try uint(at: offset, width: width, what)
    let shift = UInt64(64 - 8 * width)
    return Int64(bitPattern: u << shift) >> Int64(shift)
  }

  /// A float 4 or 8 bytes wide at `offset`, as a Double.
  func float(at offset: Int, width: Int, _ what: String) throws(TFLiteImportError) -> Double {
    switch width {
    case 4: return Double(Float(bitPattern: UInt32(try uint(at: offset, width: 4, what))))
    case 8: return Double(bitPattern: try uint(at: offset, width: 8, what))
    default: throw fail("\(what) is a float \(width) bytes wide; expected 4 or 8")
    }
  }

  /// The offset a reference stored at `offset` (`width` bytes) points to.
  func target(of offset: Int, width: Int, _ what: String) throws(TFLiteImportError) -> Int {
    let distance = try uint(at: offset, width: width, what)
    guard distance <= UInt64(offset) else {
      throw fail("\(what) at byte \(offset) points \(distance) bytes back, before the start of the FlexBuffer")
    }
    return offset - Int(distance)
  }

  /// The root value.
  func root() throws(TFLiteImportError) -> Reference {
    guard bytes.count >= 3 else { throw fail("FlexBuffer of \(bytes.count) bytes; a root needs at least 3") }
    let width = Int(bytes[bytes.count - 1])
    guard Self.isWidth(width) else { throw fail("root byte width \(width); expected 1, 2, 4 or 8") }
    let packed = Int(bytes[bytes.count - 2])
    let offset = bytes.count - 2 - width
    try need(offset, width, "the root value")
    return Reference(offset: offset, parentWidth: width, byteWidth: 1 << (packed & 3), type: packed >> 2)
  }

  static func typeName(_ type: Int) -> String {
    switch ValueType(rawValue: type) {
    case .null: "null"
    case .int, .indirectInt: "int"
    case .uint, .indirectUInt: "uint"
    case .float, .indirectFloat: "float"
    case .key: "key"
    case .string: "string"
    case .map: "map"
    case .vector: "vector"
    case .bool: "bool"
    case nil: "type \(type)"
    }
  }

  /// The root map's entries, key → value. Keys must be NUL-terminated inside the blob.
  func rootMap() throws(TFLiteImportError) -> [String: Reference] {
    let r = try root()
    guard r.type == ValueType.map.rawValue else {
      throw fail("the root has type \(Self.typeName(r.type)); expected a map")
    }
    let width = r.byteWidth
    let start = try target(of: r.offset, width: r.parentWidth, "the root map reference")
    guard Self.isWidth(width), start >= 3 * width else {
      throw fail("the root map at byte \(start) with element width \(width) has no room for its header")
    }
    let length = try uint(at: start - width, width: width, "the map length")
    guard length <= UInt64(bytes.count) else { throw fail("the map claims \(length) entries in \(bytes.count) bytes") }
    let n = Int(length)
    try need(start, n * width + n, "the map's \(n) values and types")
    let keysAt = try target(of: start - 3 * width, width: width, "the map's keys reference")
    let keyWidth = Int(try uint(at: start - 2 * width, width: width, "the keys' byte width"))
    guard Self.isWidth(keyWidth), keysAt >= keyWidth else {
      throw fail("the map's keys vector at byte \(keysAt) has byte width \(keyWidth); expected 1, 2, 4 or 8")
    }
    let keyCount = try uint(at: keysAt - keyWidth, width: keyWidth, "the keys' length")
    guard keyCount == length else { throw fail("the map has \(n) values but \(keyCount) keys") }
    try need(keysAt, n * keyWidth, "the map's \(n) keys")
    var entries: [String: Reference] = [:]
    for i in 0..<n {
      let keyStart = try target(of: keysAt + i * keyWidth, width: keyWidth, "key \(i)")
      guard let end = bytes[keyStart...].firstIndex(of: 0) else {
        throw fail("key \(i) at byte \(keyStart) runs past the end of the FlexBuffer without a NUL")
      }
      let key = String(decoding: bytes[keyStart..<end], as: UTF8.self)
      let packed = Int(bytes[start + n * width + i])
      entries[key] = Reference(offset: start + i * width, parentWidth: width, byteWidth: 1 << (packed & 3), type: packed >> 2)
    }
    return entries
  }

  /// A numeric value as a Double (`AsDouble`): int, uint, float, bool, or their indirect forms;
  /// nil for null.
  func number(_ v: Reference, _ key: String) throws(TFLiteImportError) -> Double? {
    let what = "'\(key)'"
    switch ValueType(rawValue: v.type) {
    case .null: return nil
    case .int: return Double(try int(at: v.offset, width: v.parentWidth, what))
    case .uint, .bool: return Double(try uint(at: v.offset, width: v.parentWidth, what))
    case .float: return try float(at: v.offset, width: v.parentWidth, what)
    case .indirectInt:
      return Double(try int(at: try target(of: v.offset, width: v.parentWidth, what), width: v.byteWidth, what))
    case .indirectUInt:
      return Double(try uint(at: try target(of: v.offset, width: v.parentWidth, what), width: v.byteWidth, what))
    case .indirectFloat:
      return try float(at: try target(of: v.offset, width: v.parentWidth, what), width: v.byteWidth, what)
    default:
      throw fail("\(what) has type \(Self.typeName(v.type)); expected a number")
    }
  }
}
