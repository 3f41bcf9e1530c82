import GraphIR
import Support

/// The first step of legalize: gives every run-time-sized tensor (a `shapeSignature` with −1) the
/// shape the model's input shapes imply, so the rest of the compiler sees a static graph.
///
/// A compiled program has fixed buffers, so it is compiled for the shapes stored for the
/// model's inputs (TFLite's placeholders, which the reference inputs use). Shape arithmetic is
/// folded at compile time: SHAPE of a tensor with a known shape, STRIDED_SLICE of a constant
/// rank-1 integer tensor (positive strides; begin, end and shrink-axis masks), PACK of constant
/// scalars or vectors along axis 0; RESHAPE then takes its target from the folded shape tensor
/// (one −1 inferred) and SQUEEZE from its input. The folded operators become `folded`: no work.
/// Any other operator with a run-time-sized output is an `.unsupported` error.
struct StaticShapes {
  /// Resolves `graph` in place; returns the indices of the operators folded into constants.
  static func resolve(_ graph: inout Graph, location: (Int) -> String) throws(LoweringError) -> Set<Int> {
    // SHAPE of a static tensor is a compile-time constant, so the chain it feeds folds also in a
    // graph whose shapes `ShapeResolver` (run by the driver) already resolved.
    let hasShapeOperator = graph.operators.contains { if case .shape = $0.kind { true } else { false } }
    guard hasShapeOperator || graph.tensors.contains(where: \.isDynamic) else { return [] }
    var folded = Set<Int>()
    for (i, op) in graph.operators.enumerated() {
      let inputs = op.inputs.map { $0.map { graph[$0] } }
      func constantInts(_ p: Int) -> [Int64]? {
        guard p < inputs.count, let t = inputs[p], let data = t.data, !t.isDynamic else { return nil }
        switch data.storage {
        case .int32, .int64: return data.integerValues
        default: return nil
        }
      }
      var result: (shape: [Int], data: TensorData?)?
      switch op.kind {
      case .shape(let type):
        if let x = inputs.first ?? nil, !x.isDynamic, type == .int32 || type == .int64 {
          let dims = x.shape
          let storage: TensorData.Storage =
            type == .int32 ? .int32(dims.map { Int32($0) }) : .int64(dims.map { Int64($0) })
          result = ([dims.count], TensorData(shape: [dims.count], storage: storage))
        }
      case .stridedSlice(let o):
        if let values = constantInts(0), inputs[0]?.shape.count == 1, let begin = constantInts(1)?.first,
          let end = constantInts(2)?.first, let stride = constantInts(3)?.first, stride > 0,
          o.ellipsisMask == 0, o.newAxisMask == 0, !o.offset, let type = inputs[0]?.elementType
        {
          let n = Int64(values.count)
          func normalize(_ v: Int64) -> Int64 { min(max(v < 0 ? v + n : v, 0), n) }
          let start = o.beginMask & 1 != 0 ? 0 : normalize(begin)
          let stop = o.endMask & 1 != 0 ? n : normalize(end)
          var picked: [Int64] = []
          var k = start
          while k < stop {
            picked.append(values[Int(k)])
            k += stride
          }
          if o.shrinkAxisMask & 1 != 0 {
            let index = begin < 0 ? begin + n : begin
            if index >= 0, index < n { result = ([], integers([values[Int(index)]], type, shape: [])) }
          } else {
            result = ([picked.count], integers(picked, type, shape: [picked.count]))
          }
        }
      case .pack(_, let axis):
        let parts = op.inputs.indices.map(constantInts)
        if axis == 0, !parts.isEmpty, parts.allSatisfy({ $0 != nil }), let type = inputs.first??.elementType,
          let first = inputs[0], first.shape.count <= 1, inputs.allSatisfy({ $0?.shape == first.shape })
        {
          let values = parts.compactMap { $0 }.flatMap { $0 }
          let shape = [parts.count] + first.shape
          result = (shape, integers(values, type, shape: shape))
        }
      case .reshape(let newShape):
        if let x = inputs.first ?? nil, !x.isDynamic {
          let target = constantInts(1).map { $0.map { Int($0) } } ?? newShape
          if let target, let shape = inferShape(target, elements: x.elementCount) { result = (shape, nil) }
        }
      case .squeeze(let dims):
        if let x = inputs.first ?? nil, !x.isDynamic {
          let rank = x.shape.count
          let axes = Set(dims.map { $0 < 0 ? $0 + rank : $0 })
          result = (
            x.shape.enumerated().filter { !(axes.isEmpty ? $0.element == 1 : axes.contains($0.offset)) }.map(\.element),
            nil
          )
        }
      default:
        break
      }
      for id in op.outputs where graph[id].isDynamic || result?.data != nil {
        guard let r = result else {
          let t = graph[id]
          throw LoweringError(
            .unsupported, location(i),
            "output \(op.outputs.firstIndex(of: id) ?? 0) has a run-time shape \(t.shapeSignature ?? t.shape) the compiler cannot resolve; resolve shapes first (ShapeResolver; the CLI's --batch/--input-shape)"
          )
        }
        graph[id].shape = r.shape
        graph[id].shapeSignature = nil
        if let data = r.data {
          graph[id].data = data
          folded.insert(i)
        }
      }
    }
    for i in graph.tensors.indices where graph.tensors[i].isDynamic { graph.tensors[i].shapeSignature = nil }
    return folded
  }

  static func integers(_ values: [Int64], _ type: ElementType, shape: [Int]) -> TensorData? {
    switch type {
    case .int32: TensorData(shape: shape, storage: .int32(values.map { Int32(truncatingIfNeeded: $0) }))
    case .int64: TensorData(shape: shape, storage: .int64(values))
    default: nil
    }
  }

  /// A RESHAPE target with at most one −1, resolved for `elements`.
  static func inferShape(_ target: [Int], elements: Int) -> [Int]? {
    let unknown = target.filter { $0 == -1 }.count
    guard unknown <= 1, target.allSatisfy({ $0 >= -1 }) else { return nil }
    let known = target.filter { $0 != -1 }.reduce(1, *)
    if unknown == 0 { return known == elements ? target : nil }
    guard known > 0, elements % known == 0 else { return nil }
    return target.map { $0 == -1 ? elements / known : $0 }
  }
}
