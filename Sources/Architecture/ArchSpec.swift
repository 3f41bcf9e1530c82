import Support

/// The description of one accelerator: systolic array, on-chip memories, DRAM, vector unit,
/// host link and energy table.
///
/// The compiler and the simulator both read an `ArchSpec`; neither sees the other, so every
/// number they must agree on lives here, together with the formulas derived from it
/// (`ArchSpec+Derived.swift`).
///
/// Every stored number is a parameter of `ArchSpec.parameters`, the one table that gives its
/// dotted key (`array.rows`), one-line doc, unit, default and source. That table drives
/// `--set key=value`, the JSON format (`ArchSpec+JSON.swift`), validation, `render()` and
/// `docs/architecture.md`. The defaults are TPU v1's values (`ArchSpec.defaults == .tpuV1`
/// apart from the name); presets live in `ArchSpec+Presets.swift`.
///
/// Equality and hashing compare the parameters only, never `origins` (where each value came
/// from), so a preset and a JSON file that spell out the same numbers are equal.
public struct ArchSpec: Sendable, Hashable {
  /// A short name for reports: the preset's CLI name or the JSON file's `name`.
  public var name: String
  /// The systolic array: shape, weight loading.
  public var array: ArrayGeometry
  /// The dataflow the compiler uses unless told otherwise.
  public var dataflow: Dataflow
  /// The accelerator clock.
  public var clock: Megahertz
  /// The element type of the array datapath (`int8`, or `float32` for the baseline).
  public var datapath: Datapath
  /// Unified buffer / scratchpad holding activations (array inputs and layer outputs).
  public var ub: MemorySpec
  /// Weight buffer or FIFO feeding weight tiles into the array.
  public var weights: MemorySpec
  /// Accumulator memory: rows of `array.cols` 32-bit partial sums.
  public var acc: MemorySpec
  /// Off-chip memory.
  public var dram: DRAMSpec
  /// The vector/activation unit (requantization, activations, pooling, elementwise ops).
  public var vector: VectorUnitSpec
  /// The host: its link to the accelerator and its speed running ops the accelerator cannot.
  public var host: HostSpec
  /// Energy per operation and static power.
  public var energy: EnergyTable
  /// Where activations live between layers (on chip in an arena carved from the unified
  /// buffer, or in DRAM) and the arena's access latency.
  public var memory: MemoryPolicy
  /// Where each parameter's value came from (citation, assumption, file, `--set`).
  ///
  /// Ignored by `==` and `hash(into:)`; never written to JSON.
  public var origins: ParameterOrigins

  /// Creates a spec from its parts; `origins` starts empty (every key reports its table source).
  public init(
    name: String, array: ArrayGeometry, dataflow: Dataflow, clock: Megahertz, datapath: Datapath,
    ub: MemorySpec, weights: MemorySpec, acc: MemorySpec, dram: DRAMSpec, vector: VectorUnitSpec,
    host: HostSpec, energy: EnergyTable, memory: MemoryPolicy = MemoryPolicy(),
    origins: ParameterOrigins = ParameterOrigins()
  ) {
    self.memory = memory
    self.name = name
    self.array = array
    self.dataflow = dataflow
    self.clock = clock
    self.datapath = datapath
    self.ub = ub
    self.weights = weights
    self.acc = acc
    self.dram = dram
    self.vector = vector
    self.host = host
    self.energy = energy
    self.origins = origins
  }
}

// MARK: - Parts

/// How operands move through the array; CLI names `ws`, `os`, `is`.
///
/// The fold and tiling logic is shared across dataflows; only the mapping differs (which
/// operand stays in the PEs). See `docs/architecture.md`.
public enum Dataflow: String, Sendable, Hashable, CaseIterable, Codable {
  /// Weights stay in the PEs; inputs stream in, partial sums flow down to the accumulators.
  case weightStationary = "ws"
  /// Each PE accumulates one output; inputs and weights both stream.
  case outputStationary = "os"
  /// Inputs stay in the PEs; weights stream in.
  case inputStationary = "is"

  /// The CLI and JSON name: `ws`, `os`, `is`.
  public var cliName: String { rawValue }

  /// `weight stationary`, for prose.
  public var longName: String {
    switch self {
    case .weightStationary: "weight stationary"
    case .outputStationary: "output stationary"
    case .inputStationary: "input stationary"
    }
  }
}

/// The element type of the array datapath.
///
/// `int8` is the accelerator proper (int8 × int8 → int32). `float32` is the comparison baseline:
/// 4-byte elements, so every memory holds a quarter of the elements, fp32 MAC and add energy.
public enum Datapath: String, Sendable, Hashable, CaseIterable, Codable {
  /// int8 operands, int32 accumulation.
  case int8
  /// fp32 operands and accumulation (the baseline).
  case float32

