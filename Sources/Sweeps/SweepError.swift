import Support

/// An error in a sweep the user described: a bad `--vary`, a bad points file, a bad `--shard`,
/// or a CSV file that is not a sweep output.
///
/// `description` is one line naming the place first: the `--vary` text
/// (`--vary array.rows=32,abc: array.rows: expected a positive integer, got "abc"`), or the file
/// and line (`points.csv:3: expected 2 cells, got 3`).
public struct SweepError: SystoleError, Equatable {
  /// What went wrong.
  public enum Kind: Sendable, Equatable {
    /// `--vary` text that is not `KEY=V1,V2,...`, names an unknown key, or has a bad value.
    case badAxis
    /// A points file that cannot be read or parsed.
    case badPointsFile
    /// `--shard` text that is not `I/N` with `0 ≤ I < N`.
    case badShard
    /// A sweep CSV (for merge, resume or best) that cannot be read or parsed.
    case badCSV
    /// Parts given to merge that do not belong to the same study.
    case mismatchedParts
    /// A study with more points than the engine accepts.
    case tooManyPoints
  }

  /// What went wrong.
  public var kind: Kind
  /// Where: `--vary array.rows=32,abc`, `points.csv:3`, `--shard 4/2`.
  public var location: String
  /// What was expected and what was found.
  public var message: String

  /// Creates an error.
  public init(_ kind: Kind, _ location: String, _ message: String) {
    self.kind = kind
    self.location = location
    self.message = message
  }

  /// `location: message`, or just `message` when there is no location.
  public var description: String { location.isEmpty ? message : "\(location): \(message)" }
}
