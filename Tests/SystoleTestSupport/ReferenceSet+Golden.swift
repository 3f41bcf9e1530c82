import GoldenModel
import GraphIR

/// One invocation of a reference set: its inputs, TFLite's recorded outputs and the golden
/// model's outputs.
public struct ReferenceInvocation: Sendable {
  public var inputs: [TensorData]
  public var reference: [TensorData]
  public var golden: [TensorData]
}

extension ReferenceSet {
  /// Every invocation's inputs, TFLite outputs and `GoldenModel.Interpreter` outputs for
  /// `model`, in order, from one interpreter (so a stateful model carries its state across
  /// invocations, as TFLite does). None of it depends on the architecture: tests that run one
  /// set on several architectures compute it once instead of once per architecture.
  public func goldenInvocations(_ model: Model) throws -> [ReferenceInvocation] {
    var interpreter = Interpreter(model: model)
    return try (0..<invocations).map { n in
      let inputs = try inputs(invocation: n)
      return ReferenceInvocation(
        inputs: inputs, reference: try outputs(invocation: n), golden: try interpreter.invoke(inputs))
    }
  }
}
