/// A compiler option a study may vary (`--vary double-buffering=on,off`, a points-file column),
/// with the values it accepts.
///
/// Any `--vary` key that is not an architecture parameter must be one of `known`; its values are
/// checked when the flag or points file is read, so a typo (`double-buffering=on,maybe`) stops
/// the sweep with one line naming the accepted values instead of silently running as "off".
public struct SweepCompilerOption: Sendable, Hashable {
  /// What values the option takes.
  public enum Values: Sendable, Hashable {
    /// One of the listed words.
    case oneOf([String])
    /// A whole number in the range.
    case integer(ClosedRange<Int>)

    /// `on, off, true or false`, `an integer from 1 to 65536`.
    public var expectation: String {
      switch self {
      case .oneOf(let words):
        words.count == 1 ? words[0] : words.dropLast().joined(separator: ", ") + " or " + words[words.count - 1]
      case .integer(let range): "an integer from \(range.lowerBound) to \(range.upperBound)"
      }
    }

    /// Whether `text` is an accepted value.
    public func accepts(_ text: String) -> Bool {
      switch self {
      case .oneOf(let words): words.contains(text)
      case .integer(let range): Int(text).map(range.contains) ?? false
      }
    }
  }

  /// The key as written after `--vary`: `double-buffering`.
  public var key: String
  /// The values it accepts.
  public var values: Values
  /// One line for `--help` and docs.
  public var summary: String

  /// Creates an option.
  public init(key: String, values: Values, summary: String) {
    self.key = key
    self.values = values
    self.summary = summary
  }

  /// The compiler options `systole sweep` understands.
  ///
  /// `batch`'s upper bound here is only a sanity bound; the evaluator applies the model's own
  /// limit (a point over it becomes an `invalid:` row).
  public static let known: [SweepCompilerOption] = [
    SweepCompilerOption(
      key: "double-buffering", values: .oneOf(["on", "off", "true", "false"]),
      summary: "let the compiler double-buffer tiles (on) or not (off)"),
    SweepCompilerOption(
      key: "cache-weights", values: .oneOf(["on", "off", "true", "false"]),
      summary: "keep a layer's weights in the weight buffer when they fit (on) or stream them (off)"),
    SweepCompilerOption(
      key: "dataflow-policy", values: .oneOf(["arch", "auto"]),
      summary: "use the architecture's dataflow (arch) or let the cost model pick per layer (auto)"),
    SweepCompilerOption(
      key: "batch", values: .integer(1...(1 << 24)), summary: "the batch size of every model input"),
  ]

  /// The known option named `key`, if any.
  public static func option(forKey key: String) -> SweepCompilerOption? {
    known.first { $0.key == key }
  }

  /// Checks one value of option `key`; the message names the key and what it accepts:
  /// `double-buffering: expected on, off, true or false, got "maybe"`.
  static func check(key: String, value: String) -> String? {
    guard let option = option(forKey: key) else {
      return "unknown key '\(key)'; expected an architecture parameter (docs/architecture.md), array, "
        + "or a compiler option: \(known.map(\.key).joined(separator: ", "))"
    }
    if option.values.accepts(value) { return nil }
    let shown = value.count > 40 ? String(value.prefix(40)) + "…" : value
    return "\(key): expected \(option.values.expectation), got \"\(shown)\""
  }
}
