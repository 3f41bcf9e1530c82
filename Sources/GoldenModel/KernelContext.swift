import GraphIR
import Support

/// What a kernel sees: the operator, its input values, and its tensors' metadata.
///
/// Kernels are pure functions from a context to output values; they never touch interpreter
/// state. Resource-variable ops are the exception and are handled by ``Interpreter`` itself.
public struct KernelContext {
  /// The graph the operator belongs to (for tensor metadata).
  public let graph: Graph
  /// The operator being executed.
  public let op: Operator
  /// The operator's index in its graph (for messages).
  public let index: Int
  /// Input values, parallel to `op.inputs` (`nil` where the input is absent).
  public let values: [TensorData?]

  public init(graph: Graph, op: Operator, index: Int, values: [TensorData?]) {
    self.graph = graph
    self.op = op
    self.index = index
    self.values = values
  }

  /// `op #3 CONV_2D 'conv1'`.
  public var location: String {
    let name = op.outputs.first.map { " '\(shortName(graph[$0].name))'" } ?? ""
    return "op #\(index) \(op.kind.tfliteName)\(name)"
  }

  /// The value of input `position`; throws when absent.
  public func value(_ position: Int) throws(GoldenModelError) -> TensorData {
    guard position < values.count, let v = values[position] else {
      throw GoldenModelError(.invalidModel, location, "input \(position) is missing")
    }
    return v
  }

  /// The value of optional input `position` (e.g. a bias), `nil` when absent.
  public func optionalValue(_ position: Int) -> TensorData? {
    position < values.count ? values[position] : nil
  }

  /// Metadata of input `position`; throws when absent.
  public func inputTensor(_ position: Int) throws(GoldenModelError) -> Tensor {
    guard let id = op.input(position) else {
      throw GoldenModelError(.invalidModel, location, "input \(position) is missing")
    }
    return graph[id]
  }

  /// Metadata of output `position`.
  public func outputTensor(_ position: Int = 0) throws(GoldenModelError) -> Tensor {
    guard position < op.outputs.count else {
      throw GoldenModelError(.invalidModel, location, "output \(position) is missing")
    }
    return graph[op.outputs[position]]
  }

  /// Quantization of a tensor; throws when a quantized kernel meets an unquantized tensor.
  public func quantization(of tensor: Tensor) throws(GoldenModelError) -> QuantizationParameters {
    guard let q = tensor.quantization, !q.scales.isEmpty else {
      throw GoldenModelError(
        .invalidModel, location, "tensor '\(tensor.name)' (\(tensor.elementType)) has no quantization parameters")
    }
    return q
  }

  /// An `unsupported` error naming this op and the variant.
  public func unsupported(_ what: String) -> GoldenModelError {
    GoldenModelError(.unsupported, location, "unsupported: \(what)")
  }
}
