import Foundation

/// A JSON value with ordered object keys, for reports whose key order is part of the format.
///
/// Foundation's `JSONSerialization` does not keep insertion order; report files are diffed and
/// snapshot-tested, so Systole writes them with this type. Numbers that are integers print
/// without a fraction; others print with Swift's shortest round-tripping representation.
public indirect enum JSONValue: Sendable, Equatable {
  case null
  case bool(Bool)
  case int(Int64)
  case double(Double)
  case string(String)
  case array([JSONValue])
  case object([(key: String, value: JSONValue)])

  public static func == (a: JSONValue, b: JSONValue) -> Bool {
    switch (a, b) {
    case (.null, .null): true
    case (.bool(let x), .bool(let y)): x == y
    case (.int(let x), .int(let y)): x == y
    case (.double(let x), .double(let y)): x == y
    case (.string(let x), .string(let y)): x == y
    case (.array(let x), .array(let y)): x == y
    case (.object(let x), .object(let y)): x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
    default: false
    }
  }

  /// Convenience for integer values.
  public static func int(_ v: Int) -> JSONValue { .int(Int64(v)) }

  /// The value for `key` of an object, `nil` otherwise.
  public subscript(key: String) -> JSONValue? {
    if case .object(let pairs) = self { return pairs.first { $0.0 == key }?.1 }
    return nil
  }

  /// Serializes the value; `pretty` indents by two spaces per level.
  public func serialized(pretty: Bool = true) -> String {
    var out = ""
    write(to: &out, indent: 0, pretty: pretty)
    return out
  }

  private func write(to out: inout String, indent: Int, pretty: Bool) {
    let nl = pretty ? "\n" : ""
    let pad = pretty ? String(repeating: "  ", count: indent + 1) : ""
    let closePad = pretty ? String(repeating: "  ", count: indent) : ""
    switch self {
    case .null: out += "null"
    case .bool(let b): out += b ? "true" : "false"
    case .int(let i): out += String(i)
    case .double(let d):
      if !d.isFinite {
        out += "null"
      } else if d == d.rounded(), abs(d) < 1e15 {
        out += String(Int64(d))
      } else {
        out += "\(d)"
      }
    case .string(let s): JSONValue.writeString(s, to: &out)
    case .array(let items):
      if items.isEmpty {
        out += "[]"
        return
      }
      // Arrays of scalars stay on one line: shapes and small vectors read better that way.
      let scalar = items.allSatisfy { if case .array = $0 { return false }; if case .object = $0 { return false }; return true }
      if scalar || !pretty {
        out += "["
        for (i, v) in items.enumerated() {
          if i > 0 { out += pretty ? ", " : "," }
          v.write(to: &out, indent: indent + 1, pretty: pretty)
        }
        out += "]"
      } else {
        out += "[" + nl
        for (i, v) in items.enumerated() {
          out += pad
          v.write(to: &out, indent: indent + 1, pretty: pretty)
          out += (i + 1 < items.count ? "," : "") + nl
        }
        out += closePad + "]"
      }
    case .object(let pairs):
      if pairs.isEmpty {
        out += "{}"
        return
      }
      out += "{" + nl
      for (i, (k, v)) in pairs.enumerated() {
        out += pad
        JSONValue.writeString(k, to: &out)
        out += pretty ? ": " : ":"
        v.write(to: &out, indent: indent + 1, pretty: pretty)
        out += (i + 1 < pairs.count ? "," : "") + nl
      }
      out += closePad + "}"
    }
  }

  private static func writeString(_ s: String, to out: inout String) {
    out += "\""
    for scalar in s.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      case let c where c.value < 0x20: out += String(format: "\\u%04x", c.value)
      default: out.unicodeScalars.append(scalar)
      }
    }
    out += "\""
  }

  /// `s` as a JSON string literal, escaping quotes, backslashes and control characters.
  public static func quoted(_ s: String) -> String {
    var out = ""
    writeString(s, to: &out)
    return out
  }

  /// Parses RFC 8259 JSON text, keeping object keys in file order.
  ///
  /// Integers without a fraction or exponent that fit in `Int64` become ``int(_:)``; other
  /// numbers ``double(_:)``. Duplicate keys and nesting deeper than 64 levels are errors; errors
  /// carry the 1-based line and column and the byte offset.
  public static func parse(_ text: String) throws(JSONParseError) -> JSONValue {
    try parse(bytes: Array(text.utf8))
  }

  /// Parses UTF-8 JSON bytes (see ``parse(_:)``).
  public static func parse(bytes: [UInt8]) throws(JSONParseError) -> JSONValue {
    var parser = JSONParser(bytes: bytes)
    parser.skipWhitespace()
    let value = try parser.parseValue(depth: 0)
    parser.skipWhitespace()
    if parser.position < bytes.count { throw parser.failure("unexpected text after the JSON value") }
    return value
  }
}

