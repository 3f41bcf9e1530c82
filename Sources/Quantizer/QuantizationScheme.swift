import GraphIR

/// A way of turning a float32 model into a smaller one: how weights are stored and which
/// numeric type carries the activations.
///
/// Raw values are the kebab-case names used on the command line and in reports.
///
/// | scheme | weights | activations | runs on the array |
/// |---|---|---|---|
/// | `int8-per-channel` | int8 [−127, 127], zp 0, one scale per output channel | int8 affine | yes |
/// | `int8-per-tensor` | int8 [−127, 127], zp 0, one scale per tensor | int8 affine | yes |
/// | `uint8-affine` | uint8 min/max affine per tensor | uint8 affine | no (simulated) |
/// | `int16x8` | int8 per channel | int16 symmetric (zp 0), int64 bias | yes (16×8) |
/// | `weights-only` | int8 per channel | float32 (hybrid) | no (simulated) |
/// | `int4` | int4 [−7, 7] per channel, packed two per byte | int8 affine | yes (int4 tiles, unpacked to int8) |
/// | `ternary` | {−α, 0, +α} per channel (TWN) | int8 affine | yes (2-bit tiles, unpacked to int8) |
/// | `ternary-fine-grained` | {−α_g, 0, +α_g} per group of N weights | int8 affine | yes (2-bit codes + level tables, scaled to int8) |
///
/// `docs/quantizer.md` gives every formula and its source.
public enum QuantizationScheme: String, CaseIterable, Sendable, Hashable, CustomStringConvertible {
  /// TFLite's full-integer default: per-channel symmetric int8 weights, int8 activations.
  case int8PerChannel = "int8-per-channel"
  /// One weight scale per tensor, int8 activations.
  case int8PerTensor = "int8-per-tensor"
  /// The classic uint8 min/max scheme: `q = round((x − min) · 255 / (max − min))`.
  case uint8Affine = "uint8-affine"
  /// int16 activations (zero point 0), int8 per-channel weights, int64 biases.
  case int16x8 = "int16x8"
  /// Hybrid: int8 per-channel weights, float32 activations.
  case weightsOnly = "weights-only"
  /// Per-channel symmetric int4 weights in [−7, 7], int8 activations.
  case int4 = "int4"
  /// Ternary weight networks (Li & Liu 2016): per channel Δ = 0.7 · mean|W|, weights {−α, 0, +α}.
  case ternary = "ternary"
  /// Fine-grained ternary (Mellempudi et al. 2017): its own Δ and α per group of N weights.
  case fineGrainedTernary = "ternary-fine-grained"

  /// The kebab-case name.
  public var description: String { rawValue }

  /// The numeric type of activations when no override applies.
  public var activationPrecision: ActivationPrecision {
    switch self {
    case .int8PerChannel, .int8PerTensor, .int4, .ternary, .fineGrainedTernary: .int8
    case .uint8Affine: .uint8
    case .int16x8: .int16
    case .weightsOnly: .float32
    }
  }

  /// Bits each weight of CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED occupies when packed.
  public var weightBits: Int {
    switch self {
    case .int8PerChannel, .int8PerTensor, .uint8Affine, .int16x8, .weightsOnly: 8
    case .int4: 4
    case .ternary, .fineGrainedTernary: 2
    }
  }

  /// Whether the accelerator (and Systole's golden model) executes the quantized graph as is.
  ///
  /// `uint8-affine` needs uint8 matrix kernels the golden model does not have, and
  /// `weights-only` needs float activations; both are evaluated by simulation (float execution
  /// with every quantized value rounded to its grid), see ``QuantizedModel/simulationModel()``.
  public var runsNatively: Bool { self != .uint8Affine && self != .weightsOnly }

  /// One line describing the scheme, for reports.
  public var summary: String {
    switch self {
    case .int8PerChannel: "int8 weights per output channel (symmetric), int8 activations"
    case .int8PerTensor: "int8 weights per tensor (symmetric), int8 activations"
    case .uint8Affine: "uint8 min/max affine weights and activations"
    case .int16x8: "int8 weights per channel, int16 activations, int64 biases"
    case .weightsOnly: "int8 weights per channel, float32 activations (hybrid)"
    case .int4: "int4 weights per channel in [-7, 7], int8 activations"
    case .ternary: "ternary weights {-a, 0, +a} per channel (TWN), int8 activations"
    case .fineGrainedTernary: "ternary weights per group of N (FGQ), int8 activations"
    }
  }
}

/// The numeric type an activation tensor has in the quantized graph.
public enum ActivationPrecision: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
  /// Unquantized float32 (kept-float layers, hybrid models, float model I/O).
  case float32
  /// int8 affine, any zero point.
  case int8
  /// int16 symmetric, zero point 0 (16×8 kernels).
  case int16
  /// uint8 affine.
  case uint8

  /// The element type of tensors in this precision.
  public var elementType: ElementType {
    switch self {
    case .float32: .float32
    case .int8: .int8
    case .int16: .int16
    case .uint8: .uint8
    }
  }

  /// Whether values are integers with quantization parameters.
  public var isQuantized: Bool { self != .float32 }

  /// The integer range, `nil` for float32.
  public var integerRange: ClosedRange<Int64>? {
    switch self {
    case .float32: nil
    case .int8: -128...127
    case .int16: -32768...32767
    case .uint8: 0...255
    }
  }

  /// `float32`, `int8`, `int16` or `uint8`.
  public var description: String { rawValue }
}
