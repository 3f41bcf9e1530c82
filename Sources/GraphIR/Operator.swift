/// Padding scheme of a convolution or pool, as in TFLite.
public enum Padding: String, Sendable, Hashable {
  /// Output size `ceil(in / stride)`; the input is padded as evenly as possible, extra at the end.
  case same = "SAME"
  /// Output size `ceil((in − effectiveFilter + 1) / stride)`; no padding.
  case valid = "VALID"
}

/// An activation fused into the producing operator (TFLite's `ActivationFunctionType`).
public enum FusedActivation: String, Sendable, Hashable {
  case none = "NONE"
  case relu = "RELU"
  case reluN1To1 = "RELU_N1_TO_1"
  case relu6 = "RELU6"
  case tanh = "TANH"
  case signBit = "SIGN_BIT"
}

/// Options of CONV_2D.
public struct Conv2DOptions: Sendable, Hashable {
  public var padding: Padding
  public var strideH: Int, strideW: Int
  public var dilationH: Int, dilationW: Int
  public var activation: FusedActivation
  public init(
    padding: Padding, strideH: Int = 1, strideW: Int = 1, dilationH: Int = 1, dilationW: Int = 1,
    activation: FusedActivation = .none
  ) {
    self.padding = padding
    self.strideH = strideH
    self.strideW = strideW
    self.dilationH = dilationH
    self.dilationW = dilationW
    self.activation = activation
  }
}

/// Options of DEPTHWISE_CONV_2D.
public struct DepthwiseConv2DOptions: Sendable, Hashable {
  public var padding: Padding
  public var strideH: Int, strideW: Int
  public var dilationH: Int, dilationW: Int
  public var depthMultiplier: Int
  public var activation: FusedActivation
  public init(
    padding: Padding, strideH: Int = 1, strideW: Int = 1, dilationH: Int = 1, dilationW: Int = 1,
    depthMultiplier: Int = 1, activation: FusedActivation = .none
  ) {
    self.padding = padding
    self.strideH = strideH
    self.strideW = strideW
    self.dilationH = dilationH
    self.dilationW = dilationW
    self.depthMultiplier = depthMultiplier
    self.activation = activation
  }
}

/// Options of FULLY_CONNECTED.
public struct FullyConnectedOptions: Sendable, Hashable {
  public var activation: FusedActivation
  /// Keep the input's leading dimensions in the output instead of flattening to 2-D.
  public var keepNumDims: Bool
  public init(activation: FusedActivation = .none, keepNumDims: Bool = false) {
    self.activation = activation
    self.keepNumDims = keepNumDims
  }
}

/// Options of AVERAGE_POOL_2D and MAX_POOL_2D.
public struct Pool2DOptions: Sendable, Hashable {
  public var padding: Padding
  public var strideH: Int, strideW: Int
  public var filterH: Int, filterW: Int
  public var activation: FusedActivation
  public init(
    padding: Padding, strideH: Int, strideW: Int, filterH: Int, filterW: Int,
    activation: FusedActivation = .none
  ) {
    self.padding = padding
    self.strideH = strideH
    self.strideW = strideW
    self.filterH = filterH
    self.filterW = filterW
    self.activation = activation
  }
}

/// Options of STRIDED_SLICE (bit masks as in TFLite).
public struct StridedSliceOptions: Sendable, Hashable {
  public var beginMask: Int32, endMask: Int32, ellipsisMask: Int32
  public var newAxisMask: Int32, shrinkAxisMask: Int32
  /// When true, `end` is an offset from `begin`.
  public var offset: Bool
  public init(
    beginMask: Int32 = 0, endMask: Int32 = 0, ellipsisMask: Int32 = 0, newAxisMask: Int32 = 0,
    shrinkAxisMask: Int32 = 0, offset: Bool = false
  ) {
    self.beginMask = beginMask
    self.endMask = endMask
    self.ellipsisMask = ellipsisMask
    self.newAxisMask = newAxisMask
    self.shrinkAxisMask = shrinkAxisMask
    self.offset = offset
  }
}

