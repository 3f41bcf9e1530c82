/// A 2-D strided view of int8 elements in the unified buffer: element `(i, j)` is the byte at
/// `address + i·outerStrideBytes + j·innerStrideBytes`.
///
/// A stride of 0 broadcasts: with `outerStrideBytes = 0` every outer index reads the same row
/// (a per-channel vector against an H·W × C tensor); with both strides 0 one scalar is read.
public struct VectorView: Hashable, Sendable {
  /// Byte address of element (0, 0).
  public var address: SRAMAddress
  /// Bytes between consecutive outer indices.
  public var outerStrideBytes: Int
  /// Bytes between consecutive inner indices.
  public var innerStrideBytes: Int

  /// Creates a view; the inner stride defaults to 1 (contiguous rows).
  public init(address: SRAMAddress, outerStrideBytes: Int, innerStrideBytes: Int = 1) {
    self.address = address
    self.outerStrideBytes = outerStrideBytes
    self.innerStrideBytes = innerStrideBytes
  }
}

/// The operands of a two-input elementwise operation: `output[i][j] = f(a[i][j], b[i][j])` for
/// `i < outer`, `j < inner`.
public struct BinaryOperands: Hashable, Sendable {
  /// First input.
  public var a: VectorView
  /// Second input.
  public var b: VectorView
  /// Result.
  public var output: VectorView
  /// Outer extent.
  public var outer: Int
  /// Inner extent.
  public var inner: Int

  /// Creates operand descriptors.
  public init(a: VectorView, b: VectorView, output: VectorView, outer: Int, inner: Int) {
    self.a = a
    self.b = b
    self.output = output
    self.outer = outer
    self.inner = inner
  }
}

/// The operands of a one-input elementwise operation: `output[i][j] = f(source[i][j])`.
public struct UnaryOperands: Hashable, Sendable {
  /// Input.
  public var source: VectorView
  /// Result.
  public var output: VectorView
  /// Outer extent.
  public var outer: Int
  /// Inner extent.
  public var inner: Int

  /// Creates operand descriptors.
  public init(source: VectorView, output: VectorView, outer: Int, inner: Int) {
    self.source = source
    self.output = output
    self.outer = outer
    self.inner = inner
  }
}

/// Quantization parameters of `vadd` / `vsub` (TFLite int8 ADD / SUB).
///
/// TFLite's `PrepareGeneralSubOp` / ADD `Prepare`: `leftShift` = 20 for int8; each input's
/// real multiplier is `scale_i / (2·max(scale_a, scale_b))`, the output's
/// `2·max(scale_a, scale_b) / (2^leftShift · scale_out)`, each quantized with
/// `QuantizeMultiplierSmallerThanOneExp` (so every shift is ≤ 0).
public struct AddParameters: Hashable, Sendable {
  /// Zero point of `a` (its offset is the negation).
  public var aZeroPoint: Int8
  /// Zero point of `b`.
  public var bZeroPoint: Int8
  /// Zero point of the output.
  public var outputZeroPoint: Int8
  /// Pre-shift applied to both offset inputs (20 for int8).
  public var leftShift: Int
  /// Q0.31 multiplier of `a`.
  public var aMultiplier: Int32
  /// Exponent of `a`'s multiplier.
  public var aShift: Int
  /// Q0.31 multiplier of `b`.
  public var bMultiplier: Int32
  /// Exponent of `b`'s multiplier.
  public var bShift: Int
  /// Q0.31 multiplier of the sum.
  public var outputMultiplier: Int32
  /// Exponent of the sum's multiplier.
  public var outputShift: Int
  /// The fused activation's range.
  public var clamp: ClosedRange<Int8>

  /// Creates ADD/SUB parameters.
  public init(
    aZeroPoint: Int8, bZeroPoint: Int8, outputZeroPoint: Int8, leftShift: Int = 20, aMultiplier: Int32,
    aShift: Int, bMultiplier: Int32, bShift: Int, outputMultiplier: Int32, outputShift: Int,
    clamp: ClosedRange<Int8> = -128...127
  ) {
    self.aZeroPoint = aZeroPoint
    self.bZeroPoint = bZeroPoint
    self.outputZeroPoint = outputZeroPoint
    self.leftShift = leftShift
    self.aMultiplier = aMultiplier
    self.aShift = aShift
    self.bMultiplier = bMultiplier
    self.bShift = bShift
    self.outputMultiplier = outputMultiplier
    self.outputShift = outputShift
    self.clamp = clamp
  }
}

