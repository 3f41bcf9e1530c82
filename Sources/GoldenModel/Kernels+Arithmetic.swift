import Foundation
import GraphIR
import Support

// issue 14: transformer ops — DIV, SQRT, POW, CAST.

extension Kernels {
  /// The two operands of a broadcasting binary op, each expanded to the broadcast shape.
  static func broadcastOperands(_ c: KernelContext) throws(GoldenModelError) -> (TensorData, TensorData, [Int]) {
    let a = try c.value(0)
    let b = try c.value(1)
    let shape = try broadcastShape([a.shape, b.shape], c)
    func expand(_ t: TensorData) -> TensorData {
      guard let indices = ElementwiseSupport.broadcastIndices(input: t.shape, output: shape) else { return t }
      return TensorData(shape: shape, storage: ElementwiseSupport.gather(t.storage, indices))
    }
    return (expand(a), expand(b), shape)
  }

  /// DIV (`div.cc`, `reference_ops::Div` / `BroadcastDivSlow`): float32 `x / y` then the fused
  /// activation's clamp; int32 C division (truncating; a zero divisor is an error, as TFLite's
  /// `CheckNonZero`) then the clamp. Quantized DIV is not implemented yet.
  static func div(_ c: KernelContext, activation: FusedActivation) throws(GoldenModelError) -> TensorData {
    let (a, b, shape) = try broadcastOperands(c)
    switch (a.storage, b.storage) {
    case (.float32(let x), .float32(let y)):
      let (lo, hi) = try Requantize.floatActivationRange(activation, c)
      return TensorData(shape: shape, storage: .float32(zip(x, y).map { Swift.min(Swift.max($0 / $1, lo), hi) }))
    case (.int32(let x), .int32(let y)):
      guard !y.contains(0) else { throw GoldenModelError(.invalidModel, c.location, "int32 division by zero") }
      let (lo, hi) = ElementwiseSupport.integerRange(activation, Int32.self)
      return TensorData(
        shape: shape, storage: .int32(zip(x, y).map { Swift.min(Swift.max($0.dividedReportingOverflow(by: $1).partialValue, lo), hi) }))
    case (.int8(let x), .int8(let y)):
      return TensorData(shape: shape, storage: .int8(try quantizedDiv(c, x, y, activation: activation).map { Int8($0) }))
    default:
      throw c.unsupported("DIV on \(a.elementType) (float32, int32 and int8 only)")
    }
  }

  /// int8 DIV (`reference_ops::DivElementwise`): `M, e = QuantizeMultiplier(Double(s_1 / (s_2 ·
  /// s_y)))` (the ratio in float); per element `a = q_1 − z_1`, `b = q_2 − z_2` (both negated
  /// when `b < 0`; `b = 0` is an error), `r, e_r = GetReciprocal(b, 31)`, `h =
  /// CountLeadingSignBits(a)`, `u = SRDHM(a · 2^h, r)`, then
  /// `clamp(z_y + RoundingDivideByPOT(SRDHM(u, M), −(e − e_r − h)))` to the activation range.
  static func quantizedDiv(_ c: KernelContext, _ x: [Int8], _ y: [Int8], activation: FusedActivation)
    throws(GoldenModelError) -> [Int32]
  {
    let q1 = try c.quantization(of: try c.inputTensor(0))
    let q2 = try c.quantization(of: try c.inputTensor(1))
    let out = try c.outputTensor()
    let qo = try c.quantization(of: out)
    let ratio = q1.scale / (q2.scale * qo.scale)
    let m = Requantize.Multiplier(real: Double(ratio))
    let z1 = Int32(q1.zeroPoint)
    let z2 = Int32(q2.zeroPoint)
    let zy = Int32(clamping: qo.zeroPoint)
    let range = try Requantize.activationRange(activation, output: out, c)
    var result: [Int32] = []
    result.reserveCapacity(x.count)
    for (p, q) in zip(x, y) {
      let a = Int32(p) - z1
      let b = Int32(q) - z2
      guard b != 0 else { throw GoldenModelError(.invalidModel, c.location, "int8 division by a zero divisor (q = zero point)") }
      // issue 14: vops (the per-element arithmetic is shared with vbinary fn=div through Support)
      guard let quotient = FixedPoint.quantizedDivide(a, by: b, multiplier: m.multiplier, shift: m.shift) else {
        throw c.unsupported("int8 DIV of \(a) by \(b) with multiplier shift \(m.shift): rescaling shift outside 0...63")
      }
      let v = zy &+ quotient
      result.append(Swift.min(Swift.max(v, range.lowerBound), range.upperBound))
    }
    return result
  }

