import GraphIR
import Support

// AVERAGE_POOL_2D, MAX_POOL_2D and MEAN, bit-exact with TFLite's reference kernels
// (`kernels/internal/reference/integer_ops/pooling.h`, `reference/pooling.h`,
// `reference/reduce.h` `QuantizedMeanOrSum` / `Mean`) and the `Prepare` functions of
// `kernels/pooling.cc` and `kernels/reduce.cc`. `docs/quantization.md` states each
// op's arithmetic.

extension Kernels {
  static func averagePool2D(_ c: KernelContext, _ o: Pool2DOptions) throws(GoldenModelError) -> TensorData {
    let (x, out, g) = try poolSetup(c, o)
    let taps = PoolTaps(g)
    let v = try MatrixOperands.value(0, count: x.elementCount, "input", c)
    if case .float32(let xs) = v.storage {
      let act = try Requantize.floatActivationRange(o.activation, c)
      return TensorData(shape: out.shape, storage: .float32(averagePoolFloat(xs, g, taps, act)))
    }
    let range = try Requantize.activationRange(o.activation, output: out, c)
    if let empty = taps.firstEmptyWindow {
      throw GoldenModelError(.invalidModel, c.location, "pool window at output \(empty) covers no input element")
    }
    switch v.storage {
    case .int8(let xs):
      return TensorData(
        shape: out.shape, storage: .int8(averagePoolInteger(xs.map(Int32.init), g, taps, range).map { Int8($0) }))
    case .int16(let xs):
      return TensorData(
        shape: out.shape, storage: .int16(averagePoolInteger(xs.map(Int32.init), g, taps, range).map { Int16($0) }))
    case .uint8(let xs):
      return TensorData(
        shape: out.shape, storage: .uint8(averagePoolInteger(xs.map(Int32.init), g, taps, range).map { UInt8($0) }))
    default:
      throw c.unsupported("AVERAGE_POOL_2D on \(v.elementType)")
    }
  }

  static func maxPool2D(_ c: KernelContext, _ o: Pool2DOptions) throws(GoldenModelError) -> TensorData {
    let (x, out, g) = try poolSetup(c, o)
    let taps = PoolTaps(g)
    let v = try MatrixOperands.value(0, count: x.elementCount, "input", c)
    if case .float32(let xs) = v.storage {
      let act = try Requantize.floatActivationRange(o.activation, c)
      return TensorData(shape: out.shape, storage: .float32(maxPoolFloat(xs, g, taps, act)))
    }
    let range = try Requantize.activationRange(o.activation, output: out, c)
    switch v.storage {
    case .int8(let xs):
      return TensorData(
        shape: out.shape,
        storage: .int8(maxPoolInteger(xs.map(Int32.init), g, taps, lowest: -128, range).map { Int8($0) }))
    case .int16(let xs):
      return TensorData(
        shape: out.shape,
        storage: .int16(maxPoolInteger(xs.map(Int32.init), g, taps, lowest: -32768, range).map { Int16($0) }))
    case .uint8(let xs):
      return TensorData(
        shape: out.shape,
        storage: .uint8(maxPoolInteger(xs.map(Int32.init), g, taps, lowest: 0, range).map { UInt8($0) }))
    default:
      throw c.unsupported("MAX_POOL_2D on \(v.elementType)")
    }
  }

