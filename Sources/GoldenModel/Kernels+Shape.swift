import GraphIR
import Support

// RESHAPE, SQUEEZE, SHAPE, PACK, SPLIT_V, STRIDED_SLICE, TRANSPOSE, CONCATENATION, PAD, PADV2.
// All move stored values unchanged except CONCATENATION of inputs whose quantization differs from
// the output's. Semantics and sources: docs/quantization-elementwise-ops.md.

extension Kernels {
  /// RESHAPE and SQUEEZE: the data unchanged, in the output tensor's static shape.
  static func reshape(_ c: KernelContext) throws(GoldenModelError) -> TensorData {
    let x = try c.value(0)
    let output = try c.outputTensor()
    let shape = output.isDynamic ? try dynamicReshapeTarget(c, elements: x.count) : output.shape
    guard TensorData.elementCount(of: shape) == x.count else {
      throw GoldenModelError(
        .invalidModel, c.location,
        "input has \(x.count) elements; output shape \(shape) needs \(TensorData.elementCount(of: shape))")
    }
    return TensorData(shape: shape, storage: x.storage)
  }

  /// SHAPE: the input's dimensions as a rank-1 int32 or int64 tensor.
  static func shape(_ c: KernelContext, outputType: ElementType) throws(GoldenModelError) -> TensorData {
    let dims = try c.value(0).shape
    switch outputType {
    case .int32: return TensorData(shape: [dims.count], storage: .int32(dims.map { Int32(truncatingIfNeeded: $0) }))
    case .int64: return TensorData(shape: [dims.count], storage: .int64(dims.map { Int64($0) }))
    default: throw c.unsupported("SHAPE with output type \(outputType)")
    }
  }

  /// PACK: N tensors of equal shape stacked along a new dimension `axis` (negative counts from the
  /// end of the output rank).
  static func pack(_ c: KernelContext, axis: Int) throws(GoldenModelError) -> TensorData {
    let inputs = try allInputs(c)
    guard let first = inputs.first else { throw GoldenModelError(.invalidModel, c.location, "PACK has no inputs") }
    let rank = first.shape.count
    let ax = axis < 0 ? axis + rank + 1 : axis
    guard ax >= 0, ax <= rank else {
      throw GoldenModelError(.invalidModel, c.location, "PACK axis \(axis) out of range for inputs of rank \(rank)")
    }
    for (i, t) in inputs.enumerated() where t.shape != first.shape || t.elementType != first.elementType {
      throw GoldenModelError(
        .invalidModel, c.location,
        "PACK input \(i) is \(t.shape) × \(t.elementType); input 0 is \(first.shape) × \(first.elementType)")
    }
    var expanded = first.shape
    expanded.insert(1, at: ax)
    let parts = inputs.map { TensorData(shape: expanded, storage: $0.storage) }
    return try join(c, parts, axis: ax)
  }

  /// SPLIT_V: slices along `axis` (input 2) of the sizes in input 1; one size may be −1 (the rest).
  static func splitV(_ c: KernelContext) throws(GoldenModelError) -> [TensorData] {
    let x = try c.value(0)
    var sizes = try c.value(1).integerValues
    guard let axisValue = try c.value(2).integerValues.first else {
      throw GoldenModelError(.invalidModel, c.location, "SPLIT_V axis tensor is empty")
    }
    let rank = x.shape.count
    let axis = axisValue < 0 ? Int(axisValue) + rank : Int(axisValue)
    guard axis >= 0, axis < rank else {
      throw GoldenModelError(.invalidModel, c.location, "SPLIT_V axis \(axisValue) out of range for rank \(rank)")
    }
    guard sizes.count == c.op.outputs.count else {
      throw GoldenModelError(
        .invalidModel, c.location, "SPLIT_V has \(sizes.count) sizes for \(c.op.outputs.count) outputs")
    }
    let dim = Int64(x.shape[axis])
    let unknown = sizes.indices.filter { sizes[$0] == -1 }
    let known = sizes.enumerated().filter { $0.offset != unknown.first }.reduce(Int64(0)) { $0 + $1.element }
    if unknown.count > 1 {
      throw GoldenModelError(.invalidModel, c.location, "SPLIT_V sizes \(sizes) contain more than one -1")
    } else if let u = unknown.first {
      guard known <= dim else {
        throw GoldenModelError(.invalidModel, c.location, "SPLIT_V sizes \(sizes) exceed dimension \(dim)")
      }
      sizes[u] = dim - known
    } else if known != dim {
      throw GoldenModelError(.invalidModel, c.location, "SPLIT_V sizes \(sizes) do not sum to dimension \(dim)")
    }
    if let bad = sizes.first(where: { $0 < 0 }) {
      throw GoldenModelError(.invalidModel, c.location, "SPLIT_V size \(bad) is negative")
    }
    let strides = ElementwiseSupport.rowMajorStrides(x.shape)
    var start = 0
    var outputs: [TensorData] = []
    for size in sizes {
      var shape = x.shape
      shape[axis] = Int(size)
      let indices = ElementwiseSupport.stridedIndices(shape: shape, strides: strides, base: start * strides[axis])
      outputs.append(TensorData(shape: shape, storage: ElementwiseSupport.gather(x.storage, indices)))
      start += Int(size)
    }
    return outputs
  }

