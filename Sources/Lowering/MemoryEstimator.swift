import Architecture
import GraphIR
import Support
import TileISA

/// Computes a `MemoryEstimate` from a tiled `LoweringState` (after `tiling`, before `allocate`),
/// in time proportional to the layers and their K chunks, never to the instructions.
///
/// The instruction bound follows the loop nests of `Schedule` (its doc comment) with every
/// data-dependent count replaced by its maximum: a tile's input rows by the halo of a full tile,
/// a weight tile and an activation table by one load each (as if streamed: cached parameters
/// need fewer), a fill by its three instructions, and every load or store by one routing `nop`
/// (the builder inserts at most one per DMA instruction). All arithmetic saturates.
struct MemoryEstimator {
  let state: LoweringState

  /// Loads and stores (each may need one routing nop), and compute-queue instructions.
  struct Count {
    var dma = 0
    var compute = 0

    var total: Int { dma.multipliedSaturating(by: 2).addingSaturating(compute) }

    static func + (a: Count, b: Count) -> Count {
      Count(dma: a.dma.addingSaturating(b.dma), compute: a.compute.addingSaturating(b.compute))
    }
    static func * (a: Count, n: Int) -> Count {
      Count(dma: a.dma.multipliedSaturating(by: n), compute: a.compute.multipliedSaturating(by: n))
    }
  }

  func estimate(_ budget: MemoryBudget) -> MemoryEstimate {
    var total = Count(dma: 0, compute: 1)  // finish
    var largest: MemoryEstimate.LayerShare?
    var constants = 0
    for (i, layer) in state.layers.enumerated() {
      let c = instructions(layer.work)
      total = total + c
      if c.total > (largest?.instructions ?? 0) {
        largest = MemoryEstimate.LayerShare(location: state.location(i), instructions: c.total)
      }
      constants.addSaturating(parameterBytes(layer.work))
    }
    var dram = 64
    for t in state.graph.tensors {
      let bytes = roundUp64(state.storageBytes(t))
      dram.addSaturating(bytes)
      if t.isConstant { constants.addSaturating(bytes) }
    }
    dram.addSaturating(constants)
    var machine = 0
    if budget.functional {
      let arch = state.arch
      let limits = MemoryLimits(
        unifiedBuffer: arch.ub.capacity, weightBuffer: arch.weights.capacity, accumulatorRows: arch.accumulatorEntries,
        arrayRows: arch.array.rows, arrayColumns: arch.array.cols)
      machine = MachineState.allocatedBytes(
        limits: limits, dramSize: dram, arenaSize: Int(clamping: arch.ub.capacity.count))
    }
    var e = MemoryEstimate(
      instructions: total.total,
      bytesPerInstruction: MemoryEstimate.compilerBytesPerInstruction.addingSaturating(
        budget.consumerBytesPerInstruction),
      dramBytes: dram, constantBytes: constants, machineBytes: machine)
    e.largest = largest
    return e
  }

  func roundUp64(_ bytes: Int) -> Int { bytes.addingSaturating(63) / 64 * 64 }

  // MARK: Instructions per layer

