import Support

/// An error raised by the cycle simulator or its SCALE-Sim readers.
///
/// `description` is one line naming the place and what was expected:
/// `instruction #3 (load_weights): waits for a load→compute token that is never pushed
/// (deadlock at cycle 120)`, `google.cfg:7:15: expected an integer for 'ArrayWidth', found 'x'`.
public struct SimulatorError: SystoleError, Equatable {
  /// What kind of failure this is.
  public enum Kind: Sendable, Equatable {
    /// The architecture is invalid (`ArchSpec.validate()` problems) or does not match the
    /// program (array shape, datapath, memory capacities).
    case archMismatch
    /// An instruction's fields make no sense for timing (a non-positive size, an overflowing
    /// product, an index out of range). The verifier reports the same programs.
    case invalidProgram
    /// The dependency tokens block every queue before the program ends.
    case deadlock
    /// Functional execution of an instruction failed (the TileISA executor's error).
    case execution
    /// The inputs do not match the program's input bindings.
    case badInput
    /// A SCALE-Sim configuration or topology file is malformed; `location` is `file:line:column`.
    case parse
  }

  /// What kind of failure this is.
  public var kind: Kind
  /// Where: `instruction #4 (matmul)`, `input 0 'x'`, `arch`, `scale.cfg:3:1`.
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
