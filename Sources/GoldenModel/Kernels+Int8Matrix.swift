import GraphIR
import Support

// The fast int8 cores of CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED and BATCH_MATMUL: the same
// integer arithmetic as the reference cores in `Kernels+Matrix.swift` (`convAccumulate` and the
// others, which remain for int16 activations and as the tests' oracle), computed with
// ``Int8GEMM`` and split over threads, with the requantizing epilogue fused per block. Every
// output is computed by one thread with wrapping `Int32` sums, so the bytes never depend on the
// thread count.

// MARK: - Epilogues

/// The int8 epilogue of CONV_2D and DEPTHWISE_CONV_2D: per channel `c`,
/// `clamp(MultiplyByQuantizedMultiplier(acc + bias[c], multiplier[c], shift[c]) + out_zp)`.
///
/// Four channels at a time in `SIMD4<Int32>` lanes, with `MultiplyByQuantizedMultiplier`
/// unfolded into the form ``FixedPoint`` documents: `s = x · 2^left` (wrapping), the high
/// product `h = (s · m + 2^30) >> 31` (floor; gemmlowp's sign-dependent nudge and truncating
/// division come to exactly this), saturated to `Int32.max` when `s = m = Int32.min`, then the
/// rounding right shift `(h >> e) + (h & mask > mask / 2 + (h < 0 ? 1 : 0) ? 1 : 0)`. Channels
/// whose shift lies outside −31...30 (which `QuantizeMultiplier` never produces) make the whole
/// epilogue call ``FixedPoint/multiplyByQuantizedMultiplier(_:_:_:)`` instead, so its checks
/// apply unchanged.
struct ConvInt8Epilogue: Sendable {
  typealias Lanes = SIMD4<Int32>

  /// Per channel, padded with zeros to whole vectors of four.
  private var bias: [Lanes]
  private var multiplier: [Lanes]
  private var factor: [Lanes]
  private var rightShift: [Lanes]
  private var mask: [Lanes]
  /// The parameters as given, for the scalar path.
  let parameters: (bias: [Int32], multiplier: [Int32], shift: [Int])
  private let vectorized: Bool
  let outputZeroPoint: Int32
  let range: ClosedRange<Int32>

  init(bias: [Int32], multiplier: [Int32], shift: [Int], outputZeroPoint: Int32, range: ClosedRange<Int32>) {
    precondition(bias.count == multiplier.count && shift.count == multiplier.count, "epilogue parameters differ in length")
    parameters = (bias, multiplier, shift)
    self.outputZeroPoint = outputZeroPoint
    self.range = range
    vectorized = shift.allSatisfy { (-31...30).contains($0) }
    let padded = (multiplier.count + 3) / 4
    func lanes(_ values: [Int32]) -> [Lanes] {
      (0..<padded).map { v in
        Lanes((0..<4).map { l in v * 4 + l < values.count ? values[v * 4 + l] : 0 })
      }
    }
    self.bias = lanes(bias)
    self.multiplier = lanes(multiplier)
    let left = shift.map { Swift.max($0, 0) }
    let right = shift.map { Swift.max(-$0, 0) }
    factor = lanes(left.map { Int32(truncatingIfNeeded: Int64(1) << Int64(Swift.min($0, 63))) })
    rightShift = lanes(right.map { Int32(Swift.min($0, 31)) })
    mask = lanes(right.map { Int32(truncatingIfNeeded: (Int64(1) << Int64(Swift.min($0, 31))) - 1) })
  }

  /// `MultiplyByQuantizedMultiplier(acc + bias, multiplier, shift) + out_zp`, clamped, for the
  /// four channels of vector `v`.
  @inline(__always)
  private static func lanes(
    _ acc: Lanes, _ bias: Lanes, _ multiplier: Lanes, _ factor: Lanes, _ rightShift: Lanes, _ mask: Lanes,
    zeroPoint: Lanes, lower: Lanes, upper: Lanes
  ) -> Lanes {
    let s = (acc &+ bias) &* factor
    let product = SIMD4<Int64>(truncatingIfNeeded: s) &* SIMD4<Int64>(truncatingIfNeeded: multiplier)
    var high = Lanes(truncatingIfNeeded: (product &+ SIMD4<Int64>(repeating: 1 << 30)) &>> 31)
    high.replace(with: .max, where: (s .== .min) .& (multiplier .== .min))
    let remainder = high & mask
    let threshold = (mask &>> 1) &- (high &>> 31)
    let rounded = (high &>> rightShift) &- Lanes.zero.replacing(with: -1, where: remainder .> threshold)
    return (rounded &+ zeroPoint).clamped(lowerBound: lower, upperBound: upper)
  }

