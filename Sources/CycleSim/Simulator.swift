import Architecture
import Support
import TileISA

/// Whether the simulator also computes the program's results.
public enum SimulationMode {
  /// Timing only: instructions take time but compute nothing (fast; outputs are nil).
  case timing
  /// Timing plus functional execution: each instruction runs through the TileISA executor
  /// (`execute(_:on:host:)`, the one implementation of the ISA's semantics) when it starts, and
  /// host tasks run on `host`. Cycle counts are identical to `.timing`'s.
  case functional(host: any HostExecutor)
}

/// The cycle-approximate simulator: runs a `TileProgram` on an `ArchSpec` and reports cycles,
/// counters, per-layer figures and energy, optionally computing the outputs too.
///
/// One simulator with two modes (`SimulationMode`), never two simulators that drift apart. The
/// machine is a set of units (two DMA queues sharing one DRAM channel, the weight loader, the
/// systolic array, the activation/vector unit, the host) whose timing comes from the table
/// `TimingRule.table`; the engine is event-driven, so its cost grows with the number of
/// instructions, not cycles. `docs/cost-model.md` gives every formula and rule.
///
/// ```swift
/// var simulator = Simulator(arch: .tpuV1, program: program, mode: .timing)
/// let result = try simulator.run(inputs: nil)
/// print(result.cycles, result.total.utilization(arrayRows: 256, arrayColumns: 256))
/// ```
public struct Simulator {
  /// The machine.
  public let arch: ArchSpec
  /// The program.
  public let program: TileProgram
  /// Timing only, or timing and results.
  public var mode: SimulationMode
  /// The machine state after the last functional run (nil after a timing run).
  public private(set) var finalState: MachineState?
  /// How functional mode splits `matmul` and `activate` across cores (results and cycle counts
  /// never depend on it).
  public var parallelism: ExecutionParallelism = .automatic

  /// Creates a simulator for `program` on `arch`; nothing is checked until `run`.
  public init(arch: ArchSpec, program: TileProgram, mode: SimulationMode = .timing) {
    self.arch = arch
    self.program = program
    self.mode = mode
  }

  /// Runs the program once and returns its timing, counters and (functional mode) outputs.
  ///
  /// `inputs` holds the raw little-endian bytes of each input binding, as for
  /// `TileProgram.run(inputs:host:)`; nil means all-zero inputs. Timing mode ignores them.
  ///
  /// - Throws: `SimulatorError`: `.archMismatch` when `arch` is invalid or differs from what
  ///   the program was compiled for, `.invalidProgram` for instruction fields that cannot be
  ///   timed, `.deadlock` when the tokens block every queue, `.badInput` and `.execution` in
  ///   functional mode.
  public mutating func run(inputs: [[UInt8]]? = nil) throws(SimulatorError) -> SimulationResult {
    var observer = NullObserver()
    return try run(inputs: inputs, observer: &observer)
  }

  /// Runs the program once, sending every event to `observer` as well (see `run(inputs:)`).
  public mutating func run(inputs: [[UInt8]]?, observer: inout some SimulationObserver) throws(SimulatorError)
    -> SimulationResult
  {
    try checkArchitecture()
    let eb = program.datapath.elementBytes
    let parameters = try TimingParameters(arch: arch, elementBytes: eb)
    let plan = try makePlan(parameters)

    var functionalState: MachineState?
    var host: any HostExecutor = NoHostExecutor()
    if case .functional(let h) = mode {
      host = h
      functionalState = try initialState(inputs: inputs)
    }
    let emptyState: MachineState
    do {
      emptyState = try MachineState(
        limits: MemoryLimits(unifiedBuffer: 0, weightBuffer: 0, accumulatorRows: 0, arrayRows: 0, arrayColumns: 0),
        dramSize: 0)
    } catch {
      preconditionFailure("an empty machine state is always allocatable: \(error)")
    }

    var engine = Engine(
      instructions: program.instructions, steps: plan.steps, queues: plan.queues, parameters: parameters,
      elementBytes: eb, arrayColumns: program.limits.arrayColumns,
      observer: ObserverPair(
        first: CounterCollector(work: plan.work, layers: plan.layerWork, untagged: plan.untaggedWork), second: observer),
      functionalState: functionalState, emptyState: emptyState, host: host)
    let cycles: Int64
    do {
      cycles = try engine.run()
    } catch {
      observer = engine.observer.second
      throw error
    }
    observer = engine.observer.second
    var collector = engine.observer.first
    let counters = collector.finish(totalCycles: cycles)

    var outputs: [[UInt8]]?
    finalState = nil
    if engine.functional {
      outputs = try readOutputs(engine.state)
      finalState = engine.state
    }
    let layerReports = zip(program.layers, zip(counters.layers, counters.pieces)).map { info, figures in
      LayerReport(
        name: info.name, opName: info.opName, counters: figures.0, energy: EnergyBreakdown(counters: figures.0, arch: arch),
        pieces: figures.1.map { Cycle($0.lowerBound)..<Cycle($0.upperBound) })
    }
    return SimulationResult(
      archName: arch.name, arrayRows: arch.array.rows, arrayColumns: arch.array.cols,
      cycles: Cycle(cycles), total: counters.total, energy: EnergyBreakdown(counters: counters.total, arch: arch),
      layers: layerReports, unattributed: counters.unattributed,
      unattributedEnergy: EnergyBreakdown(counters: counters.unattributed, arch: arch), outputs: outputs)
  }