  static func mean(_ c: KernelContext, keepDims: Bool) throws(GoldenModelError) -> TensorData {
    let x = try MatrixOperands.input(0, c)
    var out = try c.outputTensor()
    let axisValues = try c.value(1).integerValues
    let rank = x.shape.count
    // TFLite `ResolveAxis`: negative axes count from the end; duplicates are ignored.
    var axes: [Int] = []
    for a in axisValues {
      let r = a < 0 ? Int(a) + rank : Int(a)
      guard r >= 0 && r < rank else {
        throw GoldenModelError(.invalidModel, c.location, "axis \(a) out of range for rank \(rank)")
      }
      if !axes.contains(r) { axes.append(r) }
    }
    let reduced = (0..<rank).map { axes.contains($0) }
    var expected: [Int] = []
    for (d, size) in x.shape.enumerated() {
      if reduced[d] {
        if keepDims { expected.append(1) }
      } else {
        expected.append(size)
      }
    }
    if out.isDynamic { out.shape = expected }
    guard out.shape == expected || out.elementCount == TensorData.elementCount(of: expected) else {
      throw GoldenModelError(
        .invalidModel, c.location,
        "output shape \(out.shape); expected \(expected) from input \(x.shape) and axes \(axes)")
    }
    let plan = ReductionPlan(shape: x.shape, reduced: reduced)
    let v = try MatrixOperands.value(0, count: x.elementCount, "input", c)

    switch v.storage {
    case .float32(let xs):
      return TensorData(shape: out.shape, storage: .float32(meanFloat(xs, plan)))
    case .int32(let xs):
      // `Mean<int, int64_t>`: int64 sum, truncating division.
      let sums = plan.sums(xs.map(Int64.init))
      let n = Int64(plan.count)
      return TensorData(shape: out.shape, storage: .int32(sums.map { Int32(truncatingIfNeeded: n > 0 ? $0 / n : 0) }))
    case .int8(let xs):
      return TensorData(
        shape: out.shape,
        storage: .int8(try quantizedMean(c, xs.map(Int32.init), plan, x, out, -128...127).map { Int8($0) }))
    case .int16(let xs):
      return TensorData(
        shape: out.shape,
        storage: .int16(try quantizedMean(c, xs.map(Int32.init), plan, x, out, -32768...32767).map { Int16($0) }))
    case .uint8(let xs):
      return TensorData(
        shape: out.shape,
        storage: .uint8(try quantizedMean(c, xs.map(Int32.init), plan, x, out, 0...255).map { UInt8($0) }))
    default:
      throw c.unsupported("MEAN on \(v.elementType)")
    }
  }
}

// MARK: - Pool geometry

extension Kernels {
  fileprivate static func poolSetup(_ c: KernelContext, _ o: Pool2DOptions) throws(GoldenModelError) -> (
    Tensor, Tensor, WindowGeometry
  ) {
    let x = try MatrixOperands.input(0, c)
    var out = try c.outputTensor()
    guard x.shape.count == 4 else {
      throw GoldenModelError(.invalidModel, c.location, "input must be rank 4 (NHWC); got \(x.shape)")
    }
    guard x.elementType == out.elementType else {
      throw GoldenModelError(
        .invalidModel, c.location, "output is \(out.elementType); expected \(x.elementType) like the input")
    }
    let g = try WindowGeometry(
      c, input: x.shape, output: out, outputChannels: x.shape[3], filterH: o.filterH, filterW: o.filterW,
      strideH: o.strideH, strideW: o.strideW, padding: o.padding)
    out.shape = g.outputShape
    return (x, out, g)
  }
}

/// The in-image window of every output row and column of a pool: TFLite clamps the filter to
/// `max(0, −origin) ..< min(filter, extent − origin)` and never reads padding.
struct PoolTaps {
  /// Input row range per output row, and input column range per output column.
  var rows: [Range<Int>], columns: [Range<Int>]

  init(_ g: WindowGeometry) {
    func window(_ o: Int, stride: Int, pad: Int, filter: Int, extent: Int) -> Range<Int> {
      let origin = o * stride - pad
      let start = origin + max(0, -origin)
      let end = origin + min(filter, extent - origin)
      return start < end ? start..<end : start..<start
    }
    rows = (0..<g.outH).map { window($0, stride: g.strideH, pad: g.padTop, filter: g.filterH, extent: g.inH) }
    columns = (0..<g.outW).map { window($0, stride: g.strideW, pad: g.padLeft, filter: g.filterW, extent: g.inW) }
  }

  /// The first output position whose window is empty (TFLite's average pool fails there).
  var firstEmptyWindow: String? {
    if let y = rows.firstIndex(where: \.isEmpty) { return "row \(y)" }
    if let x = columns.firstIndex(where: \.isEmpty) { return "column \(x)" }
    return nil
  }
}

// MARK: - Pool kernels

extension Kernels {
  /// Integer average pool: `int32` sum of the in-image values, then
  /// `(sum ± count/2) / count` (C division, so round half away from zero), then the clamp.
  static func averagePoolInteger(_ xs: [Int32], _ g: WindowGeometry, _ t: PoolTaps, _ range: ClosedRange<Int32>)
    -> [Int32]
  {
    var result = [Int32](repeating: 0, count: g.batches * g.outH * g.outW * g.outC)
    xs.withUnsafeBufferPointer { x in
      result.withUnsafeMutableBufferPointer { out in
        for b in 0..<g.batches {
          for oy in 0..<g.outH {
            for ox in 0..<g.outW {
              let oBase = ((b * g.outH + oy) * g.outW + ox) * g.outC
              let count = Int32(t.rows[oy].count * t.columns[ox].count)
              for ch in 0..<g.outC {
                var sum: Int32 = 0
                for iy in t.rows[oy] {
                  for ix in t.columns[ox] {
                    sum &+= x[((b * g.inH + iy) * g.inW + ix) * g.inC + ch]
                  }
                }
                let avg = sum > 0 ? (sum &+ count / 2) / count : (sum &- count / 2) / count
                out[oBase + ch] = Requantize.clamp(avg, range)
              }
            }
          }
        }
      }
    }
    return result
  }

