import GraphIR
import Support
import TileISA

// issue 14: resize — RESIZE_BILINEAR int8 on the vector unit (`vresize`): legality, tiling by
// output rows, cost, schedule. Blocks of whole output rows (all columns and channels of one
// image); each block loads the contiguous input rows its taps read, runs one `vresize` and
// stores its rows.

/// RESIZE_BILINEAR of one layer.
struct ResizeWork {
  var input: TensorID, output: TensorID
  var batches: Int, inH: Int, inW: Int, channels: Int
  var outH: Int, outW: Int
  var mode: ResizeMode
  var tiling: ResizeTiling?

  /// Image rows the taps of output rows `r0 ..< r0 + n` read.
  func inputRows(_ r0: Int, _ n: Int) -> ClosedRange<Int> {
    Resize.inputRows(r0..<min(r0 + n, outH), inputHeight: inH, outputHeight: outH, mode: mode) ?? 0...0
  }

  /// The most input rows any block of `rowTile` output rows reads.
  func maxInputRows(_ rowTile: Int) -> Int {
    stride(from: 0, to: outH, by: rowTile).map { inputRows($0, rowTile).count }.max() ?? 1
  }
}

/// Blocks of a RESIZE_BILINEAR layer: `rowTile` output rows, reading at most `inputRows` input rows.
struct ResizeTiling {
  var rowTile: Int
  var inputRows: Int
  var doubleBuffered: Bool
  var estimate: CostEstimate

  /// Unified-buffer bytes of one input and one output buffer.
  func bufferBytes(_ w: ResizeWork, _ eb: Int) -> (input: Int, output: Int) {
    (inputRows * w.inW * w.channels * eb, rowTile * w.outW * w.channels * eb)
  }

  /// Unified-buffer bytes of the layer (twice the pair when double-buffered).
  func totalBytes(_ w: ResizeWork, _ eb: Int) -> Int {
    let b = bufferBytes(w, eb)
    return (doubleBuffered ? 2 : 1) * (b.input + b.output)
  }
}

extension OperatorLegalizer {
  /// RESIZE_BILINEAR int8 → `vresize` on the vector unit when its input and output share one
  /// per-tensor quantization (TFLite interpolates stored values and leaves the output's
  /// quantization unapplied), its sizes fit the instruction's 16-bit fields and one output row
  /// with the (at most two) input rows it reads fits the unified buffer.
  func resizeBilinear(alignCorners: Bool, halfPixelCenters: Bool) -> Decision {
    guard let xID = op.input(0), let x = input(0), let out = output, x.shape.count == 4, out.shape.count == 4 else {
      return host("operands are not rank 4")
    }
    if floatDatapath { return host("float32 datapath: vresize interpolates int8 elements") }
    if alignCorners && halfPixelCenters { return host("align_corners and half_pixel_centers are both set") }
    guard let xq = affine(x), let oq = affine(out), xq.scale == oq.scale, xq.zeroPoint == oq.zeroPoint,
      (x.quantization?.scales.count ?? 1) <= 1
    else {
      return host("input and output are quantized differently (TFLite resizes stored values)")
    }
    let (batches, inH, inW, channels) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let (outH, outW) = (out.shape[1], out.shape[2])
    guard out.shape[0] == batches, out.shape[3] == channels else {
      return host("output shape \(out.shape) does not match")
    }
    if let size = input(1)?.data?.integerValues, size != [Int64(outH), Int64(outW)] {
      return host("size \(size) does not match the output shape \(out.shape)")
    }
    let limit = Int(UInt16.max)
    guard [inH, inW, channels, outH, outW].allSatisfy({ $0 >= 1 && $0 <= limit }) else {
      return host("a size of \(x.shape) → \(out.shape) exceeds vresize's 16-bit fields")
    }
    let mode: ResizeMode = alignCorners ? .alignCorners : halfPixelCenters ? .halfPixelCenters : .asymmetric
    let work = ResizeWork(
      input: xID, output: op.outputs[0], batches: batches, inH: inH, inW: inW, channels: channels, outH: outH,
      outW: outW, mode: mode, tiling: nil)
    let eb = state.elementBytes
    let need = (work.maxInputRows(1) * inW + outW) * channels * eb
    let capacity = Int(state.arch.ub.capacity.count)
    guard need <= capacity else {
      return host(
        "one output row and its input rows need \(formatBytes(need)) of unified buffer; \(state.arch.name) has \(formatBytes(capacity))"
      )
    }
    return (
      .vectorUnit,
      "\(name): vresize on the vector unit (\(inH)×\(inW) → \(outH)×\(outW) × \(channels) channels, \(mode.rawValue), 4 taps per output)",
      .resize(work)
    )
  }
}

extension CostModel {
  /// One `vresize` writing `elements` outputs: four tap reads and multiply-adds each; the
  /// simulator's `vector_resize` rule `max(⌈4E / vector_ops⌉, ⌈4E·eb / ub_port⌉, ⌈E·eb / ub_port⌉)`.
  func resize(_ elements: Int) -> Int {
    let taps = elements.multipliedSaturating(by: 4)
    let port = max(arch.ub.portBytesPerCycle, 1)
    let eb = arch.datapath.elementBytes
    return max(
      vector(taps), ceilDiv(taps.multipliedSaturating(by: eb), port),
      ceilDiv(elements.multipliedSaturating(by: eb), port),
      1)
  }
}