  // MARK: Checks and set-up

  /// The architecture must be valid and match the program's array, datapath and capacities.
  private func checkArchitecture() throws(SimulatorError) {
    let problems = arch.validate()
    if let first = problems.first {
      let more = problems.count > 1 ? " (and \(problems.count - 1) more)" : ""
      throw SimulatorError(.archMismatch, "arch '\(arch.name)'", "\(first)\(more)")
    }
    let limits = program.limits
    var mismatches: [String] = []
    if arch.array.rows != limits.arrayRows || arch.array.cols != limits.arrayColumns {
      mismatches.append(
        "the program is compiled for a \(limits.arrayRows)×\(limits.arrayColumns) array, the architecture has \(arch.array.rows)×\(arch.array.cols)"
      )
    }
    if arch.datapath.rawValue != program.datapath.rawValue {
      mismatches.append("the program's datapath is \(program.datapath), the architecture's \(arch.datapath.rawValue)")
    }
    if limits.unifiedBuffer > arch.ub.capacity {
      mismatches.append(
        "the program needs \(limits.unifiedBuffer.count) B of unified buffer, the architecture has \(arch.ub.capacity.count) B"
      )
    }
    if limits.weightBuffer > arch.weights.capacity {
      mismatches.append(
        "the program needs \(limits.weightBuffer.count) B of weight buffer, the architecture has \(arch.weights.capacity.count) B"
      )
    }
    if limits.accumulatorRows > arch.accumulatorEntries {
      mismatches.append(
        "the program needs \(limits.accumulatorRows) accumulator rows, the architecture has \(arch.accumulatorEntries)")
    }
    if arch.array.rows > 1 << 20 || arch.array.cols > 1 << 20 {
      mismatches.append("arrays larger than 2^20 rows or columns are not simulated")
    }
    if let first = mismatches.first {
      throw SimulatorError(.archMismatch, "arch '\(arch.name)'", first)
    }
  }

  /// What the run needs before it starts: each instruction's step (timing, tokens, DMA size),
  /// the three queues (instructions up to the first `finish`), and the work counters of the
  /// whole program, of each layer and of the untagged instructions (they do not depend on time).
  struct Plan {
    var steps: [Step]
    var queues: (load: [Int], compute: [Int], store: [Int])
    var work: Counters
    var layerWork: [Counters]
    var untaggedWork: Counters
  }

