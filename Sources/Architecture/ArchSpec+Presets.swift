import Support

/// DRAM technologies, with the energy per bit Accelergy's CACTI plug-in (`cacti_wrapper.py`)
/// uses for each.
public enum DRAMTechnology: String, Sendable, Hashable, CaseIterable {
  /// DDR3: 70 pJ/bit.
  case ddr3
  /// LPDDR4: 8 pJ/bit.
  case lpddr4
  /// GDDR5: 14 pJ/bit.
  case gddr5
  /// HBM2: 3.9 pJ/bit.
  case hbm2

  /// Energy per bit transferred.
  public var energyPerBit: Picojoules {
    switch self {
    case .ddr3: 70
    case .lpddr4: 8
    case .gddr5: 14
    case .hbm2: 3.9
    }
  }
}

/// A named architecture: its CLI name, a one-line title, the main source, and the spec.
public struct ArchPreset: Sendable {
  /// The kebab-case CLI name: `tpu-v1`.
  public let name: String
  /// One line for `systole arch list`.
  public let title: String
  /// The main published source; per-parameter citations and assumptions are in `spec.origins`.
  public let citation: String
  /// The architecture.
  public let spec: ArchSpec
}

extension ArchSpec {
  /// Google TPU v1 (Jouppi et al., ISCA 2017). Equal to `ArchSpec.defaults` apart from the name.
  public static var tpuV1: ArchSpec { presetSpec("tpu-v1") }
  /// Coral Edge TPU: 4 TOPS int8; array shape and memory split are stated assumptions.
  public static var edgeTPU: ArchSpec { presetSpec("edge-tpu") }
  /// UC Berkeley Gemmini, `Configs.scala` default configuration.
  public static var gemmini: ArchSpec { presetSpec("gemmini") }
  /// Apache TVM-VTA, `config/vta_config.json` default on the Pynq target.
  public static var vta: ArchSpec { presetSpec("vta") }
  /// A 4×4 array with tiny memories, for tests that must exercise tiling.
  public static var toy4x4: ArchSpec { presetSpec("toy-4x4") }

  /// Every preset, in table order.
  public static let presets: [ArchPreset] = presetTable.map { $0.preset() }

  /// The CLI names of the presets, in table order.
  public static var presetNames: [String] { presets.map(\.name) }

  /// The preset called `name` (`tpu-v1`, `edge-tpu`, `gemmini`, `vta`, `toy-4x4`).
  ///
  /// Throws `ArchError` of kind `.unknownPreset` listing the known names.
  public static func preset(named name: String) throws(ArchError) -> ArchSpec {
    if let preset = presets.first(where: { $0.name == name }) { return preset.spec }
    throw ArchError(
      .unknownPreset, "",
      "unknown architecture preset '\(name)'; known presets: \(presetNames.joined(separator: ", "))")
  }

  private static func presetSpec(_ name: String) -> ArchSpec {
    guard let preset = presets.first(where: { $0.name == name }) else {
      preconditionFailure("preset table has no row '\(name)'")
    }
    return preset.spec
  }
}

// MARK: - The preset table

/// One row of the preset table; see the column key above `presetTable`.
struct PresetRow: Sendable {
  typealias Memory = (kib: Double, banks: Int, portBytesPerCycle: Int)

  let name: String
  let rows: Int, cols: Int
  let dataflow: Dataflow
  let megahertz: Double
  let ub: Memory, weights: Memory, acc: Memory
  let loadRowsPerCycle: Int
  let doubleBuffered: Bool
  let dramGBps: Double, dramLatencyNanoseconds: Double, dramTechnology: DRAMTechnology
  let vectorLanes: Int, vectorOpsPerLane: Int
  let hostGBps: Double, hostLatencyMicroseconds: Double, hostGigaOps: Double
  let leakageMilliwatts: Double
  let activations: ActivationMemory
  let title: String
  let citation: String
  /// Per-key origins; a key the row sets without a note is `.cited(citation)`. `nil` means
  /// "the parameter table's sources" (only for the row equal to the defaults).
  let notes: [String: ParameterOrigin]?
  /// `memory.parameters_resident`.
  let parametersResident: Bool
  /// `array.row_interval_cycles` (1 unless the preset's notes cite another value).
  let rowIntervalCycles: Int
  /// `memory.io_over_host_link`: TPU v1's and the Edge TPU's inputs and outputs cross their host
  /// link (PCIe, USB); the SoC presets keep them in the DRAM they share with the host.
  let ioOverHostLink: Bool
  /// `host.dma_latency_ns`.
  let hostDMALatencyNanoseconds: Double
  /// `memory.dram_is_host_link`: the Edge TPU's "DRAM" is its USB host link.
  let dramIsHostLink: Bool

