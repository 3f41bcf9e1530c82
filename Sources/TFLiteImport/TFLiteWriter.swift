import GraphIR
import Support

/// Writes a GraphIR ``GraphIR/Model`` as a TFLite flatbuffer (schema version 3, identifier `TFL3`)
/// that TensorFlow Lite's interpreter loads.
///
/// The file holds every subgraph with its tensors (shape, type, quantization, `is_variable`),
/// one buffer per constant tensor (buffer 0 is the empty sentinel), one operator code per
/// distinct builtin op (version 1), and each operator with its builtin options table. Optional
/// inputs that are `nil` are written as −1.
///
/// Packed tensors (`Tensor.packedBits`): 4-bit ones are written as TFLite's INT4 type (two
/// values per byte, the first in the low nibble), which TensorFlow Lite 2.21's reference
/// CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED kernels accept as filters; 2-bit ones keep
/// their INT8 type and values and are listed in the `systole_packed_bits` metadata entry
/// (``PackedBitsMetadata``), which TFLite ignores and ``TFLiteImporter`` reads back.
///
/// The model is written as is, without running the verifier, so tests can write deliberately
/// inconsistent models. Only values that cannot be represented in the format (a dimension that
/// does not fit in `int32`, a file over the format's size limit, a `packedBits` annotation the
/// tensor's values do not fit) are errors.
///
/// When the constant data exceeds ``TFLiteWriter/externalDataThreshold`` it is placed after the
/// FlatBuffer and referenced by the `Buffer.offset`/`size` fields, the layout TFLite uses for
/// models over 2 GB.
public enum TFLiteWriter {
  /// Total constant bytes above which buffers are stored after the FlatBuffer (1 GiB).
  public static let externalDataThreshold = 1 << 30

  /// Serializes `model` into the bytes of a `.tflite` file.
  public static func serialize(_ model: Model) throws(TFLiteImportError) -> [UInt8] {
    try serialize(model, externalData: nil)
  }

  /// Serializes `model`; `externalData` forces (`true`) or forbids (`false`) storing constant
  /// data after the FlatBuffer, `nil` decides by ``externalDataThreshold``.
  static func serialize(_ model: Model, externalData: Bool?) throws(TFLiteImportError) -> [UInt8] {
    var writer = ModelWriter(model: model)
    return try writer.write(externalData: externalData)
  }
}

/// The state of one serialization: operator codes and buffers collected while walking the graphs.
struct ModelWriter {
  typealias Schema = TFLiteSchema

  let model: Model
  var operatorCodes: [Int32] = []
  var codeIndex: [Int32: Int] = [:]
  /// Constant data, one entry per buffer after the empty buffer 0.
  var buffers: [[UInt8]] = []

  init(model: Model) { self.model = model }

  func fail(_ location: TFLiteImportError.Location, _ message: String) -> TFLiteImportError {
    TFLiteImportError(.unsupported, source: model.source, at: location, message)
  }

