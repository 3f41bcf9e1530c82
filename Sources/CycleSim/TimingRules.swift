import Architecture
import Support
import TileISA

/// The machine figures the timing rules read, derived once from an `ArchSpec` and the
/// program's element width. `docs/cost-model.md` defines each.
public struct TimingParameters: Sendable, Hashable {
  /// R: array rows.
  public var arrayRows: Int64
  /// C: array columns.
  public var arrayColumns: Int64
  /// Bytes per operand element (1 for int8, 4 for float32), from the program's datapath.
  public var elementBytes: Int64
  /// Weight-tile rows shifted into the array per cycle (`array.weight_load_rows_per_cycle`).
  public var weightLoadRowsPerCycle: Int64
  /// Whether a weight tile can load while the array computes with the other slot.
  public var weightDoubleBuffered: Bool
  /// Extra cycles of a packed weight tile's load (`array.weight_unpack_latency_cycles`).
  public var weightUnpackLatencyCycles: Int64
  /// Cycles between consecutive operand rows entering the array (`array.row_interval_cycles`).
  public var rowIntervalCycles: Int64
  /// Unified buffer bytes per cycle per direction (`ub.port_bytes_per_cycle`).
  public var ubPortBytesPerCycle: Int64
  /// Weight buffer bytes per cycle per direction (`weights.port_bytes_per_cycle`).
  public var weightsPortBytesPerCycle: Int64
  /// Accumulator bytes per cycle per direction (`acc.port_bytes_per_cycle`).
  public var accPortBytesPerCycle: Int64
  /// Vector-unit element operations per cycle (`lanes × ops_per_cycle_per_lane`).
  public var vectorOpsPerCycle: Int64
  /// DRAM request latency in cycles (`ArchSpec.dramLatencyCycles`).
  public var dramLatencyCycles: Int64
  /// Fixed cycles of an arena transfer before its first byte (`memory.arena_latency_cycles`).
  public var arenaLatencyCycles: Int64
  /// DRAM bytes per cycle, exact (`dram.gbps × 1000 / clock.mhz` as a fraction).
  var dramBytesPerCycle: Rational
  /// Host round-trip latency in cycles (`ArchSpec.hostLatencyCycles`).
  public var hostLatencyCycles: Int64
  /// Host link bytes per cycle (`ArchSpec.hostLinkBytesPerCycle`).
  public var hostLinkBytesPerCycle: Double
  /// Latency of a DMA transfer across the host link (`ArchSpec.hostDMALatencyCycles`).
  public var hostDMALatencyCycles: Int64
  /// Whether host-link transfers share the DRAM channel (`memory.dram_is_host_link`).
  public var dramIsHostLink: Bool
  /// Host element operations per cycle (`ArchSpec.hostOpsPerCycle`).
  public var hostOpsPerCycle: Double

  /// The parameters of `arch` for a program whose elements are `elementBytes` wide.
  ///
  /// - Throws: `SimulatorError` `.archMismatch` when the DRAM bandwidth per cycle is not a
  ///   positive number with a denominator of at most 10⁶ (any bandwidth written with six
  ///   decimals over a clock in whole kHz qualifies).
  public init(arch: ArchSpec, elementBytes: Int) throws(SimulatorError) {
    arrayRows = Int64(arch.array.rows)
    arrayColumns = Int64(arch.array.cols)
    self.elementBytes = Int64(elementBytes)
    weightLoadRowsPerCycle = Int64(max(1, arch.array.weightLoadRowsPerCycle))
    weightDoubleBuffered = arch.array.weightDoubleBuffered
    weightUnpackLatencyCycles = Int64(max(0, arch.array.weightUnpackLatencyCycles))
    rowIntervalCycles = Int64(max(1, arch.array.rowIntervalCycles))
    ubPortBytesPerCycle = Int64(max(1, arch.ub.portBytesPerCycle))
    weightsPortBytesPerCycle = Int64(max(1, arch.weights.portBytesPerCycle))
    accPortBytesPerCycle = Int64(max(1, arch.acc.portBytesPerCycle))
    vectorOpsPerCycle = Int64(max(1, arch.vectorOpsPerCycle))
    // Latencies are capped at 2^50 cycles so that absurd values cannot overflow cycle arithmetic.
    dramLatencyCycles = min(Int64(arch.dramLatencyCycles), 1 << 50)
    arenaLatencyCycles = min(Int64(max(0, arch.memory.arenaLatencyCycles)), 1 << 50)
    guard let bandwidth = Rational.approximating(arch.dramBytesPerCycle) else {
      throw SimulatorError(
        .archMismatch, "arch", "DRAM bandwidth \(arch.dramBytesPerCycle) B/cycle is not a usable positive number")
    }
    dramBytesPerCycle = bandwidth
    hostLatencyCycles = min(Int64(arch.hostLatencyCycles), 1 << 50)
    hostLinkBytesPerCycle = arch.hostLinkBytesPerCycle
    hostDMALatencyCycles = min(Int64(arch.hostDMALatencyCycles), 1 << 50)
    dramIsHostLink = arch.memory.dramIsHostLink
    hostOpsPerCycle = arch.hostOpsPerCycle
  }

