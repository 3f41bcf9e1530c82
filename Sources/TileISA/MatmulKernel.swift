/// The `matmul` loop nest over a range of output pixels, on the machine's memories as raw
/// pointers: one value is shared by the workers of one instruction (`ExecutionParallelism`).
///
/// The loop is reorganized for speed with the same result (int32 wrapping sums commute): for
/// each output pixel the K-vector of `x − zp` (zero for padding) is gathered once into a 16-bit
/// patch. Operands lie in −255...255 and weights in −128...127, so every product is exact in 16
/// bits. Dense GEMM tiles then take one of two loops, whichever is faster for the pixel:
/// - dot products against the column-major tile, four columns at a time (the compiler turns
///   the 16-bit multiply-adds into `pmaddwd`, eight lanes per SSE2 instruction);
/// - for long reductions (K ≥ ``rowLoopMinimumK``) with at least a third of the operands zero
///   (ReLU outputs at the zero point), the row-major tile one row at a time, skipping zero
///   operands.
///
/// `@unchecked Sendable`: the pointers stay valid while `MachineState.matmul` runs, every
/// worker only reads `unifiedBuffer` and `weights`, and pixel `p` writes only accumulator row
/// `accRow + p`, so the ranges of different workers write disjoint rows.
struct MatmulKernel: RangeKernel, @unchecked Sendable {
  let instruction: Matmul
  let unifiedBuffer: UnsafePointer<UInt8>
  /// The weight slot's `slotRows × slotColumns` values, row-major.
  let weights: UnsafePointer<Int16>
  /// The same values column-major.
  let columnMajorWeights: UnsafePointer<Int16>
  let slotRows: Int
  let slotColumns: Int
  let accumulator: UnsafeMutablePointer<Int32>
  /// Columns of one accumulator row (the array's columns).
  let accumulatorColumns: Int

  /// The least K for which the zero-skipping row loop can beat the dot products (measured on
  /// SSE2: below it the dot products win even at 50 % zeros).
  static let rowLoopMinimumK = 128

  /// Multiply-accumulates per output pixel, for `ExecutionParallelism.parts`.
  var workPerPixel: Int { instruction.reductionSize * instruction.columns / max(instruction.groups, 1) }

  /// Computes output pixels `pixels` (indices `oh · outWidth + ow`).
  func run(range pixels: Range<Int>) {
    guard !pixels.isEmpty else { return }
    withUnsafeTemporaryAllocation(of: Int16.self, capacity: max(instruction.reductionSize, 1)) { patch in
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
      if k0 >= Self.rowLoopMinimumK && zeroCount(x, k0) * 3 >= k0 {
        for kk in 0..<k0 {
          let xv = x[kk]
          if xv == 0 { continue }
          let row = weights + kk * slotColumns
          for j in 0..<n { out[j] &+= Int32(truncatingIfNeeded: xv &* row[j]) }
        }
      } else {
        dotProducts(x, k: k0, n: n, into: out)
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

extension MatmulKernel {
  /// Zero operands among `x[0..<k]`.
  @inline(__always)
  func zeroCount(_ x: UnsafePointer<Int16>, _ k: Int) -> Int {
    var zeros = 0
    for kk in 0..<k where x[kk] == 0 { zeros += 1 }
    return zeros
  }

  /// `out[j] += Σ_k x[k] · W[k][j]` for j < n, four columns per pass over `x`.
  @inline(__always)
  func dotProducts(_ x: UnsafePointer<Int16>, k: Int, n: Int, into out: UnsafeMutablePointer<Int32>) {
    var j = 0
    while j + 4 <= n {
      let c0 = columnMajorWeights + j * slotRows
      let c1 = c0 + slotRows
      let c2 = c1 + slotRows
      let c3 = c2 + slotRows
      var s0: Int32 = 0
      var s1: Int32 = 0
      var s2: Int32 = 0
      var s3: Int32 = 0
      for kk in 0..<k {
        let xv = Int32(x[kk])
        s0 &+= xv &* Int32(c0[kk])
        s1 &+= xv &* Int32(c1[kk])
        s2 &+= xv &* Int32(c2[kk])
        s3 &+= xv &* Int32(c3[kk])
      }
      out[j] &+= s0
      out[j + 1] &+= s1
      out[j + 2] &+= s2
      out[j + 3] &+= s3
      j += 4
    }
    while j < n {
      let c = columnMajorWeights + j * slotRows
      var sum: Int32 = 0
      for kk in 0..<k { sum &+= Int32(x[kk]) &* Int32(c[kk]) }
      out[j] &+= sum
      j += 1
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
        slot.columnMajorValues.withUnsafeBufferPointer { columnMajor in
          accumulator.withUnsafeMutableBufferPointer { acc in
            guard let ub = ub.baseAddress, let weights = weights.baseAddress, let columnMajor = columnMajor.baseAddress,
              let acc = acc.baseAddress
            else { return }
            let kernel = MatmulKernel(
              instruction: m, unifiedBuffer: ub, weights: weights, columnMajorWeights: columnMajor, slotRows: slot.rows,
              slotColumns: slot.columns, accumulator: acc, accumulatorColumns: accumulatorColumns)
            parallelism.forEachRange(items: m.window.outputPixels, workPerItem: kernel.workPerPixel, kernel: kernel)
          }
        }
      }
    }
  }
}
