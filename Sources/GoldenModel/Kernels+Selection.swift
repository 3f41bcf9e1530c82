import Foundation
import GraphIR

/// GATHER, LESS, SELECT and SELECT_V2: kernels that pick or compare stored values.
extension Kernels {
  /// GATHER (TFLite `reference_ops::Gather`): for every batch `b < Π params[..<batchDims]`, every
  /// outer position `o < Π params[batchDims..<axis]` and every index position
  /// `i < Π indices[batchDims...]`, copies the `Π params[(axis+1)...]` contiguous values of slice
  /// `indices[b, i]` along `axis`. A negative `axis` counts from the end of `params`, a negative
  /// `batchDims` from the end of `indices`. Quantized values are copied unchanged (the converter
  /// gives the output the input's scale and zero point). An index outside `0..<params[axis]` is
  /// an error, as in TFLite.
  static func gather(_ c: KernelContext, axis rawAxis: Int, batchDims rawBatchDims: Int) throws(GoldenModelError)
    -> TensorData
  {
    let params = try c.value(0)
    let indicesValue = try c.value(1)
    let indices: [Int]
    switch indicesValue.storage {
    case .int32(let v): indices = v.map(Int.init)
    case .int64(let v): indices = v.map(Int.init)
    case .int16(let v): indices = v.map(Int.init)
    default: throw c.unsupported("GATHER with \(indicesValue.elementType) indices")
    }
    let rank = params.shape.count
    let axis = rawAxis < 0 ? rawAxis + rank : rawAxis
    let batchDims = rawBatchDims < 0 ? rawBatchDims + indicesValue.shape.count : rawBatchDims
    guard axis >= 0, axis < rank, batchDims >= 0, batchDims <= axis, batchDims <= indicesValue.shape.count,
      Array(params.shape.prefix(batchDims)) == Array(indicesValue.shape.prefix(batchDims))
    else {
      throw GoldenModelError(
        .invalidModel, c.location,
        "axis \(rawAxis) and batch_dims \(rawBatchDims) do not fit params \(params.shape) and indices \(indicesValue.shape)")
    }
    func product(_ s: ArraySlice<Int>) -> Int { s.reduce(1, *) }
    let batchSize = product(params.shape[..<batchDims])
    let outerSize = product(params.shape[batchDims..<axis])
    let axisSize = params.shape[axis]
    let innerSize = product(params.shape[(axis + 1)...])
    let coordSize = product(indicesValue.shape[batchDims...])
    if let bad = indices.first(where: { $0 < 0 || $0 >= axisSize }) {
      throw GoldenModelError(.badInput, c.location, "index \(bad) out of range 0..<\(axisSize) of axis \(axis)")
    }
    var picks: [Int] = []
    picks.reserveCapacity(batchSize * outerSize * coordSize * innerSize)
    for b in 0..<batchSize {
      for o in 0..<outerSize {
        for i in 0..<coordSize {
          let start = ((b * outerSize + o) * axisSize + indices[b * coordSize + i]) * innerSize
          picks.append(contentsOf: start..<(start + innerSize))
        }
      }
    }
    let shape = Array(params.shape[..<axis]) + Array(indicesValue.shape[batchDims...]) + Array(params.shape[(axis + 1)...])
    return TensorData(shape: shape, storage: ElementwiseSupport.gather(params.storage, picks))
  }