  /// STRIDED_SLICE with begin, end and strides (inputs 1–3) and every mask, following TFLite's
  /// `BuildStridedSliceParams` (ellipsis and new-axis expansion), `StartForAxis`/`EndForAxis`
  /// (negative indices, clamping, masks, `offset`) and the reference loop nest.
  static func stridedSlice(_ c: KernelContext, _ o: StridedSliceOptions) throws(GoldenModelError) -> TensorData {
    let x = try c.value(0)
    let begin = try c.value(1).integerValues
    let end = try c.value(2).integerValues
    let strideValues = try c.value(3).integerValues
    guard begin.count == end.count, begin.count == strideValues.count else {
      throw GoldenModelError(
        .invalidModel, c.location,
        "begin, end and strides have \(begin.count), \(end.count), \(strideValues.count) elements")
    }
    guard begin.count <= 31 else { throw c.unsupported("STRIDED_SLICE with more than 31 indices") }
    let plan = try StridedSlicePlan(c, inputShape: x.shape, begin: begin, end: end, strides: strideValues, options: o)
    let inStrides = ElementwiseSupport.rowMajorStrides(plan.effectiveShape)
    var counts: [Int] = []
    var steps: [Int] = []
    var base = 0
    for axis in plan.effectiveShape.indices {
      let start = plan.start(axis)
      let stop = plan.stop(axis, start: start)
      let stride = plan.strides[axis]
      let count =
        stride > 0 ? max(0, (stop - start + stride - 1) / stride) : max(0, (start - stop - stride - 1) / -stride)
      counts.append(count)
      steps.append(stride * inStrides[axis])
      base += start * inStrides[axis]
    }
    let indices =
      plan.effectiveShape.isEmpty
      ? [0] : ElementwiseSupport.stridedIndices(shape: counts, strides: steps, base: base)
    let outShape = counts.indices.filter { !plan.isShrink($0) }.map { counts[$0] }
    return TensorData(shape: outShape, storage: ElementwiseSupport.gather(x.storage, indices))
  }

  /// TRANSPOSE by the permutation in input 1 (negative entries count from the end).
  static func transpose(_ c: KernelContext) throws(GoldenModelError) -> TensorData {
    let x = try c.value(0)
    let rank = x.shape.count
    let raw = try c.value(1).integerValues
    guard raw.count == rank else {
      throw GoldenModelError(.invalidModel, c.location, "permutation \(raw) has \(raw.count) entries for rank \(rank)")
    }
    let perm = raw.map { $0 < 0 ? Int($0) + rank : Int($0) }
    guard perm.allSatisfy({ $0 >= 0 && $0 < rank }), Set(perm).count == rank else {
      throw GoldenModelError(.invalidModel, c.location, "\(raw) is not a permutation of 0..<\(rank)")
    }
    let inStrides = ElementwiseSupport.rowMajorStrides(x.shape)
    let shape = perm.map { x.shape[$0] }
    let indices = ElementwiseSupport.stridedIndices(shape: shape, strides: perm.map { inStrides[$0] })
    return TensorData(shape: shape, storage: ElementwiseSupport.gather(x.storage, indices))
  }

