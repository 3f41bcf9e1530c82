import Support

/// An error in an architecture the user gave: an unknown preset, a bad JSON file, a bad
/// `--set`, or a spec that fails validation.
///
/// `description` is one line naming the place first: the file and JSON path
/// (`my-arch.json: array.rows: expected a positive integer, got "abc"`), the `--set` text
/// (`--set array.rows=abc: array.rows: …`), or the architecture (`architecture 'x' is invalid: …`).
public struct ArchError: SystoleError, Equatable {
  /// What went wrong.
  public enum Kind: Sendable, Equatable {
    /// `preset(named:)` or a file's `base` named no preset.
    case unknownPreset
    /// The architecture file could not be read.
    case unreadableFile
    /// The file is not JSON, or not a JSON object.
    case malformedJSON
    /// A JSON key or `--set` key that is not in the parameter table.
    case unknownKey
    /// A value of the wrong type or out of range for its parameter.
    case badValue
    /// `--set` text that is not `KEY=VALUE`.
    case badOverride
    /// `validated()` found problems; they are in `problems`.
    case invalidSpec
  }

  /// What went wrong.
  public var kind: Kind
  /// Where: `my-arch.json: array.rows`, `--set array.rows=abc`, `architecture 'my-arch'`, or
  /// empty when the message says it all.
  public var location: String
  /// What was expected and what was found.
  public var message: String
  /// For `.invalidSpec`: every problem found, in table order.
  public var problems: [ArchProblem]

  /// Creates an error.
  public init(_ kind: Kind, _ location: String, _ message: String, problems: [ArchProblem] = []) {
    self.kind = kind
    self.location = location
    self.message = message
    self.problems = problems
  }

  /// `location: message`, or just `message` when there is no location.
  public var description: String { location.isEmpty ? message : "\(location): \(message)" }
}