  init(
    _ name: String, _ rows: Int, _ cols: Int, _ dataflow: Dataflow, _ megahertz: Double,
    _ ub: Memory, _ weights: Memory, _ acc: Memory, _ loadRowsPerCycle: Int, _ doubleBuffered: Bool,
    _ dram: (Double, Double, DRAMTechnology), _ vector: (Int, Int), _ host: (Double, Double, Double),
    _ leakageMilliwatts: Double, _ activations: ActivationMemory, parametersResident: Bool = false,
    rowIntervalCycles: Int = 1, ioOverHostLink: Bool = false, hostDMALatencyNanoseconds: Double = 1000,
    dramIsHostLink: Bool = false, title: String, citation: String, notes: [String: ParameterOrigin]?
  ) {
    self.ioOverHostLink = ioOverHostLink
    self.dramIsHostLink = dramIsHostLink
    self.hostDMALatencyNanoseconds = hostDMALatencyNanoseconds
    self.activations = activations
    self.parametersResident = parametersResident
    self.rowIntervalCycles = rowIntervalCycles
    self.name = name
    self.rows = rows
    self.cols = cols
    self.dataflow = dataflow
    self.megahertz = megahertz
    self.ub = ub
    self.weights = weights
    self.acc = acc
    self.loadRowsPerCycle = loadRowsPerCycle
    self.doubleBuffered = doubleBuffered
    (dramGBps, dramLatencyNanoseconds, dramTechnology) = dram
    (vectorLanes, vectorOpsPerLane) = vector
    (hostGBps, hostLatencyMicroseconds, hostGigaOps) = host
    self.leakageMilliwatts = leakageMilliwatts
    self.title = title
    self.citation = citation
    self.notes = notes
  }

  /// The parameter keys a preset row sets; every other key keeps its default.
  static let keys: [String] = [
    "name", "array.rows", "array.cols", "array.weight_load_rows_per_cycle",
    "array.weight_double_buffered", "dataflow", "clock.mhz",
    "ub.kib", "ub.banks", "ub.port_bytes_per_cycle",
    "weights.kib", "weights.banks", "weights.port_bytes_per_cycle",
    "acc.kib", "acc.banks", "acc.port_bytes_per_cycle",
    "dram.gbps", "dram.latency_ns", "dram.pj_per_bit",
    "vector.lanes", "vector.ops_per_cycle_per_lane",
    "host.link_gbps", "host.latency_us", "host.gops", "energy.leakage_mw", "memory.activations",
    "memory.parameters_resident", "array.row_interval_cycles", "memory.io_over_host_link", "host.dma_latency_ns",
    "memory.dram_is_host_link",
  ]

  func preset() -> ArchPreset {
    var spec = ArchSpec.defaults
    spec.name = name
    spec.array = ArrayGeometry(
      rows: rows, cols: cols, weightLoadRowsPerCycle: loadRowsPerCycle,
      weightDoubleBuffered: doubleBuffered)
    spec.dataflow = dataflow
    spec.clock = Megahertz(megahertz)
    func memory(_ m: Memory) -> MemorySpec {
      MemorySpec(capacity: ByteCount(Int64(m.kib * 1024)), banks: m.banks, portBytesPerCycle: m.portBytesPerCycle)
    }
    spec.ub = memory(ub)
    spec.weights = memory(weights)
    spec.acc = memory(acc)
    spec.dram = DRAMSpec(
      bandwidth: GigabytesPerSecond(dramGBps), latencyNanoseconds: dramLatencyNanoseconds,
      energyPerBit: dramTechnology.energyPerBit)
    spec.vector = VectorUnitSpec(lanes: vectorLanes, opsPerCyclePerLane: vectorOpsPerLane)
    spec.host = HostSpec(
      linkBandwidth: GigabytesPerSecond(hostGBps), latencyMicroseconds: hostLatencyMicroseconds,
      gigaOpsPerSecond: hostGigaOps)
    spec.energy.leakageMilliwatts = leakageMilliwatts
    spec.memory.activations = activations
    spec.memory.parametersResident = parametersResident
    spec.array.rowIntervalCycles = rowIntervalCycles
    spec.memory.ioOverHostLink = ioOverHostLink
    spec.memory.dramIsHostLink = dramIsHostLink
    spec.host.dmaLatencyNanoseconds = hostDMALatencyNanoseconds
    if let notes {
      for key in PresetRow.keys { spec.origins[key] = notes[key] ?? .cited(citation) }
    }
    spec.origins["name"] = .cited("preset")
    return ArchPreset(name: name, title: title, citation: citation, spec: spec)
  }
}