  private func makePlan(_ parameters: TimingParameters) throws(SimulatorError) -> Plan {
    let eb = Int64(program.datapath.elementBytes)
    let instructions = program.instructions
    let layerCount = program.layers.count
    var plan = Plan(
      steps: [], queues: ([], [], []), work: Counters(), layerWork: Array(repeating: Counters(), count: layerCount),
      untaggedWork: Counters())
    plan.steps.reserveCapacity(instructions.count)
    let limit: Int64 = 1 << 40
    // An upper bound on the run's length (every instruction one after another, DMA at half
    // bandwidth), kept below 2^61 so that no cycle arithmetic can overflow.
    var longestRun: Int64 = 0
    var finished = false
    for index in instructions.indices {
      let instruction = instructions[index]
      func fail(_ message: String) -> SimulatorError {
        SimulatorError(.invalidProgram, "instruction #\(index) (\(instruction.mnemonic))", message)
      }
      let queue = instruction.queue
      let flags = instruction.dependencies
      let invalid: DependencyFlags =
        switch queue {
        case .load: [.popPrev, .pushPrev]
        case .compute: []
        case .store: [.popNext, .pushNext]
        }
      if !flags.isDisjoint(with: invalid) {
        for (flag, name) in DependencyFlags.named where flags.contains(flag) {
          if TokenChannel.channel(for: flag, on: queue) == nil {
            throw fail("\(name) is not valid on the \(queue) queue")
          }
        }
      }
      var layer: Int32 = -1
      if let tag = instruction.layer {
        guard tag.value >= 0 && tag.value < layerCount else {
          throw fail("layer \(tag.value) out of range (the program has \(layerCount) layers)")
        }
        layer = Int32(tag.value)
      }
      let work: InstructionWork
      switch InstructionWork.of(instruction, elementBytes: eb, limits: program.limits, hostTasks: program.hostTasks) {
      case .success(let w): work = w
      case .failure(let problem): throw fail(problem.message)
      }
      let largest = max(
        work.dmaBytes, work.pixels, work.elements, work.vectorOps, work.hostReadBytes, work.hostWriteBytes)
      if largest > limit { throw fail("sizes above 2^40 are not simulated") }
      let rule = TimingRule.table[TimingRule.classIndex(work.instructionClass)]
      let (busy, done) = rule.evaluate(work, parameters)
      longestRun = min(longestRun + 2 * max(busy, done) + 1, Int64.max / 2)
      if longestRun > 1 << 61 { throw fail("the program could run for more than 2^61 cycles") }
      var step = Step(busy: busy, done: done, layer: layer, unit: rule.unit, queue: queue, flags: flags)
      switch work.instructionClass {
      case .load, .store:
        step.dmaBytes = work.dmaBytes
        step.portBytesPerCycle = parameters.portBytesPerCycle(of: work.dmaMemory)
      case .loadHost where parameters.dramIsHostLink, .storeHost where parameters.dramIsHostLink:
        // The "DRAM" is the host link itself (edge-tpu): the transfer queues on the DRAM channel.
        step.dmaBytes = work.dmaBytes
        step.portBytesPerCycle = parameters.portBytesPerCycle(of: work.dmaMemory)
      case .loadArena, .storeArena, .loadHost, .storeHost:
        step.dmaBytes = work.dmaBytes
        step.throughDRAM = false
      default:
        break
      }
      step.isLoadWeights = work.instructionClass == .loadWeights
      plan.steps.append(step)
      guard !finished else { continue }
      switch queue {
      case .load: plan.queues.load.append(index)
      case .compute: plan.queues.compute.append(index)
      case .store: plan.queues.store.append(index)
      }
      CounterCollector.add(work, to: &plan.work)
      if layer >= 0 {
        CounterCollector.add(work, to: &plan.layerWork[Int(layer)])
      } else {
        CounterCollector.add(work, to: &plan.untaggedWork)
      }
      if work.instructionClass == .finish { finished = true }
    }
    return plan
  }

  /// The program's machine state with its DRAM image and the inputs written.
  private func initialState(inputs: [[UInt8]]?) throws(SimulatorError) -> MachineState {
    var state: MachineState
    do {
      state = try MachineState(program: program)
    } catch {
      throw SimulatorError(.execution, error.location, error.message)
    }
    state.parallelism = parallelism
    let inputs = inputs ?? program.inputs.map { [UInt8](repeating: 0, count: max(0, $0.byteCount)) }
    guard inputs.count == program.inputs.count else {
      throw SimulatorError(.badInput, "inputs", "expected \(program.inputs.count) inputs, got \(inputs.count)")
    }
    for (i, (binding, bytes)) in zip(program.inputs, inputs).enumerated() {
      let location = "input \(i) '\(binding.name)'"
      var expected = binding.elementType.byteWidth
      for d in binding.shape {
        let (product, overflow) = expected.multipliedReportingOverflow(by: d)
        guard d >= 0, !overflow else { throw SimulatorError(.badInput, location, "shape \(binding.shape) is invalid") }
        expected = product
      }
      guard bytes.count == expected else {
        throw SimulatorError(.badInput, location, "expected \(expected) bytes, got \(bytes.count)")
      }
      let start = binding.address.byteOffset
      guard start >= 0, start <= state.dram.count - bytes.count else {
        throw SimulatorError(
          .badInput, location, "DRAM range \(binding.range) exceeds the DRAM size \(state.dram.count)")
      }
      state.dram.replaceSubrange(start..<start + bytes.count, with: bytes)
    }
    return state
  }

