import Foundation
import GraphIR
import Support

/// Shared arithmetic of the elementwise, activation and shape kernels.
///
/// Everything here re-derives the semantics of TensorFlow Lite's reference kernels and of
/// gemmlowp's `fixedpoint/fixedpoint.h` (read, not copied); `docs/quantization.md`
/// states which op uses which helper. The namespace keeps these helpers apart from the matrix
/// kernels' own requantization code until the two are merged.
enum ElementwiseSupport {
  /// Per-tensor affine parameters with the zero point narrowed to `Int32`, as TFLite keeps them.
  struct Affine {
    var scale: Float
    var zeroPoint: Int32
  }

  /// A multiplier in TFLite's Q0.31 form: `real ≈ multiplier × 2^(shift − 31)`.
  typealias Multiplier = Requantize.Multiplier

  /// The per-tensor parameters of a quantized tensor; throws when it has none.
  static func affine(_ c: KernelContext, _ tensor: Tensor) throws(GoldenModelError) -> Affine {
    let q = try c.quantization(of: tensor)
    guard let zp = Int32(exactly: q.zeroPoint) else {
      throw GoldenModelError(
        .invalidModel, c.location, "tensor '\(tensor.name)' zero point \(q.zeroPoint) does not fit in int32")
    }
    return Affine(scale: q.scale, zeroPoint: zp)
  }

  /// `QuantizeMultiplier(real)`; throws for a negative, infinite or NaN multiplier (TFLite would
  /// abort on those).
  static func multiplier(_ c: KernelContext, _ real: Double) throws(GoldenModelError) -> Multiplier {
    guard real.isFinite, real >= 0 else {
      throw GoldenModelError(
        .invalidModel, c.location, "rescaling multiplier \(real) is not a finite non-negative number")
    }
    let (m, s) = FixedPoint.quantizeMultiplier(real)
    return Multiplier(multiplier: m, shift: s)
  }

  /// `QuantizeMultiplierSmallerThanOneExp(real)`: as ``multiplier(_:_:)`` but the shift must be ≤ 0.
  static func smallerThanOneMultiplier(_ c: KernelContext, _ real: Double, _ what: String) throws(GoldenModelError)
    -> Multiplier
  {
    let m = try multiplier(c, real)
    guard m.shift <= 0, real < 1 else {
      throw c.unsupported("\(what) rescaling multiplier \(real) is not below 1 (TFLite requires it)")
    }
    return m
  }

  // MARK: - Typed values

  /// The elements of an integer tensor (int8, uint8, int16, int32) widened to `Int32`.
  static func integers(_ t: TensorData) -> [Int32]? {
    switch t.storage {
    case .int8(let v): v.map { Int32($0) }
    case .uint8(let v): v.map { Int32($0) }
    case .int16(let v): v.map { Int32($0) }
    case .int32(let v): v
    default: nil
    }
  }

  /// Storage of `type` (int8, uint8, int16, int32) from values already inside the type's range.
  static func storage(_ values: [Int32], as type: ElementType) -> TensorData.Storage? {
    switch type {
    case .int8: .int8(values.map { Int8(truncatingIfNeeded: $0) })
    case .uint8: .uint8(values.map { UInt8(truncatingIfNeeded: $0) })
    case .int16: .int16(values.map { Int16(truncatingIfNeeded: $0) })
    case .int32: .int32(values)
    default: nil
    }
  }

  /// The clamp range of a fused activation on a float output (TFLite
  /// `CalculateActivationRange<float>`): TANH and SIGN_BIT do not clamp.
  static func floatRange(_ a: FusedActivation) -> (Float, Float) {
    a.floatRange.map { ($0.lower, $0.upper) } ?? (-Float.greatestFiniteMagnitude, Float.greatestFiniteMagnitude)
  }

