import Architecture
import GraphIR
import Support
import TileISA

/// The compiler's state: the model, the architecture, and one `Layer` per graph operator, filled
/// in pass by pass (legalize sets placement and work, fuse the epilogues, tiling the tiles,
/// allocate the memory plan, schedule the instructions, emit the program).
struct LoweringState {
  /// The model being compiled.
  let model: Model
  /// Its main graph (with run-time shapes resolved by legalize).
  var graph: Graph
  /// Operators whose outputs legalize folded into constants (shape arithmetic).
  var foldedOperators: Set<Int> = []
  /// The target.
  let arch: ArchSpec
  /// The compiler's knobs.
  let options: LoweringOptions
  /// Bytes per activation or weight element in the machine: 1 (int8) or 4 (float32).
  let elementBytes: Int
  /// One entry per graph operator, in graph order.
  var layers: [Layer] = []
  /// For each tensor, the tensor whose DRAM bytes it uses (aliases point at their source).
  var storageRoot: [Int]
  /// Unified-buffer bytes each layer's working buffers may use (after `tiling`;
  /// `ChooseTiles.workingBudget`).
  var workingBudget: Int?
  /// The memory plan (after `allocate`).
  var plan: MemoryPlan?
  /// The instruction stream with dependency flags (after `schedule`).
  var builder: ProgramBuilder?
  /// Host tasks in emission order (after `schedule`).
  var hostTasks: [(task: HostTask, descriptor: HostTaskDescriptor)] = []
  /// Per-layer counters gathered while scheduling.
  var stats: [LayerStats] = []
  /// The result (after `emit`).
  var result: CompiledModel?

  init(model: Model, arch: ArchSpec, options: LoweringOptions) {
    self.model = model
    self.graph = model.main
    self.arch = arch
    self.options = options
    self.elementBytes = arch.datapath.elementBytes
    self.storageRoot = Array(0..<model.main.tensors.count)
  }

  /// The datapath as the ISA names it.
  var datapath: TileProgram.Datapath { arch.datapath == .int8 ? .int8 : .float32 }

  /// The tensor whose storage `id` shares.
  func root(_ id: TensorID) -> TensorID {
    var i = id.index
    while storageRoot[i] != i { i = storageRoot[i] }
    return TensorID(i)
  }

  /// Bytes per element of `tensor` in DRAM: the datapath's element size for int8/uint8 (and
  /// float32) tensors on a float32 datapath, the natural width otherwise.
  func storageElementBytes(_ tensor: Tensor) -> Int {
    if elementBytes == 4, tensor.elementType == .int8 || tensor.elementType == .uint8 { return 4 }
    return tensor.elementType.byteWidth
  }

  /// Bytes `tensor` occupies in DRAM.
  func storageBytes(_ tensor: Tensor) -> Int { tensor.elementCount * storageElementBytes(tensor) }

  /// `op #3 CONV_2D 'conv1'`.
  func location(_ index: Int) -> String {
    let op = graph.operators[index]
    let name = op.outputs.first.flatMap { $0.index >= 0 && $0.index < graph.tensors.count ? graph[$0].name : nil }
    return "op #\(index) \(op.kind.tfliteName)" + (name.map { " '\(shortName($0))'" } ?? "")
  }
}

/// One graph operator as the compiler sees it.
struct Layer {
  /// The operator's index in the main graph.
  let index: Int
  /// Its TFLite name.
  let opName: String
  /// Its output tensor's name (or the op name when it has no output).
  let name: String
  /// Where it runs.
  var placement: Placement
  /// Why.
  var reason: String
  /// What to do.
  var work: Work
}

/// The work of one layer, by where it runs.
enum Work {
  /// A matrix product on the array (CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, BATCH_MATMUL).
  case matrix(MatrixWork)
  /// ADD, SUB or MUL on the vector unit.
  case binary(BinaryWork)
  /// MAX_POOL_2D or AVERAGE_POOL_2D on the vector unit.
  case pool(PoolWork)
  /// `vrequant` over a flat tensor (RELU family, QUANTIZE int8 → int8).
  case unary(UnaryWork)
  /// `vsoftmax` over the rows of the last dimension (SOFTMAX int8 → int8).
  case softmax(SoftmaxWork)
  /// `vmean` over the pixels of each image (MEAN over axes [1, 2], int8 → int8).
  case mean(MeanWork)
  /// DMA copies through the unified buffer (CONCATENATION, PAD).
  case copy(CopyWork)
  // issue 14: resize
  /// `vresize` over blocks of output rows (RESIZE_BILINEAR int8).
  case resize(ResizeWork)
  // issue 14: lstm
  /// An int8 UNIDIRECTIONAL_SEQUENCE_LSTM: gate matmuls on the array, `vlstm` on the vector unit.
  case lstm(LSTMWork)
  /// A host task.
  case host(HostWork)
  /// No work: the output shares the input's storage.
  case alias
  /// Folded into layer `into`.
  case fused(into: Int)
}

