import GraphIR
import Support
import TileISA

/// The output store of a stride-phase convolution (TRANSPOSE_CONV, `PhaseInterleave`).
extension Emitter {
  /// Stores a matrix layer's output tile of `th`×`tw` pixels × channels `c0 ..< c0 + count`
  /// (dense at `buffer`): densely (`storeTile`), or, for stride phases, each phase's channels
  /// with the output's pixel stride (`storeInterleaved`).
  mutating func storeMatrixTile(
    _ w: MatrixWork, batch b: Int, oh0: Int, ow0: Int, th: Int, tw: Int, c0: Int, count: Int, nTile: Int, buffer: Int,
    bufferBytes: Int
  ) {
    if let interleave = w.outputInterleave, interleave.keepsPhaseRows(nTile: nTile, groupChannels: count) {
      storePhaseRows(
        interleave, tensor: w.output, base: w.outputOffsets[b], oh0: oh0, ow0: ow0, th: th, tw: tw, c0: c0,
        count: count, buffer: buffer, bufferBytes: bufferBytes)
    } else if let interleave = w.outputInterleave {
      storeInterleaved(
        interleave, tensor: w.output, base: w.outputOffsets[b], oh0: oh0, ow0: ow0, th: th, tw: tw, c0: c0,
        count: count, buffer: buffer, bufferBytes: bufferBytes)
    } else {
      storeTile(
        tensor: w.output, base: w.outputOffsets[b], width: w.outW, channels: w.outC, oh0: oh0, ow0: ow0, th: th, tw: tw,
        c0: c0, count: count, buffer: buffer, bufferBytes: bufferBytes)
    }
  }

  /// Where the `activate` of n-tile `first ..< first + n` of an output group `groupFirst ..<
  /// groupFirst + groupChannels` writes its `th × tw` pixels in the group's buffer: pixel by
  /// pixel with the group's channels (dense), or — for stride phases that keep phase rows whole
  /// (`PhaseInterleave.keepsPhaseRows`) — in the output's own layout: buffer row `r·G + l`
  /// (G phase rows in the group, l the tile's) holds output row `(oh0 + r)·s_h + ry`'s `tw·s_w`
  /// pixels, so conv pixel (r, x) of phase row l starts at `(r·G + l)·tw·s_w·N + x·s_w·N`.
  func matrixDestination(
    _ w: MatrixWork, nTile: Int, first: Int, groupFirst: Int, groupChannels: Int, tw: Int, buffer: Int
  ) -> PixelDestination {
    if let il = w.outputInterleave, il.keepsPhaseRows(nTile: nTile, groupChannels: groupChannels) {
      let rowsInGroup = groupChannels / il.block
      let local = (first - groupFirst) / il.block
      let offset = (first - groupFirst) % il.block
      return PixelDestination(
        address: SRAMAddress(buffer + (local * tw * il.block + offset) * eb), pixelStrideBytes: il.block * eb,
        rowStrideBytes: rowsInGroup * tw * il.block * eb)
    }
    return PixelDestination(
      address: SRAMAddress(buffer + (first - groupFirst) * eb), pixelStrideBytes: groupChannels * eb,
      rowStrideBytes: tw * groupChannels * eb)
  }

  /// Stores a group laid out by `matrixDestination` in phase rows: one DMA when the group holds
  /// every phase row (its buffer rows are consecutive output rows), else one per phase row of
  /// the group; rows and columns past the output's edge are left out.
  ///
  /// ```swift
  /// G = count / (s_w·N);  ry0 = c0 / (s_w·N);  bytes = min(tw·s_w, width − ow0·s_w)·N·eb
  /// G == s_h: store rows: min(th·s_h, height − oh0·s_h), rowBytes: bytes,
  ///             sram: buffer, stride tw·s_w·N·eb;  dram: output row oh0·s_h, column ow0·s_w, stride width·N·eb
  /// else, per l in 0..<G: rows: the r with (oh0 + r)·s_h + ry0 + l < height,
  ///             sram: buffer + l·tw·s_w·N·eb, stride G·tw·s_w·N·eb;  dram stride s_h·width·N·eb
  /// ```
  mutating func storePhaseRows(
    _ il: PhaseInterleave, tensor: TensorID, base: Int, oh0: Int, ow0: Int, th: Int, tw: Int, c0: Int, count: Int,
    buffer: Int, bufferBytes: Int
  ) {
    let target = region(tensor)
    let source = buffer..<buffer + bufferBytes
    let n = il.channels
    let rowsInGroup = count / il.block
    let ry0 = c0 / il.block
    let rowBytes = min(tw * il.strideW, il.width - ow0 * il.strideW) * n * eb
    let sramRow = tw * il.block * eb
    func dram(_ oy: Int) -> Int { address(tensor) + (base + (oy * il.width + ow0 * il.strideW) * n) * eb }
    if rowsInGroup == il.strideH {
      let rows = min(th * il.strideH, il.height - oh0 * il.strideH)
      store(
        sram: buffer, sramStride: sramRow, dram: dram(oh0 * il.strideH), dramStride: il.width * n * eb, rows: rows,
        rowBytes: rowBytes, source: source, target: target)
      return
    }
    for l in 0..<rowsInGroup {
      let first = oh0 * il.strideH + ry0 + l
      guard first < il.height else { continue }
      let rows = min(th, (il.height - first + il.strideH - 1) / il.strideH)
      store(
        sram: buffer + l * sramRow, sramStride: rowsInGroup * sramRow, dram: dram(first),
        dramStride: il.strideH * il.width * n * eb, rows: rows, rowBytes: rowBytes, source: source, target: target)
    }
  }

