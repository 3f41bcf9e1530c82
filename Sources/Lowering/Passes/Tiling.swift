import Architecture
import Foundation
import GraphIR
import Support
import TileISA

/// Pass 3, tiling: chooses, per layer, the dataflow and tile sizes with the fewest estimated
/// cycles (then the fewest DRAM bytes, then the fewest tiles) among those whose tiles fit the
/// unified buffer and accumulators; fails with `.doesNotFit` when even the smallest tile does
/// not. Also decides where DEPTHWISE_CONV_2D runs when the policy is the cost model.
///
/// Matrix layers: K is split into chunks of ≤ R weight rows — whole kernels × a channel slice
/// when the kernel fits, else bands of kernel rows, else runs of single taps — and N into tiles
/// of ≤ C columns; output pixels are tiled into rectangles of ≤ accumulator-rows pixels whose
/// input (with its halo) and output fit the unified buffer, twice over when double-buffered.
struct ChooseTiles: LoweringPass {
  let name = PassName.tiling

  func run(_ s: inout LoweringState) throws(LoweringError) {
    let capacity = Int(s.arch.ub.capacity.count)
    let budget = Self.workingBudget(s)
    s.workingBudget = budget
    let tiler = Tiler(state: s, ubCapacity: budget)
    let whole = budget < capacity ? Tiler(state: s, ubCapacity: capacity) : nil
    /// The layer tiled within the working budget, or in the whole unified buffer when even its
    /// smallest tile needs more (the arena then shrinks to what that layer leaves).
    func fit<T>(_ body: (Tiler) throws(LoweringError) -> T) throws(LoweringError) -> T {
      do {
        return try body(tiler)
      } catch {
        guard error.kind == .doesNotFit, let whole else { throw error }
        return try body(whole)
      }
    }
    for i in s.layers.indices {
      let location = s.location(i)
      switch s.layers[i].work {
      case .matrix(var w):
        w.tiling = try fit { t throws(LoweringError) in try t.matrix(w, location) }
        if w.weightPacking.hasLevels, let t = w.tiling, !w.levelTablesFit(t) {
          // A tile's block of rows mixes two of the tensor's groups: store the int8 levels.
          let note = w.packingNote
          w.weightPacking = .int8
          w.weightGroupSize = nil
          let int8 = w
          w.tiling = try fit { t throws(LoweringError) in try t.matrix(int8, location) }
          s.layers[i].reason = s.layers[i].reason.replacingOccurrences(
            of: note, with: "; fine-grained ternary groups straddle its weight tiles' row blocks: weights stored as int8")
        }
        if w.isDepthwise, let t = w.tiling {
          let hostCycles = tiler.hostEstimate(i).cycles
          let utilization = tiler.utilization(w, t)
          let toHost: Bool
          switch s.options.depthwise {
          case .array: toHost = false
          case .host: toHost = true
          case .costModel: toHost = hostCycles < t.estimate.cycles
          }
          if toHost {
            let op = s.graph.operators[i]
            s.layers[i].placement = .host
            s.layers[i].work = .host(HostWork(inputs: op.inputs, outputs: op.outputs, estimate: tiler.hostEstimate(i)))
            s.layers[i].reason =
              s.options.depthwise == .host
              ? "DEPTHWISE_CONV_2D: the depthwise policy is 'host'; runs on the host"
              : "DEPTHWISE_CONV_2D: cost model: host ≈ \(formatCount(hostCycles)) cycles < array ≈ \(formatCount(t.estimate.cycles)) cycles (\(percent(utilization)) array utilization); runs on the host"
            continue
          }
          s.layers[i].reason +=
            "; \(percent(utilization)) array utilization, array ≈ \(formatCount(t.estimate.cycles)) vs host ≈ \(formatCount(hostCycles)) cycles"
        }
        s.layers[i].work = .matrix(w)
      case .binary(var b):
        let work = b
        b.tiling = try fit { t throws(LoweringError) in try t.binary(work, location) }
        s.layers[i].work = .binary(b)
      case .pool(var p):
        let work = p
        p.tiling = try fit { t throws(LoweringError) in try t.pool(work, location) }
        s.layers[i].work = .pool(p)
      case .unary(var u):
        let work = u
        u.tiling = try fit { t throws(LoweringError) in try t.unary(work, location) }
        s.layers[i].work = .unary(u)
      case .softmax(var u):
        let work = u
        u.tiling = try fit { t throws(LoweringError) in try t.softmax(work, location) }
        s.layers[i].work = .softmax(u)
      case .mean(var u):
        let work = u
        u.tiling = try fit { t throws(LoweringError) in try t.mean(work, location) }
        s.layers[i].work = .mean(u)
      case .copy(var c):
        let work = c
        c = try fit { t throws(LoweringError) in
          var copy = work
          try t.copy(&copy, location)
          return copy
        }
        s.layers[i].work = .copy(c)
      // issue 14: resize
      case .resize(var r):
        let work = r
        r.tiling = try fit { t throws(LoweringError) in try t.resize(work, location) }
        s.layers[i].work = .resize(r)
      // issue 14: lstm
      case .lstm(var w):
        w.estimate = tiler.lstm(w)
        s.layers[i].work = .lstm(w)
      case .host(var h):
        h.estimate = tiler.hostEstimate(i)
        s.layers[i].work = .host(h)
      case .alias, .fused:
        break
      }
    }
  }

