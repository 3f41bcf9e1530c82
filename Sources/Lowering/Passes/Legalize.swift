import Architecture
import GraphIR
import Support
import TileISA

/// Pass 1, legalize: decides where every operator runs and why, and describes its work.
///
/// Rules (`docs/compiler.md` §"Legality"), on the int8 datapath:
/// - CONV_2D (one group), DEPTHWISE_CONV_2D, FULLY_CONNECTED with int8 activations, constant
///   int8 weights and an int32 bias, and int8 × int8 → int8 BATCH_MATMUL → the systolic array.
/// - TRANSPOSE_CONV with the same operands → the systolic array as stride-phase convolutions
///   (`Legalize+TransposeConv.swift`).
/// - ADD, SUB, MUL (int8, any broadcast), MAX/AVERAGE_POOL_2D, RELU/RELU6/RELU_N1_TO_1,
///   QUANTIZE int8 → int8, CONCATENATION of equally quantized inputs and PAD/PADV2 → the vector
///   unit (or DMA through the unified buffer).
/// - SOFTMAX int8 → int8 with TFLite's fixed output quantization (1/256, −128), per-tensor input
///   quantization and β × input scale ≥ 2^−26, whose rows fit the unified buffer → `vsoftmax` on
///   the vector unit.
/// - MEAN int8 → int8 over axes [1, 2] of a rank-4 tensor (GlobalAveragePooling2D) or any other
///   run of adjacent axes (issue 14: LayerNorm's last axis, a row per lane), per-tensor
///   quantization, whose folded multiplier's shift is in −31...30 and one channel of whose
///   reduced elements fits the unified buffer → `vmean` on the vector unit; REDUCE_MAX int8 with
///   equal input and output quantization the same way → `vreduce fn=max` (`Legalize+Reduce.swift`).
/// - SQUARED_DIFFERENCE, MAXIMUM, MINIMUM int8 with any broadcast (issue 14) → `vbinary`.
/// - PRELU int8 with alpha broadcast against the input (issue 14) → `vbinary fn=prelu`;
///   L2_NORMALIZATION int8 with TFLite's output quantization (1/128, 0), whose rows fit the
///   unified buffer → `vl2norm` over rows, tiled like SOFTMAX.
/// - DIV int8 with any broadcast whose multiplier shift is in −25...23 (issue 14: vops) →
///   `vbinary fn=div`; LESS int8 → bool and LOGICAL_AND bool → bool → `vbinary fn=less|and`;
///   SELECT/SELECT_V2 of int8 by a bool condition → `vbinary fn=select`, the condition a third
///   operand (`Legalize+Elementwise.swift`).
/// - ARG_MAX int8 → int32/int64 over a constant axis whose column and index fit the unified
///   buffer (issue 14: argmax) → `vreduce fn=argmax32|argmax64` with MEAN's layouts
///   (`Legalize+ArgMax.swift`).
/// - REDUCE_PROD int8 → int8 over adjacent constant axes whose rescaling shift is in −31…7 and
///   whose column fits the unified buffer (issue 14: prod) → `vreduce fn=prod` with MEAN's
///   layouts, each column a chain in input order (`Legalize+Prod.swift`).
/// - int8 → int8 per-tensor unary ops listed in `isLookupOperator` (LOGISTIC, TANH, HARD_SWISH,
///   GELU, EXP, NEG, RSQRT, LEAKY_RELU, SQRT) → `vlut` on the vector unit, through a 256-entry table the golden
///   model's kernel fills (`LookupTable`).
/// - RESIZE_BILINEAR int8 with input and output quantized alike → `vresize` on the vector unit
///   over blocks of output rows (`Legalize+Resize.swift`).
/// - UNIDIRECTIONAL_SEQUENCE_LSTM int8 (TFLite's 8×8→16 kernel, no CIFG, peephole, projection
///   or layer norm) whose buffers fit (issue 14) → gate matmuls on the array with int16
///   `activate` modes, the cell step as `vlstm` on the vector unit, its state in DRAM between
///   invocations (`Legalize+LSTM.swift`, `Schedule+LSTM.swift`).
/// - RESHAPE and SQUEEZE → aliases of their input's DRAM bytes.
/// - int8 → DEQUANTIZE → float elementwise unary ops → QUANTIZE → int8 chains (the converter's
///   float islands) → one `vlut` whose table runs the whole chain (`FloatIslands`, the step after
///   the per-operator rules).
/// - Everything else, and anything with float32, int16 or uint8 tensors, or parameters TFLite
///   itself rejects → the host, with a one-line reason.
///
/// On a float32 datapath (the timing baseline) float32 and int8 tensors both count as 4-byte
/// elements and map the same way.
struct Legalize: LoweringPass {
  let name = PassName.legalize

  func run(_ s: inout LoweringState) throws(LoweringError) {
    let state = s
    s.foldedOperators = try StaticShapes.resolve(&s.graph) { state.location($0) }
    s.layers = s.graph.operators.indices.map { legalize($0, s) }
    // issue 14: resize
    FloatIslands.fold(&s)
    for layer in s.layers where layer.placement == .alias {
      if case .alias = layer.work {
        let op = s.graph.operators[layer.index]
        if let input = op.input(0), let output = op.outputs.first { s.storageRoot[output.index] = s.root(input).index }
      }
    }
  }