  /// The clamp range of a fused activation on an unquantized integer output (TFLite
  /// `CalculateActivationRange<T>`): RELU [0, max], RELU6 [0, 6], RELU_N1_TO_1 [−1, 1].
  static func integerRange<T: FixedWidthInteger>(_ a: FusedActivation, _: T.Type) -> (T, T) {
    switch a {
    case .relu: (0, T.max)
    case .relu6: (0, 6)
    case .reluN1To1: (-1, 1)
    case .none, .tanh, .signBit: (T.min, T.max)
    }
  }

  /// The quantized clamp range of a fused activation (TFLite `CalculateActivationRangeQuantized`).
  static func quantizedRange(_ a: FusedActivation, _ out: Affine, _ type: ElementType) -> ClosedRange<Int32> {
    let full = type.integerRange ?? Int32.min...Int32.max
    return a.quantizedRange(scale: out.scale, zeroPoint: Int64(out.zeroPoint), type: type) ?? full
  }

  /// `static_cast<int32_t>(x)` for a float as x86-64 executes it (`cvttss2si`): truncation toward
  /// zero, and `INT32_MIN` for NaN and values outside the int32 range.
  @inline(__always)
  static func truncatingToInt32(_ x: Float) -> Int32 {
    guard x.isFinite, x > -2_147_483_904, x < 2_147_483_648 else { return Int32.min }
    return Int32(x)
  }

  // MARK: - Data movement

  /// Flat row-major indices of the elements visited by nested loops over `shape` where moving one
  /// step along dimension `d` moves `strides[d]` elements in the source, starting at `base`.
  ///
  /// This one generator serves broadcasting (stride 0 on broadcast dimensions), transposition
  /// (permuted strides), strided slicing (scaled strides, negative ones included) and padding.
  static func stridedIndices(shape: [Int], strides: [Int], base: Int = 0) -> [Int] {
    precondition(shape.count == strides.count, "shape rank \(shape.count) vs strides \(strides.count)")
    let n = shape.reduce(1, *)
    if n == 0 { return [] }
    let rank = shape.count
    if rank == 0 { return [base] }
    var result = [Int]()
    result.reserveCapacity(n)
    var counter = [Int](repeating: 0, count: rank)
    var offset = base
    let inner = shape[rank - 1]
    let innerStride = strides[rank - 1]
    outer: while true {
      var o = offset
      for _ in 0..<inner {
        result.append(o)
        o += innerStride
      }
      var d = rank - 2
      while d >= 0 {
        counter[d] += 1
        offset += strides[d]
        if counter[d] < shape[d] { continue outer }
        offset -= strides[d] * counter[d]
        counter[d] = 0
        d -= 1
      }
      break
    }
    return result
  }

  /// Row-major strides of `shape` (elements, innermost 1).
  static func rowMajorStrides(_ shape: [Int]) -> [Int] {
    var strides = [Int](repeating: 1, count: shape.count)
    var s = 1
    for d in stride(from: shape.count - 1, through: 0, by: -1) {
      strides[d] = s
      s *= shape[d]
    }
    return strides
  }

  /// For each element of the broadcast `output` shape, the flat index of the `input` element it
  /// reads (NumPy broadcasting: trailing dimensions aligned, size-1 dimensions repeated);
  /// `nil` when no broadcasting is needed.
  static func broadcastIndices(input: [Int], output: [Int]) -> [Int]? {
    if input == output { return nil }
    let rank = output.count
    var strides = [Int](repeating: 0, count: rank)
    let inStrides = rowMajorStrides(input)
    for i in 0..<input.count {
      let o = i + rank - input.count
      strides[o] = input[i] == 1 ? 0 : inStrides[i]
    }
    return stridedIndices(shape: output, strides: strides)
  }