  /// The unified-buffer bytes each layer's working buffers (input slices, output tiles) may
  /// use, leaving the rest to the activation arena.
  ///
  /// With `memory.activations = on-chip`: the unified buffer less the arena every activation
  /// would need if none spilled (the arena planner's high-water mark over the whole program),
  /// but never less than an eighth of the unified buffer — the largest double-buffered tiles
  /// of the zoo's networks fit in an eighth of TPU v1's 24 MiB or of the Edge TPU's 3 MiB, and
  /// a smaller budget multiplies tiles and DMA latencies more than it saves spills. A layer
  /// whose smallest tile needs more than the budget is tiled in the whole unified buffer (and
  /// the arena shrinks to what it leaves). With `dram`, or when no activation can stay on
  /// chip: the whole unified buffer.
  static func workingBudget(_ s: LoweringState) -> Int {
    let capacity = Int(s.arch.ub.capacity.count)
    guard s.arch.memory.activations == .onChip else { return capacity }
    let liveness = ActivationLiveness(s)
    guard !liveness.candidates.isEmpty else { return capacity }
    let need = ArenaPlanner.plan(
      liveness.candidates, capacity: Int.max / 2, alignment: ActivationLiveness.alignment(s.arch)
    ).highWater
    return min(capacity, max(capacity - need, capacity / 8))
  }
}

func percent(_ x: Double) -> String { String(format: "%.1f%%", x * 100) }

/// The kernel split into rectangles of at most `maxTaps` taps: the whole kernel, else bands of
/// whole kernel rows, else runs of taps within one row.
func tapGroups(kernelH: Int, kernelW: Int, maxTaps: Int) -> [TapGroup] {
  precondition(maxTaps >= 1, "a K chunk needs at least one tap")
  if kernelH * kernelW <= maxTaps { return [TapGroup(row0: 0, rows: kernelH, col0: 0, cols: kernelW)] }
  if kernelW <= maxTaps {
    let band = maxTaps / kernelW
    return stride(from: 0, to: kernelH, by: band).map {
      TapGroup(row0: $0, rows: min(band, kernelH - $0), col0: 0, cols: kernelW)
    }
  }
  var groups: [TapGroup] = []
  for r in 0..<kernelH {
    for c in stride(from: 0, to: kernelW, by: maxTaps) {
      groups.append(TapGroup(row0: r, rows: 1, col0: c, cols: min(maxTaps, kernelW - c)))
    }
  }
  return groups
}

/// Input rows (or columns) a tile of `outputs` outputs reads, clipped to the image.
func inputExtent(outputs: Int, stride: Int, kernel: Int, dilation: Int, size: Int) -> Int {
  min(size, (outputs - 1) * stride + (kernel - 1) * dilation + 1)
}

/// The tile-size search of every layer kind.
struct Tiler {
  let state: LoweringState
  let cost: CostModel

  /// Unified-buffer bytes the working buffers of a layer may use (`ChooseTiles.workingBudget`,
  /// or the whole unified buffer).
  let ubCapacity: Int

  init(state: LoweringState, ubCapacity: Int? = nil) {
    self.state = state
    self.cost = CostModel(arch: state.arch)
    self.ubCapacity = ubCapacity ?? Int(state.arch.ub.capacity.count)
  }

  var arch: ArchSpec { state.arch }
  var eb: Int { state.elementBytes }
  var accumulatorRows: Int { arch.accumulatorEntries }
  var bufferings: [Bool] { state.options.doubleBuffering ? [true, false] : [false] }

  var dataflows: [Matmul.Dataflow] {
    func convert(_ d: Dataflow) -> Matmul.Dataflow { Matmul.Dataflow(rawValue: d.rawValue) ?? .weightStationary }
    switch state.options.dataflow {
    case .automatic: return Matmul.Dataflow.allCases
    case .architecture: return [convert(arch.dataflow)]
    case .fixed(let d): return [convert(d)]
    }
  }

  /// Spatial tile candidates: (rows, full width) and single rows of narrower widths, each
  /// extent one of the distinct values ⌈total / k⌉ (other sizes give no fewer tiles).
  func spatialCandidates(outH: Int, outW: Int) -> [(h: Int, w: Int)] {
    func extents(_ total: Int) -> [Int] {
      var values: [Int] = []
      var k = 1
      while k <= total {
        let e = ceilDiv(total, k)
        if values.last != e { values.append(e) }
        k = e == 1 ? total + 1 : ceilDiv(total, e - 1)
      }
      return values
    }
    var out: [(h: Int, w: Int)] = extents(outH).map { ($0, outW) }
    if outW > 1 { out += extents(outW).filter { $0 < outW }.map { (1, $0) } }
    return out
  }

  /// Tile sizes along one axis and how many tiles have each: `[(size, count)]`.
  func axisClasses(_ total: Int, _ tile: Int) -> [(size: Int, count: Int)] {
    var classes: [(size: Int, count: Int)] = []
    if total / tile > 0 { classes.append((tile, total / tile)) }
    if total % tile > 0 { classes.append((total % tile, 1)) }
    return classes
  }

  // MARK: Matrix layers

