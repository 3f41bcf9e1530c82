import Foundation
import GraphIR

extension ModelReader {
  /// Reads operator `i` of subgraph `g`: its code, operands and typed options.
  func readOperator(_ t: FlatBufferTable, graph g: Int, index i: Int, tensors: [Tensor]) throws(TFLiteImportError)
    -> Operator
  {
    let codeIndex = Int(try r.scalar(t, Schema.Operator.opcodeIndex, "opcode_index", default: UInt32(0)))
    guard codeIndex < operatorCodes.count else {
      throw TFLiteImportError(
        .indexOutOfRange, source: source, at: .operator(graph: g, index: i, name: nil, output: nil),
        "uses operator code \(codeIndex), but the model has \(operatorCodes.count) operator codes")
    }
    let code = operatorCodes[codeIndex]
    guard Self.isSupported(code) else {
      let what =
        code.builtin == Schema.Builtin.custom
        ? code.customName.map { "custom op '\($0)'" } ?? "a custom op without a name" : Schema.builtinDescription(code.builtin)
      throw TFLiteImportError(
        .unsupported, source: source, at: .operator(graph: g, index: i, name: nil, output: nil),
        "uses \(what), which Systole does not support")
    }
    // issue 14: detection (a supported custom op is named by its custom code)
    let opName = code.builtin == Schema.Builtin.custom ? code.customName ?? "CUSTOM" : Schema.builtinNames[Int(code.builtin)]

    let rawOutputs = try r.int32s(t, Schema.Operator.outputs, "outputs") ?? []
    let firstOutput = rawOutputs.first.flatMap { $0 >= 0 && Int($0) < tensors.count ? tensors[Int($0)].name : nil }
    let location = TFLiteImportError.Location.operator(graph: g, index: i, name: opName, output: firstOutput)
    func fail(_ kind: TFLiteImportError.Kind, _ message: String) -> TFLiteImportError {
      TFLiteImportError(kind, source: source, at: location, message)
    }

    let rawInputs = try r.int32s(t, Schema.Operator.inputs, "inputs") ?? []
    var inputs: [TensorID?] = []
    inputs.reserveCapacity(rawInputs.count)
    for (k, value) in rawInputs.enumerated() {
      if value == -1 {
        inputs.append(nil)
        continue
      }
      guard value >= 0 && Int(value) < tensors.count else {
        throw fail(.indexOutOfRange, "input \(k) is tensor #\(value); the subgraph has \(tensors.count) tensors")
      }
      inputs.append(TensorID(Int(value)))
    }
    var outputs: [TensorID] = []
    outputs.reserveCapacity(rawOutputs.count)
    for (k, value) in rawOutputs.enumerated() {
      guard value >= 0 && Int(value) < tensors.count else {
        throw fail(.indexOutOfRange, "output \(k) is tensor #\(value); the subgraph has \(tensors.count) tensors")
      }
      outputs.append(TensorID(Int(value)))
    }

    let reader = OptionsReader(r: r, op: t, fail: fail)
    // issue 14: detection
    var kind: OpKind
    if code.builtin == Schema.Builtin.custom {
      kind = try reader.customKind(opName)
    } else {
      kind = try reader.kind(builtin: code.builtin)
    }
    // issue 14: recurrent
    if case .unidirectionalSequenceLSTM(var o) = kind {
      o.intermediates = try readIntermediates(t, tensors: tensors, fail: fail)
      kind = .unidirectionalSequenceLSTM(o)
    }
    if code.builtin == Schema.Builtin.add || code.builtin == Schema.Builtin.sub {
      let options: Schema.Options = code.builtin == Schema.Builtin.add ? .add : .sub
      try checkPowerOfTwoScaleInt16(
        reader, options, opName, inputs: inputs, outputs: outputs, tensors: tensors, fail: fail)
    }
    // issue 14: space-batch
    if kind == .spaceToBatchND || kind == .batchToSpaceND {
      try checkSpaceBatchOperands(kind, inputs: inputs, outputs: outputs, tensors: tensors, fail: fail)
    }
    return Operator(kind: kind, inputs: inputs, outputs: outputs)
  }

