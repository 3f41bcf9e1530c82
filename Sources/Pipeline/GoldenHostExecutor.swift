import GoldenModel
import GraphIR
import Lowering
import Support
import TileISA

/// Runs a compiled model's host tasks with the golden model's kernels, on DRAM bytes: reads each
/// input tensor at its placement, runs the operator, writes each output at its placement.
///
/// Resource variables and CALL_ONCE keep their state in this object across invocations, as
/// TFLite's interpreter does. Used by `RunPipeline` for functional runs and by the compiler's
/// tests; the simulator only sees the `HostExecutor` protocol.
public final class GoldenHostExecutor: HostExecutor {
  let model: Model
  let descriptors: [HostTaskDescriptor]
  private var handleKeys: [String] = []
  private var variables: [Int: TensorData] = [:]
  private var initialized: Set<Int> = []
  // issue 14: recurrent
  private var recurrentStates: [RecurrentStateKey: RecurrentState] = [:]
  /// Runs WHILE's condition and body subgraphs (and keeps the state of ops inside them).
  private var controlFlow: Interpreter
  /// Tasks run so far (all invocations).
  public private(set) var tasksRun = 0

  // issue 14: lstm
  /// The compiled model's persistent DRAM ranges and their bytes after the last run (nil before
  /// the first).
  private let persistentRanges: [Range<Int>]
  private var persistentBytes: [[UInt8]]?

  /// Creates an executor for `compiled`, the compilation of `model`.
  public init(model: Model, compiled: CompiledModel) {
    self.model = model
    self.descriptors = compiled.hostTasks
    self.controlFlow = Interpreter(model: model)
    self.persistentRanges = compiled.persistentRanges
  }

  // issue 14: lstm
  /// Writes back the persistent ranges' bytes of the previous run (the recurrent state), as
  /// TFLite keeps variable tensors between invocations.
  public func restoreDeviceState(dram: inout [UInt8]) {
    guard let saved = persistentBytes else { return }
    for (r, bytes) in zip(persistentRanges, saved) where r.upperBound <= dram.count {
      dram.replaceSubrange(r, with: bytes)
    }
  }

  /// Keeps the persistent ranges' bytes for the next run.
  public func saveDeviceState(dram: [UInt8]) {
    guard !persistentRanges.isEmpty else { return }
    persistentBytes = persistentRanges.map { r in r.upperBound <= dram.count ? Array(dram[r]) : [] }
  }

  /// A host task that could not run (a compiler/executor disagreement).
  public struct Failure: Error, CustomStringConvertible {
    public var description: String
  }

  /// Runs host task `index` on DRAM bytes.
  public func run(task: HostTask, index: HostTaskIndex, dram: inout [UInt8]) throws {
    tasksRun += 1
    let d = descriptors[index.value]
    let graph = model.graphs[d.graph]
    let op = graph.operators[d.operatorIndex]
    var values: [TensorData?] = []
    for placement in d.inputs {
      guard let p = placement else {
        values.append(nil)
        continue
      }
      let start = p.address.byteOffset
      let bytes = Array(dram[start..<start + p.byteCount])
      guard let value = TensorData(littleEndianBytes: bytes, type: p.elementType, shape: p.shape) else {
        throw Failure(description: "input '\(p.name)' has \(bytes.count) bytes")
      }
      values.append(value)
    }
    let results = try evaluate(graph: graph, op: op, index: d.operatorIndex, values: values, graphIndex: d.graph)
    for (value, p) in zip(results, d.outputs) {
      let bytes = value.littleEndianBytes()
      guard bytes.count == p.byteCount else {
        throw Failure(description: "output '\(p.name)' produced \(bytes.count) bytes for \(p.byteCount)")
      }
      dram.replaceSubrange(p.address.byteOffset..<p.address.byteOffset + bytes.count, with: bytes)
    }
  }

  /// One operator, with TFLite's resource-variable semantics for the stateful ones.
  private func evaluate(graph: Graph, op: Operator, index: Int, values: [TensorData?], graphIndex: Int = 0) throws
    -> [TensorData]
  {
    switch op.kind {
    // issue 14: recurrent
    case .unidirectionalSequenceLSTM(let o):
      // The compiler passes no state operands (inputs 18, 19); the state lives here.
      let context = KernelContext(graph: graph, op: op, index: index, values: values)
      let key = try RecurrentStateKey(graph: graphIndex, context)
      let state = try recurrentStates[key] ?? Kernels.initialRecurrentState(context)
      let (output, next) = try Kernels.unidirectionalSequenceLSTM(context, o, state: state)
      recurrentStates[key] = next
      return [output]
    case .while:
      return try controlFlow.evaluateWhile(graph: graphIndex, operatorIndex: index, values: values)
    case .varHandle(let container, let sharedName):
      let key = container + "/" + sharedName
      if !handleKeys.contains(key) { handleKeys.append(key) }
      let handle = handleKeys.firstIndex(of: key) ?? 0
      return [TensorData(shape: [], storage: .int32([Int32(handle)]))]
    case .readVariable:
      guard let h = values.first??.integerValues.first, let v = variables[Int(h)] else {
        throw Failure(description: "READ_VARIABLE of an unassigned variable")
      }
      return [v]
    case .assignVariable:
      guard let h = values.first??.integerValues.first, values.count > 1, let v = values[1] else {
        throw Failure(description: "ASSIGN_VARIABLE without operands")
      }
      variables[Int(h)] = v
      return []
    case .callOnce(let sub):
      if !initialized.contains(sub) {
        initialized.insert(sub)
        try runSubgraph(sub)
      }
      return []
    default:
      return try Kernels.run(KernelContext(graph: graph, op: op, index: index, values: values))
    }
  }

  /// Runs an initializer subgraph (constants in, no outputs).
  private func runSubgraph(_ g: Int) throws {
    let graph = model.graphs[g]
    var values = graph.tensors.map(\.data)
    for (i, op) in graph.operators.enumerated() {
      let operands = op.inputs.map { id in id.flatMap { values[$0.index] } }
      let results = try evaluate(graph: graph, op: op, index: i, values: operands, graphIndex: g)
      for (value, id) in zip(results, op.outputs) { values[id.index] = value }
    }
  }
}
