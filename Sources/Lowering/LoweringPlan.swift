import Architecture
import GraphIR
import Support
import TileISA

/// The first half of a compilation: the model verified, legalized, fused and tiled, with every
/// decision the analytical cost model made.
///
/// `LoweringPipeline.plan(_:)` makes one; `LoweringPipeline.compile(_:)` finishes it (allocate,
/// schedule, emit, verify). The split exists for architecture sweeps: the cost model reads the
/// architecture's timing figures (clock, DRAM bandwidth and latency, host link, vector rate,
/// weight-load rate), but the rest of the compiler reads only the geometry and the decisions.
/// Two plans with equal `identity` therefore finish into the same `TileProgram`, so a sweep
/// plans every point (cheap) and finishes only the plans it has not seen (tested:
/// `LoweringPlanTests`).
public struct LoweringPlan {
  var state: LoweringState
  /// Everything the second half of the compiler reads; equal identities give equal programs.
  public let identity: ProgramIdentity

  /// The memory the finished program would take under `budget` (an upper bound; see
  /// `MemoryEstimate`), computed without emitting anything.
  public func memoryEstimate(_ budget: MemoryBudget = MemoryBudget(limitBytes: .max)) -> MemoryEstimate {
    MemoryEstimator(state: state).estimate(budget)
  }

  init(state: LoweringState) {
    self.state = state
    self.identity = ProgramIdentity(state)
  }
}

/// What determines a compiled program once the model is fixed: the compiler options, the
/// architecture's geometry (array shape, datapath, dataflow, memory capacities, the activation
/// memory policy), and each
/// layer's placement and tiling as the cost model chose them — but not the cost model's
/// estimates or the timing figures that produced them.
///
/// The geometry listed here is exactly what the passes after `tiling` read from `ArchSpec`
/// (checked by reading the passes; `LoweringPlanTests` compiles fresh and compares).
public struct ProgramIdentity: Hashable, Sendable {
  /// The compiler options, without `dumpAfter` (a report, not a program input) and
  /// `memoryBudget` (a check, not an input).
  var options: LoweringOptions
  var rows: Int
  var columns: Int
  var datapath: Datapath
  var dataflow: Dataflow
  var unifiedBufferBytes: Int64
  var weightBufferBytes: Int64
  var accumulatorEntries: Int
  /// Where activations live between layers (the allocate pass plans the arena from it).
  var activations: ActivationMemory
  /// One entry per layer, in graph order.
  var decisions: [LayerDecision]

  init(_ s: LoweringState) {
    var options = s.options
    options.dumpAfter = nil
    options.memoryBudget = nil
    self.options = options
    rows = s.arch.array.rows
    columns = s.arch.array.cols
    datapath = s.arch.datapath
    dataflow = s.arch.dataflow
    unifiedBufferBytes = Int64(s.arch.ub.capacity.count)
    weightBufferBytes = Int64(s.arch.weights.capacity.count)
    accumulatorEntries = s.arch.accumulatorEntries
    activations = s.arch.memory.activations
    decisions = s.layers.map(LayerDecision.init)
  }

  /// How many layers the cost model decided for.
  public var layerCount: Int { decisions.count }
}

/// A layer's placement and tiling with the estimates left out.
struct LayerDecision: Hashable, Sendable {
  var placement: Placement
  /// The tiling's integers (dataflow, tile sizes, buffering, tap groups), by work kind.
  var tiling: [Int]

  init(_ layer: Layer) {
    placement = layer.placement
    switch layer.work {
    case .matrix(let w):
      guard let t = w.tiling else {
        tiling = [-1]
        return
      }
      let dataflow = Matmul.Dataflow.allCases.firstIndex(of: t.dataflow) ?? -1
      tiling = [
        0, dataflow, t.tileH, t.tileW, t.nTile, t.nGroupTiles, t.channelGroup, t.chunkChannels,
        t.doubleBuffered ? 1 : 0, WeightPacking.allCases.firstIndex(of: w.weightPacking) ?? -1,
        w.weightGroupSize ?? 0,
      ] + t.tapGroups.flatMap { [$0.row0, $0.rows, $0.col0, $0.cols] }
    case .binary(let b):
      tiling = b.tiling.map { [1, $0.outerTile, $0.innerTile, $0.doubleBuffered ? 1 : 0] } ?? [-1]
    case .pool(let p):
      tiling = p.tiling.map { [2, $0.tileH, $0.tileW, $0.channels, $0.doubleBuffered ? 1 : 0] } ?? [-1]
    case .unary(let u):
      tiling = u.tiling.map { [3, $0.outerTile, $0.innerTile, $0.doubleBuffered ? 1 : 0] } ?? [-1]
    case .copy(let c):
      tiling = [4, c.chunkBytes, c.doubleBuffered ? 1 : 0]
    case .host:
      tiling = [5]
    case .alias:
      tiling = [6]
    case .fused(let into):
      tiling = [7, into]
    case .softmax(let u):
      tiling = u.tiling.map { [8, $0.outerTile, $0.innerTile, $0.doubleBuffered ? 1 : 0] } ?? [-1]
    case .mean(let u):
      tiling = u.tiling.map { [9, $0.outerTile, $0.innerTile, $0.doubleBuffered ? 1 : 0] } ?? [-1]
    // issue 14: resize
    case .resize(let w):
      tiling = w.tiling.map { [10, $0.rowTile, $0.inputRows, $0.doubleBuffered ? 1 : 0] } ?? [-1]
    // issue 14: lstm
    case .lstm(let w):
      tiling = [11, w.plan.steps, w.plan.batches, w.plan.inputs, w.plan.cells]
    }
  }
}

extension LoweringPipeline {
  /// The passes that make the cost model's decisions (`legalize`, `fuse`, `tiling`).
  static let planningPasses = passes.prefix { $0.name != .allocate }
  /// The passes that turn a plan into a program (`allocate`, `schedule`, `emit`).
  static let finishingPasses = passes.drop { $0.name != .allocate }

  /// Verifies, legalizes, fuses and tiles `model`: the first half of `compile(_:)`.
  ///
  /// - Throws: the same errors as `compile(_:)` for those passes (`.invalidModel`,
  ///   `.unsupported`, `.doesNotFit`). The memory budget is checked by `compile(_:)`.
  public func plan(_ model: Model) throws(LoweringError) -> LoweringPlan {
    var state = try start(model)
    for pass in Self.planningPasses { try pass.run(&state) }
    return LoweringPlan(state: state)
  }

  /// Finishes a plan made by `plan(_:)` (allocate, schedule, emit and the program verifier),
  /// after checking its memory estimate against the plan's `LoweringOptions.memoryBudget`
  /// (`.exceedsMemoryLimit`).
  ///
  /// The plan's own architecture and options are used; this pipeline's are ignored, so a plan
  /// can be finished by any pipeline value. `compile(plan(m))` equals `compile(m)` except for
  /// `dumpAfter`, which only `compile(_ model:)` honours.
  public func compile(_ plan: LoweringPlan) throws(LoweringError) -> CompiledModel {
    var state = plan.state
    try Self.checkBudget(state)
    for pass in Self.finishingPasses { try pass.run(&state) }
    guard let result = state.result else { preconditionFailure("the emit pass produced no result") }
    return result
  }
}