  /// Stores phase rows. Phase (ry, rx)'s pixel qx goes to output column `qx·s_w + rx` of
  /// output row `qy·s_h + ry`, so the `s_w` phases of one ry (channels `ry·s_w·N ..< (ry+1)·s_w·N`,
  /// rx-major) are `s_w` consecutive output pixels: when the tile holds all of them, one DMA per
  /// tile row and ry writes a contiguous run of output pixels (plus one for a last output column
  /// that only some rx reach); otherwise one DMA per tile row and phase.
  ///
  /// ```swift
  /// for r in 0..<th, ry in 0..<s_h:
  ///   oy = (oh0 + r)·s_h + ry;  if oy ≥ height: skip
  ///   whole ry block in c0 ..< c0 + count:
  ///     store rows: pixels whose s_w outputs all exist, rowBytes: s_w·N·eb,
  ///       sram: buffer + (r·tw·count + ry·s_w·N − c0)·eb, stride count·eb
  ///       dram: output + (oy·width + ow0·s_w)·N·eb, stride s_w·N·eb (contiguous)
  ///     [store the last pixel's existing phases]
  ///   else, per phase (ry, rx) meeting the channels: rows: its pixels inside the output,
  ///     rowBytes: its channels in the tile, dram stride s_w·N·eb
  /// ```
  mutating func storeInterleaved(
    _ il: PhaseInterleave, tensor: TensorID, base: Int, oh0: Int, ow0: Int, th: Int, tw: Int, c0: Int, count: Int,
    buffer: Int, bufferBytes: Int
  ) {
    let target = region(tensor)
    let source = buffer..<buffer + bufferBytes
    let start = address(tensor)
    let n = il.channels
    let block = il.strideW * n
    for r in 0..<th {
      for ry in 0..<il.strideH {
        let oy = (oh0 + r) * il.strideH + ry
        guard oy < il.height else { break }
        let rowStart = start + (base + oy * il.width * n) * eb
        let sramRow = buffer + r * tw * count * eb
        if c0 <= ry * block && (ry + 1) * block <= c0 + count {
          // Pixels all of whose s_w outputs exist, then the last pixel's existing phases.
          let whole = max(0, min(tw, il.width / il.strideW - ow0))
          let sram = sramRow + (ry * block - c0) * eb
          if whole > 0 {
            store(
              sram: sram, sramStride: count * eb, dram: rowStart + ow0 * block * eb, dramStride: block * eb,
              rows: whole, rowBytes: block * eb, source: source, target: target)
          }
          let rest = il.width - (ow0 + whole) * il.strideW
          if whole < tw && rest > 0 {
            store(
              sram: sram + whole * count * eb, dram: rowStart + (ow0 + whole) * block * eb, rows: 1,
              rowBytes: min(rest, il.strideW) * n * eb, source: source, target: target)
          }
          continue
        }
        for rx in 0..<il.strideW {
          let phase = ry * il.strideW + rx
          let lo = max(c0, phase * n)
          let hi = min(c0 + count, (phase + 1) * n)
          let columns = min(tw, max(0, (il.width - rx + il.strideW - 1) / il.strideW) - ow0)
          guard lo < hi, columns > 0 else { continue }
          store(
            sram: sramRow + (lo - c0) * eb, sramStride: count * eb,
            dram: rowStart + ((ow0 * il.strideW + rx) * n + lo - phase * n) * eb, dramStride: il.strideW * n * eb,
            rows: columns, rowBytes: (hi - lo) * eb, source: source, target: target)
        }
      }
    }
  }
}