  /// The largest weight tile (K rows, N columns) the weight buffer can stream: the array's
  /// shape when the layer's whole parameter blob fits the weight buffer (it is then cached or
  /// loaded once per layer); else K, then N, shrunk until two tiles and two activation tables
  /// fit (one of each when two cannot). BATCH_MATMUL always streams its tiles beside its tables
  /// and correction tile.
  func weightLimits(_ w: MatrixWork) -> (rows: Int, columns: Int) {
    let r = arch.array.rows
    let c = arch.array.cols
    let capacity = Int(arch.weights.capacity.count)
    let entry = ActivationParameters.entryBytes
    var isActivation = false
    if case .activation = w.weights { isActivation = true }
    if !isActivation {
      let m = w.depthMultiplier
      // Rows × columns of the layer's weights (depthwise: block-diagonal tiles of the widest
      // chunk); a `ternary-grouped` layer's level tables are bounded as if it were one tile.
      let weights =
        w.isDepthwise
        ? w.weightTileBytes(rows: w.taps * w.inC, columns: max(1, min(w.inC, c / m, r)) * m, eb)
        : w.weightTileBytes(rows: w.taps * w.inC, columns: w.outC, eb)
      if entry * w.outC + weights <= capacity { return (r, c) }
    }
    func need(_ k: Int, _ n: Int, _ db: Bool) -> Int {
      let copies = db ? 2 : 1
      if isActivation { return (copies + 1) * k * n * eb + entry * n }
      return copies * (w.weightTileBytes(rows: k, columns: n, eb) + entry * n)
    }
    for db in bufferings {
      var n = min(c, w.outC)
      while n >= 1 {
        var k = r
        while k >= 1 && need(k, n, db) > capacity { k -= 1 }
        if k >= 1 { return (k, n) }
        n /= 2
      }
    }
    return (1, 1)
  }

  /// Whether chunks of `cc` channels keep a `ternary-grouped` layer's groups whole in every
  /// tile's row blocks: all channels (each chunk's rows are then consecutive weights of every
  /// output channel), or a multiple of the group size N when C is one too (each tap's run of
  /// rows is whole groups). Always true for other packings.
  func keepsGroupsWhole(_ w: MatrixWork, channels cc: Int) -> Bool {
    guard w.weightPacking.hasLevels, let n = w.weightGroupSize, n > 1 else { return true }
    return cc == w.inC || (cc % n == 0 && w.inC % n == 0)
  }

  /// The channel chunk of a dense layer minimizing K chunks per output tile (ties: larger);
  /// for `ternary-grouped` weights only among chunks that keep groups whole, when any does.
  func denseChunking(_ w: MatrixWork) -> (channels: Int, groups: [TapGroup]) {
    let r = weightLimits(w).rows
    var best: (channels: Int, groups: [TapGroup], chunks: Int)?
    let anyWhole = (1...max(1, min(w.inC, r))).contains { keepsGroupsWhole(w, channels: $0) }
    for cc in stride(from: min(w.inC, r), through: 1, by: -1) where !anyWhole || keepsGroupsWhole(w, channels: cc) {
      let groups = tapGroups(kernelH: w.kernelH, kernelW: w.kernelW, maxTaps: r / cc)
      let chunks = groups.count * ceilDiv(w.inC, cc)
      if chunks < best?.chunks ?? Int.max { best = (cc, groups, chunks) }
    }
    guard let best else { preconditionFailure("array with no rows") }
    return (best.channels, best.groups)
  }

  /// Depthwise channel-chunk options: the one minimizing matmuls per tile, then halvings
  /// (smaller slices fit smaller buffers).
  func depthwiseChunkings(_ w: MatrixWork) -> [(channels: Int, groups: [TapGroup])] {
    let limits = weightLimits(w)
    let r = limits.rows
    let maxChannels = max(1, min(w.inC, limits.columns / w.depthMultiplier, r))
    var best: (channels: Int, matmuls: Int)?
    for cc in stride(from: maxChannels, through: 1, by: -1) {
      let groups = tapGroups(kernelH: w.kernelH, kernelW: w.kernelW, maxTaps: r / cc)
      let matmuls = groups.count * ceilDiv(w.inC, cc)
      if matmuls < best?.matmuls ?? Int.max { best = (cc, matmuls) }
    }
    var options: [(channels: Int, groups: [TapGroup])] = []
    var cc = best?.channels ?? 1
    while true {
      options.append((cc, tapGroups(kernelH: w.kernelH, kernelW: w.kernelW, maxTaps: r / cc)))
      if cc == 1 { break }
      cc /= 2
    }
    return options
  }

