import Architecture
import GraphIR
import Support
import TileISA

/// Pass 6, emit: assembles the `TileProgram` (limits, DRAM image, layer and host-task tables,
/// input/output bindings, instructions), runs `ProgramVerifier` on it, and writes the mapping
/// report.
struct Emit: LoweringPass {
  let name = PassName.emit

  func run(_ s: inout LoweringState) throws(LoweringError) {
    guard let plan = s.plan, let builder = s.builder else { preconditionFailure("emit runs after schedule") }
    let limits = MemoryLimits(
      unifiedBuffer: s.arch.ub.capacity, weightBuffer: s.arch.weights.capacity,
      accumulatorRows: s.arch.accumulatorEntries, arrayRows: s.arch.array.rows, arrayColumns: s.arch.array.cols)
    let layers = s.layers.map { LayerInfo(name: $0.name, opName: $0.opName) }
    func placement(_ id: TensorID) -> TensorPlacement {
      let t = s.graph[id]
      let address = plan.tensorAddress[s.root(id).index] ?? 0
      return TensorPlacement(
        tensor: id, name: t.name, shape: t.shape, elementType: t.elementType, address: DRAMAddress(address),
        byteCount: s.storageBytes(t))
    }
    func binding(_ p: TensorPlacement) -> IOBinding {
      let widened = s.elementBytes == 4 && (p.elementType == .int8 || p.elementType == .uint8)
      let type = widened ? .float32 : IOElementType(rawValue: p.elementType.rawValue) ?? .int32
      return IOBinding(name: p.name, elementType: type, shape: p.shape, address: p.address)
    }
    let inputs = s.graph.inputs.map(placement)
    let outputs = s.graph.outputs.map(placement)
    let program = TileProgram(
      datapath: s.datapath, limits: limits, dramSize: ByteCount(plan.dramSize),
      arenaSize: ByteCount(plan.arenaSize), dramImage: plan.dramImage,
      layers: layers, hostTasks: s.hostTasks.map(\.task), inputs: inputs.map(binding), outputs: outputs.map(binding),
      instructions: builder.instructions, tiles: s.options.recordTiles ? builder.tiles : [:])
    if s.options.verifyProgram {
      let problems = ProgramVerifier.verify(program, includingData: s.options.verifyData && s.options.writeConstants)
      if let first = problems.first {
        let more = problems.count > 1 ? " (and \(problems.count - 1) more)" : ""
        throw LoweringError(.verification, "program", "\(first)\(more)")
      }
    }
    s.result = CompiledModel(
      program: program, report: report(s, plan, instructions: program.instructions.count), inputs: inputs,
      outputs: outputs, hostTasks: s.hostTasks.map(\.descriptor))
    // issue 14: lstm: the on-chip LSTMs' state regions carry over between invocations.
    s.result?.persistentRanges = plan.lstm.keys.sorted().flatMap { i -> [Range<Int>] in
      guard let a = plan.lstm[i], case .lstm(let w) = s.layers[i].work else { return [] }
      let n = w.plan.batches * w.plan.cells
      return [a.hidden..<a.hidden + n, a.cell..<a.cell + 2 * n]
    }
  }