/// Quantization parameters of `vmul` (TFLite int8 MUL): one output multiplier for
/// `scale_a · scale_b / scale_out`, quantized with `QuantizeMultiplier` (the shift may be positive).
public struct MulParameters: Hashable, Sendable {
  /// Zero point of `a`.
  public var aZeroPoint: Int8
  /// Zero point of `b`.
  public var bZeroPoint: Int8
  /// Zero point of the output.
  public var outputZeroPoint: Int8
  /// Q0.31 multiplier of the product.
  public var outputMultiplier: Int32
  /// Exponent of the product's multiplier.
  public var outputShift: Int
  /// The fused activation's range.
  public var clamp: ClosedRange<Int8>

  /// Creates MUL parameters.
  public init(
    aZeroPoint: Int8, bZeroPoint: Int8, outputZeroPoint: Int8, outputMultiplier: Int32, outputShift: Int,
    clamp: ClosedRange<Int8> = -128...127
  ) {
    self.aZeroPoint = aZeroPoint
    self.bZeroPoint = bZeroPoint
    self.outputZeroPoint = outputZeroPoint
    self.outputMultiplier = outputMultiplier
    self.outputShift = outputShift
    self.clamp = clamp
  }
}

/// Parameters of `vrequant`: int8 → int8 with a new scale and zero point (TFLite's
/// `reference_ops::Requantize`, used by QUANTIZE int8 → int8).
public struct RequantizeParameters: Hashable, Sendable {
  /// Zero point of the input.
  public var inputZeroPoint: Int8
  /// Zero point of the output.
  public var outputZeroPoint: Int8
  /// Q0.31 multiplier of `scale_in / scale_out`.
  public var multiplier: Int32
  /// Its exponent.
  public var shift: Int
  /// Output range (−128...127 for QUANTIZE).
  public var clamp: ClosedRange<Int8>
  // issue 14: sum
  /// `vmean` only (the `unsigned` flag): source bytes are read as `UInt8` (0...255) and each
  /// result is clamped to 0...255 and stored as its byte; `clamp` must then be −128...127 and is
  /// not applied. This is TF 2.21's BUILTIN_REF int8 SUM, which runs the uint8 kernel on the
  /// int8 bytes (docs/quantization.md).
  public var unsignedBytes: Bool

  /// Creates requantization parameters.
  public init(
    inputZeroPoint: Int8, outputZeroPoint: Int8, multiplier: Int32, shift: Int,
    clamp: ClosedRange<Int8> = -128...127, unsignedBytes: Bool = false
  ) {
    self.inputZeroPoint = inputZeroPoint
    self.outputZeroPoint = outputZeroPoint
    self.multiplier = multiplier
    self.shift = shift
    self.clamp = clamp
    self.unsignedBytes = unsignedBytes
  }
}

/// Parameters of `vsoftmax` (TFLite int8 SOFTMAX, `activations.cc` `SoftmaxPrepare` with the
/// kReference kernel): what the compiler derives from β and the input scale.
///
/// `inputMultiplier · 2^inputShift` ≈ `β · s_in · 2^26` (`PreprocessSoftmaxScaling` with 5
/// integer bits for the scaled difference: `QuantizeMultiplier(min(β·s_in·2^26, 2^31 − 1))`);
/// `diffMin = −⌊31 · 2^26 / 2^inputShift⌋` (`CalculateInputRadius(5, inputShift, 31)`): input
/// differences below it contribute nothing and produce the output minimum.
public struct SoftmaxParameters: Hashable, Sendable {
  /// Q0.31 multiplier of the input difference.
  public var inputMultiplier: Int32
  /// Its left shift, 0...31 (TFLite requires `β · s_in ≥ 2^−26`, a multiplier above one).
  public var inputShift: Int
  /// The smallest input difference `x − max` that is exponentiated (≤ 0).
  public var diffMin: Int32
  /// The output range; its lower bound is also the offset added to every result (−128 for
  /// TFLite's int8 softmax output, scale 1/256 and zero point −128).
  public var outputRange: ClosedRange<Int8>

  /// Creates softmax parameters.
  public init(inputMultiplier: Int32, inputShift: Int, diffMin: Int32, outputRange: ClosedRange<Int8> = -128...127) {
    self.inputMultiplier = inputMultiplier
    self.inputShift = inputShift
    self.diffMin = diffMin
    self.outputRange = outputRange
  }
}

