import GraphIR

/// Numbers from TFLite's FlatBuffer schema (`tensorflow/lite/schema/schema.fbs`, version 3):
/// field ids of the tables Systole reads and writes, enum values and union tags.
///
/// A field id is the field's position in its table declaration (its vtable slot is
/// `4 + 2 × id`). Only fields Systole uses are listed.
enum TFLiteSchema {
  /// The file identifier at bytes 4..<8.
  static let fileIdentifier: [UInt8] = Array("TFL3".utf8)
  /// The schema version the `Model.version` field must hold.
  static let version: UInt32 = 3

  /// `table Model`.
  enum Model {
    static let version = 0, operatorCodes = 1, subgraphs = 2, description = 3, buffers = 4
    static let metadata = 6
  }
  /// `table Metadata`: a named buffer of free-form bytes (TFLite ignores names it does not know).
  enum Metadata {
    static let name = 0, buffer = 1
  }
  /// `table SubGraph`.
  enum SubGraph {
    static let tensors = 0, inputs = 1, outputs = 2, operators = 3, name = 4
  }
  /// `table Buffer`: inline `data`, or (for models over 2 GB) `offset`/`size` into the file.
  enum Buffer {
    static let data = 0, offset = 1, size = 2
  }
  /// `table Tensor`.
  enum Tensor {
    static let shape = 0, type = 1, buffer = 2, name = 3, quantization = 4, isVariable = 5
    static let sparsity = 6, shapeSignature = 7
  }
  /// `table QuantizationParameters`.
  enum Quantization {
    static let min = 0, max = 1, scale = 2, zeroPoint = 3, detailsType = 4, details = 5
    static let quantizedDimension = 6
  }
  /// `table OperatorCode`.
  enum OperatorCode {
    static let deprecatedBuiltinCode = 0, customCode = 1, version = 2, builtinCode = 3
  }
  /// `table Operator`.
  enum Operator {
    static let opcodeIndex = 0, inputs = 1, outputs = 2, builtinOptionsType = 3, builtinOptions = 4
    static let customOptions = 5
    // issue 14: recurrent
    static let intermediates = 8
  }

  /// `deprecated_builtin_code` holds this for every builtin code above 126.
  static let placeholderForGreaterOpCodes: Int32 = 127

  /// `enum TensorType` value of INT4: signed 4-bit values packed two per byte, the first in the
  /// low nibble. Systole reads and writes it for constant weights only, as int8 tensors with
  /// `packedBits` 4.
  static let int4TypeCode: Int8 = 17

  /// `enum TensorType` values of the types Systole supports.
  static func elementType(forTensorType code: Int8) -> ElementType? {
    switch code {
    case 0: .float32
    case 2: .int32
    case 3: .uint8
    case 4: .int64
    case 6: .bool
    case 7: .int16
    case 9: .int8
    case 13: .resource
    default: nil
    }
  }

  /// The `enum TensorType` value of `type`.
  static func tensorTypeCode(_ type: ElementType) -> Int8 {
    switch type {
    case .float32: 0
    case .int32: 2
    case .uint8: 3
    case .int64: 4
    case .bool: 6
    case .int16: 7
    case .int8: 9
    case .resource: 13
    }
  }

  /// Names of all `enum TensorType` values, indexed by value.
  static let tensorTypeNames = [
    "FLOAT32", "FLOAT16", "INT32", "UINT8", "INT64", "STRING", "BOOL", "INT16", "COMPLEX64", "INT8",
    "FLOAT64", "COMPLEX128", "UINT64", "RESOURCE", "VARIANT", "UINT32", "UINT16", "INT4", "BFLOAT16",
    "INT2", "UINT4",
  ]

  /// `FLOAT16 (1)`, or `type 77` for values the schema does not define.
  static func tensorTypeDescription(_ code: Int8) -> String {
    code >= 0 && Int(code) < tensorTypeNames.count ? "\(tensorTypeNames[Int(code)]) (\(code))" : "type \(code)"
  }

