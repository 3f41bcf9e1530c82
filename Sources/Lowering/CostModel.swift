import Architecture
import Foundation
import Support
import TileISA

/// Estimated cost of one layer under one tiling choice.
struct CostEstimate: Hashable {
  /// Cycles the compute queue is busy (array, activation unit, vector unit, host).
  var computeCycles: Int
  /// Cycles the load queue is busy (DRAM → on chip).
  var loadCycles: Int
  /// Cycles the store queue is busy (on chip → DRAM).
  var storeCycles: Int
  /// The layer's estimated duration.
  var cycles: Int
  /// DRAM bytes read plus written.
  var dramBytes: Int
  /// Tiles (the unit of double buffering).
  var tiles: Int
}

/// The compiler's analytical cost model, written from `ArchSpec` formulas only (the compiler
/// never runs the simulator; when the two disagree a test shows it).
///
/// With R × C the array, ⌈x⌉ rounding up, and `ArchSpec` figures `dram_bytes_per_cycle`,
/// `dram_latency_cycles`, `vector_ops_per_cycle`, `host_*`:
///
/// ```
/// dma(bytes)            = dram_latency_cycles + ⌈bytes / dram_bytes_per_cycle⌉       one transfer
/// load_weights(K)       = ⌈K / array.weight_load_rows_per_cycle⌉ (+ weight_unpack_latency_cycles if packed)
/// matmul ws (P, K, N)   = P + R + C − 2                   weights preloaded; P rows stream through
/// matmul os (P, K, N)   = ⌈P / R⌉ · (K + R + C − 2)        one output per PE; K-long streams
/// matmul is (P, K, N)   = ⌈P / C⌉ · (2R + C + N − 2)       inputs preloaded; N weight columns stream
/// activate(P, N)        = ⌈P · N / vector_ops_per_cycle⌉
/// vector(elements)      = ⌈elements / vector_ops_per_cycle⌉
/// softmax(E)            = max(⌈3E / vector_ops_per_cycle⌉, ⌈3E·eb / ub.port_bytes_per_cycle⌉)   E = rows × depth
/// l2norm(E)             = max(⌈2E / vector_ops_per_cycle⌉, ⌈2E·eb / ub.port_bytes_per_cycle⌉)   E = rows × depth
/// mean(P, C)            = max(⌈(P·C + C) / vector_ops_per_cycle⌉, ⌈P·C·eb / ub.port_bytes_per_cycle⌉)   per vmean
/// lookup(E)             = ⌈256 / weights.port_bytes_per_cycle⌉ + max(⌈E / vector_ops_per_cycle⌉, ⌈E·eb / ub.port_bytes_per_cycle⌉)   per vlut
/// host(bytes, ops)      = host_latency_cycles + ⌈bytes / host_link_bytes_per_cycle⌉ + ⌈ops / host_ops_per_cycle⌉
/// layer, double-buffered = max(compute, load, store) + first load + last store
/// layer, single-buffered = compute + load + store
/// ```
///
/// The matmul formulas are SCALE-Sim's per-fold cycle counts (REFERENCE §5: WS and IS
/// `2R + C + T − 2`, OS `T + R + C − 2`) with the weight preload of WS moved into
/// `load_weights`, which a double-buffered array hides behind the previous matmul.
///
/// Every formula saturates at `Int.max` instead of trapping (`Int(saturatingCeiling:)`,
/// `addingSaturating`, `multipliedSaturating`): architecture parameters are range-checked, but
/// a huge layer on a slow memory can still produce an estimate beyond `Int`; it then simply
/// loses every comparison.
struct CostModel {
  let arch: ArchSpec

  var rows: Int { arch.array.rows }
  var columns: Int { arch.array.cols }

  /// One DMA transfer of `bytes`.
  func dma(_ bytes: Int) -> Int {
    arch.dramLatencyCycles.addingSaturating(streamCycles(bytes))
  }