  /// Bytes per operand element in the unified buffer and weight buffer: 1 or 4.
  public var elementBytes: Int {
    switch self {
    case .int8: 1
    case .float32: 4
    }
  }

  /// Bytes per accumulator element: 4 for both (int32 or fp32).
  public var accumulatorElementBytes: Int { 4 }
}

/// The systolic array's shape and how weights get into it.
public struct ArrayGeometry: Sendable, Hashable {
  /// Processing elements per column (the reduction depth in weight-stationary mode).
  public var rows: Int
  /// Processing elements per row (output channels per pass in weight-stationary mode).
  public var cols: Int
  /// Rows of a weight tile shifted into the array per cycle (TPU v1: 1, so 256 cycles a tile).
  public var weightLoadRowsPerCycle: Int
  /// Whether the array holds a second weight tile that loads while the first computes.
  public var weightDoubleBuffered: Bool
  /// Cycles a packed (4- or 2-bit) weight tile's load takes beyond an int8 tile's: the
  /// unpacker's pipeline stage between the weight buffer and the array.
  public var weightUnpackLatencyCycles: Int
  /// Cycles between consecutive operand rows (micro-ops) the array accepts: 1 for a pipelined
  /// array; more for a core that sequences each micro-op through several states.
  public var rowIntervalCycles: Int

  /// Creates an array description.
  public init(
    rows: Int, cols: Int, weightLoadRowsPerCycle: Int, weightDoubleBuffered: Bool, weightUnpackLatencyCycles: Int = 1,
    rowIntervalCycles: Int = 1
  ) {
    self.rows = rows
    self.cols = cols
    self.weightLoadRowsPerCycle = weightLoadRowsPerCycle
    self.weightDoubleBuffered = weightDoubleBuffered
    self.weightUnpackLatencyCycles = weightUnpackLatencyCycles
    self.rowIntervalCycles = rowIntervalCycles
  }
}

/// One on-chip SRAM: capacity, banking and port width.
public struct MemorySpec: Sendable, Hashable {
  /// Total capacity. Set in KiB through the parameter table (`ub.kib`), kept in bytes.
  public var capacity: ByteCount
  /// Independent banks; each bank holds `capacity / banks` bytes. Energy per access is that of
  /// one bank (`ArchSpec.sramEnergyPerByte(bankBytes:)`).
  public var banks: Int
  /// Bytes the memory can read or write per cycle, all banks together.
  public var portBytesPerCycle: Int

  /// Creates a memory description.
  public init(capacity: ByteCount, banks: Int, portBytesPerCycle: Int) {
    self.capacity = capacity
    self.banks = banks
    self.portBytesPerCycle = portBytesPerCycle
  }

  /// Bytes per bank: `capacity / banks` (integer division; validation requires it be exact).
  public var bankBytes: Int64 { banks > 0 ? capacity.count / Int64(banks) : capacity.count }
}

/// Off-chip memory: bandwidth, latency, energy.
public struct DRAMSpec: Sendable, Hashable {
  /// Sustained bandwidth, decimal GB/s.
  public var bandwidth: GigabytesPerSecond
  /// Time from a request to its first byte, in nanoseconds (converted to cycles with the
  /// clock: `ArchSpec.dramLatencyCycles`).
  public var latencyNanoseconds: Double
  /// Energy per bit transferred.
  public var energyPerBit: Picojoules

  /// Creates a DRAM description.
  public init(bandwidth: GigabytesPerSecond, latencyNanoseconds: Double, energyPerBit: Picojoules) {
    self.bandwidth = bandwidth
    self.latencyNanoseconds = latencyNanoseconds
    self.energyPerBit = energyPerBit
  }
}

/// Where a layer's output waits for the layers that read it.
///
/// The software stack of each accelerator decides this, not its hardware alone: TPU v1 keeps
/// activations in its 24 MiB Unified Buffer and uses DDR3 for weights only (Jouppi et al.,
/// ISCA 2017 §2); Gemmini's and VTA's runtimes pass every layer DRAM pointers
/// (`docs/architecture.md` cites both).
public enum ActivationMemory: String, Sendable, Hashable, CaseIterable, Codable {
  /// Activations stay in an arena carved from the unified buffer, placed by liveness over the
  /// whole program; only model inputs and outputs, host-task operands and what does not fit
  /// (spills) go through DRAM.
  case onChip = "on-chip"
  /// Every layer's output is stored to DRAM and loaded back by its readers.
  case dram

  /// The CLI and JSON name: `on-chip`, `dram`.
  public var cliName: String { rawValue }
}