  /// Requantizes `count` accumulators of channels `firstChannel...` into `out`.
  func requantize(
    _ acc: UnsafePointer<Int32>, count: Int, firstChannel: Int, into out: UnsafeMutablePointer<Int8>
  ) {
    guard vectorized else {
      for j in 0..<count {
        let c = firstChannel + j
        let r =
          FixedPoint.multiplyByQuantizedMultiplier(acc[j] &+ parameters.bias[c], parameters.multiplier[c], parameters.shift[c])
          &+ outputZeroPoint
        out[j] = Int8(truncatingIfNeeded: Swift.min(Swift.max(r, range.lowerBound), range.upperBound))
      }
      return
    }
    let zeroPoint = Lanes(repeating: outputZeroPoint)
    let lower = Lanes(repeating: range.lowerBound)
    let upper = Lanes(repeating: range.upperBound)
    bias.withUnsafeBufferPointer { bias in
      multiplier.withUnsafeBufferPointer { multiplier in
        factor.withUnsafeBufferPointer { factor in
          rightShift.withUnsafeBufferPointer { rightShift in
            mask.withUnsafeBufferPointer { mask in
              var j = 0
              // Channel vectors align with `firstChannel`'s only when it is a multiple of 4.
              if firstChannel % 4 == 0 {
                while j + 4 <= count {
                  let v = (firstChannel + j) / 4
                  let a = UnsafeRawPointer(acc + j).loadUnaligned(as: Lanes.self)
                  let r = Self.lanes(
                    a, bias[v], multiplier[v], factor[v], rightShift[v], mask[v], zeroPoint: zeroPoint, lower: lower,
                    upper: upper)
                  UnsafeMutableRawPointer(out + j).storeBytes(
                    of: SIMD4<Int8>(truncatingIfNeeded: r), as: SIMD4<Int8>.self)
                  j += 4
                }
              }
              while j < count {
                let c = firstChannel + j
                let v = c / 4
                let l = c % 4
                let r = Self.lanes(
                  Lanes(repeating: acc[j]), Lanes(repeating: bias[v][l]), Lanes(repeating: multiplier[v][l]),
                  Lanes(repeating: factor[v][l]), Lanes(repeating: rightShift[v][l]), Lanes(repeating: mask[v][l]),
                  zeroPoint: zeroPoint, lower: lower, upper: upper)
                out[j] = Int8(truncatingIfNeeded: r[0])
                j += 1
              }
            }
          }
        }
      }
    }
  }
}

/// Writes requantized convolution outputs: GEMM row `r` is output pixel `r`, GEMM column `j` is
/// output channel `firstChannel + j` of `channels`.
private struct ConvInt8Sink: Int8GEMMSink, @unchecked Sendable {
  let epilogue: ConvInt8Epilogue
  let output: UnsafeMutablePointer<Int8>
  let channels: Int
  let firstChannel: Int

  func store(rows: Range<Int>, columns: Range<Int>, _ accumulators: UnsafePointer<Int32>, stride: Int) {
    for (i, r) in rows.enumerated() {
      epilogue.requantize(
        accumulators + i * stride, count: columns.count, firstChannel: firstChannel + columns.lowerBound,
        into: output + r * channels + firstChannel + columns.lowerBound)
    }
  }
}

/// Keeps raw `Int32` accumulators (`rows × columns`, row-major).
private struct RawInt32Sink: Int8GEMMSink, @unchecked Sendable {
  let output: UnsafeMutablePointer<Int32>
  let columns: Int

  func store(rows: Range<Int>, columns range: Range<Int>, _ accumulators: UnsafePointer<Int32>, stride: Int) {
    for (i, r) in rows.enumerated() {
      (output + r * columns + range.lowerBound).update(from: accumulators + i * stride, count: range.count)
    }
  }
}

// MARK: - CONV_2D

/// The im2col rows of a convolution: row `p` (output pixel `(b, oy, ox)`) holds, for each tap
/// `(ky, kx)` in filter order, the `depth` input channels of group `group` minus the input zero
/// point, or zeros for a tap outside the image (TFLite skips those taps; a zero adds nothing).
private struct ConvPatches: Int8GEMMRows, @unchecked Sendable {
  let input: UnsafePointer<Int8>
  let zeroPoint: Int16
  let g: WindowGeometry
  let depth: Int
  let channelBase: Int
  let kVectors: Int