  private func legalize(_ i: Int, _ s: LoweringState) -> Layer {
    let op = s.graph.operators[i]
    let outputName = op.outputs.first.map { s.graph[$0].name } ?? op.kind.tfliteName
    var layer = Layer(
      index: i, opName: op.kind.tfliteName, name: outputName, placement: .host, reason: "", work: .alias)
    let (placement, reason, work) = OperatorLegalizer(state: s, index: i, op: op).decide()
    layer.placement = placement
    layer.reason = reason
    layer.work = work
    return layer
  }
}

/// The legality rules for one operator (the `vlut` and DMA-copy rules are in
/// `Legalize+Movement.swift`, MEAN and REDUCE_MAX in `Legalize+Reduce.swift`).
struct OperatorLegalizer {
  let state: LoweringState
  let index: Int
  let op: Operator

  var graph: Graph { state.graph }
  var name: String { op.kind.tfliteName }
  var floatDatapath: Bool { state.arch.datapath == .float32 }

  func input(_ p: Int) -> Tensor? { op.input(p).map { graph[$0] } }
  var output: Tensor? { op.outputs.first.map { graph[$0] } }

  typealias Decision = (Placement, String, Work)

  func host(_ reason: String) -> Decision {
    (.host, "\(name): \(reason); runs on the host", .host(HostWork(inputs: op.inputs, outputs: op.outputs)))
  }

  func decide() -> Decision {
    let tensors = op.inputs.compactMap { $0 }.map { graph[$0] } + op.outputs.map { graph[$0] }
    if state.foldedOperators.contains(index) {
      return (.folded, "\(name): shape arithmetic folded at compile time; no work", .alias)
    }
    switch op.kind {
    case .reshape, .squeeze, .expandDims:
      if let x = input(0), let out = output, x.elementType == out.elementType, x.elementCount == out.elementCount {
        return (.alias, "\(name): same bytes, new shape; no work", .alias)
      }
      return host("shape change that is not a byte-for-byte alias")
    case .varHandle, .readVariable, .assignVariable:
      return host("resource variables keep their state on the host")
    case .callOnce:
      return host("runs its initializer subgraph once, on the host")
    // issue 14: recurrent
    case .unidirectionalSequenceLSTM(let o):
      return lstm(o)
    case .while:
      return host("control flow: runs its condition and body subgraphs on the host until the condition is false")
    // issue 14: detection
    case .detectionPostProcess:
      return host("post-processing (box decoding, non-maximum suppression) in float32, as TFLite runs it on the CPU")
    default:
      break
    }
    if tensors.contains(where: { $0.elementCount == 0 }) { return host("an empty tensor") }
    if let reason = typeProblem(tensors) { return host(reason) }
    switch op.kind {
    case .conv2D(let o): return convolution(o)
    case .depthwiseConv2D(let o): return depthwise(o)
    case .fullyConnected(let o): return fullyConnected(o)
    case .batchMatMul(let adjX, let adjY): return batchMatMul(adjX, adjY)
    case .add(let a): return binary(.add, a)
    case .sub(let a): return binary(.sub, a)
    case .mul(let a): return binary(.mul, a)
    case .maxPool2D(let o): return pool(o, isMax: true)
    case .averagePool2D(let o): return pool(o, isMax: false)
    case .relu: return relu(lower: 0, upper: nil)
    case .relu6: return relu(lower: 0, upper: 6)
    case .reluN1To1: return relu(lower: -1, upper: 1)
    case .quantize: return quantize()
    case .concatenation(let axis, let a): return concatenation(axis, a)
    case .pad, .padV2: return pad()
    case .softmax(let beta): return softmax(beta)
    case .mean: return mean()
    // issue 14: vector binary/reduce
    case .squaredDifference: return binary(.squaredDifference, .none)
    case .maximum: return binary(.maximum, .none)
    case .minimum: return binary(.minimum, .none)
    case .reduceMax: return mean(maximum: true)
    // issue 14: PRELU / L2_NORMALIZATION
    case .prelu: return binary(.prelu, .none)
    case .l2Normalization(let activation): return l2Normalization(activation)
    // issue 14: vops
    case .div(let activation): return binary(.divide, activation)
    case .less, .logicalAnd: return boolBinary()
    case .select: return select(broadcasting: false)
    case .selectV2: return select(broadcasting: true)
    case let kind where Self.isLookupOperator(kind): return lookup()
    case let kind where Self.dataInputs(kind) != nil: return dataMovement(Self.dataInputs(kind) ?? [])
    case .transposeConv(let o):
      return transposeConvolution(o)
    // issue 14: resize
    case .resizeBilinear(let alignCorners, let halfPixelCenters):
      return resizeBilinear(alignCorners: alignCorners, halfPixelCenters: halfPixelCenters)
    // issue 14: sum
    case .sum: return mean(sum: true)
    // issue 14: argmax
    case .argMax(let type): return argMax(type)
    // issue 14: prod
    case .reduceProd: return reduceProduct()
    default:
      return host("no vector-unit implementation")
    }
  }

  // issue 14: lstm — UNIDIRECTIONAL_SEQUENCE_LSTM: `Legalize+LSTM.swift`.