  mutating func write(externalData: Bool?) throws(TFLiteImportError) -> [UInt8] {
    var subgraphs: [FlatBufferTableValue] = []
    for (g, graph) in model.graphs.enumerated() {
      subgraphs.append(try subgraph(graph, index: g))
    }
    let dataBytes = buffers.reduce(0) { $0 + $1.count }
    let external = externalData ?? (dataBytes > TFLiteWriter.externalDataThreshold)

    // Widths TFLite's types cannot carry go into the metadata, whose buffer follows the data.
    var metadata: [FlatBufferTableValue] = []
    let packed = PackedBitsMetadata.entries(of: model)
    if !packed.isEmpty {
      buffers.append(PackedBitsMetadata.encode(packed))
      metadata.append(
        FlatBufferTableValue([
          (Schema.Metadata.name, .string(PackedBitsMetadata.name)),
          (Schema.Metadata.buffer, .uint32(UInt32(buffers.count))),
        ]))
    }
    var bufferTables = [FlatBufferTableValue()]
    for (k, data) in buffers.enumerated() {
      if external {
        // Placeholders, patched once the FlatBuffer's length is known. An offset of 1 marks
        // "stored outside" before patching; TFLite treats offsets ≤ 1 as "no data".
        bufferTables.append(
          FlatBufferTableValue([
            (Schema.Buffer.offset, .uint64(1, patchKey: k)), (Schema.Buffer.size, .uint64(UInt64(data.count), patchKey: nil)),
          ]))
      } else {
        bufferTables.append(FlatBufferTableValue([(Schema.Buffer.data, .bytes(data, alignment: 16))]))
      }
    }
    let codes = operatorCodes.map { code in
      var table = FlatBufferTableValue([
        (Schema.OperatorCode.deprecatedBuiltinCode, .int8(Int8(min(code, Schema.placeholderForGreaterOpCodes)))),
        (Schema.OperatorCode.version, .int32(1)),
        (Schema.OperatorCode.builtinCode, .int32(code)),
      ])
      // issue 14: detection (the one custom operator Systole writes)
      if code == Schema.Builtin.custom { table.set(Schema.OperatorCode.customCode, .string(Schema.Custom.detectionPostProcess)) }
      return table
    }
    var root = FlatBufferTableValue([
      (Schema.Model.version, .uint32(Schema.version)),
      (Schema.Model.operatorCodes, .tables(codes)),
      (Schema.Model.subgraphs, .tables(subgraphs)),
      (Schema.Model.description, .string("Systole TFLiteWriter")),
      (Schema.Model.buffers, .tables(bufferTables)),
    ])
    if !metadata.isEmpty { root.set(Schema.Model.metadata, .tables(metadata)) }
    var builder = FlatBufferBuilder.build(root: root, identifier: Schema.fileIdentifier)
    guard builder.bytes.count < Int(Int32.max) else {
      throw fail(.file, "the FlatBuffer part is \(builder.bytes.count) bytes; the format allows at most 2 GiB")
    }
    if external {
      for (k, data) in buffers.enumerated() {
        let start = builder.appendRaw(data, alignment: 16)
        builder.patch(k, UInt64(start))
      }
    }
    return builder.bytes
  }

  // MARK: Subgraphs and tensors

  mutating func subgraph(_ graph: Graph, index g: Int) throws(TFLiteImportError) -> FlatBufferTableValue {
    var tensors: [FlatBufferTableValue] = []
    tensors.reserveCapacity(graph.tensors.count)
    for (i, t) in graph.tensors.enumerated() {
      tensors.append(try tensor(t, graph: g, index: i))
    }
    var ops: [FlatBufferTableValue] = []
    for (i, op) in graph.operators.enumerated() {
      ops.append(try operatorTable(op, graph: g, index: i))
    }
    let place = TFLiteImportError.Location.file
    var t = FlatBufferTableValue()
    t.set(Schema.SubGraph.tensors, .tables(tensors))
    t.set(Schema.SubGraph.inputs, .int32s(try int32s(graph.inputs.map(\.index), place, "graph input")))
    t.set(Schema.SubGraph.outputs, .int32s(try int32s(graph.outputs.map(\.index), place, "graph output")))
    t.set(Schema.SubGraph.operators, .tables(ops))
    t.set(Schema.SubGraph.name, .string(graph.name))
    return t
  }

  func int32s(_ values: [Int], _ location: TFLiteImportError.Location, _ what: String) throws(TFLiteImportError)
    -> [Int32]
  {
    var out: [Int32] = []
    out.reserveCapacity(values.count)
    for v in values {
      guard let x = Int32(exactly: v) else { throw fail(location, "\(what) \(v) does not fit in a TFLite int32") }
      out.append(x)
    }
    return out
  }

