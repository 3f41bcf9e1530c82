import Architecture
import Foundation
import Support

/// Where each operator of a model runs on an architecture, and why, with its tiling,
/// instruction count, parameter traffic and on-chip memory use (the Edge TPU compiler's
/// "operations mapped" log, with numbers).
public struct MappingReport: Sendable, Hashable {
  /// The architecture's name (`tpu-v1`).
  public var architecture: String
  /// The datapath compiled for.
  public var datapath: Datapath
  /// One entry per operator of the main graph, in graph order.
  public var operators: [OperatorMapping]
  /// Sums over the operators.
  public var totals: MappingTotals
  /// The largest use of each on-chip memory at any point of the program.
  public var sramHighWater: SRAMUsage
  /// Where activations live between layers: the arena, and what went to DRAM and why.
  public var activations: ActivationSummary

  /// Creates a report.
  public init(
    architecture: String, datapath: Datapath, operators: [OperatorMapping], totals: MappingTotals,
    sramHighWater: SRAMUsage, activations: ActivationSummary = ActivationSummary()
  ) {
    self.architecture = architecture
    self.datapath = datapath
    self.operators = operators
    self.totals = totals
    self.sramHighWater = sramHighWater
    self.activations = activations
  }
}

/// The memory an activation tensor lives in between the layers that use it.
public enum ActivationStorage: String, Sendable, Hashable, CustomStringConvertible {
  /// The activation arena in the unified buffer.
  case arena
  /// DRAM.
  case dram

  /// `arena`, `dram`.
  public var description: String { rawValue }
}

/// Where one operand or result of an operator lives.
public struct TensorLocation: Sendable, Hashable {
  /// The tensor's name (its storage root's, for an alias).
  public var name: String
  /// Bytes of its storage.
  public var bytes: Int
  /// Arena or DRAM (constants: DRAM).
  public var storage: ActivationStorage

  /// Creates a location.
  public init(name: String, bytes: Int, storage: ActivationStorage) {
    self.name = name
    self.bytes = bytes
    self.storage = storage
  }
}

/// An activation kept in DRAM, and why.
public struct DRAMActivation: Sendable, Hashable {
  /// Why it is in DRAM.
  public enum Cause: String, Sendable, Hashable {
    /// A model input: the host writes it.
    case input
    /// A model output: the host reads it.
    case output
    /// A host task reads or writes it (the host works on DRAM).
    case host
    /// `memory.activations = dram`.
    case policy
    /// It did not fit the arena (`reason` says what the planner compared).
    case spill
    /// Anything else (a tensor no layer writes).
    case other
  }

  /// The tensor's name.
  public var name: String
  /// Bytes of its storage.
  public var bytes: Int
  /// Its producer and last reader (layer indices).
  public var firstLayer: Int
  public var lastLayer: Int
  /// The cause.
  public var cause: Cause
  /// One line with the numbers.
  public var reason: String

  /// Creates a record.
  public init(name: String, bytes: Int, firstLayer: Int, lastLayer: Int, cause: Cause, reason: String) {
    self.name = name
    self.bytes = bytes
    self.firstLayer = firstLayer
    self.lastLayer = lastLayer
    self.cause = cause
    self.reason = reason
  }
}

/// Where a program's activations live: the arena's size and contents, and every activation in
/// DRAM with its cause.
public struct ActivationSummary: Sendable, Hashable {
  /// The architecture's `memory.activations`.
  public var policy: ActivationMemory
  /// Unified-buffer bytes each layer's working buffers may use (the tiling budget).
  public var workingBudgetBytes: Int
  /// The arena's capacity: the unified buffer less the largest working need.
  public var arenaCapacityBytes: Int
  /// The arena the program declares (its high-water mark).
  public var arenaBytes: Int
  /// Activations kept in the arena, and their bytes (a byte counted once per tensor, though
  /// tensors with disjoint lifetimes share arena bytes).
  public var onChipTensors: Int
  public var onChipBytes: Int
  /// Activations in DRAM, in tensor order.
  public var inDRAM: [DRAMActivation]

  /// Creates a summary (the default: no activations).
  public init(
    policy: ActivationMemory = .dram, workingBudgetBytes: Int = 0, arenaCapacityBytes: Int = 0, arenaBytes: Int = 0,
    onChipTensors: Int = 0, onChipBytes: Int = 0, inDRAM: [DRAMActivation] = []
  ) {
    self.policy = policy
    self.workingBudgetBytes = workingBudgetBytes
    self.arenaCapacityBytes = arenaCapacityBytes
    self.arenaBytes = arenaBytes
    self.onChipTensors = onChipTensors
    self.onChipBytes = onChipBytes
    self.inDRAM = inDRAM
  }