extension ArchSpec {
  // Columns, left to right (one row per preset; a row may continue on the next line):
  //   name      CLI name (kebab-case), also the spec's `name`
  //   R, C      array rows × cols (PEs)
  //   df        default dataflow: .weightStationary / .outputStationary / .inputStationary
  //   MHz       clock
  //   ub        unified buffer (KiB, banks, port bytes/cycle)
  //   weights   weight buffer / FIFO (KiB, banks, port bytes/cycle)
  //   acc       accumulator (KiB, banks, port bytes/cycle); entries = KiB × 1024 / (C × 4)
  //   ld        weight-tile rows loaded into the array per cycle
  //   dbl       weights double-buffered in the array
  //   dram      (GB/s, latency ns, technology → pJ/bit)
  //   vec       vector unit (lanes, ops per cycle per lane)
  //   host      (link GB/s, round-trip µs, fallback Gop/s)
  //   leak      static power, mW
  //   act       where activations live between layers: .onChip (arena in the UB) or .dram
  // The energy table (MAC, add, SRAM, vector op energies) is the parameter table's 45 nm
  // default for every preset; only DRAM energy (by technology) and leakage differ.
  static let presetTable: [PresetRow] = [
    //       name         R    C    df                 MHz   ub                  weights           acc                ld  dbl    dram                   vec       host                 leak  act
    PresetRow("tpu-v1",   256, 256, .weightStationary, 700,  (24_576, 24, 256),  (256, 4, 256),    (4096, 2, 1024),   1,  true,  (34, 100, .ddr3),      (256, 1), (15.75, 10, 10),     4000, .onChip, ioOverHostLink: true,
      title: "Google TPU v1: 256×256 int8, 700 MHz, 24 MiB UB, 34 GB/s DDR3",
      citation: Citation.jouppi, notes: nil),
    PresetRow("edge-tpu", 64,  64,  .weightStationary, 480,  (3072, 16, 64),     (7680, 8, 64),    (256, 2, 256),     1,  true,  (0.33, 2000, .lpddr4), (64, 1),  (0.33, 50, 2),       200,  .onChip, parametersResident: true,
      ioOverHostLink: true, hostDMALatencyNanoseconds: 2000, dramIsHostLink: true,
      title: "Coral Edge TPU (USB): 4 TOPS int8; 64×64 @ 480 MHz, 3 MiB activations + 7.5 MiB parameters are assumptions",
      citation: "Coral Edge TPU datasheet and compiler docs", notes: edgeTPUNotes),
    PresetRow("gemmini",  16,  16,  .weightStationary, 1000, (64, 2, 16),        (64, 2, 16),      (128, 2, 64),      1,  true,  (16, 100, .ddr3),      (16, 1),  (16, 0.1, 1),        20,   .dram,
      title: "UC Berkeley Gemmini default: 16×16 int8, 128 KiB scratchpad, 128 KiB accumulator",
      citation: "ucb-bar/gemmini Configs.scala defaultConfig", notes: gemminiNotes),
    PresetRow("vta",      16,  16,  .outputStationary, 100,  (32, 1, 16),        (256, 2, 256),    (128, 1, 64),      16, false, (0.8, 200, .ddr3),     (16, 1),  (0.8, 10, 0.65),     100,  .dram,
      rowIntervalCycles: 4,
      title: "Apache TVM-VTA default (Pynq): 16×16 GEMM core, 32/256/128 KiB buffers, 100 MHz",
      citation: "apache/tvm-vta config/vta_config.json, pkg_config.py", notes: vtaNotes),
    PresetRow("toy-4x4",  4,   4,   .weightStationary, 100,  (1, 1, 4),          (0.25, 1, 4),     (0.25, 1, 16),     1,  true,  (0.4, 100, .lpddr4),   (4, 1),   (0.4, 1, 0.1),       0,    .onChip,
      title: "Test fixture: 4×4 array, 1 KiB UB, 256 B weights, 16-entry accumulator",
      citation: "test fixture (no hardware)", notes: [
        "memory.activations": .assumed(
          "on-chip so that the tests exercise the arena planner and its spills (the 1 KiB UB holds few activations)"),
        "memory.io_over_host_link": .assumed("inputs and outputs in DRAM, like the small-SoC presets"),
        "host.dma_latency_ns": .assumed("unused: inputs and outputs are in DRAM (memory.io_over_host_link = false)"),
        "memory.dram_is_host_link": .assumed("unused: no host-link transfers (memory.io_over_host_link = false)"),
      ]),
  ]