  mutating func tensor(_ tensor: Tensor, graph g: Int, index i: Int) throws(TFLiteImportError) -> FlatBufferTableValue {
    let location = TFLiteImportError.Location.tensor(graph: g, index: i, name: tensor.name)
    var t = FlatBufferTableValue()
    t.set(Schema.Tensor.shape, .int32s(try int32s(tensor.shape, location, "dimension")))
    var typeCode = Schema.tensorTypeCode(tensor.elementType)
    if let bits = tensor.packedBits, let problem = GraphVerifier.packingProblem(tensor, bits: bits) {
      throw fail(location, "packedBits \(bits): \(problem)")
    }
    if let data = tensor.data {
      if tensor.packedBits == 4, case .int8(let values) = data.storage {
        typeCode = Schema.int4TypeCode
        buffers.append(PackedIntegers.pack(values, bits: 4))
      } else {
        buffers.append(data.rawLittleEndianBytes)
      }
      t.set(Schema.Tensor.buffer, .uint32(UInt32(buffers.count)))
    }
    t.set(Schema.Tensor.type, .int8(typeCode))
    t.set(Schema.Tensor.name, .string(tensor.name))
    if let q = tensor.quantization {
      guard let dimension = Int32(exactly: q.quantizedDimension) else {
        throw fail(location, "quantized dimension \(q.quantizedDimension) does not fit in a TFLite int32")
      }
      t.set(
        Schema.Tensor.quantization,
        .table(
          FlatBufferTableValue([
            (Schema.Quantization.scale, .float32s(q.scales)),
            (Schema.Quantization.zeroPoint, .int64s(q.zeroPoints)),
            (Schema.Quantization.quantizedDimension, .int32(dimension)),
          ])))
    }
    if tensor.isVariable { t.set(Schema.Tensor.isVariable, .bool(true)) }
    if let signature = tensor.shapeSignature ?? tensor.declaredSignature {
      t.set(Schema.Tensor.shapeSignature, .int32s(try int32s(signature, location, "shape signature dimension")))
    }
    return t
  }

  // MARK: Operators

  mutating func operatorTable(_ op: Operator, graph g: Int, index i: Int) throws(TFLiteImportError)
    -> FlatBufferTableValue
  {
    let location = TFLiteImportError.Location.operator(graph: g, index: i, name: op.kind.tfliteName, output: nil)
    let (code, options) = try Self.encode(op.kind) { (what, value) throws(TFLiteImportError) in
      guard let x = Int32(exactly: value) else { throw fail(location, "\(what) \(value) does not fit in a TFLite int32") }
      return x
    }
    let index: Int
    if let known = codeIndex[code] {
      index = known
    } else {
      index = operatorCodes.count
      operatorCodes.append(code)
      codeIndex[code] = index
    }
    var t = FlatBufferTableValue()
    t.set(Schema.Operator.opcodeIndex, .uint32(UInt32(index)))
    t.set(Schema.Operator.inputs, .int32s(try int32s(op.inputs.map { $0?.index ?? -1 }, location, "input tensor")))
    t.set(Schema.Operator.outputs, .int32s(try int32s(op.outputs.map(\.index), location, "output tensor")))
    if var (tag, table) = options {
      // int16 ADD/SUB: TFLite's `pot_scale_int16` defaults to true, which takes a
      // power-of-two-scale path whenever all three scales are powers of two. Systole computes
      // the general path (as the converter's 16×8 files ask), so it says so explicitly.
      switch op.kind {
      case .add, .sub: if Self.hasInt16Output(op, model.graphs[g]) { table.set(1, .bool(false)) }
      default: break
      }
      t.set(Schema.Operator.builtinOptionsType, .uint8(tag.rawValue))
      t.set(Schema.Operator.builtinOptions, .table(table))
    }
    // issue 14: recurrent
    if case .unidirectionalSequenceLSTM(let o) = op.kind, !o.intermediates.isEmpty {
      t.set(Schema.Operator.intermediates, .int32s(try int32s(o.intermediates.map(\.index), location, "intermediate tensor")))
    }
    // issue 14: detection
    if case .detectionPostProcess(let o) = op.kind {
      t.set(Schema.Operator.customOptions, .bytes(FlexBufferBuilder.detectionOptions(o), alignment: 1))
    }
    return t
  }

