import Foundation
import GraphIR
import Support

// SPACE_TO_DEPTH, DEPTH_TO_SPACE, TILE, UNPACK, MAXIMUM, MINIMUM, LEAKY_RELU, PRELU, ARG_MAX and
// L2_NORMALIZATION, bit-exact with TFLite's reference kernels (`kernels/{space_to_depth,
// depth_to_space,tile,unpack,maximum_minimum,activations,arg_min_max,l2norm}.cc` and
// `kernels/internal/reference/{space_to_depth,depth_to_space,maximum_minimum,leaky_relu,prelu,
// arg_min_max,l2normalization}.h`, `reference/integer_ops/l2normalization.h`).
// `docs/quantization.md` states the arithmetic.

extension Kernels {
  // MARK: - Data movement

  /// SPACE_TO_DEPTH: output `[n, h/b, w/b, c·b²]`,
  /// `out[n, y/b, x/b, ((y % b)·b + x % b)·c + ch] = in[n, y, x, ch]`; values copied unchanged.
  static func spaceToDepth(_ c: KernelContext, blockSize b: Int) throws(GoldenModelError) -> TensorData {
    let x = try c.value(0)
    guard x.shape.count == 4, b >= 1, x.shape[1] % b == 0, x.shape[2] % b == 0 else {
      throw GoldenModelError(
        .invalidModel, c.location,
        "input \(x.shape) is not a rank-4 tensor whose height and width divide by the block size \(b)")
    }
    let (n, h, w, ch) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let outShape = [n, h / b, w / b, ch * b * b]
    var picks = [Int](repeating: 0, count: x.count)
    for bi in 0..<n {
      for y in 0..<h {
        for xx in 0..<w {
          for d in 0..<ch {
            let outD = d + ((y % b) * b + xx % b) * ch
            let o = ((bi * outShape[1] + y / b) * outShape[2] + xx / b) * outShape[3] + outD
            picks[o] = ((bi * h + y) * w + xx) * ch + d
          }
        }
      }
    }
    return TensorData(shape: outShape, storage: ElementwiseSupport.gather(x.storage, picks))
  }

  /// DEPTH_TO_SPACE: the inverse of SPACE_TO_DEPTH, output `[n, h·b, w·b, c/b²]`,
  /// `out[n, y, x, ch] = in[n, y/b, x/b, ((y % b)·b + x % b)·(c/b²) + ch]`.
  static func depthToSpace(_ c: KernelContext, blockSize b: Int) throws(GoldenModelError) -> TensorData {
    let x = try c.value(0)
    guard x.shape.count == 4, b >= 1, x.shape[3] % (b * b) == 0 else {
      throw GoldenModelError(
        .invalidModel, c.location,
        "input \(x.shape) is not a rank-4 tensor whose channels divide by the block size² \(b * b)")
    }
    let (n, h, w, ch) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let outShape = [n, h * b, w * b, ch / (b * b)]
    let outD = outShape[3]
    var picks: [Int] = []
    picks.reserveCapacity(x.count)
    for bi in 0..<n {
      for y in 0..<outShape[1] {
        for xx in 0..<outShape[2] {
          for d in 0..<outD {
            let inD = d + ((y % b) * b + xx % b) * outD
            picks.append(((bi * h + y / b) * w + xx / b) * ch + inD)
          }
        }
      }
    }
    return TensorData(shape: outShape, storage: ElementwiseSupport.gather(x.storage, picks))
  }