// MARK: - Matrix layers

/// A matrix product in convolution form: an NHWC input, a window, N output channels.
///
/// FULLY_CONNECTED is the case H = 1, W = rows, C = depth, 1 × 1 kernel; BATCH_MATMUL is a
/// FULLY_CONNECTED per batch whose weights come from an activation tensor.
struct MatrixWork {
  enum Kind: String {
    case conv = "CONV_2D", depthwise = "DEPTHWISE_CONV_2D", fullyConnected = "FULLY_CONNECTED"
    case batchMatMul = "BATCH_MATMUL"
  }
  var kind: Kind
  /// The activation read through the im2col address generator.
  var input: TensorID
  /// The result.
  var output: TensorID
  /// Element offsets of each batch's input and output (batch b of a convolution, one output
  /// matrix of a BATCH_MATMUL).
  var inputOffsets: [Int]
  var outputOffsets: [Int]
  var inH: Int, inW: Int, inC: Int
  /// The input is stored channel-major (BATCH_MATMUL adj_x): element (p, c) at `c·inW + p`.
  var inputTransposed: Bool
  var outH: Int, outW: Int
  /// N: output channels.
  var outC: Int
  var kernelH: Int, kernelW: Int
  var strideH: Int, strideW: Int
  var dilationH: Int, dilationW: Int
  var padTop: Int, padLeft: Int
  /// DEPTHWISE_CONV_2D's channel multiplier (1 otherwise).
  var depthMultiplier: Int
  var inputZeroPoint: Int8
  var weights: WeightSource
  /// Quantization facts the fuse pass turns into the epilogue.
  var quantization: MatrixQuantization
  /// Bias, requantization and clamp per output channel (after `fuse`).
  var epilogue: Epilogue?
  /// Multiply-accumulates of the operator.
  var macs: Int
  /// Chosen tiles (after `tiling`).
  var tiling: MatrixTiling?
  /// How constant weights are stored in DRAM and the weight buffer: bytes, or packed 4 or 2
  /// bits per weight and expanded by `load_weights` (int8 datapath only).
  var weightPacking: WeightPacking = .int8
  /// `ternary-grouped` layers: the weights per group along each output channel
  /// (`Tensor.packedGroupSize`), which sets the level table's block height.
  var weightGroupSize: Int? = nil
  /// TRANSPOSE_CONV's stride phases: the output channels are phases stored with a pixel stride
  /// (`PhaseInterleave`); nil: the output is stored densely as `outH × outW × outC`.
  var outputInterleave: PhaseInterleave? = nil

  var batchCount: Int { inputOffsets.count }
  /// Bytes `elements` weights of this layer occupy: `elements × eb`, or one tile row of
  /// `elements` packed weights, ⌈elements·bits / 8⌉.
  func weightRowBytes(_ elements: Int, _ eb: Int) -> Int {
    weightPacking.isPacked ? weightPacking.rowBytes(columns: elements) : elements * eb
  }

  /// The level-table geometry of a `ternary-grouped` tile cut as `chunk` (address 0: the
  /// table follows the tile's rows); `nil` for other packings.
  ///
  /// The phase aligns block boundaries with the tensor's groups: a dense layer's tile row 0 is
  /// element `(tap · C + channel0)` of each output channel (OHWI order), so it sits
  /// `that mod N` rows into its group; depthwise tiles start blocks at row 0.
  func levelGeometry(_ chunk: KChunk) -> GroupLevels? {
    guard weightPacking.hasLevels, let n = weightGroupSize, n >= 1 else { return nil }
    let phase =
      isDepthwise ? 0 : ((chunk.taps.row0 * kernelW + chunk.taps.col0) * inC + chunk.channel0) % n
    return GroupLevels(address: SRAMAddress(0), group: n, phase: phase)
  }

