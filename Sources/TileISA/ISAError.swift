import Support

/// An error raised by the tile ISA: a malformed assembly text or binary, or a program that cannot
/// execute.
///
/// `description` is one line naming the place and what was expected, e.g.
/// `line 4, column 12: expected an integer after 'rows=', found 'x8'` or
/// `instruction #7 (matmul): K = 300 exceeds the array's 256 rows`.
public struct ISAError: SystoleError, Equatable {
  /// What kind of failure this is.
  public enum Kind: Sendable, Equatable {
    /// The assembly text is malformed; `location` is `line L, column C`.
    case parse
    /// The binary encoding is malformed; `location` is a byte offset (`@0x40`).
    case decode
    /// A field does not fit its binary encoding.
    case encode
    /// An instruction cannot execute (an address out of range, an invalid field, weights never
    /// loaded, ...). The verifier reports the same problems before execution.
    case execution
    /// The machine does not implement this (functional execution of a float32 program).
    case unsupported
    /// The inputs given to `run` do not match the program's input bindings.
    case badInput
    /// A host-fallback task failed; `message` carries the host's own error.
    case hostTask
  }

  /// What kind of failure this is.
  public var kind: Kind
  /// Where it happened: `line 3, column 9`, `@0x40`, `instruction #12 (matmul)`, `input 0 'x'`.
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