  /// The elements of `s` at `indices`; a negative index takes the single element of `fill`,
  /// which must then have the same element type.
  static func gather(_ s: TensorData.Storage, _ indices: [Int], fill: TensorData.Storage? = nil)
    -> TensorData.Storage
  {
    func pick<T>(_ v: [T], _ f: [T]?) -> [T] {
      var out = [T]()
      out.reserveCapacity(indices.count)
      for i in indices {
        if i >= 0 {
          out.append(v[i])
        } else {
          guard let f, let first = f.first else { preconditionFailure("gather: padding index without a fill value") }
          out.append(first)
        }
      }
      return out
    }
    switch s {
    case .bool(let v):
      if case .bool(let f)? = fill { return .bool(pick(v, f)) }
      return .bool(pick(v, nil))
    case .int8(let v):
      if case .int8(let f)? = fill { return .int8(pick(v, f)) }
      return .int8(pick(v, nil))
    case .uint8(let v):
      if case .uint8(let f)? = fill { return .uint8(pick(v, f)) }
      return .uint8(pick(v, nil))
    case .int16(let v):
      if case .int16(let f)? = fill { return .int16(pick(v, f)) }
      return .int16(pick(v, nil))
    case .int32(let v):
      if case .int32(let f)? = fill { return .int32(pick(v, f)) }
      return .int32(pick(v, nil))
    case .int64(let v):
      if case .int64(let f)? = fill { return .int64(pick(v, f)) }
      return .int64(pick(v, nil))
    case .float32(let v):
      if case .float32(let f)? = fill { return .float32(pick(v, f)) }
      return .float32(pick(v, nil))
    }
  }

  /// The storages laid end to end; `nil` when their element types differ or `parts` is empty.
  static func concatenate(_ parts: [TensorData.Storage]) -> TensorData.Storage? {
    guard let first = parts.first else { return nil }
    func join<T>(_ extract: (TensorData.Storage) -> [T]?) -> [T]? {
      var out = [T]()
      for p in parts {
        guard let v = extract(p) else { return nil }
        out += v
      }
      return out
    }
    switch first {
    case .bool: return join { if case .bool(let v) = $0 { v } else { nil } }.map { .bool($0) }
    case .int8: return join { if case .int8(let v) = $0 { v } else { nil } }.map { .int8($0) }
    case .uint8: return join { if case .uint8(let v) = $0 { v } else { nil } }.map { .uint8($0) }
    case .int16: return join { if case .int16(let v) = $0 { v } else { nil } }.map { .int16($0) }
    case .int32: return join { if case .int32(let v) = $0 { v } else { nil } }.map { .int32($0) }
    case .int64: return join { if case .int64(let v) = $0 { v } else { nil } }.map { .int64($0) }
    case .float32: return join { if case .float32(let v) = $0 { v } else { nil } }.map { .float32($0) }
    }
  }

  // MARK: - Lookup tables

  /// TFLite `LUTPopulate<int8_t/uint8_t>`: for every input value `q` of the 8-bit `type`,
  /// `clamp(Int32(roundf(f(inScale × (q − inZP)) × (1 / outScale)) + outZP))`, all in `Float`.
  ///
  /// The table is indexed by `q − type.min` (0...255).
  static func populateLUT8(type: ElementType, input: Affine, output: Affine, _ f: (Float) -> Float) -> [Int32] {
    let range = type.integerRange ?? -128...127
    let inverseScale = 1 / output.scale
    var table = [Int32]()
    table.reserveCapacity(256)
    for q in range {
      let dequantized = input.scale * Float(q - input.zeroPoint)
      let transformed = f(dequantized)
      let rescaled = (transformed * inverseScale).rounded(.toNearestOrAwayFromZero)
      let quantized = truncatingToInt32(rescaled + Float(output.zeroPoint))
      table.append(min(max(quantized, range.lowerBound), range.upperBound))
    }
    return table
  }

  /// Applies a 256-entry table built by ``populateLUT8(type:input:output:_:)`` or
  /// ``table8(type:_:)`` to 8-bit values.
  static func applyLUT8(_ table: [Int32], _ x: TensorData) -> TensorData.Storage? {
    switch x.storage {
    case .int8(let v): .int8(v.map { Int8(truncatingIfNeeded: table[Int($0) + 128]) })
    case .uint8(let v): .uint8(v.map { UInt8(truncatingIfNeeded: table[Int($0)]) })
    default: nil
    }
  }

