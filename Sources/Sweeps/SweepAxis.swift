import Architecture
import Support

/// One varied quantity of a study: a key and the values it takes, in the order given.
///
/// Parsed from `--vary KEY=V1,V2,...`. KEY is one of:
/// - a parameter of `ArchSpec.parameters` by its dotted key (`array.rows`, `ub.kib`,
///   `dram.gbps`) or top-level key (`dataflow=ws,os,is`, `datapath`);
/// - `array`, the shorthand for rows and columns together (`array=32x32,64x64`);
/// - anything else without a dot: a compiler option of `SweepCompilerOption.known`, passed to
///   the evaluator as text (`double-buffering=on,off`).
/// Every value is checked when parsed: architecture values against their parameter, compiler
/// options against the values the option accepts; an unknown key is an error.
public struct SweepAxis: Sendable, Hashable {
  /// How the axis acts on a point.
  public enum Kind: Sendable, Hashable {
    /// An `ArchSpec` parameter, by dotted key.
    case parameter
    /// `array=RxC`: `array.rows` and `array.cols` together.
    case arrayShape
    /// A compiler option passed through as text.
    case compilerOption
  }

  /// The key as written: `array.rows`, `array`, `double-buffering`. Also the CSV column name.
  public var key: String
  /// The values, in the order given (text as written: `32`, `32x32`, `ws`, `on`).
  public var values: [String]
  /// What the key names.
  public var kind: Kind

  /// Creates an axis; use `parse(_:base:)` to check it.
  public init(key: String, values: [String], kind: Kind) {
    self.key = key
    self.values = values
    self.kind = kind
  }

  /// Whether `key` names the architecture (a parameter or `array`) rather than a compiler option.
  public static func kind(ofKey key: String) -> Kind {
    if key == "array" { return .arrayShape }
    if key.contains(".") || ArchSpec.parameter(forKey: key) != nil { return .parameter }
    return .compilerOption
  }

  /// Parses `--vary` text `KEY=V1,V2,...`, checking every architecture value against `base`'s
  /// parameter table.
  ///
  /// Errors quote the whole text: `--vary array.rows=32,abc: array.rows: expected a positive
  /// integer, got "abc"`, `--vary array.rows: expected KEY=V1,V2,... such as array.rows=32,64`.
  public static func parse(_ text: String, base: ArchSpec = .defaults) throws(SweepError) -> SweepAxis {
    let location = "--vary \(text)"
    guard let equals = text.firstIndex(of: "=") else {
      throw SweepError(.badAxis, location, "expected KEY=V1,V2,... such as array.rows=32,64")
    }
    let key = String(text[..<equals]).trimmingCharacters(in: " ")
    let list = String(text[text.index(after: equals)...])
    if key.isEmpty {
      throw SweepError(.badAxis, location, "the key is empty; expected KEY=V1,V2,... such as array.rows=32,64")
    }
    if key.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) {
      throw SweepError(.badAxis, location, "key '\(key)' may not contain commas, quotes or newlines")
    }
    let values = list.split(separator: ",", omittingEmptySubsequences: false).map {
      String($0).trimmingCharacters(in: " ")
    }
    if list.trimmingCharacters(in: " ").isEmpty {
      throw SweepError(.badAxis, location, "\(key): no values; expected at least one after '='")
    }
    for (i, value) in values.enumerated() where value.isEmpty {
      throw SweepError(.badAxis, location, "\(key): value \(i + 1) of \(values.count) is empty")
    }
    for (i, value) in values.enumerated() {
      if let first = values[..<i].firstIndex(of: value) {
        throw SweepError(
          .badAxis, location, "\(key): value '\(value)' appears twice (values \(first + 1) and \(i + 1))")
      }
      if value.contains(where: { $0 == "\"" || $0 == "\n" }) {
        throw SweepError(.badAxis, location, "\(key): value '\(value)' may not contain quotes or newlines")
      }
    }
    let axis = SweepAxis(key: key, values: values, kind: kind(ofKey: key))
    if axis.kind == .compilerOption {
      for value in values {
        if let problem = SweepCompilerOption.check(key: key, value: value) {
          throw SweepError(.badAxis, location, problem)
        }
      }
    } else {
      for value in values {
        var probe = base
        do {
          try probe.apply(override: "\(key)=\(value)")
        } catch {
          throw SweepError(.badAxis, location, archMessage(error, override: "\(key)=\(value)"))
        }
      }
    }
    return axis
  }

  /// The architecture overrides (`--set` text) this axis contributes at `value`; none for a
  /// compiler option.
  public func overrides(at value: String) -> [String] {
    kind == .compilerOption ? [] : ["\(key)=\(value)"]
  }

  /// The parameter keys the axis sets: `[key]`, `[array.rows, array.cols]`, or none.
  public var parameterKeys: [String] {
    switch kind {
    case .parameter: [key]
    case .arrayShape: ["array.rows", "array.cols"]
    case .compilerOption: []
    }
  }

  /// The text of this axis's value in `base`: `32x32` for `array`, `ws` for `dataflow`; `nil`
  /// for compiler options (they have no base value).
  public func baseValue(in base: ArchSpec) -> String? {
    switch kind {
    case .parameter: base.value(forKey: key)?.description
    case .arrayShape: "\(base.array.rows)x\(base.array.cols)"
    case .compilerOption: nil
    }
  }
}

/// An `ArchError` from `apply(override:)` without its `--set TEXT: ` prefix:
/// `array.rows: expected a positive integer, got "abc"`.
func archMessage(_ error: ArchError, override: String) -> String {
  let prefix = "--set \(override): "
  let text = error.description
  return text.hasPrefix(prefix) ? String(text.dropFirst(prefix.count)) : text
}

extension String {
  /// The string without leading and trailing `character`s.
  func trimmingCharacters(in character: Character) -> String {
    var s = Substring(self)
    while s.first == character { s.removeFirst() }
    while s.last == character { s.removeLast() }
    return String(s)
  }
}
