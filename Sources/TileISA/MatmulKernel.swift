/// The `matmul` loop nest over a range of output pixels, on the machine's memories as raw
/// pointers: one value is shared by the workers of one instruction (`ExecutionParallelism`).
///
/// The loop is reorganized for speed with the same result (int32 wrapping sums commute): for
/// each output pixel the K-vector of `x − zp` (zero for padding) is gathered once into a 16-bit
/// patch, then multiplied into the N accumulators one weight row at a time, skipping zero
/// operands (ReLU outputs at the zero point make about half of them zero). Operands lie in
/// −255...255 and weights in −128...127, so every product is exact in 16 bits; the inner loop
/// multiplies eight 16-bit lanes per SSE2 instruction and widens the products into the 32-bit
/// accumulators.
///
/// `@unchecked Sendable`: the pointers stay valid while `MachineState.matmul` runs, every
/// worker only reads `unifiedBuffer` and `weights`, and pixel `p` writes only accumulator row
/// `accRow + p`, so the ranges of different workers write disjoint rows.
struct MatmulKernel: @unchecked Sendable {
  let instruction: Matmul
  let unifiedBuffer: UnsafePointer<UInt8>
  /// The weight slot's `K_slot × slotColumns` values, row-major.
  let weights: UnsafePointer<Int16>
  let slotColumns: Int
  let accumulator: UnsafeMutablePointer<Int32>
  /// Columns of one accumulator row (the array's columns).
  let accumulatorColumns: Int

  /// Multiply-accumulates per output pixel, for `ExecutionParallelism.parts`.
  var workPerPixel: Int { instruction.reductionSize * instruction.columns / max(instruction.groups, 1) }

  /// Computes output pixels `pixels` (indices `oh · outWidth + ow`).
  func run(pixels: Range<Int>) {
    let k = instruction.reductionSize
    guard !pixels.isEmpty, k > 0 else { return }
    withUnsafeTemporaryAllocation(of: Int16.self, capacity: k) { patch in
      guard let x = patch.baseAddress else { return }
      for p in pixels { pixel(p, patch: x) }
    }
  }

  @inline(__always)
  private func pixel(_ p: Int, patch x: UnsafeMutablePointer<Int16>) {
    let m = instruction
    let f = m.input
    let w = m.window
    let channels = f.channelCount
    let n = m.columns
    let zeroPoint = Int16(m.inputZeroPoint)
    let base = unifiedBuffer + f.address.byteOffset + f.channelOffset
    let oh = p / w.outWidth
    let ow = p - oh * w.outWidth
    let ihOrigin = oh * w.strideHeight - w.padTop
    let iwOrigin = ow * w.strideWidth - w.padLeft

    // 1. Gather the im2col row: k = (kh · kernelWidth + kw) · C + c.
    var k0 = 0
    for kh in 0..<w.kernelHeight {
      let ih = ihOrigin + kh * w.dilationHeight
      let rowInside = ih >= 0 && ih < f.height
      for kw in 0..<w.kernelWidth {
        let iw = iwOrigin + kw * w.dilationWidth
        let xk = x + k0
        if rowInside && iw >= 0 && iw < f.width {
          let source = base + (ih * f.width + iw) * f.pixelStrideBytes
          for c in 0..<channels { xk[c] = Int16(Int8(bitPattern: source[c])) &- zeroPoint }
        } else {
          xk.update(repeating: 0, count: channels)
        }
        k0 += channels
      }
    }

    // 2. Multiply into the accumulator row.
    let out = accumulator + (m.accRow.index + p) * accumulatorColumns
    if !m.accumulate { out.update(repeating: 0, count: n) }
    let groups = m.groups
    if groups == 1 {
      for kk in 0..<k0 {
        let xv = x[kk]
        if xv == 0 { continue }
        let row = weights + kk * slotColumns
        for j in 0..<n { out[j] &+= Int32(truncatingIfNeeded: xv &* row[j]) }
      }
    } else if groups == channels && groups == n {
      // Depthwise: channel c meets only column c, on the tile's diagonal.
      for tap in 0..<w.taps {
        let xt = x + tap * channels
        let wt = weights + tap * channels * slotColumns
        for c in 0..<channels { out[c] &+= Int32(truncatingIfNeeded: xt[c] &* wt[c * slotColumns + c]) }
      }
    } else {
      let groupChannels = channels / groups
      let groupColumns = n / groups
      for g in 0..<groups {
        let firstColumn = g * groupColumns
        let o = out + firstColumn
        for tap in 0..<w.taps {
          for c in g * groupChannels..<(g + 1) * groupChannels {
            let kk = tap * channels + c
            let xv = x[kk]
            if xv == 0 { continue }
            let row = weights + kk * slotColumns + firstColumn
            for j in 0..<groupColumns { o[j] &+= Int32(truncatingIfNeeded: xv &* row[j]) }
          }
        }
      }
    }
  }
}

extension MachineState {
  /// `matmul`, split over output pixels as `parallelism` allows (the fields are verified).
  mutating func matmul(_ m: Matmul) {
    let slot = weightSlots[m.weightSlot.rawValue]
    let accumulatorColumns = limits.arrayColumns
    let parallelism = self.parallelism
    unifiedBuffer.withUnsafeBufferPointer { ub in
      slot.values.withUnsafeBufferPointer { weights in
        accumulator.withUnsafeMutableBufferPointer { acc in
          guard let ub = ub.baseAddress, let weights = weights.baseAddress, let acc = acc.baseAddress else { return }
          let kernel = MatmulKernel(
            instruction: m, unifiedBuffer: ub, weights: weights, slotColumns: slot.columns, accumulator: acc,
            accumulatorColumns: accumulatorColumns)
          parallelism.forEachRange(items: m.window.outputPixels, workPerItem: kernel.workPerPixel) { range in
            kernel.run(pixels: range)
          }
        }
      }
    }
  }
}