  /// CONCATENATION along `axis`. 8-bit inputs whose scale or zero point differ from the output's
  /// are first rescaled as TFLite's `ConcatenationWithScaling` does (float:
  /// `roundf(q × s + b) + zpOut`, `s = inScale × (1/outScale)`, `b = −zpIn × s`). TFLite 2.21
  /// does this for uint8, rejects differing parameters for int8 (we rescale like uint8), and
  /// copies int16 values unchanged whatever their scales (we do the same). TFLite rejects a
  /// fused activation; we apply its clamp.
  static func concatenation(_ c: KernelContext, axis: Int, activation: FusedActivation) throws(GoldenModelError)
    -> TensorData
  {
    var inputs = try allInputs(c)
    guard let first = inputs.first else {
      throw GoldenModelError(.invalidModel, c.location, "CONCATENATION has no inputs")
    }
    let rank = first.shape.count
    let ax = axis < 0 ? axis + rank : axis
    guard ax >= 0, ax < rank else {
      throw GoldenModelError(.invalidModel, c.location, "CONCATENATION axis \(axis) out of range for rank \(rank)")
    }
    let outTensor = try c.outputTensor()
    if first.elementType == .int8 || first.elementType == .uint8 {
      let outQ = try ElementwiseSupport.affine(c, outTensor)
      for i in inputs.indices {
        let inQ = try ElementwiseSupport.affine(c, try c.inputTensor(i))
        if inQ.scale != outQ.scale || inQ.zeroPoint != outQ.zeroPoint {
          inputs[i] = try rescaleForConcatenation(c, inputs[i], from: inQ, to: outQ)
        }
      }
    }
    var result = try join(c, inputs, axis: ax)
    if activation != .none {
      result = try clampActivation(c, result, activation, outTensor)
    }
    return result
  }

  /// PAD and PADV2: `paddings` (input 1, shape [rank, 2]) elements before and after each
  /// dimension, filled with the PADV2 constant (input 2) or else the output zero point (0 for
  /// float and unquantized integers).
  static func pad(_ c: KernelContext) throws(GoldenModelError) -> TensorData {
    let x = try c.value(0)
    let paddings = try c.value(1).integerValues
    let rank = x.shape.count
    guard paddings.count == 2 * rank else {
      throw GoldenModelError(
        .invalidModel, c.location, "paddings has \(paddings.count) values; rank \(rank) needs \(2 * rank)")
    }
    if let bad = paddings.first(where: { $0 < 0 || $0 > Int64(Int32.max) }) {
      throw GoldenModelError(.invalidModel, c.location, "padding \(bad) is negative or too large")
    }
    let outTensor = try c.outputTensor()
    let fill: TensorData.Storage
    if let constant = c.optionalValue(2) {
      guard constant.elementType == x.elementType, constant.count == 1 else {
        throw GoldenModelError(
          .invalidModel, c.location,
          "PADV2 constant is \(constant.count) × \(constant.elementType); expected 1 × \(x.elementType)")
      }
      if x.elementType.isQuantizedInteger {
        let outQ = try ElementwiseSupport.affine(c, outTensor)
        let constQ = try ElementwiseSupport.affine(c, try c.inputTensor(2))
        guard constQ.scale == outQ.scale, constQ.zeroPoint == outQ.zeroPoint else {
          throw c.unsupported("PADV2 constant quantized differently from the output (TFLite requires equal parameters)")
        }
      }
      fill = constant.storage
    } else {
      var zp: Int64 = 0
      if let q = outTensor.quantization, !q.scales.isEmpty { zp = q.zeroPoint }
      switch x.storage {
      case .float32: fill = .float32([0])
      case .int8:
        guard let v = Int8(exactly: zp) else {
          throw GoldenModelError(.invalidModel, c.location, "zero point \(zp) outside int8")
        }
        fill = .int8([v])
      case .uint8:
        guard let v = UInt8(exactly: zp) else {
          throw GoldenModelError(.invalidModel, c.location, "zero point \(zp) outside uint8")
        }
        fill = .uint8([v])
      case .int16:
        guard let v = Int16(exactly: zp) else {
          throw GoldenModelError(.invalidModel, c.location, "zero point \(zp) outside int16")
        }
        fill = .int16([v])
      case .int32: fill = .int32([Int32(truncatingIfNeeded: zp)])
      case .int64: fill = .int64([zp])
      case .bool: fill = .bool([false])
      }
    }
    let before = (0..<rank).map { Int(paddings[2 * $0]) }
    let after = (0..<rank).map { Int(paddings[2 * $0 + 1]) }
    let outShape = (0..<rank).map { x.shape[$0] + before[$0] + after[$0] }
    let outStrides = ElementwiseSupport.rowMajorStrides(outShape)
    var indices = [Int](repeating: -1, count: TensorData.elementCount(of: outShape))
    let interiorBase = (0..<rank).reduce(0) { $0 + before[$1] * outStrides[$1] }
    let interior = ElementwiseSupport.stridedIndices(shape: x.shape, strides: outStrides, base: interiorBase)
    for (k, o) in interior.enumerated() { indices[o] = k }
    return TensorData(shape: outShape, storage: ElementwiseSupport.gather(x.storage, indices, fill: fill))
  }