/// Where and why JSON text failed to parse.
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
  /// 1-based line and column (in bytes) of the offending character.
  public let line: Int
  public let column: Int
  /// 0-based byte offset of the offending character.
  public let offset: Int
  public let message: String

  public init(line: Int, column: Int, offset: Int, message: String) {
    self.line = line
    self.column = column
    self.offset = offset
    self.message = message
  }

  /// `line 3, column 7: expected ':' after the key "rows", found '='`.
  public var description: String { "line \(line), column \(column): \(message)" }
}

extension JSONValue: Codable {
  private struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
  }

  /// Decodes any JSON value (objects' keys in sorted order: `Decoder` does not keep file order).
  public init(from decoder: any Decoder) throws {
    if let object = try? decoder.container(keyedBy: AnyKey.self) {
      var pairs: [(key: String, value: JSONValue)] = []
      for key in object.allKeys.sorted(by: { $0.stringValue < $1.stringValue }) {
        pairs.append((key.stringValue, try object.decode(JSONValue.self, forKey: key)))
      }
      self = .object(pairs)
      return
    }
    if var array = try? decoder.unkeyedContainer() {
      var items: [JSONValue] = []
      while !array.isAtEnd { items.append(try array.decode(JSONValue.self)) }
      self = .array(items)
      return
    }
    let single = try decoder.singleValueContainer()
    if single.decodeNil() {
      self = .null
    } else if let b = try? single.decode(Bool.self) {
      self = .bool(b)
    } else if let n = try? single.decode(Int64.self) {
      self = .int(n)
    } else if let x = try? single.decode(Double.self) {
      self = .double(x)
    } else {
      self = .string(try single.decode(String.self))
    }
  }

  public func encode(to encoder: any Encoder) throws {
    switch self {
    case .null:
      var c = encoder.singleValueContainer()
      try c.encodeNil()
    case .bool(let b):
      var c = encoder.singleValueContainer()
      try c.encode(b)
    case .int(let n):
      var c = encoder.singleValueContainer()
      try c.encode(n)
    case .double(let x):
      var c = encoder.singleValueContainer()
      try c.encode(x)
    case .string(let s):
      var c = encoder.singleValueContainer()
      try c.encode(s)
    case .array(let items):
      var c = encoder.unkeyedContainer()
      for item in items { try c.encode(item) }
    case .object(let pairs):
      var c = encoder.container(keyedBy: AnyKey.self)
      for (key, value) in pairs { try c.encode(value, forKey: AnyKey(stringValue: key)) }
    }
  }
}

private struct JSONParser {
  let bytes: [UInt8]
  var position = 0

  init(bytes: [UInt8]) { self.bytes = bytes }

  func failure(_ message: String, at offset: Int? = nil) -> JSONParseError {
    let end = min(offset ?? position, bytes.count)
    var line = 1
    var column = 1
    for byte in bytes[..<end] {
      if byte == UInt8(ascii: "\n") {
        line += 1
        column = 1
      } else {
        column += 1
      }
    }
    return JSONParseError(line: line, column: column, offset: end, message: message)
  }

  var current: UInt8? { position < bytes.count ? bytes[position] : nil }

  /// What is at the current position, for messages: `'x'` or `the end of the file`.
  var found: String {
    guard let byte = current else { return "the end of the file" }
    if byte >= 0x20 && byte < 0x7f { return "'\(Character(UnicodeScalar(byte)))'" }
    return "byte 0x" + String(byte, radix: 16)
  }

  mutating func skipWhitespace() {
    while let byte = current, byte == 0x20 || byte == 0x0a || byte == 0x0d || byte == 0x09 { position += 1 }
  }

  mutating func parseValue(depth: Int) throws(JSONParseError) -> JSONValue {
    guard depth < 64 else { throw failure("nesting deeper than 64 levels") }
    guard let byte = current else { throw failure("expected a value, found the end of the file") }
    switch byte {
    case UInt8(ascii: "{"): return try parseObject(depth: depth)
    case UInt8(ascii: "["): return try parseArray(depth: depth)
    case UInt8(ascii: "\""): return .string(try parseString())
    case UInt8(ascii: "t"): try expectWord("true"); return .bool(true)
    case UInt8(ascii: "f"): try expectWord("false"); return .bool(false)
    case UInt8(ascii: "n"): try expectWord("null"); return .null
    case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
    default: throw failure("expected a value, found \(found)")
    }
  }

  mutating func expectWord(_ word: String) throws(JSONParseError) {
    let start = position
    for expected in word.utf8 {
      guard current == expected else { throw failure("expected '\(word)'", at: start) }
      position += 1
    }
  }

  mutating func parseObject(depth: Int) throws(JSONParseError) -> JSONValue {
    position += 1  // {
    var pairs: [(key: String, value: JSONValue)] = []
    skipWhitespace()
    if current == UInt8(ascii: "}") {
      position += 1
      return .object(pairs)
    }
    while true {
      skipWhitespace()
      guard current == UInt8(ascii: "\"") else { throw failure("expected a key in double quotes, found \(found)") }
      let keyStart = position
      let key = try parseString()
      if pairs.contains(where: { $0.key == key }) {
        throw failure("duplicate key \(JSONValue.quoted(key))", at: keyStart)
      }
      skipWhitespace()
      guard current == UInt8(ascii: ":") else {
        throw failure("expected ':' after the key \(JSONValue.quoted(key)), found \(found)")
      }
      position += 1
      skipWhitespace()
      pairs.append((key, try parseValue(depth: depth + 1)))
      skipWhitespace()
      if current == UInt8(ascii: ",") {
        position += 1
        continue
      }
      if current == UInt8(ascii: "}") {
        position += 1
        return .object(pairs)
      }
      throw failure("expected ',' or '}' in an object, found \(found)")
    }
  }

