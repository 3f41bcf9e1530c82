/// One instruction of the tile ISA: an operation, its dependency-token flags and the layer it
/// belongs to.
///
/// The machine has three instruction queues that run concurrently (TVM-VTA's load → compute →
/// store pipeline): each instruction belongs to the queue its operation implies (`queue`).
/// Within a queue instructions run in order; across queues they are ordered only by dependency
/// tokens (`DependencyFlags`), which `docs/isa.md` §"Dependency tokens" specifies. The functional
/// executor (`execute(_:on:host:)`) runs instructions in program order.
public struct Instruction: Hashable, Sendable {
  /// What the instruction does.
  public var operation: Operation
  /// Which tokens it waits for before starting and signals after finishing.
  public var dependencies: DependencyFlags
  /// The layer it belongs to (an index into `TileProgram.layers`), for reports only.
  public var layer: LayerIndex?

  /// Creates an instruction.
  public init(_ operation: Operation, dependencies: DependencyFlags = [], layer: LayerIndex? = nil) {
    self.operation = operation
    self.dependencies = dependencies
    self.layer = layer
  }

  /// The queue the instruction runs on, implied by its operation.
  public var queue: Queue { operation.queue }
  /// The assembly mnemonic: `load`, `matmul`, `vadd`, ...
  public var mnemonic: String { operation.mnemonic }
}

/// One of the machine's three instruction queues.
public enum Queue: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
  /// DRAM → on-chip transfers (`load`).
  case load
  /// The array, the activation unit, the vector unit, host fallbacks (`loadWeights`, `matmul`,
  /// `activate`, `vector`, `host`, `finish`).
  case compute
  /// On-chip → DRAM transfers (`store`).
  case store

  /// The text used in messages and assembly.
  public var description: String { rawValue }
}

/// The four dependency-token flags of an instruction (TVM-VTA's `pop_prev_dep`, `pop_next_dep`,
/// `push_prev_dep`, `push_next_dep`).
///
/// "Prev" and "next" are relative to the instruction's queue in the order load → compute →
/// store: the load queue has no previous queue, the store queue no next one. A pop waits until a
/// token is available on that channel and consumes it before the instruction starts; a push
/// adds a token after the instruction has finished (its writes are visible).
///
/// | queue   | flag       | channel            | meaning                                        |
/// |---------|------------|--------------------|------------------------------------------------|
/// | load    | push_next  | load → compute     | data I loaded is ready for compute (RAW)       |
/// | load    | pop_next   | compute → load     | compute has released a buffer I overwrite (WAR)|
/// | compute | pop_prev   | load → compute     | wait for loaded data                           |
/// | compute | push_prev  | compute → load     | I am done reading a buffer load may refill     |
/// | compute | push_next  | compute → store    | results I wrote are ready to store             |
/// | compute | pop_next   | store → compute    | store has drained a buffer I overwrite         |
/// | store   | pop_prev   | compute → store    | wait for results                               |
/// | store   | push_prev  | store → compute    | I have read the buffer; compute may reuse it   |
public struct DependencyFlags: OptionSet, Hashable, Sendable, CustomStringConvertible {
  /// The flag bits: 1 pop_prev, 2 pop_next, 4 push_prev, 8 push_next.
  public var rawValue: UInt8
  /// Creates flags from their bits.
  public init(rawValue: UInt8) { self.rawValue = rawValue }

  /// Wait for and consume a token from the previous queue.
  public static let popPrev = DependencyFlags(rawValue: 1 << 0)
  /// Wait for and consume a token from the next queue.
  public static let popNext = DependencyFlags(rawValue: 1 << 1)
  /// After finishing, send a token to the previous queue.
  public static let pushPrev = DependencyFlags(rawValue: 1 << 2)
  /// After finishing, send a token to the next queue.
  public static let pushNext = DependencyFlags(rawValue: 1 << 3)