/// A pooling window over a feature map (`vmaxpool`, `vavgpool`).
///
/// Output pixel `(oh, ow)`, channel c is written at
/// `destination.address + oh·rowStrideBytes + ow·pixelStrideBytes + c`.
public struct Pool: Hashable, Sendable {
  /// The input tile (its `channelCount` channels are pooled independently).
  public var input: FeatureMap
  /// Output size, window size, stride, dilation (1 for TFLite), padding.
  public var window: Window
  /// Where the pooled pixels go.
  public var destination: PixelDestination
  /// The fused activation's range.
  public var clamp: ClosedRange<Int8>

  /// Creates a pooling descriptor.
  public init(input: FeatureMap, window: Window, destination: PixelDestination, clamp: ClosedRange<Int8> = -128...127) {
    self.input = input
    self.window = window
    self.destination = destination
    self.clamp = clamp
  }
}

/// An operation of the vector unit (unified buffer → unified buffer, int8).
///
/// Elementwise operations run `for i in 0..<outer { for j in 0..<inner { ... } }`, reading then
/// writing one element per step in that order (so an output that aliases an input element-for-
/// element is safe). Each case documents its arithmetic; all of it is TFLite's reference int8
/// arithmetic (`reference/integer_ops/add.h`, `mul.h`, `pooling.h`, `reference/requantize.h`,
/// `reference/softmax.h`, `reference/reduce.h`; `vlut` tabulates any of TFLite's int8 unary kernels),
/// with `MBQM` = `FixedPoint.multiplyByQuantizedMultiplier` (double rounding), which equals
/// TFLite's `MultiplyByQuantizedMultiplierSmallerThanOneExp` for shifts ≤ 0.
public enum VectorOperation: Hashable, Sendable {
  /// Entries of a `vlut` table: one byte per int8 input value.
  public static let lookupTableBytes = 256

