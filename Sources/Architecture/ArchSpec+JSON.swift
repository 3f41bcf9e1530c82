import Foundation
import Support

// The JSON architecture format.
//
// A file is one JSON object. Its keys are the parameter table's dotted keys written as nested
// objects (`array.rows` is `{"array": {"rows": 256}}`); segments are snake_case. Besides the
// parameters there is one optional top-level key, `base`: a preset name to start from (without
// it the file starts from `ArchSpec.defaults`). Keys not given keep the base's value, so partial
// files are fine. Unknown keys are errors. Without a `name`, the spec is named after the file
// (`my-arch.json` → `my-arch`). `jsonString()` writes every parameter in table order, and
// reading that text back gives an equal spec.

extension ArchSpec {
  // MARK: Reading

  /// The largest architecture file read: 1 MiB. A complete file is about 2 KB; anything near
  /// this is not an architecture, and is refused before it is read.
  public static let maximumFileBytes = 1 << 20

  /// Reads an architecture file. Errors name `path` as given.
  public static func load(path: String) throws(ArchError) -> ArchSpec {
    if let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber,
      size.int64Value > Int64(maximumFileBytes)
    {
      throw ArchError(
        .malformedJSON, path,
        "the architecture file is \(size.int64Value) bytes; at most \(maximumFileBytes) (1 MiB) is accepted")
    }
    let data: Data
    do {
      data = try Data(contentsOf: URL(fileURLWithPath: path))
    } catch {
      throw ArchError(.unreadableFile, path, "cannot read the architecture file")
    }
    guard data.count <= maximumFileBytes else {
      throw ArchError(
        .malformedJSON, path, "the architecture file is \(data.count) bytes; at most \(maximumFileBytes) (1 MiB) is accepted")
    }
    return try parse(json: data, source: path)
  }

  /// Parses the JSON text of an architecture file; `source` names it in errors and origins.
  ///
  /// The result is not validated: call `validated()` after any `--set` overrides.
  public static func parse(json: Data, source: String) throws(ArchError) -> ArchSpec {
    let value: JSONValue
    do {
      value = try JSONValue.parse(bytes: Array(json))
    } catch {
      throw ArchError(
        .malformedJSON, source, "not valid JSON at line \(error.line), column \(error.column): \(error.message)")
    }
    return try build(from: value, source: source)
  }

  /// Parses JSON text; see `parse(json:source:)`.
  public static func parse(json: String, source: String) throws(ArchError) -> ArchSpec {
    try parse(json: Data(json.utf8), source: source)
  }

  /// Builds a spec from a parsed JSON value (see the format at the top of this file).
  static func build(
    from root: JSONValue, source: String, name fallbackName: String? = nil
  ) throws(ArchError) -> ArchSpec {
    guard case .object(let top) = root else {
      throw ArchError(
        .malformedJSON, source, "expected a JSON object at the top level, got \(root.shortDescription)")
    }
    var spec = ArchSpec.defaults
    spec.origins = ParameterOrigins()
    if let base = top.first(where: { $0.key == "base" })?.value {
      guard case .string(let baseName) = base else {
        throw ArchError(
          .badValue, "\(source): base",
          "expected a preset name (one of \(presetNames.joined(separator: ", "))), got \(base.shortDescription)")
      }
      do {
        spec = try preset(named: baseName)
      } catch {
        throw ArchError(.unknownPreset, "\(source): base", error.message)
      }
    }
    spec.name = fallbackName ?? defaultName(forSource: source)
    spec.origins["name"] = .file(source)
    try apply(object: top, prefix: "", to: &spec, source: source)
    return spec
  }

  private static func apply(
    object: [(key: String, value: JSONValue)], prefix: String, to spec: inout ArchSpec, source: String
  ) throws(ArchError) {
    // Unknown keys first: a misspelt key is the likeliest mistake and explains later ones.
    for (key, _) in object {
      let path = prefix + key
      if prefix.isEmpty && key == "base" { continue }
      if parameter(forKey: path) == nil && !isGroup(path) {
        throw unknownKeyError(path, location: "\(source): \(path)")
      }
    }
    for (key, value) in object {
      let path = prefix + key
      if prefix.isEmpty && key == "base" { continue }
      if let parameter = parameter(forKey: path) {
        guard let raw = value.archValue else {
          throw ArchError(
            .badValue, "\(source): \(path)",
            "expected \(parameter.kind.expectation), got \(value.shortDescription)")
        }
        switch parameter.kind.accept(raw) {
        case .success(let accepted):
          parameter.write(&spec, accepted)
          spec.origins[path] = .file(source)
        case .failure(let mismatch):
          throw ArchError(
            .badValue, "\(source): \(path)", mismatch.message(got: value.shortDescription))
        }
      } else {
        guard case .object(let members) = value else {
          let children = parameters.filter { $0.group == path }.map(\.leafName)
          throw ArchError(
            .badValue, "\(source): \(path)",
            "expected an object with keys \(children.joined(separator: ", ")), got \(value.shortDescription)")
        }
        try apply(object: members, prefix: path + ".", to: &spec, source: source)
      }
    }
  }