  /// Bytes of a `rows` × `columns` weight tile with its level table, for any phase (an upper
  /// bound the tile-size search uses; the allocator lays out the exact table).
  func weightTileBytes(rows: Int, columns: Int, _ eb: Int) -> Int {
    var bytes = rows * weightRowBytes(columns, eb)
    if weightPacking.hasLevels, let n = weightGroupSize, n >= 1 {
      bytes += (GroupLevels(address: SRAMAddress(0), group: n, phase: n - 1).blocks(rows: rows) ?? rows) * columns
    }
    return bytes
  }

  /// Bytes of the level table of the tile cut as `chunk` with `columns` columns (0 unless
  /// `ternary-grouped`).
  func levelTableBytes(_ chunk: KChunk, columns: Int) -> Int {
    levelGeometry(chunk)?.tableBytes(rows: chunk.rows, columns: columns) ?? 0
  }

  /// `; int4 weights, unpacked by the weight loader` for packed weights, empty otherwise (the
  /// mapping report's reason ends with it).
  var packingNote: String {
    guard weightPacking.isPacked else { return "" }
    if weightPacking.hasLevels, let n = weightGroupSize {
      return "; \(weightPacking) weights (one level per \(n) weights), unpacked by the weight loader"
    }
    return "; \(weightPacking) weights, unpacked by the weight loader"
  }

  /// The output-channel tiles and, per tile, its K chunks in matmul order.
  func kChunks(_ t: MatrixTiling) -> (nTiles: [(first: Int, width: Int)], chunks: [[KChunk]]) {
    var nTiles: [(first: Int, width: Int)] = []
    var chunks: [[KChunk]] = []
    if isDepthwise {
      for c0 in stride(from: 0, to: inC, by: t.chunkChannels) {
        let cc = min(t.chunkChannels, inC - c0)
        nTiles.append((c0 * depthMultiplier, cc * depthMultiplier))
        chunks.append(t.tapGroups.map { KChunk(channel0: c0, channels: cc, taps: $0, group: 0) })
      }
    } else {
      var list: [KChunk] = []
      for (g, g0) in stride(from: 0, to: inC, by: t.channelGroup).enumerated() {
        let groupEnd = min(inC, g0 + t.channelGroup)
        for c0 in stride(from: g0, to: groupEnd, by: t.chunkChannels) {
          let cc = min(t.chunkChannels, groupEnd - c0)
          for taps in t.tapGroups { list.append(KChunk(channel0: c0, channels: cc, taps: taps, group: g)) }
        }
      }
      for n0 in stride(from: 0, to: outC, by: t.nTile) {
        nTiles.append((n0, min(t.nTile, outC - n0)))
        chunks.append(list)
      }
    }
    return (nTiles, chunks)
  }

  /// Calls `put(source element, tile position)` for every non-zero entry of a weight tile:
  /// row k = (tap row a · tap columns + tap column b) · channels + c, column nn.
  func forEachTileEntry(_ chunk: KChunk, _ tile: (first: Int, width: Int), _ put: (Int, Int) -> Void) {
    let g = chunk.taps
    for a in 0..<g.rows {
      for b in 0..<g.cols {
        let kh = g.row0 + a
        let kw = g.col0 + b
        for c in 0..<chunk.channels {
          let row = ((a * g.cols + b) * chunk.channels + c) * tile.width
          if isDepthwise {
            // Column n belongs to channel n / m: only this channel's m columns are non-zero.
            let m = depthMultiplier
            for j in 0..<m where c * m + j < tile.width {
              put((kh * kernelW + kw) * outC + (chunk.channel0 + c) * m + j, row + c * m + j)
            }
          } else {
            let base = (kh * kernelW + kw) * inC + chunk.channel0 + c
            let step = kernelH * kernelW * inC
            for nn in 0..<tile.width { put((tile.first + nn) * step + base, row + nn) }
          }
        }
      }
    }
  }

  /// The level table of a `ternary-grouped` tile (``levelGeometry(_:)`` blocks × columns,
  /// block-major): the magnitude every non-zero weight of a block shares in each column, 0 for
  /// an all-zero block; `nil` when some block mixes two magnitudes (the tensor's groups do not
  /// line up with this tile's rows).
  func levelTable(_ chunk: KChunk, _ tile: (first: Int, width: Int), _ values: [Int8]) -> [UInt8]? {
    guard let geometry = levelGeometry(chunk), let size = geometry.tableBytes(rows: chunk.rows, columns: tile.width)
    else { return nil }
    var table = [UInt8](repeating: 0, count: size)
    var consistent = true
    values.withUnsafeBufferPointer { v in
      forEachTileEntry(chunk, tile) { element, position in
        let value = Int(v[element])
        guard value != 0, consistent else { return }
        let magnitude = UInt8(min(abs(value), 255))
        let slot = geometry.block(ofRow: position / tile.width) * tile.width + position % tile.width
        if magnitude > 127 || (table[slot] != 0 && table[slot] != magnitude) {
          consistent = false
        } else {
          table[slot] = magnitude
        }
      }
    }
    return consistent ? table : nil
  }

