import GraphIR
import Support

/// Executes a ``Model`` operator by operator with the golden kernels.
///
/// State persists across ``invoke(_:)`` calls on one interpreter, as in TFLite: resource
/// variables keep their values and CALL_ONCE runs its initializer subgraph only the first time.
public struct Interpreter {
  /// The model being executed.
  public let model: Model
  /// Keep every intermediate tensor of the main graph of the last invocation.
  public var recordsIntermediates: Bool
  /// Threads the int8 matrix kernels may use (at least 1; default: every active processor).
  /// Outputs never depend on it.
  public var workers: Int = Kernels.defaultWorkers

  /// Values of the main graph's tensors from the last invocation (when recording), indexed like
  /// `model.main.tensors`.
  public private(set) var intermediates: [TensorData?] = []

  private var resourceKeys: [String] = []
  private var variables: [Int: TensorData] = [:]
  private var initializedSubgraphs: Set<Int> = []
  // issue 14: recurrent
  /// Recurrent operators' state, keyed by their output-state variable tensor (graph, index).
  private var recurrentStates: [RecurrentStateKey: RecurrentState] = [:]

  /// Creates an interpreter with fresh state.
  public init(model: Model, recordsIntermediates: Bool = false) {
    self.model = model
    self.recordsIntermediates = recordsIntermediates
  }

  /// Runs the main graph on `inputs` (in the model's input order) and returns its outputs.
  public mutating func invoke(_ inputs: [TensorData]) throws(GoldenModelError) -> [TensorData] {
    let graph = model.main
    guard inputs.count == graph.inputs.count else {
      throw GoldenModelError(.badInput, "inputs", "model takes \(graph.inputs.count) inputs; \(inputs.count) given")
    }
    for (i, (value, id)) in zip(inputs, graph.inputs).enumerated() {
      let t = graph[id]
      guard value.elementType == t.elementType, value.count == t.elementCount else {
        throw GoldenModelError(
          .badInput, "input \(i) '\(t.name)'",
          "expected \(t.elementCount) × \(t.elementType) (shape \(t.shape)); got \(value.count) × \(value.elementType)")
      }
    }
    return try run(graph: 0, inputs: inputs)
  }

  mutating func run(graph g: Int, inputs: [TensorData]) throws(GoldenModelError) -> [TensorData] {
    let graph = model.graphs[g]
    var values = [TensorData?](repeating: nil, count: graph.tensors.count)
    for (t, tensor) in graph.tensors.enumerated() { values[t] = tensor.data }
    for (value, id) in zip(inputs, graph.inputs) {
      values[id.index] = TensorData(shape: graph[id].shape, storage: value.storage)
    }

    for (i, op) in graph.operators.enumerated() {
      let operands = op.inputs.map { id in id.flatMap { values[$0.index] } }
      let context = KernelContext(graph: graph, op: op, index: i, values: operands)
      let results: [TensorData]
      switch op.kind {
      case .varHandle(let container, let sharedName):
        results = [handle(for: container + "/" + sharedName)]
      case .readVariable:
        let h = try resourceIndex(context)
        guard let v = variables[h] else {
          throw GoldenModelError(.invalidModel, context.location, "reads variable '\(resourceKeys[h])' before any assignment")
        }
        results = [v]
      case .assignVariable:
        let h = try resourceIndex(context)
        variables[h] = try context.value(1)
        results = []
      case .callOnce(let sub):
        if !initializedSubgraphs.contains(sub) {
          initializedSubgraphs.insert(sub)
          guard sub > 0 && sub < model.graphs.count else {
            throw GoldenModelError(.invalidModel, context.location, "init subgraph \(sub) out of range")
          }
          _ = try run(graph: sub, inputs: [])
        }
        results = []
      // issue 14: recurrent
      case .unidirectionalSequenceLSTM(let o):
        let key = try RecurrentStateKey(graph: g, context)
        let state: RecurrentState
        if let known = recurrentStates[key] {
          state = known
        } else {
          state = try Kernels.initialRecurrentState(context)
        }
        let (output, next) = try Kernels.unidirectionalSequenceLSTM(context, o, state: state)
        recurrentStates[key] = next
        results = [output]
      case .while(let cond, let body):
        results = try runWhile(context, cond: cond, body: body)
      default:
        results = try Kernels.run(context, workers: workers)
      }
      guard results.count <= op.outputs.count else {
        throw GoldenModelError(.invalidModel, context.location, "kernel produced \(results.count) outputs for \(op.outputs.count) tensors")
      }
      for (value, id) in zip(results, op.outputs) {
        let t = graph[id]
        if case .varHandle = op.kind {
          values[id.index] = value
          continue
        }
        if t.isDynamic {
          guard value.elementType == t.elementType, value.shape.count == t.shapeSignature?.count else {
            throw GoldenModelError(
              .invalidModel, context.location,
              "produced \(value.shape) × \(value.elementType) for output '\(t.name)' with shape signature \(t.shapeSignature ?? []) × \(t.elementType)")
          }
          values[id.index] = value
          continue
        }
        guard value.elementType == t.elementType, value.count == t.elementCount else {
          throw GoldenModelError(
            .invalidModel, context.location,
            "produced \(value.count) × \(value.elementType) for output '\(t.name)' of shape \(t.shape) × \(t.elementType)")
        }
        values[id.index] = TensorData(shape: t.shape, storage: value.storage)
      }
    }

    if g == 0 && recordsIntermediates { intermediates = values }
    var outputs: [TensorData] = []
    for id in graph.outputs {
      guard let v = values[id.index] else {
        throw GoldenModelError(.invalidModel, "output '\(graph[id].name)'", "never computed")
      }
      outputs.append(v)
    }
    return outputs
  }

  private mutating func handle(for key: String) -> TensorData {
    let index: Int
    if let i = resourceKeys.firstIndex(of: key) {
      index = i
    } else {
      resourceKeys.append(key)
      index = resourceKeys.count - 1
    }
    return TensorData(shape: [], storage: .int32([Int32(index)]))
  }

  private func resourceIndex(_ c: KernelContext) throws(GoldenModelError) -> Int {
    let h = try c.value(0)
    guard case .int32(let v) = h.storage, let first = v.first, Int(first) < resourceKeys.count, first >= 0 else {
      throw GoldenModelError(.invalidModel, c.location, "input 0 is not a resource handle")
    }
    return Int(first)
  }
}

// issue 14: recurrent
/// Identifies a recurrent operator's state by its output-state variable tensor, as TFLite keeps
/// the state in that tensor.
public struct RecurrentStateKey: Hashable, Sendable {
  public var graph: Int
  public var tensor: Int

  /// The key of the operator in `context` (its input 18, the output state).
  public init(graph: Int, _ context: KernelContext) throws(GoldenModelError) {
    guard let id = context.op.input(Kernels.LSTMInput.outputState), context.graph[id].isVariable else {
      throw GoldenModelError(.invalidModel, context.location, "output state (input 18) is not a variable tensor")
    }
    self.graph = graph
    self.tensor = id.index
  }
}
