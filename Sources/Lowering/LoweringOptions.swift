import Architecture

/// The passes of the lowering pipeline, in order; `--dump-after NAME` prints the IR after one.
public enum PassName: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
  /// Decide where each operator runs (array, vector unit, host, alias) and why.
  case legalize
  /// Fold bias, requantization and activation clamps into each operator's epilogue.
  case fuse
  /// Choose dataflow and tile sizes per layer with the analytical cost model.
  case tiling
  /// Place weights (cached or streamed), unified-buffer tiles and DRAM tensors.
  case allocate
  /// Generate the instruction stream and its dependency tokens.
  case schedule
  /// Assemble the `TileProgram`, the mapping report and the host-task table.
  case emit

  /// The CLI name (`tiling`).
  public var description: String { rawValue }
}

/// How the compiler picks a dataflow for each array layer.
public enum DataflowPolicy: Sendable, Hashable {
  /// The cost model picks, per layer, the dataflow with the fewest estimated cycles.
  case automatic
  /// The architecture's own dataflow (`ArchSpec.dataflow`) for every layer.
  case architecture
  /// This dataflow for every layer.
  case fixed(Dataflow)
}

/// Where DEPTHWISE_CONV_2D runs.
public enum DepthwisePolicy: String, Sendable, Hashable {
  /// The cost model compares the array (block-diagonal groups) with the host and picks the
  /// faster.
  case costModel
  /// Always on the array.
  case array
  /// Always on the host.
  case host
}

/// Knobs of the compiler; the defaults compile for speed with every optimization on.
public struct LoweringOptions: Sendable, Hashable {
  /// How each array layer's dataflow is chosen.
  public var dataflow: DataflowPolicy
  /// Alternate two unified-buffer and weight-buffer regions so DMA overlaps compute; when off,
  /// one region each (smaller tiles fit, nothing overlaps).
  public var doubleBuffering: Bool
  /// Keep weights resident in the weight buffer for the whole inference when they fit.
  public var cacheWeights: Bool
  /// Where DEPTHWISE_CONV_2D runs.
  public var depthwise: DepthwisePolicy
  /// Record a text dump of the IR after this pass in `CompiledModel.dump`.
  public var dumpAfter: PassName?
  /// Run `ProgramVerifier` on the result and fail with `.verification` on any problem.
  public var verifyProgram: Bool
  /// With `verifyProgram`, also run the verifier's data check (no read of unwritten bytes, every
  /// output written). Sweeps turn it off: it is most of the verifier's cost, and checks 1–3
  /// (tables, instructions, tokens) are what a timing simulation relies on.
  public var verifyData: Bool
  /// Write the constants (weight tiles, parameter tables, fill patterns, constant tensors) into
  /// the program's DRAM image. Off, the DRAM layout, the instructions and so the timing are the
  /// same, but `TileProgram.dramImage` is empty: the program is for timing-only simulation
  /// (sweeps; tested equal in cycles), its functional execution would read zeros, and the
  /// verifier's data check is skipped.
  public var writeConstants: Bool
  /// Record each instruction's tile coordinate (`TileProgram.tiles`: traces, assembly and
  /// reports name tiles by it). Sweeps turn it off: a 16×16 ResNet-50 program has ~10⁵ of them
  /// and building the table was ~8 % of a sweep point; timing does not read it.
  public var recordTiles: Bool = true
  /// The memory the program may take (checked after `tiling`, before anything is allocated in
  /// proportion to it); nil: no check.
  public var memoryBudget: MemoryBudget?

  /// Creates options; every argument has the default described on its property.
  public init(
    dataflow: DataflowPolicy = .automatic, doubleBuffering: Bool = true, cacheWeights: Bool = true,
    depthwise: DepthwisePolicy = .costModel, dumpAfter: PassName? = nil, verifyProgram: Bool = true,
    verifyData: Bool = true, writeConstants: Bool = true, memoryBudget: MemoryBudget? = nil
  ) {
    self.dataflow = dataflow
    self.doubleBuffering = doubleBuffering
    self.cacheWeights = cacheWeights
    self.depthwise = depthwise
    self.dumpAfter = dumpAfter
    self.verifyProgram = verifyProgram
    self.verifyData = verifyData
    self.writeConstants = writeConstants
    self.memoryBudget = memoryBudget
  }
}