  /// Names of all `enum BuiltinOperator` values, indexed by value.
  static let builtinNames = [
    "ADD", "AVERAGE_POOL_2D", "CONCATENATION", "CONV_2D", "DEPTHWISE_CONV_2D", "DEPTH_TO_SPACE",
    "DEQUANTIZE", "EMBEDDING_LOOKUP", "FLOOR", "FULLY_CONNECTED", "HASHTABLE_LOOKUP",
    "L2_NORMALIZATION", "L2_POOL_2D", "LOCAL_RESPONSE_NORMALIZATION", "LOGISTIC", "LSH_PROJECTION",
    "LSTM", "MAX_POOL_2D", "MUL", "RELU", "RELU_N1_TO_1", "RELU6", "RESHAPE", "RESIZE_BILINEAR",
    "RNN", "SOFTMAX", "SPACE_TO_DEPTH", "SVDF", "TANH", "CONCAT_EMBEDDINGS", "SKIP_GRAM", "CALL",
    "CUSTOM", "EMBEDDING_LOOKUP_SPARSE", "PAD", "UNIDIRECTIONAL_SEQUENCE_RNN", "GATHER",
    "BATCH_TO_SPACE_ND", "SPACE_TO_BATCH_ND", "TRANSPOSE", "MEAN", "SUB", "DIV", "SQUEEZE",
    "UNIDIRECTIONAL_SEQUENCE_LSTM", "STRIDED_SLICE", "BIDIRECTIONAL_SEQUENCE_RNN", "EXP",
    "TOPK_V2", "SPLIT", "LOG_SOFTMAX", "DELEGATE", "BIDIRECTIONAL_SEQUENCE_LSTM", "CAST", "PRELU",
    "MAXIMUM", "ARG_MAX", "MINIMUM", "LESS", "NEG", "PADV2", "GREATER", "GREATER_EQUAL",
    "LESS_EQUAL", "SELECT", "SLICE", "SIN", "TRANSPOSE_CONV", "SPARSE_TO_DENSE", "TILE",
    "EXPAND_DIMS", "EQUAL", "NOT_EQUAL", "LOG", "SUM", "SQRT", "RSQRT", "SHAPE", "POW", "ARG_MIN",
    "FAKE_QUANT", "REDUCE_PROD", "REDUCE_MAX", "PACK", "LOGICAL_OR", "ONE_HOT", "LOGICAL_AND",
    "LOGICAL_NOT", "UNPACK", "REDUCE_MIN", "FLOOR_DIV", "REDUCE_ANY", "SQUARE", "ZEROS_LIKE",
    "FILL", "FLOOR_MOD", "RANGE", "RESIZE_NEAREST_NEIGHBOR", "LEAKY_RELU", "SQUARED_DIFFERENCE",
    "MIRROR_PAD", "ABS", "SPLIT_V", "UNIQUE", "CEIL", "REVERSE_V2", "ADD_N", "GATHER_ND", "COS",
    "WHERE", "RANK", "ELU", "REVERSE_SEQUENCE", "MATRIX_DIAG", "QUANTIZE", "MATRIX_SET_DIAG",
    "ROUND", "HARD_SWISH", "IF", "WHILE", "NON_MAX_SUPPRESSION_V4", "NON_MAX_SUPPRESSION_V5",
    "SCATTER_ND", "SELECT_V2", "DENSIFY", "SEGMENT_SUM", "BATCH_MATMUL",
    "PLACEHOLDER_FOR_GREATER_OP_CODES", "CUMSUM", "CALL_ONCE", "BROADCAST_TO", "RFFT2D", "CONV_3D",
    "IMAG", "REAL", "COMPLEX_ABS", "HASHTABLE", "HASHTABLE_FIND", "HASHTABLE_IMPORT",
    "HASHTABLE_SIZE", "REDUCE_ALL", "CONV_3D_TRANSPOSE", "VAR_HANDLE", "READ_VARIABLE",
    "ASSIGN_VARIABLE", "BROADCAST_ARGS", "RANDOM_STANDARD_NORMAL", "BUCKETIZE", "RANDOM_UNIFORM",
    "MULTINOMIAL", "GELU", "DYNAMIC_UPDATE_SLICE", "RELU_0_TO_1", "UNSORTED_SEGMENT_PROD",
    "UNSORTED_SEGMENT_MAX", "UNSORTED_SEGMENT_SUM", "ATAN2", "UNSORTED_SEGMENT_MIN", "SIGN",
    "BITCAST", "BITWISE_XOR", "RIGHT_SHIFT", "STABLEHLO_LOGISTIC", "STABLEHLO_ADD",
    "STABLEHLO_DIVIDE", "STABLEHLO_MULTIPLY", "STABLEHLO_MAXIMUM", "STABLEHLO_RESHAPE",
    "STABLEHLO_CLAMP", "STABLEHLO_CONCATENATE", "STABLEHLO_BROADCAST_IN_DIM",
    "STABLEHLO_CONVOLUTION", "STABLEHLO_SLICE", "STABLEHLO_CUSTOM_CALL", "STABLEHLO_REDUCE",
    "STABLEHLO_ABS", "STABLEHLO_AND", "STABLEHLO_COSINE", "STABLEHLO_EXPONENTIAL",
    "STABLEHLO_FLOOR", "STABLEHLO_LOG", "STABLEHLO_MINIMUM", "STABLEHLO_NEGATE", "STABLEHLO_OR",
    "STABLEHLO_POWER", "STABLEHLO_REMAINDER", "STABLEHLO_RSQRT", "STABLEHLO_SELECT",
    "STABLEHLO_SUBTRACT", "STABLEHLO_TANH", "STABLEHLO_SCATTER", "STABLEHLO_COMPARE",
    "STABLEHLO_CONVERT", "STABLEHLO_DYNAMIC_SLICE", "STABLEHLO_DYNAMIC_UPDATE_SLICE",
    "STABLEHLO_PAD", "STABLEHLO_IOTA", "STABLEHLO_DOT_GENERAL", "STABLEHLO_REDUCE_WINDOW",
    "STABLEHLO_SORT", "STABLEHLO_WHILE", "STABLEHLO_GATHER", "STABLEHLO_TRANSPOSE", "DILATE",
    "STABLEHLO_RNG_BIT_GENERATOR", "REDUCE_WINDOW", "STABLEHLO_COMPOSITE", "STABLEHLO_SHIFT_LEFT",
    "STABLEHLO_CBRT", "STABLEHLO_CASE",
  ]