  /// LESS (TFLite comparisons.cc): `x < y` elementwise with broadcasting, a bool tensor. float32,
  /// int32 and int64 compare the stored values. int8/uint8 compare after rescaling both sides to a
  /// common scale, as `ComparisonWithScaling` does: `v = x − zero_point`, `v · 2⁸`, then
  /// `MultiplyByQuantizedMultiplierSmallerThanOneExp` by the multiplier of the tensor's scale
  /// (`QuantizeMultiplierSmallerThanOneExp(scale)`).
  static func less(_ c: KernelContext) throws(GoldenModelError) -> TensorData {
    typealias S = ElementwiseSupport
    let x = try c.value(0)
    let y = try c.value(1)
    guard x.elementType == y.elementType else { throw c.unsupported("LESS \(x.elementType) < \(y.elementType)") }
    let shape = try broadcastShape([x.shape, y.shape], c)
    let xi = S.broadcastIndices(input: x.shape, output: shape) ?? Array(0..<x.count)
    let yi = S.broadcastIndices(input: y.shape, output: shape) ?? Array(0..<y.count)
    func compare<T: Comparable>(_ a: [T], _ b: [T]) -> [Bool] { zip(xi, yi).map { a[$0] < b[$1] } }
    let out: [Bool]
    switch (x.storage, y.storage) {
    case (.float32(let a), .float32(let b)): out = compare(a, b)
    case (.int32(let a), .int32(let b)): out = compare(a, b)
    case (.int64(let a), .int64(let b)): out = compare(a, b)
    case (.int8, .int8), (.uint8, .uint8):
      let leftShift: Int32 = 8
      func scaled(_ position: Int, _ v: TensorData) throws(GoldenModelError) -> [Int32] {
        let q = try S.affine(c, try c.inputTensor(position))
        let m = try S.smallerThanOneMultiplier(c, Double(q.scale), "LESS input \(position)")
        return (S.integers(v) ?? []).map { S.Q.multiplySmallerThanOne(($0 - q.zeroPoint) &* (1 << leftShift), m) }
      }
      out = compare(try scaled(0, x), try scaled(1, y))
    default:
      throw c.unsupported("LESS on \(x.elementType)")
    }
    return TensorData(shape: shape, storage: .bool(out))
  }

  /// SELECT and SELECT_V2 (TFLite select.cc): `condition ? x : y`. SELECT: `x` and `y` have one
  /// shape, the output's; the condition has that shape, is a scalar, or is rank 1 with one entry
  /// per leading-dimension slice (`RankOneSelect`). SELECT_V2 broadcasts all three shapes
  /// (`BroadcastSelect5DSlow`). Values, quantized or not, are copied unchanged.
  static func select(_ c: KernelContext, broadcasting: Bool) throws(GoldenModelError) -> TensorData {
    typealias S = ElementwiseSupport
    let condition = try c.value(0)
    let x = try c.value(1)
    let y = try c.value(2)
    guard case .bool(let cond) = condition.storage else {
      throw c.unsupported("\(c.op.kind.tfliteName) with a \(condition.elementType) condition")
    }
    guard x.elementType == y.elementType else {
      throw c.unsupported("\(c.op.kind.tfliteName) of \(x.elementType) and \(y.elementType)")
    }
    let shape: [Int]
    let ci: [Int], xi: [Int], yi: [Int]
    if broadcasting {
      shape = try broadcastShape([condition.shape, x.shape, y.shape], c)
      ci = S.broadcastIndices(input: condition.shape, output: shape) ?? Array(0..<condition.count)
      xi = S.broadcastIndices(input: x.shape, output: shape) ?? Array(0..<x.count)
      yi = S.broadcastIndices(input: y.shape, output: shape) ?? Array(0..<y.count)
    } else {
      guard x.shape == y.shape else {
        throw GoldenModelError(.invalidModel, c.location, "x \(x.shape) and y \(y.shape) differ in shape")
      }
      shape = x.shape
      xi = Array(0..<x.count)
      yi = xi
      if condition.shape == x.shape {
        ci = xi
      } else if condition.shape.isEmpty || (condition.count == 1 && condition.shape.count <= 1 && x.shape.isEmpty) {
        ci = Array(repeating: 0, count: x.count)
      } else if condition.shape.count == 1, let leading = x.shape.first, condition.shape[0] == leading, leading > 0 {
        let slice = x.count / leading
        ci = (0..<x.count).map { $0 / slice }
      } else {
        throw GoldenModelError(
          .invalidModel, c.location, "condition \(condition.shape) is neither x's shape \(x.shape), a scalar nor one flag per leading slice")
      }
    }
    var picks: [Int] = []
    picks.reserveCapacity(ci.count)
    // Index into x's elements followed by y's: concatenate once, then gather.
    guard let both = S.concatenate([x.storage, y.storage]) else {
      throw c.unsupported("\(c.op.kind.tfliteName) of \(x.elementType)")
    }
    for k in 0..<ci.count { picks.append(cond[ci[k]] ? xi[k] : x.count + yi[k]) }
    return TensorData(shape: shape, storage: S.gather(both, picks))
  }