  /// Why these tensors cannot be on the accelerator's datapath, or nil.
  func typeProblem(_ tensors: [Tensor]) -> String? {
    for t in tensors {
      switch t.elementType {
      case .int8: continue
      case .int32 where isBiasOrIndex(t): continue
      case .int64 where isBiasOrIndex(t): continue
      // issue 14: vops
      case .bool where !floatDatapath && Self.takesBool(op.kind): continue
      // issue 14: argmax — ARG_MAX's int32/int64 index output (the int8 datapath's only
      // non-constant wide integers; `vreduce fn=argmax32|argmax64` writes them)
      case .int32 where !floatDatapath && Self.isArgMax(op.kind), .int64 where !floatDatapath && Self.isArgMax(op.kind):
        continue
      case .float32 where floatDatapath: continue
      case .float32: return "float32 tensors; the int8 datapath has no float arithmetic"
      case .int16: return "int16 activations (16×8 quantization); the array multiplies int8 × int8 only"
      case .uint8: return "uint8 tensors; the datapath is int8"
      default: return "\(t.elementType) tensors are not on the accelerator's datapath"
      }
    }
    return nil
  }

  /// int32/int64 constants are biases, paddings and axes, not activations.
  func isBiasOrIndex(_ t: Tensor) -> Bool { t.isConstant }

  /// Per-tensor int8 parameters, or placeholders on the float32 datapath for float tensors.
  func affine(_ t: Tensor) -> (scale: Float, zeroPoint: Int8)? {
    if let a = t.int8Affine { return a }
    return floatDatapath && t.elementType == .float32 ? (1, 0) : nil
  }

  func clamp(_ activation: FusedActivation, _ out: (scale: Float, zeroPoint: Int8), _ outTensor: Tensor)
    -> ClosedRange<Int8>?
  {
    if floatDatapath && outTensor.elementType == .float32 { return -128...127 }
    return TFLiteQuantization.activationClamp(activation, scale: out.scale, zeroPoint: out.zeroPoint)
  }

  /// A constant weight tensor's elements (int8, or float32 on the float32 datapath).
  func weightBytes(_ t: Tensor) -> ConstantWeights? {
    guard let data = t.data else { return nil }
    switch data.storage {
    case .int8(let v): return .int8(v)
    case .float32(let v) where floatDatapath: return .float32(v)
    default: return nil
    }
  }

  /// How the weight tensor is stored on chip: packed 4 or 2 bits per weight when the tensor
  /// says so (`Tensor.packedBits`) and the datapath is int8, one byte per weight otherwise;
  /// fine-grained ternary tensors (`Tensor.packedGroupSize`) as ternary codes plus level tables
  /// (the tiling pass falls back to int8 when the groups do not line up with its tiles).
  func packWeights(_ work: inout MatrixWork, _ t: Tensor) {
    guard !floatDatapath, t.elementType == .int8, let bits = t.packedBits else { return }
    if bits == 2, let n = t.packedGroupSize, n >= 1 {
      work.weightPacking = .ternaryGrouped
      work.weightGroupSize = n
    } else {
      work.weightPacking = WeightPacking(bits: bits) ?? .int8
    }
  }

  /// A constant int32 bias of `channels` values, zeros when absent; nil when unusable.
  func bias(_ position: Int, channels: Int) -> [Int32]? {
    guard let id = op.input(position) else { return [Int32](repeating: 0, count: channels) }
    let b = graph[id]
    guard let data = b.data, data.count == channels else { return nil }
    switch data.storage {
    case .int32(let v): return v
    case .float32 where floatDatapath: return [Int32](repeating: 0, count: channels)
    default: return nil
    }
  }

  func filterScales(_ w: Tensor, channels: Int) -> [Float]? {
    if floatDatapath && w.elementType == .float32 { return [1] }
    guard let q = w.quantization, !q.scales.isEmpty, q.scales.count == 1 || q.scales.count == channels,
      q.scales.allSatisfy({ $0 > 0 && $0.isFinite })
    else { return nil }
    return q.scales
  }

  // MARK: Matrix operators

  func convolution(_ o: Conv2DOptions) -> Decision {
    guard let xID = op.input(0), let x = input(0), let w = input(1), let out = output, x.shape.count == 4,
      w.shape.count == 4
    else {
      return host("operands are not rank 4")
    }
    guard w.isConstant, let weights = weightBytes(w) else { return host("the filter is not a constant int8 tensor") }
    let groups = w.shape[3] > 0 ? x.shape[3] / w.shape[3] : 0
    guard groups == 1 else { return host("grouped convolution (\(groups) groups) is not mapped") }
    let n = w.shape[0]
    guard let b = bias(2, channels: n) else { return host("the bias is not a constant int32 vector") }
    guard let xq = affine(x), let oq = affine(out), let scales = filterScales(w, channels: n) else {
      return host("missing or per-channel activation quantization")
    }
    guard let clamp = clamp(o.activation, oq, out) else {
      return host("fused \(o.activation.rawValue) is not a clamp")
    }
    let h = o.padding.geometry(input: x.shape[1], filter: w.shape[1], stride: o.strideH, dilation: o.dilationH)
    let v = o.padding.geometry(input: x.shape[2], filter: w.shape[2], stride: o.strideW, dilation: o.dilationW)
    let batches = x.shape[0]
    var work = MatrixWork(
      kind: .conv, input: xID, output: op.outputs[0],
      inputOffsets: (0..<batches).map { $0 * x.shape[1] * x.shape[2] * x.shape[3] },
      outputOffsets: (0..<batches).map { $0 * h.output * v.output * n },
      inH: x.shape[1], inW: x.shape[2], inC: x.shape[3], inputTransposed: false, outH: h.output, outW: v.output,
      outC: n, kernelH: w.shape[1], kernelW: w.shape[2], strideH: o.strideH, strideW: o.strideW,
      dilationH: o.dilationH, dilationW: o.dilationW, padTop: h.padBefore, padLeft: v.padBefore, depthMultiplier: 1,
      inputZeroPoint: xq.zeroPoint, weights: .constant(weights),
      quantization: MatrixQuantization(
        inputScale: xq.scale, filterScales: scales, outputScale: oq.scale, outputZeroPoint: oq.zeroPoint, bias: b,
        clamp: clamp),
      epilogue: nil, macs: graph.macs(ofOperator: index), tiling: nil)
    packWeights(&work, w)
    return matrix(
      work,
      "\(w.shape[1])×\(w.shape[2]) kernel, \(x.shape[3]) → \(n) channels through the im2col address generator"
        + work.packingNote)
  }