  /// Every flag with its assembly name, in printing order.
  public static let named: [(flag: DependencyFlags, name: String)] = [
    (.popPrev, "pop_prev"), (.popNext, "pop_next"), (.pushPrev, "push_prev"), (.pushNext, "push_next"),
  ]

  /// `pop_prev,push_next`, or `none`.
  public var description: String {
    let names = Self.named.filter { contains($0.flag) }.map(\.name)
    return names.isEmpty ? "none" : names.joined(separator: ",")
  }
}

/// What an instruction does. The operation implies the queue.
public enum Operation: Hashable, Sendable {
  /// DRAM or arena → on-chip memory, 2-D strided (load queue). See `DMA2D`.
  case load(DMA2D)
  /// On-chip memory → DRAM or arena, 2-D strided (store queue). See `DMA2D`.
  case store(DMA2D)
  /// Weight buffer → one of the array's two weight slots (compute queue). See `LoadWeights`.
  case loadWeights(LoadWeights)
  /// Unified buffer (through the im2col address generator) × weight slot → accumulator rows
  /// (compute queue). See `Matmul`.
  case matmul(Matmul)
  /// Accumulator rows → bias, requantization, zero point, clamp → int8 in the unified buffer
  /// (compute queue). See `Activate`.
  case activate(Activate)
  /// The vector unit: elementwise arithmetic, pooling, requantization and copies, unified
  /// buffer → unified buffer (compute queue). See `VectorOperation`.
  case vector(VectorOperation)
  /// Run a host-fallback task on DRAM (compute queue). See `HostTask`.
  case host(HostTaskIndex)
  /// Do nothing on the given queue (carries dependency flags).
  case nop(Queue)
  /// End of program: the machine halts once every queue has drained (compute queue).
  case finish

  /// The queue the operation runs on.
  public var queue: Queue {
    switch self {
    case .load: .load
    case .store: .store
    case .nop(let queue): queue
    case .loadWeights, .matmul, .activate, .vector, .host, .finish: .compute
    }
  }

  /// The assembly mnemonic.
  public var mnemonic: String {
    switch self {
    case .load: "load"
    case .store: "store"
    case .loadWeights: "load_weights"
    case .matmul: "matmul"
    case .activate: "activate"
    case .vector(let v): v.mnemonic
    case .host: "host"
    case .nop: "nop"
    case .finish: "finish"
    }
  }
}

/// A 2-D strided DMA transfer between a backing memory (DRAM or the activation arena) and an
/// on-chip memory (`load` and `store`).
///
/// `rows` rows of `rowBytes` bytes; consecutive rows are `dramStrideBytes` apart in the backing
/// memory and `sramStrideBytes` apart on chip. With `backing == .dram` (the default) the
/// `dram…` fields address DRAM; with `.arena` they address the activation arena
/// (`MemorySpace.arena`, `TileProgram.arenaSize` bytes). A load performs exactly:
///
/// ```swift
/// let BACKING = backing == .dram ? DRAM : ARENA
/// for r in 0..<rows {
///   for b in 0..<rowBytes {
///     SRAM[memory][sramAddress + r*sramStrideBytes + b] = BACKING[dramAddress + r*dramStrideBytes + b]
///   }
/// }
/// ```
///
/// and a store the same with source and destination swapped. For the accumulator the on-chip
/// side is its byte view (row-major little-endian `Int32`s); `sramAddress`, `sramStrideBytes` and
/// `rowBytes` must then be multiples of 4.
public struct DMA2D: Hashable, Sendable {
  /// The on-chip memory read (store) or written (load).
  public var memory: OnChipMemory
  /// First on-chip byte.
  public var sramAddress: SRAMAddress
  /// Bytes between the starts of consecutive rows on chip.
  public var sramStrideBytes: Int
  /// First byte in the backing memory (DRAM, or the arena when `backing == .arena`).
  public var dramAddress: DRAMAddress
  /// Bytes between the starts of consecutive rows in the backing memory.
  public var dramStrideBytes: Int
  /// Number of rows (≥ 1).
  public var rows: Int
  /// Bytes per row (≥ 1).
  public var rowBytes: Int
  /// The memory `dramAddress` and `dramStrideBytes` address: DRAM (the default) or the
  /// activation arena.
  public var backing: BackingMemory
  /// A load of parameters that stay in the weight buffer across inferences (the architecture's
  /// `memory.parameters_resident`): a runtime with parameter caching performs it once, when the
  /// model is loaded. It moves the same bytes (functional results do not change); a timing
  /// simulation of a steady-state inference completes it at once, with no traffic, and counts
  /// its bytes as resident. Only for DRAM → weight-buffer loads.
  public var resident: Bool = false
  /// A transfer whose far side is the host's memory across the host link (`host.link_gbps`,
  /// `host.latency_us`) instead of the accelerator's DRAM: TPU v1's `Read_Host_Memory` and
  /// `Write_Host_Memory`, which move a batch's inputs into the Unified Buffer and its outputs
  /// back over PCIe (Jouppi et al., ISCA 2017 §2) on chips whose DRAM holds weights only
  /// (`memory.io_over_host_link`). Functionally the bytes are the same bytes at the same address
  /// of the program's DRAM image, which stands for the host's copy of the network's inputs and
  /// outputs; only the timing differs. Only for DRAM ↔ unified-buffer transfers.
  public var hostLink: Bool = false

