import GraphIR

// issue 14: space-batch
extension ModelReader {
  /// SPACE_TO_BATCH_ND and BATCH_TO_SPACE_ND operands, checked at import: three inputs and one
  /// output; the data input of rank 3 or 4 (what TFLite's reference kernels take); input 1 (block
  /// shape) a constant int32 vector with one entry ≥ 1 per spatial dimension and input 2
  /// (paddings or crops) a constant int32 `[spatial, 2]` tensor of entries ≥ 0. The divisibility
  /// of the padded or batched sizes is checked where shapes are known (the kernels).
  func checkSpaceBatchOperands(
    _ kind: OpKind, inputs: [TensorID?], outputs: [TensorID], tensors: [Tensor],
    fail: (TFLiteImportError.Kind, String) -> TFLiteImportError
  ) throws(TFLiteImportError) {
    let edges = kind == .spaceToBatchND ? "paddings" : "crops"
    guard inputs.count == 3, outputs.count == 1, let x = inputs[0], let b = inputs[1], let p = inputs[2] else {
      throw fail(.invalidModel, "has \(inputs.count) inputs and \(outputs.count) outputs; expected input, block_shape, \(edges) and one output")
    }
    let rank = tensors[x.index].shape.count
    guard rank == 3 || rank == 4 else {
      throw fail(.unsupported, "input has rank \(rank); expected 3 or 4")
    }
    let spatial = rank - 2
    let block = tensors[b.index]
    guard block.elementType == .int32, let blockData = block.data else {
      throw fail(.unsupported, "block_shape is \(block.isConstant ? "" : "a non-constant ")\(block.elementType); expected a constant int32 tensor")
    }
    guard block.shape == [spatial], blockData.integerValues.allSatisfy({ $0 >= 1 }) else {
      throw fail(.invalidModel, "block_shape is \(blockData.integerValues) of shape \(block.shape); expected \(spatial) entries ≥ 1 for a rank-\(rank) input")
    }
    let pad = tensors[p.index]
    guard pad.elementType == .int32, let padData = pad.data else {
      throw fail(.unsupported, "\(edges) is \(pad.isConstant ? "" : "a non-constant ")\(pad.elementType); expected a constant int32 tensor")
    }
    guard pad.shape == [spatial, 2], padData.integerValues.allSatisfy({ $0 >= 0 }) else {
      throw fail(.invalidModel, "\(edges) is \(padData.integerValues) of shape \(pad.shape); expected [\(spatial), 2] entries ≥ 0")
    }
  }
}