  func instructions(_ work: Work) -> Count {
    switch work {
    case .matrix(let w): return matrix(w)
    case .binary(let b):
      guard let t = b.tiling, t.outerTile > 0, t.innerTile > 0 else { return Count() }
      let rank = b.dims.count
      let inner = rank >= 1 ? b.dims[rank - 1] : 1
      let outer = rank >= 2 ? b.dims[rank - 2] : 1
      let leading = rank >= 2 ? Array(b.dims[0..<(rank - 2)]).saturatingProduct() : 1
      let tiles = [leading, ceilDiv(outer, t.outerTile), ceilDiv(inner, t.innerTile)].saturatingProduct()
      return Count(dma: b.condition == nil ? 3 : 4, compute: 1) * tiles
    case .pool(let p):
      guard let t = p.tiling, t.tileH > 0, t.tileW > 0, t.channels > 0 else { return Count() }
      let whole = t.channels >= p.channels
      let loads = whole ? 1 : haloRows(t.tileH, p.strideH, p.kernelH, 1, p.inH)
      let stores = whole ? 1 : max(1, min(t.tileH, p.outH))
      let tiles = [p.batches, ceilDiv(p.outH, t.tileH), ceilDiv(p.outW, t.tileW), ceilDiv(p.channels, t.channels)]
        .saturatingProduct()
      return Count(dma: loads.addingSaturating(stores), compute: 1) * tiles
    case .unary(let u):
      // Per block one load, one `vrequant`/`vlut` and one store; a `vlut` layer's table load.
      guard let t = u.tiling, t.innerTile > 0 else { return Count() }
      return Count(dma: 2, compute: 1) * ceilDiv(u.count, t.innerTile) + Count(dma: u.table == nil ? 0 : 1, compute: 0)
    case .mean(let u):
      // Per image and channel block: one load, one `vmean` and one store (Schedule.mean).
      guard let t = u.tiling, t.innerTile > 0 else { return Count() }
      // issue 14: vector binary/reduce — row lanes: one load, `vmean` and store per row block.
      if u.rowLanes { return Count(dma: 2, compute: 1) * ceilDiv(u.batches, t.innerTile) }
      return Count(dma: 2, compute: 1) * [u.batches, ceilDiv(u.channels, t.innerTile)].saturatingProduct()
    // issue 14: resize
    case .resize(let w):
      // Per image and block of output rows: one load, one `vresize` and one store.
      guard let t = w.tiling, t.rowTile > 0 else { return Count() }
      return Count(dma: 2, compute: 1) * [w.batches, ceilDiv(w.outH, t.rowTile)].saturatingProduct()
    // issue 14: lstm
    case .lstm(let w):
      // Four loads and three stores; per n-tile the input projection's matmuls and one
      // activate per pixel block; per step the recurrent matmuls, activates and one vlstm.
      let nTiles = ceilDiv(w.gateColumns, max(1, state.arch.array.cols))
      let kIn = ceilDiv(w.plan.inputs, max(1, state.arch.array.rows))
      let kRec = ceilDiv(w.plan.cells, max(1, state.arch.array.rows))
      let projection = nTiles * (2 * kIn + 1) * ceilDiv(w.rows, max(1, state.arch.accumulatorEntries))
      let steps = w.plan.steps * (nTiles * (2 * kRec + 1) + 1)
      return Count(dma: 7, compute: projection + steps)
    case .softmax(let u):
      // One load, one `vsoftmax` and one store per tile of whole rows (Schedule.softmax).
      guard let t = u.tiling, t.outerTile > 0 else { return Count() }
      return Count(dma: 2, compute: 1) * ceilDiv(u.rows, t.outerTile)
    case .copy(let c):
      var n = Count(dma: 3, compute: 0)  // a fill: one load, at most two stores
      let eb = state.elementBytes
      for copy in c.copies {
        let runBytes = copy.run.multipliedSaturating(by: eb)
        guard c.chunkBytes > 0, runBytes > 0 else { continue }
        if runBytes <= c.chunkBytes {
          n = n + Count(dma: 2, compute: 0) * ceilDiv(copy.rows, c.chunkBytes / runBytes)
        } else {
          let piece = max(1, c.chunkBytes / eb)
          n = n + Count(dma: 2, compute: 0) * copy.rows.multipliedSaturating(by: ceilDiv(copy.run, piece))
        }
      }
      return n
    case .host: return Count(dma: 0, compute: 1)
    case .alias, .fused: return Count()
    }
  }

  /// Input rows a tile of `tile` output rows reads (with its halo), at most `size`.
  func haloRows(_ tile: Int, _ stride: Int, _ kernel: Int, _ dilation: Int, _ size: Int) -> Int {
    let span = (tile - 1).multipliedSaturating(by: stride).addingSaturating(
      (kernel - 1).multipliedSaturating(by: dilation)
    ).addingSaturating(1)
    return max(1, min(size, span))
  }

  /// The K chunks' weight rows of a matrix layer, in the order `MatrixWork.kChunks` lists them
  /// (depthwise: per channel chunk of `channels`; dense: the list every n-tile shares).
  func chunkRows(_ w: MatrixWork, _ t: MatrixTiling, channels: Int? = nil) -> [Int] {
    var rows: [Int] = []
    if let cc = channels {
      for g in t.tapGroups { rows.append(g.taps.multipliedSaturating(by: cc)) }
      return rows
    }
    for g0 in stride(from: 0, to: w.inC, by: max(1, t.channelGroup)) {
      let groupEnd = min(w.inC, g0.addingSaturating(t.channelGroup))
      for c0 in stride(from: g0, to: groupEnd, by: max(1, t.chunkChannels)) {
        let cc = min(t.chunkChannels, groupEnd - c0)
        for g in t.tapGroups { rows.append(g.taps.multipliedSaturating(by: cc)) }
      }
    }
    return rows
  }