  /// `my-arch` for `Programs/arch/my-arch.json`.
  static func defaultName(forSource source: String) -> String {
    var base = source.split(separator: "/").last.map(String.init) ?? source
    if base.hasSuffix(".json") { base.removeLast(5) }
    return base.isEmpty ? "custom" : base
  }

  /// Whether `path` is a JSON group (`array`), i.e. a prefix of some parameter key.
  static func isGroup(_ path: String) -> Bool { parameterGroups.contains(path) }

  /// The error for an unknown key, with the closest known key when one is near.
  static func unknownKeyError(_ key: String, location: String) -> ArchError {
    if key == "derived" {
      return ArchError(
        .unknownKey, location, "derived figures are computed from the parameters and cannot be set")
    }
    let candidates = parameters.map(\.key) + parameterGroups
    let best = candidates.map { ($0, editDistance($0, key)) }.min { $0.1 < $1.1 }
    if let (suggestion, distance) = best, distance <= 2 {
      return ArchError(.unknownKey, location, "unknown key (did you mean '\(suggestion)'?)")
    }
    let group = key.split(separator: ".").dropLast().joined(separator: ".")
    let siblings: [String]
    if isGroup(group) {
      siblings = parameters.filter { $0.group == group }.map(\.key)
    } else {
      siblings = ["base"] + parameters.filter { $0.group == nil }.map(\.key) + parameterGroups
    }
    return ArchError(.unknownKey, location, "unknown key; known keys here: \(siblings.joined(separator: ", "))")
  }

  // MARK: Writing

  /// The spec as pretty-printed JSON, every parameter in table order (groups as nested objects);
  /// with `includeDerived`, a trailing `derived` object of `derivedFigures` keyed by their
  /// snake_case keys (informational: a file containing it is rejected on reading).
  public func jsonString(includeDerived: Bool = false) -> String {
    var lines = ["{"]
    var entries: [String] = []
    var emittedGroups: Set<String> = []
    for parameter in ArchSpec.parameters {
      if let group = parameter.group {
        if emittedGroups.contains(group) { continue }
        emittedGroups.insert(group)
        let members = ArchSpec.parameters.filter { $0.group == group }.map {
          "    \(jsonQuoted($0.leafName)): \(jsonLiteral($0.read(self)))"
        }
        entries.append("  \(jsonQuoted(group)): {\n" + members.joined(separator: ",\n") + "\n  }")
      } else {
        entries.append("  \(jsonQuoted(parameter.key)): \(jsonLiteral(parameter.read(self)))")
      }
    }
    if includeDerived {
      let members = derivedFigures.map { "    \(jsonQuoted($0.key)): \(jsonLiteral(.number($0.value)))" }
      entries.append("  \"derived\": {\n" + members.joined(separator: ",\n") + "\n  }")
    }
    lines.append(entries.joined(separator: ",\n"))
    lines.append("}")
    return lines.joined(separator: "\n") + "\n"
  }

  private func jsonLiteral(_ value: ArchValue) -> String {
    switch value {
    case .text(let s): jsonQuoted(s)
    case .number(let x) where !x.isFinite: "null"
    default: value.description
    }
  }
}

extension ArchSpec: Codable {
  /// Decodes the JSON architecture format (including `base`); errors become
  /// `DecodingError.dataCorrupted` whose description is the `ArchError` message.
  public init(from decoder: any Decoder) throws {
    let value = try JSONValue(from: decoder)
    do {
      self = try ArchSpec.build(from: value, source: "JSON", name: "custom")
    } catch {
      throw DecodingError.dataCorrupted(
        DecodingError.Context(
          codingPath: decoder.codingPath, debugDescription: error.description, underlyingError: error))
    }
  }

  /// Encodes every parameter as nested objects keyed like `jsonString()` (key order is up to
  /// the encoder; `jsonString()` keeps table order).
  public func encode(to encoder: any Encoder) throws {
    var top: [(key: String, value: JSONValue)] = []
    for parameter in ArchSpec.parameters {
      let json = parameter.read(self).jsonValue
      if let group = parameter.group {
        if let index = top.firstIndex(where: { $0.key == group }), case .object(var members) = top[index].value {
          members.append((parameter.leafName, json))
          top[index].value = .object(members)
        } else {
          top.append((group, .object([(parameter.leafName, json)])))
        }
      } else {
        top.append((parameter.key, json))
      }
    }
    try JSONValue.object(top).encode(to: encoder)
  }
}

extension ArchValue {
  var jsonValue: JSONValue {
    switch self {
    case .integer(let n): .int(Int64(n))
    case .number(let x): .double(x)
    case .flag(let b): .bool(b)
    case .text(let s): .string(s)
    }
  }
}

/// Levenshtein distance between two keys, for "did you mean" suggestions.
func editDistance(_ a: String, _ b: String) -> Int {
  let a = Array(a), b = Array(b)
  if a.isEmpty { return b.count }
  if b.isEmpty { return a.count }
  var previous = Array(0...b.count)
  var current = [Int](repeating: 0, count: b.count + 1)
  for i in 1...a.count {
    current[0] = i
    for j in 1...b.count {
      current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
    }
    swap(&previous, &current)
  }
  return previous[b.count]
}
