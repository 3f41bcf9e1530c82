/// One of the machine's memories.
///
/// DRAM, the unified buffer, its activation arena and the weight buffer are byte-addressed. The accumulator is addressed
/// by row (`AccumulatorRow`) by the array and the activation unit; each row holds `arrayColumns`
/// 32-bit accumulators. DMA sees the accumulator as bytes: row `r`, column `c` is the
/// little-endian `Int32` at byte `(r · arrayColumns + c) · 4`.
public enum MemorySpace: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
  /// Off-chip memory: the program's image, inputs, outputs and spilled activations.
  case dram
  /// On-chip activation memory (TPU v1's Unified Buffer).
  case unifiedBuffer = "ub"
  /// On-chip weight memory; also holds the per-channel parameter tables of `activate`.
  case weightBuffer = "wb"
  /// The array's int32 accumulators.
  case accumulator = "acc"
  /// The activation arena: the top `TileProgram.arenaSize` bytes of the unified buffer, where
  /// activations stay between layers. Only DMA reaches it (`DMA2D.backing == .arena`), with its
  /// own addresses from 0; the other instructions address the rest of the unified buffer.
  case arena

  /// A human-readable name for messages: `DRAM`, `unified buffer`, ...
  public var description: String {
    switch self {
    case .dram: "DRAM"
    case .unifiedBuffer: "unified buffer"
    case .weightBuffer: "weight buffer"
    case .accumulator: "accumulator"
    case .arena: "arena"
    }
  }
}

/// The memory on the far side of a DMA transfer (`DMA2D.backing`): what a `load` reads and a
/// `store` writes, opposite the on-chip buffer.
///
/// DRAM is the default; the arena is the unified buffer's region that keeps activations on chip
/// across layers (a layer's output stored there is loaded by the next layer without crossing the
/// DRAM channel).
public enum BackingMemory: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
  /// Off-chip memory (`dram=` in assembly).
  case dram
  /// The activation arena (`arena=` in assembly).
  case arena

  /// The memory space this names.
  public var space: MemorySpace {
    switch self {
    case .dram: .dram
    case .arena: .arena
    }
  }

  /// The text used in messages: `DRAM`, `arena`.
  public var description: String { space.description }
}

/// An on-chip memory a DMA transfer can reach: every `MemorySpace` except DRAM.
public enum OnChipMemory: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
  /// The unified buffer (activations).
  case unifiedBuffer = "ub"
  /// The weight buffer (weight tiles and parameter tables).
  case weightBuffer = "wb"
  /// The accumulator, seen as bytes (little-endian `Int32`s, row-major); for bias preloads and
  /// int32 results.
  case accumulator = "acc"

  /// The memory space this names.
  public var space: MemorySpace {
    switch self {
    case .unifiedBuffer: .unifiedBuffer
    case .weightBuffer: .weightBuffer
    case .accumulator: .accumulator
    }
  }

  /// The text used in messages and assembly.
  public var description: String { space.description }
}

/// A byte address in DRAM.
public struct DRAMAddress: Hashable, Comparable, Sendable, CustomStringConvertible,
  ExpressibleByIntegerLiteral
{
  /// Bytes from the start of DRAM.
  public var byteOffset: Int

  /// Creates an address `byteOffset` bytes from the start of DRAM.
  public init(_ byteOffset: Int) { self.byteOffset = byteOffset }
  /// Creates the value from an integer literal.
  public init(integerLiteral value: Int) { self.byteOffset = value }

  /// Orders by position.
  public static func < (a: DRAMAddress, b: DRAMAddress) -> Bool { a.byteOffset < b.byteOffset }
  /// The address `bytes` further on.
  public static func + (a: DRAMAddress, bytes: Int) -> DRAMAddress { DRAMAddress(a.byteOffset + bytes) }
  /// `0x` and lowercase hex.
  public var description: String { hex(byteOffset) }
}

