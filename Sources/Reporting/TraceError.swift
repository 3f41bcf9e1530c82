import Support

/// An error about a trace file or a trace option.
///
/// `description` is one line naming the place and what was expected:
/// `run.json: not a Systole trace (otherData.generator is missing; write traces with
/// 'systole … --trace')`, `--trace-window '9:3': the end 3 is not after the start 9`.
public struct TraceError: SystoleError, Equatable {
  /// What kind of failure this is.
  public enum Kind: Sendable, Equatable {
    /// The file is not valid JSON.
    case notJSON
    /// The file is JSON but not a trace written by Systole.
    case notSystole
    /// The file claims to be a Systole trace but a field is missing or has the wrong type.
    case malformed
    /// A volume-control option (level, cycle window, layer range) is malformed.
    case badOption
    /// A trace tool was asked for something the trace does not hold (a layer, a window).
    case notInTrace
  }

  /// What kind of failure this is.
  public var kind: Kind
  /// Where: the file name or the option.
  public var location: String
  /// What was wrong and what was expected.
  public var message: String

  /// Creates an error.
  public init(_ kind: Kind, _ location: String, _ message: String) {
    self.kind = kind
    self.location = location
    self.message = message
  }

  /// `location: message`.
  public var description: String { location.isEmpty ? message : "\(location): \(message)" }
}
