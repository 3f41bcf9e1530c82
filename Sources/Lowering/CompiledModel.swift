import GraphIR
import TileISA

/// The result of compiling a model for an architecture: the program, the mapping report, where
/// the model's inputs and outputs live in DRAM, and what each host task must compute.
public struct CompiledModel: Sendable {
  /// The tile program (instructions, DRAM image, bindings, host-task table).
  public var program: TileProgram
  /// Where each operator runs and why, with tiles, instruction counts and memory use.
  public var report: MappingReport
  /// The model's inputs in DRAM, in the graph's input order (the program's input bindings).
  public var inputs: [TensorPlacement]
  /// The model's outputs in DRAM, in the graph's output order (the program's output bindings).
  public var outputs: [TensorPlacement]
  /// One entry per `program.hostTasks` entry, at the same index: the graph operator it runs
  /// and the DRAM placement of each of its tensors.
  public var hostTasks: [HostTaskDescriptor]
  /// The IR dump after `LoweringOptions.dumpAfter`, when one was requested.
  public var dump: String?
  // issue 14: lstm
  /// DRAM ranges whose bytes carry over from one invocation to the next (the state of on-chip
  /// UNIDIRECTIONAL_SEQUENCE_LSTM layers, TFLite's variable tensors): the DRAM image holds their
  /// reset values; a host runtime keeps them between runs (`HostExecutor.saveDeviceState`).
  public var persistentRanges: [Range<Int>] = []

  /// Creates a compiled model.
  public init(
    program: TileProgram, report: MappingReport, inputs: [TensorPlacement], outputs: [TensorPlacement],
    hostTasks: [HostTaskDescriptor], dump: String? = nil
  ) {
    self.program = program
    self.report = report
    self.inputs = inputs
    self.outputs = outputs
    self.hostTasks = hostTasks
    self.dump = dump
  }
}

/// A graph tensor stored densely (row-major, little-endian) in DRAM.
///
/// On a float32 datapath, int8 and uint8 tensors occupy 4 bytes per element (`byteCount` says
/// so); everything else keeps its natural width.
public struct TensorPlacement: Sendable, Hashable {
  /// The tensor in the main graph.
  public var tensor: TensorID
  /// Its name in the model.
  public var name: String
  /// Its shape.
  public var shape: [Int]
  /// Its element type in the model.
  public var elementType: ElementType
  /// Its first DRAM byte.
  public var address: DRAMAddress
  /// Bytes it occupies.
  public var byteCount: Int

  /// Creates a placement.
  public init(
    tensor: TensorID, name: String, shape: [Int], elementType: ElementType, address: DRAMAddress, byteCount: Int
  ) {
    self.tensor = tensor
    self.name = name
    self.shape = shape
    self.elementType = elementType
    self.address = address
    self.byteCount = byteCount
  }

  /// The DRAM bytes the tensor occupies.
  public var range: DRAMRange { DRAMRange(start: address, byteCount: byteCount) }
}

/// What one host task computes: a graph operator run by the host on DRAM.
///
/// The host executor (the driver's, built on the golden model) reads each input from DRAM at its
/// placement (constants included: the DRAM image holds them), runs operator `operatorIndex` of
/// graph `graph` with the golden kernels, and writes each output at its placement. Resource
/// variables (VAR_HANDLE, READ_VARIABLE, ASSIGN_VARIABLE) and CALL_ONCE keep their state in the
/// host executor across invocations, as TFLite's interpreter does.
public struct HostTaskDescriptor: Sendable, Hashable {
  /// The task's index in `program.hostTasks`.
  public var task: HostTaskIndex
  /// The graph the operator belongs to (always 0, the main graph).
  public var graph: Int
  /// The operator's index in that graph.
  public var operatorIndex: Int
  /// The TFLite operator name: `SOFTMAX`.
  public var opName: String
  /// Parallel to the operator's inputs: where each lives, nil for an absent optional input.
  public var inputs: [TensorPlacement?]
  /// Parallel to the operator's outputs.
  public var outputs: [TensorPlacement]
  /// Why the operator runs on the host.
  public var reason: String

  /// Creates a descriptor.
  public init(
    task: HostTaskIndex, graph: Int, operatorIndex: Int, opName: String, inputs: [TensorPlacement?],
    outputs: [TensorPlacement], reason: String
  ) {
    self.task = task
    self.graph = graph
    self.operatorIndex = operatorIndex
    self.opName = opName
    self.inputs = inputs
    self.outputs = outputs
    self.reason = reason
  }
}