  /// DRAM bytes per cycle as a number.
  public var dramBytesPerCycleValue: Double { dramBytesPerCycle.doubleValue }

  /// The port, in bytes per cycle, of the on-chip memory a DMA transfer reads or writes.
  public func portBytesPerCycle(of memory: OnChipMemory) -> Int64 {
    switch memory {
    case .unifiedBuffer: ubPortBytesPerCycle
    case .weightBuffer: weightsPortBytesPerCycle
    case .accumulator: accPortBytesPerCycle
    }
  }
}

/// How long one instruction class keeps its unit busy and when its results are ready: one row
/// of the timing table (Ramulator 2 keeps DRAM timing constraints as such a table).
///
/// `busy` is the occupancy: cycles from the start until the unit accepts its next instruction.
/// `done` is the completion: cycles from the start until the results are visible, its
/// dependency tokens are pushed and hazards on what it wrote clear. They differ only for the
/// weight-stationary array, which is pipelined: the next stream enters while the previous one
/// drains. `docs/cost-model.md` lists the same table with the derivations.
public struct TimingRule: Sendable {
  /// The instruction class this row times.
  public let instructionClass: InstructionClass
  /// The unit that runs it.
  public let unit: SimulationUnit
  /// The occupancy formula, as printed in `docs/cost-model.md`.
  public let busyFormula: String
  /// The completion formula, as printed in `docs/cost-model.md`.
  public let doneFormula: String
  /// Where the formula comes from.
  public let source: String
  let evaluate: @Sendable (InstructionWork, TimingParameters) -> (busy: Int64, done: Int64)

