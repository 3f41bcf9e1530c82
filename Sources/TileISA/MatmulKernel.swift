/// The `matmul` loop nest over a range of output pixels, on the machine's memories as raw
/// pointers: one value is shared by the workers of one instruction (`ExecutionParallelism`).
///
/// The loop is reorganized for speed with the same result (int32 wrapping sums commute): the
/// K-vector of `x − zp` (zero for padding) of each output pixel is gathered once into a 16-bit
/// patch, zero-padded to whole vectors of eight. Operands lie in −255...255 and weights in
/// −128...127, so every product is exact. Dense tiles (one group) then multiply blocks of
/// patches by the column-major tile in 2-pixel × 4-column register tiles: `SIMD8<Int16>` lanes
/// widened to `Int32`, multiplied and added in even/odd pairs, which the compiler emits as
/// `pmaddwd` (eight products per SSE2 instruction); each tile's eight `SIMD4<Int32>` partial sums
/// are reduced once, at the end of K. Grouped and depthwise tiles take the row-major tile.
///
/// `@unchecked Sendable`: the pointers stay valid while `MachineState.matmul` runs, every
/// worker only reads `unifiedBuffer` and `weights`, and pixel `p` writes only accumulator row
/// `accRow + p`, so the ranges of different workers write disjoint rows.
struct MatmulKernel: RangeKernel, @unchecked Sendable {
  typealias Lanes = SIMD8<Int16>

  let instruction: Matmul
  let unifiedBuffer: UnsafePointer<UInt8>
  /// The weight slot's `slotRows × slotColumns` values, row-major.
  let weights: UnsafePointer<Int16>
  /// The same values column-major, `vectorsPerColumn` zero-padded vectors per column.
  let columnVectors: UnsafePointer<Lanes>
  let vectorsPerColumn: Int
  let slotColumns: Int
  let accumulator: UnsafeMutablePointer<Int32>
  /// Columns of one accumulator row (the array's columns).
  let accumulatorColumns: Int

  /// Bytes of patches a block of pixels aims at (they stay in the L1/L2 cache while every
  /// column of the tile passes over them).
  static let blockBytes = 64 * 1024
  /// The most pixels in a block.
  static let maximumBlockPixels = 32

  /// Multiply-accumulates per output pixel, for `ExecutionParallelism.parts`.
  var workPerPixel: Int { instruction.reductionSize * instruction.columns / max(instruction.groups, 1) }

  /// Computes output pixels `pixels` (indices `oh · outWidth + ow`).
  func run(range pixels: Range<Int>) {
    guard !pixels.isEmpty else { return }
    let kVectors = (instruction.reductionSize + 7) / 8
    if instruction.groups != 1 {
      let channels = instruction.input.channelCount
      let depthwise = instruction.groups == channels && instruction.groups == instruction.columns
      let taps = instruction.window.taps
      // Depthwise: the tile's diagonal entries W[tap · C + c][c], contiguous per tap.
      withUnsafeTemporaryAllocation(of: Int16.self, capacity: depthwise ? taps * channels : 1) { diagonal in
        guard let d = diagonal.baseAddress else { return }
        if depthwise {
          for tap in 0..<taps {
            for c in 0..<channels { d[tap * channels + c] = weights[(tap * channels + c) * slotColumns + c] }
          }
        }
        withUnsafeTemporaryAllocation(of: Int16.self, capacity: max(kVectors * 8, 1)) { patch in
          guard let x = patch.baseAddress else { return }
          for p in pixels {
            gather(p, into: x, paddedTo: kVectors * 8)
            if depthwise {
              self.depthwise(p, patch: x, diagonal: d)
            } else {
              grouped(p, patch: x)
            }
          }
        }
      }
      return
    }
    let block = max(2, min(Self.maximumBlockPixels, Self.blockBytes / max(kVectors * 16, 1)))
    let patches = UnsafeMutablePointer<Lanes>.allocate(capacity: max(block * kVectors, 1))
    defer { patches.deallocate() }
    patches.withMemoryRebound(to: Int16.self, capacity: max(block * kVectors * 8, 8)) { lanes in
      var first = pixels.lowerBound
      while first < pixels.upperBound {
        let count = min(block, pixels.upperBound - first)
        for i in 0..<count { gather(first + i, into: lanes + i * kVectors * 8, paddedTo: kVectors * 8) }
        let out = accumulator + (instruction.accRow.index + first) * accumulatorColumns
        if instruction.accumulate {
          multiply(patches, pixels: count, kVectors: kVectors, into: out, accumulate: true)
        } else {
          multiply(patches, pixels: count, kVectors: kVectors, into: out, accumulate: false)
        }
        first += count
      }
    }
  }