  func matrix(_ w: MatrixWork, _ location: String) throws(LoweringError) -> MatrixTiling {
    let n = w.outC
    var best: MatrixTiling?
    var smallestNeed = Int.max
    func consider(_ t: MatrixTiling) {
      guard let b = best else {
        best = t
        return
      }
      let x = t.estimate
      let y = b.estimate
      if (x.cycles, x.dramBytes, x.tiles) < (y.cycles, y.dramBytes, y.tiles) { best = t }
    }
    let spatial = spatialCandidates(outH: w.outH, outW: w.outW)
    if w.isDepthwise {
      for chunking in depthwiseChunkings(w) {
        let nTile = chunking.channels * w.depthMultiplier
        for (th, tw) in spatial where th * tw <= accumulatorRows {
          let inRows = inputExtent(
            outputs: th, stride: w.strideH, kernel: w.kernelH, dilation: w.dilationH, size: w.inH)
          let inCols = inputExtent(
            outputs: tw, stride: w.strideW, kernel: w.kernelW, dilation: w.dilationW, size: w.inW)
          for db in bufferings {
            let need = (db ? 2 : 1) * (inRows * inCols * chunking.channels + th * tw * nTile) * eb
            smallestNeed = min(smallestNeed, need)
            guard need <= ubCapacity else { continue }
            for df in dataflows {
              let t = MatrixTiling(
                dataflow: df, tileH: th, tileW: tw, nTile: nTile, nGroupTiles: 1, channelGroup: chunking.channels,
                chunkChannels: chunking.channels, tapGroups: chunking.groups, doubleBuffered: db,
                estimate: CostEstimate(
                  computeCycles: 0, loadCycles: 0, storeCycles: 0, cycles: 0, dramBytes: 0, tiles: 0))
              consider(withEstimate(t, w))
            }
          }
        }
      }
    } else {
      // The chunking with the fewest K chunks; when it slices channels, single-channel chunks
      // too (their input slices are the smallest possible).
      let best = denseChunking(w)
      var chunkings = [best]
      if best.channels > 1 && keepsGroupsWhole(w, channels: 1) {
        chunkings.append((1, tapGroups(kernelH: w.kernelH, kernelW: w.kernelW, maxTaps: weightLimits(w).rows)))
      }
      let widest = min(n, weightLimits(w).columns)
      // Stride phases (TRANSPOSE_CONV): also n-tiles of one phase row, whose outputs leave in
      // the output's own layout (`PhaseInterleave.keepsPhaseRows`).
      var nTileOptions = [widest]
      if let il = w.outputInterleave, il.block < widest { nTileOptions.append(il.block) }
      for (nTile, chunking) in nTileOptions.flatMap({ t in chunkings.map { (t, $0) } }) {
        let nTiles = ceilDiv(n, nTile)
        let groupOptions = chunking.channels < w.inC ? [w.inC, chunking.channels] : [w.inC]
        for (th, tw) in spatial where th * tw <= accumulatorRows {
          let p = th * tw
          let mostTiles = min(nTiles, accumulatorRows / p)
          let inRows = inputExtent(
            outputs: th, stride: w.strideH, kernel: w.kernelH, dilation: w.dilationH, size: w.inH)
          let inCols = inputExtent(
            outputs: tw, stride: w.strideW, kernel: w.kernelW, dilation: w.dilationW, size: w.inW)
          for nGroupTiles in mostTiles == 1 ? [1] : [mostTiles, 1] {
            for cg in groupOptions {
              for db in bufferings {
                let need = (db ? 2 : 1) * (inRows * inCols * cg + p * min(n, nGroupTiles * nTile)) * eb
                smallestNeed = min(smallestNeed, need)
                guard need <= ubCapacity else { continue }
                for df in dataflows {
                  let t = MatrixTiling(
                    dataflow: df, tileH: th, tileW: tw, nTile: nTile, nGroupTiles: nGroupTiles, channelGroup: cg,
                    chunkChannels: chunking.channels, tapGroups: chunking.groups, doubleBuffered: db,
                    estimate: CostEstimate(
                      computeCycles: 0, loadCycles: 0, storeCycles: 0, cycles: 0, dramBytes: 0, tiles: 0))
                  consider(withEstimate(t, w))
                }
              }
            }
          }
        }
      }
    }
    guard let best else {
      throw LoweringError(
        .doesNotFit, location,
        "smallest tile needs \(formatBytes(smallestNeed)) of unified buffer; \(arch.name) has \(formatBytes(ubCapacity))"
      )
    }
    return best
  }

  /// Whether `tensor` is expected to live in the activation arena: the architecture keeps
  /// activations on chip and it is neither a model input nor a model output (allocate may still
  /// spill it, or pin it to DRAM for a host task; the estimate does not know that yet).
  func expectedOnChip(_ tensor: TensorID) -> Bool {
    guard arch.memory.activations == .onChip else { return false }
    let r = state.root(tensor)
    return !state.graph.inputs.contains { state.root($0) == r } && !state.graph.outputs.contains { state.root($0) == r }
  }

  /// Whether a layer placed on the host (so far) reads `tensor`'s storage.
  func readByHost(_ tensor: TensorID) -> Bool {
    let r = state.root(tensor)
    return state.layers.contains { layer in
      guard case .host(let h) = layer.work else { return false }
      return h.inputs.contains { $0.map { state.root($0) == r } ?? false }
    }
  }