  /// TILE: `out[i] = in[i mod shape]` per dimension, the output shape `shape[d] · multiples[d]`
  /// (multiples: input 1, int32 or int64, one per dimension, ≥ 0). Values copied unchanged.
  static func tile(_ c: KernelContext) throws(GoldenModelError) -> TensorData {
    let x = try c.value(0)
    let m = try c.value(1)
    guard m.elementType == .int32 || m.elementType == .int64, m.count == x.shape.count else {
      throw GoldenModelError(
        .invalidModel, c.location,
        "multiples are \(m.elementType) with \(m.count) values; expected one int32 or int64 per input dimension (\(x.shape.count))"
      )
    }
    let multiples = m.integerValues
    if let bad = multiples.first(where: { $0 < 0 }) {
      throw GoldenModelError(.invalidModel, c.location, "multiple \(bad) is negative")
    }
    var outShape: [Int] = []
    var total = 1
    for (d, k) in zip(x.shape, multiples) {
      let (size, overflow) = d.multipliedReportingOverflow(by: Int(k))
      guard !overflow, size <= Int(Int32.max) else {
        throw GoldenModelError(.badInput, c.location, "dimension \(d) × multiple \(k) is out of range")
      }
      outShape.append(size)
      let (t, o2) = total.multipliedReportingOverflow(by: size)
      guard !o2, t <= Int(Int32.max) else {
        throw GoldenModelError(.badInput, c.location, "output \(outShape) has more than 2^31 - 1 elements")
      }
      total = t
    }
    if x.shape.isEmpty { return x }
    let strides = ElementwiseSupport.rowMajorStrides(x.shape)
    var picks = [Int](repeating: 0, count: total)
    var index = [Int](repeating: 0, count: outShape.count)
    for o in 0..<total {
      var source = 0
      for d in 0..<index.count { source += (index[d] % x.shape[d]) * strides[d] }
      picks[o] = source
      var d = index.count - 1
      while d >= 0 {
        index[d] += 1
        if index[d] < outShape[d] { break }
        index[d] = 0
        d -= 1
      }
    }
    return TensorData(shape: outShape, storage: ElementwiseSupport.gather(x.storage, picks))
  }

  // MARK: - Elementwise

  /// MAXIMUM and MINIMUM (`MaximumMinimumBroadcastSlow`): `a > b ? a : b` (`a < b ? a : b`)
  /// on the stored values, with numpy broadcasting. Quantized inputs are compared as stored:
  /// TFLite requires both inputs and the output to share one scale and zero point.
  static func maximumMinimum(_ c: KernelContext, isMaximum: Bool) throws(GoldenModelError) -> TensorData {
    let a = try c.value(0)
    let b = try c.value(1)
    guard a.elementType == b.elementType else {
      throw GoldenModelError(.invalidModel, c.location, "input types differ: \(a.elementType) and \(b.elementType)")
    }
    let shape = try broadcastShape([a.shape, b.shape], c)
    let ia = ElementwiseSupport.broadcastIndices(input: a.shape, output: shape) ?? Array(0..<a.count)
    let ib = ElementwiseSupport.broadcastIndices(input: b.shape, output: shape) ?? Array(0..<b.count)
    func pick<T: Comparable>(_ x: [T], _ y: [T]) -> [T] {
      zip(ia, ib).map { i, j in
        let p = x[i]
        let q = y[j]
        return isMaximum ? (p > q ? p : q) : (p < q ? p : q)
      }
    }
    let storage: TensorData.Storage
    switch (a.storage, b.storage) {
    case (.float32(let x), .float32(let y)): storage = .float32(pick(x, y))
    case (.int8(let x), .int8(let y)): storage = .int8(pick(x, y))
    case (.uint8(let x), .uint8(let y)): storage = .uint8(pick(x, y))
    case (.int16(let x), .int16(let y)): storage = .int16(pick(x, y))
    case (.int32(let x), .int32(let y)): storage = .int32(pick(x, y))
    case (.int64(let x), .int64(let y)): storage = .int64(pick(x, y))
    default: throw c.unsupported("\(c.op.kind.tfliteName) on \(a.elementType)")
    }
    return TensorData(shape: shape, storage: storage)
  }