  /// Gathers the im2col row of pixel `p` (k = (kh · kernelWidth + kw) · C + c) into
  /// `x[0..<length]`: `x − zp` inside the image, 0 for padding taps and past K.
  @inline(__always)
  private func gather(_ p: Int, into x: UnsafeMutablePointer<Int16>, paddedTo length: Int) {
    let m = instruction
    let f = m.input
    let w = m.window
    let channels = f.channelCount
    let zeroPoint = Int16(m.inputZeroPoint)
    let base = unifiedBuffer + f.address.byteOffset + f.channelOffset
    let oh = p / w.outWidth
    let ow = p - oh * w.outWidth
    let ihOrigin = oh * w.strideHeight - w.padTop
    let iwOrigin = ow * w.strideWidth - w.padLeft
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
    if length > k0 { (x + k0).update(repeating: 0, count: length - k0) }
  }

  /// Depthwise tiles: channel c meets only column c, on the tile's diagonal (`diagonal[tap · C
  /// + c]`); products exact in 16 bits.
  @inline(__always)
  private func depthwise(_ p: Int, patch x: UnsafeMutablePointer<Int16>, diagonal: UnsafePointer<Int16>) {
    let m = instruction
    let channels = m.input.channelCount
    let out = accumulator + (m.accRow.index + p) * accumulatorColumns
    if !m.accumulate { out.update(repeating: 0, count: channels) }
    for tap in 0..<m.window.taps {
      let xt = x + tap * channels
      let dt = diagonal + tap * channels
      for c in 0..<channels { out[c] &+= Int32(truncatingIfNeeded: xt[c] &* dt[c]) }
    }
  }

