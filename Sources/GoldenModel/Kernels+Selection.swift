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