  /// `SPLIT (builtin 49)`, or `builtin 250` for codes this schema version does not name.
  static func builtinDescription(_ code: Int32) -> String {
    code >= 0 && Int(code) < builtinNames.count ? "\(builtinNames[Int(code)]) (builtin \(code))" : "builtin \(code)"
  }

  /// `enum BuiltinOperator` values of the ops Systole supports.
  enum Builtin {
    static let add: Int32 = 0, averagePool2D: Int32 = 1, concatenation: Int32 = 2, conv2D: Int32 = 3
    static let depthwiseConv2D: Int32 = 4, dequantize: Int32 = 6, fullyConnected: Int32 = 9
    static let logistic: Int32 = 14, maxPool2D: Int32 = 17, mul: Int32 = 18, relu: Int32 = 19
    static let reluN1To1: Int32 = 20, relu6: Int32 = 21, reshape: Int32 = 22, softmax: Int32 = 25
    static let custom: Int32 = 32, pad: Int32 = 34, transpose: Int32 = 39, mean: Int32 = 40
    static let sub: Int32 = 41, squeeze: Int32 = 43, stridedSlice: Int32 = 45, neg: Int32 = 59
    static let padV2: Int32 = 60, rsqrt: Int32 = 76, shape: Int32 = 77, pack: Int32 = 83
    static let squaredDifference: Int32 = 99, splitV: Int32 = 102, quantize: Int32 = 114
    static let hardSwish: Int32 = 117, batchMatMul: Int32 = 126, callOnce: Int32 = 129
    static let varHandle: Int32 = 142, readVariable: Int32 = 143, assignVariable: Int32 = 144
    static let tanh: Int32 = 28, gather: Int32 = 36, less: Int32 = 58, select: Int32 = 64
    static let selectV2: Int32 = 123, gelu: Int32 = 150, exp: Int32 = 47, split: Int32 = 49
    static let slice: Int32 = 65, expandDims: Int32 = 70, reduceMax: Int32 = 82, broadcastTo: Int32 = 130
    // issue 14: recurrent
    static let unidirectionalSequenceLSTM: Int32 = 44, whileLoop: Int32 = 119, logicalAnd: Int32 = 86, unpack: Int32 = 88
    // issue 14: transformer ops
    static let sum: Int32 = 74, reduceProd: Int32 = 81, div: Int32 = 42, sqrt: Int32 = 75, cast: Int32 = 53
    static let pow: Int32 = 78
    // issue 14: vision
    static let depthToSpace: Int32 = 5, l2Normalization: Int32 = 11, resizeBilinear: Int32 = 23
    static let spaceToDepth: Int32 = 26, prelu: Int32 = 54, maximum: Int32 = 55, argMax: Int32 = 56
    static let minimum: Int32 = 57, transposeConv: Int32 = 67, tile: Int32 = 69
    static let resizeNearestNeighbor: Int32 = 97, leakyRelu: Int32 = 98
    // issue 14: space-batch
    static let batchToSpaceND: Int32 = 37, spaceToBatchND: Int32 = 38
  }