  func matrix(_ w: MatrixWork) -> Count {
    guard let t = w.tiling, t.tileH > 0, t.tileW > 0, t.nTile > 0, t.chunkChannels > 0, t.channelGroup > 0,
      t.nGroupTiles > 0
    else { return Count() }
    let spatialTiles = [w.batchCount, ceilDiv(w.outH, t.tileH), ceilDiv(w.outW, t.tileW)].saturatingProduct()
    let halo = haloRows(t.tileH, w.strideH, w.kernelH, w.dilationH, w.inH)
    let storeRows = max(1, min(t.tileH, w.outH))
    var perTile = Count()
    if w.isDepthwise {
      let nTiles = ceilDiv(w.inC, t.chunkChannels)
      let whole = nTiles == 1
      let chunks = t.tapGroups.count
      // Per channel chunk: its input slice, per K chunk one weight load + load_weights + matmul,
      // the table, activate, the store.
      let slice = whole ? 1 : halo
      let store = whole ? 1 : storeRows
      perTile =
        Count(dma: slice.addingSaturating(chunks).addingSaturating(1).addingSaturating(store), compute: 0)
        + Count(dma: 0, compute: chunks.multipliedSaturating(by: 2).addingSaturating(1))
      perTile = perTile * nTiles
    } else {
      let nTiles = ceilDiv(w.outC, t.nTile)
      let groups = ceilDiv(nTiles, t.nGroupTiles)
      let channelGroups = ceilDiv(w.inC, t.channelGroup)
      let chunks = chunkRows(w, t).count
      func sliceLoads(_ count: Int) -> Int { w.inputTransposed ? count : (count == w.inC ? 1 : halo) }
      var slices = 0
      if channelGroups > 1 {
        for cg in 0..<channelGroups {
          let first = cg.multipliedSaturating(by: t.channelGroup)
          slices.addSaturating(sliceLoads(min(t.channelGroup, w.inC - first)))
        }
        slices = slices.multipliedSaturating(by: groups)
      } else {
        slices = sliceLoads(w.inC)
      }
      var weightLoads = 1
      var correction = 0
      if case .activation(_, _, let adjoint, let zeroPoint) = w.weights {
        if adjoint { weightLoads = t.nTile }
        if zeroPoint != 0 { correction = 2 }
      }
      let perChunk = Count(dma: weightLoads, compute: 2 + correction)
      // A group of n-tiles stores its channels in one DMA when they are all of the output's.
      // Stride phases (TRANSPOSE_CONV): one store per tile row per phase.
      let store =
        w.outputInterleave.map { storeRows.multipliedSaturating(by: $0.phases) } ?? (groups == 1 ? 1 : storeRows)
      perTile =
        Count(dma: slices, compute: 0) + perChunk * nTiles.multipliedSaturating(by: chunks)
        + Count(dma: 1, compute: 1) * nTiles  // table, activate
        + Count(dma: store, compute: 0) * groups
    }
    // The parameter blob (cached or layer-resident) is loaded once.
    return perTile * spatialTiles + Count(dma: 1, compute: 0)
  }

  // MARK: Parameter bytes

  /// An upper bound on a matrix layer's parameter blob (tables, weight tiles with their level
  /// tables, BATCH_MATMUL's correction tile); 0 for other layers, 64 for a copy's fill, 256 for
  /// a `vlut` table.
  func parameterBytes(_ work: Work) -> Int {
    let eb = state.elementBytes
    switch work {
    case .copy(let c): return c.fill == nil ? 0 : roundUp64(c.chunkBytes)
    case .unary(let u): return u.table == nil ? 0 : roundUp64(VectorOperation.lookupTableBytes)
    case .matrix(let w):
      guard let t = w.tiling, t.nTile > 0, t.chunkChannels > 0 else { return 0 }
      var bytes = w.outC.multipliedSaturating(by: ActivationParameters.entryBytes)
      switch w.weights {
      case .constant:
        // N-tiles come in at most two widths (full and the remainder), so the tiles of each
        // width are one sum over the K chunks times their count.
        var widths: [(width: Int, count: Int, channels: Int?)] = []
        if w.isDepthwise {
          let full = w.inC / t.chunkChannels
          let rest = w.inC % t.chunkChannels
          if full > 0 {
            widths.append((t.chunkChannels.multipliedSaturating(by: w.depthMultiplier), full, t.chunkChannels))
          }
          if rest > 0 { widths.append((rest.multipliedSaturating(by: w.depthMultiplier), 1, rest)) }
        } else {
          let full = w.outC / t.nTile
          let rest = w.outC % t.nTile
          if full > 0 { widths.append((t.nTile, full, nil)) }
          if rest > 0 { widths.append((rest, 1, nil)) }
        }
        for (width, count, channels) in widths {
          let tiles = chunkRows(w, t, channels: channels).map { w.weightTileBytes(rows: $0, columns: width, eb) }
          bytes.addSaturating(tiles.saturatingSum().multipliedSaturating(by: count))
        }
      case .activation:
        let kMax = chunkRows(w, t).max() ?? 1
        bytes.addSaturating(kMax.multipliedSaturating(by: t.nTile).multipliedSaturating(by: eb))
      }
      return roundUp64(bytes)
    default: return 0
    }
  }
}
