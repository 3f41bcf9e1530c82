import Support

/// A complete program for the accelerator: instructions plus everything needed to run and
/// report on them without the graph it came from.
///
/// The compiler produces it; the simulator, the functional executor and the verifier consume
/// it. It has a text form (`assembly()`, `init(parsingAssembly:)`) and a binary form
/// (`encoded()`, `init(decoding:)`); both round-trip exactly.
public struct TileProgram: Hashable, Sendable {
  /// The datapath element type the program was compiled for.
  public var datapath: Datapath
  /// The memory capacities and array shape the program was compiled for.
  public var limits: MemoryLimits
  /// Total DRAM the program uses (image, inputs, outputs and spills all lie below it).
  public var dramSize: ByteCount
  /// Bytes of the activation arena: the top `arenaSize` bytes of the unified buffer, addressed
  /// from 0 by `load`/`store` with `backing == .arena`. Every other unified-buffer access lies in
  /// the working region below it, `0 ..< limits.unifiedBuffer − arenaSize` (the verifier checks
  /// both). 0 when the program keeps no activations on chip.
  public var arenaSize: ByteCount
  /// DRAM contents before the run: constant weights and parameter tables.
  public var dramImage: DRAMImage
  /// Layers, for reports: instruction `layer` fields index this table.
  public var layers: [LayerInfo]
  /// Host-fallback tasks: `host` instructions index this table.
  public var hostTasks: [HostTask]
  /// Where each model input must be written before the run.
  public var inputs: [IOBinding]
  /// Where each model output is found after the run.
  public var outputs: [IOBinding]
  /// The instruction stream, in program order.
  public var instructions: [Instruction]
  /// Tile coordinates by instruction index, for reports only (like the layer tags): which tile
  /// of its layer an instruction works on. Instructions without an entry have none.
  public var tiles: [Int: TileCoordinate]

  /// Creates a program.
  public init(
    datapath: Datapath = .int8, limits: MemoryLimits, dramSize: ByteCount, arenaSize: ByteCount = 0,
    dramImage: DRAMImage = DRAMImage(), layers: [LayerInfo] = [], hostTasks: [HostTask] = [], inputs: [IOBinding] = [],
    outputs: [IOBinding] = [], instructions: [Instruction] = [], tiles: [Int: TileCoordinate] = [:]
  ) {
    self.datapath = datapath
    self.limits = limits
    self.dramSize = dramSize
    self.arenaSize = arenaSize
    self.dramImage = dramImage
    self.layers = layers
    self.hostTasks = hostTasks
    self.inputs = inputs
    self.outputs = outputs
    self.instructions = instructions
    self.tiles = tiles
  }

  /// The tile coordinate of instruction `index`, if the compiler recorded one.
  public func tile(at index: Int) -> TileCoordinate? { tiles[index] }

  /// Bytes of the unified buffer's working region, below the arena: what every instruction
  /// other than an arena transfer's backing side may address (never negative).
  public var workingUnifiedBufferBytes: Int {
    Int(clamping: max(0, limits.unifiedBuffer.count - max(0, arenaSize.count)))
  }
}

extension TileProgram {
  /// The element type flowing through the array and the unified buffer. The raw values match
  /// `Architecture.Datapath`'s.
  public enum Datapath: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// int8 operands, int32 accumulators: functionally executable, bit-exact with TFLite.
    case int8
    /// float32 everywhere: the baseline for timing and byte counts. Every element is 4 bytes
    /// (channel offsets and counts scale by 4); functional execution of compute instructions
    /// throws `unsupported`.
    case float32

    /// Bytes per activation or weight element: 1 or 4.
    public var elementBytes: Int {
      switch self {
      case .int8: 1
      case .float32: 4
      }
    }

    /// The text used in messages and assembly.
    public var description: String { rawValue }
  }
}

/// The capacities a program was compiled for, so the verifier needs no architecture
/// description.
public struct MemoryLimits: Hashable, Sendable {
  /// Unified buffer capacity.
  public var unifiedBuffer: ByteCount
  /// Weight buffer capacity.
  public var weightBuffer: ByteCount
  /// Accumulator rows (each `arrayColumns` int32s).
  public var accumulatorRows: Int
  /// Rows of the systolic array (K: the reduction dimension).
  public var arrayRows: Int
  /// Columns of the systolic array (N: output channels per tile).
  public var arrayColumns: Int

