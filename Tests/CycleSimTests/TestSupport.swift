import Architecture
import Support
import TileISA

@testable import CycleSim

/// The memory limits of `arch` (what a compiler targeting it would put in the program).
func limits(of arch: ArchSpec) -> MemoryLimits {
  MemoryLimits(
    unifiedBuffer: arch.ub.capacity, weightBuffer: arch.weights.capacity, accumulatorRows: arch.accumulatorEntries,
    arrayRows: arch.array.rows, arrayColumns: arch.array.cols)
}

/// Builds tile programs instruction by instruction.
struct ProgramBuilder {
  var program: TileProgram

  init(arch: ArchSpec, dramSize: Int = 1 << 16) {
    program = TileProgram(
      datapath: TileProgram.Datapath(rawValue: arch.datapath.rawValue) ?? .int8, limits: limits(of: arch),
      dramSize: ByteCount(dramSize))
  }

  /// Appends an instruction; returns its index.
  @discardableResult
  mutating func add(_ operation: Operation, _ deps: DependencyFlags = [], layer: Int? = nil) -> Int {
    program.instructions.append(
      Instruction(operation, dependencies: deps, layer: layer.map { LayerIndex($0) }))
    return program.instructions.count - 1
  }

  /// Appends a layer to the table; returns its index.
  @discardableResult
  mutating func layer(_ name: String, op: String = "CONV_2D") -> Int {
    program.layers.append(LayerInfo(name: name, opName: op))
    return program.layers.count - 1
  }
}

/// A contiguous DMA of `bytes` bytes.
func dma(_ memory: OnChipMemory, sram: Int, dram: Int, bytes: Int) -> DMA2D {
  DMA2D(memory: memory, sramAddress: SRAMAddress(sram), dramAddress: DRAMAddress(dram), rows: 1, rowBytes: bytes)
}

/// A GEMM matmul: `pixels` rows of `k` bytes at `ub`, times slot `slot`'s first k × n weights.
func gemm(
  ub: Int, pixels: Int, k: Int, n: Int, slot: WeightSlot = .first, acc: Int = 0, accumulate: Bool = false,
  dataflow: Matmul.Dataflow = .weightStationary, zeroPoint: Int8 = 0
) -> Matmul {
  Matmul(
    input: FeatureMap(address: SRAMAddress(ub), height: 1, width: pixels, pixelStrideBytes: k, channelCount: k),
    window: Window(outHeight: 1, outWidth: pixels), inputZeroPoint: zeroPoint, weightSlot: slot, columns: n,
    accRow: AccumulatorRow(acc), accumulate: accumulate, dataflow: dataflow)
}

/// Activate of `pixels` accumulator rows × n columns into dense pixels of n bytes at `ub`.
func activation(acc: Int, pixels: Int, n: Int, params: Int, ub: Int) -> Activate {
  Activate(
    accRow: AccumulatorRow(acc), height: 1, width: pixels, columns: n, paramAddress: SRAMAddress(params),
    mode: .fixedPoint, outputZeroPoint: 3, clamp: -100...100,
    destination: PixelDestination(address: SRAMAddress(ub), pixelStrideBytes: n, rowStrideBytes: pixels * n))
}

/// Deterministic bytes for test data.
func pseudoRandomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
  var rng = SeededGenerator(seed: seed)
  return (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
}

/// Parameter entries with small multipliers so results stay interesting.
func parameterTable(columns n: Int) -> [UInt8] {
  var entries: [ActivationParameters] = []
  for j in 0..<n {
    let bias = Int32(j * 7 - 11)
    let shift = Int32(-4 + j % 3)
    entries.append(.fixedPoint(bias: bias, multiplier: 1 << 30, shift: shift))
  }
  return ActivationParameters.table(entries)
}