  /// Bytes of the DRAM activations with `cause`.
  public func dramBytes(_ cause: DRAMActivation.Cause) -> Int {
    inDRAM.filter { $0.cause == cause }.reduce(0) { $0 + $1.bytes }
  }

  /// Bytes spilled to DRAM because the arena was full.
  public var spilledBytes: Int { dramBytes(.spill) }
}

/// Where an operator runs.
public enum Placement: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
  /// On the systolic array (CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, BATCH_MATMUL), with
  /// its epilogue on the activation unit.
  case systolicArray = "array"
  /// On the vector unit, or by DMA through the unified buffer (elementwise ops, pooling,
  /// requantization, `vlut` table lookups, concatenation, padding and the other data-movement
  /// operators).
  case vectorUnit = "vector"
  /// On the host, against DRAM (`host` instructions).
  case host
  /// No work: the output shares its input's DRAM bytes (RESHAPE, SQUEEZE).
  case alias
  /// Folded into another operator's epilogue (a standalone RELU after a convolution).
  case fused
  /// Computed at compile time (shape arithmetic of a model with run-time shapes): no work.
  case folded

  /// The report name: `array`, `vector`, `host`, `alias`, `fused`, `folded`.
  public var description: String { rawValue }
}

/// The shape of one tile of an operator's iteration space.
public struct TileShape: Sendable, Hashable, CustomStringConvertible {
  /// Output rows per tile (1 for a GEMM).
  public var outputHeight: Int
  /// Output columns per tile (GEMM: rows of the left operand).
  public var outputWidth: Int
  /// K: weight rows per matmul (≤ array rows); the channels per tile for the vector unit.
  public var reduction: Int
  /// N: output channels per matmul (≤ array columns); the channels per tile for the vector unit.
  public var columns: Int

  /// Creates a tile shape.
  public init(outputHeight: Int, outputWidth: Int, reduction: Int, columns: Int) {
    self.outputHeight = outputHeight
    self.outputWidth = outputWidth
    self.reduction = reduction
    self.columns = columns
  }

  /// `4×8 px, K 27, N 16`.
  public var description: String { "\(outputHeight)×\(outputWidth) px, K \(reduction), N \(columns)" }
}

/// On-chip memory in use.
public struct SRAMUsage: Sendable, Hashable {
  /// Unified-buffer bytes.
  public var unifiedBufferBytes: Int
  /// Weight-buffer bytes (cached weights plus streaming buffers).
  public var weightBufferBytes: Int
  /// Accumulator rows.
  public var accumulatorRows: Int

  /// Creates a usage record.
  public init(unifiedBufferBytes: Int = 0, weightBufferBytes: Int = 0, accumulatorRows: Int = 0) {
    self.unifiedBufferBytes = unifiedBufferBytes
    self.weightBufferBytes = weightBufferBytes
    self.accumulatorRows = accumulatorRows
  }

  /// The element-wise maximum of two usages.
  public func union(_ other: SRAMUsage) -> SRAMUsage {
    SRAMUsage(
      unifiedBufferBytes: max(unifiedBufferBytes, other.unifiedBufferBytes),
      weightBufferBytes: max(weightBufferBytes, other.weightBufferBytes),
      accumulatorRows: max(accumulatorRows, other.accumulatorRows))
  }
}

