import Foundation

import Support

/// Architecture-file helpers on the shared ``Support/JSONValue``.
extension JSONValue {
  /// How messages show a value: strings quoted, numbers bare, `an object`, `an array`.
  var shortDescription: String {
    switch self {
    case .null: "null"
    case .bool(let b): b ? "true" : "false"
    case .int(let n): String(n)
    case .double(let x): ArchValue.numberText(x)
    case .string(let s): jsonQuoted(s.count > 40 ? String(s.prefix(40)) + "…" : s)
    case .array: "an array"
    case .object: "an object"
    }
  }

  /// The scalar as a raw parameter value, or `nil` for null, arrays and objects.
  var archValue: ArchValue? {
    switch self {
    case .bool(let b): .flag(b)
    case .int(let n): .integer(Int(clamping: n))
    case .double(let x): .number(x)
    case .string(let s): .text(s)
    case .null, .array, .object: nil
    }
  }
}

/// `s` as a JSON string literal (``Support/JSONValue/quoted(_:)``).
func jsonQuoted(_ s: String) -> String { JSONValue.quoted(s) }
