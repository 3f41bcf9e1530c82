import GoldenModel
import GraphIR

/// Where each output element of a data-movement operator (TRANSPOSE, SLICE, STRIDED_SLICE,
/// GATHER with constant indices, BROADCAST_TO, PACK, SPLIT, SPLIT_V) comes from, found by running the golden
/// model's kernel on element numbers, and that map compressed into strided 2-D DMA copies.
///
/// Each data input is replaced by an int32 tensor of the same shape holding consecutive element
/// numbers from 1 (input k's numbers follow input k − 1's); the kernel moves numbers exactly as it
/// moves int8 values, so its output names, for every output element, the input element it copies,
/// or holds 0 where the kernel writes a padding value of its own (SPACE_TO_BATCH_ND's padded
/// positions, the int32 zero point being 0): no copy writes those, the layer's fill does. The
/// copies are therefore the kernel's own indexing (every mask, negative index and clamp of
/// STRIDED_SLICE included), bit-exact by construction, as `LookupTable` is for unary ops.
enum DataMovement {
  /// Output elements above which the map is not built (the copies would be too fine-grained to
  /// be worth DMA descriptors anyway).
  static let maxElements = 1 << 22
  /// 2-D copies above which the operator stays on the host.
  static let maxCopies = 1 << 14

  /// The 2-D copies that build the operator's outputs from its `dataInputs` (input positions),
  /// each naming the output it writes, or the reason they cannot be derived.
  static func copies(_ graph: Graph, operator index: Int, dataInputs: [Int]) -> Result<
    [CopyWork.Copy2D], KernelEvaluationProblem
  > {
    let op = graph.operators[index]
    var g = graph
    var values: [TensorData?] = op.inputs.map { $0.flatMap { graph[$0].data } }
    var bases: [(position: Int, id: TensorID, base: Int)] = []
    var next = 0
    for p in dataInputs {
      guard let id = op.input(p) else { return .failure(KernelEvaluationProblem(message: "input \(p) is missing")) }
      let t = graph[id]
      let count = t.elementCount
      guard next + count + 1 < Int(Int32.max) else {
        return .failure(KernelEvaluationProblem(message: "too many elements"))
      }
      values[p] = TensorData(shape: t.shape, storage: .int32((next + 1..<next + count + 1).map { Int32($0) }))
      g[id].elementType = .int32
      g[id].quantization = nil
      bases.append((p, id, next))
      next += count
    }
    guard op.outputs.reduce(0, { $0 + graph[$1].elementCount }) <= maxElements else {
      return .failure(KernelEvaluationProblem(message: "more than \(maxElements) output elements"))
    }
    for outID in op.outputs {
      g[outID].elementType = .int32
      g[outID].quantization = nil
    }
    let outputs: [TensorData]
    do {
      outputs = try Kernels.run(KernelContext(graph: g, op: op, index: index, values: values), workers: 1)
    } catch {
      return .failure(KernelEvaluationProblem(message: error.message))
    }
    guard outputs.count == op.outputs.count else {
      return .failure(KernelEvaluationProblem(message: "the kernel's outputs do not match the operator's"))
    }
    var copies: [CopyWork.Copy2D] = []
    for (outID, output) in zip(op.outputs, outputs) {
      guard case .int32(let numbers) = output.storage, numbers.count == graph[outID].elementCount else {
        return .failure(KernelEvaluationProblem(message: "the kernel's output does not match the output tensor"))
      }
      copies += compress(numbers, bases: bases.map { ($0.id, $0.base) }, destination: outID)
      guard copies.count <= maxCopies else {
        return .failure(KernelEvaluationProblem(message: "more than \(maxCopies) strided copies"))
      }
    }
    return .success(copies)
  }

  /// Element numbers of one output (1-based; 0 for an element no input supplies) → (source
  /// tensor, element), grouped into runs, rows of equally strided runs, and 2-D copies into
  /// `destination`.
  static func compress(_ numbers: [Int32], bases: [(id: TensorID, base: Int)], destination: TensorID)
    -> [CopyWork.Copy2D]
  {
    func source(_ n: Int) -> (id: TensorID, element: Int) {
      var k = bases.count - 1
      while k > 0 && bases[k].base > n { k -= 1 }
      return (bases[k].id, n - bases[k].base)
    }
    var runs: [(id: TensorID, source: Int, destination: Int, length: Int)] = []
    for (d, raw) in numbers.enumerated() where raw > 0 {
      let (id, e) = source(Int(raw) - 1)
      if let last = runs.last, last.id == id, last.source + last.length == e, last.destination + last.length == d {
        runs[runs.count - 1].length += 1
      } else {
        runs.append((id, e, d, 1))
      }
    }
    var copies: [CopyWork.Copy2D] = []
    var i = 0
    while i < runs.count {
      let first = runs[i]
      var rows = 1
      var sourceStride = first.length
      var destinationStride = first.length
      if i + 1 < runs.count, runs[i + 1].id == first.id, runs[i + 1].length == first.length {
        sourceStride = runs[i + 1].source - first.source
        destinationStride = runs[i + 1].destination - first.destination
        rows = 2
        while i + rows < runs.count {
          let r = runs[i + rows]
          guard r.id == first.id, r.length == first.length, r.source == first.source + rows * sourceStride,
            r.destination == first.destination + rows * destinationStride
          else { break }
          rows += 1
        }
        // DMA strides are unsigned: a descending or repeating source walks row by row.
        if sourceStride <= 0 {
          rows = 1
          sourceStride = first.length
          destinationStride = first.length
        }
      }
      copies.append(
        CopyWork.Copy2D(
          source: first.id, sourceOffset: first.source, sourceStride: sourceStride,
          destinationOffset: first.destination, destinationStride: destinationStride, rows: rows, run: first.length,
          destination: destination))
      i += rows
    }
    return copies
  }
}