  mutating func parseArray(depth: Int) throws(JSONParseError) -> JSONValue {
    position += 1  // [
    var items: [JSONValue] = []
    skipWhitespace()
    if current == UInt8(ascii: "]") {
      position += 1
      return .array(items)
    }
    while true {
      skipWhitespace()
      items.append(try parseValue(depth: depth + 1))
      skipWhitespace()
      if current == UInt8(ascii: ",") {
        position += 1
        continue
      }
      if current == UInt8(ascii: "]") {
        position += 1
        return .array(items)
      }
      throw failure("expected ',' or ']' in an array, found \(found)")
    }
  }

  mutating func parseString() throws(JSONParseError) -> String {
    let start = position
    position += 1  // opening quote
    var scalars = String.UnicodeScalarView()
    var raw: [UInt8] = []
    func flush() -> Bool {
      if raw.isEmpty { return true }
      guard let text = String(validating: raw, as: UTF8.self) else { return false }
      scalars.append(contentsOf: text.unicodeScalars)
      raw.removeAll()
      return true
    }
    while true {
      guard let byte = current else { throw failure("unterminated string", at: start) }
      if byte == UInt8(ascii: "\"") {
        position += 1
        guard flush() else { throw failure("invalid UTF-8 in a string", at: start) }
        return String(scalars)
      }
      if byte < 0x20 { throw failure("control character in a string (escape it)") }
      if byte != UInt8(ascii: "\\") {
        raw.append(byte)
        position += 1
        continue
      }
      guard flush() else { throw failure("invalid UTF-8 in a string", at: start) }
      position += 1
      guard let escape = current else { throw failure("unterminated string", at: start) }
      position += 1
      switch escape {
      case UInt8(ascii: "\""): scalars.append("\"")
      case UInt8(ascii: "\\"): scalars.append("\\")
      case UInt8(ascii: "/"): scalars.append("/")
      case UInt8(ascii: "b"): scalars.append("\u{08}")
      case UInt8(ascii: "f"): scalars.append("\u{0C}")
      case UInt8(ascii: "n"): scalars.append("\n")
      case UInt8(ascii: "r"): scalars.append("\r")
      case UInt8(ascii: "t"): scalars.append("\t")
      case UInt8(ascii: "u"):
        var code = try parseHex4()
        if (0xD800..<0xDC00).contains(code) {
          guard current == UInt8(ascii: "\\"), position + 1 < bytes.count, bytes[position + 1] == UInt8(ascii: "u")
          else { throw failure("unpaired surrogate in \\u escape") }
          position += 2
          let low = try parseHex4()
          guard (0xDC00..<0xE000).contains(low) else { throw failure("unpaired surrogate in \\u escape") }
          code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
        }
        guard let scalar = Unicode.Scalar(code) else { throw failure("invalid \\u escape") }
        scalars.append(scalar)
      default:
        throw failure("invalid escape '\\\(Character(UnicodeScalar(escape)))'", at: position - 2)
      }
    }
  }

  mutating func parseHex4() throws(JSONParseError) -> UInt32 {
    var code: UInt32 = 0
    for _ in 0..<4 {
      guard let byte = current, let digit = hexValue(byte) else { throw failure("expected 4 hex digits after \\u") }
      code = code * 16 + digit
      position += 1
    }
    return code
  }

  func hexValue(_ byte: UInt8) -> UInt32? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(byte - UInt8(ascii: "0"))
    case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(byte - UInt8(ascii: "a") + 10)
    case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(byte - UInt8(ascii: "A") + 10)
    default: nil
    }
  }

  mutating func parseNumber() throws(JSONParseError) -> JSONValue {
    let start = position
    var isInteger = true
    func digits() -> Int {
      var count = 0
      while let byte = current, byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
        position += 1
        count += 1
      }
      return count
    }
    if current == UInt8(ascii: "-") { position += 1 }
    if current == UInt8(ascii: "0") {
      position += 1
    } else if digits() == 0 {
      throw failure("expected a digit, found \(found)")
    }
    if current == UInt8(ascii: ".") {
      isInteger = false
      position += 1
      if digits() == 0 { throw failure("expected a digit after '.', found \(found)") }
    }
    if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
      isInteger = false
      position += 1
      if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { position += 1 }
      if digits() == 0 { throw failure("expected a digit in the exponent, found \(found)") }
    }
    let text = String(decoding: bytes[start..<position], as: UTF8.self)
    if isInteger, let n = Int64(text) { return .int(n) }
    guard let x = Double(text) else { throw failure("number out of range", at: start) }
    return .double(x)
  }
}