  /// Creates a transfer; strides default to `rowBytes` (one contiguous block), the backing
  /// memory to DRAM.
  public init(
    memory: OnChipMemory, sramAddress: SRAMAddress, sramStrideBytes: Int? = nil,
    dramAddress: DRAMAddress, dramStrideBytes: Int? = nil, rows: Int, rowBytes: Int, backing: BackingMemory = .dram
  ) {
    self.backing = backing
    self.memory = memory
    self.sramAddress = sramAddress
    self.sramStrideBytes = sramStrideBytes ?? rowBytes
    self.dramAddress = dramAddress
    self.dramStrideBytes = dramStrideBytes ?? rowBytes
    self.rows = rows
    self.rowBytes = rowBytes
  }

  /// Total bytes moved: `rows · rowBytes`.
  public var totalBytes: Int { rows &* rowBytes }
}

/// One of the array's two weight slots (double buffering: the next tile loads into one slot
/// while `matmul` streams through the other).
public enum WeightSlot: Int, Hashable, Sendable, CaseIterable, CustomStringConvertible {
  /// Slot 0.
  case first = 0
  /// Slot 1.
  case second = 1

  /// The text used in messages and assembly.
  public var description: String { String(rawValue) }
}

/// How a weight tile is stored in the weight buffer: one byte per weight, or packed 4 or 2 bits
/// per weight (expanded to int8 by the weight loader on its way into the array).
///
/// Within a row, value n occupies bits `(n·bits) mod 8 …` of byte `(n·bits) / 8`, least
/// significant bits first, in two's complement: int4 puts the first value of each pair in the low
/// nibble (TFLite's INT4 packing), int2 four values per byte, the first in bits 0–1. Each tile
/// row starts on a byte (`rowStrideBytes` apart) and occupies ⌈columns·bits / 8⌉ bytes.
///
/// `ternaryGrouped` stores 2-bit sign codes like `int2` (0b01 = +1, 0b00 = 0, 0b11 = −1; 0b10 is
/// reserved) plus a table of int8 levels, one per block of tile rows and column
/// (``GroupLevels``): the loader writes `code × level` into the array — fine-grained ternary
/// weights (Mellempudi et al. 2017), whose per-group scale lives in the level.
public enum WeightPacking: String, CaseIterable, Hashable, Sendable, CustomStringConvertible {
  /// One int8 byte per weight.
  case int8
  /// Two signed 4-bit weights per byte (−8…7).
  case int4
  /// Four signed 2-bit weights per byte (−2…1; ternary −1/0/1 uses codes 0b11/0b00/0b01).
  case int2
  /// Four ternary sign codes per byte, scaled by a per-(row block, column) level table.
  case ternaryGrouped = "ternary-grouped"