/// How one operator was mapped.
public struct OperatorMapping: Sendable, Hashable {
  /// The operator's index in the main graph.
  public var index: Int
  /// The TFLite operator name: `CONV_2D`.
  public var opName: String
  /// The operator's output tensor name.
  public var name: String
  /// Where it runs.
  public var placement: Placement
  /// Why it runs there, in one line (`SOFTMAX: no vector-unit implementation; runs on the host`).
  public var reason: String
  /// The dataflow of its matmuls (array operators only).
  public var dataflow: Dataflow?
  /// The largest tile (array and vector-unit operators).
  public var tile: TileShape?
  /// Number of tiles (spatial tiles × channel tiles × K chunks for the array).
  public var tileCount: Int
  /// Instructions emitted for it (dependency nops included).
  public var instructionCount: Int
  /// Multiply-accumulates of the operator (`Graph.macs(ofOperator:)`).
  public var macs: Int
  /// Array utilization while streaming: useful MACs / Σ over matmuls of (P × rows × columns).
  /// Low for DEPTHWISE_CONV_2D (one input channel per output channel: a block-diagonal tile).
  public var arrayUtilization: Double?
  /// Parameter bytes as laid out for the accelerator (weight tiles, activation tables).
  public var weightBytes: Int
  /// Parameter bytes kept resident in the weight buffer for the whole inference.
  public var weightBytesCached: Int
  /// Parameter bytes loaded from DRAM into streaming buffers each inference (counting reloads).
  public var weightBytesStreamed: Int
  /// DRAM bytes read (activations, parameters, host-task inputs).
  public var dramBytesRead: Int
  /// DRAM bytes written.
  public var dramBytesWritten: Int
  /// Network input bytes it loads and output bytes it stores across the host link
  /// (`memory.io_over_host_link`); not DRAM traffic.
  public var hostLinkBytesRead = 0
  public var hostLinkBytesWritten = 0
  /// Activation-arena bytes loaded (its inputs kept on chip).
  public var arenaBytesRead: Int
  /// Activation-arena bytes stored (its output kept on chip).
  public var arenaBytesWritten: Int
  /// Arena bytes its matmuls read in place (the input copies this avoided would have moved them).
  public var arenaBytesReadInPlace: Int
  /// Why an on-chip input was copied into the working region instead of read in place (nil
  /// when every on-chip input was read in place or none is on chip).
  public var arenaCopyReason: String?
  /// Where its activation inputs (constants excluded) and outputs live.
  public var inputs: [TensorLocation]
  public var outputs: [TensorLocation]
  /// The cost model's estimate, in accelerator cycles.
  public var estimatedCycles: Int
  /// On-chip memory the operator uses.
  public var sram: SRAMUsage
  /// For `.fused`: the operator whose epilogue absorbed this one.
  public var fusedInto: Int?

  /// Creates an entry with no work recorded.
  public init(index: Int, opName: String, name: String, placement: Placement, reason: String) {
    self.index = index
    self.opName = opName
    self.name = name
    self.placement = placement
    self.reason = reason
    self.dataflow = nil
    self.tile = nil
    self.tileCount = 0
    self.instructionCount = 0
    self.macs = 0
    self.arrayUtilization = nil
    self.weightBytes = 0
    self.weightBytesCached = 0
    self.weightBytesStreamed = 0
    self.dramBytesRead = 0
    self.dramBytesWritten = 0
    self.arenaBytesRead = 0
    self.arenaBytesWritten = 0
    self.arenaBytesReadInPlace = 0
    self.arenaCopyReason = nil
    self.inputs = []
    self.outputs = []
    self.estimatedCycles = 0
    self.sram = SRAMUsage()
    self.fusedInto = nil
  }
}

/// Sums over a report's operators.
public struct MappingTotals: Sendable, Hashable {
  /// Operators on the systolic array.
  public var operatorsOnArray: Int
  /// Operators on the vector unit (or moved by DMA).
  public var operatorsOnVectorUnit: Int
  /// Operators on the host.
  public var operatorsOnHost: Int
  /// RESHAPE/SQUEEZE aliases.
  public var aliases: Int
  /// Operators folded into another's epilogue.
  public var fused: Int
  /// Operators computed at compile time.
  public var folded: Int
  /// Instructions in the program (including `finish`).
  public var instructions: Int
  /// Multiply-accumulates on the array.
  public var arrayMACs: Int
  /// Parameter bytes resident in the weight buffer.
  public var parameterBytesCached: Int
  /// Parameter bytes streamed from DRAM per inference.
  public var parameterBytesStreamed: Int
  /// DRAM bytes read per inference.
  public var dramBytesRead: Int
  /// DRAM bytes written per inference.
  public var dramBytesWritten: Int
  /// Network input and output bytes across the host link per inference.
  public var hostLinkBytesRead: Int
  public var hostLinkBytesWritten: Int
  /// Activation-arena bytes loaded and stored per inference.
  public var arenaBytesRead: Int
  public var arenaBytesWritten: Int
  /// Sum of the per-operator cycle estimates (no overlap between operators).
  public var estimatedCycles: Int