  /// Whether every tile of `t` can carry its weights as ternary codes plus a level table.
  func levelTablesFit(_ t: MatrixTiling) -> Bool {
    guard case .constant(.int8(let values)) = weights else { return false }
    let (nTiles, chunks) = kChunks(t)
    for (j, tile) in nTiles.enumerated() {
      for chunk in chunks[j] where levelTable(chunk, tile, values) == nil { return false }
    }
    return true
  }
  var taps: Int { kernelH * kernelW }
  var isDepthwise: Bool { kind == .depthwise }
}

/// Where a matrix layer's weights come from.
enum WeightSource {
  /// Constant weights in the TFLite layout: OHWI for CONV_2D and FULLY_CONNECTED
  /// (`[N][kh][kw][C]`), 1HWO for DEPTHWISE_CONV_2D; int8, or float32 on the float32 datapath.
  case constant(ConstantWeights)
  /// BATCH_MATMUL's right operand: `tensor` at element offset `offsets[b]` for batch b,
  /// `[K][N]` row-major, or `[N][K]` when `adjoint`; `zeroPoint` is corrected by an extra
  /// matmul with a constant tile of `−zeroPoint`.
  case activation(tensor: TensorID, offsets: [Int], adjoint: Bool, zeroPoint: Int8)
}

/// The quantization facts of a matrix layer, as the model states them.
struct MatrixQuantization {
  var inputScale: Float
  var filterScales: [Float]
  var outputScale: Float
  var outputZeroPoint: Int8
  /// One per output channel (zeros when the model has no bias).
  var bias: [Int32]
  /// The clamp of the fused activation on the output.
  var clamp: ClosedRange<Int8>
}

/// What `activate` does for a layer: per-channel parameters, output zero point, clamp.
struct Epilogue {
  var mode: RequantMode
  var parameters: [ActivationParameters]
  var outputZeroPoint: Int8
  var clamp: ClosedRange<Int8>
}

/// A rectangle of kernel taps multiplied by one matmul.
struct TapGroup: Hashable {
  var row0: Int, rows: Int, col0: Int, cols: Int
  var taps: Int { rows * cols }
}

/// A chosen tiling of a matrix layer.
struct MatrixTiling {
  var dataflow: Matmul.Dataflow
  /// Output rows and columns per spatial tile.
  var tileH: Int, tileW: Int
  /// N per matmul (depthwise: channelsPerChunk × multiplier).
  var nTile: Int
  /// Channel tiles whose accumulators live at once (dense layers).
  var nGroupTiles: Int
  /// Input channels per unified-buffer slice (depthwise: the channel chunk).
  var channelGroup: Int
  /// Input channels per K chunk.
  var chunkChannels: Int
  /// The kernel split into K chunks.
  var tapGroups: [TapGroup]
  /// Two input and output buffers instead of one.
  var doubleBuffered: Bool
  /// The cost model's figures for this choice.
  var estimate: CostEstimate
}

/// A constant weight tensor's elements (shared with the graph, never copied).
enum ConstantWeights {
  case int8([Int8])
  case float32([Float])
}

/// Stores a Float's 4 little-endian bytes at `p`.
@inline(__always)
func storeFloat(_ value: Float, _ p: UnsafeMutablePointer<UInt8>) {
  let b = value.bitPattern
  p[0] = UInt8(truncatingIfNeeded: b)
  p[1] = UInt8(truncatingIfNeeded: b >> 8)
  p[2] = UInt8(truncatingIfNeeded: b >> 16)
  p[3] = UInt8(truncatingIfNeeded: b >> 24)
}

// MARK: - Vector-unit layers