  /// The timing table, one row per `InstructionClass`, in `InstructionClass.allCases` order.
  ///
  /// Notation: R × C array, eb element bytes, P rows streamed (output pixels), K weight rows
  /// used, N columns, E output elements, B bytes; `port(m)` a memory's bytes per cycle per
  /// direction; `bw` DRAM bytes per cycle; `L` the DRAM latency in cycles. Every instruction
  /// except `nop` and `finish` takes at least one cycle.
  public static let table: [TimingRule] = [
    TimingRule(
      .load, .loadDMA,
      busy: "L + ⌈B / min(bw, port(m))⌉ alone; the bandwidth is shared while both DMA queues stream",
      done: "= busy",
      source: "DMA = latency + bytes / bandwidth; equal sharing of one DRAM channel (§4)"
    ) { w, p in
      let cycles = p.dramLatencyCycles + uncontendedStreamCycles(bytes: w.dmaBytes, memory: w.dmaMemory, p)
      return (cycles, cycles)
    },
    TimingRule(
      .store, .storeDMA,
      busy: "L + ⌈B / min(bw, port(m))⌉ alone; the bandwidth is shared while both DMA queues stream",
      done: "= busy",
      source: "as load"
    ) { w, p in
      let cycles = p.dramLatencyCycles + uncontendedStreamCycles(bytes: w.dmaBytes, memory: w.dmaMemory, p)
      return (cycles, cycles)
    },
    TimingRule(
      .loadArena, .loadDMA,
      busy: "A + ⌈B / min(port(ub), port(m))⌉, A = memory.arena_latency_cycles",
      done: "= busy",
      source:
        "the arena is unified-buffer SRAM: no DRAM channel; B bytes leave through the UB read port and enter m's write port (Systole model, §4)"
    ) { w, p in
      let cycles = p.arenaLatencyCycles + arenaStreamCycles(bytes: w.dmaBytes, memory: w.dmaMemory, p)
      return (max(cycles, 1), max(cycles, 1))
    },
    TimingRule(
      .storeArena, .storeDMA,
      busy: "A + ⌈B / min(port(ub), port(m))⌉",
      done: "= busy",
      source: "as load_arena, read from m, written through the UB write port"
    ) { w, p in
      let cycles = p.arenaLatencyCycles + arenaStreamCycles(bytes: w.dmaBytes, memory: w.dmaMemory, p)
      return (max(cycles, 1), max(cycles, 1))
    },
    TimingRule(
      .loadWeights, .weightLoader,
      busy:
        "max(⌈K / weight_load_rows_per_cycle⌉, ⌈max(K·N·eb, wb bytes read) / port(wb)⌉), + weight_unpack_latency_cycles for a packed (int4/int2/ternary-grouped) tile",
      done: "= busy",
      source:
        "TPU v1 shifts a 256×256 tile in over 256 cycles, one row per cycle (Jouppi et al., ISCA 2017 §2); the unpacker expands port(wb) values per cycle after one pipeline stage (Systole assumption, §5)"
    ) { w, p in
      let cycles = max(
        ceilDiv(w.reduction, p.weightLoadRowsPerCycle),
        ceilDiv(max(w.reduction * w.columns * p.elementBytes, w.wbRead), p.weightsPortBytesPerCycle), 1)
      let unpack = w.unpackedWeights > 0 ? p.weightUnpackLatencyCycles : 0
      return (cycles + unpack, cycles + unpack)
    },
    TimingRule(
      .matmulWS, .array,
      busy: "P·r, r = max(i, ⌈K·eb / port(ub)⌉, ⌈N·4 / port(acc)⌉), i = array.row_interval_cycles",
      done: "P·r + R + C − 2",
      source:
        "skewed systolic stream: first input to last output P + R + C − 2 (SCALE-Sim WS fold 2R + C + T − 2 less the R-cycle weight fill)"
    ) { w, p in
      let busy = w.pixels * streamRowCycles(w, p)
      return (max(busy, 1), busy + p.arrayRows + p.arrayColumns - 2)
    },
    TimingRule(
      .matmulOS, .array,
      busy: "⌈P / R⌉ · (K·i + R + C − 2)",
      done: "= busy",
      source: "SCALE-Sim systolic_compute_os.py: per fold T + R + C − 2 with T = K, folds ⌈P/R⌉·⌈N/C⌉ (N ≤ C); T rows enter i cycles apart"
    ) { w, p in
      let cycles =
        ceilDiv(w.pixels, p.arrayRows) * (w.reduction * p.rowIntervalCycles + p.arrayRows + p.arrayColumns - 2)
      return (max(cycles, 1), max(cycles, 1))
    },
    TimingRule(
      .matmulIS, .array,
      busy: "⌈P / C⌉ · (2R + C + N·i − 2)",
      done: "= busy",
      source: "SCALE-Sim systolic_compute_is.py: per fold 2R + C + T − 2 with T = N, folds ⌈K/R⌉·⌈P/C⌉ (K ≤ R); T rows enter i cycles apart"
    ) { w, p in
      let cycles =
        ceilDiv(w.pixels, p.arrayColumns) * (2 * p.arrayRows + p.arrayColumns + w.columns * p.rowIntervalCycles - 2)
      return (max(cycles, 1), max(cycles, 1))
    },
    TimingRule(
      .activate, .vector,
      busy: "max(⌈E / vector_ops⌉, ⌈4E / port(acc)⌉, ⌈E·eb / port(ub)⌉), E = P·N",
      done: "= busy",
      source: "throughput = lanes × ops per lane per cycle; each accumulator read and UB write bounded by its port"
    ) { w, p in
      let cycles = max(
        ceilDiv(w.elements, p.vectorOpsPerCycle), ceilDiv(4 * w.elements, p.accPortBytesPerCycle),
        ceilDiv(w.elements * p.elementBytes, p.ubPortBytesPerCycle), 1)
      return (cycles, cycles)
    },
    TimingRule(
      .vectorBinary, .vector,
      busy: "max(⌈E / vector_ops⌉, ⌈2E·eb / port(ub)⌉)",
      done: "= busy",
      source: "one op per output element; two operand reads per element through the UB read port"
    ) { w, p in
      let cycles = max(
        ceilDiv(w.elements, p.vectorOpsPerCycle), ceilDiv(2 * w.elements * p.elementBytes, p.ubPortBytesPerCycle), 1)
      return (cycles, cycles)
    },
    TimingRule(
      .vectorUnary, .vector,
      busy: "max(⌈E / vector_ops⌉, ⌈E·eb / port(ub)⌉)",
      done: "= busy",
      source: "one op per output element; one read and one write per element"
    ) { w, p in
      let cycles = max(
        ceilDiv(w.elements, p.vectorOpsPerCycle), ceilDiv(w.elements * p.elementBytes, p.ubPortBytesPerCycle), 1)
      return (cycles, cycles)
    },
    TimingRule(
      .vectorPool, .vector,
      busy: "max(⌈T / vector_ops⌉, ⌈T·eb / port(ub)⌉, ⌈E·eb / port(ub)⌉), T = in-image taps × channels",
      done: "= busy",
      source: "one compare or add per in-image tap (TFLite pools skip padding taps)"
    ) { w, p in
      let cycles = max(
        ceilDiv(w.vectorOps, p.vectorOpsPerCycle), ceilDiv(w.vectorOps * p.elementBytes, p.ubPortBytesPerCycle),
        ceilDiv(w.elements * p.elementBytes, p.ubPortBytesPerCycle), 1)
      return (cycles, cycles)
    },
    TimingRule(
      .vectorSoftmax, .vector,
      busy: "max(⌈3E / vector_ops⌉, ⌈3E·eb / port(ub)⌉), E = rows × depth",
      done: "= busy",
      source:
        "TFLite reference_ops::Softmax as three passes over each row, each re-reading the row from the UB: max; exp (per-op LUT) and sum; exp, × reciprocal, write. Rows pipeline, hiding each row's reciprocal (~10 dependent multiplies) behind the next row's max pass"
    ) { w, p in readPassCycles(w, p) },
    TimingRule(
      .vectorMean, .vector,
      // issue 14: prod — k = 2 for `vreduce fn=prod` (a 64-bit multiply and a rounding shift)
      busy: "max(⌈(k·E + C) / vector_ops⌉, ⌈E·eb / port(ub)⌉), E = pixels × C, k = 2 for vreduce fn=prod else 1",
      done: "= busy",
      source:
        "TFLite reference_ops::QuantizedMeanOrSum as one pass: each lane keeps a channel's int32 sum, one add per input element read once from the UB, then one requantization (MultiplyByQuantizedMultiplier) per channel; the C-element output row fits the UB write port alongside"
    ) { w, p in readPassCycles(w, p) },
    TimingRule(
      .vectorLookup, .vector,
      busy: "⌈256 / port(wb)⌉ + max(⌈E / vector_ops⌉, ⌈E·eb / port(ub)⌉)",
      done: "= busy",
      source:
        "per-layer 256-entry int8 LUT, as NPUs implement nonlinearities: the table (in the weight buffer, like activate's parameters) is copied once into every lane's private table (Systole assumption, docs/cost-model.md), then one lookup per element per lane per cycle with no bank conflicts; each element read and written once"
    ) { w, p in
      let table = ceilDiv(Int64(VectorOperation.lookupTableBytes), p.weightsPortBytesPerCycle)
      let stream = max(
        ceilDiv(w.elements, p.vectorOpsPerCycle), ceilDiv(w.elements * p.elementBytes, p.ubPortBytesPerCycle), 1)
      return (table + stream, table + stream)
    },
    TimingRule(
      .host, .host,
      busy: "host_latency + ⌈(read + written bytes) / link⌉ + ⌈task operations / host_ops⌉",
      done: "= busy",
      source:
        "host fallback = round trip + link transfer of inputs and outputs + the task's operations (its MACs, or output elements where it has none: the compiler's cost-model count, carried in the host-task table) at the host's rate"
    ) { w, p in
      let link = min(ceilToInt64(Double(w.hostReadBytes + w.hostWriteBytes) / p.hostLinkBytesPerCycle), 1 << 60)
      let compute = min(ceilToInt64(Double(w.hostOps) / p.hostOpsPerCycle), 1 << 60)
      let cycles = max(p.hostLatencyCycles + link + compute, 1)
      return (cycles, cycles)
    },
    TimingRule(.nop, .control, busy: "0", done: "0", source: "carries tokens only") { _, _ in (0, 0) },
    TimingRule(.finish, .control, busy: "0", done: "0", source: "the run ends when every queue has drained") { _, _ in
      (0, 0)
    },
    TimingRule(
      .loadHost, .loadDMA,
      busy: "H + ⌈B / min(link, port(m))⌉, H = host_dma_latency_cycles",
      done: "= busy",
      source:
        "TPU v1's Read_Host_Memory: the host link (PCIe) has its own bandwidth and round trip; no DRAM channel (Jouppi et al., ISCA 2017 §2; §4)"
    ) { w, p in
      let cycles = hostLinkTransferCycles(bytes: w.dmaBytes, memory: w.dmaMemory, p)
      return (cycles, cycles)
    },
    TimingRule(
      .storeHost, .storeDMA,
      busy: "H + ⌈B / min(link, port(m))⌉, H = host_dma_latency_cycles",
      done: "= busy",
      source: "as load_host (Write_Host_Memory)"
    ) { w, p in
      let cycles = hostLinkTransferCycles(bytes: w.dmaBytes, memory: w.dmaMemory, p)
      return (cycles, cycles)
    },
    // issue 14: resize
    TimingRule(
      .vectorResize, .vector,
      busy: "max(⌈4E / vector_ops⌉, ⌈4E·eb / port(ub)⌉, ⌈E·eb / port(ub)⌉), E = output rows × width × C",
      done: "= busy",
      source:
        "TFLite reference_ops::ResizeBilinearInteger: four taps per output element, each read from the UB and multiplied by its 10-bit weight product into an int64 sum (one op per tap, as vectorPool counts taps), one rounding shift folded into the last; each output written once"
    ) { w, p in
      let cycles = max(
        ceilDiv(w.vectorOps, p.vectorOpsPerCycle), ceilDiv(w.ubRead, p.ubPortBytesPerCycle),
        ceilDiv(w.ubWrite, p.ubPortBytesPerCycle), 1)
      return (cycles, cycles)
    },
    // issue 14: PRELU / L2_NORMALIZATION
    TimingRule(
      .vectorL2Norm, .vector,
      busy: "max(⌈2E / vector_ops⌉, ⌈2E·eb / port(ub)⌉), E = rows × depth",
      done: "= busy",
      source:
        "TFLite reference_integer_ops::L2Normalization as two passes over each row, each reading the row from the UB: square and sum into int32; × the row's inverse square root (MultiplyByQuantizedMultiplier), write. Rows pipeline, hiding each row's GetInvSqrtQuantizedMultiplierExp (five Newton steps) behind the next row's first pass, as vector_softmax hides its reciprocal"
    ) { w, p in readPassCycles(w, p) },
    // issue 14: lstm
    TimingRule(
      .vectorLSTM, .vector,
      busy: "max(⌈8E / vector_ops⌉, ⌈10E / port(ub)⌉), E = batch rows × cells",
      done: "= busy",
      source:
        "TFLite LstmStepInteger8x8_16's elementwise half on int16 lanes: σ/tanh of the four Q3.12 gates and tanh of the new cell state as one lane operation each (an int16 function unit, Systole assumption, docs/cost-model.md), the two products of UpdateLstmCellInteger and the hidden requantization: 8 operations per cell; the four int16 gates and the int16 cell state are read once (10 B), the cell state and the int8 hidden value written (3 B)"
    ) { w, p in readPassCycles(w, p) },
    // issue 14: vops
    TimingRule(
      .vectorSelect, .vector,
      busy: "max(⌈E / vector_ops⌉, ⌈3E·eb / port(ub)⌉)",
      done: "= busy",
      source:
        "TFLite select.cc as one pass: per output element one pick between two operands by a bool byte; three operand reads (condition, x, y) per element through the UB read port"
    ) { w, p in
      let cycles = max(
        ceilDiv(w.elements, p.vectorOpsPerCycle), ceilDiv(3 * w.elements * p.elementBytes, p.ubPortBytesPerCycle), 1)
      return (cycles, cycles)
    },
  ]