  /// The tiling with its cost-model estimate filled in.
  func withEstimate(_ t: MatrixTiling, _ w: MatrixWork) -> MatrixTiling {
    var t = t
    let batches = w.batchCount
    let rowClasses = axisClasses(w.outH, t.tileH)
    let colClasses = axisClasses(w.outW, t.tileW)
    let n = w.outC
    let kMax = (t.tapGroups.map(\.taps).max() ?? 1) * t.chunkChannels
    var compute = 0
    var load = 0
    var store = 0
    var dram = 0
    var tiles = 0
    var firstLoad = 0
    var lastStore = 0
    let weightBytes = weightBlobBytes(w, t)
    // Activations the arena is expected to hold move at on-chip rates (docs/compiler.md §7).
    let inOnChip = expectedOnChip(w.input)
    // A TRANSPOSE_CONV's output a host task reads will be pinned to DRAM: priced there, since
    // its store pattern (one DMA per tile or per tile row and phase) depends on the tiling.
    let outOnChip = expectedOnChip(w.output) && !(w.outputInterleave != nil && readByHost(w.output))
    let streamed: Bool
    if case .activation = w.weights {
      streamed = true
    } else {
      streamed = weightBytes > Int(arch.weights.capacity.count)
    }
    let correction: Int
    if case .activation(_, _, _, let zp) = w.weights, zp != 0 { correction = 2 } else { correction = 1 }
    for rc in rowClasses {
      for cc in colClasses {
        let count = rc.count * cc.count * batches
        let p = rc.size * cc.size
        let inRows = inputExtent(
          outputs: rc.size, stride: w.strideH, kernel: w.kernelH, dilation: w.dilationH, size: w.inH)
        let inCols = inputExtent(
          outputs: cc.size, stride: w.strideW, kernel: w.kernelW, dilation: w.dilationW, size: w.inW)
        let mm = cost.matmul(pixels: p, reduction: kMax, columns: t.nTile, t.dataflow)
        let lw = cost.loadWeights(kMax, packed: w.weightPacking.isPacked)
        var tileCompute = 0
        var tileLoad = 0
        var tileStore = 0
        var tileBytes = 0
        var oneLoad = 0
        // A slice of whole image rows of an on-chip input is read where the arena holds it:
        // no copy to price (the emitter's `arenaInput` rule).
        let inPlace = inOnChip && arch.memory.arenaInPlace && !w.inputTransposed && cc.size == w.outW
        if w.isDepthwise {
          let chunks = ceilDiv(w.inC, t.chunkChannels)
          let sliceBytes = inRows * inCols * t.chunkChannels * eb
          if !inPlace {
            oneLoad = cost.activationDMA(sliceBytes, transfers: inRows, onChip: inOnChip)
            tileLoad = tileLoad.addingSaturating(chunks.multipliedSaturating(by: oneLoad))
            tileBytes = tileBytes.addingSaturating(chunks.multipliedSaturating(by: sliceBytes))
          }
          tileCompute = tileCompute.addingSaturating(
            chunks.multipliedSaturating(
              by: cost.matmulsWithWeightLoads(matmul: mm, load: lw, count: t.tapGroups.count)
                .addingSaturating(cost.activate(pixels: p, columns: t.nTile))))
          tileStore = tileStore.addingSaturating(
            chunks.multipliedSaturating(by: cost.activationDMA(p * t.nTile * eb, transfers: rc.size, onChip: outOnChip)))
          tileBytes = tileBytes.addingSaturating([p, n, eb].saturatingProduct())
        } else {
          let nTiles = ceilDiv(n, t.nTile)
          let nGroups = ceilDiv(nTiles, t.nGroupTiles)
          let cgCount = ceilDiv(w.inC, t.channelGroup)
          let loads = cgCount == 1 ? 1 : nGroups * cgCount
          let sliceBytes = inRows * inCols * t.channelGroup * eb
          let transfers = w.inputTransposed ? t.channelGroup : (t.channelGroup == w.inC ? 1 : inRows)
          if !inPlace {
            oneLoad = cost.activationDMA(sliceBytes, transfers: transfers, onChip: inOnChip)
            tileLoad = tileLoad.addingSaturating(loads.multipliedSaturating(by: oneLoad))
            tileBytes = tileBytes.addingSaturating(loads.multipliedSaturating(by: sliceBytes))
          }
          let chunks = t.tapGroups.count * ceilDiv(w.inC, t.chunkChannels)
          tileCompute = tileCompute.addingSaturating(
            cost.matmulsWithWeightLoads(matmul: mm, load: lw, count: [nTiles, chunks, correction].saturatingProduct()))
          tileCompute = tileCompute.addingSaturating(
            nTiles.multipliedSaturating(by: cost.activate(pixels: p, columns: t.nTile)))
          let groupChannels = min(n, t.nGroupTiles * t.nTile)
          // Stride phases (TRANSPOSE_CONV): one store per tile, or per phase row of the group,
          // when the tiles keep phase rows whole; else at most one per tile row and phase.
          var storeTransfers = groupChannels == n ? 1 : rc.size
          if let il = w.outputInterleave {
            let rows = groupChannels / il.block
            storeTransfers =
              il.keepsPhaseRows(nTile: t.nTile, groupChannels: groupChannels)
              ? (rows == il.strideH ? 1 : rows) : rc.size * il.phases
          }
          tileStore = tileStore.addingSaturating(
            nGroups.multipliedSaturating(
              by: cost.activationDMA(p * groupChannels * eb, transfers: storeTransfers, onChip: outOnChip)))
          tileBytes = tileBytes.addingSaturating([p, n, eb].saturatingProduct())
        }
        if streamed {
          tileLoad = tileLoad.addingSaturating(cost.dma(weightBytes, transfers: max(1, ceilDiv(n, t.nTile))))
          tileBytes = tileBytes.addingSaturating(weightBytes)
        }
        compute = compute.addingSaturating(count.multipliedSaturating(by: tileCompute))
        load = load.addingSaturating(count.multipliedSaturating(by: tileLoad))
        store = store.addingSaturating(count.multipliedSaturating(by: tileStore))
        dram = dram.addingSaturating(count.multipliedSaturating(by: tileBytes))
        tiles = tiles.addingSaturating(count)
        firstLoad = max(firstLoad, oneLoad)
        lastStore = max(lastStore, cost.activationDMA(p * t.nTile * eb, transfers: 1, onChip: outOnChip))
      }
    }
    if !streamed {
      load = load.addingSaturating(cost.dma(weightBytes))
      dram = dram.addingSaturating(weightBytes)
      firstLoad = firstLoad.addingSaturating(cost.dma(weightBytes))
    }
    let cycles = cost.combine(
      compute: compute, load: load, store: store, firstLoad: firstLoad, lastStore: lastStore,
      overlapped: t.doubleBuffered)
    t.estimate = CostEstimate(
      computeCycles: compute, loadCycles: load, storeCycles: store, cycles: cycles, dramBytes: dram, tiles: tiles)
    return t
  }

  /// Bytes of a layer's constant parameters as laid out in the weight buffer (estimate for
  /// the tiling choice; the allocator computes the exact layout).
  func weightBlobBytes(_ w: MatrixWork, _ t: MatrixTiling) -> Int {
    let params = ActivationParameters.entryBytes * w.outC
    switch w.weights {
    case .activation:
      return ActivationParameters.entryBytes * t.nTile + (t.tapGroups.map(\.taps).max() ?? 1) * t.chunkChannels
        * t.nTile * eb
    case .constant:
      var tables = 0
      if w.weightPacking.hasLevels {
        let (nTiles, chunks) = w.kChunks(t)
        for (j, tile) in nTiles.enumerated() {
          for chunk in chunks[j] { tables += w.levelTableBytes(chunk, columns: tile.width) }
        }
      }
      if w.isDepthwise {
        return params + tables + w.taps * w.inC * w.weightRowBytes(t.chunkChannels * w.depthMultiplier, eb)
      }
      return params + tables + w.taps * w.inC * w.weightRowBytes(w.outC, eb)
    }
  }