  /// `union BuiltinOptions` tags (the `builtin_options_type` values) Systole reads and writes.
  enum Options: UInt8 {
    case conv2D = 1
    case depthwiseConv2D = 2
    case pool2D = 5
    case gather = 23
    case exp = 33
    case split = 35
    case less = 41
    case select = 47
    case slice = 48
    case expandDims = 52
    case broadcastTo = 104
    case l2Norm = 12
    case resizeBilinear = 15
    case spaceToDepth = 19
    case maximumMinimum = 39
    case argMax = 40
    case transposeConv = 49
    case tile = 51
    case unpack = 64
    case resizeNearestNeighbor = 74
    case leakyRelu = 75
    case depthToSpace = 94
    case fullyConnected = 8
    case softmax = 9
    case concatenation = 10
    case add = 11
    case reshape = 17
    case mul = 21
    case pad = 22
    case transpose = 26
    case reducer = 27
    case sub = 28
    case squeeze = 30
    case stridedSlice = 32
    case dequantize = 38
    case neg = 42
    case padV2 = 43
    case shape = 55
    case pack = 59
    case squaredDifference = 76
    case splitV = 79
    case quantize = 89
    case hardSwish = 91
    case selectV2 = 98
    case batchMatMul = 101
    case callOnce = 103
    case varHandle = 111
    case readVariable = 112
    case assignVariable = 113
    case gelu = 116
    // issue 14: recurrent
    case unidirectionalSequenceLSTM = 71
    case `while` = 93
    case logicalAnd = 62
    // issue 14: transformer ops
    case div = 29
    case cast = 37
    case pow = 56
    // issue 14: space-batch
    case batchToSpaceND = 24
    case spaceToBatchND = 25

    /// The schema name of the options table.
    var tableName: String {
      switch self {
      case .conv2D: "Conv2DOptions"
      case .depthwiseConv2D: "DepthwiseConv2DOptions"
      case .pool2D: "Pool2DOptions"
      case .gather: "GatherOptions"
      case .less: "LessOptions"
      case .select: "SelectOptions"
      case .selectV2: "SelectV2Options"
      case .gelu: "GeluOptions"
      case .div: "DivOptions"
      case .cast: "CastOptions"
      case .pow: "PowOptions"
      case .exp: "ExpOptions"
      case .split: "SplitOptions"
      case .slice: "SliceOptions"
      case .expandDims: "ExpandDimsOptions"
      case .broadcastTo: "BroadcastToOptions"
      case .l2Norm: "L2NormOptions"
      case .resizeBilinear: "ResizeBilinearOptions"
      case .spaceToDepth: "SpaceToDepthOptions"
      case .maximumMinimum: "MaximumMinimumOptions"
      case .argMax: "ArgMaxOptions"
      case .transposeConv: "TransposeConvOptions"
      case .tile: "TileOptions"
      case .unpack: "UnpackOptions"
      case .resizeNearestNeighbor: "ResizeNearestNeighborOptions"
      case .leakyRelu: "LeakyReluOptions"
      case .depthToSpace: "DepthToSpaceOptions"
      case .fullyConnected: "FullyConnectedOptions"
      case .softmax: "SoftmaxOptions"
      case .concatenation: "ConcatenationOptions"
      case .add: "AddOptions"
      case .reshape: "ReshapeOptions"
      case .mul: "MulOptions"
      case .pad: "PadOptions"
      case .transpose: "TransposeOptions"
      case .reducer: "ReducerOptions"
      case .sub: "SubOptions"
      case .squeeze: "SqueezeOptions"
      case .stridedSlice: "StridedSliceOptions"
      case .dequantize: "DequantizeOptions"
      case .neg: "NegOptions"
      case .padV2: "PadV2Options"
      case .shape: "ShapeOptions"
      case .pack: "PackOptions"
      case .squaredDifference: "SquaredDifferenceOptions"
      case .splitV: "SplitVOptions"
      case .quantize: "QuantizeOptions"
      case .hardSwish: "HardSwishOptions"
      case .batchMatMul: "BatchMatMulOptions"
      case .callOnce: "CallOnceOptions"
      case .varHandle: "VarHandleOptions"
      case .readVariable: "ReadVariableOptions"
      case .assignVariable: "AssignVariableOptions"
      // issue 14: recurrent
      case .unidirectionalSequenceLSTM: "UnidirectionalSequenceLSTMOptions"
      case .while: "WhileOptions"
      case .logicalAnd: "LogicalAndOptions"
      // issue 14: space-batch
      case .batchToSpaceND: "BatchToSpaceNDOptions"
      case .spaceToBatchND: "SpaceToBatchNDOptions"
      }
    }
  }

  /// `enum ActivationFunctionType`, indexed by value.
  static let activations: [FusedActivation] = [.none, .relu, .reluN1To1, .relu6, .tanh, .signBit]

  /// The `enum ActivationFunctionType` value of `activation`.
  static func activationCode(_ activation: FusedActivation) -> Int8 {
    switch activation {
    case .none: 0
    case .relu: 1
    case .reluN1To1: 2
    case .relu6: 3
    case .tanh: 4
    case .signBit: 5
    }
  }
}