  func fill(rows: Range<Int>, into buffer: UnsafeMutablePointer<Int16>) {
    let pixelsPerImage = g.outH * g.outW
    let depth = self.depth
    let zeroPoint = self.zeroPoint
    for (i, p) in rows.enumerated() {
      let b = p / pixelsPerImage
      let oy = (p - b * pixelsPerImage) / g.outW
      let ox = p - b * pixelsPerImage - oy * g.outW
      let row = buffer + i * kVectors * 8
      var k = 0
      for ky in 0..<g.filterH {
        let iy = oy * g.strideH - g.padTop + ky * g.dilationH
        let rowInside = iy >= 0 && iy < g.inH
        for kx in 0..<g.filterW {
          let ix = ox * g.strideW - g.padLeft + kx * g.dilationW
          let lanes = row + k
          if rowInside && ix >= 0 && ix < g.inW {
            let source = input + ((b * g.inH + iy) * g.inW + ix) * g.inC + channelBase
            for c in 0..<depth { lanes[c] = Int16(source[c]) &- zeroPoint }
          } else {
            lanes.update(repeating: 0, count: depth)
          }
          k += depth
        }
      }
      (row + k).update(repeating: 0, count: kVectors * 8 - k)
    }
  }
}

extension Kernels {
  /// CONV_2D with int8 activations and filters: `Σ w · (x − x_zp)` over in-image taps in
  /// wrapping `Int32`, then ``ConvInt8Epilogue``; `workers` threads at most.
  static func convInt8(
    input: [Int8], inputZeroPoint: Int32, filter: [Int8], _ s: ConvShape, epilogue: ConvInt8Epilogue, workers: Int,
    minimumWorkPerPart: Int = Int8GEMM.minimumWorkPerPart
  ) -> [Int8] {
    let g = s.geometry
    let depth = s.filterDepth
    let taps = g.filterH * g.filterW
    let perGroup = s.filtersPerGroup
    let pixels = g.batches * g.outH * g.outW
    var output = [Int8](repeating: 0, count: pixels * g.outC)
    guard pixels > 0, g.outC > 0 else { return output }
    let zeroPoint = Int16(truncatingIfNeeded: inputZeroPoint)
    filter.withUnsafeBufferPointer { w in
      let weights = PackedRows(int8: w, rows: g.outC, depth: taps * depth, offset: 0) { $0 * taps * depth }
      input.withUnsafeBufferPointer { x in
        output.withUnsafeMutableBufferPointer { out in
          weights.withVectors { packed in
            for group in 0..<s.groups {
              let patches = ConvPatches(
                input: x.baseAddress!, zeroPoint: zeroPoint, g: g, depth: depth, channelBase: group * depth,
                kVectors: weights.kVectors)
              let sink = ConvInt8Sink(
                epilogue: epilogue, output: out.baseAddress!, channels: g.outC, firstChannel: group * perGroup)
              Int8GEMM.run(
                rows: pixels, columns: perGroup, kVectors: weights.kVectors,
                weights: packed + group * perGroup * weights.kVectors, source: patches, sink: sink, workers: workers,
                minimumWorkPerPart: minimumWorkPerPart)
            }
          }
        }
      }
    }
    return output
  }
}

// MARK: - DEPTHWISE_CONV_2D