  /// Float average pool: `total += x` over the window in row order, `total / count`, clamp.
  static func averagePoolFloat(_ xs: [Float], _ g: WindowGeometry, _ t: PoolTaps, _ act: (lower: Float, upper: Float))
    -> [Float]
  {
    var result = [Float](repeating: 0, count: g.batches * g.outH * g.outW * g.outC)
    xs.withUnsafeBufferPointer { x in
      result.withUnsafeMutableBufferPointer { out in
        for b in 0..<g.batches {
          for oy in 0..<g.outH {
            for ox in 0..<g.outW {
              let oBase = ((b * g.outH + oy) * g.outW + ox) * g.outC
              let count = Float(t.rows[oy].count * t.columns[ox].count)
              for ch in 0..<g.outC {
                var total: Float = 0
                for iy in t.rows[oy] {
                  for ix in t.columns[ox] {
                    total += x[((b * g.inH + iy) * g.inW + ix) * g.inC + ch]
                  }
                }
                // An empty window gives 0/0 = NaN; TFLite reports an error there instead.
                out[oBase + ch] = Requantize.clamp(total / count, act.lower, act.upper)
              }
            }
          }
        }
      }
    }
    return result
  }

  /// Integer max pool: the maximum of the in-image values starting from the type's lowest
  /// value, then the clamp.
  static func maxPoolInteger(
    _ xs: [Int32], _ g: WindowGeometry, _ t: PoolTaps, lowest: Int32, _ range: ClosedRange<Int32>
  ) -> [Int32] {
    var result = [Int32](repeating: 0, count: g.batches * g.outH * g.outW * g.outC)
    xs.withUnsafeBufferPointer { x in
      result.withUnsafeMutableBufferPointer { out in
        for b in 0..<g.batches {
          for oy in 0..<g.outH {
            for ox in 0..<g.outW {
              let oBase = ((b * g.outH + oy) * g.outW + ox) * g.outC
              for ch in 0..<g.outC {
                var m = lowest
                for iy in t.rows[oy] {
                  for ix in t.columns[ox] {
                    let v = x[((b * g.inH + iy) * g.inW + ix) * g.inC + ch]
                    if v > m { m = v }
                  }
                }
                out[oBase + ch] = Requantize.clamp(m, range)
              }
            }
          }
        }
      }
    }
    return result
  }

  /// Float max pool: `std::max` from `-Float.greatestFiniteMagnitude` (NaN inputs are skipped),
  /// then the clamp.
  static func maxPoolFloat(_ xs: [Float], _ g: WindowGeometry, _ t: PoolTaps, _ act: (lower: Float, upper: Float))
    -> [Float]
  {
    var result = [Float](repeating: 0, count: g.batches * g.outH * g.outW * g.outC)
    xs.withUnsafeBufferPointer { x in
      result.withUnsafeMutableBufferPointer { out in
        for b in 0..<g.batches {
          for oy in 0..<g.outH {
            for ox in 0..<g.outW {
              let oBase = ((b * g.outH + oy) * g.outW + ox) * g.outC
              for ch in 0..<g.outC {
                var m = -Float.greatestFiniteMagnitude
                for iy in t.rows[oy] {
                  for ix in t.columns[ox] {
                    let v = x[((b * g.inH + iy) * g.inW + ix) * g.inC + ch]
                    if m < v { m = v }
                  }
                }
                out[oBase + ch] = Requantize.clamp(m, act.lower, act.upper)
              }
            }
          }
        }
      }
    }
    return result
  }
}

// MARK: - MEAN

/// Maps every input element (row-major) to its output slot for a reduction over some axes.
struct ReductionPlan {
  /// Output slot of each input element.
  var slots: [Int]
  /// Number of output elements.
  var outputCount: Int
  /// Elements summed into each output (the product of the reduced dimensions).
  var count: Int