  /// Bits per weight: 8, 4 or 2.
  public var bits: Int {
    switch self {
    case .int8: 8
    case .int4: 4
    case .int2, .ternaryGrouped: 2
    }
  }

  /// Whether the loader scales codes by a level table (``LoadWeights/levels``).
  public var hasLevels: Bool { self == .ternaryGrouped }

  /// The packing of `bits`-bit weights (8, 4 or 2), `nil` for other widths.
  public init?(bits: Int) {
    switch bits {
    case 8: self = .int8
    case 4: self = .int4
    case 2: self = .int2
    default: return nil
    }
  }

  /// Whether weights are stored below one byte each (and the loader unpacks them).
  public var isPacked: Bool { self != .int8 }

  /// Bytes one row of `columns` weights occupies: ⌈columns·bits / 8⌉.
  public func rowBytes(columns: Int) -> Int { (columns * bits + 7) / 8 }

  /// `int8`, `int4`, `int2`, `ternary-grouped` (the assembly name).
  public var description: String { rawValue }
}

/// The level table of a `ternary-grouped` weight tile: tile rows are cut into blocks of `group`
/// rows, the first block `phase` rows short (so block boundaries can follow the groups of the
/// tensor the tile was cut from); block `b` of column `n` has the level at
/// `address + b·columns + n`, one byte in 0…127.
///
/// ```swift
/// let block = (phase + k) / group                       // tile row k
/// SLOT[slot][k][n] = code(k, n) × Int8(WB[address + block*columns + n])
/// ```
///
/// The table holds ``blocks(rows:)`` × columns bytes. A packed tile's rows are byte-aligned as
/// for `int2`.
public struct GroupLevels: Hashable, Sendable {
  /// First byte of the table in the weight buffer.
  public var address: SRAMAddress
  /// Tile rows per block (≥ 1).
  public var group: Int
  /// Rows the first block is short: 0 ≤ phase < group.
  public var phase: Int

  public init(address: SRAMAddress, group: Int, phase: Int = 0) {
    self.address = address
    self.group = group
    self.phase = phase
  }

  /// Blocks a tile of `rows` rows spans: ⌈(phase + rows) / group⌉ (the last row's block + 1);
  /// 0 for an empty tile or a group below 1, `nil` when the arithmetic overflows.
  public func blocks(rows: Int) -> Int? {
    guard group > 0, rows > 0, phase >= 0 else { return 0 }
    let (last, overflow) = phase.addingReportingOverflow(rows - 1)
    return overflow ? nil : last / group + 1
  }

  /// Bytes of the table for a `rows` × `columns` tile; `nil` when the arithmetic overflows.
  public func tableBytes(rows: Int, columns: Int) -> Int? {
    guard let b = blocks(rows: rows) else { return nil }
    let (bytes, overflow) = b.multipliedReportingOverflow(by: max(columns, 0))
    return overflow ? nil : bytes
  }

  /// The block of tile row `k`.
  public func block(ofRow k: Int) -> Int { (phase + k) / group }
}