  /// LEAKY_RELU. float32: `x > 0 ? x : alpha · x`. int8, uint8, int16 (`QuantizeLeakyRelu`):
  /// `v = q − zp_in`; `zp_out + MultiplyByQuantizedMultiplier(v, identity)` for `v ≥ 0`, else
  /// with the alpha multiplier (negated around a positive multiplier when alpha < 0); clamped.
  /// The multipliers come from `Float` quotients, as LeakyReluPrepare computes them:
  /// `identity = s_in / s_out`, `alpha = s_in · alpha / s_out`.
  static func leakyRelu(_ c: KernelContext, alpha: Float) throws(GoldenModelError) -> TensorData {
    typealias S = ElementwiseSupport
    let x = try c.value(0)
    if case .float32(let v) = x.storage {
      return TensorData(shape: x.shape, storage: .float32(v.map { $0 > 0 ? $0 : $0 * alpha }))
    }
    let outTensor = try c.outputTensor()
    guard outTensor.elementType == x.elementType, let range = x.elementType.integerRange, x.elementType != .int32 else {
      throw c.unsupported("LEAKY_RELU \(x.elementType) → \(outTensor.elementType)")
    }
    let inQ = try S.affine(c, try c.inputTensor(0))
    let outQ = try S.affine(c, outTensor)
    if x.elementType == .int16, inQ.zeroPoint != 0 || outQ.zeroPoint != 0 {
      throw GoldenModelError(.invalidModel, c.location, "int16 LEAKY_RELU needs zero points 0")
    }
    let identity = try S.multiplier(c, Double(inQ.scale / outQ.scale))
    let alphaReal = Double(inQ.scale * alpha / outQ.scale)
    let alphaM = try S.multiplier(c, abs(alphaReal))
    let negative = alphaReal < 0
    let f: (Int32) -> Int32 = { q in
      let v = q - inQ.zeroPoint
      var out = outQ.zeroPoint
      if v >= 0 {
        out &+= S.Q.multiply(v, identity)
      } else {
        let scaled = S.Q.multiply(v, alphaM)
        out &+= negative ? 0 &- scaled : scaled
      }
      return min(max(out, range.lowerBound), range.upperBound)
    }
    return try mapQuantized(c, x, f)
  }

  /// PRELU (`BroadcastPrelu4DSlow`, `Prelu`): alpha is input 1, broadcast against the input (the
  /// output has the input's shape). float32: `x ≥ 0 ? x : x · alpha`. int8, uint8 (alpha of the
  /// same type) and int16 (int8 alpha): `v = q − zp_in`; for `v ≥ 0`
  /// `MultiplyByQuantizedMultiplier(v, s_in / s_out)`, else
  /// `MultiplyByQuantizedMultiplier(v · (a − zp_alpha), s_in · s_alpha / s_out)`; plus `zp_out`,
  /// clamped (quotients in `Float`, as PreluPrepare computes them).
  static func prelu(_ c: KernelContext) throws(GoldenModelError) -> TensorData {
    typealias S = ElementwiseSupport
    let x = try c.value(0)
    let alpha = try c.value(1)
    let shape = try broadcastShape([x.shape, alpha.shape], c)
    guard shape == x.shape else {
      throw GoldenModelError(
        .invalidModel, c.location,
        "alpha \(alpha.shape) broadcasts the input \(x.shape) to \(shape); the output must keep the input's shape")
    }
    let ia = ElementwiseSupport.broadcastIndices(input: alpha.shape, output: shape) ?? Array(0..<alpha.count)
    switch (x.storage, alpha.storage) {
    case (.float32(let v), .float32(let a)):
      var out = [Float](repeating: 0, count: v.count)
      for i in v.indices { out[i] = v[i] >= 0 ? v[i] : v[i] * a[ia[i]] }
      return TensorData(shape: shape, storage: .float32(out))
    case (.int8, .int8), (.uint8, .uint8), (.int16, .int8):
      let outTensor = try c.outputTensor()
      guard outTensor.elementType == x.elementType, let range = x.elementType.integerRange,
        let xs = S.integers(x), let alphas = S.integers(alpha)
      else {
        throw c.unsupported("PRELU \(x.elementType) → \(outTensor.elementType)")
      }
      let inQ = try S.affine(c, try c.inputTensor(0))
      let alphaQ = try S.affine(c, try c.inputTensor(1))
      let outQ = try S.affine(c, outTensor)
      let m1 = try S.multiplier(c, Double(inQ.scale / outQ.scale))
      let m2 = try S.multiplier(c, Double(inQ.scale * alphaQ.scale / outQ.scale))
      var values = [Int32](repeating: 0, count: xs.count)
      for i in xs.indices {
        let v = xs[i] &- inQ.zeroPoint
        let r: Int32
        if v >= 0 {
          r = S.Q.multiply(v, m1)
        } else {
          r = S.Q.multiply(v &* (alphas[ia[i]] &- alphaQ.zeroPoint), m2)
        }
        values[i] = min(max(r &+ outQ.zeroPoint, range.lowerBound), range.upperBound)
      }
      guard let storage = S.storage(values, as: x.elementType) else { throw c.unsupported("PRELU on \(x.elementType)") }
      return TensorData(shape: shape, storage: storage)
    default:
      throw c.unsupported("PRELU of \(x.elementType) with \(alpha.elementType) alpha")
    }
  }

