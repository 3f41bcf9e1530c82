import GraphIR
import Support

@testable import TFLiteImport

/// Small models built with the GraphIR API, serialized by ``TFLiteWriter``.
enum Fixtures {
  /// One int8 CONV_2D: x [1,5,5,3] ⊛ w [2,3,3,3] + b [2] → y [1,3,3,2], VALID, stride 1.
  /// Tensors: #0 'x', #1 'w', #2 'b', #3 'y'; buffers: 0 empty, 1 w, 2 b.
  static func conv(weightZeroPoint: Int64 = 0, outputShape: [Int] = [1, 3, 3, 2]) -> Model {
    var rng = SeededGenerator(seed: 7)
    let weights = (0..<54).map { _ in Int8(truncatingIfNeeded: Int(rng.next() % 255) - 127) }
    let x = Tensor(
      name: "x", shape: [1, 5, 5, 3], elementType: .int8, quantization: QuantizationParameters(scale: 0.5, zeroPoint: -1))
    let w = Tensor(
      name: "w", shape: [2, 3, 3, 3], elementType: .int8,
      quantization: QuantizationParameters(scales: [0.01, 0.02], zeroPoints: [weightZeroPoint, 0], quantizedDimension: 0),
      data: TensorData(shape: [2, 3, 3, 3], storage: .int8(weights)))
    let b = Tensor(
      name: "b", shape: [2], elementType: .int32,
      quantization: QuantizationParameters(scales: [0.005, 0.01], zeroPoints: [0, 0]),
      data: TensorData(shape: [2], storage: .int32([100, -200])))
    let y = Tensor(
      name: "y", shape: outputShape, elementType: .int8, quantization: QuantizationParameters(scale: 1, zeroPoint: 2))
    let op = Operator(
      kind: .conv2D(Conv2DOptions(padding: .valid, activation: .relu)),
      inputs: [TensorID(0), TensorID(1), TensorID(2)], outputs: [TensorID(3)])
    let graph = Graph(
      name: "main", tensors: [x, w, b, y], operators: [op], inputs: [TensorID(0)], outputs: [TensorID(3)])
    return Model(source: "conv.tflite", graphs: [graph])
  }

  /// ``conv()`` with int4 weights (`packedBits` 4, every int4 value present) and an extra
  /// constant `t2` of ternary codes with `packedBits` 2 (written to the metadata entry).
  static func packedConv() -> Model {
    var m = conv()
    let int4 = (0..<54).map { Int8($0 * 7 % 16 - 8) }
    m.graphs[0].tensors[1].data = TensorData(shape: [2, 3, 3, 3], storage: .int8(int4))
    m.graphs[0].tensors[1].packedBits = 4
    var t2 = Tensor(
      name: "t2", shape: [5], elementType: .int8, quantization: QuantizationParameters(scale: 0.5, zeroPoint: 0),
      data: TensorData(shape: [5], storage: .int8([1, 0, -1, -1, 1])))
    t2.packedBits = 2
    m.graphs[0].tensors.append(t2)
    return m
  }

  /// ``packedConv()`` with the filter made fine-grained ternary: `sign × level` with one level
  /// per group of 4 along each output channel's 27 elements (metadata version 2).
  static func groupedConv() -> Model {
    var m = packedConv()
    let values = (0..<54).map { Int8($0 * 7 % 16 - 8) }
    let grouped = values.indices.map { i in Int8(Int(values[i].signum()) * (1 + ((i % 27) / 4 * 17 + i / 27 * 5) % 127)) }
    m.graphs[0].tensors[1].data = TensorData(shape: [2, 3, 3, 3], storage: .int8(grouped))
    m.graphs[0].tensors[1].packedBits = 2
    m.graphs[0].tensors[1].packedGroupSize = 4
    return m
  }