  private static let edgeTPUNotes: [String: ParameterOrigin] = [
    "array.row_interval_cycles": .assumed("a pipelined array takes one input row per cycle, like TPU v1's"),
    "memory.parameters_resident": .cited(
      "Coral Edge TPU compiler docs (\"parameter data caching\"): parameters that fit the ~8 MB SRAM are cached on chip and stay across inferences; Coral's benchmarks time steady-state inferences"),
    "array.rows": .assumed("shape unpublished; 2 ops × 64 × 64 × 480 MHz = 3.93 TOPS ≈ the published 4 TOPS"),
    "array.cols": .assumed("shape unpublished; 64×64, see array.rows"),
    "clock.mhz": .assumed("clock unpublished; 480 MHz makes 64×64 reach 4 TOPS"),
    "dataflow": .assumed("unpublished; weight stationary like TPU v1"),
    "array.weight_load_rows_per_cycle": .assumed("1 row per cycle like TPU v1"),
    "array.weight_double_buffered": .assumed("like TPU v1"),
    "ub.kib": .assumed(
      "public reverse engineering of the USB Accelerator (secondary source): 4×4 tiles with 192 KiB of activation memory each = 3 MiB"),
    "ub.banks": .assumed("one bank per tile (16 tiles, same source)"),
    "ub.port_bytes_per_cycle": .assumed("one 64-byte int8 row per cycle, the array's input width"),
    "weights.kib": .assumed(
      "Coral: ~8 MB SRAM caches parameters, the compiler reports 7.6-7.9 MiB available (the reverse engineering's 16 × 512 KiB = 8 MiB weight memory); 7.5 MiB used"),
    "weights.banks": .assumed("unpublished; 8 banks of 960 KiB"),
    "weights.port_bytes_per_cycle": .assumed("one 64-byte weight row per cycle"),
    "acc.kib": .assumed("unpublished; 1024 entries × 64 × int32"),
    "acc.banks": .assumed("double-buffered like TPU v1"),
    "acc.port_bytes_per_cycle": .assumed("one 64 × int32 row per cycle"),
    "dram.gbps": .assumed(
      "no local DRAM: 'DRAM' is the USB 3 host link carrying inputs, outputs and uncached parameters; 300–360 MB/s host→device measured in the public reverse engineering (secondary), midpoint 330 MB/s; its ~55 MB/s device→host rate is not modelled apart (outputs are ~1 KB)"),
    "dram.latency_ns": .assumed("one host-link round trip"),
    "dram.pj_per_bit": .assumed("host LPDDR4 (8 pJ/bit, Accelergy); link energy not modelled"),
    "vector.lanes": .assumed("one lane per array column"),
    "vector.ops_per_cycle_per_lane": .assumed("one op per lane per cycle"),
    "host.link_gbps": .assumed("the same USB 3 link as dram.gbps (330 MB/s host→device); the M.2 / Mini PCIe modules' PCIe Gen2 ×1 would be 500 MB/s"),
    "host.latency_us": .assumed("PCIe round trip plus runtime overhead"),
    "host.gops": .assumed("Cortex-A53-class host running scalar reference kernels"),
    "energy.leakage_mw": .assumed("10 % of 2 W (4 TOPS at the published 2 TOPS/W)"),
    "memory.activations": .cited(
      "Coral: the Edge TPU has no local DRAM; only inputs, outputs and uncached parameters cross the host link (coral.ai compiler docs)"),
    "memory.io_over_host_link": .cited(
      "Coral: the Edge TPU has no local DRAM; the input and output tensors cross the USB host link every inference (coral.ai compiler docs)"),
    "host.dma_latency_ns": .assumed("as dram.latency_ns: one USB round trip (the streamed parameters' 'DRAM' is the same link)"),
    "memory.dram_is_host_link": .cited(
      "Coral: the Edge TPU has no local DRAM; parameters that do not fit its on-chip memory stream from the host over the same USB link as the inputs and outputs (coral.ai compiler docs, 'parameter data caching')"),
  ]

