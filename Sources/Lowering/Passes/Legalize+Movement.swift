import GraphIR
import Support
import TileISA

/// Legalize's rules for operators that need no arithmetic of their own: int8 unary ops through a
/// `vlut` table and data movement as strided DMA copies. Adding an operator to either family is
/// one line in `isLookupOperator` or `dataInputs`.
extension OperatorLegalizer {
  /// The int8 unary operators `vlut` runs, one per line: each must be elementwise with an output
  /// that depends only on its element (and constant options), so its golden-model kernel
  /// tabulates it on the 256 int8 inputs (`LookupTable`).
  static func isLookupOperator(_ kind: OpKind) -> Bool {
    switch kind {
    case .logistic: true
    case .tanh: true
    case .hardSwish: true
    case .gelu: true
    case .exp: true
    case .neg: true
    case .rsqrt: true
    case .leakyRelu: true
    // issue 14: vops
    case .sqrt: true
    default: false
    }
  }

  /// The data-movement operators strided DMA copies run, one per line, with the input positions
  /// whose elements they move (the others are constant indices, permutations, shapes).
  static func dataInputs(_ kind: OpKind) -> [Int]? {
    switch kind {
    case .transpose: [0]
    case .slice: [0]
    case .stridedSlice: [0]
    case .gather: [0]
    case .broadcastTo: [0]
    case .pack(let count, _): Array(0..<count)
    case .split: [1]
    case .splitV: [0]
    case .unpack: [0]
    case .tile: [0]
    case .spaceToDepth: [0]
    case .depthToSpace: [0]
    case .resizeNearestNeighbor: [0]
    // issue 14: space-batch
    case .spaceToBatchND: [0]
    case .batchToSpaceND: [0]
    default: nil
    }
  }

  /// A data-movement op as strided 2-D DMA copies through the unified buffer (`DataMovement`):
  /// every moved input quantized exactly like the output, every other input constant.
  func dataMovement(_ positions: [Int]) -> Decision {
    guard let out = output else { return host("no output") }
    guard let oq = affine(out) else { return host("missing quantization") }
    for id in op.outputs.dropFirst() {
      guard let q = affine(graph[id]), q.scale == oq.scale, q.zeroPoint == oq.zeroPoint else {
        return host("outputs quantized differently (a copy cannot rescale)")
      }
    }
    for (position, id) in op.inputs.enumerated() {
      guard let id else { continue }
      let t = graph[id]
      if positions.contains(position) {
        guard let q = affine(t), q.scale == oq.scale, q.zeroPoint == oq.zeroPoint,
          (t.quantization?.scales.count ?? 1) <= 1
        else {
          return host("input \(position) is quantized differently from the output (a copy cannot rescale)")
        }
      } else if !t.isConstant {
        return host("input \(position) is not constant")
      }
    }
    switch DataMovement.copies(graph, operator: index, dataInputs: positions) {
    case .failure(let problem):
      return host("its element map cannot be derived (\(problem.message))")
    case .success(let copies):
      // Output elements no copy writes (SPACE_TO_BATCH_ND's padding) hold the output zero point.
      let copied = copies.filter { ($0.destination ?? op.outputs[0]) == op.outputs[0] }.reduce(0) { $0 + $1.rows * $1.run }
      let fill: Int8? = copied < graph[op.outputs[0]].elementCount ? oq.zeroPoint : nil
      var work = CopyWork(output: op.outputs[0], fill: fill, copies: copies)
      work.extraOutputs = Array(op.outputs.dropFirst())
      let rows = copies.reduce(0) { $0 + $1.rows }
      return (
        .vectorUnit,
        "\(name): \(copies.count) strided DMA cop\(copies.count == 1 ? "y" : "ies") (\(rows) row\(rows == 1 ? "" : "s")) through the unified buffer"
          + (fill.map { " after a fill with the zero point \($0)" } ?? ""),
        .copy(work)
      )
    }
  }

  /// An int8 → int8 unary op through a 256-entry table on the vector unit (`vlut`).
  func lookup() -> Decision {
    guard let xID = op.input(0), let x = input(0), let out = output, op.outputs.count == 1 else {
      return host("missing operands")
    }
    if floatDatapath {
      return host("float32 datapath: a 256-entry table covers int8 inputs only")
    }
    guard x.elementType == .int8, out.elementType == .int8 else {
      return host("\(x.elementType) → \(out.elementType); vlut maps int8 → int8")
    }
    guard let xq = x.quantization, xq.scales.count == 1, let oq = out.quantization, oq.scales.count == 1,
      x.int8Affine != nil, out.int8Affine != nil
    else {
      return host("per-channel or missing quantization; vlut needs one scale and zero point per tensor")
    }
    guard x.elementCount == out.elementCount else {
      return host("output shape \(out.shape) differs from input shape \(x.shape); vlut is elementwise")
    }
    let wbCapacity = Int(state.arch.weights.capacity.count)
    guard wbCapacity >= VectorOperation.lookupTableBytes else {
      return host("the 256-byte vlut table does not fit \(state.arch.name)'s \(formatBytes(wbCapacity)) weight buffer")
    }
    for (position, id) in op.inputs.enumerated().dropFirst() {
      if let id, !graph[id].isConstant { return host("input \(position) is not constant") }
    }
    switch LookupTable.build(graph, operator: index) {
    case .failure(let problem):
      return host("its kernel cannot be tabulated (\(problem.message))")
    case .success(let table):
      let identity = RequantizeParameters(inputZeroPoint: 0, outputZeroPoint: 0, multiplier: 1 << 30, shift: 1)
      let work = UnaryWork(
        input: xID, output: op.outputs[0], count: x.elementCount, parameters: identity, table: table, tiling: nil)
      return (
        .vectorUnit,
        "\(name): vlut on the vector unit (256-entry table from the golden model's int8 kernel, scales \(xq.scales[0]) → \(oq.scales[0]))",
        .unary(work)
      )
    }
  }
}