/// Weight buffer → a weight slot of the array: a `rows` × `columns` tile of int8 weights, read
/// as bytes or unpacked from 4- or 2-bit storage (`packing`).
///
/// ```swift
/// SLOT[slot] = Tile(rows: rows, columns: columns)     // replaces the slot's previous tile
/// let b = packing.bits                                 // 8, 4 or 2
/// for k in 0..<rows {
///   for n in 0..<columns {
///     let bit = n * b                                  // row k starts on a byte
///     let byte = Int(WB[wbAddress + k*rowStrideBytes + bit / 8])
///     let field = (byte >> (bit % 8)) & (1 << b − 1)   // least significant bits first
///     SLOT[slot][k][n] = Int8(field >= 1 << (b − 1) ? field − (1 << b) : field)   // sign-extend
///   }
/// }
/// ```
///
/// With `packing == .int8` this is `SLOT[slot][k][n] = Int8(bitPattern: WB[wbAddress +
/// k*rowStrideBytes + n])`. Row k reads `⌈columns·b / 8⌉` bytes from `wbAddress +
/// k·rowStrideBytes`. With `packing == .ternaryGrouped` the sign-extended field is a ternary
/// code (0b10 is an execution error) multiplied by its block's level (``GroupLevels``; a level
/// above 127 is an execution error), and the loader also reads the level table.
/// Packed tiles need the int8 datapath. `rows` ≤ the array's rows,
/// `columns` ≤ its columns. A `matmul` may use the first K ≤ `rows` rows and N ≤ `columns`
/// columns of the tile; reading beyond the loaded tile is an error.
public struct LoadWeights: Hashable, Sendable {
  /// The slot written.
  public var slot: WeightSlot
  /// First byte of the tile in the weight buffer.
  public var wbAddress: SRAMAddress
  /// K: tile rows (the reduction dimension).
  public var rows: Int
  /// N: tile columns (output channels).
  public var columns: Int
  /// Bytes between the starts of consecutive tile rows in the weight buffer.
  public var rowStrideBytes: Int
  /// How the weights are stored: bytes, or packed 4 or 2 bits per weight.
  public var packing: WeightPacking
  /// The level table of a `ternary-grouped` tile; `nil` for every other packing.
  public var levels: GroupLevels?

  /// Creates a weight-tile load; the row stride defaults to a dense tile, `columns` bytes per
  /// row (⌈columns·bits / 8⌉ when packed).
  public init(
    slot: WeightSlot, wbAddress: SRAMAddress, rows: Int, columns: Int, rowStrideBytes: Int? = nil,
    packing: WeightPacking = .int8, levels: GroupLevels? = nil
  ) {
    self.slot = slot
    self.wbAddress = wbAddress
    self.rows = rows
    self.columns = columns
    self.packing = packing
    self.levels = levels
    self.rowStrideBytes = rowStrideBytes ?? packing.rowBytes(columns: columns)
  }

  /// Weight-buffer bytes of the level table (0 without one or when it overflows; the checks
  /// reject such a tile).
  public var levelTableBytes: Int { levels.map { $0.tableBytes(rows: rows, columns: columns) ?? 0 } ?? 0 }

  /// Weight-buffer bytes each row reads: `columns × elementBytes` unpacked, ⌈columns·bits / 8⌉
  /// packed.
  public func rowBytes(elementBytes: Int) -> Int {
    packing.isPacked ? packing.rowBytes(columns: columns) : columns * elementBytes
  }
}

/// An NHWC image tile (one batch element) in the unified buffer, as the im2col address
/// generator and the pooling unit read it.
///
/// Pixel `(ih, iw)` starts at byte `address + (ih·width + iw)·pixelStrideBytes`; the channels
/// read are `channelOffset ..< channelOffset + channelCount` of each pixel (one byte each for
/// int8, four for float32).
public struct FeatureMap: Hashable, Sendable {
  /// Byte address of pixel (0, 0).
  public var address: SRAMAddress
  /// Rows of the tile.
  public var height: Int
  /// Columns of the tile.
  public var width: Int
  /// Bytes between adjacent pixels (≥ (channelOffset + channelCount) × element size).
  public var pixelStrideBytes: Int
  /// First channel read.
  public var channelOffset: Int
  /// Number of channels read.
  public var channelCount: Int

  /// Creates a feature-map descriptor.
  public init(
    address: SRAMAddress, height: Int, width: Int, pixelStrideBytes: Int, channelOffset: Int = 0,
    channelCount: Int
  ) {
    self.address = address
    self.height = height
    self.width = width
    self.pixelStrideBytes = pixelStrideBytes
    self.channelOffset = channelOffset
    self.channelCount = channelCount
  }
}

