import Support

/// An error of the driver itself: files it cannot read or write, inputs of the wrong size.
public struct DriverError: SystoleError, Equatable {
  /// What kind of problem, which decides the exit code.
  public enum Kind: Sendable, Equatable {
    /// A file the user named does not exist or cannot be read.
    case cannotRead
    /// An output cannot be written, or would overwrite a file without `--overwrite`.
    case cannotWrite
    /// A file's contents are not what was expected (size, format).
    case badData
  }
  public var kind: Kind
  public var message: String
  public init(_ kind: Kind, _ message: String) {
    self.kind = kind
    self.message = message
  }
  public var description: String { message }
}