// issue 14: recurrent
/// Options of UNIDIRECTIONAL_SEQUENCE_LSTM (`UnidirectionalSequenceLSTMOptions` in TFLite's
/// schema) plus the operator's intermediate tensors.
///
/// The integer (8×8→16) kernel reads the quantization of its fifth intermediate (the hidden
/// state's scale and zero point); the first four carry layer-norm scales in layer-norm LSTMs
/// and are placeholders otherwise. Float32 files have none.
public struct UnidirectionalSequenceLSTMOptions: Sendable, Hashable {
  /// Activation of the cell gate and of the cell state before the output gate (TANH in every
  /// converted file).
  public var activation: FusedActivation
  /// Clip of the cell state, 0 for none.
  public var cellClip: Float
  /// Clip of the projection output, 0 for none.
  public var projectionClip: Float
  /// Inputs are [time, batch, features] instead of [batch, time, features].
  public var timeMajor: Bool
  /// Hybrid kernels quantize inputs asymmetrically (not used by Systole's kernels).
  public var asymmetricQuantizeInputs: Bool
  /// Recurrent weights are diagonal (not supported by Systole's kernels).
  public var diagonalRecurrentTensors: Bool
  /// The operator's `intermediates` tensors, in file order.
  public var intermediates: [TensorID]
  public init(
    activation: FusedActivation = .tanh, cellClip: Float = 0, projectionClip: Float = 0, timeMajor: Bool = false,
    asymmetricQuantizeInputs: Bool = false, diagonalRecurrentTensors: Bool = false, intermediates: [TensorID] = []
  ) {
    self.activation = activation
    self.cellClip = cellClip
    self.projectionClip = projectionClip
    self.timeMajor = timeMajor
    self.asymmetricQuantizeInputs = asymmetricQuantizeInputs
    self.diagonalRecurrentTensors = diagonalRecurrentTensors
    self.intermediates = intermediates
  }
}

/// Options of TRANSPOSE_CONV (`TransposeConvOptions`).
public struct TransposeConvOptions: Sendable, Hashable {
  /// Padding of the convolution this op is the transpose of: its output size is the
  /// transposed convolution's input size.
  public var padding: Padding
  public var strideH: Int, strideW: Int
  public var activation: FusedActivation
  public init(padding: Padding, strideH: Int, strideW: Int, activation: FusedActivation = .none) {
    self.padding = padding
    self.strideH = strideH
    self.strideW = strideW
    self.activation = activation
  }
}