  /// SQRT (`elementwise.cc`): float32 `sqrtf`. int8: `sqrtf((q − z_x) · s_x) / s_y` in float,
  /// truncated toward zero, plus `z_y`, clamped; an input below the zero point is an error, as
  /// in TFLite. The truncation (not rounding) was established
  /// against TFLite 2.21's outputs: all 768 recorded int8 values (`sqrt_int8`, inputs ≥ the zero
  /// point) match it, and 412 of them differ from round-to-nearest.
  static func sqrt(_ c: KernelContext) throws(GoldenModelError) -> TensorData {
    let v = try c.value(0)
    switch v.storage {
    case .float32(let xs):
      return TensorData(shape: v.shape, storage: .float32(xs.map { Foundation.sqrt($0) }))
    case .int8(let xs):
      let qx = try c.quantization(of: try c.inputTensor(0))
      let qo = try c.quantization(of: try c.outputTensor())
      let zx = Int32(qx.zeroPoint)
      let zy = Int32(clamping: qo.zeroPoint)
      // issue 14: vops — TFLite 2.21's elementwise.cc rejects int8 inputs below the zero point
      // ("Sqrt is only defined for non-negative values"), as RSQRT does; checked by running the
      // committed sqrt_int8 model with zero points 0 and 60 patched in on BUILTIN_REF.
      if let bad = xs.first(where: { Int32($0) < zx }) {
        throw GoldenModelError(
          .badInput, c.location, "SQRT is only defined for non-negative values; input \(bad) is below the zero point \(zx)")
      }
      let out = xs.map { q -> Int8 in
        let f = Foundation.sqrt(Float(Int32(q) - zx) * qx.scale) / qo.scale
        return Int8(Requantize.clamp(ElementwiseSupport.truncatingToInt32(f) &+ zy, -128...127))
      }
      return TensorData(shape: v.shape, storage: .int8(out))
    default:
      throw c.unsupported("SQRT on \(v.elementType)")
    }
  }

  /// POW (`pow.cc`, `reference_ops::BroadcastPow4DSlow`): float32 `powf(x, y)` with broadcasting.
  static func pow(_ c: KernelContext) throws(GoldenModelError) -> TensorData {
    let (a, b, shape) = try broadcastOperands(c)
    guard case .float32(let x) = a.storage, case .float32(let y) = b.storage else {
      throw c.unsupported("POW on \(a.elementType) (float32 only)")
    }
    return TensorData(shape: shape, storage: .float32(zip(x, y).map { Foundation.pow($0, $1) }))
  }

  /// CAST (`cast.cc`): each element converted to the output tensor's type as C++'s
  /// `static_cast` does on x86-64: float → integer truncates toward zero (NaN and out-of-range
  /// values give the type's minimum, `cvttss2si`), integer → narrower integer wraps, anything →
  /// bool is `x != 0`, bool → number is 0 or 1.
  static func cast(_ c: KernelContext) throws(GoldenModelError) -> TensorData {
    let x = try c.value(0)
    let type = try c.outputTensor().elementType
    let values: [Double]
    let integers: [Int64]?
    switch x.storage {
    case .float32(let v):
      values = v.map(Double.init)
      integers = nil
    case .bool(let v):
      integers = v.map { $0 ? 1 : 0 }
      values = integers!.map(Double.init)
    default:
      integers = x.integerValues
      values = integers!.map(Double.init)
    }
    func toInt<T: FixedWidthInteger & SignedInteger>(_: T.Type) -> [T] {
      if let integers { return integers.map { T(truncatingIfNeeded: $0) } }
      // float → int: int32 conversion for ≤ 32 bits (cvttss2si), int64 for int64 (cvttss2si 64).
      if T.bitWidth <= 32 {
        return values.map { T(truncatingIfNeeded: ElementwiseSupport.truncatingToInt32(Float($0))) }
      }
      return values.map { d in
        guard d.isFinite, d >= -9.223372036854775808e18, d < 9.223372036854775808e18 else { return T.min }
        return T(truncatingIfNeeded: Int64(d))
      }
    }
    let storage: TensorData.Storage
    switch type {
    case .float32: storage = .float32(integers.map { $0.map { Float($0) } } ?? values.map { Float($0) })
    case .int32: storage = .int32(toInt(Int32.self))
    case .int64: storage = .int64(toInt(Int64.self))
    case .int16: storage = .int16(toInt(Int16.self))
    case .int8: storage = .int8(toInt(Int8.self))
    case .uint8:
      storage = .uint8(toInt(Int32.self).map { UInt8(truncatingIfNeeded: $0) })
    case .bool: storage = .bool(values.map { $0 != 0 })
    default: throw c.unsupported("CAST to \(type)")
    }
    return TensorData(shape: x.shape, storage: storage)
  }
}