  /// Sums `operators`; `instructions` is the program's length.
  public init(_ operators: [OperatorMapping], instructions: Int) {
    func count(_ p: Placement) -> Int { operators.filter { $0.placement == p }.count }
    operatorsOnArray = count(.systolicArray)
    operatorsOnVectorUnit = count(.vectorUnit)
    operatorsOnHost = count(.host)
    aliases = count(.alias)
    fused = count(.fused)
    folded = count(.folded)
    self.instructions = instructions
    arrayMACs = operators.filter { $0.placement == .systolicArray }.reduce(0) { $0 + $1.macs }
    parameterBytesCached = operators.reduce(0) { $0 + $1.weightBytesCached }
    parameterBytesStreamed = operators.reduce(0) { $0 + $1.weightBytesStreamed }
    dramBytesRead = operators.reduce(0) { $0 + $1.dramBytesRead }
    dramBytesWritten = operators.reduce(0) { $0 + $1.dramBytesWritten }
    hostLinkBytesRead = operators.reduce(0) { $0 + $1.hostLinkBytesRead }
    hostLinkBytesWritten = operators.reduce(0) { $0 + $1.hostLinkBytesWritten }
    arenaBytesRead = operators.reduce(0) { $0 + $1.arenaBytesRead }
    arenaBytesWritten = operators.reduce(0) { $0 + $1.arenaBytesWritten }
    estimatedCycles = operators.map(\.estimatedCycles).saturatingSum()
  }
}

extension MappingReport {
  /// The report as text: a summary, then one line per operator.
  ///
  /// ```
  /// mapping on tpu-v1 (int8): 14 ops on the array, 3 on the vector unit, 2 on the host, 1 alias
  /// #   op               name        where   df  tile                       tiles  instrs  cached    streamed  est. cycles
  /// 0   CONV_2D          conv1       array   ws  16×16 px, K 27, N 16           1      12  448 B     0 B           1,234
  /// ...
  /// host: #20 SOFTMAX: no vector-unit implementation; runs on the host
  /// ```
  /// "; host link: inputs 409,600 B, outputs 409,600 B" when inputs and outputs cross the host
  /// link, else empty.
  var hostLinkSummary: String {
    let t = totals
    guard t.hostLinkBytesRead + t.hostLinkBytesWritten > 0 else { return "" }
    return "; host link: inputs \(formatBytes(t.hostLinkBytesRead)), outputs \(formatBytes(t.hostLinkBytesWritten))"
  }

  public func rendered() -> String {
    var lines: [String] = []
    let t = totals
    var parts = [
      "\(t.operatorsOnArray) ops on the array", "\(t.operatorsOnVectorUnit) on the vector unit",
      "\(t.operatorsOnHost) on the host",
    ]
    if t.aliases > 0 { parts.append("\(t.aliases) alias\(t.aliases == 1 ? "" : "es")") }
    if t.fused > 0 { parts.append("\(t.fused) fused") }
    if t.folded > 0 { parts.append("\(t.folded) folded") }
    lines.append("mapping on \(architecture) (\(datapath.rawValue)): " + parts.joined(separator: ", "))
    lines.append(
      "instructions \(formatCount(t.instructions)); parameters cached \(formatBytes(t.parameterBytesCached)), streamed \(formatBytes(t.parameterBytesStreamed)); DRAM read \(formatBytes(t.dramBytesRead)), written \(formatBytes(t.dramBytesWritten))\(hostLinkSummary); estimated \(formatCount(t.estimatedCycles)) cycles"
    )
    let s = sramHighWater
    lines.append(
      "SRAM high-water: unified buffer \(formatBytes(s.unifiedBufferBytes)), weight buffer \(formatBytes(s.weightBufferBytes)), accumulator \(formatCount(s.accumulatorRows)) rows"
    )
    lines += activations.renderedLines()
    if activations.policy == .onChip {
      // Matrix inputs read where the arena holds them, and the copies left with their cause.
      let inPlace = operators.filter { $0.arenaBytesReadInPlace > 0 }
      let copied = operators.filter { $0.arenaCopyReason != nil }
      var line =
        "arena inputs read in place: \(inPlace.count) operator\(inPlace.count == 1 ? "" : "s"), \(formatBytes(inPlace.reduce(0) { $0 + $1.arenaBytesReadInPlace })) not copied"
      if !copied.isEmpty {
        var reasons: [String: Int] = [:]
        for o in copied { reasons[o.arenaCopyReason ?? "", default: 0] += 1 }
        let why = reasons.sorted { $0.key < $1.key }.map { "\($0.value) × \($0.key)" }.joined(separator: "; ")
        line += "; copied for \(copied.count) operator\(copied.count == 1 ? "" : "s"): \(why)"
      }
      lines.append(line)
    }
    let header = [
      "#", "op", "name", "where", "df", "tile", "tiles", "instrs", "util", "cached", "streamed", "in", "out",
      "est. cycles",
    ]
    func storage(_ list: [TensorLocation]) -> String {
      let kinds = Set(list.map(\.storage))
      if kinds.isEmpty { return "-" }
      return kinds.count == 1 ? kinds.first?.rawValue ?? "-" : "mixed"
    }
    func abbreviated(_ name: String) -> String { name.count <= 32 ? name : name.prefix(31) + "…" }
    var rows: [[String]] = [header]
    for o in operators {
      rows.append([
        "\(o.index)", o.opName, abbreviated(o.name), o.placement.rawValue, o.dataflow?.rawValue ?? "-",
        o.tile?.description ?? "-", o.tileCount > 0 ? formatCount(o.tileCount) : "-", formatCount(o.instructionCount),
        o.arrayUtilization.map { String(format: "%.1f%%", $0 * 100) } ?? "-",
        formatBytes(o.weightBytesCached), formatBytes(o.weightBytesStreamed), storage(o.inputs), storage(o.outputs),
        formatCount(o.estimatedCycles),
      ])
    }
    let widths = header.indices.map { c in rows.map { $0[c].count }.max() ?? 0 }
    let rightAligned: Set<Int> = [0, 6, 7, 8, 9, 10, 13]
    for row in rows {
      let cells = row.enumerated().map { c, text in
        let pad = String(repeating: " ", count: widths[c] - text.count)
        return rightAligned.contains(c) ? pad + text : text + pad
      }
      var line = cells.joined(separator: "  ")
      while line.hasSuffix(" ") { line.removeLast() }
      lines.append(line)
    }
    for o in operators where o.placement != .systolicArray {
      lines.append("\(o.placement.rawValue): #\(o.index) \(o.reason)")
    }
    return lines.joined(separator: "\n") + "\n"
  }

