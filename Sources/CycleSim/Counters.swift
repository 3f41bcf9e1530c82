import Architecture
import Support

/// The simulator's performance counters, each with its stable snake_case report key.
///
/// This enum is the one place the keys are defined (TVM-VTA's `Profiler::AsJSON` keeps its
/// counter names the same way); `Counters` stores one `Int64` per case, in this order.
public enum CounterKey: String, CaseIterable, Sendable, Hashable, CustomStringConvertible {
  /// Cycles: the whole run, or the cycles attributed to a layer (see `docs/cost-model.md`).
  case cycles
  /// Instructions executed.
  case instructions
  /// Useful multiply-accumulates: `P × (K / groups) × N` per matmul (padding taps included).
  case macs
  /// Rows streamed through the array: `P` per matmul.
  case streamedRows = "streamed_rows"
  /// Cycles in which a matmul streams rows into the array (`CycleClass.arrayActive`).
  case arrayActiveCycles = "array_active_cycles"
  /// Array idle waiting for a weight tile to shift in.
  case weightShiftCycles = "weight_shift_cycles"
  /// Array idle waiting for weights from DRAM.
  case weightStallCycles = "weight_stall_cycles"
  /// Array idle waiting for input data from DRAM.
  case inputStallCycles = "input_stall_cycles"
  /// Array idle waiting for the store queue.
  case outputStallCycles = "output_stall_cycles"
  /// Array idle waiting for a dependency between compute units.
  case dependencyWaitCycles = "dependency_wait_cycles"
  /// Array idle while the vector unit works.
  case nonMatrixCycles = "non_matrix_cycles"
  /// Array idle while the host runs a fallback task.
  case hostCycles = "host_cycles"
  /// Unclassified idle cycles (expected 0).
  case idleCycles = "idle_cycles"
  /// DRAM bytes loaded into the weight buffer or stored from it (weights, parameter tables).
  case dramWeightBytes = "dram_weight_bytes"
  /// DRAM bytes loaded into the unified buffer.
  case dramInputActivationBytes = "dram_input_activation_bytes"
  /// DRAM bytes stored from the unified buffer.
  case dramOutputActivationBytes = "dram_output_activation_bytes"
  /// DRAM bytes moved between DRAM and the accumulator, either way.
  case dramPartialSumBytes = "dram_partial_sum_bytes"
  /// DRAM bytes host tasks read (over the host link).
  case dramHostReadBytes = "dram_host_read_bytes"
  /// DRAM bytes host tasks write (over the host link).
  case dramHostWriteBytes = "dram_host_write_bytes"
  /// Unified buffer bytes read.
  case ubReadBytes = "ub_read_bytes"
  /// Unified buffer bytes written.
  case ubWriteBytes = "ub_write_bytes"
  /// Activation-arena bytes read (arena loads); unified-buffer SRAM, apart from `ub_read_bytes`.
  case arenaReadBytes = "arena_read_bytes"
  /// Activation-arena bytes written (arena stores); apart from `ub_write_bytes`.
  case arenaWriteBytes = "arena_write_bytes"
  /// Weight buffer bytes read.
  case weightsReadBytes = "weights_read_bytes"
  /// Weight buffer bytes written.
  case weightsWriteBytes = "weights_write_bytes"
  /// Accumulator bytes read.
  case accReadBytes = "acc_read_bytes"
  /// Accumulator bytes written.
  case accWriteBytes = "acc_write_bytes"
  /// Additions into existing accumulator entries (`matmul … accumulate`: P × N).
  case accumulatorAdds = "accumulator_adds"
  /// Element operations of the activation/vector unit.
  case vectorOps = "vector_ops"
  /// Element operations run on the host (one per byte a host task reads).
  case hostOps = "host_ops"
  /// Weights `load_weights` expanded from packed int4/int2/ternary-grouped storage to int8 (K × N per packed
  /// tile).
  case unpackedWeights = "unpacked_weights"
  /// Bytes `load … host_link` and `store … host_link` move across the host link (network
  /// inputs and outputs on chips whose DRAM holds weights only); not DRAM traffic.
  case hostLinkBytes = "host_link_bytes"

  /// The report key.
  public var description: String { rawValue }