  // MARK: - Helpers

  private static func allInputs(_ c: KernelContext) throws(GoldenModelError) -> [TensorData] {
    var out: [TensorData] = []
    for i in c.op.inputs.indices { out.append(try c.value(i)) }
    return out
  }

  /// Tensors of equal rank joined along `axis`; every other dimension must match.
  private static func join(_ c: KernelContext, _ parts: [TensorData], axis: Int) throws(GoldenModelError) -> TensorData
  {
    guard let first = parts.first else { throw GoldenModelError(.invalidModel, c.location, "no inputs to join") }
    var shape = first.shape
    shape[axis] = 0
    for (i, p) in parts.enumerated() {
      var other = p.shape
      if other.count == shape.count { other[axis] = 0 }
      guard other == shape else {
        throw GoldenModelError(
          .invalidModel, c.location,
          "input \(i) has shape \(p.shape); input 0 has \(first.shape) (only dimension \(axis) may differ)")
      }
    }
    shape[axis] = parts.reduce(0) { $0 + $1.shape[axis] }
    guard let all = ElementwiseSupport.concatenate(parts.map(\.storage)) else {
      throw GoldenModelError(.invalidModel, c.location, "inputs have different element types")
    }
    let outer = first.shape[..<axis].reduce(1, *)
    let inner = first.shape[(axis + 1)...].reduce(1, *)
    var offsets: [Int] = []
    var running = 0
    for p in parts {
      offsets.append(running)
      running += p.count
    }
    var indices: [Int] = []
    indices.reserveCapacity(running)
    for k in 0..<outer {
      for (i, p) in parts.enumerated() {
        let size = p.shape[axis] * inner
        let base = offsets[i] + k * size
        for j in 0..<size { indices.append(base + j) }
      }
    }
    return TensorData(shape: shape, storage: ElementwiseSupport.gather(all, indices))
  }

  /// Rescales a quantized tensor the way `ConcatenationWithScaling` does (float arithmetic).
  private static func rescaleForConcatenation(
    _ c: KernelContext, _ x: TensorData, from inQ: ElementwiseSupport.Affine, to outQ: ElementwiseSupport.Affine
  ) throws(GoldenModelError) -> TensorData {
    guard let values = ElementwiseSupport.integers(x), let range = x.elementType.integerRange else {
      throw c.unsupported("CONCATENATION rescaling of \(x.elementType)")
    }
    let scale = inQ.scale * (1 / outQ.scale)
    let bias = Float(-inQ.zeroPoint) * scale
    let out = values.map { q -> Int32 in
      let v =
        ElementwiseSupport.truncatingToInt32((Float(q) * scale + bias).rounded(.toNearestOrAwayFromZero))
        &+ outQ.zeroPoint
      return min(max(v, range.lowerBound), range.upperBound)
    }
    guard let storage = ElementwiseSupport.storage(out, as: x.elementType) else {
      throw c.unsupported("CONCATENATION rescaling of \(x.elementType)")
    }
    return TensorData(shape: x.shape, storage: storage)
  }