  /// Creates limits.
  public init(unifiedBuffer: ByteCount, weightBuffer: ByteCount, accumulatorRows: Int, arrayRows: Int, arrayColumns: Int) {
    self.unifiedBuffer = unifiedBuffer
    self.weightBuffer = weightBuffer
    self.accumulatorRows = accumulatorRows
    self.arrayRows = arrayRows
    self.arrayColumns = arrayColumns
  }

  /// Bytes of an on-chip memory (the accumulator's byte view: rows · columns · 4).
  public func capacityBytes(of memory: OnChipMemory) -> Int {
    switch memory {
    case .unifiedBuffer: Int(unifiedBuffer.count)
    case .weightBuffer: Int(weightBuffer.count)
    case .accumulator: accumulatorRows * arrayColumns * 4
    }
  }
}

/// One layer of the source model, for reports.
public struct LayerInfo: Hashable, Sendable {
  /// The layer's name (usually its output tensor's name).
  public var name: String
  /// The operator, as TFLite names it: `CONV_2D`, `ADD`, ...
  public var opName: String

  /// Creates a layer entry.
  public init(name: String, opName: String) {
    self.name = name
    self.opName = opName
  }
}

/// Work the accelerator cannot do, run on the host against DRAM (softmax, logistic, ...).
///
/// The simulator never sees what the task computes: the `HostExecutor` injected into the
/// executor does (the driver implements it with the golden model). The declared ranges are what
/// the task reads and writes, for verification and timing; `operations` is how much work it is,
/// for timing.
public struct HostTask: Hashable, Sendable {
  /// An opaque name for reports.
  public var name: String
  /// DRAM the task reads.
  public var reads: [DRAMRange]
  /// DRAM the task writes.
  public var writes: [DRAMRange]
  /// The task's work in host operations (multiply-accumulates, or element operations where the
  /// operator has no MACs): what the simulator divides by the host's ops per cycle. The compiler
  /// writes the count its cost model uses; a program that does not say (an assembly `.host`
  /// line without `ops=`, a binary without the host-operations flag) counts one operation per
  /// byte read.
  public var operations: Int

  /// Creates a host task; `operations` defaults to the bytes read (one operation per byte).
  public init(name: String, reads: [DRAMRange], writes: [DRAMRange], operations: Int? = nil) {
    self.name = name
    self.reads = reads
    self.writes = writes
    self.operations =
      operations
      ?? reads.reduce(0) { sum, r in
        let (s, overflow) = sum.addingReportingOverflow(max(r.byteCount, 0))
        return overflow ? Int.max : s
      }
  }
}

/// Element types of model inputs and outputs (the names match GraphIR's `ElementType`).
public enum IOElementType: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
  case bool, int8, uint8, int16, int32, int64, float32

  /// Bytes per element.
  public var byteWidth: Int {
    switch self {
    case .bool, .int8, .uint8: 1
    case .int16: 2
    case .int32, .float32: 4
    case .int64: 8
    }
  }

  /// The text used in messages and assembly.
  public var description: String { rawValue }
}

/// Where a model input or output lives in DRAM: a dense row-major tensor at `address`.
public struct IOBinding: Hashable, Sendable {
  /// The tensor's name.
  public var name: String
  /// Its element type.
  public var elementType: IOElementType
  /// Its shape (empty for a scalar).
  public var shape: [Int]
  /// Its first byte.
  public var address: DRAMAddress

  /// Creates a binding.
  public init(name: String, elementType: IOElementType, shape: [Int], address: DRAMAddress) {
    self.name = name
    self.elementType = elementType
    self.shape = shape
    self.address = address
  }

  /// Elements: the product of the shape (1 for a scalar). Requires a valid shape (the verifier
  /// reports negative or overflowing ones).
  public var elementCount: Int { shape.reduce(1, *) }
  /// Bytes: `elementCount · byteWidth`.
  public var byteCount: Int { elementCount * elementType.byteWidth }
  /// The DRAM bytes the tensor occupies.
  public var range: DRAMRange { DRAMRange(start: address, byteCount: byteCount) }

  /// `byteCount`, or nil for a negative dimension or an overflowing product.
  var checkedByteCount: Int? {
    var product = elementType.byteWidth
    for d in shape {
      guard d >= 0, let next = Checked.mul(product, d) else { return nil }
      product = next
    }
    return product
  }
}

/// A contiguous run of initialized DRAM bytes.
public struct DRAMSegment: Hashable, Sendable {
  /// The first byte's address.
  public var address: DRAMAddress
  /// The contents.
  public var bytes: [UInt8]

