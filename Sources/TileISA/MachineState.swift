import Support

/// The architectural state the instructions act on: the memories (DRAM, the unified buffer
/// and its activation arena, the weight buffer, the accumulator) and the array's two weight
/// slots.
///
/// The functional executor (`execute(_:on:host:)`) mutates it; the cycle simulator's functional
/// mode reuses the same executor, so there is one implementation of the semantics.
public struct MachineState: Sendable {
  /// The capacities the memories were sized from.
  public let limits: MemoryLimits
  /// int8 (executable) or float32 (compute instructions throw `unsupported`).
  public let datapath: TileProgram.Datapath
  /// The program's host-task table (`host` instructions index it).
  public let hostTasks: [HostTask]
  /// DRAM, byte-addressed.
  public var dram: [UInt8]
  /// The unified buffer, byte-addressed.
  public var unifiedBuffer: [UInt8]
  /// The activation arena (`TileProgram.arenaSize` bytes), addressed from 0 by arena
  /// transfers. Physically the top of the unified buffer; kept apart so the instructions that
  /// address the working region cannot reach it.
  public var arena: [UInt8]
  /// The weight buffer, byte-addressed.
  public var weightBuffer: [UInt8]
  /// The accumulators, row-major: row r, column c at `r · arrayColumns + c`.
  public var accumulator: [Int32]
  /// The array's weight slots, indexed by `WeightSlot.rawValue`.
  public var weightSlots: [WeightTile]
  /// How `matmul` and `activate` split their pixels across cores (results never depend on it).
  public var parallelism: ExecutionParallelism = .automatic

  /// The largest memory the functional executor allocates (16 GiB).
  public static let maximumMemoryBytes = 1 << 34

  /// A machine with zeroed memories and empty weight slots.
  public init(
    limits: MemoryLimits, datapath: TileProgram.Datapath = .int8, dramSize: ByteCount, arenaSize: ByteCount = 0,
    hostTasks: [HostTask] = []
  ) throws(ISAError) {
    let sizes: [(String, Int64)] = [
      ("DRAM", dramSize.count), ("unified buffer", limits.unifiedBuffer.count),
      ("weight buffer", limits.weightBuffer.count), ("arena", arenaSize.count),
    ]
    for (name, bytes) in sizes where bytes < 0 || bytes > Int64(Self.maximumMemoryBytes) {
      throw ISAError(.unsupported, "machine", "\(name) size \(bytes) out of 0...\(Self.maximumMemoryBytes)")
    }
    guard limits.accumulatorRows >= 0, limits.arrayColumns >= 0, limits.arrayRows >= 0,
      let cells = Checked.mul(limits.accumulatorRows, limits.arrayColumns), cells <= Self.maximumMemoryBytes / 4
    else {
      throw ISAError(
        .unsupported, "machine",
        "accumulator of \(limits.accumulatorRows) rows × \(limits.arrayColumns) columns is not allocatable")
    }
    self.limits = limits
    self.datapath = datapath
    self.hostTasks = hostTasks
    self.dram = [UInt8](repeating: 0, count: Int(dramSize.count))
    self.unifiedBuffer = [UInt8](repeating: 0, count: Int(limits.unifiedBuffer.count))
    self.arena = [UInt8](repeating: 0, count: Int(arenaSize.count))
    self.weightBuffer = [UInt8](repeating: 0, count: Int(limits.weightBuffer.count))
    self.accumulator = [Int32](repeating: 0, count: cells)
    self.weightSlots = [WeightTile(), WeightTile()]
  }

  /// A machine sized for `program`, with its DRAM image written.
  public init(program: TileProgram) throws(ISAError) {
    try self.init(
      limits: program.limits, datapath: program.datapath, dramSize: program.dramSize, arenaSize: program.arenaSize,
      hostTasks: program.hostTasks)
    for segment in program.dramImage.segments {
      let start = segment.address.byteOffset
      guard start >= 0, start <= dram.count - segment.bytes.count else {
        throw ISAError(
          .execution, "DRAM image",
          "segment \(segment.address)+\(segment.bytes.count) exceeds the DRAM size \(hex(dram.count))")
      }
      dram.replaceSubrange(start..<start + segment.bytes.count, with: segment.bytes)
    }
  }

  /// The accumulator at `row`, `column`.
  public func accumulator(row: AccumulatorRow, column: Int) -> Int32 {
    accumulator[row.index * limits.arrayColumns + column]
  }