  static func hasInt16Output(_ op: Operator, _ graph: Graph) -> Bool {
    guard let o = op.outputs.first, o.index >= 0, o.index < graph.tensors.count else { return false }
    return graph.tensors[o.index].elementType == .int16
  }

  /// The builtin code and options table of `kind`; `int32` converts an option value or throws.
  static func encode(
    _ kind: OpKind, int32: (String, Int) throws(TFLiteImportError) -> Int32
  ) throws(TFLiteImportError) -> (Int32, (Schema.Options, FlatBufferTableValue)?) {
    typealias B = Schema.Builtin
    func act(_ a: FusedActivation) -> FlatBufferField { .int8(Schema.activationCode(a)) }
    func pad(_ p: Padding) -> FlatBufferField { .int8(p == .same ? 0 : 1) }
    func empty(_ tag: Schema.Options) -> (Schema.Options, FlatBufferTableValue) { (tag, FlatBufferTableValue()) }
    switch kind {
    case .conv2D(let o):
      return (
        B.conv2D,
        (
          .conv2D,
          FlatBufferTableValue([
            (0, pad(o.padding)), (1, .int32(try int32("stride_w", o.strideW))),
            (2, .int32(try int32("stride_h", o.strideH))), (3, act(o.activation)),
            (4, .int32(try int32("dilation_w_factor", o.dilationW))),
            (5, .int32(try int32("dilation_h_factor", o.dilationH))),
          ])
        )
      )
    case .depthwiseConv2D(let o):
      return (
        B.depthwiseConv2D,
        (
          .depthwiseConv2D,
          FlatBufferTableValue([
            (0, pad(o.padding)), (1, .int32(try int32("stride_w", o.strideW))),
            (2, .int32(try int32("stride_h", o.strideH))),
            (3, .int32(try int32("depth_multiplier", o.depthMultiplier))), (4, act(o.activation)),
            (5, .int32(try int32("dilation_w_factor", o.dilationW))),
            (6, .int32(try int32("dilation_h_factor", o.dilationH))),
          ])
        )
      )
    case .fullyConnected(let o):
      return (
        B.fullyConnected,
        (.fullyConnected, FlatBufferTableValue([(0, act(o.activation)), (1, .int8(0)), (2, .bool(o.keepNumDims))]))
      )
    case .batchMatMul(let adjX, let adjY):
      return (B.batchMatMul, (.batchMatMul, FlatBufferTableValue([(0, .bool(adjX)), (1, .bool(adjY))])))
    case .add(let a): return (B.add, (.add, FlatBufferTableValue([(0, act(a))])))
    case .sub(let a): return (B.sub, (.sub, FlatBufferTableValue([(0, act(a))])))
    case .mul(let a): return (B.mul, (.mul, FlatBufferTableValue([(0, act(a))])))
    case .neg: return (B.neg, empty(.neg))
    case .squaredDifference: return (B.squaredDifference, empty(.squaredDifference))
    case .rsqrt: return (B.rsqrt, nil)
    case .averagePool2D(let o), .maxPool2D(let o):
      let code = if case .averagePool2D = kind { B.averagePool2D } else { B.maxPool2D }
      return (
        code,
        (
          .pool2D,
          FlatBufferTableValue([
            (0, pad(o.padding)), (1, .int32(try int32("stride_w", o.strideW))),
            (2, .int32(try int32("stride_h", o.strideH))), (3, .int32(try int32("filter_width", o.filterW))),
            (4, .int32(try int32("filter_height", o.filterH))), (5, act(o.activation)),
          ])
        )
      )
    case .mean(let keepDims): return (B.mean, (.reducer, FlatBufferTableValue([(0, .bool(keepDims))])))
    case .reshape(let newShape):
      var t = FlatBufferTableValue()
      if let newShape {
        var dims: [Int32] = []
        for d in newShape { dims.append(try int32("new_shape dimension", d)) }
        t.set(0, .int32s(dims))
      }
      return (B.reshape, (.reshape, t))
    case .squeeze(let squeezeDims):
      var dims: [Int32] = []
      for d in squeezeDims { dims.append(try int32("squeeze dimension", d)) }
      return (B.squeeze, (.squeeze, FlatBufferTableValue([(0, .int32s(dims))])))
    case .shape(let type):
      return (B.shape, (.shape, FlatBufferTableValue([(0, .int8(Schema.tensorTypeCode(type)))])))
    case .pack(let count, let axis):
      return (
        B.pack,
        (.pack, FlatBufferTableValue([(0, .int32(try int32("values_count", count))), (1, .int32(try int32("axis", axis)))]))
      )
    case .splitV(let count):
      return (B.splitV, (.splitV, FlatBufferTableValue([(0, .int32(try int32("num_splits", count)))])))
    case .stridedSlice(let o):
      return (
        B.stridedSlice,
        (
          .stridedSlice,
          FlatBufferTableValue([
            (0, .int32(o.beginMask)), (1, .int32(o.endMask)), (2, .int32(o.ellipsisMask)),
            (3, .int32(o.newAxisMask)), (4, .int32(o.shrinkAxisMask)), (5, .bool(o.offset)),
          ])
        )
      )
    case .transpose: return (B.transpose, empty(.transpose))
    case .concatenation(let axis, let a):
      return (B.concatenation, (.concatenation, FlatBufferTableValue([(0, .int32(try int32("axis", axis))), (1, act(a))])))
    case .pad: return (B.pad, empty(.pad))
    case .padV2: return (B.padV2, empty(.padV2))
    case .softmax(let beta): return (B.softmax, (.softmax, FlatBufferTableValue([(0, .float32(beta))])))
    case .logistic: return (B.logistic, nil)
    case .hardSwish: return (B.hardSwish, empty(.hardSwish))
    case .gelu(let approximate): return (B.gelu, (.gelu, FlatBufferTableValue([(0, .bool(approximate))])))
    case .tanh: return (B.tanh, nil)
    case .gather(let axis, let batchDims):
      return (
        B.gather,
        (
          .gather,
          FlatBufferTableValue([(0, .int32(try int32("axis", axis))), (1, .int32(try int32("batch_dims", batchDims)))])
        )
      )
    case .less: return (B.less, empty(.less))
    case .select: return (B.select, empty(.select))
    case .selectV2: return (B.selectV2, empty(.selectV2))
    case .exp: return (B.exp, empty(.exp))
    case .reduceMax(let keepDims): return (B.reduceMax, (.reducer, FlatBufferTableValue([(0, .bool(keepDims))])))
    case .expandDims: return (B.expandDims, empty(.expandDims))
    case .slice: return (B.slice, empty(.slice))
    case .split(let count):
      return (B.split, (.split, FlatBufferTableValue([(0, .int32(try int32("num_splits", count)))])))
    case .broadcastTo: return (B.broadcastTo, empty(.broadcastTo))
    case .resizeBilinear(let alignCorners, let halfPixelCenters):
      return (
        B.resizeBilinear,
        (.resizeBilinear, FlatBufferTableValue([(2, .bool(alignCorners)), (3, .bool(halfPixelCenters))]))
      )
    case .resizeNearestNeighbor(let alignCorners, let halfPixelCenters):
      return (
        B.resizeNearestNeighbor,
        (.resizeNearestNeighbor, FlatBufferTableValue([(0, .bool(alignCorners)), (1, .bool(halfPixelCenters))]))
      )
    case .transposeConv(let o):
      return (
        B.transposeConv,
        (
          .transposeConv,
          FlatBufferTableValue([
            (0, pad(o.padding)), (1, .int32(try int32("stride_w", o.strideW))),
            (2, .int32(try int32("stride_h", o.strideH))), (3, act(o.activation)),
          ])
        )
      )
    case .spaceToDepth(let blockSize):
      return (B.spaceToDepth, (.spaceToDepth, FlatBufferTableValue([(0, .int32(try int32("block_size", blockSize)))])))
    case .depthToSpace(let blockSize):
      return (B.depthToSpace, (.depthToSpace, FlatBufferTableValue([(0, .int32(try int32("block_size", blockSize)))])))
    case .maximum: return (B.maximum, empty(.maximumMinimum))
    case .minimum: return (B.minimum, empty(.maximumMinimum))
    case .leakyRelu(let alpha): return (B.leakyRelu, (.leakyRelu, FlatBufferTableValue([(0, .float32(alpha))])))
    case .prelu: return (B.prelu, nil)
    case .argMax(let type):
      return (B.argMax, (.argMax, FlatBufferTableValue([(0, .int8(Schema.tensorTypeCode(type)))])))
    case .l2Normalization(let a): return (B.l2Normalization, (.l2Norm, FlatBufferTableValue([(0, act(a))])))
    case .unpack(let count, let axis):
      return (
        B.unpack,
        (.unpack, FlatBufferTableValue([(0, .int32(try int32("num", count))), (1, .int32(try int32("axis", axis)))]))
      )
    case .tile: return (B.tile, empty(.tile))
    case .relu: return (B.relu, nil)
    case .relu6: return (B.relu6, nil)
    case .reluN1To1: return (B.reluN1To1, nil)
    case .quantize: return (B.quantize, empty(.quantize))
    case .dequantize: return (B.dequantize, empty(.dequantize))
    case .varHandle(let container, let sharedName):
      return (B.varHandle, (.varHandle, FlatBufferTableValue([(0, .string(container)), (1, .string(sharedName))])))
    case .readVariable: return (B.readVariable, empty(.readVariable))
    case .assignVariable: return (B.assignVariable, empty(.assignVariable))
    case .callOnce(let sub):
      return (B.callOnce, (.callOnce, FlatBufferTableValue([(0, .int32(try int32("init_subgraph_index", sub)))])))
    // issue 14: recurrent
    case .unidirectionalSequenceLSTM(let o):
      return (
        B.unidirectionalSequenceLSTM,
        (
          .unidirectionalSequenceLSTM,
          FlatBufferTableValue([
            (0, act(o.activation)), (1, .float32(o.cellClip)), (2, .float32(o.projectionClip)),
            (3, .bool(o.timeMajor)), (4, .bool(o.asymmetricQuantizeInputs)), (5, .bool(o.diagonalRecurrentTensors)),
          ])
        )
      )
    case .while(let cond, let body):
      return (
        B.whileLoop,
        (
          .while,
          FlatBufferTableValue([
            (0, .int32(try int32("cond_subgraph_index", cond))), (1, .int32(try int32("body_subgraph_index", body))),
          ])
        )
      )
    case .logicalAnd: return (B.logicalAnd, empty(.logicalAnd))
    // issue 14: detection (custom code and FlexBuffer options: `operatorTable`, `write`)
    case .detectionPostProcess: return (B.custom, nil)
    // issue 14: transformer ops
    case .sum(let keepDims): return (B.sum, (.reducer, FlatBufferTableValue([(0, .bool(keepDims))])))
    case .reduceProd(let keepDims): return (B.reduceProd, (.reducer, FlatBufferTableValue([(0, .bool(keepDims))])))
    case .div(let a): return (B.div, (.div, FlatBufferTableValue([(0, act(a))])))
    case .sqrt: return (B.sqrt, nil)
    case .cast: return (B.cast, empty(.cast))
    case .pow: return (B.pow, empty(.pow))
    // issue 14: space-batch
    case .spaceToBatchND: return (B.spaceToBatchND, empty(.spaceToBatchND))
    case .batchToSpaceND: return (B.batchToSpaceND, empty(.batchToSpaceND))
    }
  }
}