  /// The report as JSON with stable snake_case keys.
  public var json: JSONValue {
    func usage(_ u: SRAMUsage) -> JSONValue {
      .object([
        ("unified_buffer_bytes", .int(u.unifiedBufferBytes)), ("weight_buffer_bytes", .int(u.weightBufferBytes)),
        ("accumulator_rows", .int(u.accumulatorRows)),
      ])
    }
    func locations(_ list: [TensorLocation]) -> JSONValue {
      .array(
        list.map {
          .object([("name", .string($0.name)), ("bytes", .int($0.bytes)), ("storage", .string($0.storage.rawValue))])
        })
    }
    let ops: [JSONValue] = operators.map { o in
      var pairs: [(String, JSONValue)] = [
        ("index", .int(o.index)), ("op", .string(o.opName)), ("name", .string(o.name)),
        ("placement", .string(o.placement.rawValue)), ("reason", .string(o.reason)),
        ("dataflow", o.dataflow.map { .string($0.rawValue) } ?? .null),
      ]
      if let tile = o.tile {
        pairs.append(
          (
            "tile",
            .object([
              ("output_height", .int(tile.outputHeight)), ("output_width", .int(tile.outputWidth)),
              ("reduction", .int(tile.reduction)), ("columns", .int(tile.columns)),
            ])
          ))
      } else {
        pairs.append(("tile", .null))
      }
      pairs += [
        ("tile_count", .int(o.tileCount)), ("instructions", .int(o.instructionCount)), ("macs", .int(o.macs)),
        ("array_utilization", o.arrayUtilization.map { .double($0) } ?? .null),
        ("weight_bytes", .int(o.weightBytes)), ("weight_bytes_cached", .int(o.weightBytesCached)),
        ("weight_bytes_streamed", .int(o.weightBytesStreamed)), ("dram_bytes_read", .int(o.dramBytesRead)),
        ("dram_bytes_written", .int(o.dramBytesWritten)), ("arena_bytes_read", .int(o.arenaBytesRead)),
        ("arena_bytes_written", .int(o.arenaBytesWritten)),
        ("arena_bytes_read_in_place", .int(o.arenaBytesReadInPlace)),
        ("arena_copy_reason", o.arenaCopyReason.map { .string($0) } ?? .null), ("inputs", locations(o.inputs)),
        ("outputs", locations(o.outputs)), ("estimated_cycles", .int(o.estimatedCycles)),
        ("sram", usage(o.sram)), ("fused_into", o.fusedInto.map { .int($0) } ?? .null),
      ]
      return .object(pairs)
    }
    let t = totals
    return .object([
      ("architecture", .string(architecture)), ("datapath", .string(datapath.rawValue)),
      (
        "totals",
        .object([
          ("operators_on_array", .int(t.operatorsOnArray)), ("operators_on_vector_unit", .int(t.operatorsOnVectorUnit)),
          ("operators_on_host", .int(t.operatorsOnHost)), ("aliases", .int(t.aliases)), ("fused", .int(t.fused)),
          ("folded", .int(t.folded)),
          ("instructions", .int(t.instructions)), ("array_macs", .int(t.arrayMACs)),
          ("parameter_bytes_cached", .int(t.parameterBytesCached)),
          ("parameter_bytes_streamed", .int(t.parameterBytesStreamed)), ("dram_bytes_read", .int(t.dramBytesRead)),
          ("dram_bytes_written", .int(t.dramBytesWritten)), ("host_link_bytes_read", .int(t.hostLinkBytesRead)),
          ("host_link_bytes_written", .int(t.hostLinkBytesWritten)), ("arena_bytes_read", .int(t.arenaBytesRead)),
          ("arena_bytes_written", .int(t.arenaBytesWritten)), ("estimated_cycles", .int(t.estimatedCycles)),
        ])
      ),
      ("sram_high_water", usage(sramHighWater)),
      ("activations", activations.json),
      ("operators", .array(ops)),
    ])
  }
}