  init(shape: [Int], reduced: [Bool]) {
    let rank = shape.count
    var outStrides = [Int](repeating: 0, count: rank)
    var s = 1
    for d in stride(from: rank - 1, through: 0, by: -1) where !reduced[d] {
      outStrides[d] = s
      s *= shape[d]
    }
    outputCount = s
    count = zip(shape, reduced).reduce(1) { $0 * ($1.1 ? $1.0 : 1) }
    let total = shape.reduce(1, *)
    var slots = [Int](repeating: 0, count: total)
    var index = [Int](repeating: 0, count: rank)
    var slot = 0
    for n in 0..<total {
      slots[n] = slot
      var d = rank - 1
      while d >= 0 {
        index[d] += 1
        slot += outStrides[d]
        if index[d] < shape[d] { break }
        slot -= outStrides[d] * shape[d]
        index[d] = 0
        d -= 1
      }
    }
    self.slots = slots
  }

  /// Wrapping `Int32` sums per output, in input order.
  func sums(_ xs: [Int32]) -> [Int32] {
    var out = [Int32](repeating: 0, count: outputCount)
    for (i, v) in xs.enumerated() { out[slots[i]] &+= v }
    return out
  }

  /// `Int64` sums per output, in input order.
  func sums(_ xs: [Int64]) -> [Int64] {
    var out = [Int64](repeating: 0, count: outputCount)
    for (i, v) in xs.enumerated() { out[slots[i]] &+= v }
    return out
  }
}

extension Kernels {
  /// Float MEAN (`reference_ops::Mean<float, float>`): `Float` sums in input order, then
  /// `sum / Float(count)`.
  static func meanFloat(_ xs: [Float], _ plan: ReductionPlan) -> [Float] {
    var sums = [Float](repeating: 0, count: plan.outputCount)
    xs.withUnsafeBufferPointer { x in
      plan.slots.withUnsafeBufferPointer { slot in
        sums.withUnsafeMutableBufferPointer { s in
          for i in 0..<x.count { s[slot[i]] += x[i] }
        }
      }
    }
    guard plan.count > 0 else { return [Float](repeating: 0, count: plan.outputCount) }
    let n = Float(plan.count)
    return sums.map { $0 / n }
  }

  /// Quantized MEAN (`reference_ops::QuantizedMeanOrSum`, `compute_sum = false`).
  ///
  /// Multiplier `M, s = QuantizeMultiplier(Double(in_scale) / Double(out_scale))`; the `1/N`
  /// factor is folded in with `k = min(⌊log2 N⌋, 32, 31 + s)`, `M' = Int32((Int64(M) << k) / N)`,
  /// `s' = s − k`; each output is
  /// `clamp(MultiplyByQuantizedMultiplier(sum − in_zp·N, M', s') + out_zp)` in `int32`.
  fileprivate static func quantizedMean(
    _ c: KernelContext, _ xs: [Int32], _ plan: ReductionPlan, _ x: Tensor, _ out: Tensor, _ range: ClosedRange<Int32>
  ) throws(GoldenModelError) -> [Int32] {
    guard out.elementType == x.elementType else {
      throw GoldenModelError(.invalidModel, c.location, "output is \(out.elementType); expected \(x.elementType)")
    }
    let qx = try c.quantization(of: x)
    let qo = try c.quantization(of: out)
    // TFLite fills the output with zeros (not the zero point) when the input is empty.
    guard plan.count > 0, !xs.isEmpty else { return [Int32](repeating: 0, count: plan.outputCount) }
    let base = Requantize.Multiplier(real: Double(qx.scale) / Double(qo.scale))
    let m = meanMultiplier(base, count: plan.count)
    let n = Int64(plan.count)
    let inZP = Int64(qx.zeroPoint)
    let outZP = Int32(clamping: qo.zeroPoint)
    return plan.sums(xs).map { sum in
      let shifted = Int32(truncatingIfNeeded: Int64(sum) &- inZP &* n)
      let r = FixedPoint.multiplyByQuantizedMultiplier(shifted, m.multiplier, m.shift) &+ outZP
      return Requantize.clamp(r, range)
    }
  }

  /// Folds `1/count` into a MEAN multiplier the way `QuantizedMeanOrSum` does.
  static func meanMultiplier(_ m: Requantize.Multiplier, count: Int) -> Requantize.Multiplier {
    let n = Int64(count)
    var k = 63 - n.leadingZeroBitCount
    k = min(k, 32)
    k = min(k, 31 + m.shift)
    guard k >= 0 else { return m }
    let scaled = (Int64(m.multiplier) << Int64(k)) / n
    return Requantize.Multiplier(multiplier: Int32(truncatingIfNeeded: scaled), shift: m.shift - k)
  }
}