  /// Grouped tiles: pixel `p`'s patch `x` times the row-major tile, in-group products only.
  @inline(__always)
  private func grouped(_ p: Int, patch x: UnsafeMutablePointer<Int16>) {
    let m = instruction
    let w = m.window
    let channels = m.input.channelCount
    let n = m.columns
    let out = accumulator + (m.accRow.index + p) * accumulatorColumns
    if !m.accumulate { out.update(repeating: 0, count: n) }
    let groups = m.groups
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

extension MatmulKernel {
  /// `pmaddwd`: the eight products `a[l] · b[l]`, adjacent pairs summed into four lanes.
  @inline(__always)
  static func multiplyAdd(_ a: Lanes, _ b: Lanes) -> SIMD4<Int32> {
    let p = SIMD8<Int32>(truncatingIfNeeded: a) &* SIMD8<Int32>(truncatingIfNeeded: b)
    return p.evenHalf &+ p.oddHalf
  }

  @inline(__always)
  static func sum(_ v: SIMD4<Int32>) -> Int32 { (v[0] &+ v[1]) &+ (v[2] &+ v[3]) }

  @inline(__always)
  static func write(_ value: Int32, to out: UnsafeMutablePointer<Int32>, accumulate: Bool) {
    out.pointee = accumulate ? out.pointee &+ value : value
  }

  /// `out[i · accumulatorColumns + j] (+)= Σ_v patches[i][v] · W[j][v]` for `pixels` patches of
  /// `kVectors` vectors and the instruction's columns: 2 pixels × 4 columns per register tile.
  @inline(__always)
  func multiply(
    _ x: UnsafePointer<Lanes>, pixels m: Int, kVectors kv: Int, into out: UnsafeMutablePointer<Int32>,
    accumulate: Bool
  ) {
    let n = instruction.columns
    let stride = accumulatorColumns
    let columnStride = vectorsPerColumn
    var j = 0
    while j + 4 <= n {
      let w0 = columnVectors + j * columnStride
      let w1 = w0 + columnStride
      let w2 = w1 + columnStride
      let w3 = w2 + columnStride
      var i = 0
      while i + 2 <= m {
        let x0 = x + i * kv
        let x1 = x0 + kv
        var a00 = SIMD4<Int32>()
        var a01 = SIMD4<Int32>()
        var a02 = SIMD4<Int32>()
        var a03 = SIMD4<Int32>()
        var a10 = SIMD4<Int32>()
        var a11 = SIMD4<Int32>()
        var a12 = SIMD4<Int32>()
        var a13 = SIMD4<Int32>()
        for v in 0..<kv {
          let p = x0[v]
          let q = x1[v]
          let u0 = w0[v]
          a00 &+= Self.multiplyAdd(p, u0)
          a10 &+= Self.multiplyAdd(q, u0)
          let u1 = w1[v]
          a01 &+= Self.multiplyAdd(p, u1)
          a11 &+= Self.multiplyAdd(q, u1)
          let u2 = w2[v]
          a02 &+= Self.multiplyAdd(p, u2)
          a12 &+= Self.multiplyAdd(q, u2)
          let u3 = w3[v]
          a03 &+= Self.multiplyAdd(p, u3)
          a13 &+= Self.multiplyAdd(q, u3)
        }
        let o0 = out + i * stride + j
        let o1 = o0 + stride
        Self.write(Self.sum(a00), to: o0, accumulate: accumulate)
        Self.write(Self.sum(a01), to: o0 + 1, accumulate: accumulate)
        Self.write(Self.sum(a02), to: o0 + 2, accumulate: accumulate)
        Self.write(Self.sum(a03), to: o0 + 3, accumulate: accumulate)
        Self.write(Self.sum(a10), to: o1, accumulate: accumulate)
        Self.write(Self.sum(a11), to: o1 + 1, accumulate: accumulate)
        Self.write(Self.sum(a12), to: o1 + 2, accumulate: accumulate)
        Self.write(Self.sum(a13), to: o1 + 3, accumulate: accumulate)
        i += 2
      }
      if i < m {
        let x0 = x + i * kv
        var a0 = SIMD4<Int32>()
        var a1 = SIMD4<Int32>()
        var a2 = SIMD4<Int32>()
        var a3 = SIMD4<Int32>()
        for v in 0..<kv {
          let p = x0[v]
          a0 &+= Self.multiplyAdd(p, w0[v])
          a1 &+= Self.multiplyAdd(p, w1[v])
          a2 &+= Self.multiplyAdd(p, w2[v])
          a3 &+= Self.multiplyAdd(p, w3[v])
        }
        let o = out + i * stride + j
        Self.write(Self.sum(a0), to: o, accumulate: accumulate)
        Self.write(Self.sum(a1), to: o + 1, accumulate: accumulate)
        Self.write(Self.sum(a2), to: o + 2, accumulate: accumulate)
        Self.write(Self.sum(a3), to: o + 3, accumulate: accumulate)
      }
      j += 4
    }
    while j < n {
      let w0 = columnVectors + j * columnStride
      for i in 0..<m {
        let x0 = x + i * kv
        var a = SIMD4<Int32>()
        for v in 0..<kv { a &+= Self.multiplyAdd(x0[v], w0[v]) }
        Self.write(Self.sum(a), to: out + i * stride + j, accumulate: accumulate)
      }
      j += 1
    }
  }
}

extension MachineState {
  /// `matmul`, split over output pixels as `parallelism` allows (the fields are verified). An
  /// input at or above `unified buffer − arena` reads the activation arena in place.
  mutating func matmul(_ m: Matmul) {
    let arenaBase = unifiedBuffer.count - arena.count
    if !arena.isEmpty && m.input.address.byteOffset >= arenaBase {
      var local = m
      local.input.address = SRAMAddress(m.input.address.byteOffset - arenaBase)
      matmul(local, reading: arena)
    } else {
      matmul(m, reading: unifiedBuffer)
    }
  }

  /// `matmul` with its input addressed in `source` (the working region or the arena).
  private mutating func matmul(_ m: Matmul, reading source: [UInt8]) {
    let slot = weightSlots[m.weightSlot.rawValue]
    let accumulatorColumns = limits.arrayColumns
    let parallelism = self.parallelism
    source.withUnsafeBufferPointer { ub in
      slot.values.withUnsafeBufferPointer { weights in
        slot.columnVectors.withUnsafeBufferPointer { columnVectors in
          accumulator.withUnsafeMutableBufferPointer { acc in
            guard let ub = ub.baseAddress, let weights = weights.baseAddress,
              let columnVectors = columnVectors.baseAddress, let acc = acc.baseAddress
            else { return }
            let kernel = MatmulKernel(
              instruction: m, unifiedBuffer: ub, weights: weights, columnVectors: columnVectors,
              vectorsPerColumn: slot.vectorsPerColumn, slotColumns: slot.columns, accumulator: acc,
              accumulatorColumns: accumulatorColumns)
            parallelism.forEachRange(items: m.window.outputPixels, workPerItem: kernel.workPerPixel, kernel: kernel)
          }
        }
      }
    }
  }
}
