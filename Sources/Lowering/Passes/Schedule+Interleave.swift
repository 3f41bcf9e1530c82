import GraphIR
import Support
import TileISA

/// The output store of a stride-phase convolution (TRANSPOSE_CONV, `PhaseInterleave`).
extension Emitter {
  /// Stores a matrix layer's output tile of `th`×`tw` pixels × channels `c0 ..< c0 + count`
  /// (dense at `buffer`): densely (`storeTile`), or, for stride phases, each phase's channels
  /// with the output's pixel stride (`storeInterleaved`).
  mutating func storeMatrixTile(
    _ w: MatrixWork, batch b: Int, oh0: Int, ow0: Int, th: Int, tw: Int, c0: Int, count: Int, buffer: Int,
    bufferBytes: Int
  ) {
    if let interleave = w.outputInterleave {
      storeInterleaved(
        interleave, tensor: w.output, base: w.outputOffsets[b], oh0: oh0, ow0: ow0, th: th, tw: tw, c0: c0,
        count: count, buffer: buffer, bufferBytes: bufferBytes)
    } else {
      storeTile(
        tensor: w.output, base: w.outputOffsets[b], width: w.outW, channels: w.outC, oh0: oh0, ow0: ow0, th: th, tw: tw,
        c0: c0, count: count, buffer: buffer, bufferBytes: bufferBytes)
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
