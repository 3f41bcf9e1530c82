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
  case object([(String, JSONValue)])

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

  /// Parses JSON text; object key order is kept. Throws ``JSONParseError`` with the byte offset.
  public static func parse(_ text: String) throws(JSONParseError) -> JSONValue {
    var p = JSONParser(bytes: Array(text.utf8))
    let v = try p.value(depth: 0)
    p.skipSpace()
    guard p.pos == p.bytes.count else { throw JSONParseError(offset: p.pos, message: "unexpected text after the value") }
    return v
  }
}

/// A JSON syntax error at a byte offset.
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
  public var offset: Int
  public var message: String
  public init(offset: Int, message: String) {
    self.offset = offset
    self.message = message
  }
  public var description: String { "byte \(offset): \(message)" }
}

private struct JSONParser {
  let bytes: [UInt8]
  var pos = 0

  mutating func skipSpace() {
    while pos < bytes.count, [0x20, 0x0a, 0x0d, 0x09].contains(bytes[pos]) { pos += 1 }
  }

  mutating func fail(_ m: String) -> JSONParseError { JSONParseError(offset: pos, message: m) }

  mutating func value(depth: Int) throws(JSONParseError) -> JSONValue {
    guard depth < 512 else { throw fail("nesting deeper than 512") }
    skipSpace()
    guard pos < bytes.count else { throw fail("unexpected end of input; expected a value") }
    switch bytes[pos] {
    case UInt8(ascii: "{"):
      pos += 1
      var pairs: [(String, JSONValue)] = []
      skipSpace()
      if pos < bytes.count, bytes[pos] == UInt8(ascii: "}") {
        pos += 1
        return .object(pairs)
      }
      while true {
        skipSpace()
        guard pos < bytes.count, bytes[pos] == UInt8(ascii: "\"") else { throw fail("expected a string key") }
        let k = try string()
        skipSpace()
        guard pos < bytes.count, bytes[pos] == UInt8(ascii: ":") else { throw fail("expected ':'") }
        pos += 1
        pairs.append((k, try value(depth: depth + 1)))
        skipSpace()
        guard pos < bytes.count else { throw fail("unexpected end of input in object") }
        if bytes[pos] == UInt8(ascii: ",") {
          pos += 1
          continue
        }
        if bytes[pos] == UInt8(ascii: "}") {
          pos += 1
          return .object(pairs)
        }
        throw fail("expected ',' or '}'")
      }
    case UInt8(ascii: "["):
      pos += 1
      var items: [JSONValue] = []
      skipSpace()
      if pos < bytes.count, bytes[pos] == UInt8(ascii: "]") {
        pos += 1
        return .array(items)
      }
      while true {
        items.append(try value(depth: depth + 1))
        skipSpace()
        guard pos < bytes.count else { throw fail("unexpected end of input in array") }
        if bytes[pos] == UInt8(ascii: ",") {
          pos += 1
          continue
        }
        if bytes[pos] == UInt8(ascii: "]") {
          pos += 1
          return .array(items)
        }
        throw fail("expected ',' or ']'")
      }
    case UInt8(ascii: "\""):
      return .string(try string())
    case UInt8(ascii: "t"): return try literal("true", .bool(true))
    case UInt8(ascii: "f"): return try literal("false", .bool(false))
    case UInt8(ascii: "n"): return try literal("null", .null)
    default:
      return try number()
    }
  }

  mutating func literal(_ word: String, _ v: JSONValue) throws(JSONParseError) -> JSONValue {
    let w = Array(word.utf8)
    guard pos + w.count <= bytes.count, Array(bytes[pos..<pos + w.count]) == w else { throw fail("expected \(word)") }
    pos += w.count
    return v
  }

  mutating func number() throws(JSONParseError) -> JSONValue {
    let start = pos
    var isInteger = true
    while pos < bytes.count {
      let c = bytes[pos]
      if (c >= 0x30 && c <= 0x39) || c == UInt8(ascii: "-") || c == UInt8(ascii: "+") {
        pos += 1
      } else if c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E") {
        isInteger = false
        pos += 1
      } else {
        break
      }
    }
    guard pos > start, let text = String(bytes: bytes[start..<pos], encoding: .utf8) else {
      throw fail("expected a value")
    }
    if isInteger, let i = Int64(text) { return .int(i) }
    guard let d = Double(text) else {
      pos = start
      throw fail("malformed number '\(text)'")
    }
    return .double(d)
  }

  mutating func string() throws(JSONParseError) -> String {
    pos += 1
    var out = [UInt8]()
    while pos < bytes.count {
      let c = bytes[pos]
      pos += 1
      if c == UInt8(ascii: "\"") {
        return String(decoding: out, as: UTF8.self)
      }
      if c == UInt8(ascii: "\\") {
        guard pos < bytes.count else { break }
        let e = bytes[pos]
        pos += 1
        switch e {
        case UInt8(ascii: "n"): out.append(0x0a)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "r"): out.append(0x0d)
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0c)
        case UInt8(ascii: "u"):
          guard pos + 4 <= bytes.count, let s = String(bytes: bytes[pos..<pos + 4], encoding: .ascii),
            let code = UInt32(s, radix: 16), let scalar = Unicode.Scalar(code)
          else { throw fail("bad \\u escape") }
          pos += 4
          out.append(contentsOf: Array(String(Character(scalar)).utf8))
        default: out.append(e)
        }
      } else {
        out.append(c)
      }
    }
    throw fail("unterminated string")
  }
}