/// What an operator computes, with its typed options.
///
/// Case names are Swift names; ``tfliteName`` gives the TFLite builtin name for messages.
public enum OpKind: Sendable, Hashable {
  case conv2D(Conv2DOptions)
  case depthwiseConv2D(DepthwiseConv2DOptions)
  case fullyConnected(FullyConnectedOptions)
  case batchMatMul(adjointX: Bool, adjointY: Bool)
  case add(activation: FusedActivation)
  case sub(activation: FusedActivation)
  case mul(activation: FusedActivation)
  case neg
  case squaredDifference
  case rsqrt
  case averagePool2D(Pool2DOptions)
  case maxPool2D(Pool2DOptions)
  case mean(keepDims: Bool)
  /// `newShape` from the options table, when present (the shape input takes precedence).
  case reshape(newShape: [Int]?)
  case squeeze(dims: [Int])
  case shape(outputType: ElementType)
  case pack(count: Int, axis: Int)
  case splitV(count: Int)
  case stridedSlice(StridedSliceOptions)
  case transpose
  case concatenation(axis: Int, activation: FusedActivation)
  case pad
  case padV2
  case softmax(beta: Float)
  case logistic
  case hardSwish
  /// GELU; `approximate` selects the tanh form `0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))`
  /// instead of `0.5·x·(1 + erf(x/√2))`.
  case gelu(approximate: Bool)
  case tanh
  /// GATHER: slices of input 0 along `axis` picked by the integer indices of input 1; the first
  /// `batchDims` dimensions of both are batch dimensions.
  case gather(axis: Int, batchDims: Int)
  /// LESS: elementwise `x < y` with broadcasting, a bool tensor.
  case less
  /// SELECT: `condition ? x : y` elementwise (same shapes, or a rank-1 condition picking
  /// leading-dimension slices).
  case select
  /// SELECT_V2: SELECT with numpy broadcasting of all three operands.
  case selectV2
  case exp
  /// REDUCE_MAX over the axes of input 1.
  case reduceMax(keepDims: Bool)
  /// EXPAND_DIMS: a size-1 dimension inserted at the axis of input 1.
  case expandDims
  /// SLICE: the block at `begin` (input 1) of `size` (input 2; −1 = to the end).
  case slice
  /// SPLIT: input 1 cut into `count` equal parts along the axis of input 0.
  case split(count: Int)
  /// BROADCAST_TO: input 0 broadcast to the shape of input 1.
  case broadcastTo
  /// RESIZE_BILINEAR to the size (height, width) in input 1.
  case resizeBilinear(alignCorners: Bool, halfPixelCenters: Bool)
  /// RESIZE_NEAREST_NEIGHBOR to the size (height, width) in input 1.
  case resizeNearestNeighbor(alignCorners: Bool, halfPixelCenters: Bool)
  /// TRANSPOSE_CONV: inputs are the output shape, the filter (OHWI), the input, and an optional
  /// bias.
  case transposeConv(TransposeConvOptions)
  /// SPACE_TO_DEPTH: `blockSize`×`blockSize` spatial blocks moved into channels.
  case spaceToDepth(blockSize: Int)
  /// DEPTH_TO_SPACE: channels moved into `blockSize`×`blockSize` spatial blocks.
  case depthToSpace(blockSize: Int)
  /// MAXIMUM: elementwise maximum with broadcasting.
  case maximum
  /// MINIMUM: elementwise minimum with broadcasting.
  case minimum
  /// LEAKY_RELU: `x > 0 ? x : alpha · x`.
  case leakyRelu(alpha: Float)
  /// PRELU: `x ≥ 0 ? x : alpha · x` with the alpha tensor of input 1 (broadcast).
  case prelu
  /// ARG_MAX along the axis of input 1; the index tensor has `outputType` (int32 or int64).
  case argMax(outputType: ElementType)
  /// L2_NORMALIZATION over the last dimension (TFLite accepts no fused activation but NONE).
  case l2Normalization(activation: FusedActivation)
  /// UNPACK: `count` outputs, the slices of input 0 along `axis`.
  case unpack(count: Int, axis: Int)
  /// TILE: input 0 repeated along each dimension by the multiples of input 1.
  case tile
  case relu
  case relu6
  case reluN1To1
  case quantize
  case dequantize
  case varHandle(container: String, sharedName: String)
  case readVariable
  case assignVariable
  case callOnce(initSubgraph: Int)
  // issue 14: recurrent
  case unidirectionalSequenceLSTM(UnidirectionalSequenceLSTMOptions)
  /// Runs subgraph `bodySubgraph` on the loop values while subgraph `condSubgraph` returns true.
  case `while`(condSubgraph: Int, bodySubgraph: Int)
  case logicalAnd
  // issue 14: detection
  /// The `TFLite_Detection_PostProcess` custom operator: SSD box decoding against constant
  /// anchors and non-maximum suppression, in float32 (TFLite runs it on the CPU). Inputs: box
  /// encodings, class scores, anchors; outputs: boxes, classes, scores, detection count.
  case detectionPostProcess(DetectionPostProcessOptions)
  // issue 14: transformer ops
  /// SUM over the axes of input 1.
  case sum(keepDims: Bool)
  /// REDUCE_PROD over the axes of input 1.
  case reduceProd(keepDims: Bool)
  /// DIV: `x / y` with broadcasting and a fused activation.
  case div(activation: FusedActivation)
  case sqrt
  /// POW: `x ** y` with broadcasting.
  case pow
  /// CAST: every element converted to the output tensor's type.
  case cast
  // issue 14: space-batch
  /// SPACE_TO_BATCH_ND: spatial blocks of input 0 (block shape: input 1, paddings: input 2)
  /// moved into the batch dimension.
  case spaceToBatchND
  /// BATCH_TO_SPACE_ND: the inverse, batches moved back into spatial blocks (block shape:
  /// input 1, crops: input 2).
  case batchToSpaceND