  /// One line saying what the counter counts, for reports and `docs/cost-model.md`.
  public var summary: String {
    switch self {
    case .cycles: "cycles: the run's total, or those attributed to the layer"
    case .instructions: "instructions executed"
    case .macs: "useful MACs: P × (K / groups) × N per matmul"
    case .streamedRows: "rows streamed through the array: P per matmul"
    case .arrayActiveCycles: "cycles in which a matmul streams rows in"
    case .weightShiftCycles: "array idle: a weight tile is shifting in"
    case .weightStallCycles: "array idle: weights are on their way from DRAM"
    case .inputStallCycles: "array idle: input data is on its way from DRAM"
    case .outputStallCycles: "array idle: waiting for the store queue"
    case .dependencyWaitCycles: "array idle: waiting for a dependency between compute units"
    case .nonMatrixCycles: "array idle while the activation/vector unit works"
    case .hostCycles: "array idle while the host runs a fallback task"
    case .idleCycles: "array idle for no classified reason (expected 0)"
    case .dramWeightBytes: "DRAM bytes loaded into (or stored from) the weight buffer"
    case .dramInputActivationBytes: "DRAM bytes loaded into the unified buffer"
    case .dramOutputActivationBytes: "DRAM bytes stored from the unified buffer"
    case .dramPartialSumBytes: "DRAM bytes moved to or from the accumulator"
    case .dramHostReadBytes: "DRAM bytes host tasks read over the host link"
    case .dramHostWriteBytes: "DRAM bytes host tasks write over the host link"
    case .ubReadBytes: "unified buffer bytes read"
    case .ubWriteBytes: "unified buffer bytes written"
    case .arenaReadBytes: "activation-arena bytes read by arena loads (unified-buffer SRAM, not in ub_read_bytes)"
    case .arenaWriteBytes: "activation-arena bytes written by arena stores (unified-buffer SRAM, not in ub_write_bytes)"
    case .weightsReadBytes: "weight buffer bytes read"
    case .weightsWriteBytes: "weight buffer bytes written"
    case .accReadBytes: "accumulator bytes read"
    case .accWriteBytes: "accumulator bytes written"
    case .accumulatorAdds: "additions into existing accumulator entries (accumulate matmuls: P × N)"
    case .vectorOps: "activation/vector unit element operations"
    case .hostOps: "host operations (each host task's MACs or element operations, from the host-task table)"
    case .unpackedWeights: "weights expanded from packed int4/int2/ternary-grouped storage to int8 by load_weights: K × N per packed tile"
    case .hostLinkBytes: "network input and output bytes DMA moves across the host link (load/store … host_link), not through DRAM"
    }
  }

  /// The counter keys as a Markdown table, for `docs/cost-model.md`.
  public static func markdownTable() -> String {
    var out = "| key | counts |\n|---|---|\n"
    for key in allCases { out += "| `\(key.rawValue)` | \(key.summary) |\n" }
    return out
  }

  /// The counter for the array cycles of class `c`.
  public static func cycles(of c: CycleClass) -> CounterKey {
    switch c {
    case .arrayActive: .arrayActiveCycles
    case .weightShift: .weightShiftCycles
    case .weightStall: .weightStallCycles
    case .inputStall: .inputStallCycles
    case .outputStall: .outputStallCycles
    case .dependencyWait: .dependencyWaitCycles
    case .nonMatrix: .nonMatrixCycles
    case .host: .hostCycles
    case .idle: .idleCycles
    }
  }

  /// Position in `allCases`, the storage index.
  var index: Int {
    switch self {
    case .cycles: 0
    case .instructions: 1
    case .macs: 2
    case .streamedRows: 3
    case .arrayActiveCycles: 4
    case .weightShiftCycles: 5
    case .weightStallCycles: 6
    case .inputStallCycles: 7
    case .outputStallCycles: 8
    case .dependencyWaitCycles: 9
    case .nonMatrixCycles: 10
    case .hostCycles: 11
    case .idleCycles: 12
    case .dramWeightBytes: 13
    case .dramInputActivationBytes: 14
    case .dramOutputActivationBytes: 15
    case .dramPartialSumBytes: 16
    case .dramHostReadBytes: 17
    case .dramHostWriteBytes: 18
    case .ubReadBytes: 19
    case .ubWriteBytes: 20
    case .arenaReadBytes: 21
    case .arenaWriteBytes: 22
    case .weightsReadBytes: 23
    case .weightsWriteBytes: 24
    case .accReadBytes: 25
    case .accWriteBytes: 26
    case .accumulatorAdds: 27
    case .vectorOps: 28
    case .hostOps: 29
    case .unpackedWeights: 30
    case .hostLinkBytes: 31
    }
  }
}

/// One value per `CounterKey`, for the whole run or one layer.
public struct Counters: Hashable, Sendable {
  private var values: [Int64]

  /// All counters zero.
  public init() { values = [Int64](repeating: 0, count: CounterKey.allCases.count) }

  /// The counter `key`.
  public subscript(key: CounterKey) -> Int64 {
    get { values[key.index] }
    set { values[key.index] = newValue }
  }

  /// Adds every counter of `other`.
  public static func += (a: inout Counters, b: Counters) {
    for i in a.values.indices { a.values[i] += b.values[i] }
  }

  /// Cycles.
  public var cycles: Int64 { self[.cycles] }
  /// Useful MACs.
  public var macs: Int64 { self[.macs] }

  /// DRAM bytes moved by DMA (loads and stores of every class, not host traffic).
  public var dmaBytes: Int64 {
    self[.dramWeightBytes] + self[.dramInputActivationBytes] + self[.dramOutputActivationBytes]
      + self[.dramPartialSumBytes]
  }

  /// All DRAM bytes: DMA plus host-task reads and writes.
  public var dramBytes: Int64 { dmaBytes + self[.dramHostReadBytes] + self[.dramHostWriteBytes] }

