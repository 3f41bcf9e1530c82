import Support

/// A command-line usage error: an unknown flag, a missing value, a malformed number.
public struct UsageError: SystoleError, Equatable {
  public var message: String
  /// The command whose usage line should be suggested (`systole eval --help`).
  public var command: String?
  public init(_ message: String, command: String? = nil) {
    self.message = message
    self.command = command
  }
  public var description: String { message }
}

/// Declares one option of a command.
struct OptionSpec: Sendable {
  enum Kind: Sendable {
    /// Takes a value; may repeat when `repeats`.
    case value(placeholder: String, repeats: Bool)
    /// A boolean switch.
    case flag
  }
  var name: String
  var kind: Kind
  var help: String
}

/// The parsed arguments of one command.
struct ParsedArguments {
  var positionals: [String] = []
  var values: [String: [String]] = [:]
  var flags: Set<String> = []

  func value(_ name: String) -> String? { values[name]?.last }
  func all(_ name: String) -> [String] { values[name] ?? [] }
  func flag(_ name: String) -> Bool { flags.contains(name) }

  /// Parses `arguments` against `options`; `--name value` and `--name=value` both work, `--`
  /// ends options.
  static func parse(_ arguments: [String], options: [OptionSpec], command: String) throws(UsageError) -> ParsedArguments {
    var result = ParsedArguments()
    var i = 0
    var optionsEnded = false
    while i < arguments.count {
      let arg = arguments[i]
      i += 1
      if optionsEnded || !arg.hasPrefix("-") || arg == "-" {
        result.positionals.append(arg)
        continue
      }
      if arg == "--" {
        optionsEnded = true
        continue
      }
      var name = arg
      var inlineValue: String?
      if let eq = arg.firstIndex(of: "=") {
        name = String(arg[..<eq])
        inlineValue = String(arg[arg.index(after: eq)...])
      }
      let bare = name.hasPrefix("--") ? String(name.dropFirst(2)) : String(name.dropFirst())
      guard let spec = options.first(where: { $0.name == bare }) else {
        let known = options.map { "--" + $0.name }.joined(separator: ", ")
        throw UsageError("unknown option '\(name)' for '\(command)'; known options: \(known.isEmpty ? "none" : known)", command: command)
      }
      switch spec.kind {
      case .flag:
        if inlineValue != nil { throw UsageError("option '--\(bare)' takes no value", command: command) }
        result.flags.insert(bare)
      case .value(let placeholder, let repeats):
        let v: String
        if let inline = inlineValue {
          v = inline
        } else {
          guard i < arguments.count else {
            throw UsageError("option '--\(bare)' needs a value (\(placeholder))", command: command)
          }
          v = arguments[i]
          i += 1
        }
        if !repeats, result.values[bare] != nil {
          throw UsageError("option '--\(bare)' given more than once", command: command)
        }
        result.values[bare, default: []].append(v)
      }
    }
    return result
  }
}

/// Parses a non-negative integer option value.
func parseInteger(_ text: String, option: String, command: String) throws(UsageError) -> Int {
  guard let v = Int(text), v >= 0 else {
    throw UsageError("option '--\(option)' expects a non-negative integer; got '\(text)'", command: command)
  }
  return v
}

/// `--baseline fp32|none` (`run`, `sweep`): whether to simulate the float32 baseline; default fp32.
func parseBaseline(_ args: ParsedArguments, command: String) throws(UsageError) -> Bool {
  switch args.value("baseline") ?? "fp32" {
  case "fp32", "float32": return true
  case "none": return false
  case let other: throw UsageError("unknown --baseline '\(other)'; expected fp32 or none", command: command)
  }
}