/// The single-tile program of the closed-form test: one input load, one weight load, one
/// `load_weights`, one `matmul`, one `activate`, one store.
///
/// DRAM: X (p × k) at 0x0, then W (k × n) followed by its parameter table, then Y (p × n), each
/// 64-byte aligned. Unified buffer: X at 0x0, Y after it. Weight buffer: W at 0x0, parameters
/// after.
///
/// With `packing` int4 or int2 the tile is stored packed (each row ⌈n·bits / 8⌉ bytes, values
/// from `packedTileValues`) and `load_weights` unpacks it; the parameter table follows the
/// packed tile.
func singleTileProgram(
  arch: ArchSpec, p: Int, k: Int, n: Int, dataflow: Matmul.Dataflow = .weightStationary,
  packing: WeightPacking = .int8, levels: (group: Int, phase: Int)? = nil
)
  -> TileProgram
{
  func align(_ x: Int) -> Int { (x + 63) / 64 * 64 }
  let grouped = levels.map { groupedTile(k: k, n: n, group: $0.group, phase: $0.phase) }
  let codeBytes = k * packing.rowBytes(columns: n)
  let tileBytes = codeBytes + (grouped?.levels.count ?? 0)
  let wAddress = align(p * k)
  let yAddress = align(wAddress + tileBytes + 12 * n)
  let ubOut = align(p * k)
  var b = ProgramBuilder(arch: arch, dramSize: align(yAddress + p * n))
  let weights =
    if let grouped {
      packTile(grouped.signs, n: n, bits: 2) + grouped.levels
    } else if packing.isPacked {
      packTile(packedTileValues(k: k, n: n, bits: packing.bits), n: n, bits: packing.bits)
    } else {
      pseudoRandomBytes(k * n, seed: 7).map { $0 == 0x80 ? 0x81 : $0 }
    }
  let groupLevels = levels.map { GroupLevels(address: SRAMAddress(codeBytes), group: $0.group, phase: $0.phase) }
  b.program.dramImage.write(weights + parameterTable(columns: n), at: DRAMAddress(wAddress))
  b.program.inputs = [IOBinding(name: "x", elementType: .int8, shape: [p, k], address: 0)]
  b.program.outputs = [IOBinding(name: "y", elementType: .int8, shape: [p, n], address: DRAMAddress(yAddress))]
  let layer = b.layer("fc", op: "FULLY_CONNECTED")
  b.add(.load(dma(.unifiedBuffer, sram: 0, dram: 0, bytes: p * k)), layer: layer)
  b.add(.load(dma(.weightBuffer, sram: 0, dram: wAddress, bytes: tileBytes + 12 * n)), .pushNext, layer: layer)
  b.add(
    .loadWeights(LoadWeights(slot: .first, wbAddress: 0, rows: k, columns: n, packing: packing, levels: groupLevels)),
    .popPrev, layer: layer)
  b.add(.matmul(gemm(ub: 0, pixels: p, k: k, n: n, dataflow: dataflow)), layer: layer)
  b.add(.activate(activation(acc: 0, pixels: p, n: n, params: tileBytes, ub: ubOut)), .pushNext, layer: layer)
  b.add(.store(dma(.unifiedBuffer, sram: ubOut, dram: yAddress, bytes: p * n)), .popPrev, layer: layer)
  b.add(.finish)
  return b.program
}

