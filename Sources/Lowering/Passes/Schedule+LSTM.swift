import Architecture
import Support
import TileISA

// issue 14: lstm

extension CostModel {
  /// `vlstm` over `elements` = batch rows × cells: the simulator's `vector_lstm` rule
  /// `max(⌈8E / vector_ops⌉, ⌈10E / ub_port⌉)`.
  func lstmCell(_ elements: Int) -> Int {
    let reads = elements.multipliedSaturating(by: 10)
    return max(vector(elements.multipliedSaturating(by: 8)), ceilDiv(reads, max(arch.ub.portBytesPerCycle, 1)), 1)
  }
}

extension Tiler {
  /// The on-chip LSTM's cost: its loads (weight blob, sequence, state), the input projection
  /// (T·B pixels × K = inputs × N = 4U), per step the recurrent product (B pixels × K = U × 4U)
  /// and one `vlstm`, the stores (sequence, state); the queues are taken as serial.
  func lstm(_ w: LSTMWork) -> CostEstimate {
    let p = w.plan
    let r = max(arch.array.rows, 1), c = max(arch.array.cols, 1)
    let nTiles = ceilDiv(w.gateColumns, c)
    func product(pixels: Int, k: Int) -> Int {
      var cycles = 0
      for n0 in stride(from: 0, to: w.gateColumns, by: c) {
        let n = min(c, w.gateColumns - n0)
        for k0 in stride(from: 0, to: k, by: r) {
          let kc = min(r, k - k0)
          cycles += cost.loadWeights(kc) + cost.matmul(pixels: pixels, reduction: kc, columns: n, .weightStationary)
        }
        cycles += cost.activate(pixels: pixels, columns: n)
      }
      return cycles
    }
    let projection = product(pixels: w.rows, k: p.inputs)
    let step = product(pixels: p.batches, k: p.cells) + cost.lstmCell(p.batches * p.cells)
    let compute = projection + p.steps * step
    let stateBytes = 3 * p.batches * p.cells
    let load = cost.dma(w.blob.count) + cost.dma(w.rows * p.inputs) + cost.dma(stateBytes)
    let store = cost.dma(w.rows * p.cells) + cost.dma(stateBytes)
    let dram = w.blob.count + w.rows * (p.inputs + p.cells) + 2 * stateBytes
    return CostEstimate(
      computeCycles: compute, loadCycles: load, storeCycles: store, cycles: load + compute + store, dramBytes: dram,
      tiles: nTiles * (1 + p.steps))
  }
}