  /// int16 ADD and SUB with `pot_scale_int16` (the schema's default, true) and three scales that
  /// TFLite's `CheckedLog2` takes for powers of two (|log2 s − round(log2 s)| < 1e-3) run
  /// TFLite's power-of-two-scale kernel, whose rounding Systole's golden model does not
  /// implement: an unsupported-operator error rather than outputs that could differ. (The
  /// converter's 16×8 files set `pot_scale_int16 = false`; Systole's writer does too.)
  func checkPowerOfTwoScaleInt16(
    _ reader: OptionsReader, _ options: Schema.Options, _ opName: String, inputs: [TensorID?], outputs: [TensorID],
    tensors: [Tensor],
    fail: (TFLiteImportError.Kind, String) -> TFLiteImportError
  ) throws(TFLiteImportError) {
    let operands = inputs.prefix(2).compactMap { $0 } + outputs.prefix(1)
    guard operands.count == 3, operands.allSatisfy({ tensors[$0.index].elementType == .int16 }) else { return }
    let table = try reader.options(options)
    let pot = try table.map { (t) throws(TFLiteImportError) in try r.scalar(t, 1, "pot_scale_int16", default: UInt8(1)) != 0 } ?? true
    guard pot else { return }
    func isPowerOfTwo(_ id: TensorID) -> Bool {
      guard let s = tensors[id.index].quantization?.scales.first, s > 0 else { return false }
      let l = log(s) * (1 / log(Float(2)))
      return abs(l - l.rounded()) < 1e-3
    }
    if operands.allSatisfy(isPowerOfTwo) {
      throw fail(
        .unsupported,
        "int16 \(opName) with pot_scale_int16 = true and power-of-two scales (TFLite's power-of-two kernel) is not supported; expected pot_scale_int16 = false or other scales")
    }
  }

  // issue 14: recurrent
  /// The operator's `intermediates` (tensor indices), validated.
  func readIntermediates(
    _ t: FlatBufferTable, tensors: [Tensor], fail: (TFLiteImportError.Kind, String) -> TFLiteImportError
  ) throws(TFLiteImportError) -> [TensorID] {
    let raw = try r.int32s(t, Schema.Operator.intermediates, "intermediates") ?? []
    var ids: [TensorID] = []
    for (k, value) in raw.enumerated() {
      guard value >= 0 && Int(value) < tensors.count else {
        throw fail(.indexOutOfRange, "intermediate \(k) is tensor #\(value); the subgraph has \(tensors.count) tensors")
      }
      ids.append(TensorID(Int(value)))
    }
    return ids
  }

  /// The builtin codes ``OptionsReader/kind(builtin:)`` maps.
  static let supportedBuiltins: Set<Int32> = {
    typealias B = TFLiteSchema.Builtin
    return [
      B.conv2D, B.depthwiseConv2D, B.fullyConnected, B.batchMatMul, B.add, B.sub, B.mul, B.neg,
      B.squaredDifference, B.rsqrt, B.averagePool2D, B.maxPool2D, B.mean, B.reshape, B.squeeze, B.shape,
      B.pack, B.splitV, B.stridedSlice, B.transpose, B.concatenation, B.pad, B.padV2, B.softmax,
      B.logistic, B.hardSwish, B.relu, B.relu6, B.reluN1To1, B.quantize, B.dequantize, B.varHandle,
      B.readVariable, B.assignVariable, B.callOnce, B.gelu, B.tanh, B.gather, B.less, B.select, B.selectV2,
      B.exp, B.reduceMax, B.expandDims, B.slice, B.split, B.broadcastTo,
      // issue 14: recurrent
      B.unidirectionalSequenceLSTM, B.whileLoop, B.logicalAnd, B.unpack,
      // issue 14: transformer ops
      B.sum, B.reduceProd, B.div, B.sqrt, B.cast, B.pow,
      // issue 14: vision
      B.resizeBilinear, B.resizeNearestNeighbor,
      B.transposeConv, B.spaceToDepth, B.depthToSpace, B.maximum, B.minimum, B.leakyRelu, B.prelu, B.argMax,
      B.l2Normalization, B.tile,
      // issue 14: space-batch
      B.spaceToBatchND, B.batchToSpaceND,
    ]
  }()
}

/// Reads an operator's builtin options table into an ``OpKind``, applying the schema's default
/// values when the table or a field is absent.
struct OptionsReader {
  typealias Schema = TFLiteSchema
  typealias O = TFLiteSchema.Options

  let r: FlatBufferReader
  let op: FlatBufferTable
  let fail: (TFLiteImportError.Kind, String) -> TFLiteImportError