  private func readOutputs(_ state: MachineState) throws(SimulatorError) -> [[UInt8]] {
    var results: [[UInt8]] = []
    for (i, binding) in program.outputs.enumerated() {
      let start = binding.address.byteOffset
      var count = binding.elementType.byteWidth
      for d in binding.shape {
        let (product, overflow) = count.multipliedReportingOverflow(by: d)
        guard d >= 0, !overflow else {
          throw SimulatorError(.badInput, "output \(i) '\(binding.name)'", "shape \(binding.shape) is invalid")
        }
        count = product
      }
      guard start >= 0, start <= state.dram.count - count else {
        throw SimulatorError(
          .execution, "output \(i) '\(binding.name)'",
          "shape \(binding.shape) at \(binding.address) does not fit the DRAM size \(state.dram.count)")
      }
      results.append(Array(state.dram[start..<start + count]))
    }
    return results
  }
}

/// One layer's share of a run.
public struct LayerReport: Hashable, Sendable {
  /// The layer's name (from the program's layer table).
  public var name: String
  /// Its TFLite operator name.
  public var opName: String
  /// Its counters: the work of the instructions tagged with it, and the cycles attributed to it.
  public var counters: Counters
  /// Its energy (leakage over its attributed cycles).
  public var energy: EnergyBreakdown
  /// The cycle intervals attributed to it, in time order (they sum to `counters.cycles`): where
  /// the layer sits on the run's timeline. Not part of `SimulationResult.json`.
  public var pieces: [Range<Cycle>] = []
}

/// What a run produced.
public struct SimulationResult: Sendable {
  /// The architecture's name.
  public var archName: String
  /// R: array rows.
  public var arrayRows: Int
  /// C: array columns.
  public var arrayColumns: Int
  /// Total cycles, from the first instruction's start to the last one's completion.
  public var cycles: Cycle
  /// Counters of the whole run.
  public var total: Counters
  /// Energy of the whole run.
  public var energy: EnergyBreakdown
  /// Per layer, indexed like the program's layer table.
  public var layers: [LayerReport]
  /// The work of untagged instructions and the cycles no layer's span covers; layers plus this
  /// sum to `total`.
  public var unattributed: Counters
  /// The energy of `unattributed`.
  public var unattributedEnergy: EnergyBreakdown
  /// The outputs' bytes (functional mode), in output-binding order.
  public var outputs: [[UInt8]]?

  /// `macs / (rows × cols × cycles)` of the whole run.
  public var utilization: Double { total.utilization(arrayRows: arrayRows, arrayColumns: arrayColumns) }

  /// `macs / (rows × cols × streamed_rows)` of the whole run.
  public var mappingEfficiency: Double { total.mappingEfficiency(arrayRows: arrayRows, arrayColumns: arrayColumns) }

  /// The result as an ordered JSON object with stable snake_case keys: `cycles`,
  /// `utilization`, `mapping_efficiency`, `counters`, `energy_pj`, `layers` (each with `name`,
  /// `op`, `utilization`, `counters`, `energy_pj`) and `unattributed`.
  public var json: JSONValue {
    func layer(_ name: String, _ op: String, _ c: Counters, _ e: EnergyBreakdown) -> JSONValue {
      .object([
        ("name", .string(name)), ("op", .string(op)),
        ("utilization", .double(c.utilization(arrayRows: arrayRows, arrayColumns: arrayColumns))),
        ("counters", c.json), ("energy_pj", e.json),
      ])
    }
    return .object([
      ("arch", .string(archName)),
      ("cycles", .int(cycles.count)),
      ("utilization", .double(utilization)),
      ("mapping_efficiency", .double(mappingEfficiency)),
      ("counters", total.json),
      ("energy_pj", energy.json),
      ("layers", .array(layers.map { layer($0.name, $0.opName, $0.counters, $0.energy) })),
      ("unattributed", layer("", "", unattributed, unattributedEnergy)),
    ])
  }
}

extension Simulator {
  /// Bytes a simulation keeps per instruction of its program, on top of the program itself: the
  /// instruction's precomputed step, its place in its queue and its stall record, twice over
  /// (arrays grow by doubling). Callers add it to the compiler's own figure in the memory
  /// budget (`MemoryBudget.consumerBytesPerInstruction`) so a program too large to simulate is
  /// refused before it is emitted.
  public static let bytesPerInstruction =
    2 * (MemoryLayout<Step>.stride + MemoryLayout<Int>.stride + MemoryLayout<StallReason?>.stride)
}