  init(
    _ instructionClass: InstructionClass, _ unit: SimulationUnit, busy: String, done: String, source: String,
    evaluate: @escaping @Sendable (InstructionWork, TimingParameters) -> (busy: Int64, done: Int64)
  ) {
    self.instructionClass = instructionClass
    self.unit = unit
    self.busyFormula = busy
    self.doneFormula = done
    self.source = source
    self.evaluate = evaluate
  }

  /// The table as Markdown, for `docs/cost-model.md` (a test keeps the doc's copy current).
  public static func markdownTable() -> String {
    var out = "| class | unit | busy (occupancy) | done (completion) | source |\n|---|---|---|---|---|\n"
    for rule in table {
      out +=
        "| `\(rule.instructionClass)` | \(rule.unit) | \(rule.busyFormula) | \(rule.doneFormula) | \(rule.source) |\n"
    }
    return out
  }

  /// The row for `instructionClass`.
  public static func rule(for instructionClass: InstructionClass) -> TimingRule {
    table[classIndex(instructionClass)]
  }

  static func classIndex(_ c: InstructionClass) -> Int {
    switch c {
    case .load: 0
    case .store: 1
    case .loadArena: 2
    case .storeArena: 3
    case .loadWeights: 4
    case .matmulWS: 5
    case .matmulOS: 6
    case .matmulIS: 7
    case .activate: 8
    case .vectorBinary: 9
    case .vectorUnary: 10
    case .vectorPool: 11
    case .vectorSoftmax: 12
    case .vectorMean: 13
    case .vectorLookup: 14
    case .host: 15
    case .nop: 16
    case .finish: 17
    case .loadHost: 18
    case .storeHost: 19
    // issue 14: resize
    case .vectorResize: 20
    // issue 14: PRELU / L2_NORMALIZATION
    case .vectorL2Norm: 21
    // issue 14: lstm
    case .vectorLSTM: 22
    // issue 14: vops
    case .vectorSelect: 23
    }
  }
}