  /// The options table when present; its union tag must be `expected` (or NONE).
  func options(_ expected: O) throws(TFLiteImportError) -> FlatBufferTable? {
    let tag = try r.scalar(op, Schema.Operator.builtinOptionsType, "builtin_options_type", default: UInt8(0))
    guard tag != 0 else { return nil }
    guard tag == expected.rawValue else {
      let name = O(rawValue: tag).map { " (\($0.tableName))" } ?? ""
      throw fail(.malformed, "builtin options have type \(tag)\(name); expected \(expected.rawValue) (\(expected.tableName))")
    }
    return try r.table(op, Schema.Operator.builtinOptions, "builtin_options", as: expected.tableName)
  }

  func int(_ t: FlatBufferTable?, _ id: Int, _ name: StaticString, default d: Int32 = 0) throws(TFLiteImportError) -> Int {
    guard let t else { return Int(d) }
    return Int(try r.scalar(t, id, name, default: d))
  }

  func byte(_ t: FlatBufferTable?, _ id: Int, _ name: StaticString) throws(TFLiteImportError) -> Int8 {
    guard let t else { return 0 }
    return try r.scalar(t, id, name, default: Int8(0))
  }

  func bool(_ t: FlatBufferTable?, _ id: Int, _ name: StaticString) throws(TFLiteImportError) -> Bool {
    guard let t else { return false }
    return try r.bool(t, id, name)
  }

  func padding(_ t: FlatBufferTable?, _ id: Int) throws(TFLiteImportError) -> Padding {
    switch try t.map({ (t) throws(TFLiteImportError) in try r.scalar(t, id, "padding", default: Int8(0)) }) ?? 0 {
    case 0: return .same
    case 1: return .valid
    case let code: throw fail(.malformed, "padding \(code); expected 0 (SAME) or 1 (VALID)")
    }
  }

  func activation(_ t: FlatBufferTable?, _ id: Int) throws(TFLiteImportError) -> FusedActivation {
    guard let t else { return .none }
    let code = try r.scalar(t, id, "fused_activation_function", default: Int8(0))
    guard code >= 0 && Int(code) < Schema.activations.count else {
      throw fail(.malformed, "fused activation \(code); expected 0...\(Schema.activations.count - 1)")
    }
    return Schema.activations[Int(code)]
  }