extension ActivationSummary {
  /// The summary's lines in the text report: the arena, the DRAM activations by cause, and
  /// one line per spill.
  ///
  /// ```
  /// activations (memory.activations = on-chip): 62 tensors, 9.5 MiB in a 2.6 MiB arena (capacity 2.7 MiB above the largest working need; tiling budget 384 KiB)
  /// activations in DRAM: inputs 147 KiB, outputs 1,001 B, host operands 0 B, spilled 0 B
  /// spilled: 'block4/add' 784 KiB, layers #40–#48: does not fit …
  /// ```
  func renderedLines() -> [String] {
    var lines: [String] = []
    if policy == .onChip {
      lines.append(
        "activations (memory.activations = on-chip): \(onChipTensors) tensor\(onChipTensors == 1 ? "" : "s"), \(formatBytes(onChipBytes)) in a \(formatBytes(arenaBytes)) arena (capacity \(formatBytes(arenaCapacityBytes)) above the largest working need; tiling budget \(formatBytes(workingBudgetBytes)))"
      )
    } else {
      let byPolicy = inDRAM.filter { $0.cause == .policy }
      lines.append(
        "activations (memory.activations = dram): every layer output round-trips through DRAM (\(byPolicy.count) tensor\(byPolicy.count == 1 ? "" : "s"), \(formatBytes(dramBytes(.policy))))"
      )
    }
    lines.append(
      "activations in DRAM: inputs \(formatBytes(dramBytes(.input))), outputs \(formatBytes(dramBytes(.output))), host operands \(formatBytes(dramBytes(.host))), spilled \(formatBytes(spilledBytes))"
        + (policy == .dram ? ", by policy \(formatBytes(dramBytes(.policy)))" : ""))
    for a in inDRAM where a.cause == .spill {
      lines.append("spilled: '\(a.name)' \(formatBytes(a.bytes)), layers #\(a.firstLayer)–#\(a.lastLayer): \(a.reason)")
    }
    return lines
  }

  /// The summary as JSON with stable snake_case keys.
  var json: JSONValue {
    .object([
      ("policy", .string(policy.rawValue)), ("working_budget_bytes", .int(workingBudgetBytes)),
      ("arena_capacity_bytes", .int(arenaCapacityBytes)), ("arena_bytes", .int(arenaBytes)),
      ("on_chip_tensors", .int(onChipTensors)), ("on_chip_bytes", .int(onChipBytes)),
      ("spilled_bytes", .int(spilledBytes)),
      (
        "in_dram",
        .array(
          inDRAM.map {
            .object([
              ("name", .string($0.name)), ("bytes", .int($0.bytes)), ("first_layer", .int($0.firstLayer)),
              ("last_layer", .int($0.lastLayer)), ("cause", .string($0.cause.rawValue)), ("reason", .string($0.reason)),
            ])
          })
      ),
    ])
  }
}