/// ADD, SUB or MUL with NumPy broadcasting, over coalesced dimensions.
struct BinaryWork {
  enum Op: String {
    case add = "ADD", sub = "SUB", mul = "MUL"
    // issue 14: vector binary/reduce
    case squaredDifference = "SQUARED_DIFFERENCE", maximum = "MAXIMUM", minimum = "MINIMUM"
    // issue 14: PRELU / L2_NORMALIZATION
    case prelu = "PRELU"
    // issue 14: vops
    case divide = "DIV", less = "LESS", logicalAnd = "LOGICAL_AND", select = "SELECT"
  }
  var op: Op
  var a: TensorID, b: TensorID, output: TensorID
  /// Output dimensions after dropping 1s and merging contiguous runs (at least one).
  var dims: [Int]
  /// Element strides of each operand per dimension (0 broadcasts).
  var aStrides: [Int], bStrides: [Int]
  /// The vector instruction's parameters (clamp included).
  var parameters: BinaryParameters
  var tiling: ElementwiseTiling?
  // issue 14: vops
  /// SELECT's condition (bool bytes), a third operand read like `a` and `b`; nil otherwise.
  var condition: TensorID? = nil
  /// Its element strides per dimension (0 broadcasts).
  var conditionStrides: [Int] = []
}

/// ADD/SUB or MUL parameters, or a `vbinary` function.
enum BinaryParameters {
  case add(AddParameters)
  case mul(MulParameters)
  // issue 14: vector binary/reduce
  case function(BinaryFunction)

  var clamp: ClosedRange<Int8> {
    switch self {
    case .add(let p): p.clamp
    case .mul(let p): p.clamp
    case .function(let f): f.clamp
    }
  }

  // issue 14: vops
  /// Whether a following RELU can become this layer's clamp (not for bool outputs or copies).
  var fusesActivation: Bool {
    if case .function(let f) = self, [.less, .logicalAnd, .select].contains(f.name) { return false }
    return true
  }

  func withClamp(_ clamp: ClosedRange<Int8>) -> BinaryParameters {
    switch self {
    case .add(var p):
      p.clamp = clamp
      return .add(p)
    case .mul(var p):
      p.clamp = clamp
      return .mul(p)
    case .function(let f):
      return .function(f.withClamp(clamp))
    }
  }
}

/// Tiles of an elementwise layer: a block of `outerTile` × `innerTile` elements.
struct ElementwiseTiling {
  var outerTile: Int
  var innerTile: Int
  var doubleBuffered: Bool
  var estimate: CostEstimate
}

/// MAX_POOL_2D or AVERAGE_POOL_2D.
struct PoolWork {
  var isMax: Bool
  var input: TensorID, output: TensorID
  var batches: Int
  var inH: Int, inW: Int, channels: Int
  var outH: Int, outW: Int
  var kernelH: Int, kernelW: Int, strideH: Int, strideW: Int
  var padTop: Int, padLeft: Int
  var clamp: ClosedRange<Int8>
  var tiling: PoolTiling?
}

/// Tiles of a pooling layer.
struct PoolTiling {
  var tileH: Int, tileW: Int
  var channels: Int
  var doubleBuffered: Bool
  var estimate: CostEstimate
}

/// `vrequant` over a flat tensor, or `vlut` when `table` is set.
struct UnaryWork {
  var input: TensorID, output: TensorID
  var count: Int
  /// `vrequant`'s parameters (unused by `vlut`).
  var parameters: RequantizeParameters
  /// The `vlut` table (entry k for input k − 128, from `LookupTable`), loaded from the DRAM
  /// image into the first `VectorOperation.lookupTableBytes` of the working region once per
  /// layer; nil for `vrequant`.
  var table: [Int8]? = nil
  var tiling: ElementwiseTiling?
}

/// `vsoftmax` over `rows` rows of `depth` elements (the last dimension); tiles hold whole rows
/// (`ElementwiseTiling.outerTile` rows, `innerTile` = `depth`), since each output element
/// depends on its whole row.
struct SoftmaxWork {
  var input: TensorID, output: TensorID
  var rows: Int, depth: Int
  var parameters: SoftmaxParameters
  var tiling: ElementwiseTiling?
  // issue 14: PRELU / L2_NORMALIZATION
  /// Set for L2_NORMALIZATION: the rows are normalised by `vl2norm` with this input zero point
  /// instead of `vsoftmax` (same row tiling; `parameters` unused).
  var l2NormZeroPoint: Int8? = nil
}