/// The activation-memory policy and the arena's timing.
public struct MemoryPolicy: Sendable, Hashable {
  /// Where activations live between layers.
  public var activations: ActivationMemory
  /// Cycles from an arena transfer's start to its first byte (the unified buffer's read and
  /// write pipeline; no DRAM request is made).
  public var arenaLatencyCycles: Int
  /// Whether parameters cached in the weight buffer stay there across inferences (the Edge
  /// TPU's parameter caching): their loads happen once, when the model is loaded, and a
  /// steady-state inference does not pay for them. `false`: every inference reloads them.
  public var parametersResident: Bool
  /// Whether the array reads a layer's input where the arena holds it (no copy into the
  /// working region) when the tile layout allows; `false` copies every on-chip input first.
  public var arenaInPlace: Bool
  /// Whether the network's inputs and outputs cross the host link (`host.link_gbps`,
  /// `host.latency_us`) between the host's memory and the unified buffer, as TPU v1's
  /// `Read_Host_Memory`/`Write_Host_Memory` move them over PCIe; `false`: they are in the
  /// accelerator's DRAM (an SoC's shared memory, or a link the preset models as its DRAM).
  public var ioOverHostLink: Bool
  /// Whether the DRAM figures (`dram.gbps`, `dram.latency_ns`) describe the host link itself
  /// (the Edge TPU: no local DRAM; streamed parameters cross the same USB link as the inputs
  /// and outputs): host-link transfers (`load`/`store … host_link`) then share the DRAM channel
  /// with parameter and spill traffic instead of taking a link of their own.
  public var dramIsHostLink: Bool

  /// Creates a policy; the defaults are TPU v1's (activations on chip and read in place,
  /// weights reloaded from the weight memory every inference) and a 2-cycle arena.
  public init(
    activations: ActivationMemory = .onChip, arenaLatencyCycles: Int = 2, parametersResident: Bool = false,
    arenaInPlace: Bool = true, ioOverHostLink: Bool = true, dramIsHostLink: Bool = false
  ) {
    self.activations = activations
    self.arenaLatencyCycles = arenaLatencyCycles
    self.parametersResident = parametersResident
    self.arenaInPlace = arenaInPlace
    self.ioOverHostLink = ioOverHostLink
    self.dramIsHostLink = dramIsHostLink
  }
}

/// The vector/activation unit.
public struct VectorUnitSpec: Sendable, Hashable {
  /// Parallel lanes.
  public var lanes: Int
  /// Element operations each lane completes per cycle.
  public var opsPerCyclePerLane: Int

  /// Creates a vector unit description.
  public init(lanes: Int, opsPerCyclePerLane: Int) {
    self.lanes = lanes
    self.opsPerCyclePerLane = opsPerCyclePerLane
  }
}

/// The host: the link to the accelerator, and its throughput on fallback ops.
public struct HostSpec: Sendable, Hashable {
  /// Host ↔ accelerator link bandwidth, decimal GB/s.
  public var linkBandwidth: GigabytesPerSecond
  /// Fixed cost of one host round trip (hand a tensor to the host and get the result back),
  /// in microseconds.
  public var latencyMicroseconds: Double
  /// Host throughput on fallback ops, in 10⁹ operations (MACs, or output elements) per second.
  public var gigaOpsPerSecond: Double
  /// Request to first byte of a DMA transfer the accelerator makes across the link itself
  /// (`load`/`store … host_link`), in nanoseconds: a link round trip, no driver.
  public var dmaLatencyNanoseconds: Double

  /// Creates a host description.
  public init(
    linkBandwidth: GigabytesPerSecond, latencyMicroseconds: Double, gigaOpsPerSecond: Double,
    dmaLatencyNanoseconds: Double = 1000
  ) {
    self.linkBandwidth = linkBandwidth
    self.latencyMicroseconds = latencyMicroseconds
    self.gigaOpsPerSecond = gigaOpsPerSecond
    self.dmaLatencyNanoseconds = dmaLatencyNanoseconds
  }
}

/// Energy per operation, per SRAM access and static power, at one technology node.
///
/// The default table is Horowitz, ISSCC 2014 ("Computing's energy problem"), 45 nm, 0.9 V.
/// Values are not scaled to other nodes: every preset uses the 45 nm table, so energy results
/// compare designs with each other, not with silicon measurements (see `docs/architecture.md`).
public struct EnergyTable: Sendable, Hashable {
  /// The process node the numbers belong to, in nanometres (informational).
  public var technologyNodeNanometers: Int
  /// One int8 × int8 multiply plus its add into the partial sum.
  public var int8MAC: Picojoules
  /// One fp32 multiply plus fp32 add.
  public var fp32MAC: Picojoules
  /// One 32-bit integer add into an accumulator entry.
  public var int32Add: Picojoules
  /// One fp32 add into an accumulator entry (the float32 baseline).
  public var fp32Add: Picojoules
  /// One 64-bit access to an 8 KiB SRAM.
  public var sram8KiBAccess: Picojoules
  /// One 64-bit access to a 32 KiB SRAM.
  public var sram32KiBAccess: Picojoules
  /// One 64-bit access to a 1 MiB SRAM.
  public var sram1MiBAccess: Picojoules
  /// One vector-unit lane operation.
  public var vectorOp: Picojoules
  /// Unpacking one 4- or 2-bit weight to int8 (field select and sign extension) in the weight
  /// loader.
  public var unpack: Picojoules
  /// Static (leakage) power of the whole accelerator, in milliwatts.
  public var leakageMilliwatts: Double