extension Kernels {
  /// DEPTHWISE_CONV_2D with int8 activations and filters: output channel `oc` sums
  /// `w[ky, kx, oc] · (x[iy, ix, oc / multiplier] − x_zp)` over in-image taps in wrapping `Int32`,
  /// eight channels per vector, then ``ConvInt8Epilogue``. Output rows are split over threads.
  static func depthwiseInt8(
    input: [Int8], inputZeroPoint: Int32, filter: [Int8], _ g: WindowGeometry, multiplier: Int,
    epilogue: ConvInt8Epilogue, workers: Int, minimumWorkPerPart: Int = Int8GEMM.minimumWorkPerPart
  ) -> [Int8] {
    let channels = g.outC
    let padded = (channels + 7) & ~7
    let vectors = padded / 8
    let taps = g.filterH * g.filterW
    var output = [Int8](repeating: 0, count: g.batches * g.outH * g.outW * channels)
    guard !output.isEmpty else { return output }
    // Filter taps widened and zero-padded to whole vectors: tap t, channel c at t · padded + c.
    var weights = [SIMD8<Int32>](repeating: .zero, count: taps * vectors)
    filter.withUnsafeBufferPointer { w in
      weights.withUnsafeMutableBufferPointer { packed in
        packed.withMemoryRebound(to: Int32.self) { lanes in
          for t in 0..<taps {
            for c in 0..<channels { lanes[t * padded + c] = Int32(w[t * channels + c]) }
          }
        }
      }
    }
    // The input as `x − x_zp` at each output channel (channel oc reads oc / multiplier).
    let inputPixels = g.batches * g.inH * g.inW
    var expanded = [SIMD8<Int32>](repeating: .zero, count: inputPixels * vectors)
    input.withUnsafeBufferPointer { x in
      expanded.withUnsafeMutableBufferPointer { e in
        e.withMemoryRebound(to: Int32.self) { lanes in
          for p in 0..<inputPixels {
            let source = x.baseAddress! + p * g.inC
            let row = lanes.baseAddress! + p * padded
            if multiplier == 1 {
              for c in 0..<channels { row[c] = Int32(source[c]) &- inputZeroPoint }
            } else {
              for c in 0..<channels { row[c] = Int32(source[c / multiplier]) &- inputZeroPoint }
            }
          }
        }
      }
    }
    let outputRows = g.batches * g.outH
    let work = outputRows * g.outW * channels * taps
    let parts = max(1, min(workers, outputRows, work / max(minimumWorkPerPart, 1)))
    weights.withUnsafeBufferPointer { w in
      expanded.withUnsafeBufferPointer { x in
        output.withUnsafeMutableBufferPointer { out in
          let job = DepthwiseRows(
            weights: w.baseAddress!, input: x.baseAddress!, output: out.baseAddress!, g: g, vectors: vectors,
            epilogue: epilogue)
          Parallel.forEach(parts) { part in
            job.run(rows: outputRows * part / parts..<outputRows * (part + 1) / parts)
          }
        }
      }
    }
    return output
  }
}

/// Output rows `(b, oy)` of an int8 depthwise convolution (see ``Kernels/depthwiseInt8``).
private struct DepthwiseRows: @unchecked Sendable {
  let weights: UnsafePointer<SIMD8<Int32>>
  let input: UnsafePointer<SIMD8<Int32>>
  let output: UnsafeMutablePointer<Int8>
  let g: WindowGeometry
  let vectors: Int
  let epilogue: ConvInt8Epilogue

  func run(rows: Range<Int>) {
    guard !rows.isEmpty else { return }
    let accumulators = UnsafeMutablePointer<SIMD8<Int32>>.allocate(capacity: vectors)
    defer { accumulators.deallocate() }
    for row in rows {
      let b = row / g.outH
      let oy = row - b * g.outH
      for ox in 0..<g.outW {
        accumulators.update(repeating: .zero, count: vectors)
        for ky in 0..<g.filterH {
          let iy = oy * g.strideH - g.padTop + ky * g.dilationH
          guard iy >= 0 && iy < g.inH else { continue }
          for kx in 0..<g.filterW {
            let ix = ox * g.strideW - g.padLeft + kx * g.dilationW
            guard ix >= 0 && ix < g.inW else { continue }
            let x = input + ((b * g.inH + iy) * g.inW + ix) * vectors
            let w = weights + (ky * g.filterW + kx) * vectors
            for v in 0..<vectors { accumulators[v] &+= x[v] &* w[v] }
          }
        }
        accumulators.withMemoryRebound(to: Int32.self, capacity: vectors * 8) { acc in
          epilogue.requantize(
            acc, count: g.outC, firstChannel: 0, into: output + ((b * g.outH + oy) * g.outW + ox) * g.outC)
        }
      }
    }
  }
}

// MARK: - FULLY_CONNECTED and BATCH_MATMUL