/// A sliding-window geometry shared by `matmul` (convolution through im2col) and pooling.
///
/// Output pixel `(oh, ow)` and kernel tap `(kh, kw)` read input pixel
/// `ih = oh·strideHeight − padTop + kh·dilationHeight`,
/// `iw = ow·strideWidth − padLeft + kw·dilationWidth`; taps outside the input tile are padding.
public struct Window: Hashable, Sendable {
  /// Output rows.
  public var outHeight: Int
  /// Output columns.
  public var outWidth: Int
  /// Kernel rows.
  public var kernelHeight: Int
  /// Kernel columns.
  public var kernelWidth: Int
  /// Input rows between consecutive output rows.
  public var strideHeight: Int
  /// Input columns between consecutive output columns.
  public var strideWidth: Int
  /// Input rows between consecutive kernel rows.
  public var dilationHeight: Int
  /// Input columns between consecutive kernel columns.
  public var dilationWidth: Int
  /// Rows of implicit padding above the tile (may be negative: the window starts inside it).
  public var padTop: Int
  /// Columns of implicit padding left of the tile (may be negative).
  public var padLeft: Int

  /// Creates a window geometry.
  public init(
    outHeight: Int, outWidth: Int, kernelHeight: Int = 1, kernelWidth: Int = 1, strideHeight: Int = 1,
    strideWidth: Int = 1, dilationHeight: Int = 1, dilationWidth: Int = 1, padTop: Int = 0, padLeft: Int = 0
  ) {
    self.outHeight = outHeight
    self.outWidth = outWidth
    self.kernelHeight = kernelHeight
    self.kernelWidth = kernelWidth
    self.strideHeight = strideHeight
    self.strideWidth = strideWidth
    self.dilationHeight = dilationHeight
    self.dilationWidth = dilationWidth
    self.padTop = padTop
    self.padLeft = padLeft
  }

  /// Output pixels: `outHeight · outWidth`.
  public var outputPixels: Int { outHeight &* outWidth }
  /// Kernel taps: `kernelHeight · kernelWidth`.
  public var taps: Int { kernelHeight &* kernelWidth }
}

/// Streams input rows through the array into accumulator rows.
///
/// The input is read from the unified buffer through the im2col address generator, so a
/// convolution never materializes its K × P patch matrix. With `C = input.channelCount`,
/// `K = kernelHeight·kernelWidth·C` (≤ array rows), `N = columns` (≤ array columns) and
/// `P = outHeight·outWidth` accumulator rows, exactly:
///
/// ```swift
/// for oh in 0..<outHeight, ow in 0..<outWidth {                 // p = oh*outWidth + ow
///   for n in 0..<N {
///     var acc: Int32 = accumulate ? ACC[accRow + p][n] : 0
///     for kh in 0..<kernelHeight, kw in 0..<kernelWidth, c in 0..<C {
///       let k = (kh*kernelWidth + kw)*C + c
///       guard c / (C/groups) == n / (N/groups) else { continue }   // block-diagonal groups
///       let ih = oh*strideHeight - padTop + kh*dilationHeight
///       let iw = ow*strideWidth - padLeft + kw*dilationWidth
///       guard 0 <= ih && ih < height && 0 <= iw && iw < width else { continue }   // padding
///       let x = Int32(Int8(bitPattern: UB[address + (ih*width + iw)*pixelStrideBytes
///                                          + channelOffset + c])) - Int32(inputZeroPoint)
///       acc &+= x &* Int32(SLOT[weightSlot][k][n])
///     }
///     ACC[accRow + p][n] = acc
///   }
/// }
/// ```
///
/// Operands entering the array are 9-bit signed (`x − zp` ∈ −255...255); padded taps contribute
/// exactly zero, as TFLite's reference convolution skips out-of-image taps. A plain GEMM
/// (FULLY_CONNECTED, BATCH_MATMUL) is the case height = 1, width = P, a 1 × 1 kernel. With
/// `groups` > 1 the K × N tile is block-diagonal (DEPTHWISE_CONV_2D: `groups = C = N`); only
/// in-group products are performed and counted. `dataflow` changes timing only.
public struct Matmul: Hashable, Sendable {
  /// The input tile in the unified buffer.
  public var input: FeatureMap
  /// The convolution window (output size, kernel, stride, dilation, padding).
  public var window: Window
  /// Subtracted from every in-image input byte.
  public var inputZeroPoint: Int8
  /// The weight slot multiplied.
  public var weightSlot: WeightSlot
  /// N: output columns computed (≤ the slot's columns).
  public var columns: Int
  /// Number of block-diagonal groups (≥ 1; divides both C and N).
  public var groups: Int
  /// First accumulator row written (row `accRow + p` for output pixel p).
  public var accRow: AccumulatorRow
  /// Add to the accumulator rows instead of overwriting them.
  public var accumulate: Bool
  /// The dataflow the timing model uses.
  public var dataflow: Dataflow