  func depthwise(_ o: DepthwiseConv2DOptions) -> Decision {
    guard let xID = op.input(0), let x = input(0), let w = input(1), let out = output, x.shape.count == 4,
      w.shape.count == 4, w.shape[0] == 1
    else {
      return host("operands are not rank 4")
    }
    guard w.isConstant, let weights = weightBytes(w) else { return host("the filter is not a constant int8 tensor") }
    let c = x.shape[3]
    let n = w.shape[3]
    guard c > 0, n % c == 0 else { return host("\(n) filter channels are not a multiple of \(c) input channels") }
    let m = n / c
    guard m <= state.arch.array.cols else {
      return host("depth multiplier \(m) exceeds the array's \(state.arch.array.cols) columns")
    }
    guard let b = bias(2, channels: n) else { return host("the bias is not a constant int32 vector") }
    guard let xq = affine(x), let oq = affine(out), let scales = filterScales(w, channels: n) else {
      return host("missing or per-channel activation quantization")
    }
    guard let clamp = clamp(o.activation, oq, out) else {
      return host("fused \(o.activation.rawValue) is not a clamp")
    }
    let h = o.padding.geometry(input: x.shape[1], filter: w.shape[1], stride: o.strideH, dilation: o.dilationH)
    let v = o.padding.geometry(input: x.shape[2], filter: w.shape[2], stride: o.strideW, dilation: o.dilationW)
    let batches = x.shape[0]
    var work = MatrixWork(
      kind: .depthwise, input: xID, output: op.outputs[0],
      inputOffsets: (0..<batches).map { $0 * x.shape[1] * x.shape[2] * c },
      outputOffsets: (0..<batches).map { $0 * h.output * v.output * n },
      inH: x.shape[1], inW: x.shape[2], inC: c, inputTransposed: false, outH: h.output, outW: v.output, outC: n,
      kernelH: w.shape[1], kernelW: w.shape[2], strideH: o.strideH, strideW: o.strideW, dilationH: o.dilationH,
      dilationW: o.dilationW, padTop: h.padBefore, padLeft: v.padBefore, depthMultiplier: m,
      inputZeroPoint: xq.zeroPoint, weights: .constant(weights),
      quantization: MatrixQuantization(
        inputScale: xq.scale, filterScales: scales, outputScale: oq.scale, outputZeroPoint: oq.zeroPoint, bias: b,
        clamp: clamp),
      epilogue: nil, macs: graph.macs(ofOperator: index), tiling: nil)
    packWeights(&work, w)
    return matrix(
      work, "block-diagonal groups (one input channel per \(m) output column\(m == 1 ? "" : "s"))" + work.packingNote)
  }

  func fullyConnected(_ o: FullyConnectedOptions) -> Decision {
    guard let xID = op.input(0), let x = input(0), let w = input(1), let out = output, w.shape.count == 2,
      w.shape[1] > 0
    else {
      return host("weights are not rank 2")
    }
    guard w.isConstant, let weights = weightBytes(w) else { return host("the weights are not a constant int8 tensor") }
    let n = w.shape[0]
    let depth = w.shape[1]
    guard x.elementCount % depth == 0 else { return host("input size is not a multiple of the depth") }
    let rows = x.elementCount / depth
    guard let b = bias(2, channels: n) else { return host("the bias is not a constant int32 vector") }
    guard let xq = affine(x), let oq = affine(out), let scales = filterScales(w, channels: n) else {
      return host("missing or per-channel activation quantization")
    }
    guard let clamp = clamp(o.activation, oq, out) else {
      return host("fused \(o.activation.rawValue) is not a clamp")
    }
    var work = MatrixWork(
      kind: .fullyConnected, input: xID, output: op.outputs[0], inputOffsets: [0], outputOffsets: [0],
      inH: 1, inW: rows, inC: depth, inputTransposed: false, outH: 1, outW: rows, outC: n, kernelH: 1, kernelW: 1,
      strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, padTop: 0, padLeft: 0, depthMultiplier: 1,
      inputZeroPoint: xq.zeroPoint, weights: .constant(weights),
      quantization: MatrixQuantization(
        inputScale: xq.scale, filterScales: scales, outputScale: oq.scale, outputZeroPoint: oq.zeroPoint, bias: b,
        clamp: clamp),
      epilogue: nil, macs: graph.macs(ofOperator: index), tiling: nil)
    packWeights(&work, w)
    return matrix(work, "\(rows) × \(depth) by \(depth) × \(n) GEMM (1 × \(rows) image, 1 × 1 kernel)" + work.packingNote)
  }