  /// Useful MACs over occupied PE slots while streaming: `macs / Σ (P · R · C)`.
  func utilization(_ w: MatrixWork, _ t: MatrixTiling) -> Double {
    let matmulsPerTile: Int
    if w.isDepthwise {
      matmulsPerTile = ceilDiv(w.inC, t.chunkChannels) * t.tapGroups.count
    } else {
      matmulsPerTile = ceilDiv(w.outC, t.nTile) * t.tapGroups.count * ceilDiv(w.inC, t.chunkChannels)
    }
    let slots = [w.batchCount, w.outH, w.outW, matmulsPerTile, arch.array.rows, arch.array.cols].saturatingProduct()
    return slots > 0 ? Double(w.macs) / Double(slots) : 0
  }

  /// The cost of running operator `i` on the host.
  func hostEstimate(_ i: Int) -> CostEstimate {
    let op = state.graph.operators[i]
    let tensors = op.inputs.compactMap { $0 }.map { state.graph[$0] } + op.outputs.map { state.graph[$0] }
    let bytes = tensors.reduce(0) { $0 + $1.byteCount }
    let operations = state.hostOperations(ofOperator: i)
    let cycles = cost.host(bytes: bytes, operations: operations)
    return CostEstimate(
      computeCycles: cycles, loadCycles: 0, storeCycles: 0, cycles: cycles, dramBytes: bytes, tiles: 1)
  }

  // MARK: Vector-unit layers

  /// The largest block of the 2-D iteration space whose operands and result fit.
  func elementwise(
    outer: Int, inner: Int, operandBroadcast: [(outer: Bool, inner: Bool)], location: String
  ) throws(LoweringError) -> (outerTile: Int, innerTile: Int, doubleBuffered: Bool) {
    func need(_ to: Int, _ ti: Int, _ db: Bool) -> Int {
      var bytes = to * ti
      for o in operandBroadcast { bytes += (o.outer ? 1 : to) * (o.inner ? 1 : ti) }
      return (db ? 2 : 1) * bytes * eb
    }
    for db in bufferings {
      if need(1, 1, db) > ubCapacity { continue }
      var ti = inner
      while ti > 1 && need(1, ti, db) > ubCapacity { ti = max(1, ti * ubCapacity / need(1, ti, db)) }
      while ti > 1 && need(1, ti, db) > ubCapacity { ti -= 1 }
      var to = outer
      while to > 1 && need(to, ti, db) > ubCapacity { to = max(1, to * ubCapacity / need(to, ti, db)) }
      while to > 1 && need(to, ti, db) > ubCapacity { to -= 1 }
      return (to, ti, db)
    }
    throw LoweringError(
      .doesNotFit, location,
      "smallest tile needs \(formatBytes(need(1, 1, false))) of unified buffer; \(arch.name) has \(formatBytes(ubCapacity))"
    )
  }

  func binary(_ b: BinaryWork, _ location: String) throws(LoweringError) -> ElementwiseTiling {
    let inner = b.dims.last ?? 1
    let outer = b.dims.count >= 2 ? b.dims[b.dims.count - 2] : 1
    let rank = b.dims.count
    func broadcast(_ strides: [Int]) -> (outer: Bool, inner: Bool) {
      (rank >= 2 ? strides[rank - 2] == 0 : true, strides[rank - 1] == 0)
    }
    // issue 14: vops — SELECT's condition is a third operand.
    let operands = b.condition == nil ? 2 : 3
    let broadcasts =
      [broadcast(b.aStrides), broadcast(b.bStrides)] + (b.condition == nil ? [] : [broadcast(b.conditionStrides)])
    let t = try elementwise(outer: outer, inner: inner, operandBroadcast: broadcasts, location: location)
    let total = b.dims.reduce(1, *)
    let blocks = (total / (outer * inner)) * ceilDiv(outer, t.outerTile) * ceilDiv(inner, t.innerTile)
    let bytes = (operands + 1) * total * eb
    let compute = b.condition == nil ? cost.vector(total) : cost.select(total)
    // 2 (3) transfers per block (the operands), streaming 2 (3) × total × eb bytes in all.
    let load = cost.dma(operands * total * eb, transfers: blocks.multipliedSaturating(by: operands))
    let store = cost.dma(total * eb, transfers: blocks)
    let estimate = CostEstimate(
      computeCycles: compute, loadCycles: load, storeCycles: store,
      cycles: cost.combine(
        compute: compute, load: load, store: store, firstLoad: load / max(blocks, 1), lastStore: store / max(blocks, 1),
        overlapped: t.doubleBuffered), dramBytes: bytes, tiles: blocks)
    return ElementwiseTiling(
      outerTile: t.outerTile, innerTile: t.innerTile, doubleBuffered: t.doubleBuffered, estimate: estimate)
  }

  func unary(_ u: UnaryWork, _ location: String) throws(LoweringError) -> ElementwiseTiling {
    if u.table != nil { return try lookup(u, location) }
    let t = try elementwise(outer: 1, inner: u.count, operandBroadcast: [(false, false)], location: location)
    let blocks = ceilDiv(u.count, t.innerTile)
    let compute = cost.vector(u.count)
    let load = cost.dma(u.count * eb, transfers: blocks)
    let store = cost.dma(u.count * eb, transfers: blocks)
    let estimate = CostEstimate(
      computeCycles: compute, loadCycles: load, storeCycles: store,
      cycles: cost.combine(
        compute: compute, load: load, store: store, firstLoad: load / blocks, lastStore: store / blocks,
        overlapped: t.doubleBuffered), dramBytes: 2 * u.count * eb, tiles: blocks)
    return ElementwiseTiling(outerTile: 1, innerTile: t.innerTile, doubleBuffered: t.doubleBuffered, estimate: estimate)
  }