  /// Creates a matmul.
  public init(
    input: FeatureMap, window: Window, inputZeroPoint: Int8 = 0, weightSlot: WeightSlot, columns: Int,
    groups: Int = 1, accRow: AccumulatorRow, accumulate: Bool = false,
    dataflow: Dataflow = .weightStationary
  ) {
    self.input = input
    self.window = window
    self.inputZeroPoint = inputZeroPoint
    self.weightSlot = weightSlot
    self.columns = columns
    self.groups = groups
    self.accRow = accRow
    self.accumulate = accumulate
    self.dataflow = dataflow
  }

  /// K: `kernelHeight · kernelWidth · channelCount`, the weight rows used.
  public var reductionSize: Int { window.taps &* input.channelCount }
  /// Multiply-accumulates performed: `P · K · N / groups` (padding taps included: they occupy
  /// the array like any other). Meaningful for a verified instruction (the product wraps for
  /// nonsense fields).
  public var macCount: Int { (window.outputPixels &* reductionSize &* columns) / max(groups, 1) }
}

extension Matmul {
  /// Which operand stays in the processing elements. It changes the timing of `matmul` only,
  /// never its result. The raw values match `Architecture.Dataflow`'s.
  public enum Dataflow: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// Weights stay; inputs stream through (TPU v1).
    case weightStationary = "ws"
    /// Partial sums stay; inputs and weights stream.
    case outputStationary = "os"
    /// Inputs stay; weights stream.
    case inputStationary = "is"

    /// The text used in messages and assembly.
    public var description: String { rawValue }
  }
}

/// How `activate` rescales an accumulator to the output scale.
public enum RequantMode: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
  /// TFLite's `MultiplyByQuantizedMultiplier(acc, multiplier, shift)` (double rounding), as the
  /// reference CONV_2D and DEPTHWISE_CONV_2D kernels do. Parameter entry: bias, multiplier, shift.
  case fixedPoint = "fixed"
  /// `round_half_away_from_zero(Double(acc) · scale)`, as TFLite 2.21's reference
  /// FULLY_CONNECTED kernel does. Parameter entry: bias, Float64 scale.
  case floatScale = "float"
  // issue 14: lstm
  /// `.fixedPoint` without zero point or clamp, saturated to int16 and written as two
  /// little-endian bytes per channel: the integer LSTM's gate pre-activations
  /// (`CalculateLstmGateInteger8x8_16`'s input half). Parameter entry as `.fixedPoint`.
  case fixedPointInt16 = "fixed16"
  /// As `.fixedPointInt16`, saturating-added to the int16 already at the destination (the
  /// recurrent half of a gate onto its input half).
  case fixedPointInt16Add = "fixed16_add"

  /// Bytes each channel's result occupies at the destination (per datapath element byte).
  public var outputElementBytes: Int { self == .fixedPointInt16 || self == .fixedPointInt16Add ? 2 : 1 }

  /// The text used in messages and assembly.
  public var description: String { rawValue }
}