  func batchMatMul(_ adjX: Bool, _ adjY: Bool) -> Decision {
    guard let xID = op.input(0), let yID = op.input(1), let x = input(0), let y = input(1), let out = output,
      x.shape.count >= 2, y.shape.count >= 2
    else {
      return host("operands are not at least rank 2")
    }
    guard out.elementType == x.elementType else {
      return host("\(x.elementType) × \(y.elementType) → \(out.elementType) has no requantizing epilogue")
    }
    guard let xq = affine(x), let yq = affine(y), let oq = affine(out) else { return host("missing quantization") }
    guard yq.zeroPoint != -128 else {
      return host("right-operand zero point −128: its correction tile would need +128, which int8 weights cannot hold")
    }
    let xr = x.shape.count
    let yr = y.shape.count
    let (rows, k) = adjX ? (x.shape[xr - 1], x.shape[xr - 2]) : (x.shape[xr - 2], x.shape[xr - 1])
    let (ky, n) = adjY ? (y.shape[yr - 1], y.shape[yr - 2]) : (y.shape[yr - 2], y.shape[yr - 1])
    guard k == ky else { return host("contraction sizes differ") }
    let xb = Array(x.shape.dropLast(2))
    let yb = Array(y.shape.dropLast(2))
    guard let batchShape = Broadcast.shape(xb, yb) else { return host("batch dimensions do not broadcast") }
    let lhs = broadcastOffsets(xb, batchShape, matrix: rows * k)
    let rhs = broadcastOffsets(yb, batchShape, matrix: k * n)
    let count = lhs.count
    let work = MatrixWork(
      kind: .batchMatMul, input: xID, output: op.outputs[0], inputOffsets: lhs,
      outputOffsets: (0..<count).map { $0 * rows * n }, inH: 1, inW: rows, inC: k, inputTransposed: adjX, outH: 1,
      outW: rows, outC: n, kernelH: 1, kernelW: 1, strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, padTop: 0,
      padLeft: 0, depthMultiplier: 1, inputZeroPoint: xq.zeroPoint,
      weights: .activation(tensor: yID, offsets: rhs, adjoint: adjY, zeroPoint: yq.zeroPoint),
      quantization: MatrixQuantization(
        inputScale: xq.scale, filterScales: [yq.scale], outputScale: oq.scale, outputZeroPoint: oq.zeroPoint,
        bias: [Int32](repeating: 0, count: n), clamp: -128...127),
      epilogue: nil, macs: graph.macs(ofOperator: index), tiling: nil)
    let correction = yq.zeroPoint == 0 ? "" : "; the right operand's zero point by a constant correction tile"
    return matrix(
      work,
      "\(count) × (\(rows) × \(k) by \(k) × \(n)); the right operand is DMAed into weight tiles\(adjY ? " column by column (adj_y)" : "")\(correction)"
    )
  }

  /// Element offsets of each batch's matrix, NumPy-broadcasting `dims` to `shape`.
  func broadcastOffsets(_ dims: [Int], _ shape: [Int], matrix: Int) -> [Int] {
    let rank = shape.count
    let padded = [Int](repeating: 1, count: rank - dims.count) + dims
    var strides = [Int](repeating: 0, count: rank)
    var step = matrix
    for d in stride(from: rank - 1, through: 0, by: -1) {
      strides[d] = padded[d] == 1 ? 0 : step
      step *= padded[d]
    }
    let total = shape.reduce(1, *)
    return (0..<total).map { flat in
      var rest = flat
      var offset = 0
      for d in stride(from: rank - 1, through: 0, by: -1) {
        offset += (rest % shape[d]) * strides[d]
        rest /= shape[d]
      }
      return offset
    }
  }

  func matrix(_ work: MatrixWork, _ why: String) -> Decision {
    (.systolicArray, "\(name): \(why)", .matrix(work))
  }

  // MARK: Vector-unit operators

  func binary(_ kind: BinaryWork.Op, _ activation: FusedActivation) -> Decision {
    guard let aID = op.input(0), let bID = op.input(1), let a = input(0), let b = input(1), let out = output else {
      return host("missing operands")
    }
    guard let shape = Broadcast.shape(a.shape, b.shape), shape == out.shape else {
      return host("shapes do not broadcast to the output")
    }
    guard let aq = affine(a), let bq = affine(b), let oq = affine(out) else { return host("missing quantization") }
    guard let clamp = clamp(activation, oq, out) else { return host("fused \(activation.rawValue) is not a clamp") }
    let parameters: BinaryParameters
    switch kind {
    case .add, .sub:
      guard let p = TFLiteQuantization.add(a: aq, b: bq, output: oq, clamp: clamp) else {
        return host("rescaling multiplier ≥ 1 (TFLite rejects these scales)")
      }
      parameters = .add(p)
    case .mul:
      guard let p = TFLiteQuantization.mul(a: aq, b: bq, output: oq, clamp: clamp) else {
        return host("rescaling shift out of range")
      }
      parameters = .mul(p)
    // issue 14: vector binary/reduce
    case .squaredDifference:
      guard let p = TFLiteQuantization.squaredDifference(a: aq, b: bq, output: oq, clamp: clamp) else {
        return host("rescaling multiplier ≥ 1 (TFLite rejects these scales)")
      }
      parameters = .function(.squaredDifference(p))
    case .maximum:
      parameters = .function(.maximum(clamp: clamp))
    case .minimum:
      parameters = .function(.minimum(clamp: clamp))
    // issue 14: PRELU / L2_NORMALIZATION
    case .prelu:
      guard a.shape == out.shape else {
        return host("alpha \(b.shape) broadcasts the input \(a.shape) to \(shape); TFLite keeps the input's shape")
      }
      guard let p = TFLiteQuantization.prelu(input: aq, alpha: bq, output: oq) else {
        return host("rescaling shift out of range")
      }
      parameters = .function(.prelu(p))
    // issue 14: vops
    case .divide:
      guard let p = TFLiteQuantization.divide(a: aq, b: bq, output: oq, clamp: clamp) else {
        return host("rescaling shift out of \(FixedPoint.divideShifts) (some int8 pair's shift would leave 0...63)")
      }
      parameters = .function(.divide(p))
    case .less, .logicalAnd, .select:
      return boolBinary()
    }
    let (dims, strides) = coalesce(output: shape, operands: [a.shape, b.shape])
    let work = BinaryWork(
      op: kind, a: aID, b: bID, output: op.outputs[0], dims: dims, aStrides: strides[0],
      bStrides: strides[1], parameters: parameters, tiling: nil)
    let broadcast = a.shape != b.shape ? " with a zero-stride (broadcast) operand" : ""
    if case .function(let f) = parameters {
      // issue 14: vector binary/reduce
      let note =
        switch kind {
        case .squaredDifference: ""
        // issue 14: PRELU / L2_NORMALIZATION
        case .prelu: " (alpha as operand b\(b.data == nil ? ", loaded from the arena" : ", a constant loaded from DRAM"))"
        // issue 14: vops
        case .divide: " (TFLite's int8 DIV arithmetic; a divisor at its zero point is an execution error, as in TFLite)"
        default: " on the stored int8 values (TFLite ignores the quantization)"
        }
      return (
        .vectorUnit, "\(name): vbinary fn=\(f.name.rawValue) on the vector unit\(broadcast)\(note)", .binary(work)
      )
    }
    return (.vectorUnit, "\(name): v\(kind.rawValue.lowercased()) on the vector unit\(broadcast)", .binary(work))
  }