  /// An 8- or 16-bit per-element function of the widened stored value (a 256-entry table for
  /// 8-bit types).
  fileprivate static func mapQuantized(_ c: KernelContext, _ x: TensorData, _ f: (Int32) -> Int32)
    throws(GoldenModelError) -> TensorData
  {
    typealias S = ElementwiseSupport
    switch x.storage {
    case .int8, .uint8:
      let table = S.table8(type: x.elementType, f)
      guard let storage = S.applyLUT8(table, x) else {
        throw c.unsupported("\(c.op.kind.tfliteName) on \(x.elementType)")
      }
      return TensorData(shape: x.shape, storage: storage)
    case .int16(let v):
      return TensorData(shape: x.shape, storage: .int16(v.map { Int16(truncatingIfNeeded: f(Int32($0))) }))
    default:
      throw c.unsupported("\(c.op.kind.tfliteName) on \(x.elementType)")
    }
  }

  // MARK: - Reductions

  /// ARG_MAX (`ArgMinMax` with `std::greater`, NaN-aware for float): the index of the first
  /// largest value along the axis of input 1 (int32 or int64; negative counts from the end), as
  /// `outputType`. Quantized values are compared as stored.
  static func argMax(_ c: KernelContext, outputType: ElementType) throws(GoldenModelError) -> TensorData {
    let x = try c.value(0)
    let axisValue = try c.value(1)
    guard axisValue.elementType == .int32 || axisValue.elementType == .int64, let raw = axisValue.integerValues.first
    else {
      throw GoldenModelError(.invalidModel, c.location, "axis is \(axisValue.elementType); expected int32 or int64")
    }
    let rank = x.shape.count
    let axis = raw < 0 ? Int(raw) + rank : Int(raw)
    guard rank > 0, axis >= 0, axis < rank, x.shape[axis] > 0 else {
      throw GoldenModelError(.invalidModel, c.location, "axis \(raw) is out of range for \(x.shape)")
    }
    let outer = x.shape[..<axis].reduce(1, *)
    let size = x.shape[axis]
    let inner = x.shape[(axis + 1)...].reduce(1, *)
    func indices<T>(_ v: [T], _ better: (T, T) -> Bool) -> [Int] {
      var out = [Int](repeating: 0, count: outer * inner)
      for o in 0..<outer {
        for i in 0..<inner {
          var best = v[o * size * inner + i]
          var at = 0
          for k in 1..<max(size, 1) {
            let candidate = v[(o * size + k) * inner + i]
            if better(candidate, best) {
              best = candidate
              at = k
            }
          }
          out[o * inner + i] = at
        }
      }
      return out
    }
    let picked: [Int]
    switch x.storage {
    case .float32(let v): picked = indices(v) { !$0.isNaN && ($1.isNaN || $0 > $1) }
    case .int8(let v): picked = indices(v, >)
    case .uint8(let v): picked = indices(v, >)
    case .int16(let v): picked = indices(v, >)
    case .int32(let v): picked = indices(v, >)
    case .int64(let v): picked = indices(v, >)
    case .bool(let v): picked = indices(v) { $0 && !$1 }
    }
    let shape = Array(x.shape[..<axis]) + Array(x.shape[(axis + 1)...])
    switch outputType {
    case .int32: return TensorData(shape: shape, storage: .int32(picked.map { Int32($0) }))
    case .int64: return TensorData(shape: shape, storage: .int64(picked.map { Int64($0) }))
    default: throw c.unsupported("ARG_MAX with a \(outputType) output")
    }
  }