  /// Creates a segment.
  public init(address: DRAMAddress, bytes: [UInt8]) {
    self.address = address
    self.bytes = bytes
  }

  /// One past the last byte.
  public var end: DRAMAddress { address + bytes.count }
}

/// The initial DRAM contents: a sparse image of segments.
///
/// Segments are kept sorted, non-empty, and merged when they touch or overlap (a later write
/// wins), so two images with the same bytes compare equal however they were built.
public struct DRAMImage: Hashable, Sendable {
  /// The segments, sorted by address, pairwise separated by at least one uninitialized byte.
  public private(set) var segments: [DRAMSegment]

  /// An empty image.
  public init() { segments = [] }

  /// An image holding `segments`, written in order (later ones win where they overlap).
  public init(segments: [DRAMSegment]) {
    self.segments = []
    for segment in segments { write(segment.bytes, at: segment.address) }
  }

  /// Writes `bytes` at `address`, merging with neighbouring segments.
  ///
  /// - Precondition: `address ≥ 0` and `address + bytes.count` does not overflow.
  public mutating func write(_ bytes: [UInt8], at address: DRAMAddress) {
    guard !bytes.isEmpty else { return }
    let start = address.byteOffset
    precondition(start >= 0 && start <= Int.max - bytes.count, "DRAM image segment at \(address) out of range")
    let end = start + bytes.count
    // Segments that overlap or touch [start, end).
    let first = segments.firstIndex { $0.end.byteOffset >= start } ?? segments.count
    var last = first
    while last < segments.count && segments[last].address.byteOffset <= end { last += 1 }
    if first == last {
      segments.insert(DRAMSegment(address: address, bytes: bytes), at: first)
      return
    }
    let mergedStart = min(start, segments[first].address.byteOffset)
    let mergedEnd = max(end, segments[last - 1].end.byteOffset)
    var merged = [UInt8](repeating: 0, count: mergedEnd - mergedStart)
    for segment in segments[first..<last] {
      let offset = segment.address.byteOffset - mergedStart
      merged.replaceSubrange(offset..<offset + segment.bytes.count, with: segment.bytes)
    }
    merged.replaceSubrange(start - mergedStart..<end - mergedStart, with: bytes)
    segments.replaceSubrange(first..<last, with: [DRAMSegment(address: DRAMAddress(mergedStart), bytes: merged)])
  }

  /// Total initialized bytes.
  public var byteCount: Int { segments.reduce(0) { $0 + $1.bytes.count } }
  /// One past the last initialized byte (0 for an empty image).
  public var end: DRAMAddress { segments.last?.end ?? 0 }
}

/// One channel's entry in `activate`'s parameter table: 12 bytes at `paramAddress + 12·j` in the
/// weight buffer, little-endian.
///
/// | bytes | `.fixedPoint`          | `.floatScale`         |
/// |-------|------------------------|-----------------------|
/// | 0..<4 | bias (Int32)           | bias (Int32)          |
/// | 4..<8 | multiplier (Int32)     | scale (Float64)       |
/// | 8..<12| shift (Int32)          | (scale, continued)    |
public enum ActivationParameters: Hashable, Sendable {
  /// Bias, Q0.31 multiplier and shift (`MultiplyByQuantizedMultiplier`).
  case fixedPoint(bias: Int32, multiplier: Int32, shift: Int32)
  /// Bias and a double-precision scale (TFLite 2.21 FULLY_CONNECTED).
  case floatScale(bias: Int32, scale: Double)

  /// Bytes per entry.
  public static let entryBytes = 12

  /// The entry's 12 bytes.
  public var bytes: [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(Self.entryBytes)
    switch self {
    case .fixedPoint(let bias, let multiplier, let shift):
      appendLittleEndian(&out, UInt32(bitPattern: bias))
      appendLittleEndian(&out, UInt32(bitPattern: multiplier))
      appendLittleEndian(&out, UInt32(bitPattern: shift))
    case .floatScale(let bias, let scale):
      appendLittleEndian(&out, UInt32(bitPattern: bias))
      appendLittleEndian(&out, scale.bitPattern)
    }
    return out
  }

  /// A whole table: the entries' bytes, concatenated.
  public static func table(_ entries: [ActivationParameters]) -> [UInt8] {
    entries.flatMap(\.bytes)
  }
}

func appendLittleEndian<T: FixedWidthInteger>(_ out: inout [UInt8], _ value: T) {
  var v = value.littleEndian
  withUnsafeBytes(of: &v) { out.append(contentsOf: $0) }
}