  // issue 14: PRELU / L2_NORMALIZATION
  /// L2_NORMALIZATION over the last axis → `vl2norm` over rows, tiled like SOFTMAX.
  func l2Normalization(_ activation: FusedActivation) -> Decision {
    guard activation == .none else {
      return host("fused \(activation.rawValue) (TFLite's kernel accepts NONE only)")
    }
    guard let xID = op.input(0), let x = input(0), let out = output, let depth = x.shape.last, depth > 0,
      x.shape == out.shape
    else {
      return host("input and output shapes differ or the last dimension is empty")
    }
    let zeroPoint: Int8
    if floatDatapath && x.elementType == .float32 {
      zeroPoint = 0  // timing baseline: the float program is never run functionally
    } else {
      guard let xq = affine(x), let oq = affine(out) else { return host("missing or per-channel quantization") }
      guard oq.scale == 1.0 / 128, oq.zeroPoint == 0 else {
        return host("output quantization (\(oq.scale), \(oq.zeroPoint)) is not TFLite's int8 L2 output (1/128, 0)")
      }
      zeroPoint = xq.zeroPoint
    }
    let eb = state.elementBytes
    let capacity = Int(state.arch.ub.capacity.count)
    guard 2 * depth * eb <= capacity else {
      return host(
        "a row of \(depth) elements needs \(formatBytes(2 * depth * eb)) of unified buffer (input and output); \(state.arch.name) has \(formatBytes(capacity))"
      )
    }
    let rows = x.elementCount / depth
    var work = SoftmaxWork(
      input: xID, output: op.outputs[0], rows: rows, depth: depth,
      parameters: SoftmaxParameters(inputMultiplier: 0, inputShift: 0, diffMin: 0), tiling: nil)
    work.l2NormZeroPoint = zeroPoint
    return (
      .vectorUnit, "\(name): vl2norm on the vector unit (\(rows) row\(rows == 1 ? "" : "s") of \(depth), two passes per row)",
      .softmax(work)
    )
  }

  func pool(_ o: Pool2DOptions, isMax: Bool) -> Decision {
    guard let xID = op.input(0), let x = input(0), let out = output, x.shape.count == 4 else {
      return host("input is not rank 4")
    }
    guard let oq = affine(out) else { return host("missing quantization") }
    guard let clamp = clamp(o.activation, oq, out) else { return host("fused \(o.activation.rawValue) is not a clamp") }
    let h = o.padding.geometry(input: x.shape[1], filter: o.filterH, stride: o.strideH)
    let v = o.padding.geometry(input: x.shape[2], filter: o.filterW, stride: o.strideW)
    if !isMax {
      // TFLite fails on a window with no in-image tap; so does the vector unit.
      let empty =
        (0..<h.output).contains { axisIsEmpty($0, o.strideH, h.padBefore, o.filterH, x.shape[1]) }
        || (0..<v.output).contains { axisIsEmpty($0, o.strideW, v.padBefore, o.filterW, x.shape[2]) }
      if empty { return host("a pooling window covers no input element") }
    }
    let work = PoolWork(
      isMax: isMax, input: xID, output: op.outputs[0], batches: x.shape[0], inH: x.shape[1],
      inW: x.shape[2], channels: x.shape[3], outH: h.output, outW: v.output, kernelH: o.filterH, kernelW: o.filterW,
      strideH: o.strideH, strideW: o.strideW, padTop: h.padBefore, padLeft: v.padBefore, clamp: clamp, tiling: nil)
    return (.vectorUnit, "\(name): \(isMax ? "vmaxpool" : "vavgpool") on the vector unit", .pool(work))
  }

  func axisIsEmpty(_ o: Int, _ stride: Int, _ pad: Int, _ kernel: Int, _ size: Int) -> Bool {
    let origin = o * stride - pad
    return !(0..<kernel).contains { origin + $0 >= 0 && origin + $0 < size }
  }