extension Kernels {
  /// `Σ_d (w[u, d] + w_off) · (x[r, d] + x_off)` in wrapping `Int32` for every row `r` and unit
  /// `u` (row-major), for int8 inputs and weights.
  static func fullyConnectedInt8(
    input: [Int8], inputOffset: Int32, weights: [Int8], weightOffset: Int32, _ mm: MatMulShape, workers: Int,
    minimumWorkPerPart: Int = Int8GEMM.minimumWorkPerPart
  ) -> [Int32] {
    var acc = [Int32](repeating: 0, count: mm.rows * mm.cols)
    guard !acc.isEmpty else { return acc }
    let depth = mm.depth
    input.withUnsafeBufferPointer { x in
      weights.withUnsafeBufferPointer { w in
        let lhs = PackedRows(int8: x, rows: mm.rows, depth: depth, offset: Int16(truncatingIfNeeded: inputOffset)) {
          $0 * depth
        }
        let rhs = PackedRows(int8: w, rows: mm.cols, depth: depth, offset: Int16(truncatingIfNeeded: weightOffset)) {
          $0 * depth
        }
        acc.withUnsafeMutableBufferPointer { out in
          rhs.withVectors { packed in
            Int8GEMM.run(
              rows: mm.rows, columns: mm.cols, kVectors: rhs.kVectors, weights: packed, source: lhs,
              sink: RawInt32Sink(output: out.baseAddress!, columns: mm.cols), workers: workers,
              minimumWorkPerPart: minimumWorkPerPart)
          }
        }
      }
    }
    return acc
  }

  /// `Σ_k (a[batch, row, k] + aOffset) · (b[batch, k, col] + bOffset)` in wrapping `Int32` with
  /// broadcast batches and adjoint strides, for int8 operands.
  static func batchMatMulInt8(
    _ a: [Int8], aOffset: Int32, _ b: [Int8], bOffset: Int32, _ p: BatchMatMulPlan, workers: Int,
    minimumWorkPerPart: Int = Int8GEMM.minimumWorkPerPart
  ) -> [Int32] {
    var acc = [Int32](repeating: 0, count: p.batches * p.rows * p.cols)
    guard !acc.isEmpty else { return acc }
    let depth = p.depth
    a.withUnsafeBufferPointer { lhsValues in
      b.withUnsafeBufferPointer { rhsValues in
        acc.withUnsafeMutableBufferPointer { out in
          for n in 0..<p.batches {
            let aBase = p.lhsBatchOffsets[n]
            let bBase = p.rhsBatchOffsets[n]
            let lhs = PackedRows(rows: p.rows, depth: depth) { i, lanes in
              var index = aBase + i * p.lhsRowStride
              for k in 0..<depth {
                lanes[k] = Int16(lhsValues[index]) &+ Int16(truncatingIfNeeded: aOffset)
                index += p.lhsDepthStride
              }
            }
            let rhs = PackedRows(rows: p.cols, depth: depth) { j, lanes in
              var index = bBase + j * p.rhsColStride
              for k in 0..<depth {
                lanes[k] = Int16(rhsValues[index]) &+ Int16(truncatingIfNeeded: bOffset)
                index += p.rhsDepthStride
              }
            }
            rhs.withVectors { packed in
              Int8GEMM.run(
                rows: p.rows, columns: p.cols, kVectors: rhs.kVectors, weights: packed, source: lhs,
                sink: RawInt32Sink(output: out.baseAddress! + n * p.rows * p.cols, columns: p.cols), workers: workers,
                minimumWorkPerPart: minimumWorkPerPart)
            }
          }
        }
      }
    }
    return acc
  }
}

// MARK: - Geometry without a graph

extension WindowGeometry {
  /// The geometry of a window over an NHWC `input` with TFLite's padding, with no output tensor
  /// to check against (for building shapes directly, as the fast cores' tests do).
  init(
    input: [Int], outputChannels: Int, filterH: Int, filterW: Int, strideH: Int, strideW: Int, dilationH: Int,
    dilationW: Int, padding: Padding
  ) {
    precondition(input.count == 4, "input shape \(input) is not NHWC")
    let h = padding.geometry(input: input[1], filter: filterH, stride: strideH, dilation: dilationH)
    let w = padding.geometry(input: input[2], filter: filterW, stride: strideW, dilation: dilationW)
    batches = input[0]
    inH = input[1]
    inW = input[2]
    inC = input[3]
    outH = max(h.output, 0)
    outW = max(w.output, 0)
    outC = outputChannels
    self.filterH = filterH
    self.filterW = filterW
    self.strideH = strideH
    self.strideW = strideW
    self.dilationH = dilationH
    self.dilationW = dilationW
    padTop = h.padBefore
    padLeft = w.padBefore
  }
}
