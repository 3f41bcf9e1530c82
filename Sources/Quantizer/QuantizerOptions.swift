/// Choices that refine a ``QuantizationScheme``: range estimation, model I/O, mixed precision.
public struct QuantizerOptions: Sendable, Hashable {
  /// The element type of the quantized model's inputs and outputs.
  public enum IOType: String, Sendable, Hashable {
    /// Inputs and outputs in the scheme's activation type (int8 for the int8 schemes).
    case quantized
    /// float32 inputs and outputs, with QUANTIZE after each input and DEQUANTIZE before each output.
    case float
  }

  /// How calibration statistics become an activation range.
  public var rangeEstimator: RangeEstimator
  /// The type of the model's inputs and outputs.
  public var io: IOType
  /// Layers left in float32 (with DEQUANTIZE before and QUANTIZE after them).
  public var keepFloat: Set<LayerSelector>
  /// Layers run with int16 activations and int8 weights (16×8), whatever the scheme.
  public var int16: Set<LayerSelector>
  /// Layers quantized with another scheme than the model's: their activation precision and,
  /// for CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED, their weight format follow it (a
  /// per-layer mix of ternary, int4, int8 and 16×8, as the `--target-drop` search builds).
  ///
  /// Only schemes the accelerator runs natively are accepted (not `uint8-affine` or
  /// `weights-only`, which are whole-model choices); a layer also in ``keepFloat`` or ``int16``
  /// is an error. Every layer not listed follows the model's scheme.
  public var layerSchemes: [LayerSelector: QuantizationScheme]
  /// When an op has no kernel in the requested precision, try int8, then float32, instead of
  /// throwing ``QuantizerError/Kind/unsupportedOperator``.
  public var allowFallback: Bool
  /// Weights per group for `ternary-fine-grained` (Mellempudi et al. use 4).
  public var ternaryGroupSize: Int
  /// The ternary threshold factor t in Δ = t · mean|W| (TWN's 0.7).
  public var ternaryThreshold: Double

  /// Creates options; the defaults are TFLite's post-training full-integer behaviour.
  public init(
    rangeEstimator: RangeEstimator = .minMax, io: IOType = .quantized, keepFloat: Set<LayerSelector> = [],
    int16: Set<LayerSelector> = [], layerSchemes: [LayerSelector: QuantizationScheme] = [:],
    allowFallback: Bool = false, ternaryGroupSize: Int = 4, ternaryThreshold: Double = 0.7
  ) {
    self.rangeEstimator = rangeEstimator
    self.io = io
    self.keepFloat = keepFloat
    self.int16 = int16
    self.layerSchemes = layerSchemes
    self.allowFallback = allowFallback
    self.ternaryGroupSize = ternaryGroupSize
    self.ternaryThreshold = ternaryThreshold
  }
}

/// Names one operator of the main graph, for mixed-precision options.
public enum LayerSelector: Hashable, Sendable, ExpressibleByIntegerLiteral, ExpressibleByStringLiteral,
  CustomStringConvertible
{
  /// The operator's index in execution order (`op #7`).
  case index(Int)
  /// The name of the operator's first output tensor.
  case name(String)

  /// `7` selects operator #7.
  public init(integerLiteral value: Int) { self = .index(value) }
  /// `"conv1"` selects the operator writing tensor `conv1`.
  public init(stringLiteral value: String) { self = .name(value) }

  /// `#7` or `'conv1'`.
  public var description: String {
    switch self {
    case .index(let i): "#\(i)"
    case .name(let n): "'\(n)'"
    }
  }
}

/// How the values a tensor took during calibration become its quantization range.
///
/// Every estimator widens the range to include 0 so that real zero is exactly representable.
public enum RangeEstimator: Sendable, Hashable, CustomStringConvertible {
  /// The minimum and maximum over all samples, as TFLite's calibrator logs them
  /// (`tools/optimize/calibration/calibration_logger.cc`).
  case minMax
  /// An exponential moving average of each sample's minimum and maximum,
  /// `m ← momentum · m + (1 − momentum) · m_sample`, started at the first sample: the
  /// FakeQuant-style estimate of quantization-aware training (TF Model Optimization's
  /// `MovingAverageQuantizer`, which uses 0.999 over thousands of training steps; 0.9 suits a
  /// calibration set of tens of samples).
  case movingAverage(momentum: Double)
  /// The `p`-th and `(100 − p)`-th percentiles of all values seen (e.g. 99.99), from a
  /// 2048-bin histogram over the min/max range (two passes over the calibration set), as the
  /// `percentile` method of NVIDIA pytorch-quantization's `HistogramCalibrator` does.
  case percentile(Double)

  /// The moving average with momentum 0.9.
  public static var movingAverageDefault: RangeEstimator { .movingAverage(momentum: 0.9) }

  /// `min-max`, `moving-average(0.9)`, `percentile(99.99)`.
  public var description: String {
    switch self {
    case .minMax: "min-max"
    case .movingAverage(let m): "moving-average(\(m))"
    case .percentile(let p): "percentile(\(p))"
    }
  }
}