  /// `transfers` DMA transfers moving `bytes` in total.
  func dma(_ bytes: Int, transfers: Int) -> Int {
    transfers.multipliedSaturating(by: arch.dramLatencyCycles).addingSaturating(streamCycles(bytes))
  }

  /// `transfers` activation transfers moving `bytes`: through the arena when the tensor is
  /// expected on chip (`memory.activations = on-chip` and not a model input or output) —
  /// `transfers · arena_latency_cycles + ⌈bytes / ub_port_bytes_per_cycle⌉`, the simulator's
  /// arena rule — else `dma(bytes, transfers:)`. The estimate runs before allocate plans the
  /// arena, so a tensor that later spills is priced as on chip here (docs/compiler.md §7).
  func activationDMA(_ bytes: Int, transfers: Int, onChip: Bool) -> Int {
    guard onChip else { return dma(bytes, transfers: transfers) }
    return transfers.multipliedSaturating(by: arch.memory.arenaLatencyCycles).addingSaturating(
      Int(saturatingCeiling: Double(bytes) / Double(max(arch.ub.portBytesPerCycle, 1))))
  }

  /// `⌈bytes / dram_bytes_per_cycle⌉`, saturating.
  func streamCycles(_ bytes: Int) -> Int {
    Int(saturatingCeiling: Double(bytes) / arch.dramBytesPerCycle)
  }

  /// Shifting a K-row weight tile into the array; a packed (int4/int2) tile also passes the
  /// unpacker's pipeline stage, `array.weight_unpack_latency_cycles`.
  func loadWeights(_ k: Int, packed: Bool = false) -> Int {
    let rate = max(arch.array.weightLoadRowsPerCycle, 1)
    return ceilDiv(k, rate).addingSaturating(packed ? arch.array.weightUnpackLatencyCycles : 0)
  }

  /// One matmul of P pixels, K rows and N columns.
  func matmul(pixels p: Int, reduction k: Int, columns n: Int, _ dataflow: Matmul.Dataflow) -> Int {
    let r = rows
    let c = columns
    // Operand rows enter `array.row_interval_cycles` apart (the simulator's rules).
    let i = max(arch.array.rowIntervalCycles, 1)
    switch dataflow {
    case .weightStationary: return p.multipliedSaturating(by: i).addingSaturating(r + c - 2)
    case .outputStationary:
      return ceilDiv(p, r).multipliedSaturating(by: k.multipliedSaturating(by: i).addingSaturating(r + c - 2))
    case .inputStationary:
      return ceilDiv(p, c).multipliedSaturating(by: n.multipliedSaturating(by: i).addingSaturating(2 * r + c - 2))
    }
  }

  /// Compute-queue cycles of a run of matmuls, each preceded by its `load_weights`; a
  /// double-buffered array overlaps each load with the previous matmul.
  func matmulsWithWeightLoads(matmul: Int, load: Int, count: Int) -> Int {
    guard count > 0 else { return 0 }
    if arch.array.weightDoubleBuffered {
      return load.addingSaturating(count.multipliedSaturating(by: max(matmul, load)))
    }
    return count.multipliedSaturating(by: matmul.addingSaturating(load))
  }

  /// Requantizing P × N accumulators.
  func activate(pixels: Int, columns: Int) -> Int { vector(pixels.multipliedSaturating(by: columns)) }

  /// `elements` vector-unit operations.
  func vector(_ elements: Int) -> Int {
    ceilDiv(elements, max(arch.vectorOpsPerCycle, 1))
  }

  // issue 14: vops
  /// `vbinary fn=select` over `elements`: the simulator's `vector_select` rule
  /// `max(⌈E / vector_ops⌉, ⌈3E·eb / ub_port⌉)` (three operand reads per element).
  func select(_ elements: Int) -> Int {
    let reads = elements.multipliedSaturating(by: 3).multipliedSaturating(by: arch.datapath.elementBytes)
    return max(ceilDiv(elements, max(arch.vectorOpsPerCycle, 1)), ceilDiv(reads, max(arch.ub.portBytesPerCycle, 1)), 1)
  }