extension Tiler {
  /// The most output rows per block whose input rows and output (twice over when
  /// double-buffered) fit the unified buffer; estimates per block as the schedule emits them.
  func resize(_ w: ResizeWork, _ location: String) throws(LoweringError) -> ResizeTiling {
    // Distinct block heights ⌈outH / k⌉, tallest first.
    let candidates = Set((1...w.outH).map { ceilDiv(w.outH, $0) }).sorted(by: >)
    for db in bufferings {
      for rowTile in candidates {
        let inputRows = w.maxInputRows(rowTile)
        var t = ResizeTiling(
          rowTile: rowTile, inputRows: inputRows, doubleBuffered: db,
          estimate: CostEstimate(computeCycles: 0, loadCycles: 0, storeCycles: 0, cycles: 0, dramBytes: 0, tiles: 0))
        guard t.totalBytes(w, eb) <= ubCapacity else { continue }
        t.estimate = estimate(w, rowTile, db)
        return t
      }
    }
    let smallest = ResizeTiling(
      rowTile: 1, inputRows: w.maxInputRows(1), doubleBuffered: false,
      estimate: CostEstimate(computeCycles: 0, loadCycles: 0, storeCycles: 0, cycles: 0, dramBytes: 0, tiles: 0))
    throw LoweringError(
      .doesNotFit, location,
      "one output row and its input rows need \(formatBytes(smallest.totalBytes(w, eb))) of unified buffer; \(arch.name) has \(formatBytes(ubCapacity))"
    )
  }

  private func estimate(_ w: ResizeWork, _ rowTile: Int, _ db: Bool) -> CostEstimate {
    var compute = 0
    var loaded = 0
    var blocks = 0
    for r0 in stride(from: 0, to: w.outH, by: rowTile) {
      let n = min(rowTile, w.outH - r0)
      compute = compute.addingSaturating(cost.resize(n * w.outW * w.channels))
      loaded = loaded.addingSaturating(w.inputRows(r0, n).count * w.inW * w.channels * eb)
      blocks += 1
    }
    compute = compute.multipliedSaturating(by: w.batches)
    loaded = loaded.multipliedSaturating(by: w.batches)
    blocks = blocks.multipliedSaturating(by: w.batches)
    let stored = (w.batches * w.outH * w.outW * w.channels).multipliedSaturating(by: eb)
    let load = cost.activationDMA(loaded, transfers: blocks, onChip: expectedOnChip(w.input))
    let store = cost.activationDMA(stored, transfers: blocks, onChip: expectedOnChip(w.output))
    return CostEstimate(
      computeCycles: compute, loadCycles: load, storeCycles: store,
      cycles: cost.combine(
        compute: compute, load: load, store: store, firstLoad: load / max(blocks, 1), lastStore: store / max(blocks, 1),
        overlapped: db), dramBytes: loaded.addingSaturating(stored), tiles: blocks)
  }
}

extension Emitter {
  /// Per image and block of output rows: load the input rows the block's taps read (one
  /// contiguous transfer), one `vresize`, store the rows (one contiguous transfer).
  mutating func resize(_ w: ResizeWork) {
    guard let i = layer, let t = w.tiling else { preconditionFailure("resize layer without tiling") }
    let (inBytes, outBytes) = t.bufferBytes(w, eb)
    let count = t.doubleBuffered ? 2 : 1
    let inRow = w.inW * w.channels * eb
    let outRow = w.outW * w.channels * eb
    var toggle = 0
    stats[i].largestTile = TileShape(
      outputHeight: t.rowTile, outputWidth: w.outW, reduction: w.channels, columns: w.channels)
    for b in 0..<w.batches {
      let inBase = address(w.input) + b * w.inH * inRow
      let outBase = address(w.output) + b * w.outH * outRow
      for r0 in stride(from: 0, to: w.outH, by: t.rowTile) {
        let n = min(t.rowTile, w.outH - r0)
        let rows = w.inputRows(r0, n)
        tile = TileCoordinate(m: stats[i].tiles)
        let inBuffer = toggle * (inBytes + outBytes)
        let outBuffer = inBuffer + inBytes
        toggle = (toggle + 1) % count
        load(
          .unifiedBuffer, sram: inBuffer, dram: inBase + rows.lowerBound * inRow, rows: 1, rowBytes: rows.count * inRow,
          source: region(w.input), target: inBuffer..<inBuffer + inBytes)
        let z = Resize(
          input: FeatureMap(
            address: SRAMAddress(inBuffer), height: rows.count, width: w.inW, pixelStrideBytes: w.channels * eb,
            channelCount: w.channels),
          firstInputRow: rows.lowerBound, inputHeight: w.inH, outputHeight: w.outH, outputWidth: w.outW,
          firstOutputRow: r0, outputRows: n, mode: w.mode,
          destination: PixelDestination(
            address: SRAMAddress(outBuffer), pixelStrideBytes: w.channels * eb, rowStrideBytes: outRow))
        compute(
          .vector(.resize(z)),
          [
            .read(.unifiedBuffer, inBuffer..<inBuffer + inBytes),
            .write(.unifiedBuffer, outBuffer..<outBuffer + outBytes),
          ])
        store(
          sram: outBuffer, dram: outBase + r0 * outRow, rows: 1, rowBytes: n * outRow,
          source: outBuffer..<outBuffer + outBytes, target: region(w.output))
        stats[i].tiles += 1
      }
    }
  }
}