  /// Creates an energy table.
  public init(
    technologyNodeNanometers: Int, int8MAC: Picojoules, fp32MAC: Picojoules, int32Add: Picojoules,
    fp32Add: Picojoules, sram8KiBAccess: Picojoules, sram32KiBAccess: Picojoules,
    sram1MiBAccess: Picojoules, vectorOp: Picojoules, unpack: Picojoules = 0.03, leakageMilliwatts: Double
  ) {
    self.unpack = unpack
    self.technologyNodeNanometers = technologyNodeNanometers
    self.int8MAC = int8MAC
    self.fp32MAC = fp32MAC
    self.int32Add = int32Add
    self.fp32Add = fp32Add
    self.sram8KiBAccess = sram8KiBAccess
    self.sram32KiBAccess = sram32KiBAccess
    self.sram1MiBAccess = sram1MiBAccess
    self.vectorOp = vectorOp
    self.leakageMilliwatts = leakageMilliwatts
  }
}

// MARK: - Origins

/// Where one parameter value came from, for `render()` and error messages.
public enum ParameterOrigin: Sendable, Hashable, CustomStringConvertible {
  /// A published number: paper, datasheet or source file (short citation).
  case cited(String)
  /// A number the source does not publish; the text says what was assumed and why.
  case assumed(String)
  /// Set by a JSON architecture file (the path as the user gave it).
  case file(String)
  /// Set on the command line (`--set` text).
  case commandLine(String)
  /// Computed from another spec (`baseline`, `withDatapath(_:)`); the text says how.
  case derived(String)

  /// `Jouppi et al., ISCA 2017 §2`, `assumption: …`, `file my-arch.json`, `--set array.rows=32`,
  /// `tpu-v1 with withDatapath(.float32)`.
  public var description: String {
    switch self {
    case .cited(let text): text
    case .assumed(let text): "assumption: \(text)"
    case .file(let path): "file \(path)"
    case .commandLine(let text): "--set \(text)"
    case .derived(let text): text
    }
  }
}

/// The origin of each parameter value, by dotted key; keys not present report the parameter
/// table's source.
///
/// Always equal to any other `ParameterOrigins` and hashes to nothing, so it never makes two
/// specs with the same values differ.
public struct ParameterOrigins: Sendable, Hashable {
  /// Origins by dotted key.
  public var byKey: [String: ParameterOrigin]

  /// Creates an origin map.
  public init(_ byKey: [String: ParameterOrigin] = [:]) { self.byKey = byKey }

  /// The origin recorded for `key`, if any.
  public subscript(key: String) -> ParameterOrigin? {
    get { byKey[key] }
    set { byKey[key] = newValue }
  }

  /// Always `true`: origins never make two specs differ.
  public static func == (a: ParameterOrigins, b: ParameterOrigins) -> Bool { true }
  /// Hashes nothing, consistent with `==`.
  public func hash(into hasher: inout Hasher) {}
}

extension ArchSpec {
  /// Where the value of `key` came from: the recorded origin, else the parameter table's source.
  public func origin(of key: String) -> ParameterOrigin? {
    if let recorded = origins[key] { return recorded }
    return ArchSpec.parameter(forKey: key)?.source
  }

  /// A copy with the datapath element type replaced.
  ///
  /// Capacities stay in bytes, so a `float32` datapath holds a quarter of the elements of an
  /// `int8` one; MAC and accumulate energy switch to the fp32 entries of the energy table.
  public func withDatapath(_ datapath: Datapath) -> ArchSpec {
    var copy = self
    copy.datapath = datapath
    copy.origins["datapath"] = .derived("\(name) with withDatapath(.\(datapath.rawValue))")
    return copy
  }

  /// The fp32 comparison baseline of this design: same array, memories and DRAM, `float32`
  /// datapath, named `<name>-fp32`.
  public var baseline: ArchSpec {
    var copy = withDatapath(.float32)
    copy.name = name + "-fp32"
    return copy
  }
}