  /// The numpy broadcast of `shapes`; throws when two dimensions differ and neither is 1.
  static func broadcastShape(_ shapes: [[Int]], _ c: KernelContext) throws(GoldenModelError) -> [Int] {
    let rank = shapes.map(\.count).max() ?? 0
    var out = [Int](repeating: 1, count: rank)
    for s in shapes {
      let padded = Array(repeating: 1, count: rank - s.count) + s
      for (k, d) in padded.enumerated() where d != 1 {
        guard out[k] == 1 || out[k] == d else {
          throw GoldenModelError(.invalidModel, c.location, "shapes \(shapes) do not broadcast")
        }
        out[k] = d
      }
    }
    return out
  }
}

/// REDUCE_MAX and the shape ops the transformer conversions can emit (EXPAND_DIMS, SLICE, SPLIT,
/// BROADCAST_TO): values copied, never rescaled.
extension Kernels {
  /// The axes operand (input `position`) as a set of non-negative axes of a rank-`rank` tensor.
  static func axes(_ c: KernelContext, _ position: Int, rank: Int) throws(GoldenModelError) -> Set<Int> {
    var out = Set<Int>()
    for a in try c.value(position).integerValues {
      let v = a < 0 ? Int(a) + rank : Int(a)
      guard v >= 0, v < rank else {
        throw GoldenModelError(.invalidModel, c.location, "axis \(a) out of range for rank \(rank)")
      }
      out.insert(v)
    }
    return out
  }

  /// REDUCE_MAX (reduce.cc `EvalType` → `reference_ops::ReduceGeneric` with `max`): the largest
  /// stored value over the axes of input 1 (negative `+ rank`, repeats ignored). For int8/int16
  /// TFLite requires the output's scale and zero point to equal the input's and compares the
  /// stored integers; an empty reduction gives the type's lowest value.
  static func reduceMax(_ c: KernelContext, keepDims: Bool) throws(GoldenModelError) -> TensorData {
    let x = try c.value(0)
    let rank = x.shape.count
    let reduced = try axes(c, 1, rank: rank)
    let keptShape = x.shape.enumerated().map { reduced.contains($0.offset) ? 1 : $0.element }
    let outShape = keepDims ? keptShape : x.shape.enumerated().filter { !reduced.contains($0.offset) }.map(\.element)
    let outStrides = ElementwiseSupport.rowMajorStrides(keptShape)
    let inStrides = ElementwiseSupport.rowMajorStrides(x.shape)
    // Output index of every input element.
    let target: [Int] = (0..<x.count).map { flat in
      var o = 0
      for d in 0..<rank where !reduced.contains(d) { o += (flat / inStrides[d]) % x.shape[d] * outStrides[d] }
      return o
    }
    let n = TensorData.elementCount(of: keptShape)
    func fold<T: Comparable>(_ v: [T], _ lowest: T) -> [T] {
      var out = [T](repeating: lowest, count: n)
      for (k, t) in target.enumerated() where v[k] > out[t] { out[t] = v[k] }
      return out
    }
    let storage: TensorData.Storage
    switch x.storage {
    case .float32(let v): storage = .float32(fold(v, -Float.greatestFiniteMagnitude))
    case .int8(let v): storage = .int8(fold(v, .min))
    case .uint8(let v): storage = .uint8(fold(v, .min))
    case .int16(let v): storage = .int16(fold(v, .min))
    case .int32(let v): storage = .int32(fold(v, .min))
    case .int64(let v): storage = .int64(fold(v, .min))
    default: throw c.unsupported("REDUCE_MAX on \(x.elementType)")
    }
    if x.elementType.isQuantizedInteger {
      let inQ = try c.quantization(of: try c.inputTensor(0))
      let outQ = try c.quantization(of: try c.outputTensor())
      guard inQ.scale == outQ.scale, inQ.zeroPoint == outQ.zeroPoint else {
        throw c.unsupported("REDUCE_MAX with different input and output quantization (TFLite requires them equal)")
      }
    }
    return TensorData(shape: outShape, storage: storage)
  }