  private static let gemminiNotes: [String: ParameterOrigin] = [
    "array.row_interval_cycles": .assumed("the systolic mesh is pipelined: one input row per cycle"),
    "memory.parameters_resident": .cited("gemmini-rocc-tests: every layer call (tiled_conv_auto, tiled_matmul_auto) moves its weights from DRAM into the scratchpad"),
    "array.rows": .cited("Configs.scala: meshRows = 16, tileRows = 1"),
    "array.cols": .cited("Configs.scala: meshColumns = 16, tileColumns = 1"),
    "dataflow": .cited("Configs.scala: dataflow = Dataflow.WS"),
    "clock.mhz": .assumed("1 GHz, the clock Gemmini evaluations usually quote; Configs.scala sets none"),
    "array.weight_load_rows_per_cycle": .assumed("preload shifts one row per cycle (16 cycles a tile)"),
    "array.weight_double_buffered": .cited("PE.scala: two weight registers c1/c2 alternate on `propagate`"),
    "ub.kib": .assumed("Configs.scala sp_capacity = 128 KiB holds inputs and weights; split evenly"),
    "ub.banks": .assumed("Configs.scala sp_banks = 4; 2 banks each for inputs and weights"),
    "ub.port_bytes_per_cycle": .assumed("one 16-byte scratchpad row per cycle"),
    "weights.kib": .assumed("the other half of the 128 KiB scratchpad"),
    "weights.banks": .assumed("Configs.scala sp_banks = 4; 2 banks each for inputs and weights"),
    "weights.port_bytes_per_cycle": .assumed("one 16-byte scratchpad row per cycle"),
    "acc.kib": .cited("Configs.scala: acc_capacity = 128 KiB (older releases: 64 KiB, scratchpad 256 KiB)"),
    "acc.banks": .cited("Configs.scala: acc_banks = 2"),
    "acc.port_bytes_per_cycle": .assumed("one 16 × int32 row per cycle"),
    "dram.gbps": .assumed("Configs.scala dma_buswidth = 128 bits: 16 B/cycle at the assumed 1 GHz"),
    "dram.latency_ns": .assumed("typical DDR3 access latency"),
    "dram.pj_per_bit": .assumed("DDR3 (FireSim's memory model), 70 pJ/bit (Accelergy)"),
    "vector.lanes": .assumed("accumulator read path scales/activates one 16-wide row per cycle"),
    "vector.ops_per_cycle_per_lane": .assumed("one op per lane per cycle"),
    "host.link_gbps": .assumed("a RoCC accelerator shares the 128-bit system bus with the host"),
    "host.latency_us": .assumed("a RoCC command plus fence, ~100 cycles"),
    "host.gops": .assumed("in-order Rocket core at 1 GHz, ~1 op per cycle"),
    "energy.leakage_mw": .assumed("unpublished; order of magnitude for a 16×16 array with 256 KiB SRAM"),
    "memory.activations": .cited(
      "ucb-bar/gemmini-rocc-tests imagenet/resnet50.c: each layer is a tiled_conv/tiled_matmul_nn_auto call on main-memory arrays (conv_N_out), residual adds via tiled_resadd_auto; gemmini.h takes DRAM pointers per call"),
    "memory.io_over_host_link": .cited(
      "Gemmini is a RoCC accelerator sharing the Rocket/BOOM SoC's memory: the network's input and output are main-memory arrays like every layer's"),
    "host.dma_latency_ns": .assumed("unused: inputs and outputs are in DRAM (memory.io_over_host_link = false)"),
    "memory.dram_is_host_link": .assumed("unused: no host-link transfers (memory.io_over_host_link = false)"),
  ]