  /// `vlut` blocks as `vrequant`'s; the 256-byte table is loaded into the weight buffer once
  /// per layer (a weight load before the first block).
  func lookup(_ u: UnaryWork, _ location: String) throws(LoweringError) -> ElementwiseTiling {
    let tableBytes = VectorOperation.lookupTableBytes
    let t = try elementwise(outer: 1, inner: u.count, operandBroadcast: [(false, false)], location: location)
    let blocks = ceilDiv(u.count, t.innerTile)
    let last = u.count - (blocks - 1) * t.innerTile
    let compute = (blocks - 1).multipliedSaturating(by: cost.lookup(t.innerTile)).addingSaturating(cost.lookup(last))
    let tableLoad = cost.dma(tableBytes, transfers: 1)
    let load = cost.dma(u.count * eb, transfers: blocks).addingSaturating(tableLoad)
    let store = cost.dma(u.count * eb, transfers: blocks)
    let estimate = CostEstimate(
      computeCycles: compute, loadCycles: load, storeCycles: store,
      cycles: cost.combine(
        compute: compute, load: load, store: store, firstLoad: tableLoad + (load - tableLoad) / blocks,
        lastStore: store / blocks, overlapped: t.doubleBuffered), dramBytes: 2 * u.count * eb + tableBytes, tiles: blocks)
    return ElementwiseTiling(outerTile: 1, innerTile: t.innerTile, doubleBuffered: t.doubleBuffered, estimate: estimate)
  }

  /// Blocks of whole rows (a softmax row is normalised by its own sum): the most rows whose
  /// input and output (twice over when double-buffered) fit.
  func softmax(_ u: SoftmaxWork, _ location: String) throws(LoweringError) -> ElementwiseTiling {
    let rowBytes = 2 * u.depth * eb  // input and output
    guard let db = bufferings.first(where: { (($0 ? 2 : 1) * rowBytes) <= ubCapacity }) else {
      throw LoweringError(
        .doesNotFit, location,
        "a row of \(u.depth) elements needs \(formatBytes(rowBytes)) of unified buffer; \(arch.name) has \(formatBytes(ubCapacity))"
      )
    }
    let t = (outerTile: min(u.rows, ubCapacity / ((db ? 2 : 1) * rowBytes)), doubleBuffered: db)
    let blocks = ceilDiv(u.rows, t.outerTile)
    let elements = u.rows * u.depth
    // issue 14: PRELU / L2_NORMALIZATION
    let compute = u.l2NormZeroPoint == nil ? cost.softmax(elements) : cost.l2Normalize(elements)
    let load = cost.dma(elements * eb, transfers: blocks)
    let store = cost.dma(elements * eb, transfers: blocks)
    let estimate = CostEstimate(
      computeCycles: compute, loadCycles: load, storeCycles: store,
      cycles: cost.combine(
        compute: compute, load: load, store: store, firstLoad: load / blocks, lastStore: store / blocks,
        overlapped: t.doubleBuffered), dramBytes: 2 * elements * eb, tiles: blocks)
    return ElementwiseTiling(
      outerTile: t.outerTile, innerTile: u.depth, doubleBuffered: t.doubleBuffered, estimate: estimate)
  }

  /// Blocks of channels with every pixel (a channel's mean needs all of its pixels): the most
  /// channels whose input block and output row (twice over when double-buffered) fit.
  func mean(_ u: MeanWork, _ location: String) throws(LoweringError) -> ElementwiseTiling {
    let k = u.operationsPerElement  // issue 14: prod — 2 lane operations per element for fn=prod
    let ob = u.outputBytes(eb)  // issue 14: argmax — 4- or 8-byte indices
    let channelBytes = u.pixels * eb + ob  // a channel's pixels and its output
    guard let db = bufferings.first(where: { (($0 ? 2 : 1) * channelBytes) <= ubCapacity }) else {
      throw LoweringError(
        .doesNotFit, location,
        "one channel of \(u.pixels) pixels needs \(formatBytes(channelBytes)) of unified buffer; \(arch.name) has \(formatBytes(ubCapacity))"
      )
    }
    // issue 14: vector binary/reduce
    if u.rowLanes { return meanRows(u, doubleBuffered: db) }
    let channelTile = min(u.channels, ubCapacity / ((db ? 2 : 1) * channelBytes))
    let blocksPerImage = ceilDiv(u.channels, channelTile)
    let blocks = u.batches * blocksPerImage
    let elements = u.batches * u.pixels * u.channels
    let outputs = u.batches * u.channels
    let compute = u.batches.multipliedSaturating(
      by: (u.channels / channelTile) * cost.mean(pixels: u.pixels, channels: channelTile, operationsPerElement: k)
        + (u.channels % channelTile == 0
          ? 0 : cost.mean(pixels: u.pixels, channels: u.channels % channelTile, operationsPerElement: k)))
    // A block of all channels is one contiguous transfer; a partial block is one row per pixel.
    let loadTransfers = channelTile == u.channels ? blocks : blocks * u.pixels
    let load = cost.activationDMA(elements * eb, transfers: loadTransfers, onChip: expectedOnChip(u.input))
    let store = cost.activationDMA(outputs * ob, transfers: blocks, onChip: expectedOnChip(u.output))
    let estimate = CostEstimate(
      computeCycles: compute, loadCycles: load, storeCycles: store,
      cycles: cost.combine(
        compute: compute, load: load, store: store, firstLoad: load / blocks, lastStore: store / blocks,
        overlapped: db), dramBytes: elements * eb + outputs * ob, tiles: blocks)
    return ElementwiseTiling(outerTile: u.pixels, innerTile: channelTile, doubleBuffered: db, estimate: estimate)
  }