  /// L2_NORMALIZATION over the last dimension. float32: `Σ x²` in `Float` in order,
  /// `x / max(sqrtf(Σ), 1e-6)`. int8 (output scale 1/128, zero point 0, as TFLite requires):
  /// `v = q − zp`, `acc = Σ v²` (int32), `m, s = GetInvSqrtQuantizedMultiplierExp(acc, −1)`,
  /// `clamp(MultiplyByQuantizedMultiplier(v, m, s + 7), −128, 127)`. uint8 (scale 1/128,
  /// zero point 128): `128 + MultiplyByQuantizedMultiplierSmallerThanOneExp(128·v, m, s)`,
  /// clamped to 0...255.
  static func l2Normalization(_ c: KernelContext, activation: FusedActivation) throws(GoldenModelError) -> TensorData {
    typealias S = ElementwiseSupport
    guard activation == .none else {
      throw c.unsupported("L2_NORMALIZATION with fused \(activation.rawValue) (TFLite accepts NONE only)")
    }
    let x = try c.value(0)
    guard let depth = x.shape.last, depth > 0 else {
      throw GoldenModelError(.invalidModel, c.location, "input \(x.shape) has no last dimension to normalize")
    }
    let rows = x.count / depth
    switch x.storage {
    case .float32(let v):
      var out = [Float](repeating: 0, count: v.count)
      for r in 0..<rows {
        var sum: Float = 0
        for k in 0..<depth {
          let value = v[r * depth + k]
          sum += value * value
        }
        let norm = max(sum.squareRoot(), Float(1e-6))
        for k in 0..<depth { out[r * depth + k] = v[r * depth + k] / norm }
      }
      return TensorData(shape: x.shape, storage: .float32(out))
    case .int8, .uint8:
      let outTensor = try c.outputTensor()
      let outQ = try S.affine(c, outTensor)
      let isInt8 = x.elementType == .int8
      guard outTensor.elementType == x.elementType, outQ.scale == Float(1.0 / 128.0),
        outQ.zeroPoint == (isInt8 ? 0 : 128)
      else {
        throw GoldenModelError(
          .invalidModel, c.location,
          "\(x.elementType) output has scale \(outQ.scale) and zero point \(outQ.zeroPoint); TFLite requires 1/128 and \(isInt8 ? 0 : 128)"
        )
      }
      let zp = try S.affine(c, try c.inputTensor(0)).zeroPoint
      guard let values = S.integers(x) else { throw c.unsupported("L2_NORMALIZATION on \(x.elementType)") }
      var out = [Int32](repeating: 0, count: values.count)
      for r in 0..<rows {
        var acc: Int32 = 0
        for k in 0..<depth {
          let v = values[r * depth + k] &- zp
          acc &+= v &* v
        }
        let (m, s) = S.Q.inverseSqrtMultiplier(acc, reverseShift: -1)
        for k in 0..<depth {
          let v = values[r * depth + k] &- zp
          if isInt8 {
            let q = FixedPoint.multiplyByQuantizedMultiplier(v, m, s + 7)
            out[r * depth + k] = min(max(q, -128), 127)
          } else {
            let q = 128 &+ S.Q.multiplySmallerThanOne(128 &* v, S.Multiplier(multiplier: m, shift: s))
            out[r * depth + k] = min(max(q, 0), 255)
          }
        }
      }
      guard let storage = S.storage(out, as: x.elementType) else { throw c.unsupported("L2_NORMALIZATION") }
      return TensorData(shape: x.shape, storage: storage)
    default:
      throw c.unsupported("L2_NORMALIZATION on \(x.elementType)")
    }
  }
}
