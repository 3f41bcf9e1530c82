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

  /// Creates a report.
  public init(
    architecture: String, datapath: Datapath, operators: [OperatorMapping], totals: MappingTotals,
    sramHighWater: SRAMUsage
  ) {
    self.architecture = architecture
    self.datapath = datapath
    self.operators = operators
    self.totals = totals
    self.sramHighWater = sramHighWater
  }
}

/// Where an operator runs.
public enum Placement: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
  /// On the systolic array (CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, BATCH_MATMUL), with
  /// its epilogue on the activation unit.
  case systolicArray = "array"
  /// On the vector unit, or by DMA through the unified buffer (elementwise ops, pooling,
  /// requantization, concatenation, padding).
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
      "instructions \(formatCount(t.instructions)); parameters cached \(formatBytes(t.parameterBytesCached)), streamed \(formatBytes(t.parameterBytesStreamed)); DRAM read \(formatBytes(t.dramBytesRead)), written \(formatBytes(t.dramBytesWritten)); estimated \(formatCount(t.estimatedCycles)) cycles"
    )
    let s = sramHighWater
    lines.append(
      "SRAM high-water: unified buffer \(formatBytes(s.unifiedBufferBytes)), weight buffer \(formatBytes(s.weightBufferBytes)), accumulator \(formatCount(s.accumulatorRows)) rows"
    )
    let header = [
      "#", "op", "name", "where", "df", "tile", "tiles", "instrs", "util", "cached", "streamed", "est. cycles",
    ]
    func abbreviated(_ name: String) -> String { name.count <= 32 ? name : name.prefix(31) + "…" }
    var rows: [[String]] = [header]
    for o in operators {
      rows.append([
        "\(o.index)", o.opName, abbreviated(o.name), o.placement.rawValue, o.dataflow?.rawValue ?? "-",
        o.tile?.description ?? "-", o.tileCount > 0 ? formatCount(o.tileCount) : "-", formatCount(o.instructionCount),
        o.arrayUtilization.map { String(format: "%.1f%%", $0 * 100) } ?? "-",
        formatBytes(o.weightBytesCached), formatBytes(o.weightBytesStreamed), formatCount(o.estimatedCycles),
      ])
    }
    let widths = header.indices.map { c in rows.map { $0[c].count }.max() ?? 0 }
    let rightAligned: Set<Int> = [0, 6, 7, 8, 9, 10, 11]
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
        ("dram_bytes_written", .int(o.dramBytesWritten)), ("estimated_cycles", .int(o.estimatedCycles)),
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
          ("dram_bytes_written", .int(t.dramBytesWritten)), ("estimated_cycles", .int(t.estimatedCycles)),
        ])
      ),
      ("sram_high_water", usage(sramHighWater)),
      ("operators", .array(ops)),
    ])
  }
}