  /// Every ``OpKind`` once, with non-default options where there are options, in a graph that
  /// is not meant to pass the verifier (read it back with `verify: false`), plus a second
  /// subgraph for CALL_ONCE. Covers every tensor type, absent optional inputs, variables.
  static func allKinds() -> Model {
    let kinds: [OpKind] = [
      .conv2D(Conv2DOptions(padding: .valid, strideH: 2, strideW: 3, dilationH: 4, dilationW: 5, activation: .relu6)),
      .depthwiseConv2D(
        DepthwiseConv2DOptions(
          padding: .same, strideH: 2, strideW: 1, dilationH: 3, dilationW: 2, depthMultiplier: 4, activation: .reluN1To1)),
      .fullyConnected(FullyConnectedOptions(activation: .relu, keepNumDims: true)),
      .batchMatMul(adjointX: true, adjointY: false), .batchMatMul(adjointX: false, adjointY: true),
      .add(activation: .relu), .sub(activation: .relu6), .mul(activation: .tanh), .neg, .squaredDifference, .rsqrt,
      .averagePool2D(Pool2DOptions(padding: .valid, strideH: 2, strideW: 3, filterH: 4, filterW: 5, activation: .relu)),
      .maxPool2D(Pool2DOptions(padding: .same, strideH: 1, strideW: 2, filterH: 3, filterW: 2, activation: .signBit)),
      .mean(keepDims: true), .mean(keepDims: false), .reshape(newShape: [1, -1, 4]), .reshape(newShape: nil),
      .reshape(newShape: []), .squeeze(dims: [1, 2]), .squeeze(dims: []), .shape(outputType: .int64),
      .pack(count: 3, axis: -1), .splitV(count: 2),
      .stridedSlice(
        StridedSliceOptions(beginMask: 1, endMask: 2, ellipsisMask: 4, newAxisMask: 8, shrinkAxisMask: 16, offset: true)),
      .transpose, .concatenation(axis: -2, activation: .relu), .pad, .padV2, .softmax(beta: 0.75), .logistic,
      .hardSwish, .relu, .relu6, .reluN1To1, .quantize, .dequantize, .gelu(approximate: false), .gelu(approximate: true),
      .tanh, .gather(axis: -1, batchDims: 1), .less, .select, .selectV2, .exp, .reduceMax(keepDims: true),
      .reduceMax(keepDims: false), .expandDims, .slice, .split(count: 3), .broadcastTo,
      .resizeBilinear(alignCorners: true, halfPixelCenters: false), .resizeBilinear(alignCorners: false, halfPixelCenters: true),
      .resizeNearestNeighbor(alignCorners: false, halfPixelCenters: true),
      .resizeNearestNeighbor(alignCorners: true, halfPixelCenters: false),
      .transposeConv(TransposeConvOptions(padding: .valid, strideH: 3, strideW: 2, activation: .relu6)),
      .spaceToDepth(blockSize: 3), .depthToSpace(blockSize: 4), .maximum, .minimum, .leakyRelu(alpha: -0.375), .prelu,
      .argMax(outputType: .int32), .argMax(outputType: .int64), .l2Normalization(activation: .relu), .unpack(count: 5, axis: -2),
      .tile,
      .varHandle(container: "c", sharedName: "state/ü"), .varHandle(container: "", sharedName: ""), .readVariable,
      .assignVariable, .callOnce(initSubgraph: 1),
      // issue 14: detection, transformer ops
      .detectionPostProcess(
        DetectionPostProcessOptions(
          maxDetections: 7, maxClassesPerDetection: 2, detectionsPerClass: 5, useRegularNMS: true, scoreThreshold: 0.25,
          iouThreshold: 0.5, numClasses: 3, yScale: 10, xScale: 10, hScale: 5, wScale: 5)),
      .sum(keepDims: true), .reduceProd(keepDims: false), .div(activation: .relu), .sqrt, .pow, .cast,
    ]
    let types = ElementType.allCases
    var tensors: [Tensor] = []
    for (i, type) in types.enumerated() {
      let shape = [1, i + 1]
      var data: TensorData?
      if type != .resource { data = TensorData(zeros: type, shape: shape) }
      if type == .float32 { data = TensorData(shape: shape, storage: .float32((0...i).map { Float($0) * 1.5 - 0.25 })) }
      tensors.append(Tensor(name: "const_\(type)", shape: shape, elementType: type, data: data))
    }
    tensors.append(Tensor(name: "act", shape: [2, 3], elementType: .int8, quantization: QuantizationParameters(scale: 0.25, zeroPoint: 7)))
    tensors.append(Tensor(name: "state", shape: [4], elementType: .int16, isVariable: true))
    tensors.append(Tensor(name: "scalar", shape: [], elementType: .float32, data: TensorData(shape: [], storage: .float32([3]))))
    let n = tensors.count
    var ops = kinds.enumerated().map { (k, kind) in
      Operator(kind: kind, inputs: [TensorID(k % n), nil, TensorID((k + 3) % n)], outputs: [TensorID((k + 1) % n)])
    }
    // issue 14: space-batch. The importer checks these operands (constant int32 block shape and
    // paddings/crops for a rank-4 input), so they get their own tensors after the others.
    tensors += [
      Tensor(name: "s2b_x", shape: [1, 2, 2, 1], elementType: .int8, quantization: QuantizationParameters(scale: 0.5, zeroPoint: -3)),
      Tensor(name: "s2b_block", shape: [2], elementType: .int32, data: TensorData(shape: [2], storage: .int32([2, 1]))),
      Tensor(name: "s2b_pad", shape: [2, 2], elementType: .int32, data: TensorData(shape: [2, 2], storage: .int32([1, 1, 0, 0]))),
      Tensor(name: "s2b_y", shape: [2, 2, 2, 1], elementType: .int8, quantization: QuantizationParameters(scale: 0.5, zeroPoint: -3)),
    ]
    ops.append(Operator(kind: .spaceToBatchND, inputs: [TensorID(n), TensorID(n + 1), TensorID(n + 2)], outputs: [TensorID(n + 3)]))
    ops.append(Operator(kind: .batchToSpaceND, inputs: [TensorID(n + 3), TensorID(n + 1), TensorID(n + 2)], outputs: [TensorID(n)]))
    let main = Graph(name: "main", tensors: tensors, operators: ops, inputs: [TensorID(n - 3)], outputs: [TensorID(n - 2)])
    let initGraph = Graph(
      name: "init", tensors: [Tensor(name: "h", shape: [], elementType: .resource)],
      operators: [Operator(kind: .varHandle(container: "", sharedName: "state"), inputs: [], outputs: [TensorID(0)])],
      inputs: [], outputs: [])
    return Model(source: "all-kinds.tflite", graphs: [main, initGraph])
  }
}