  /// Bytes that cross the chip's boundary: DRAM bytes plus the network inputs and outputs moved
  /// across the host link (`host_link_bytes`).
  public var offChipBytes: Int64 { dramBytes + self[.hostLinkBytes] }

  /// `macs / (rows × cols × cycles)`: the fraction of the array's peak MACs achieved (0 for no
  /// cycles).
  public func utilization(arrayRows: Int, arrayColumns: Int) -> Double {
    let peak = Double(arrayRows) * Double(arrayColumns) * Double(cycles)
    return peak > 0 ? Double(macs) / peak : 0
  }

  /// `macs / (rows × cols × streamed_rows)`: the fraction of the array's processing elements
  /// that hold a useful weight while rows stream (SCALE-Sim's mapping efficiency, weighted by
  /// rows streamed; 0 when nothing streamed).
  public func mappingEfficiency(arrayRows: Int, arrayColumns: Int) -> Double {
    let slots = Double(arrayRows) * Double(arrayColumns) * Double(self[.streamedRows])
    return slots > 0 ? Double(macs) / slots : 0
  }

  /// The counters as an ordered JSON object (`CounterKey` order and keys).
  public var json: JSONValue {
    .object(CounterKey.allCases.map { ($0.rawValue, JSONValue.int(self[$0])) })
  }
}

/// Energy by component, in picojoules: the counters times the `ArchSpec` energy table.
public enum EnergyComponent: String, CaseIterable, Sendable, Hashable, CustomStringConvertible {
  /// MACs × `macEnergy` (int8 or fp32 by datapath).
  case mac = "mac_pj"
  /// Accumulator adds × `accumulateEnergy`.
  case accumulate = "accumulate_pj"
  /// Unified buffer bytes (read + written, arena included) × `ubEnergyPerByte`.
  case unifiedBuffer = "ub_pj"
  /// Weight buffer bytes × `weightsEnergyPerByte`.
  case weightBuffer = "weights_pj"
  /// Accumulator bytes × `accEnergyPerByte`.
  case accumulator = "acc_pj"
  /// DRAM bytes (DMA and host) × `dramEnergyPerByte`.
  case dram = "dram_pj"
  /// Vector-unit operations × `energy.vector_op_pj`.
  case vector = "vector_pj"
  /// Unpacked weights × `energy.unpack_pj`.
  case unpack = "unpack_pj"
  /// Cycles × `leakageEnergyPerCycle`.
  case leakage = "leakage_pj"

  /// The report key.
  public var description: String { rawValue }
}

/// Energy of a run or a layer, by component.
public struct EnergyBreakdown: Hashable, Sendable {
  /// Energy per component, in `EnergyComponent.allCases` order.
  public private(set) var components: [Picojoules]

  /// The energy of `counters` on `arch`.
  ///
  /// Every term is `count × energy per event` from `ArchSpec`'s derived energy figures
  /// (`macEnergy`, `accumulateEnergy`, `ubEnergyPerByte` — for the working region and the
  /// arena alike, both unified-buffer SRAM — `weightsEnergyPerByte`,
  /// `accEnergyPerByte`, `dramEnergyPerByte`, `energy.vectorOp`, `energy.unpack`,
  /// `leakageEnergyPerCycle`).
  public init(counters c: Counters, arch: ArchSpec) {
    func e(_ count: Int64, _ each: Picojoules) -> Picojoules { each * Double(count) }
    components = [
      e(c.macs, arch.macEnergy),
      e(c[.accumulatorAdds], arch.accumulateEnergy),
      e(c[.ubReadBytes] + c[.ubWriteBytes] + c[.arenaReadBytes] + c[.arenaWriteBytes], arch.ubEnergyPerByte),
      e(c[.weightsReadBytes] + c[.weightsWriteBytes], arch.weightsEnergyPerByte),
      e(c[.accReadBytes] + c[.accWriteBytes], arch.accEnergyPerByte),
      // Host-link bytes are read from or written to the host's DRAM: priced as DRAM bytes (the
      // link's own PHY energy is left out, docs/cost-model.md).
      e(c.dramBytes + c[.hostLinkBytes], arch.dramEnergyPerByte),
      e(c[.vectorOps], arch.energy.vectorOp),
      e(c[.unpackedWeights], arch.energy.unpack),
      e(c.cycles, arch.leakageEnergyPerCycle),
    ]
  }

  /// The energy of one component.
  public subscript(component: EnergyComponent) -> Picojoules {
    components[EnergyComponent.allCases.firstIndex(of: component) ?? 0]
  }

  /// The sum of the components.
  public var total: Picojoules { components.reduce(Picojoules.zero, +) }

  /// The components and `total_pj` as an ordered JSON object.
  public var json: JSONValue {
    var pairs = zip(EnergyComponent.allCases, components).map { ($0.rawValue, JSONValue.double($1.value)) }
    pairs.append(("total_pj", .double(total.value)))
    return .object(pairs)
  }
}