  private static let vtaNotes: [String: ParameterOrigin] = [
    "memory.parameters_resident": .cited("the TVM-VTA runtime loads each layer's weights from DRAM into the weight buffer with LOAD instructions every inference"),
    "array.rows": .cited("vta_config.json: LOG_BLOCK = 4 (16×16 GEMM), LOG_BATCH = 0"),
    "array.row_interval_cycles": .cited(
      "hardware/chisel TensorGemm.scala, the core apache/tvm PR #4694 measured: its state machine visits sReadUop, sComputeIdx, sReadTensor and sExe for every micro-op (one 1×16 input vector times a 16×16 weight block), 4 cycles each; apache/tvm-vta PR #30 later pipelined it (resnet18_v1 in tsim 27,679,515 → 7,729,601 cycles, 3.58×)"),
    "array.cols": .cited("vta_config.json: LOG_BLOCK = 4 (16×16 GEMM)"),
    "dataflow": .assumed("the GEMM core reads weights and inputs from SRAM every cycle and accumulates in its register file; output stationary is the closest"),
    "clock.mhz": .cited("pkg_config.py: fpga_freq = 100 (pynq)"),
    "array.weight_load_rows_per_cycle": .assumed("a whole 16×16 weight block per cycle from the 256-byte-wide weight SRAM"),
    "array.weight_double_buffered": .assumed("weights are not held in the core"),
    "ub.kib": .cited("vta_config.json: LOG_INP_BUFF_SIZE = 15 (32 KiB)"),
    "ub.banks": .cited("pkg_config.py: inp_mem_banks = 1"),
    "ub.port_bytes_per_cycle": .cited("pkg_config.py: input row = BATCH × BLOCK × 8 bits = 16 B"),
    "weights.kib": .cited("vta_config.json: LOG_WGT_BUFF_SIZE = 18 (256 KiB)"),
    "weights.banks": .cited("pkg_config.py: wgt_mem_banks = 2048 bits / 1024"),
    "weights.port_bytes_per_cycle": .cited("pkg_config.py: weight block = 16 × 16 × 8 bits = 256 B"),
    "acc.kib": .cited("vta_config.json: LOG_ACC_BUFF_SIZE = 17 (128 KiB)"),
    "acc.banks": .assumed("unpublished; one register file"),
    "acc.port_bytes_per_cycle": .cited("16 × int32 per cycle (LOG_ACC_WIDTH = 5)"),
    "dram.gbps": .cited("pkg_config.py: 64-bit AXI (log width 6) × 100 MHz = 0.8 GB/s"),
    "dram.latency_ns": .assumed("Zynq DDR3 through the HP port"),
    "dram.pj_per_bit": .assumed("Pynq-Z1 DDR3, 70 pJ/bit (Accelergy)"),
    "vector.lanes": .assumed("tensor ALU works on one 16-wide vector per cycle"),
    "vector.ops_per_cycle_per_lane": .assumed("one op per lane per cycle"),
    "host.link_gbps": .assumed("the ARM host shares DRAM; same AXI rate"),
    "host.latency_us": .assumed("driver call plus cache flush"),
    "host.gops": .assumed("Cortex-A9 at 650 MHz, ~1 op per cycle"),
    "energy.leakage_mw": .assumed("FPGA static power, order of magnitude"),
    "memory.activations": .cited(
      "apache/tvm-vta runtime: VTALoadBuffer2D/VTAStoreBuffer2D move data only between DRAM and the on-chip buffers, and each TVM operator reads and writes DRAM tensors"),
    "memory.io_over_host_link": .cited(
      "VTA on the PYNQ/Ultra-96 SoC shares the ARM core's DRAM: inputs and outputs are DRAM buffers the runtime allocates"),
    "host.dma_latency_ns": .assumed("unused: inputs and outputs are in DRAM (memory.io_over_host_link = false)"),
    "memory.dram_is_host_link": .assumed("unused: no host-link transfers (memory.io_over_host_link = false)"),
  ]
}