/// A double-buffered GEMM over `tiles` tiles of `p` rows sharing one weight tile: inputs
/// alternate between two unified-buffer halves, results between two accumulator halves and
/// two output buffers, with the tokens that make the reuse safe (VTA style).
///
/// DRAM: weights and parameters at 0x0, X at 0x1000 (tiles × p × k), Y at 0x8000.
/// Unified buffer: inputs at 0x0 / 0x100, outputs at 0x200 / 0x300. Accumulator: rows 0 / p.
func pipelinedProgram(
  arch: ArchSpec, tiles: Int, p: Int, k: Int, n: Int, layers: Int = 1, dataflow: Matmul.Dataflow = .weightStationary
) -> TileProgram {
  var b = ProgramBuilder(arch: arch, dramSize: 0x10000)
  let weights = pseudoRandomBytes(k * n, seed: 11).map { $0 == 0x80 ? 0x81 : $0 }
  b.program.dramImage.write(weights + parameterTable(columns: n), at: 0)
  b.program.inputs = [IOBinding(name: "x", elementType: .int8, shape: [tiles * p, k], address: 0x1000)]
  b.program.outputs = [IOBinding(name: "y", elementType: .int8, shape: [tiles * p, n], address: 0x8000)]
  for l in 0..<layers { b.layer("layer\(l)") }
  func layerOf(_ t: Int) -> Int { t * layers / tiles }
  b.add(.load(dma(.weightBuffer, sram: 0, dram: 0, bytes: k * n + 12 * n)), .pushNext, layer: 0)
  b.add(.loadWeights(LoadWeights(slot: .first, wbAddress: 0, rows: k, columns: n)), .popPrev, layer: 0)
  for t in 0..<tiles {
    let half = t % 2
    let layer = layerOf(t)
    let loadDeps: DependencyFlags = t >= 2 ? [.pushNext, .popNext] : [.pushNext]
    b.add(
      .load(dma(.unifiedBuffer, sram: 0x100 * half, dram: 0x1000 + t * p * k, bytes: p * k)), loadDeps, layer: layer)
    b.add(
      .matmul(gemm(ub: 0x100 * half, pixels: p, k: k, n: n, acc: half * p, dataflow: dataflow)), .popPrev, layer: layer)
    let activateDeps: DependencyFlags = t >= 2 ? [.pushNext, .pushPrev, .popNext] : [.pushNext, .pushPrev]
    b.add(
      .activate(activation(acc: half * p, pixels: p, n: n, params: k * n, ub: 0x200 + 0x100 * half)), activateDeps,
      layer: layer)
    b.add(
      .store(dma(.unifiedBuffer, sram: 0x200 + 0x100 * half, dram: 0x8000 + t * p * n, bytes: p * n)),
      [.popPrev, .pushPrev], layer: layer)
  }
  // Drain the tokens nobody waited for, so the program is balanced.
  for _ in 0..<min(tiles, 2) {
    b.add(.nop(.load), .popNext)
    b.add(.nop(.compute), .popNext)
  }
  b.add(.finish)
  return b.program
}

/// Deterministic `bits`-bit weights (every value of the range appears), row-major k × n.
func packedTileValues(k: Int, n: Int, bits: Int) -> [Int8] {
  let low = -(1 << (bits - 1))
  let span = 1 << bits
  return (0..<k * n).map { Int8(low + ($0 * 5 + $0 / n) % span) }
}

/// A ternary-grouped tile: row-major signs (−1, 0, +1) and its level table, blocks of `group`
/// rows the first `phase` rows short, levels 1…127 varying by block and column.
func groupedTile(k: Int, n: Int, group: Int, phase: Int) -> (signs: [Int8], levels: [UInt8], values: [Int8]) {
  let signs = (0..<k * n).map { Int8(($0 * 5 + $0 / n) % 3 - 1) }
  let blocks = (phase + k - 1) / group + 1
  let levels = (0..<blocks * n).map { UInt8(1 + ($0 * 29) % 127) }
  let values = signs.indices.map { i in signs[i] * Int8(levels[((phase + i / n) / group) * n + i % n]) }
  return (signs, levels, values)
}

/// Row-major k × n values packed `bits` per value, each row starting on a byte (docs/isa.md
/// §3.2), written here independently of the executor and compiler.
func packTile(_ values: [Int8], n: Int, bits: Int) -> [UInt8] {
  let rowBytes = (n * bits + 7) / 8
  let k = values.count / n
  var out = [UInt8](repeating: 0, count: k * rowBytes)
  for (i, v) in values.enumerated() {
    let bit = (i % n) * bits
    out[(i / n) * rowBytes + bit / 8] |= (UInt8(bitPattern: v) & UInt8((1 << bits) - 1)) << UInt8(bit % 8)
  }
  return out
}
