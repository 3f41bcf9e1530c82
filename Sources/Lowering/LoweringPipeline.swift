import Architecture
import GraphIR
import Support
import TileISA

/// The compiler: lowers a quantized GraphIR model to a `TileProgram` for one architecture.
///
/// A flat pipeline of named passes, read top to bottom (tinygrad's `codegen` list of rewrites,
/// STYLE §4), with a verifier at each end:
///
/// ```
/// GraphVerifier            the model is structurally sound
/// legalize                 where each operator runs (array, vector unit, host, alias) and why
/// fuse                     bias + requantization + clamp → activate; standalone RELUs folded
/// tiling                   dataflow and tile sizes per layer from the analytical cost model
/// MemoryEstimate           the program and its buffers fit the memory budget (an upper bound
///                          from the tiles, before anything is allocated in proportion to them)
/// allocate                 weights cached or streamed; unified-buffer tiles; DRAM layout
/// schedule                 loop nests → instructions; dependency tokens from buffer hazards
/// emit                     TileProgram, mapping report, host-task table
/// ProgramVerifier          the program is well-formed, token-correct and reads nothing unwritten
/// ```
///
/// `docs/compiler.md` describes each pass, the legality rules, the cost model and the report.
public struct LoweringPipeline: Sendable {
  /// The target.
  public let arch: ArchSpec
  /// The compiler's knobs.
  public let options: LoweringOptions

  /// Creates a compiler for `arch`.
  public init(arch: ArchSpec, options: LoweringOptions = LoweringOptions()) {
    self.arch = arch
    self.options = options
  }

  /// The passes, in order.
  static let passes: [any LoweringPass] = [
    Legalize(), Fuse(), ChooseTiles(), AllocateMemory(), Schedule(), Emit(),
  ]

  /// Compiles `model`.
  ///
  /// - Throws: `LoweringError` `.invalidModel` when the graph verifier reports problems,
  ///   `.doesNotFit` when a minimal tile exceeds a memory, `.unsupported` for an unusable
  ///   architecture, `.exceedsMemoryLimit` when the program would exceed
  ///   `options.memoryBudget`, `.verification` when the produced program fails
  ///   `ProgramVerifier`.
  public func compile(_ model: Model) throws(LoweringError) -> CompiledModel {
    var state = try start(model)
    var dump: String?
    for pass in Self.passes {
      if pass.name == .allocate { try Self.checkBudget(state) }
      try pass.run(&state)
      if options.dumpAfter == pass.name { dump = state.dump(after: pass.name) }
    }
    guard var result = state.result else {
      preconditionFailure("the emit pass produced no result")
    }
    result.dump = dump
    return result
  }

  /// Runs the pipeline up to and including `pass` and returns the IR dump after it (what
  /// `--dump-after PASS` prints).
  public func dump(_ model: Model, after pass: PassName) throws(LoweringError) -> String {
    var state = try start(model)
    for p in Self.passes {
      if p.name == .allocate { try Self.checkBudget(state) }
      try p.run(&state)
      if p.name == pass { return state.dump(after: pass) }
    }
    preconditionFailure("pass \(pass) is not in the pipeline")
  }

  func start(_ model: Model) throws(LoweringError) -> LoweringState {
    guard !model.graphs.isEmpty else { throw LoweringError(.invalidModel, "model", "\(model.source) has no graphs") }
    let problems = GraphVerifier.verify(model)
    if let first = problems.first {
      let more = problems.count > 1 ? " (and \(problems.count - 1) more problems)" : ""
      throw LoweringError(.invalidModel, model.source, "\(first)\(more)")
    }
    let problemsInArch = arch.validationProblems
    if let first = problemsInArch.first {
      throw LoweringError(.unsupported, "architecture '\(arch.name)'", first)
    }
    return LoweringState(model: model, arch: arch, options: options)
  }
}

/// One pass of the pipeline: a named transformation of the compiler state.
protocol LoweringPass: Sendable {
  /// The pass's name (for `--dump-after`).
  var name: PassName { get }
  /// Transforms the state.
  func run(_ state: inout LoweringState) throws(LoweringError)
}

extension ArchSpec {
  /// Reasons this architecture cannot be compiled for (the compiler's own minimum: an array,
  /// accumulators and buffers that exist).
  var validationProblems: [String] {
    var problems: [String] = []
    if array.rows < 1 || array.cols < 1 {
      problems.append("the array is \(array.rows)×\(array.cols); it needs at least 1×1")
    }
    if accumulatorEntries < 1 {
      problems.append("the accumulator holds \(accumulatorEntries) rows; it needs at least 1")
    }
    if ub.capacity.count < 1 { problems.append("the unified buffer is empty") }
    if weights.capacity.count < 1 { problems.append("the weight buffer is empty") }
    if dramBytesPerCycle <= 0 || !dramBytesPerCycle.isFinite { problems.append("DRAM bandwidth must be positive") }
    return problems
  }
}