  /// TFLite int8 ADD:
  ///
  /// ```swift
  /// let a = (Int32(A[i][j]) - aZeroPoint) << leftShift
  /// let b = (Int32(B[i][j]) - bZeroPoint) << leftShift
  /// let sum = MBQM(a, aMultiplier, aShift) &+ MBQM(b, bMultiplier, bShift)
  /// OUT[i][j] = clamp(MBQM(sum, outputMultiplier, outputShift) + outputZeroPoint)
  /// ```
  case add(BinaryOperands, AddParameters)
  /// TFLite int8 SUB (`reference_ops::Sub`): as `add`, but the rescaled `b` is subtracted,
  /// `MBQM(a, aMultiplier, aShift) &- MBQM(b, bMultiplier, bShift)`, with the positive
  /// multiplier. This is not `add` with `bMultiplier` negated: the high multiply rounds ties
  /// toward +∞, so the two differ by one on exact ties.
  case sub(BinaryOperands, AddParameters)
  /// TFLite int8 MUL:
  ///
  /// ```swift
  /// let product = (Int32(A[i][j]) - aZeroPoint) * (Int32(B[i][j]) - bZeroPoint)
  /// OUT[i][j] = clamp(MBQM(product, outputMultiplier, outputShift) + outputZeroPoint)
  /// ```
  case mul(BinaryOperands, MulParameters)
  /// TFLite int8 MAX_POOL_2D over in-image taps only:
  ///
  /// ```swift
  /// for oh in 0..<outHeight, ow in 0..<outWidth, c in 0..<channelCount {
  ///   var m: Int8 = -128
  ///   for kh in 0..<kernelHeight, kw in 0..<kernelWidth {
  ///     let ih = oh*strideHeight - padTop + kh*dilationHeight
  ///     let iw = ow*strideWidth - padLeft + kw*dilationWidth
  ///     guard 0 <= ih && ih < height && 0 <= iw && iw < width else { continue }
  ///     m = max(m, Int8(bitPattern: UB[address + (ih*width + iw)*pixelStrideBytes + channelOffset + c]))
  ///   }
  ///   DST[oh][ow][c] = clamp(m)
  /// }
  /// ```
  case maxPool(Pool)
  /// TFLite int8 AVERAGE_POOL_2D: the same loop, summing in-image taps into `sum: Int32` and
  /// counting them; then `avg = (sum + (sum > 0 ? count/2 : -count/2)) / count` (division
  /// truncating toward zero, i.e. round half away from zero) and `DST = clamp(avg)`. A window
  /// with no in-image tap is an error (TFLite's kernel fails).
  case avgPool(Pool)
  /// int8 → int8 requantization (TFLite `Requantize`, QUANTIZE int8 → int8):
  ///
  /// ```swift
  /// OUT[i][j] = clamp(MBQM(Int32(SRC[i][j]) - inputZeroPoint, multiplier, shift) + outputZeroPoint)
  /// ```
  case requantize(UnaryOperands, RequantizeParameters)
  /// TFLite int8 SOFTMAX (`reference_ops::Softmax`, `reference/softmax.h`) over each of the
  /// `outer` rows of `inner` elements, with gemmlowp fixed point (`FixedPoint`; `SRDHM` =
  /// `saturatingRoundingDoublingHighMul`, `RDBPOT` = `roundingDivideByPOT`):
  ///
  /// ```swift
  /// for i in 0..<outer {
  ///   let rowMax = max(-128, SRC[i][0..<inner])                         // pass 1
  ///   var sum: Int32 = 0                                                 // Q12.19, wrapping
  ///   for j in 0..<inner where SRC[i][j] - rowMax >= diffMin {           // pass 2
  ///     let d = multiplyGreaterThanOne(SRC[i][j] - rowMax, inputMultiplier, inputShift)  // Q5.26
  ///     sum &+= RDBPOT(expOnNegativeValues(d, integerBits: 5), 12)       // Q0.31 → Q12.19
  ///   }
  ///   let (scale, bitsOverUnit) = reciprocal(sum, integerDigits: 12)
  ///   let exponent = bitsOverUnit + 31 - 8                               // fault unless 0...31
  ///   for j in 0..<inner {                                               // pass 3
  ///     let d = SRC[i][j] - rowMax
  ///     OUT[i][j] = d < diffMin ? outputRange.lowerBound
  ///       : clamp(RDBPOT(SRDHM(scale, exp(d)), exponent) + outputRange.lowerBound, outputRange)
  ///   }
  /// }
  /// ```
  ///
  /// A row whose exponentials sum to 2^9 or more (e.g. ≥ 512 equal maxima) puts `exponent` above
  /// 31, where TFLite's kernel aborts; the instruction then faults and writes nothing. Each row
  /// is read whole before any of its outputs is written, so the output may alias the input.
  case softmax(UnaryOperands, SoftmaxParameters)
  /// TFLite int8 MEAN over the `outer` rows (`reference_ops::QuantizedMeanOrSum` with
  /// `compute_sum = false`; GlobalAveragePooling2D is MEAN over axes [1, 2], `outer` = H·W
  /// pixels of `inner` channels). The output is one row; `output.outerStrideBytes` is unused.
  /// `multiplier` and `shift` already fold in 1/`outer` (the compiler's `M'`, `s'`):
  ///
  /// ```swift
  /// for j in 0..<inner {
  ///   var sum: Int32 = 0                                                  // wrapping
  ///   for i in 0..<outer { sum &+= Int32(SRC[i][j]) }
  ///   let centred = Int32(truncatingIfNeeded: Int64(sum) - Int64(inputZeroPoint) * Int64(outer))
  ///   OUT[0][j] = clamp(MBQM(centred, multiplier, shift) &+ outputZeroPoint)
  /// }
  /// ```
  ///
  /// Every source element is read before any output is written, so the output may alias the
  /// source.
  ///
  /// With `unsignedBytes` (the `unsigned` flag; issue 14: sum) the same loop reads
  /// `Int32(UInt8(SRC[i][j]))` and stores `UInt8(clamp(raw, 0...255))`: TFLite 2.21's BUILTIN_REF
  /// int8 SUM, whose multiplier has no 1/`outer` folded in.
  case mean(UnaryOperands, RequantizeParameters)
  /// int8 → int8 through a 256-byte table in the weight buffer (any per-tensor-quantized int8
  /// unary op whose output depends only on its element: LOGISTIC, TANH, GELU, HARD_SWISH, EXP,
  /// NEG, RSQRT, ...; the compiler fills the table by running the op's golden-model kernel on
  /// all 256 inputs, so the result is the kernel's by construction):
  ///
  /// ```swift
  /// OUT[i][j] = WB[table + Int(SRC[i][j]) + 128]
  /// ```
  ///
  /// `table` is the weight-buffer address of the entry for input −128 (the compiler loads the
  /// layer's table there from the DRAM image, as it loads `activate`'s parameters); the 256
  /// entries are bytes whatever the datapath. Each lane holds its own copy of the table, filled
  /// at the start of the instruction (`docs/cost-model.md`, `vector_lookup`).
  case lookup(UnaryOperands, table: SRAMAddress)
  /// `OUT[i][j] = SRC[i][j]` (byte copy: RESHAPE, CONCATENATION of equal scales, PAD fill,
  /// TRANSPOSE and STRIDED_SLICE through strides).
  case copy(UnaryOperands)
  // issue 14: resize
  /// int8 bilinear resize of a block of output rows (`Resize` documents the loop nest; TFLite's
  /// `reference_ops::ResizeBilinearInteger`).
  case resize(Resize)
  // issue 14: vector binary/reduce
  /// An int8 elementwise binary function without a TFLite-style ADD rescale (SQUARED_DIFFERENCE,
  /// MAXIMUM, MINIMUM; `VectorOperation+Binary.swift` gives each function's arithmetic):
  ///
  /// ```swift
  /// OUT[i][j] = function(A[i][j], B[i][j])   // clamped to the function's range
  /// ```
  case binary(BinaryOperands, BinaryFunction)
  /// An int8 reduction over the `outer` rows without rescaling (REDUCE_MAX, which TFLite runs on
  /// the stored values with equal input and output quantization); one output row, as `vmean`:
  ///
  /// ```swift
  /// for j in 0..<inner {
  ///   var m: Int8 = -128
  ///   for i in 0..<outer { m = max(m, SRC[i][j]) }
  ///   OUT[0][j] = m
  /// }
  /// ```
  ///
  /// Every source element is read before any output is written. (issue 14: argmax) With
  /// `argmax32`/`argmax64` (ARG_MAX) `OUT[0][j]` is instead the first `i` holding the column's
  /// maximum, a 4- or 8-byte little-endian index (`ReduceFunction.indexBytes`). (issue 14: prod)
  /// With `prod` (REDUCE_PROD) and its `parameters` (`mult`, `shift` in −31...7, `in_zp`, `out_zp`,
  /// `clamp`) each column is a sequential chain in row order: `p = SRC[0][j] − in_zp`, then
  /// `p = FixedPoint.productStep(p, SRC[i][j] − in_zp)` for i = 1, 2, …, and
  /// `OUT[0][j] = FixedPoint.productOutput(p)` clamped to `clamp`. The other functions take no
  /// parameters (nil).
  case reduce(UnaryOperands, ReduceFunction, RequantizeParameters? = nil)
  // issue 14: PRELU / L2_NORMALIZATION
  /// TFLite int8 L2_NORMALIZATION over each of the `outer` rows of `inner` elements
  /// (`reference_integer_ops::L2Normalization`; the output's scale is 1/128 and zero point 0, as
  /// TFLite requires), in two passes per row:
  ///
  /// ```swift
  /// for i in 0..<outer {
  ///   var acc: Int32 = 0                                                  // pass 1, wrapping
  ///   for j in 0..<inner { let v = Int32(SRC[i][j]) - inputZeroPoint; acc &+= v &* v }
  ///   let (m, s) = FixedPoint.inverseSqrtMultiplier(acc, reverseShift: -1)   // 1/√acc
  ///   for j in 0..<inner {                                                // pass 2
  ///     OUT[i][j] = clamp(MBQM(Int32(SRC[i][j]) - inputZeroPoint, m, s + 7), -128...127)
  ///   }
  /// }
  /// ```
  ///
  /// Each row is read whole before any of its outputs is written, so the output may alias the
  /// input.
  case l2Normalize(UnaryOperands, inputZeroPoint: Int8)
  // issue 14: lstm
  /// The elementwise half of one integer LSTM time step on int16 lanes (`vlstm`); see `LSTMCell`.
  case lstmCell(LSTMCell)

  /// The assembly mnemonic.
  public var mnemonic: String {
    switch self {
    case .add: "vadd"
    case .sub: "vsub"
    case .mul: "vmul"
    case .maxPool: "vmaxpool"
    case .avgPool: "vavgpool"
    case .requantize: "vrequant"
    case .softmax: "vsoftmax"
    case .mean: "vmean"
    case .lookup: "vlut"
    case .copy: "vcopy"
    // issue 14: resize
    case .resize: "vresize"
    // issue 14: vector binary/reduce
    case .binary: "vbinary"
    case .reduce: "vreduce"
    // issue 14: PRELU / L2_NORMALIZATION
    case .l2Normalize: "vl2norm"
    // issue 14: lstm
    case .lstmCell: "vlstm"
    }
  }
}
