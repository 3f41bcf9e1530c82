extension Graph {
  /// Multiply-accumulates performed by operator `index` (0 for ops without a matrix product).
  ///
  /// - CONV_2D: `N · Ho · Wo · Co · Kh · Kw · Ci`
  /// - DEPTHWISE_CONV_2D: `N · Ho · Wo · Co · Kh · Kw` (one input channel per output channel)
  /// - FULLY_CONNECTED: `rows · units · depth` where rows = input elements / depth
  /// - BATCH_MATMUL: `batch · M · N · K`
  /// - UNIDIRECTIONAL_SEQUENCE_LSTM: `batch · steps · gates · cells · (inputs + outputs)`
  /// - TRANSPOSE_CONV: `N · Hi · Wi · Ci · Kh · Kw · Co` (every input pixel times the whole
  ///   filter; taps that fall outside the output are counted too)
  public func macs(ofOperator index: Int) -> Int {
    let op = operators[index]
    func shape(_ position: Int) -> [Int]? { op.input(position).map { self[$0].shape } }
    let out = op.outputs.first.map { self[$0].shape } ?? []
    switch op.kind {
    case .conv2D:
      guard let w = shape(1), w.count == 4, out.count == 4 else { return 0 }
      return out[0] * out[1] * out[2] * w[0] * w[1] * w[2] * w[3]
    case .depthwiseConv2D:
      guard let w = shape(1), w.count == 4, out.count == 4 else { return 0 }
      return out[0] * out[1] * out[2] * out[3] * w[1] * w[2]
    case .fullyConnected:
      guard let w = shape(1), w.count == 2, let x = shape(0) else { return 0 }
      let depth = w[1]
      guard depth > 0 else { return 0 }
      let rows = TensorData.elementCount(of: x) / depth
      return rows * w[0] * depth
    case .batchMatMul(let adjX, _):
      guard let x = shape(0), x.count >= 2 else { return 0 }
      let k = adjX ? x[x.count - 2] : x[x.count - 1]
      return TensorData.elementCount(of: out) * k
    // issue 14: recurrent
    case .unidirectionalSequenceLSTM:
      // Every step: one gate row per cell, each a dot product over inputs and outputs.
      guard let w = shape(4), w.count == 2, let r = shape(8), r.count == 2, out.count == 3 else { return 0 }
      let gates = op.input(1) == nil ? 3 : 4
      return out[0] * out[1] * gates * w[0] * (w[1] + r[1])
    case .transposeConv:
      guard let w = shape(1), w.count == 4, let x = shape(2), x.count == 4 else { return 0 }
      return x[0] * x[1] * x[2] * w[3] * w[1] * w[2] * w[0]
    default:
      return 0
    }
  }

  /// Bytes of constant weight data an operator reads (filters and biases), as stored.
  public func weightBytes(ofOperator index: Int) -> Int {
    operators[index].inputs.compactMap { $0 }.reduce(0) { sum, id in
      let t = self[id]
      return t.isConstant && t.elementCount > 1 && operatorUsesAsParameter(index, id)
        ? sum + t.byteCount : sum
    }
  }

  /// Parameters (weights and biases) are the constant operands of the matrix and elementwise
  /// ops (PRELU's alpha among them); shape operands of RESHAPE, PAD paddings, slice indices,
  /// TRANSPOSE_CONV's output shape and the like are not.
  private func operatorUsesAsParameter(_ index: Int, _ id: TensorID) -> Bool {
    let op = operators[index]
    switch op.kind {
    case .conv2D, .depthwiseConv2D, .fullyConnected, .batchMatMul, .add, .sub, .mul,
      .squaredDifference, .concatenation, .padV2, .maximum, .minimum, .prelu:
      return true
    // issue 14: recurrent
    case .unidirectionalSequenceLSTM:
      return true
    case .transposeConv:
      return op.input(1) == id || op.input(3) == id
    default:
      return false
    }
  }
}