  /// The TFLite builtin operator name, e.g. `"CONV_2D"`.
  public var tfliteName: String {
    switch self {
    case .conv2D: "CONV_2D"
    case .depthwiseConv2D: "DEPTHWISE_CONV_2D"
    case .fullyConnected: "FULLY_CONNECTED"
    case .batchMatMul: "BATCH_MATMUL"
    case .add: "ADD"
    case .sub: "SUB"
    case .mul: "MUL"
    case .neg: "NEG"
    case .squaredDifference: "SQUARED_DIFFERENCE"
    case .rsqrt: "RSQRT"
    case .averagePool2D: "AVERAGE_POOL_2D"
    case .maxPool2D: "MAX_POOL_2D"
    case .mean: "MEAN"
    case .reshape: "RESHAPE"
    case .squeeze: "SQUEEZE"
    case .shape: "SHAPE"
    case .pack: "PACK"
    case .splitV: "SPLIT_V"
    case .stridedSlice: "STRIDED_SLICE"
    case .transpose: "TRANSPOSE"
    case .concatenation: "CONCATENATION"
    case .pad: "PAD"
    case .padV2: "PADV2"
    case .softmax: "SOFTMAX"
    case .logistic: "LOGISTIC"
    case .hardSwish: "HARD_SWISH"
    case .gelu: "GELU"
    case .tanh: "TANH"
    case .gather: "GATHER"
    case .less: "LESS"
    case .select: "SELECT"
    case .selectV2: "SELECT_V2"
    case .exp: "EXP"
    case .reduceMax: "REDUCE_MAX"
    case .expandDims: "EXPAND_DIMS"
    case .slice: "SLICE"
    case .split: "SPLIT"
    case .broadcastTo: "BROADCAST_TO"
    case .resizeBilinear: "RESIZE_BILINEAR"
    case .resizeNearestNeighbor: "RESIZE_NEAREST_NEIGHBOR"
    case .transposeConv: "TRANSPOSE_CONV"
    case .spaceToDepth: "SPACE_TO_DEPTH"
    case .depthToSpace: "DEPTH_TO_SPACE"
    case .maximum: "MAXIMUM"
    case .minimum: "MINIMUM"
    case .leakyRelu: "LEAKY_RELU"
    case .prelu: "PRELU"
    case .argMax: "ARG_MAX"
    case .l2Normalization: "L2_NORMALIZATION"
    case .unpack: "UNPACK"
    case .tile: "TILE"
    case .relu: "RELU"
    case .relu6: "RELU6"
    case .reluN1To1: "RELU_N1_TO_1"
    case .quantize: "QUANTIZE"
    case .dequantize: "DEQUANTIZE"
    case .varHandle: "VAR_HANDLE"
    case .readVariable: "READ_VARIABLE"
    case .assignVariable: "ASSIGN_VARIABLE"
    case .callOnce: "CALL_ONCE"
    // issue 14: recurrent
    case .unidirectionalSequenceLSTM: "UNIDIRECTIONAL_SEQUENCE_LSTM"
    case .while: "WHILE"
    case .logicalAnd: "LOGICAL_AND"
    // issue 14: detection
    case .detectionPostProcess: "TFLite_Detection_PostProcess"
    // issue 14: transformer ops
    case .sum: "SUM"
    case .reduceProd: "REDUCE_PROD"
    case .div: "DIV"
    case .sqrt: "SQRT"
    case .pow: "POW"
    case .cast: "CAST"
    // issue 14: space-batch
    case .spaceToBatchND: "SPACE_TO_BATCH_ND"
    case .batchToSpaceND: "BATCH_TO_SPACE_ND"
    }
  }

  /// The fused activation, for ops that carry one.
  public var fusedActivation: FusedActivation? {
    switch self {
    case .conv2D(let o): o.activation
    case .depthwiseConv2D(let o): o.activation
    case .fullyConnected(let o): o.activation
    case .add(let a), .sub(let a), .mul(let a): a
    case .averagePool2D(let o), .maxPool2D(let o): o.activation
    case .concatenation(_, let a): a
    case .div(let a): a  // issue 14: transformer ops
    case .transposeConv(let o): o.activation
    case .l2Normalization(let a): a
    default: nil
    }
  }
}

/// One operator of a graph: what it computes and which tensors it reads and writes.
public struct Operator: Sendable {
  /// The computation and its options.
  public var kind: OpKind
  /// Input tensors in the TFLite operand order; `nil` for an absent optional input (e.g. bias).
  public var inputs: [TensorID?]
  /// Output tensors.
  public var outputs: [TensorID]

  public init(kind: OpKind, inputs: [TensorID?], outputs: [TensorID]) {
    self.kind = kind
    self.inputs = inputs
    self.outputs = outputs
  }

  /// The input at `position`, or `nil` when absent or out of range.
  public func input(_ position: Int) -> TensorID? {
    position < inputs.count ? inputs[position] : nil
  }
}

/// A graph: tensors and operators in execution order, with designated inputs and outputs.
public struct Graph: Sendable {
  public var name: String
  public var tensors: [Tensor]
  public var operators: [Operator]
  public var inputs: [TensorID]
  public var outputs: [TensorID]

  public init(
    name: String, tensors: [Tensor], operators: [Operator], inputs: [TensorID], outputs: [TensorID]
  ) {
    self.name = name
    self.tensors = tensors
    self.operators = operators
    self.inputs = inputs
    self.outputs = outputs
  }

  /// The tensor with identifier `id`.
  public subscript(id: TensorID) -> Tensor {
    get { tensors[id.index] }
    set { tensors[id.index] = newValue }
  }
}

/// A model: one or more graphs, the first of which is the entry point.
///
/// Further graphs are called by the main one (e.g. the initializer run once by CALL_ONCE).
public struct Model: Sendable {
  /// A description of where the model came from (file name), for messages.
  public var source: String
  public var graphs: [Graph]

  public init(source: String, graphs: [Graph]) {
    self.source = source
    self.graphs = graphs
  }

  /// The entry graph.
  public var main: Graph { graphs[0] }
}