/// `H + ⌈B / min(link, port(m))⌉` (H = `host_dma_latency_cycles`): a DMA transfer across the host link, which the
/// two DMA queues do not share with DRAM (host tasks' own transfers are not counted against it).
func hostLinkTransferCycles(bytes: Int64, memory: OnChipMemory, _ p: TimingParameters) -> Int64 {
  let rate = min(p.hostLinkBytesPerCycle, Double(p.portBytesPerCycle(of: memory)))
  guard rate > 0 else { return 1 << 60 }
  let stream = min(ceilToInt64(Double(bytes) / rate), 1 << 60)
  return max(p.hostDMALatencyCycles + stream, 1)
}

/// `⌈B / min(bw, port)⌉`: the streaming cycles of a DMA transfer with the channel to itself.
func uncontendedStreamCycles(bytes: Int64, memory: OnChipMemory, _ p: TimingParameters) -> Int64 {
  let bw = p.dramBytesPerCycle
  let port = p.portBytesPerCycle(of: memory)
  // min(num/den, port) = port when port·den ≤ num.
  if port * bw.denominator <= bw.numerator { return ceilDiv(bytes, port) }
  return ceilDiv(bytes * bw.denominator, bw.numerator)
}

/// `⌈B / min(port(ub), port(m))⌉`: the streaming cycles of an arena transfer, bounded by the
/// unified buffer's port on the arena side and by the on-chip memory's port on the other.
func arenaStreamCycles(bytes: Int64, memory: OnChipMemory, _ p: TimingParameters) -> Int64 {
  ceilDiv(bytes, min(p.ubPortBytesPerCycle, p.portBytesPerCycle(of: memory)))
}

/// Cycles per streamed row of a weight-stationary matmul: `array.row_interval_cycles` (1 for a
/// pipelined array), unless the unified buffer cannot deliver K operands or the accumulator cannot
/// absorb N partial sums per cycle.
func streamRowCycles(_ w: InstructionWork, _ p: TimingParameters) -> Int64 {
  max(p.rowIntervalCycles, ceilDiv(w.reduction * p.elementBytes, p.ubPortBytesPerCycle), ceilDiv(w.columns * 4, p.accPortBytesPerCycle))
}

/// `vsoftmax` and `vmean`: bound by the vector lanes or by reading the operands from the UB
/// (`InstructionWork.vectorOps` counts each rule's passes; `ubRead` every byte they read).
private func readPassCycles(_ w: InstructionWork, _ p: TimingParameters) -> (busy: Int64, done: Int64) {
  let cycles = max(ceilDiv(w.vectorOps, p.vectorOpsPerCycle), ceilDiv(w.ubRead, p.ubPortBytesPerCycle), 1)
  return (cycles, cycles)
}
