import GraphIR
import Support

/// An error raised while executing a model in the golden model.
public struct GoldenModelError: SystoleError, Equatable {
  /// What went wrong.
  public enum Kind: Sendable, Equatable {
    /// The op (or this variant of it: type combination, option) is not implemented.
    case unsupported
    /// An input given by the user has the wrong size or count.
    case badInput
    /// The model is inconsistent in a way the verifier did not catch.
    case invalidModel
  }

  public var kind: Kind
  /// Where: `op #3 CONV_2D 'conv1'`, or `input 0`.
  public var location: String
  public var message: String

  public init(_ kind: Kind, _ location: String, _ message: String) {
    self.kind = kind
    self.location = location
    self.message = message
  }

  public var description: String { "\(location): \(message)" }
}