/// Finds a field of a serialized model and overwrites it in place: "mutate one field".
///
/// Paths follow the schema: `patch(["subgraphs", 0, "tensors", 1], field: TFLiteSchema.Tensor.buffer, ...)`.
struct FieldPatcher {
  var bytes: [UInt8]

  enum Step: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
    case field(Int)
    case element(Int)
    init(stringLiteral value: String) {
      switch value {
      case "operator_codes": self = .field(TFLiteSchema.Model.operatorCodes)
      case "subgraphs": self = .field(TFLiteSchema.Model.subgraphs)
      case "buffers": self = .field(TFLiteSchema.Model.buffers)
      case "tensors": self = .field(TFLiteSchema.SubGraph.tensors)
      case "operators": self = .field(TFLiteSchema.SubGraph.operators)
      case "quantization": self = .field(TFLiteSchema.Tensor.quantization)
      case "builtin_options": self = .field(TFLiteSchema.Operator.builtinOptions)
      default: preconditionFailure("unknown path step \(value)")
      }
    }
    init(integerLiteral value: Int) { self = .element(value) }
  }

  /// The table at the end of `path`, starting at the root `Model` table.
  func table(_ path: [Step]) throws -> FlatBufferTable {
    let r = FlatBufferReader(bytes, source: "patch")
    var table = try r.rootTable("T")
    var vector: FlatBufferVector?
    for step in path {
      switch step {
      case .field(let id):
        guard let at = try r.field(table, id, size: 4, "f") else { preconditionFailure("field \(id) absent") }
        let target = at + Int(r.load(UInt32.self, at: at))
        // A vector of tables or a single table: decide by the next step.
        vector = try? r.vector(at: target, elementSize: 4, "v")
        if let t = try? r.table(at: target, "T") { table = t }
      case .element(let i):
        guard let v = vector else { preconditionFailure("not a vector") }
        table = try r.table(in: v, at: i, "T")
        vector = nil
      }
    }
    return table
  }

  /// The absolute position of scalar field `id` of the table at `path`.
  func position(_ path: [Step], field id: Int, size: Int) throws -> Int {
    let r = FlatBufferReader(bytes, source: "patch")
    guard let at = try r.field(table(path), id, size: size, "f") else { preconditionFailure("field \(id) absent") }
    return at
  }

  /// Overwrites scalar field `id` of the table at `path` with `value`.
  mutating func set<T: FixedWidthInteger>(_ path: [Step], field id: Int, to value: T) throws {
    let at = try position(path, field: id, size: MemoryLayout<T>.size)
    withUnsafeBytes(of: value.littleEndian) { raw in
      for (k, b) in raw.enumerated() { bytes[at + k] = b }
    }
  }

  /// Overwrites the first element of the int32 vector field `id` of the table at `path`.
  mutating func setVectorElement(_ path: [Step], field id: Int, element: Int, to value: Int32) throws {
    let r = FlatBufferReader(bytes, source: "patch")
    guard let v = try r.vector(table(path), id, "f", elementSize: 4) else { preconditionFailure("vector absent") }
    let at = v.start + 4 * element
    withUnsafeBytes(of: value.littleEndian) { raw in
      for (k, b) in raw.enumerated() { bytes[at + k] = b }
    }
  }
}