  /// A 256-entry table of `f(q)` for every value `q` of the 8-bit `type` (per-value functions are
  /// evaluated once per op, not once per element).
  static func table8(type: ElementType, _ f: (Int32) -> Int32) -> [Int32] {
    let range = type.integerRange ?? -128...127
    return range.map(f)
  }

  /// TFLite `LUTPopulateInt16<FloatT>`: a 513-entry table sampling `f` at 512 equal steps over
  /// the input range (plus the end point), each sample biased by half the error of linear
  /// interpolation at the step's midpoint, all arithmetic in `T` (`Float` or `Double` as the
  /// kernel chooses).
  static func populateLUT16<T: BinaryFloatingPoint>(
    inputScale: T, inputZeroPoint: Int32, outputScale: T, outputZeroPoint: Int32, _ f: (T) -> T
  ) -> [Int16] {
    func round(_ x: T) -> T { x.rounded(.toNearestOrAwayFromZero) }
    let inputMin = inputScale * T(Int32(Int16.min) - inputZeroPoint)
    let inputMax = inputScale * T(Int32(Int16.max) - inputZeroPoint)
    let outputMin = outputScale * T(Int32(Int16.min) - outputZeroPoint)
    let outputMax = outputScale * T(Int32(Int16.max) - outputZeroPoint)
    let steps = 512
    let step = (inputMax - inputMin) / T(steps)
    let halfStep = step / 2
    let outputScalingInverse = T(65536) / (outputMax - outputMin)
    func clampToInt16(_ x: T) -> Int16 {
      let c = min(max(x, T(Int16.min)), T(Int16.max))
      return c.isNaN ? Int16.min : Int16(c)
    }
    var table = [Int16]()
    table.reserveCapacity(steps + 1)
    for i in 0..<steps {
      let value = f(inputMin + T(i) * step)
      let midpointValue = f(inputMin + T(i) * step + halfStep)
      let nextValue = f(inputMin + T(i + 1) * step)
      let sample = round(value * outputScalingInverse)
      let midpointInterpolated = round((nextValue * outputScalingInverse + round(value * outputScalingInverse)) / 2)
      let midpoint = round(midpointValue * outputScalingInverse)
      let bias = round((midpointInterpolated - midpoint) / 2)
      table.append(clampToInt16(sample - bias))
    }
    table.append(clampToInt16(round(f(inputMax) * outputScalingInverse)))
    return table
  }

  /// TFLite `LUTLookup(int16)`: the top 9 bits index the 513-entry table, the low 7 bits
  /// interpolate linearly to the next entry (rounded, `(slope·frac + 64) >> 7`).
  @inline(__always)
  static func lookup16(_ value: Int16, _ table: [Int16]) -> Int16 {
    let index = Int(256 + (Int32(value) >> 7))
    let offset = Int32(value) & 0x7f
    let base = table[index]
    let slope = Int16(truncatingIfNeeded: Int32(table[index + 1]) - Int32(base))
    let delta = (Int32(slope) * offset + 64) >> 7
    return Int16(truncatingIfNeeded: Int32(base) + delta)
  }
}

// MARK: - gemmlowp fixed point

extension ElementwiseSupport {
  /// Scalar gemmlowp fixed-point arithmetic on raw `Int32`/`Int16` values.
  ///
  /// A `FixedPoint<int32, I>` is a raw integer with `31 − I` fractional bits; the functions take
  /// and return raw values and name the integer bits where they matter. Semantics from gemmlowp
  /// `fixedpoint/fixedpoint.h` and TFLite `kernels/internal/common.h`.
  enum Q {
    /// `SaturatingRoundingDoublingHighMul` (int32): `round(a·b / 2^31)`, half away from zero.
    @inline(__always)
    static func mul(_ a: Int32, _ b: Int32) -> Int32 { FixedPoint.saturatingRoundingDoublingHighMul(a, b) }