  func kind(builtin: Int32) throws(TFLiteImportError) -> OpKind {
    typealias B = Schema.Builtin
    switch builtin {
    case B.conv2D:
      let t = try options(.conv2D)
      return .conv2D(
        Conv2DOptions(
          padding: try padding(t, 0), strideH: try int(t, 2, "stride_h"), strideW: try int(t, 1, "stride_w"),
          dilationH: try int(t, 5, "dilation_h_factor", default: 1),
          dilationW: try int(t, 4, "dilation_w_factor", default: 1), activation: try activation(t, 3)))
    case B.depthwiseConv2D:
      let t = try options(.depthwiseConv2D)
      return .depthwiseConv2D(
        DepthwiseConv2DOptions(
          padding: try padding(t, 0), strideH: try int(t, 2, "stride_h"), strideW: try int(t, 1, "stride_w"),
          dilationH: try int(t, 6, "dilation_h_factor", default: 1),
          dilationW: try int(t, 5, "dilation_w_factor", default: 1),
          depthMultiplier: try int(t, 3, "depth_multiplier"), activation: try activation(t, 4)))
    case B.fullyConnected:
      let t = try options(.fullyConnected)
      let format = try byte(t, 1, "weights_format")
      guard format == 0 else {
        throw fail(.unsupported, "weights format \(format) (shuffled) is not supported; expected 0 (DEFAULT)")
      }
      return .fullyConnected(
        FullyConnectedOptions(activation: try activation(t, 0), keepNumDims: try bool(t, 2, "keep_num_dims")))
    case B.batchMatMul:
      let t = try options(.batchMatMul)
      return .batchMatMul(adjointX: try bool(t, 0, "adj_x"), adjointY: try bool(t, 1, "adj_y"))
    case B.add: return .add(activation: try activation(options(.add), 0))
    case B.sub: return .sub(activation: try activation(options(.sub), 0))
    case B.mul: return .mul(activation: try activation(options(.mul), 0))
    case B.neg: return .neg
    case B.squaredDifference: return .squaredDifference
    case B.rsqrt: return .rsqrt
    case B.averagePool2D, B.maxPool2D:
      let t = try options(.pool2D)
      let o = Pool2DOptions(
        padding: try padding(t, 0), strideH: try int(t, 2, "stride_h"), strideW: try int(t, 1, "stride_w"),
        filterH: try int(t, 4, "filter_height"), filterW: try int(t, 3, "filter_width"),
        activation: try activation(t, 5))
      return builtin == B.averagePool2D ? .averagePool2D(o) : .maxPool2D(o)
    case B.mean: return .mean(keepDims: try bool(options(.reducer), 0, "keep_dims"))
    case B.reshape:
      let t = try options(.reshape)
      return .reshape(newShape: try t.flatMap { (t) throws(TFLiteImportError) in try r.int32s(t, 0, "new_shape") }?.map(Int.init))
    case B.squeeze:
      let t = try options(.squeeze)
      let dims = try t.flatMap { (t) throws(TFLiteImportError) in try r.int32s(t, 0, "squeeze_dims") } ?? []
      return .squeeze(dims: dims.map(Int.init))
    case B.shape:
      let code = try byte(options(.shape), 0, "out_type")
      guard let type = Schema.elementType(forTensorType: code) else {
        throw fail(.unsupported, "output type \(Schema.tensorTypeDescription(code)) is not supported")
      }
      return .shape(outputType: type)
    case B.pack:
      let t = try options(.pack)
      return .pack(count: try int(t, 0, "values_count"), axis: try int(t, 1, "axis"))
    case B.splitV: return .splitV(count: try int(options(.splitV), 0, "num_splits"))
    case B.stridedSlice:
      let t = try options(.stridedSlice)
      return .stridedSlice(
        StridedSliceOptions(
          beginMask: Int32(try int(t, 0, "begin_mask")), endMask: Int32(try int(t, 1, "end_mask")),
          ellipsisMask: Int32(try int(t, 2, "ellipsis_mask")), newAxisMask: Int32(try int(t, 3, "new_axis_mask")),
          shrinkAxisMask: Int32(try int(t, 4, "shrink_axis_mask")), offset: try bool(t, 5, "offset")))
    case B.transpose: return .transpose
    case B.concatenation:
      let t = try options(.concatenation)
      return .concatenation(axis: try int(t, 0, "axis"), activation: try activation(t, 1))
    case B.pad: return .pad
    case B.padV2: return .padV2
    case B.softmax:
      let t = try options(.softmax)
      return .softmax(beta: try t.map { (t) throws(TFLiteImportError) in try r.float32(t, 0, "beta", default: 0) } ?? 0)
    case B.logistic: return .logistic
    case B.hardSwish: return .hardSwish
    case B.gelu: return .gelu(approximate: try bool(options(.gelu), 0, "approximate"))
    case B.tanh: return .tanh
    case B.gather:
      let t = try options(.gather)
      return .gather(axis: try int(t, 0, "axis"), batchDims: try int(t, 1, "batch_dims"))
    case B.less: return .less
    case B.select: return .select
    case B.selectV2: return .selectV2
    case B.exp: return .exp
    case B.reduceMax: return .reduceMax(keepDims: try bool(options(.reducer), 0, "keep_dims"))
    case B.expandDims: return .expandDims
    case B.slice: return .slice
    case B.split: return .split(count: try int(options(.split), 0, "num_splits"))
    case B.broadcastTo: return .broadcastTo
    case B.resizeBilinear:
      // Fields 0 and 1 (new_height, new_width) are deprecated: the size is input 1.
      let t = try options(.resizeBilinear)
      return .resizeBilinear(alignCorners: try bool(t, 2, "align_corners"), halfPixelCenters: try bool(t, 3, "half_pixel_centers"))
    case B.resizeNearestNeighbor:
      let t = try options(.resizeNearestNeighbor)
      return .resizeNearestNeighbor(
        alignCorners: try bool(t, 0, "align_corners"), halfPixelCenters: try bool(t, 1, "half_pixel_centers"))
    case B.transposeConv:
      let t = try options(.transposeConv)
      let biasType = try byte(t, 4, "quantized_bias_type")
      // INT64 (4): what the converter writes for 16×8 files (issue 14: int16).
      guard biasType == 0 || biasType == 2 || biasType == 4 else {
        throw fail(
          .unsupported,
          "quantized_bias_type \(Schema.tensorTypeDescription(biasType)) is not supported; expected FLOAT32 (0, the default), INT32 (2) or INT64 (4)")
      }
      return .transposeConv(
        TransposeConvOptions(
          padding: try padding(t, 0), strideH: try int(t, 2, "stride_h"), strideW: try int(t, 1, "stride_w"),
          activation: try activation(t, 3)))
    case B.spaceToDepth: return .spaceToDepth(blockSize: try int(options(.spaceToDepth), 0, "block_size"))
    case B.depthToSpace: return .depthToSpace(blockSize: try int(options(.depthToSpace), 0, "block_size"))
    case B.maximum:
      _ = try options(.maximumMinimum)
      return .maximum
    case B.minimum:
      _ = try options(.maximumMinimum)
      return .minimum
    case B.leakyRelu:
      let t = try options(.leakyRelu)
      return .leakyRelu(alpha: try t.map { (t) throws(TFLiteImportError) in try r.float32(t, 0, "alpha", default: 0) } ?? 0)
    case B.prelu: return .prelu
    case B.argMax:
      // output_type defaults to FLOAT32 (0) in the schema, and an absent table leaves it unset:
      // TFLite's Prepare accepts only INT32 and INT64, which the converter always writes.
      let code = try byte(options(.argMax), 0, "output_type")
      guard code == 2 || code == 4, let type = Schema.elementType(forTensorType: code) else {
        throw fail(.unsupported, "output type \(Schema.tensorTypeDescription(code)) is not supported; expected INT32 (2) or INT64 (4)")
      }
      return .argMax(outputType: type)
    case B.l2Normalization: return .l2Normalization(activation: try activation(options(.l2Norm), 0))
    case B.unpack:
      let t = try options(.unpack)
      return .unpack(count: try int(t, 0, "num"), axis: try int(t, 1, "axis"))
    case B.tile:
      _ = try options(.tile)
      return .tile
    case B.relu: return .relu
    case B.relu6: return .relu6
    case B.reluN1To1: return .reluN1To1
    case B.quantize: return .quantize
    case B.dequantize: return .dequantize
    case B.varHandle:
      let t = try options(.varHandle)
      func string(_ id: Int, _ name: StaticString) throws(TFLiteImportError) -> String {
        guard let t else { return "" }
        return try r.string(t, id, name) ?? ""
      }
      return .varHandle(container: try string(0, "container"), sharedName: try string(1, "shared_name"))
    case B.readVariable: return .readVariable
    case B.assignVariable: return .assignVariable
    case B.callOnce: return .callOnce(initSubgraph: try int(options(.callOnce), 0, "init_subgraph_index"))
    // issue 14: recurrent
    case B.unidirectionalSequenceLSTM:
      let t = try options(.unidirectionalSequenceLSTM)
      func float(_ id: Int, _ name: StaticString) throws(TFLiteImportError) -> Float {
        guard let t else { return 0 }
        return try r.float32(t, id, name, default: 0)
      }
      let cellClip = try float(1, "cell_clip"), projectionClip = try float(2, "proj_clip")
      guard cellClip >= 0, projectionClip >= 0, cellClip.isFinite, projectionClip.isFinite else {
        throw fail(.malformed, "cell_clip \(cellClip) and proj_clip \(projectionClip) must be finite and at least 0")
      }
      return .unidirectionalSequenceLSTM(
        UnidirectionalSequenceLSTMOptions(
          activation: try activation(t, 0), cellClip: cellClip, projectionClip: projectionClip,
          timeMajor: try bool(t, 3, "time_major"), asymmetricQuantizeInputs: try bool(t, 4, "asymmetric_quantize_inputs"),
          diagonalRecurrentTensors: try bool(t, 5, "diagonal_recurrent_tensors")))
    case B.whileLoop:
      let t = try options(.while)
      return .while(condSubgraph: try int(t, 0, "cond_subgraph_index"), bodySubgraph: try int(t, 1, "body_subgraph_index"))
    case B.logicalAnd: return .logicalAnd
    // issue 14: transformer ops
    case B.sum: return .sum(keepDims: try bool(options(.reducer), 0, "keep_dims"))
    case B.reduceProd: return .reduceProd(keepDims: try bool(options(.reducer), 0, "keep_dims"))
    case B.div: return .div(activation: try activation(options(.div), 0))
    case B.sqrt: return .sqrt
    case B.cast:
      _ = try options(.cast)
      return .cast
    case B.pow:
      _ = try options(.pow)
      return .pow
    // issue 14: space-batch (block shape and paddings/crops are inputs; the tables are empty)
    case B.spaceToBatchND:
      _ = try options(.spaceToBatchND)
      return .spaceToBatchND
    case B.batchToSpaceND:
      _ = try options(.batchToSpaceND)
      return .batchToSpaceND
    default:
      preconditionFailure("builtin \(builtin) is in supportedBuiltins but not mapped")
    }
  }
}