/// A byte address in an on-chip buffer (which one is given by the instruction field holding it).
public struct SRAMAddress: Hashable, Comparable, Sendable, CustomStringConvertible,
  ExpressibleByIntegerLiteral
{
  /// Bytes from the start of the buffer.
  public var byteOffset: Int

  /// Creates an address `byteOffset` bytes from the start of a buffer.
  public init(_ byteOffset: Int) { self.byteOffset = byteOffset }
  /// Creates the value from an integer literal.
  public init(integerLiteral value: Int) { self.byteOffset = value }

  /// Orders by position.
  public static func < (a: SRAMAddress, b: SRAMAddress) -> Bool { a.byteOffset < b.byteOffset }
  /// The address `bytes` further on.
  public static func + (a: SRAMAddress, bytes: Int) -> SRAMAddress { SRAMAddress(a.byteOffset + bytes) }
  /// `0x` and lowercase hex.
  public var description: String { hex(byteOffset) }
}

/// A row of the accumulator memory (each row holds one int32 per array column).
public struct AccumulatorRow: Hashable, Comparable, Sendable, CustomStringConvertible,
  ExpressibleByIntegerLiteral
{
  /// The row number, from 0.
  public var index: Int

  /// Creates a row number.
  public init(_ index: Int) { self.index = index }
  /// Creates the value from an integer literal.
  public init(integerLiteral value: Int) { self.index = value }

  /// Orders by position.
  public static func < (a: AccumulatorRow, b: AccumulatorRow) -> Bool { a.index < b.index }
  /// The row `rows` further on.
  public static func + (a: AccumulatorRow, rows: Int) -> AccumulatorRow { AccumulatorRow(a.index + rows) }
  /// `row N`.
  public var description: String { "row \(index)" }
}

/// An index into a program's layer table (`TileProgram.layers`).
public struct LayerIndex: Hashable, Comparable, Sendable, CustomStringConvertible,
  ExpressibleByIntegerLiteral
{
  /// Position in the layer table, from 0.
  public var value: Int

  /// Creates a layer index.
  public init(_ value: Int) { self.value = value }
  /// Creates the value from an integer literal.
  public init(integerLiteral value: Int) { self.value = value }

  /// Orders by position.
  public static func < (a: LayerIndex, b: LayerIndex) -> Bool { a.value < b.value }
  /// The text used in messages and assembly.
  public var description: String { "layer \(value)" }
}

/// An index into a program's host-task table (`TileProgram.hostTasks`).
public struct HostTaskIndex: Hashable, Comparable, Sendable, CustomStringConvertible,
  ExpressibleByIntegerLiteral
{
  /// Position in the host-task table, from 0.
  public var value: Int

  /// Creates a host-task index.
  public init(_ value: Int) { self.value = value }
  /// Creates the value from an integer literal.
  public init(integerLiteral value: Int) { self.value = value }

  /// Orders by position.
  public static func < (a: HostTaskIndex, b: HostTaskIndex) -> Bool { a.value < b.value }
  /// The text used in messages and assembly.
  public var description: String { "host task \(value)" }
}

/// A range of DRAM bytes: `start ..< start + byteCount`.
public struct DRAMRange: Hashable, Sendable, CustomStringConvertible {
  /// The first byte.
  public var start: DRAMAddress
  /// How many bytes.
  public var byteCount: Int

  /// Creates the range `start ..< start + byteCount`.
  public init(start: DRAMAddress, byteCount: Int) {
    self.start = start
    self.byteCount = byteCount
  }

  /// One past the last byte.
  public var end: DRAMAddress { start + byteCount }
  /// `0x100+64` (start and byte count), the assembly syntax.
  public var description: String { "\(start)+\(byteCount)" }
}

/// `0x` and lowercase hex, `-0x…` for negative values.
func hex(_ value: Int) -> String {
  value < 0 ? "-0x" + String(value.magnitude, radix: 16) : "0x" + String(value, radix: 16)
}