  /// A fused activation clamp on a finished output (CONCATENATION; TFLite 2.21 only accepts NONE).
  private static func clampActivation(_ c: KernelContext, _ t: TensorData, _ a: FusedActivation, _ outTensor: Tensor)
    throws(GoldenModelError) -> TensorData
  {
    switch t.storage {
    case .float32(let v):
      let (lo, hi) = ElementwiseSupport.floatRange(a)
      return TensorData(shape: t.shape, storage: .float32(v.map { ElementwiseSupport.clampLikeCpp($0, lo, hi) }))
    case .int8, .uint8, .int16:
      guard let values = ElementwiseSupport.integers(t) else { throw c.unsupported("activation on \(t.elementType)") }
      let range = ElementwiseSupport.quantizedRange(a, try ElementwiseSupport.affine(c, outTensor), t.elementType)
      let clamped = values.map { min(max($0, range.lowerBound), range.upperBound) }
      guard let storage = ElementwiseSupport.storage(clamped, as: t.elementType) else {
        throw c.unsupported("activation on \(t.elementType)")
      }
      return TensorData(shape: t.shape, storage: storage)
    case .int32(let v):
      let (lo, hi) = ElementwiseSupport.integerRange(a, Int32.self)
      return TensorData(shape: t.shape, storage: .int32(v.map { min(max($0, lo), hi) }))
    case .int64(let v):
      let (lo, hi) = ElementwiseSupport.integerRange(a, Int64.self)
      return TensorData(shape: t.shape, storage: .int64(v.map { min(max($0, lo), hi) }))
    case .bool:
      throw c.unsupported("fused activation on bool")
    }
  }
}

/// STRIDED_SLICE parameters after ellipsis and new-axis expansion (TFLite `strided_slice.cc`
/// `BuildStridedSliceParams`, `reference/strided_slice.h` `StartForAxis`/`EndForAxis`).
private struct StridedSlicePlan {
  /// The input shape with new axes inserted (size 1) and the ellipsis expanded.
  var effectiveShape: [Int] = []
  var starts: [Int] = []
  var stops: [Int] = []
  var strides: [Int] = []
  var beginMask: UInt32 = 0
  var endMask: UInt32 = 0
  var shrinkMask: UInt32 = 0
  var offset: Bool

  init(
    _ c: KernelContext, inputShape: [Int], begin: [Int64], end: [Int64], strides strideValues: [Int64],
    options o: StridedSliceOptions
  ) throws(GoldenModelError) {
    offset = o.offset
    func bit(_ mask: Int32, _ i: Int) -> Bool { i >= 0 && i < 32 && (UInt32(bitPattern: mask) >> UInt32(i)) & 1 == 1 }
    func bit(_ mask: UInt32, _ i: Int) -> Bool { i >= 0 && i < 32 && (mask >> UInt32(i)) & 1 == 1 }
    let beginCount = begin.count
    let inputDims = inputShape.count
    var addedAxes = 0
    for i in 0..<beginCount where !bit(o.ellipsisMask, i) && bit(o.newAxisMask, i) { addedAxes += 1 }
    let dims = inputDims + addedAxes
    guard dims <= 32 else { throw c.unsupported("STRIDED_SLICE with \(dims) effective dimensions") }

    // Expand the ellipsis over the dimensions it stands for; shift the new-axis bits after it.
    var ellipsis: UInt32 = 0
    var newAxis: UInt32 = 0
    var ellipsisStart = dims
    var expandedEllipsis = 0
    var i = 0
    while i < dims {
      if bit(o.ellipsisMask, i) {
        ellipsisStart = i
        let ellipsisEnd = max(i + 1, min(i + 1 + addedAxes + inputDims - beginCount, dims))
        expandedEllipsis = ellipsisEnd - ellipsisStart - 1
        while i < ellipsisEnd {
          ellipsis |= UInt32(1) << UInt32(i)
          i += 1
        }
        continue
      }
      if bit(o.newAxisMask, i - expandedEllipsis) { newAxis |= UInt32(1) << UInt32(i) }
      i += 1
    }

    starts = Array(repeating: 0, count: dims)
    stops = Array(repeating: 0, count: dims)
    strides = Array(repeating: 1, count: dims)
    effectiveShape = Array(repeating: 1, count: dims)
    var addedEllipsis = 0
    var added = 0
    func inputDim(_ d: Int) throws(GoldenModelError) -> Int {
      guard d >= 0, d < inputDims else {
        throw GoldenModelError(
          .invalidModel, c.location, "STRIDED_SLICE masks address input dimension \(d) of \(inputShape)")
      }
      return inputShape[d]
    }
    for i in 0..<dims {
      let b = UInt32(1) << UInt32(i)
      if bit(ellipsis, i) {
        addedEllipsis = max(0, i - ellipsisStart)
        beginMask |= b
        endMask |= b
        effectiveShape[i] = try inputDim(i - added)
      } else if bit(newAxis, i) {
        stops[i] = 1
        added += 1
      } else if i >= beginCount + expandedEllipsis {
        beginMask |= b
        endMask |= b
        effectiveShape[i] = try inputDim(i - added)
      } else {
        let orig = i - addedEllipsis
        guard orig >= 0, orig < beginCount else {
          throw GoldenModelError(
            .invalidModel, c.location, "STRIDED_SLICE index \(orig) out of range 0..<\(beginCount)")
        }
        starts[i] = Int(clamping: begin[orig])
        stops[i] = Int(clamping: end[orig])
        strides[i] = Int(clamping: strideValues[orig])
        if bit(o.beginMask, orig) { beginMask |= b }
        if bit(o.endMask, orig) { endMask |= b }
        if bit(o.shrinkAxisMask, orig) { shrinkMask |= b }
        effectiveShape[i] = try inputDim(i - added)
      }
    }
    for (axis, s) in strides.enumerated() {
      guard s != 0, s > Int(Int32.min), s <= Int(Int32.max) else {
        throw GoldenModelError(
          .invalidModel, c.location, "STRIDED_SLICE stride \(s) on axis \(axis) is not a non-zero int32")
      }
      guard abs(starts[axis]) <= Int(Int32.max), abs(stops[axis]) <= Int(Int32.max) else {
        throw GoldenModelError(.invalidModel, c.location, "STRIDED_SLICE index outside int32 on axis \(axis)")
      }
    }
  }

