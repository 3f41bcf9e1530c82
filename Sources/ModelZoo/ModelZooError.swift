import Support

/// An error about a model-zoo request: an unknown model name or an unusable input size.
public struct ModelZooError: SystoleError, Equatable {
  /// What was wrong with the request.
  public enum Kind: Sendable, Equatable {
    /// No zoo model has this name.
    case unknownModel
    /// The model cannot be built at the requested input size.
    case invalidInputSize
  }

  /// The kind of problem.
  public var kind: Kind
  /// The zoo name as given (`zoo:foo` → `foo`).
  public var name: String
  /// The full one-line message.
  public var message: String

  /// Creates an error; `message` is the whole line `description` returns.
  public init(_ kind: Kind, name: String, message: String) {
    self.kind = kind
    self.name = name
    self.message = message
  }

  /// `unknown zoo model 'foo'; known: bert-base-layer, efficientnet_edgetpu_s, inception_v1, mlp0, mobilenet_v1, mobilenet_v2, resnet18, resnet50`.
  static func unknown(_ name: String) -> ModelZooError {
    ModelZooError(
      .unknownModel, name: name,
      message: "unknown zoo model '\(name)'; known: \(ModelZoo.names.joined(separator: ", "))")
  }

  /// The one-line message.
  public var description: String { message }
}