  /// EXPAND_DIMS (`expand_dims.cc`): a size-1 dimension at the axis of input 1 (a single
  /// integer; negative `+ rank + 1`). The values are unchanged.
  static func expandDims(_ c: KernelContext) throws(GoldenModelError) -> TensorData {
    let x = try c.value(0)
    let values = try c.value(1).integerValues
    guard values.count == 1, let a = values.first else {
      throw GoldenModelError(.invalidModel, c.location, "EXPAND_DIMS axis must hold one value; it holds \(values.count)")
    }
    let rank = x.shape.count
    let axis = a < 0 ? Int(a) + rank + 1 : Int(a)
    guard axis >= 0, axis <= rank else {
      throw GoldenModelError(.invalidModel, c.location, "EXPAND_DIMS axis \(a) out of range for rank \(rank)")
    }
    var shape = x.shape
    shape.insert(1, at: axis)
    return TensorData(shape: shape, storage: x.storage)
  }

  /// SLICE (`slice.cc`, `reference/slice.h`): the block starting at `begin` (input 1) with
  /// `size` (input 2) per dimension, `−1` meaning to the end; begin and size must stay inside.
  static func slice(_ c: KernelContext) throws(GoldenModelError) -> TensorData {
    let x = try c.value(0)
    let begin = try c.value(1).integerValues.map { Int($0) }
    let size = try c.value(2).integerValues.map { Int($0) }
    let rank = x.shape.count
    guard begin.count == rank, size.count == rank else {
      throw GoldenModelError(
        .invalidModel, c.location, "SLICE begin \(begin) and size \(size) need \(rank) entries for input \(x.shape)")
    }
    var shape: [Int] = []
    for d in 0..<rank {
      let s = size[d] == -1 ? x.shape[d] - begin[d] : size[d]
      guard begin[d] >= 0, s >= 0, begin[d] + s <= x.shape[d] else {
        throw GoldenModelError(
          .invalidModel, c.location, "SLICE begin \(begin) size \(size) does not fit input \(x.shape)")
      }
      shape.append(s)
    }
    let strides = ElementwiseSupport.rowMajorStrides(x.shape)
    let base = zip(begin, strides).reduce(0) { $0 + $1.0 * $1.1 }
    let indices = ElementwiseSupport.stridedIndices(shape: shape, strides: strides, base: base)
    return TensorData(shape: shape, storage: ElementwiseSupport.gather(x.storage, indices))
  }

  /// SPLIT (`split.cc`): input 1 cut into `count` equal parts along the axis of input 0
  /// (negative `+ rank`); the dimension must divide evenly.
  static func split(_ c: KernelContext, count: Int) throws(GoldenModelError) -> [TensorData] {
    let x = try c.value(1)
    guard let a = try c.value(0).integerValues.first else {
      throw GoldenModelError(.invalidModel, c.location, "SPLIT axis tensor is empty")
    }
    let rank = x.shape.count
    let axis = a < 0 ? Int(a) + rank : Int(a)
    guard axis >= 0, axis < rank else {
      throw GoldenModelError(.invalidModel, c.location, "SPLIT axis \(a) out of range for rank \(rank)")
    }
    guard count > 0, x.shape[axis] % count == 0, c.op.outputs.count == count else {
      throw GoldenModelError(
        .invalidModel, c.location,
        "SPLIT of dimension \(x.shape[axis]) into \(count) parts (\(c.op.outputs.count) outputs) is not even")
    }
    let part = x.shape[axis] / count
    let strides = ElementwiseSupport.rowMajorStrides(x.shape)
    var shape = x.shape
    shape[axis] = part
    return (0..<count).map { k in
      let indices = ElementwiseSupport.stridedIndices(shape: shape, strides: strides, base: k * part * strides[axis])
      return TensorData(shape: shape, storage: ElementwiseSupport.gather(x.storage, indices))
    }
  }

  /// BROADCAST_TO (`broadcast_to.cc`, `reference/broadcast_to.h`): input 0 repeated to the shape
  /// in input 1 by numpy broadcasting (the target's rank may be larger).
  static func broadcastTo(_ c: KernelContext) throws(GoldenModelError) -> TensorData {
    let x = try c.value(0)
    let shape = try c.value(1).integerValues.map { Int($0) }
    guard shape.count >= x.shape.count, try broadcastShape([x.shape, shape], c) == shape else {
      throw GoldenModelError(.invalidModel, c.location, "input \(x.shape) does not broadcast to \(shape)")
    }
    let indices = ElementwiseSupport.broadcastIndices(input: x.shape, output: shape) ?? Array(0..<x.count)
    return TensorData(shape: shape, storage: ElementwiseSupport.gather(x.storage, indices))
  }
}