  func report(_ s: LoweringState, _ plan: MemoryPlan, instructions: Int) -> MappingReport {
    var entries: [OperatorMapping] = []
    var highWater = SRAMUsage(weightBufferBytes: plan.weightBufferEnd)
    for (i, layer) in s.layers.enumerated() {
      var m = OperatorMapping(
        index: i, opName: layer.opName, name: layer.name, placement: layer.placement, reason: layer.reason)
      let st = i < s.stats.count ? s.stats[i] : LayerStats()
      m.instructionCount = st.instructions
      m.tileCount = st.tiles
      m.tile = st.largestTile
      m.dramBytesRead = st.dramRead
      m.hostLinkBytesRead = st.hostLinkRead
      m.hostLinkBytesWritten = st.hostLinkWritten
      m.dramBytesWritten = st.dramWritten
      m.arenaBytesRead = st.arenaRead
      m.arenaBytesWritten = st.arenaWritten
      m.arenaBytesReadInPlace = st.arenaReadInPlace
      m.arenaCopyReason = st.arenaCopyReason
      let (reads, writes) = ActivationLiveness.accesses(layer.work)
      func location(_ id: TensorID) -> TensorLocation? {
        let r = s.root(id).index
        guard plan.activations[r] != nil else { return nil }
        let t = s.graph.tensors[r]
        return TensorLocation(
          name: t.name, bytes: s.storageBytes(t), storage: plan.arenaOffset[r] != nil ? .arena : .dram)
      }
      m.inputs = reads.compactMap(location)
      m.outputs = writes.compactMap(location)
      m.weightBytes = st.weightBytes
      m.weightBytesCached = st.weightsCached
      m.weightBytesStreamed = st.weightsStreamed
      m.macs = s.graph.macs(ofOperator: i)
      var usage = plan.usage[i] ?? SRAMUsage()
      switch layer.work {
      case .matrix(let w):
        m.dataflow = w.tiling.flatMap { Dataflow(rawValue: $0.dataflow.rawValue) }
        m.estimatedCycles = w.tiling?.estimate.cycles ?? 0
        m.arrayUtilization = st.peSlots > 0 ? Double(st.usefulMACs) / Double(st.peSlots) : nil
        if let l = plan.weightLayouts[i] {
          switch plan.residence[i] {
          case .cached(let offset)?: usage.weightBufferBytes = offset + l.blob.count
          default: usage.weightBufferBytes = plan.streamRegionBytes
          }
        }
      case .binary(let b): m.estimatedCycles = b.tiling?.estimate.cycles ?? 0
      case .pool(let p): m.estimatedCycles = p.tiling?.estimate.cycles ?? 0
      case .unary(let u): m.estimatedCycles = u.tiling?.estimate.cycles ?? 0
      case .softmax(let u): m.estimatedCycles = u.tiling?.estimate.cycles ?? 0
      case .mean(let u): m.estimatedCycles = u.tiling?.estimate.cycles ?? 0
      // issue 14: resize
      case .resize(let w): m.estimatedCycles = w.tiling?.estimate.cycles ?? 0
      // issue 14: lstm
      case .lstm(let w): m.estimatedCycles = w.estimate?.cycles ?? 0
      case .copy(let c): m.estimatedCycles = c.estimate?.cycles ?? 0
      case .host(let h): m.estimatedCycles = h.estimate?.cycles ?? 0
      case .fused(let into): m.fusedInto = into
      case .alias: break
      }
      m.sram = usage
      highWater = highWater.union(
        SRAMUsage(unifiedBufferBytes: usage.unifiedBufferBytes, accumulatorRows: usage.accumulatorRows))
      entries.append(m)
    }
    return MappingReport(
      architecture: s.arch.name, datapath: s.arch.datapath, operators: entries,
      totals: MappingTotals(entries, instructions: instructions), sramHighWater: highWater,
      activations: activationSummary(s, plan))
  }

  /// The arena's figures and every activation kept in DRAM, with its cause.
  func activationSummary(_ s: LoweringState, _ plan: MemoryPlan) -> ActivationSummary {
    var summary = ActivationSummary(
      policy: s.arch.memory.activations, workingBudgetBytes: s.workingBudget ?? Int(s.arch.ub.capacity.count),
      arenaCapacityBytes: plan.arenaCapacity, arenaBytes: plan.arenaSize)
    for r in plan.activations.keys.sorted() {
      guard let buffer = plan.activations[r], let home = plan.homes[r] else { continue }
      switch home {
      case .arena:
        summary.onChipTensors += 1
        summary.onChipBytes += buffer.bytes
      case .dram(let cause, let reason):
        summary.inDRAM.append(
          DRAMActivation(
            name: s.graph.tensors[r].name, bytes: buffer.bytes, firstLayer: buffer.first, lastLayer: buffer.last,
            cause: cause, reason: reason))
      }
    }
    return summary
  }
}