  /// `vsoftmax` over `elements` = rows × depth: three passes (max; exp and sum; normalise), the
  /// simulator's `vector_softmax` rule `max(⌈3E / vector_ops⌉, ⌈3E·eb / ub_port⌉)`.
  func softmax(_ elements: Int) -> Int {
    let passes = elements.multipliedSaturating(by: 3)
    let reads = passes.multipliedSaturating(by: arch.datapath.elementBytes)
    return max(vector(passes), ceilDiv(reads, max(arch.ub.portBytesPerCycle, 1)), 1)
  }

  // issue 14: PRELU / L2_NORMALIZATION
  /// `vl2norm` over `elements` = rows × depth: two passes (square and sum; scale and write), the
  /// simulator's `vector_l2norm` rule `max(⌈2E / vector_ops⌉, ⌈2E·eb / ub_port⌉)`.
  func l2Normalize(_ elements: Int) -> Int {
    let passes = elements.multipliedSaturating(by: 2)
    let reads = passes.multipliedSaturating(by: arch.datapath.elementBytes)
    return max(vector(passes), ceilDiv(reads, max(arch.ub.portBytesPerCycle, 1)), 1)
  }

  /// One `vmean` over `pixels` rows of `channels`: an add per input element and a requantization
  /// per channel, each element read once; the simulator's `vector_mean` rule
  /// `max(⌈(k·E + C) / vector_ops⌉, ⌈E·eb / ub_port⌉)` with E = pixels × channels, k =
  /// `operationsPerElement`.
  /// (issue 14: prod) `operationsPerElement` is 2 for `vreduce fn=prod` (V = 2E + N).
  func mean(pixels: Int, channels: Int, operationsPerElement: Int = 1) -> Int {
    let elements = pixels.multipliedSaturating(by: channels)
    let reads = elements.multipliedSaturating(by: arch.datapath.elementBytes)
    let operations = elements.multipliedSaturating(by: operationsPerElement).addingSaturating(channels)
    return max(vector(operations), ceilDiv(reads, max(arch.ub.portBytesPerCycle, 1)), 1)
  }

  /// One `vlut` over `elements`: the 256-byte table copied from the weight buffer into the
  /// lanes, then one lookup per element, each element read and written once; the simulator's
  /// `vector_lookup` rule `⌈256 / wb_port⌉ + max(⌈E / vector_ops⌉, ⌈E·eb / ub_port⌉)`.
  func lookup(_ elements: Int) -> Int {
    let port = max(arch.ub.portBytesPerCycle, 1)
    let fill = ceilDiv(VectorOperation.lookupTableBytes, max(arch.weights.portBytesPerCycle, 1))
    let reads = elements.multipliedSaturating(by: arch.datapath.elementBytes)
    return fill.addingSaturating(max(vector(elements), ceilDiv(reads, port), 1))
  }

  /// A host task moving `bytes` over the link and performing `operations` element operations.
  func host(bytes: Int, operations: Int) -> Int {
    let link = arch.hostLinkBytesPerCycle > 0 ? Double(bytes) / arch.hostLinkBytesPerCycle : 0
    let work = arch.hostOpsPerCycle > 0 ? Double(operations) / arch.hostOpsPerCycle : 0
    return [arch.hostLatencyCycles, Int(saturatingCeiling: link), Int(saturatingCeiling: work)].saturatingSum()
  }

  /// A layer's duration from its queues' busy cycles.
  func combine(compute: Int, load: Int, store: Int, firstLoad: Int, lastStore: Int, overlapped: Bool) -> Int {
    overlapped
      ? [max(compute, load, store), firstLoad, lastStore].saturatingSum() : [compute, load, store].saturatingSum()
  }
}

/// ⌈a / b⌉ for a ≥ 0 and positive b, without overflow for any `a`.
func ceilDiv(_ a: Int, _ b: Int) -> Int { a <= 0 ? 0 : (a - 1) / b + 1 }