  func isShrink(_ axis: Int) -> Bool { (shrinkMask >> UInt32(axis)) & 1 == 1 }

  /// `StartForAxis`: negative indices from the end, clamped, then the begin mask.
  func start(_ axis: Int) -> Int {
    let size = effectiveShape[axis]
    var start = starts[axis]
    let stride = strides[axis]
    if start < 0 { start += size }
    start = stride > 0 ? min(max(start, 0), size) : min(max(start, -1), size - 1)
    if (beginMask >> UInt32(axis)) & 1 == 1 { start = stride > 0 ? 0 : size - 1 }
    return start
  }

  /// `EndForAxis`: one past `start` for a shrunk axis; else `end` (plus `start` with `offset`),
  /// negative from the end, clamped, then the end mask.
  func stop(_ axis: Int, start: Int) -> Int {
    let size = effectiveShape[axis]
    if isShrink(axis) { return start >= size ? start : start + 1 }
    var end = stops[axis]
    if offset { end += start }
    let stride = strides[axis]
    if end < 0 { end += size }
    end = stride > 0 ? min(max(end, 0), size) : min(max(end, -1), size - 1)
    if (endMask >> UInt32(axis)) & 1 == 1 { end = stride > 0 ? size : -1 }
    return end
  }
}

extension Kernels {
  /// The run-time target shape of a RESHAPE whose output is dynamic: the shape operand's values
  /// (or the options' `new_shape`), with one −1 resolved from the element count, as TFLite's
  /// `reshape.cc` does.
  static func dynamicReshapeTarget(_ c: KernelContext, elements: Int) throws(GoldenModelError) -> [Int] {
    var target: [Int]
    if case .squeeze(let dims) = c.op.kind {
      // SQUEEZE: drop the listed size-1 axes (negative counts from the end), or all of them.
      let x = try c.value(0)
      let rank = x.shape.count
      let drop = Set(dims.map { $0 < 0 ? $0 + rank : $0 })
      return x.shape.enumerated().filter { i, d in !(d == 1 && (drop.isEmpty || drop.contains(i))) }.map(\.element)
    }
    if let operand = c.optionalValue(1) {
      target = operand.integerValues.map { Int($0) }
    } else if case .reshape(let newShape?) = c.op.kind {
      target = newShape
    } else {
      throw GoldenModelError(.invalidModel, c.location, "dynamic RESHAPE has neither a shape operand nor new_shape")
    }
    let unknown = target.indices.filter { target[$0] == -1 }
    guard unknown.count <= 1, !target.contains(where: { $0 < -1 }) else {
      throw GoldenModelError(.invalidModel, c.location, "target shape \(target) has more than one −1 or a negative dimension")
    }
    if let u = unknown.first {
      let known = target.enumerated().filter { $0.offset != u }.reduce(1) { $0 * $1.element }
      guard known > 0, elements % known == 0 else {
        throw GoldenModelError(.invalidModel, c.location, "cannot reshape \(elements) elements to \(target)")
      }
      target[u] = elements / known
    }
    return target
  }
}