  func relu(lower: Float, upper: Float?) -> Decision {
    guard let xID = op.input(0), let x = input(0), let out = output, let xq = affine(x), let oq = affine(out) else {
      return host("missing quantization")
    }
    let parameters: RequantizeParameters
    if floatDatapath && x.elementType == .float32 {
      parameters = RequantizeParameters(inputZeroPoint: 0, outputZeroPoint: 0, multiplier: 1 << 30, shift: 1)
    } else {
      guard let p = TFLiteQuantization.relu(input: xq, output: oq, lower: lower, upper: upper) else {
        return host("rescaling out of range")
      }
      parameters = p
    }
    let work = UnaryWork(
      input: xID, output: op.outputs[0], count: x.elementCount, parameters: parameters, tiling: nil)
    return (.vectorUnit, "\(name): vrequant with a clamp on the vector unit", .unary(work))
  }

  func quantize() -> Decision {
    guard let xID = op.input(0), let x = input(0), let out = output, let xq = affine(x), let oq = affine(out),
      let p = TFLiteQuantization.requantize(input: xq, output: oq)
    else {
      return host("rescaling out of range")
    }
    let work = UnaryWork(input: xID, output: op.outputs[0], count: x.elementCount, parameters: p, tiling: nil)
    return (.vectorUnit, "\(name): int8 → int8 requantization (vrequant) on the vector unit", .unary(work))
  }

  func softmax(_ beta: Float) -> Decision {
    guard let xID = op.input(0), let x = input(0), let out = output, let depth = x.shape.last, depth > 0,
      x.shape == out.shape
    else {
      return host("input and output shapes differ or the last dimension is empty")
    }
    let rows = x.elementCount / depth
    let parameters: SoftmaxParameters
    if floatDatapath && x.elementType == .float32 {
      // Timing baseline: a placeholder in range (the float program is never run functionally).
      parameters = SoftmaxParameters(inputMultiplier: 1 << 30, inputShift: 1, diffMin: -(1 << 30))
    } else {
      guard let xq = affine(x), let oq = affine(out) else { return host("missing or per-channel quantization") }
      guard oq.scale == 1.0 / 256, oq.zeroPoint == -128 else {
        return host(
          "output quantization (\(oq.scale), \(oq.zeroPoint)) is not TFLite's int8 softmax output (1/256, −128)")
      }
      guard let p = TFLiteQuantization.softmax(beta: beta, inputScale: xq.scale) else {
        return host("β × input scale = \(Double(beta) * Double(xq.scale)) is below 2^−26 (TFLite rejects it)")
      }
      parameters = p
    }
    let eb = state.elementBytes
    let capacity = Int(state.arch.ub.capacity.count)
    guard 2 * depth * eb <= capacity else {
      return host(
        "a row of \(depth) elements needs \(formatBytes(2 * depth * eb)) of unified buffer (input and output); \(state.arch.name) has \(formatBytes(capacity))"
      )
    }
    let work = SoftmaxWork(
      input: xID, output: op.outputs[0], rows: rows, depth: depth, parameters: parameters, tiling: nil)
    return (
      .vectorUnit, "\(name): vsoftmax on the vector unit (\(rows) row\(rows == 1 ? "" : "s") of \(depth))", .softmax(work)
    )
  }

  func concatenation(_ axis: Int, _ activation: FusedActivation) -> Decision {
    guard let out = output, let oq = affine(out) else { return host("missing quantization") }
    guard activation == .none else { return host("fused \(activation.rawValue) after a concatenation") }
    let inputs = op.inputs.compactMap { $0 }
    guard inputs.count == op.inputs.count, !inputs.isEmpty else { return host("missing operands") }
    let rank = out.shape.count
    let ax = axis < 0 ? axis + rank : axis
    guard ax >= 0, ax < rank else { return host("axis out of range") }
    for id in inputs {
      guard let q = affine(graph[id]), q.scale == oq.scale, q.zeroPoint == oq.zeroPoint else {
        return host("inputs quantized differently from the output need float rescaling")
      }
    }
    let outer = out.shape[..<ax].reduce(1, *)
    let inner = out.shape[(ax + 1)...].reduce(1, *)
    let destinationStride = out.shape[ax] * inner
    var offset = 0
    var copies: [CopyWork.Copy2D] = []
    for id in inputs {
      let t = graph[id]
      guard t.shape.count == rank else { return host("input ranks differ") }
      let run = t.shape[ax] * inner
      if run > 0 && outer > 0 {
        copies.append(
          CopyWork.Copy2D(
            source: id, sourceOffset: 0, sourceStride: run, destinationOffset: offset,
            destinationStride: destinationStride,
            rows: outer, run: run))
      }
      offset += run
    }
    let work = CopyWork(output: op.outputs[0], fill: nil, copies: copies)
    return (.vectorUnit, "\(name): strided DMA through the unified buffer (no arithmetic)", .copy(work))
  }

