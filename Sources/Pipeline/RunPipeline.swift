import Architecture
import CycleSim
import GraphIR
import Lowering
import Support
import TileISA

/// What `systole run` does, as a library: compile a model for an architecture, simulate it,
/// and compile and simulate the float32 baseline on the same array geometry.
///
/// The driver, the sweep engine and the report writers all call this one function, so a figure
/// in a sweep row is the figure `run` prints for the same point.
public enum RunPipeline {
  /// Options of one run.
  public struct Options: Sendable {
    /// Compiler options (dataflow policy, double buffering, weight caching, depthwise mapping).
    public var lowering: LoweringOptions
    /// Execute the int8 math (and return outputs), or time only.
    public var functional: Bool
    /// Also compile and simulate the float32 baseline.
    public var baseline: Bool
    /// How a functional simulation splits its heaviest instructions across cores (the outputs
    /// never depend on it).
    public var parallelism: ExecutionParallelism = .automatic
    /// Told what the run starts next (`compiling`, `simulating`, `compiling the float32
    /// baseline`, …), for a progress display; never affects the result.
    public var progress: (@Sendable (String) -> Void)?
    public init(lowering: LoweringOptions = LoweringOptions(), functional: Bool = false, baseline: Bool = true) {
      self.lowering = lowering
      self.functional = functional
      self.baseline = baseline
    }

    /// `lowering` with its memory budget counting the simulator's per-instruction tables and,
    /// when `functional`, the machine's memories.
    func loweringForSimulation(functional: Bool) -> LoweringOptions {
      var l = lowering
      l.memoryBudget?.consumerBytesPerInstruction = Simulator.bytesPerInstruction
      l.memoryBudget?.functional = functional
      return l
    }
  }

  /// The float32 baseline of a run: the same model on the same geometry with 4-byte elements.
  public struct Baseline: Sendable {
    public var arch: ArchSpec
    public var compiled: CompiledModel
    public var simulation: SimulationResult
  }

  /// Everything one run produced.
  public struct Result: Sendable {
    public var model: Model
    public var arch: ArchSpec
    public var compiled: CompiledModel
    /// The simulation of the first invocation (every invocation has the same timing).
    public var simulation: SimulationResult
    /// Output tensors per invocation (functional runs only).
    public var outputs: [[TensorData]]
    public var baseline: Baseline?
  }

  /// Compiles and simulates `model` on `arch`; with `options.functional`, runs every invocation
  /// in `inputs` (one array of input tensors per invocation; host-fallback ops and resource
  /// variables keep their state across invocations).
  public static func run(
    model: Model, arch: ArchSpec, options: Options = Options(), inputs: [[TensorData]] = []
  ) throws -> Result {
    var observer = NullObserver()
    return try run(model: model, arch: arch, options: options, inputs: inputs, observer: &observer)
  }

  /// As ``run(model:arch:options:inputs:)``, with `observer` watching the main simulation (the
  /// first invocation of a functional run; the baseline is not observed). Trace writers use this.
  ///
  /// `compiled`, when given, must be `model` compiled for `arch` with `options.lowering` (callers
  /// that need the program before simulating — a trace writer — compile first with ``compile``).
  public static func run(
    model: Model, arch: ArchSpec, options: Options = Options(), inputs: [[TensorData]] = [],
    compiled precompiled: CompiledModel? = nil, observer: inout some SimulationObserver
  ) throws -> Result {
    if precompiled == nil { options.progress?("compiling") }
    let compiled = try precompiled ?? compile(model: model, arch: arch, options: options)
    options.progress?(options.functional ? "simulating (functional)" : "simulating")
    var simulation: SimulationResult?
    var outputs: [[TensorData]] = []
    if options.functional {
      let host = GoldenHostExecutor(model: model, compiled: compiled)
      let invocations = inputs.isEmpty ? [] : inputs
      for sample in invocations {
        var simulator = Simulator(arch: arch, program: compiled.program, mode: .functional(host: host))
        simulator.parallelism = options.parallelism
        let bytes = sample.map { $0.littleEndianBytes() }
        let result: SimulationResult
        if simulation == nil {
          result = try simulator.run(inputs: bytes, observer: &observer)
          simulation = result
        } else {
          result = try simulator.run(inputs: bytes)
        }
        outputs.append(try decode(result.outputs ?? [], compiled: compiled))
      }
    }
    if simulation == nil {
      var simulator = Simulator(arch: arch, program: compiled.program, mode: .timing)
      simulation = try simulator.run(inputs: nil, observer: &observer)
    }
    var baseline: Baseline?
    if options.baseline {
      let fp32 = arch.baseline
      // The baseline is compiled while the main program is held: the budget left is what it
      // does not take.
      var lowering = options.loweringForSimulation(functional: false)
      if let limit = lowering.memoryBudget?.limitBytes {
        lowering.memoryBudget?.limitBytes = max(0, limit.subtractingSaturating(retainedBytes(compiled.program)))
      }
      options.progress?("compiling the float32 baseline")
      let b = try LoweringPipeline(arch: fp32, options: lowering).compile(model)
      options.progress?("simulating the float32 baseline")
      var simulator = Simulator(arch: fp32, program: b.program, mode: .timing)
      baseline = Baseline(arch: fp32, compiled: b, simulation: try simulator.run())
    }
    guard let simulation else { preconditionFailure("a simulation always runs") }
    return Result(model: model, arch: arch, compiled: compiled, simulation: simulation, outputs: outputs, baseline: baseline)
  }

  /// Compiles `model` for `arch` as ``run(model:arch:options:inputs:)`` does.
  ///
  /// A memory budget in `options.lowering` also counts what the simulator keeps per instruction
  /// (`Simulator.bytesPerInstruction`) and, for a functional run, the machine's memories.
  public static func compile(model: Model, arch: ArchSpec, options: Options = Options()) throws -> CompiledModel {
    try LoweringPipeline(arch: arch, options: options.loweringForSimulation(functional: options.functional))
      .compile(model)
  }

  /// Bytes a compiled program keeps while later work runs: its instructions and tile entries
  /// (with array slack) and its DRAM image.
  static func retainedBytes(_ program: TileProgram) -> Int {
    program.instructions.count.multipliedSaturating(by: 2 * TileProgram.residentBytesPerInstruction)
      .addingSaturating(program.dramImage.segments.map(\.bytes.count).saturatingSum())
  }

  static func decode(_ bytes: [[UInt8]], compiled: CompiledModel) throws -> [TensorData] {
    try zip(bytes, compiled.outputs).map { raw, placement in
      guard let v = TensorData(littleEndianBytes: raw, type: placement.elementType, shape: placement.shape) else {
        throw PipelineError("output '\(placement.name)': \(raw.count) bytes do not fit \(placement.shape) \(placement.elementType)")
      }
      return v
    }
  }
}

/// A result that does not fit its description (a compiler/simulator disagreement: a bug).
public struct PipelineError: SystoleError {
  public var message: String
  public init(_ message: String) { self.message = message }
  public var description: String { message }
}
