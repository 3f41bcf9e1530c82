import Support

// `--set KEY=VALUE` overrides.
//
// KEY is a dotted key of the parameter table (`array.rows`, `ub.kib`, `dram.gbps`, `dataflow`,
// `clock.mhz`); VALUE is written as on the command line: `32`, `0.25`, `true`, `os`. One
// shorthand: `array=RxC` sets `array.rows` and `array.cols` (`array=32x32`). Errors quote the
// whole `--set` text first: `--set array.rows=abc: array.rows: expected a positive integer,
// got "abc"`.

extension ArchSpec {
  /// Applies one `--set` override (`array.rows=32`, `array=32x32`); see the syntax above.
  ///
  /// The value is checked against its parameter's kind; cross-parameter rules are left to
  /// `validated()`, which runs after all overrides.
  public mutating func apply(override text: String) throws(ArchError) {
    let location = "--set \(text)"
    guard let equals = text.firstIndex(of: "=") else {
      throw ArchError(.badOverride, location, "expected KEY=VALUE, such as array.rows=32")
    }
    let key = String(text[..<equals]).trimmingSpaces()
    let valueText = String(text[text.index(after: equals)...]).trimmingSpaces()
    if key.isEmpty {
      throw ArchError(.badOverride, location, "expected KEY=VALUE, such as array.rows=32; the key is empty")
    }
    if key == "array" {
      let parts = valueText.lowercased().split(separator: "x", omittingEmptySubsequences: false)
      guard parts.count == 2, let rows = Int(parts[0]), let cols = Int(parts[1]) else {
        throw ArchError(
          .badValue, location, "array: expected ROWSxCOLS such as 32x32, got \(jsonQuoted(valueText))")
      }
      try set("array.rows", raw: .integer(rows), location: location)
      try set("array.cols", raw: .integer(cols), location: location)
      origins["array.rows"] = .commandLine(text)
      origins["array.cols"] = .commandLine(text)
      return
    }
    guard let parameter = ArchSpec.parameter(forKey: key) else {
      throw ArchSpec.unknownKeyError(key, location: "\(location): \(key)")
    }
    try set(key, raw: parameter.kind.parse(text: valueText), location: location)
    origins[key] = .commandLine(text)
  }

  /// A copy with every override applied in order (later ones win); see `apply(override:)`.
  public func applying(overrides: [String]) throws(ArchError) -> ArchSpec {
    var copy = self
    for text in overrides { try copy.apply(override: text) }
    return copy
  }

  /// Sets parameter `key` to `value`, checked against the parameter's kind; errors are located
  /// at `key` alone.
  public mutating func set(_ key: String, to value: ArchValue) throws(ArchError) {
    guard ArchSpec.parameter(forKey: key) != nil else {
      throw ArchSpec.unknownKeyError(key, location: key)
    }
    try set(key, raw: value, location: nil)
  }

  /// Sets `key` from a raw value; a rejected value is shown as it was read (text quoted,
  /// numbers bare).
  private mutating func set(_ key: String, raw: ArchValue, location: String?) throws(ArchError) {
    guard let parameter = ArchSpec.parameter(forKey: key) else {
      preconditionFailure("set: no parameter '\(key)'")
    }
    switch parameter.kind.accept(raw) {
    case .success(let accepted):
      parameter.write(&self, accepted)
    case .failure(let mismatch):
      let place = location.map { "\($0): \(key)" } ?? key
      throw ArchError(.badValue, place, mismatch.message(got: quotedIfText(raw)))
    }
  }

  /// Resolves an `--arch` argument and `--set` overrides to a validated spec.
  ///
  /// `nameOrPath` is a preset name (`tpu-v1`) or, if it ends in `.json` or contains `/`, a JSON
  /// file. Overrides apply in order, then `validated()` reports every problem at once.
  public static func resolve(_ nameOrPath: String, overrides: [String] = []) throws(ArchError) -> ArchSpec {
    let base: ArchSpec
    if presets.contains(where: { $0.name == nameOrPath }) {
      base = try preset(named: nameOrPath)
    } else if nameOrPath.hasSuffix(".json") || nameOrPath.contains("/") {
      base = try load(path: nameOrPath)
    } else {
      throw ArchError(
        .unknownPreset, "",
        "unknown architecture preset '\(nameOrPath)'; known presets: \(presetNames.joined(separator: ", ")) "
          + "(or give a .json file)")
    }
    return try base.applying(overrides: overrides).validated()
  }
}

extension String {
  fileprivate func trimmingSpaces() -> String {
    var s = Substring(self)
    while s.first == " " { s.removeFirst() }
    while s.last == " " { s.removeLast() }
    return String(s)
  }
}