/// A pixel grid written to the unified buffer: pixel `(r, x)` starts at byte
/// `address + r·rowStrideBytes + x·pixelStrideBytes`; its channels follow one byte each.
public struct PixelDestination: Hashable, Sendable {
  /// Byte address of pixel (0, 0), channel 0.
  public var address: SRAMAddress
  /// Bytes between horizontally adjacent pixels.
  public var pixelStrideBytes: Int
  /// Bytes between vertically adjacent pixels.
  public var rowStrideBytes: Int

  /// Creates a destination descriptor.
  public init(address: SRAMAddress, pixelStrideBytes: Int, rowStrideBytes: Int) {
    self.address = address
    self.pixelStrideBytes = pixelStrideBytes
    self.rowStrideBytes = rowStrideBytes
  }
}

/// Accumulator rows → bias add → per-channel requantization → output zero point → clamp → int8
/// in the unified buffer.
///
/// Reads `height · width` accumulator rows (P, in the order `matmul` wrote them) and `columns`
/// channels of each; channel j's parameters are the 12-byte entry at
/// `paramAddress + 12·j` in the weight buffer (`ActivationParameters`). Exactly:
///
/// ```swift
/// for r in 0..<height, x in 0..<width {                    // p = r*width + x
///   for j in 0..<columns {
///     let acc = ACC[accRow + p][j] &+ bias[j]
///     let scaled: Int32 = switch mode {
///       case .fixedPoint: MultiplyByQuantizedMultiplier(acc, multiplier[j], shift[j])
///       case .floatScale: saturatingInt32(roundHalfAwayFromZero(Double(acc) * scale[j]))
///       case .fixedPointInt16, .fixedPointInt16Add: MultiplyByQuantizedMultiplier(acc, …)  // issue 14: lstm
///     }
///     // issue 14: lstm — the int16 modes skip the zero point and clamp and write 2 bytes at
///     // `… + 2j`: Int16(clamping: scaled), or for `.fixedPointInt16Add`
///     // Int16(clamping: Int32(old int16 there) + scaled).
///     let y = min(max(Int(scaled) + Int(outputZeroPoint), Int(clamp.lowerBound)),
///                 Int(clamp.upperBound))
///     UB[destination.address + r*rowStrideBytes + x*pixelStrideBytes + j] = UInt8(bitPattern: Int8(y))
///   }
/// }
/// ```
public struct Activate: Hashable, Sendable {
  /// First accumulator row read.
  public var accRow: AccumulatorRow
  /// Output rows of the tile.
  public var height: Int
  /// Output columns of the tile (P = height · width accumulator rows).
  public var width: Int
  /// Channels per row (≤ array columns).
  public var columns: Int
  /// Byte address of channel 0's parameter entry in the weight buffer.
  public var paramAddress: SRAMAddress
  /// How to rescale.
  public var mode: RequantMode
  /// Added after rescaling.
  public var outputZeroPoint: Int8
  /// The fused activation's range, applied last.
  public var clamp: ClosedRange<Int8>
  /// Where the int8 results go.
  public var destination: PixelDestination

  /// Creates an activate.
  public init(
    accRow: AccumulatorRow, height: Int, width: Int, columns: Int, paramAddress: SRAMAddress,
    mode: RequantMode, outputZeroPoint: Int8, clamp: ClosedRange<Int8> = -128...127,
    destination: PixelDestination
  ) {
    self.accRow = accRow
    self.height = height
    self.width = width
    self.columns = columns
    self.paramAddress = paramAddress
    self.mode = mode
    self.outputZeroPoint = outputZeroPoint
    self.clamp = clamp
    self.destination = destination
  }

  /// P: accumulator rows read.
  public var pixels: Int { height &* width }
}