  func pad() -> Decision {
    guard let xID = op.input(0), let x = input(0), let out = output, let p = input(1), let data = p.data,
      let oq = affine(out)
    else {
      return host("paddings are not constant")
    }
    let rank = x.shape.count
    let values = data.integerValues
    guard values.count == 2 * rank, values.allSatisfy({ $0 >= 0 && $0 < 1 << 31 }) else {
      return host("paddings are malformed")
    }
    var fill = oq.zeroPoint
    if let c = input(2) {
      guard let cd = c.data, cd.count == 1, let cq = affine(c), cq.scale == oq.scale, cq.zeroPoint == oq.zeroPoint
      else {
        return host("the constant is quantized differently from the output")
      }
      switch cd.storage {
      case .int8(let v): fill = v[0]
      case .float32 where floatDatapath: fill = 0
      default: return host("the constant is not int8")
      }
    }
    let before = (0..<rank).map { Int(values[2 * $0]) }
    let expected = (0..<rank).map { x.shape[$0] + before[$0] + Int(values[2 * $0 + 1]) }
    guard expected == out.shape else { return host("output shape does not match the paddings") }
    let copies = boxCopies(source: xID, sourceShape: x.shape, destinationShape: out.shape, offset: before)
    let work = CopyWork(output: op.outputs[0], fill: fill, copies: copies)
    return (.vectorUnit, "\(name): fill then strided DMA through the unified buffer (no arithmetic)", .copy(work))
  }
}

/// Output dimensions with size-1 dimensions dropped and contiguous runs merged, and each
/// operand's element stride per remaining dimension (0 where it broadcasts).
func coalesce(output shape: [Int], operands: [[Int]]) -> (dims: [Int], strides: [[Int]]) {
  let rank = shape.count
  var strides: [[Int]] = operands.map { dims in
    let padded = [Int](repeating: 1, count: rank - dims.count) + dims
    var s = [Int](repeating: 0, count: rank)
    var step = 1
    for d in stride(from: rank - 1, through: 0, by: -1) {
      s[d] = padded[d] == 1 ? 0 : step
      step *= padded[d]
    }
    return s
  }
  var outStrides = [Int](repeating: 0, count: rank)
  var acc = 1
  for d in stride(from: rank - 1, through: 0, by: -1) {
    outStrides[d] = acc
    acc *= shape[d]
  }
  var dims: [Int] = []
  var kept: [[Int]] = Array(repeating: [], count: operands.count)
  var keptOut: [Int] = []
  for d in 0..<rank where shape[d] != 1 {
    dims.append(shape[d])
    keptOut.append(outStrides[d])
    for i in operands.indices { kept[i].append(strides[i][d]) }
  }
  if dims.isEmpty { return ([1], operands.map { _ in [0] }) }
  // Merge dimension d into d − 1 when every operand steps contiguously across the boundary.
  var d = dims.count - 1
  while d > 0 {
    let mergeable =
      keptOut[d - 1] == keptOut[d] * dims[d] && kept.allSatisfy { $0[d - 1] == $0[d] * dims[d] }
    if mergeable {
      dims[d - 1] *= dims[d]
      keptOut[d - 1] = keptOut[d]
      for i in kept.indices { kept[i][d - 1] = kept[i][d] }
      dims.remove(at: d)
      keptOut.remove(at: d)
      for i in kept.indices { kept[i].remove(at: d) }
    }
    d -= 1
  }
  strides = kept
  return (dims, strides)
}

/// 2-D copies (in elements) that place a dense `sourceShape` tensor inside a dense
/// `destinationShape` tensor at `offset`.
func boxCopies(source: TensorID, sourceShape: [Int], destinationShape: [Int], offset: [Int]) -> [CopyWork.Copy2D] {
  var s = sourceShape
  var d = destinationShape
  var o = offset
  if s.contains(0) { return [] }
  // Merge dimension i into i − 1 when the box spans it completely.
  var i = s.count - 1
  while i > 0 {
    if s[i] == d[i] && o[i] == 0 {
      s[i - 1] *= s[i]
      o[i - 1] *= d[i]
      d[i - 1] *= d[i]
      s.remove(at: i)
      d.remove(at: i)
      o.remove(at: i)
    }
    i -= 1
  }
  if s.isEmpty {
    return [
      CopyWork.Copy2D(
        source: source, sourceOffset: 0, sourceStride: 1, destinationOffset: 0, destinationStride: 1, rows: 1, run: 1)
    ]
  }
  let rank = s.count
  func dense(_ shape: [Int]) -> [Int] {
    var strides = [Int](repeating: 1, count: shape.count)
    var acc = 1
    for k in stride(from: shape.count - 1, through: 0, by: -1) {
      strides[k] = acc
      acc *= shape[k]
    }
    return strides
  }
  let ss = dense(s)
  let ds = dense(d)
  let run = s[rank - 1]
  let rows = rank >= 2 ? s[rank - 2] : 1
  let rowSource = rank >= 2 ? ss[rank - 2] : run
  let rowDestination = rank >= 2 ? ds[rank - 2] : run
  let leading = rank >= 2 ? Array(s[0..<(rank - 2)]) : []
  let baseOffset = (0..<rank).reduce(0) { $0 + o[$1] * ds[$1] }
  let total = leading.reduce(1, *)
  var copies: [CopyWork.Copy2D] = []
  copies.reserveCapacity(total)
  for flat in 0..<total {
    var rest = flat
    var sourceOffset = 0
    var destinationOffset = baseOffset
    for k in stride(from: leading.count - 1, through: 0, by: -1) {
      let index = rest % leading[k]
      rest /= leading[k]
      sourceOffset += index * ss[k]
      destinationOffset += index * ds[k]
    }
    copies.append(
      CopyWork.Copy2D(
        source: source, sourceOffset: sourceOffset, sourceStride: rowSource, destinationOffset: destinationOffset,
        destinationStride: rowDestination, rows: rows, run: run))
  }
  return copies
}
