import Foundation
import GraphIR

/// The golden model's kernels: one function per operator, bit-exact with TFLite's reference
/// kernels for quantized types and matching them to float rounding for float32.
///
/// Each kernel's arithmetic is documented in `docs/quantization.md`. Kernels are grouped by file:
/// `Kernels+Matrix.swift` (CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, BATCH_MATMUL),
/// `Kernels+Pooling.swift` (AVERAGE_POOL_2D, MAX_POOL_2D, MEAN),
/// `Kernels+Elementwise.swift` (ADD, SUB, MUL, NEG, SQUARED_DIFFERENCE, RSQRT),
/// `Kernels+Activation.swift` (SOFTMAX, LOGISTIC, HARD_SWISH, RELU, RELU6, RELU_N1_TO_1,
/// QUANTIZE, DEQUANTIZE, GELU, TANH, EXP), `Kernels+Selection.swift` (GATHER, LESS, SELECT,
/// SELECT_V2, REDUCE_MAX, EXPAND_DIMS, SLICE, SPLIT, BROADCAST_TO), `Kernels+Shape.swift` (RESHAPE, SQUEEZE, SHAPE, PACK, SPLIT_V,
/// STRIDED_SLICE, TRANSPOSE, CONCATENATION, PAD, PADV2), `Kernels+Recurrent.swift`
/// (UNIDIRECTIONAL_SEQUENCE_LSTM, LOGICAL_AND, UNPACK), `Kernels+Detection.swift`
/// (TFLite_Detection_PostProcess), `Kernels+Reduction.swift` (SUM, REDUCE_PROD),
/// `Kernels+Arithmetic.swift` (DIV, SQRT, POW, CAST), `Kernels+Resize.swift` (RESIZE_BILINEAR,
/// RESIZE_NEAREST_NEIGHBOR), `Kernels+TransposeConv.swift` (TRANSPOSE_CONV), `Kernels+Vision.swift`
/// (SPACE_TO_DEPTH, DEPTH_TO_SPACE, TILE, MAXIMUM, MINIMUM, LEAKY_RELU, PRELU, ARG_MAX,
/// L2_NORMALIZATION), `Kernels+SpaceBatch.swift` (SPACE_TO_BATCH_ND, BATCH_TO_SPACE_ND); WHILE runs in `Interpreter+ControlFlow.swift`.
public enum Kernels {
  /// Runs the stateless kernel for `context.op`, returning one value per output.
  ///
  /// The int8 matrix kernels (CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, BATCH_MATMUL) split
  /// their outputs over at most `workers` threads; the results never depend on it.
  public static func run(_ c: KernelContext, workers: Int = defaultWorkers) throws(GoldenModelError) -> [TensorData] {
    let workers = max(1, workers)
    switch c.op.kind {
    case .conv2D(let o): return [try conv2D(c, o, workers: workers)]
    case .depthwiseConv2D(let o): return [try depthwiseConv2D(c, o, workers: workers)]
    case .fullyConnected(let o): return [try fullyConnected(c, o, workers: workers)]
    case .batchMatMul(let adjX, let adjY): return [try batchMatMul(c, adjointX: adjX, adjointY: adjY, workers: workers)]
    case .averagePool2D(let o): return [try averagePool2D(c, o)]
    case .maxPool2D(let o): return [try maxPool2D(c, o)]
    case .mean(let keepDims): return [try mean(c, keepDims: keepDims)]
    case .add(let a): return [try add(c, activation: a)]
    case .sub(let a): return [try sub(c, activation: a)]
    case .mul(let a): return [try mul(c, activation: a)]
    case .neg: return [try neg(c)]
    case .squaredDifference: return [try squaredDifference(c)]
    case .rsqrt: return [try rsqrt(c)]
    case .softmax(let beta): return [try softmax(c, beta: beta)]
    case .logistic: return [try logistic(c)]
    case .hardSwish: return [try hardSwish(c)]
    case .gelu(let approximate): return [try gelu(c, approximate: approximate)]
    case .tanh: return [try tanh(c)]
    case .gather(let axis, let batchDims): return [try gather(c, axis: axis, batchDims: batchDims)]
    case .less: return [try less(c)]
    case .select: return [try select(c, broadcasting: false)]
    case .selectV2: return [try select(c, broadcasting: true)]
    case .exp: return [try exp(c)]
    case .reduceMax(let keepDims): return [try reduceMax(c, keepDims: keepDims)]
    case .expandDims: return [try expandDims(c)]
    case .slice: return [try slice(c)]
    case .split(let count): return try split(c, count: count)
    case .broadcastTo: return [try broadcastTo(c)]
    case .resizeBilinear(let a, let h): return [try resizeBilinear(c, alignCorners: a, halfPixelCenters: h)]
    case .resizeNearestNeighbor(let a, let h): return [try resizeNearestNeighbor(c, alignCorners: a, halfPixelCenters: h)]
    case .transposeConv(let o): return [try transposeConv(c, o)]
    case .spaceToDepth(let b): return [try spaceToDepth(c, blockSize: b)]
    case .depthToSpace(let b): return [try depthToSpace(c, blockSize: b)]
    case .maximum: return [try maximumMinimum(c, isMaximum: true)]
    case .minimum: return [try maximumMinimum(c, isMaximum: false)]
    case .leakyRelu(let alpha): return [try leakyRelu(c, alpha: alpha)]
    case .prelu: return [try prelu(c)]
    case .argMax(let type): return [try argMax(c, outputType: type)]
    case .l2Normalization(let a): return [try l2Normalization(c, activation: a)]
    case .unpack(let count, let axis): return try unpack(c, count: count, axis: axis)
    case .tile: return [try tile(c)]
    case .relu: return [try relu(c, lower: 0, upper: nil)]
    case .relu6: return [try relu(c, lower: 0, upper: 6)]
    case .reluN1To1: return [try relu(c, lower: -1, upper: 1)]
    case .quantize: return [try quantize(c)]
    case .dequantize: return [try dequantize(c)]
    case .reshape: return [try reshape(c)]
    case .squeeze: return [try reshape(c)]
    case .shape(let t): return [try shape(c, outputType: t)]
    case .pack(_, let axis): return [try pack(c, axis: axis)]
    case .splitV: return try splitV(c)
    case .stridedSlice(let o): return [try stridedSlice(c, o)]
    case .transpose: return [try transpose(c)]
    case .concatenation(let axis, let a): return [try concatenation(c, axis: axis, activation: a)]
    case .pad, .padV2: return [try pad(c)]
    case .varHandle, .readVariable, .assignVariable, .callOnce:
      throw GoldenModelError(.invalidModel, c.location, "resource-variable op reached the stateless kernel table")
    // issue 14: recurrent
    case .unidirectionalSequenceLSTM(let o):
      // Stateless use (shape resolution, calibration): the state inputs' values, else TFLite's
      // reset state. The interpreters keep the state across invocations themselves.
      return [try unidirectionalSequenceLSTM(c, o, state: try initialRecurrentState(c)).output]
    case .logicalAnd: return [try logicalAnd(c)]
    case .while:
      throw GoldenModelError(.invalidModel, c.location, "control-flow op reached the stateless kernel table")
    // issue 14: detection
    case .detectionPostProcess(let o): return try detectionPostProcess(c, o)
    // issue 14: transformer ops
    case .sum(let keepDims): return [try sum(c, keepDims: keepDims)]
    case .reduceProd(let keepDims): return [try reduceProd(c, keepDims: keepDims)]
    case .div(let a): return [try div(c, activation: a)]
    case .sqrt: return [try sqrt(c)]
    case .pow: return [try pow(c)]
    case .cast: return [try cast(c)]
    // issue 14: space-batch
    case .spaceToBatchND: return [try spaceToBatchND(c)]
    case .batchToSpaceND: return [try batchToSpaceND(c)]
    }
  }

  /// The thread count the kernels use unless told otherwise: this machine's active processors.
  public static var defaultWorkers: Int { ProcessInfo.processInfo.activeProcessorCount }
}