  /// The memory's bytes in `range` (the accumulator's byte view for `.accumulator`).
  public func bytes(of space: MemorySpace, _ range: Range<Int>) -> [UInt8] {
    switch space {
    case .dram: Array(dram[range])
    case .arena: Array(arena[range])
    case .unifiedBuffer: Array(unifiedBuffer[range])
    case .weightBuffer: Array(weightBuffer[range])
    case .accumulator:
      range.map { byte in UInt8(truncatingIfNeeded: UInt32(bitPattern: accumulator[byte / 4]) >> (8 * UInt32(byte % 4))) }
    }
  }
}

/// The contents of one weight slot: a `rows` × `columns` int8 tile, widened to `Int16` for the
/// multiply loops (an operand `x − zp` lies in −255...255 and a weight in −128...127, so each
/// product fits 16 bits exactly and vectorizes twice as wide as 32-bit products), packed twice:
/// row-major for the grouped loops and column-major in whole 8-lane vectors for the dot products.
public struct WeightTile: Hashable, Sendable {
  /// K: rows loaded (0 for a slot never loaded).
  public private(set) var rows: Int
  /// N: columns loaded.
  public private(set) var columns: Int
  /// Row-major values: `values[k · columns + n]`.
  public private(set) var values: [Int16]
  /// Column-major, each column zero-padded to ``vectorsPerColumn`` vectors of eight rows:
  /// column `n`, rows `8v..<8v + 8` at `columnVectors[n · vectorsPerColumn + v]`.
  public private(set) var columnVectors: [SIMD8<Int16>]
  /// `⌈rows / 8⌉`.
  public var vectorsPerColumn: Int { (rows + 7) / 8 }

  /// An empty slot.
  public init() {
    rows = 0
    columns = 0
    values = []
    columnVectors = []
  }

  /// A tile from row-major int8 values.
  public init(rows: Int, columns: Int, values: [Int8]) {
    precondition(values.count == rows * columns, "weight tile \(rows)×\(columns) given \(values.count) values")
    self.init(rows: rows, columns: columns, rowMajor: values.map(Int16.init))
  }

  /// A tile from its values widened from int8, row-major; the column-major copy is derived.
  init(rows: Int, columns: Int, rowMajor: [Int16]) {
    precondition(rowMajor.count == rows * columns, "weight tile \(rows)×\(columns) given \(rowMajor.count) values")
    self.rows = rows
    self.columns = columns
    self.values = rowMajor
    let perColumn = (rows + 7) / 8
    var vectors = [SIMD8<Int16>](repeating: .zero, count: perColumn * columns)
    // Eight rows at a time: row `8v + l` is read in order and scattered to lane `l` of each
    // column's vector `v`, so the writes of one pass stay within `columns` cache lines.
    vectors.withUnsafeMutableBufferPointer { packed in
      packed.withMemoryRebound(to: Int16.self) { lanes in
        rowMajor.withUnsafeBufferPointer { source in
          guard let source = source.baseAddress, let lanes = lanes.baseAddress else { return }
          for v in 0..<perColumn {
            for l in 0..<min(8, rows - v * 8) {
              let row = source + (v * 8 + l) * columns
              let lane = lanes + v * 8 + l
              for n in 0..<columns { lane[n * perColumn * 8] = row[n] }
            }
          }
        }
      }
    }
    columnVectors = vectors
  }

  /// The weight at row k, column n.
  public subscript(k: Int, n: Int) -> Int8 { Int8(truncatingIfNeeded: values[k * columns + n]) }
}

/// Runs host-fallback tasks for the executor (the driver implements it with the golden model, so
/// the simulator never sees the graph).
public protocol HostExecutor {
  /// Performs task number `index` of the program, reading and writing DRAM.
  func run(task: HostTask, index: HostTaskIndex, dram: inout [UInt8]) throws
  // issue 14: lstm
  /// Called by `TileProgram.run` after the DRAM image and inputs are written: restores the DRAM
  /// bytes the host keeps between invocations (a recurrent layer's state, as a device keeps its
  /// DRAM between inferences). The default keeps nothing: every run starts from the image.
  func restoreDeviceState(dram: inout [UInt8])
  /// Called by `TileProgram.run` after the last instruction: keeps what `restoreDeviceState`
  /// restores next time. The default does nothing.
  func saveDeviceState(dram: [UInt8])
}

// issue 14: lstm
extension HostExecutor {
  /// Keeps nothing between runs.
  public func restoreDeviceState(dram: inout [UInt8]) {}
  /// Keeps nothing between runs.
  public func saveDeviceState(dram: [UInt8]) {}
}

/// A host executor for programs without host tasks: any task is an error.
public struct NoHostExecutor: HostExecutor {
  /// Creates the executor.
  public init() {}

  /// Always throws `ISAError` `.hostTask`.
  public func run(task: HostTask, index: HostTaskIndex, dram: inout [UInt8]) throws {
    throw ISAError(.hostTask, "host task \(index.value) '\(task.name)'", "no host executor was provided")
  }
}