/// `vmean` over an `outer × reduced × inner` tensor: `batches` (outer) blocks of `pixels`
/// (reduced) × `channels` (inner) — MEAN over H and W of NHWC is N × H·W × C, LayerNorm's mean
/// over the last axis B·T × C × 1. Tiles hold every reduced element of
/// `ElementwiseTiling.innerTile` channels (`outerTile` = `pixels`), since each output is the mean
/// of its channel over the whole reduced extent.
struct MeanWork {
  var input: TensorID, output: TensorID
  var batches: Int, pixels: Int, channels: Int
  var parameters: RequantizeParameters
  var tiling: ElementwiseTiling?
  // issue 14: vector binary/reduce
  /// Each lane reduces a whole row (MEAN over the last axes, `channels` = 1): `batches` rows of
  /// `pixels` are loaded in contiguous blocks of `ElementwiseTiling.innerTile` rows and one
  /// `vmean` reads a block with a row stride of `pixels` elements.
  var rowLanes = false
  /// REDUCE_MAX: `vreduce fn=max` instead of `vmean` (`parameters` unused).
  var maximum = false

  // issue 14: argmax
  /// ARG_MAX: `vreduce fn=argmax32|argmax64`, whose output rows hold 4- or 8-byte indices.
  var argMax: ReduceFunction? = nil

  /// Bytes per output element: the index width for ARG_MAX, else the datapath's `eb`.
  func outputBytes(_ eb: Int) -> Int { argMax?.indexBytes ?? eb }

  // issue 14: prod
  /// REDUCE_PROD: `vreduce fn=prod` with these parameters (`parameters` unused).
  var product: RequantizeParameters? = nil

  /// Vector-lane operations per reduced element: 2 for `fn=prod` (a 64-bit multiply and a
  /// rounding shift), else 1.
  var operationsPerElement: Int { product == nil ? 1 : 2 }

  /// Chooses a row per lane (`rowLanes`) when the reduced axes are the last (`channels` = 1),
  /// there are several rows and one row's stride fits the instruction's 16-bit field; returns
  /// the layout as the reason line states it.
  mutating func chooseRowLanes(elementBytes eb: Int) -> String {
    rowLanes = channels == 1 && batches > 1 && pixels * eb <= Int(UInt16.max)
    return rowLanes
      ? "\(batches) rows of \(pixels), one row per lane" : "\(batches) × \(pixels) reduced × \(channels) inner"
  }

  /// The instruction that reduces `operands`.
  func operation(_ operands: UnaryOperands) -> VectorOperation {
    if let q = product { return .reduce(operands, .product, q) }  // issue 14: prod
    if let f = argMax { return .reduce(operands, f) }
    return maximum ? .reduce(operands, .maximum) : .mean(operands, parameters)
  }
}

/// Byte copies through the unified buffer: an optional fill of the whole output, then 2-D
/// copies (in elements) from source tensors into the output.
struct CopyWork {
  struct Copy2D {
    var source: TensorID
    var sourceOffset: Int, sourceStride: Int
    var destinationOffset: Int, destinationStride: Int
    var rows: Int
    /// Elements per row (contiguous on both sides).
    var run: Int
    /// The tensor written, when not the work's `output` (SPLIT's other outputs).
    var destination: TensorID? = nil
  }
  var output: TensorID
  /// Further outputs some copies write (SPLIT, SPLIT_V); `output` is the first.
  var extraOutputs: [TensorID] = []
  /// `output` and `extraOutputs`.
  var allOutputs: [TensorID] { [output] + extraOutputs }
  /// PAD's fill value (one element), written over the whole output first.
  var fill: Int8?
  var copies: [Copy2D]
  /// Bytes per chunk through the unified buffer (after `tiling`).
  var chunkBytes: Int = 0
  var doubleBuffered: Bool = true
  var estimate: CostEstimate?
}

/// A host task: the operator runs on the host against DRAM.
struct HostWork {
  var inputs: [TensorID?]
  var outputs: [TensorID]
  var estimate: CostEstimate?
}

// MARK: - Statistics

/// Counters gathered per layer while scheduling, for the mapping report.
struct LayerStats {
  var instructions = 0
  var tiles = 0
  var dramRead = 0
  var dramWritten = 0
  /// Network input and output bytes moved across the host link (`memory.io_over_host_link`).
  var hostLinkRead = 0
  var hostLinkWritten = 0
  /// Activation-arena bytes loaded and stored.
  var arenaRead = 0
  var arenaWritten = 0
  /// Arena bytes matmuls read in place (the copies they replace would have moved them).
  var arenaReadInPlace = 0
  /// Why an on-chip input was copied into the working region instead (first cause).
  var arenaCopyReason: String?
  var weightsStreamed = 0
  var weightsCached = 0
  var weightBytes = 0
  /// Σ over matmuls of P × rows × columns (PE slots occupied while streaming).
  var peSlots = 0
  var usefulMACs = 0
  var sram = SRAMUsage()
  var largestTile: TileShape?
}