extension Emitter {
  /// An int8 UNIDIRECTIONAL_SEQUENCE_LSTM as `LSTMWork` describes it.
  mutating func lstm(_ w: LSTMWork) {
    guard let i = layer, let addresses = plan.lstm[i] else { preconditionFailure("LSTM layer without DRAM placement") }
    let p = w.plan
    let n4 = w.gateColumns
    let u = p.cells
    let accRows = max(1, state.arch.accumulatorEntries)
    stats[i].weightBytes = w.blob.count
    stats[i].usefulMACs = w.macs
    // A blob cached in the weight buffer (after the matrix layers' cached blobs) is loaded once
    // per model on an architecture whose parameters stay across inferences (`resident`), as a
    // cached matrix layer's is; otherwise it is loaded into the streaming region every inference.
    let base = plan.lstmCachedOffset[i] ?? 0
    let residentBlob = plan.lstmCachedOffset[i] != nil && state.arch.memory.parametersResident
    if plan.lstmCachedOffset[i] != nil {
      stats[i].weightsCached = w.blob.count
    } else {
      stats[i].weightsStreamed += w.blob.count
    }
    stats[i].largestTile = TileShape(
      outputHeight: 1, outputWidth: min(w.rows, accRows), reduction: rows, columns: columns)

    // 1. Weights and tables → weight buffer; sequence and state → unified buffer.
    let blob = base..<base + w.blob.count
    load(
      .weightBuffer, sram: base, dram: addresses.blob, rows: 1, rowBytes: w.blob.count, source: nil, target: blob,
      resident: residentBlob)
    let xRange = w.xOffset..<w.xOffset + w.rows * p.inputs
    load(
      .unifiedBuffer, sram: w.xOffset, dram: address(w.input), rows: 1, rowBytes: xRange.count, source: region(w.input),
      target: xRange)
    let hRange = w.hiddenOffset..<w.hiddenOffset + p.batches * u
    let stateHidden = TensorRegion(backing: .dram, range: addresses.hidden..<addresses.hidden + p.batches * u)
    let stateCell = TensorRegion(backing: .dram, range: addresses.cell..<addresses.cell + 2 * p.batches * u)
    load(
      .unifiedBuffer, sram: w.hiddenOffset, dram: addresses.hidden, rows: 1, rowBytes: hRange.count,
      source: stateHidden,
      target: hRange)
    let cRange = w.cellOffset..<w.cellOffset + 2 * p.batches * u
    load(
      .unifiedBuffer, sram: w.cellOffset, dram: addresses.cell, rows: 1, rowBytes: cRange.count, source: stateCell,
      target: cRange)
    let gRange = w.gateOffset..<w.gateOffset + w.rows * n4 * 2
    let yRange = w.yOffset..<w.yOffset + w.rows * u

    /// Matmuls of `pixels` input pixels (`pixelStride` bytes apart from `input`, K = `k`
    /// channels) against weight rows `weightRow ..< weightRow + k` of the blob, each n-tile
    /// activated with `mode` into G at `gateRow` (`gatePixelStride` rows apart).
    /// With `resident`, the weight tiles (in n-tile, K-chunk order) are already in those slots.
    func gates(
      input: Int, pixels: Int, pixelStride: Int, inputAccess: BufferAccess, k: Int, weightRow: Int, table: Int,
      mode: RequantMode, gateRow: Int, gateRowStride: Int, stage: Int, resident: [WeightSlot]? = nil
    ) {
      var tileIndex = 0
      for (j, n0) in stride(from: 0, to: n4, by: columns).enumerated() {
        let n = min(columns, n4 - n0)
        tile = TileCoordinate(m: stage, n: j)
        for (kk, k0) in stride(from: 0, to: k, by: rows).enumerated() {
          let kc = min(rows, k - k0)
          let s: WeightSlot
          if let resident {
            s = resident[tileIndex]
          } else {
            s = slot
            slot = slot == .first ? .second : .first
            compute(
              .loadWeights(
                LoadWeights(
                  slot: s, wbAddress: SRAMAddress(base + (weightRow + k0) * n4 + n0), rows: kc, columns: n,
                  rowStrideBytes: n4)
              ),
              [.read(.weightBuffer, blob)])
          }
          tileIndex += 1
          compute(
            .matmul(
              Matmul(
                input: FeatureMap(
                  address: SRAMAddress(input), height: 1, width: pixels, pixelStrideBytes: pixelStride,
                  channelOffset: k0,
                  channelCount: kc),
                window: Window(outHeight: 1, outWidth: pixels), weightSlot: s, columns: n, accRow: AccumulatorRow(0),
                accumulate: kk > 0, dataflow: .weightStationary)),
            [inputAccess])
          stats[i].tiles += 1
          stats[i].peSlots += pixels * rows * columns
        }
        compute(
          .activate(
            Activate(
              accRow: AccumulatorRow(0), height: 1, width: pixels, columns: n,
              paramAddress: SRAMAddress(base + table + n0 * ActivationParameters.entryBytes), mode: mode, outputZeroPoint: 0,
              destination: PixelDestination(
                address: SRAMAddress(w.gateOffset + (gateRow * n4 + n0) * 2), pixelStrideBytes: gateRowStride * n4 * 2,
                rowStrideBytes: pixels * gateRowStride * n4 * 2))),
          [.read(.weightBuffer, blob), .write(.unifiedBuffer, gRange)]
            + (mode == .fixedPointInt16Add ? [.read(.unifiedBuffer, gRange)] : []))
      }
    }

    // 2. The input projection of every step at once, in blocks of the accumulator's rows.
    for (b, r0) in stride(from: 0, to: w.rows, by: accRows).enumerated() {
      let count = min(accRows, w.rows - r0)
      gates(
        input: w.xOffset + r0 * p.inputs, pixels: count, pixelStride: p.inputs,
        inputAccess: .read(.unifiedBuffer, xRange),
        k: p.inputs, weightRow: 0, table: w.inputTableOffset, mode: .fixedPointInt16, gateRow: r0, gateRowStride: 1,
        stage: b)
    }
    // 3. Per step: the recurrent product added onto the step's gates, then the cell. When the
    // recurrent weights are at most two array tiles they stay in the two weight slots for every
    // step (weight stationary across steps).
    let batchStride = w.batchRowStride
    var resident: [WeightSlot]? = nil
    let recurrentTiles = ceilDiv(n4, columns) * ceilDiv(u, rows)
    if recurrentTiles <= WeightSlot.allCases.count && state.arch.array.weightDoubleBuffered {
      resident = []
      tile = TileCoordinate(m: 999)
      for n0 in stride(from: 0, to: n4, by: columns) {
        for k0 in stride(from: 0, to: u, by: rows) {
          let s = WeightSlot.allCases[resident?.count ?? 0]
          compute(
            .loadWeights(
              LoadWeights(
                slot: s, wbAddress: SRAMAddress(base + (p.inputs + k0) * n4 + n0), rows: min(rows, u - k0),
                columns: min(columns, n4 - n0), rowStrideBytes: n4)),
            [.read(.weightBuffer, blob)])
          resident?.append(s)
        }
      }
    }
    for t in 0..<p.steps {
      let previous =
        t == 0
        ? (w.hiddenOffset, u, BufferAccess.read(.unifiedBuffer, hRange))
        : (w.yOffset + w.row(0, t - 1) * u, batchStride * u, BufferAccess.read(.unifiedBuffer, yRange))
      gates(
        input: previous.0, pixels: p.batches, pixelStride: previous.1, inputAccess: previous.2, k: u,
        weightRow: p.inputs,
        table: w.recurrentTableOffset, mode: .fixedPointInt16Add, gateRow: w.row(0, t), gateRowStride: batchStride,
        stage: 1_000 + t, resident: resident)
      tile = TileCoordinate(m: 1_000 + t)
      let gate0 = w.gateOffset + w.row(0, t) * n4 * 2
      compute(
        .vector(
          .lstmCell(
            LSTMCell(
              gates: VectorView(
                address: SRAMAddress(gate0), outerStrideBytes: batchStride * n4 * 2, innerStrideBytes: 2),
              gateStrideBytes: u * 2,
              cell: VectorView(address: SRAMAddress(w.cellOffset), outerStrideBytes: u * 2, innerStrideBytes: 2),
              hidden: VectorView(
                address: SRAMAddress(w.yOffset + w.row(0, t) * u), outerStrideBytes: batchStride * u,
                innerStrideBytes: 1),
              outer: p.batches, inner: u, parameters: p.cellStep))),
        [
          .read(.unifiedBuffer, gRange), .read(.unifiedBuffer, cRange), .write(.unifiedBuffer, cRange),
          .write(.unifiedBuffer, yRange),
        ])
    }
    // 4. The output sequence, then the state for the next invocation.
    tile = nil
    store(
      sram: w.yOffset, dram: address(w.output), rows: 1, rowBytes: yRange.count, source: yRange,
      target: region(w.output))
    let last = w.yOffset + w.row(0, p.steps - 1) * u
    store(
      sram: last, sramStride: batchStride * u, dram: addresses.hidden, dramStride: u, rows: p.batches, rowBytes: u,
      source: yRange, target: stateHidden)
    store(
      sram: w.cellOffset, dram: addresses.cell, rows: 1, rowBytes: cRange.count, source: cRange, target: stateCell)
  }
}