  // issue 14: vector binary/reduce
  /// Blocks of whole rows for a row-per-lane MEAN: the most rows whose elements and outputs
  /// (twice over when double-buffered) fit; one contiguous load and store per block.
  func meanRows(_ u: MeanWork, doubleBuffered db: Bool) -> ElementwiseTiling {
    let k = u.operationsPerElement  // issue 14: prod — 2 lane operations per element for fn=prod
    let ob = u.outputBytes(eb)  // issue 14: argmax — 4- or 8-byte indices
    let rowBytes = u.pixels * eb + ob
    let rowTile = max(1, min(u.batches, ubCapacity / ((db ? 2 : 1) * rowBytes)))
    let blocks = ceilDiv(u.batches, rowTile)
    let elements = u.batches * u.pixels
    let compute =
      (u.batches / rowTile) * cost.mean(pixels: u.pixels, channels: rowTile, operationsPerElement: k)
      + (u.batches % rowTile == 0
        ? 0 : cost.mean(pixels: u.pixels, channels: u.batches % rowTile, operationsPerElement: k))
    let load = cost.activationDMA(elements * eb, transfers: blocks, onChip: expectedOnChip(u.input))
    let store = cost.activationDMA(u.batches * ob, transfers: blocks, onChip: expectedOnChip(u.output))
    let estimate = CostEstimate(
      computeCycles: compute, loadCycles: load, storeCycles: store,
      cycles: cost.combine(
        compute: compute, load: load, store: store, firstLoad: load / blocks, lastStore: store / blocks,
        overlapped: db), dramBytes: elements * eb + u.batches * ob, tiles: blocks)
    return ElementwiseTiling(outerTile: u.pixels, innerTile: rowTile, doubleBuffered: db, estimate: estimate)
  }

  func pool(_ p: PoolWork, _ location: String) throws(LoweringError) -> PoolTiling {
    var best: PoolTiling?
    var smallestNeed = Int.max
    for (th, tw) in spatialCandidates(outH: p.outH, outW: p.outW) {
      let inRows = inputExtent(outputs: th, stride: p.strideH, kernel: p.kernelH, dilation: 1, size: p.inH)
      let inCols = inputExtent(outputs: tw, stride: p.strideW, kernel: p.kernelW, dilation: 1, size: p.inW)
      for db in bufferings {
        let perChannel = (db ? 2 : 1) * (inRows * inCols + th * tw) * eb
        smallestNeed = min(smallestNeed, perChannel)
        let channels = min(p.channels, ubCapacity / perChannel)
        guard channels >= 1 else { continue }
        let chunks = ceilDiv(p.channels, channels)
        let tiles = p.batches * ceilDiv(p.outH, th) * ceilDiv(p.outW, tw) * chunks
        let inBytes = tiles * inRows * inCols * channels * eb
        let outBytes = p.batches * p.outH * p.outW * p.channels * eb
        let compute = cost.vector(p.batches * p.outH * p.outW * p.channels * p.kernelH * p.kernelW)
        let load = cost.dma(inBytes, transfers: tiles.multipliedSaturating(by: channels == p.channels ? 1 : inRows))
        let store = cost.dma(outBytes, transfers: tiles.multipliedSaturating(by: channels == p.channels ? 1 : th))
        let estimate = CostEstimate(
          computeCycles: compute, loadCycles: load, storeCycles: store,
          cycles: cost.combine(
            compute: compute, load: load, store: store, firstLoad: load / tiles, lastStore: store / tiles,
            overlapped: db), dramBytes: inBytes.addingSaturating(outBytes), tiles: tiles)
        let t = PoolTiling(tileH: th, tileW: tw, channels: channels, doubleBuffered: db, estimate: estimate)
        if let b = best,
          (b.estimate.cycles, b.estimate.dramBytes, b.estimate.tiles) <= (
            estimate.cycles, estimate.dramBytes, estimate.tiles
          )
        {
          continue
        }
        best = t
      }
    }
    guard let best else {
      throw LoweringError(
        .doesNotFit, location,
        "smallest tile needs \(formatBytes(smallestNeed)) of unified buffer; \(arch.name) has \(formatBytes(ubCapacity))"
      )
    }
    return best
  }

  func copy(_ c: inout CopyWork, _ location: String) throws(LoweringError) {
    let db = state.options.doubleBuffering && ubCapacity >= 2 * eb
    let chunk = (ubCapacity / (db ? 2 : 1)) / eb * eb
    guard chunk >= eb else {
      throw LoweringError(
        .doesNotFit, location,
        "smallest tile needs \(formatBytes(eb)) of unified buffer; \(arch.name) has \(formatBytes(ubCapacity))")
    }
    c.chunkBytes = chunk
    c.doubleBuffered = db
    let bytes = c.copies.reduce(0) { $0 + $1.rows * $1.run } * eb
    let transfers = c.copies.reduce(0) { $0 + max(1, ceilDiv($1.rows * $1.run * eb, chunk)) }
    let outBytes = c.fill == nil ? 0 : Int(state.graph[c.output].elementCount) * eb
    let load = cost.dma(bytes, transfers: transfers)
    let store = cost.dma(bytes + outBytes, transfers: transfers)
    c.estimate = CostEstimate(
      computeCycles: 0, loadCycles: load, storeCycles: store,
      cycles: cost.combine(compute: 0, load: load, store: store, firstLoad: 0, lastStore: 0, overlapped: db),
      dramBytes: 2 * bytes + outBytes, tiles: transfers)
  }
}