    /// `RoundingDivideByPOT` (int32), exponent 0...31.
    @inline(__always)
    static func rshift(_ x: Int32, _ e: Int) -> Int32 { FixedPoint.roundingDivideByPOT(x, e) }

    /// `SaturatingRoundingMultiplyByPOT<e>` for any sign of `e` (``FixedPoint/multiplyByPOT(_:_:)``).
    @inline(__always)
    static func multiplyByPOT(_ x: Int32, _ e: Int) -> Int32 { FixedPoint.multiplyByPOT(x, e) }

    /// `SaturatingRoundingDoublingHighMul` (int16): `round(a·b / 2^15)`, saturating −1 × −1.
    @inline(__always)
    static func mul16(_ a: Int16, _ b: Int16) -> Int16 {
      if a == Int16.min && b == Int16.min { return Int16.max }
      let ab = Int32(a) * Int32(b)
      let nudge: Int32 = ab >= 0 ? (1 << 14) : (1 - (1 << 14))
      return Int16(truncatingIfNeeded: (ab + nudge) / (1 << 15))
    }

    /// TFLite `SaturatingDoublingHighMul` (int16): `a·b / 2^15` truncated toward zero.
    @inline(__always)
    static func mulTruncating16(_ a: Int16, _ b: Int16) -> Int16 {
      if a == Int16.min && b == Int16.min { return Int16.max }
      return Int16(truncatingIfNeeded: (Int32(a) * Int32(b)) / (1 << 15))
    }

    /// `RoundingDivideByPOT` (int16), exponent 0...15.
    @inline(__always)
    static func rshift16(_ x: Int16, _ e: Int) -> Int16 {
      Int16(truncatingIfNeeded: FixedPoint.roundingDivideByPOT(Int32(x), e))
    }

    /// gemmlowp `exp_on_negative_values` (``FixedPoint/expOnNegativeValues(_:integerBits:)``).
    static func expOnNegativeValues(_ a: Int32, integerBits: Int) -> Int32 {
      FixedPoint.expOnNegativeValues(a, integerBits: integerBits)
    }

    /// TFLite `GetReciprocal` (``FixedPoint/reciprocal(_:integerDigits:)``).
    static func reciprocal(_ x: Int32, integerDigits: Int) -> (scale: Int32, bitsOverUnit: Int) {
      FixedPoint.reciprocal(x, integerDigits: integerDigits)
    }

    /// TFLite `GetInvSqrtQuantizedMultiplierExp(input, reverse_shift)`: 1/√input as a Q0.31
    /// multiplier and shift (Newton–Raphson in Q3.28, five iterations).
    static func inverseSqrtMultiplier(_ input: Int32, reverseShift: Int) -> (multiplier: Int32, shift: Int) {
      // issue 14: PRELU / L2_NORMALIZATION — moved to Support, shared with `vl2norm`.
      FixedPoint.inverseSqrtMultiplier(input, reverseShift: reverseShift)
    }

    /// TFLite `MultiplyByQuantizedMultiplierSmallerThanOneExp` (shift ≤ 0).
    @inline(__always)
    static func multiplySmallerThanOne(_ x: Int32, _ m: Multiplier) -> Int32 {
      rshift(mul(x, m.multiplier), -m.shift)
    }

    /// TFLite `MultiplyByQuantizedMultiplierGreaterThanOne` (shift ≥ 0).
    @inline(__always)
    static func multiplyGreaterThanOne(_ x: Int32, _ m: Multiplier) -> Int32 {
      FixedPoint.multiplyGreaterThanOne(x, m.multiplier, m.shift)
    }

    /// TFLite `MultiplyByQuantizedMultiplier(int32)`, double-rounding form.
    @inline(__always)
    static func multiply(_ x: Int32, _ m: Multiplier) -> Int32 {
      FixedPoint.multiplyByQuantizedMultiplier(x, m.multiplier, m.shift)
    }
  }
}
