import Foundation
import GraphIR
import Support

// SOFTMAX, LOGISTIC, HARD_SWISH, RELU/RELU6/RELU_N1_TO_1, QUANTIZE, DEQUANTIZE.
// Arithmetic and sources: docs/quantization.md.

extension Kernels {
  /// SOFTMAX over the last dimension. Float: `expf((x − max) × β)` normalized in float.
  /// int8/uint8 input: TFLite's reference fixed-point path (gemmlowp `exp_on_negative_values`
  /// in Q5.26, sum in Q12.19, reciprocal by Newton–Raphson), output int8, uint8 or int16.
  static func softmax(_ c: KernelContext, beta: Float) throws(GoldenModelError) -> TensorData {
    let x = try c.value(0)
    guard let depth = x.shape.last, depth > 0 else {
      throw GoldenModelError(
        .invalidModel, c.location, "SOFTMAX needs an input of rank ≥ 1 with a non-empty last dimension; got \(x.shape)")
    }
    let rows = x.count / depth
    switch x.storage {
    case .float32(let v):
      var out = [Float](repeating: 0, count: v.count)
      for r in 0..<rows {
        let base = r * depth
        var maxValue = -Float.greatestFiniteMagnitude
        for i in base..<base + depth { maxValue = max(maxValue, v[i]) }
        var sum: Float = 0
        for i in base..<base + depth {
          let e = Foundation.exp((v[i] - maxValue) * beta)
          out[i] = e
          sum += e
        }
        for i in base..<base + depth { out[i] = out[i] / sum }
      }
      return TensorData(shape: x.shape, storage: .float32(out))
    case .int8, .uint8:
      guard let values = ElementwiseSupport.integers(x) else { throw c.unsupported("SOFTMAX on \(x.elementType)") }
      let outType = try c.outputTensor().elementType
      let out = try quantizedSoftmax(
        c, values, rows: rows, depth: depth, beta: beta, inputType: x.elementType, outputType: outType)
      guard let storage = ElementwiseSupport.storage(out, as: outType) else {
        throw c.unsupported("SOFTMAX \(x.elementType) → \(outType)")
      }
      return TensorData(shape: x.shape, storage: storage)
    case .int16(let v):
      let outTensor = try c.outputTensor()
      guard outTensor.elementType == .int16 else { throw c.unsupported("SOFTMAX int16 → \(outTensor.elementType)") }
      let out = try softmaxInt16(c, v, rows: rows, depth: depth, beta: beta)
      return TensorData(shape: x.shape, storage: .int16(out))
    default:
      throw c.unsupported("SOFTMAX on \(x.elementType)")
    }
  }

  /// reference_ops::SoftmaxInt16 with SoftmaxPrepare's two 513-entry tables (built in double):
  /// exp(x) over [−10, 0] and 1/(1 + x) over [0, 1].
  private static func softmaxInt16(_ c: KernelContext, _ v: [Int16], rows: Int, depth: Int, beta: Float)
    throws(GoldenModelError) -> [Int16]
  {
    typealias S = ElementwiseSupport
    let inQ = try S.affine(c, try c.inputTensor(0))
    let outQ = try S.affine(c, try c.outputTensor())
    guard inQ.zeroPoint == 0, outQ.zeroPoint == 0 else {
      throw c.unsupported("SOFTMAX int16 with a non-zero zero point")
    }
    let range = Double(Int32(Int16.max) - Int32(Int16.min))
    let expTable = S.populateLUT16(
      inputScale: 10.0 / range, inputZeroPoint: Int32(Int16.max), outputScale: 2.0 / range, outputZeroPoint: 0
    ) { Foundation.exp($0) }
    let reciprocalTable = S.populateLUT16(
      inputScale: 1.0 / range, inputZeroPoint: Int32(Int16.min), outputScale: 2.0 / range, outputZeroPoint: 0
    ) { 1.0 / (1.0 + $0) }
    // input_scale * beta in float, then rescaled so that [-65535, 0] covers [-10, 0].
    let m = try S.multiplier(c, Double(inQ.scale * beta) / (10.0 / 65535.0))
    var out = [Int16](repeating: 0, count: v.count)
    var exps = [Int16](repeating: 0, count: depth)
    for r in 0..<rows {
      let base = r * depth
      var maxInRow = Int16.min
      for i in base..<base + depth { maxInRow = max(maxInRow, v[i]) }
      var sum: Int32 = 0
      for k in 0..<depth {
        let diff = Int32(v[base + k]) - Int32(maxInRow)
        let scaled = S.Q.multiply(diff, m) &+ 32767
        let saturated = Int16(min(max(scaled, Int32(Int16.min)), Int32(Int16.max)))
        exps[k] = S.lookup16(saturated, expTable)
        sum = sum &+ Int32(exps[k])
      }
      let headroomPlusOne = UInt32(bitPattern: sum).leadingZeroBitCount
      guard headroomPlusOne >= 1, headroomPlusOne <= 31 else {
        throw GoldenModelError(.invalidModel, c.location, "SOFTMAX int16 sum of exponentials \(sum) out of range")
      }
      let shiftedSum = Int32(truncatingIfNeeded: ((Int64(sum) << Int64(headroomPlusOne - 1)) + (1 << 13)) >> 14)
      let symmetric = shiftedSum &- ((1 << 15) + (1 << 16))
      let reciprocal = S.lookup16(Int16(min(max(symmetric, Int32(Int16.min)), Int32(Int16.max))), reciprocalTable)
      let rightShift = 31 - headroomPlusOne
      let rounding: Int64 = rightShift >= 1 ? Int64(1) << Int64(rightShift - 1) : 0
      for k in 0..<depth {
        let result = Int32(truncatingIfNeeded: (Int64(exps[k]) * Int64(reciprocal) + rounding) >> Int64(rightShift))
        out[base + k] = Int16(min(max(result, 0), 32767))
      }
    }
    return out
  }

  /// reference_ops::Softmax for 8-bit inputs (softmax.h), with activations.cc SoftmaxPrepare's
  /// kReference scaling (`PreprocessSoftmaxScaling`, `CalculateInputRadius`).
  private static func quantizedSoftmax(
    _ c: KernelContext, _ v: [Int32], rows: Int, depth: Int, beta: Float, inputType: ElementType,
    outputType: ElementType
  ) throws(GoldenModelError) -> [Int32] {
    typealias S = ElementwiseSupport
    guard let outRange = outputType.integerRange, outputType != .int32 else {
      throw c.unsupported("SOFTMAX \(inputType) → \(outputType)")
    }
    let outBits = outputType.byteWidth * 8
    let inQ = try S.affine(c, try c.inputTensor(0))
    let scaledDiffIntegerBits = 5
    let accumulationIntegerBits = 12
    // PreprocessSoftmaxScaling: min(beta * input_scale * 2^(31 - 5), 2^31 - 1) in double.
    let real = min(Double(beta) * Double(inQ.scale) * Double(1 << (31 - scaledDiffIntegerBits)), Double(Int32.max))
    let m = try S.multiplier(c, real)
    guard m.shift >= 0, m.shift <= 31 else {
      throw c.unsupported("SOFTMAX input multiplier \(real) is not above 1 (TFLite requires β × input scale ≥ 2^-26)")
    }
    // CalculateInputRadius(5, shift, 31): floor((2^5 - 1) * 2^26 / 2^shift).
    let radius =
      (Double((1 << scaledDiffIntegerBits) - 1) * Double(Int64(1) << (31 - scaledDiffIntegerBits))
      / Double(Int64(1) << m.shift)).rounded(.down)
    let diffMin = -Int64(radius)

    // exp of every possible difference 0, −1, …, −255 (Q0.31), or −1 for "below diff_min".
    let expOfDifference: [Int32] = (0...255).map { (d: Int32) -> Int32 in
      let diff = -d
      guard Int64(diff) >= diffMin else { return -1 }
      let rescaled = S.Q.multiplyGreaterThanOne(diff, m)  // Q5.26
      return S.Q.expOnNegativeValues(rescaled, integerBits: scaledDiffIntegerBits)  // Q0.31
    }
    var out = [Int32](repeating: 0, count: v.count)
    var exps = [Int32](repeating: 0, count: depth)
    for r in 0..<rows {
      let base = r * depth
      var maxInRow = inputType.integerRange?.lowerBound ?? Int32.min
      for i in base..<base + depth { maxInRow = max(maxInRow, v[i]) }
      var sumOfExps: Int32 = 0  // Q12.19
      for k in 0..<depth {
        let e = expOfDifference[Int(maxInRow - v[base + k])]
        exps[k] = e
        if e >= 0 { sumOfExps = sumOfExps &+ S.Q.rshift(e, accumulationIntegerBits) }
      }
      let (shiftedScale, bitsOverUnit) = S.Q.reciprocal(sumOfExps, integerDigits: accumulationIntegerBits)
      let exponent = bitsOverUnit + 31 - outBits
      guard exponent >= 0, exponent <= 31 else {
        throw GoldenModelError(.invalidModel, c.location, "SOFTMAX reciprocal exponent \(exponent) out of 0...31")
      }
      for k in 0..<depth {
        if exps[k] < 0 {
          out[base + k] = outRange.lowerBound
        } else {
          let unsat = S.Q.rshift(S.Q.mul(shiftedScale, exps[k]), exponent)
          let shifted = unsat &+ outRange.lowerBound
          out[base + k] = min(max(shifted, outRange.lowerBound), outRange.upperBound)
        }
      }
    }
    return out
  }

  /// LOGISTIC. Float: TFLite's reference with cutoffs (`1` above 16.619…, `expf(x)` below −9,
  /// else `1 / (1 + expf(−x))`). int8/uint8: the 256-entry table that SigmoidPrepare builds for
  /// the reference kernel (`LUTPopulate` of `1 / (1 + expf(−x))` in float).
  static func logistic(_ c: KernelContext) throws(GoldenModelError) -> TensorData {
    let x = try c.value(0)
    switch x.storage {
    case .float32(let v):
      let upper: Float = 16.619047164916992188
      let lower: Float = -9
      let out = v.map { val -> Float in
        if val > upper { return 1 }
        if val < lower { return Foundation.exp(val) }
        return 1 / (1 + Foundation.exp(-val))
      }
      return TensorData(shape: x.shape, storage: .float32(out))
    case .int8, .uint8:
      let outTensor = try c.outputTensor()
      guard outTensor.elementType == x.elementType else {
        throw c.unsupported("LOGISTIC \(x.elementType) → \(outTensor.elementType)")
      }
      let table = ElementwiseSupport.populateLUT8(
        type: x.elementType, input: try ElementwiseSupport.affine(c, try c.inputTensor(0)),
        output: try ElementwiseSupport.affine(c, outTensor)
      ) { 1 / (1 + Foundation.exp(-$0)) }
      guard let storage = ElementwiseSupport.applyLUT8(table, x) else {
        throw c.unsupported("LOGISTIC on \(x.elementType)")
      }
      return TensorData(shape: x.shape, storage: storage)
    default:
      throw c.unsupported("LOGISTIC on \(x.elementType)")
    }
  }

  /// HARD_SWISH. Float: `x · min(6, max(0, x + 3)) / 6`. int8/uint8: TFLite's reference 16-bit
  /// fixed-point evaluation (hard_swish.h), tabulated per op over the 256 input values.
  static func hardSwish(_ c: KernelContext) throws(GoldenModelError) -> TensorData {
    typealias S = ElementwiseSupport
    let x = try c.value(0)
    switch x.storage {
    case .float32(let v):
      return TensorData(shape: x.shape, storage: .float32(v.map { $0 * min(6, max(0, $0 + 3)) / 6 }))
    case .int8, .uint8:
      let outTensor = try c.outputTensor()
      guard outTensor.elementType == x.elementType, let typeRange = x.elementType.integerRange else {
        throw c.unsupported("HARD_SWISH \(x.elementType) → \(outTensor.elementType)")
      }
      let inQ = try S.affine(c, try c.inputTensor(0))
      let outQ = try S.affine(c, outTensor)
      // HardSwishPrepare: all scale arithmetic in float, multipliers narrowed to 16 bits.
      let hiresInputScale = (1.0 as Float / 128.0) * inQ.scale
      let reluishScale: Float = 3.0 / 32768.0
      let outputM = try S.multiplier(c, Double(hiresInputScale / outQ.scale))
      let reluishM = try S.multiplier(c, Double(hiresInputScale / reluishScale))
      guard outputM.shift <= 0, outputM.shift >= -15, reluishM.shift >= -15, reluishM.shift <= 30 else {
        throw c.unsupported("HARD_SWISH multiplier exponents \(outputM.shift), \(reluishM.shift) out of range")
      }
      let outputM16 = downscaleToInt16(outputM.multiplier)
      let reluishM16 = downscaleToInt16(reluishM.multiplier)
      let reluishExponent = reluishM.shift
      func saturatingLeftShift16(_ value: Int16, _ amount: Int) -> Int16 {
        let r = Int64(value) * (Int64(1) << amount)
        return Int16(min(max(r, Int64(Int16.min)), Int64(Int16.max)))
      }
      let table = S.table8(type: x.elementType) { q in
        let inputValue = Int16(truncatingIfNeeded: q - inQ.zeroPoint)
        let hires = Int16(truncatingIfNeeded: Int32(inputValue) * 128)
        let preshiftOutput = S.Q.mul16(hires, outputM16)
        var reluish = hires
        if reluishExponent > 0 { reluish = saturatingLeftShift16(reluish, reluishExponent - 1) }
        reluish = S.Q.mul16(reluish, reluishM16)
        if reluishExponent > 0 { reluish = saturatingLeftShift16(reluish, 1) }
        if reluishExponent < 0 { reluish = S.Q.rshift16(reluish, -reluishExponent) }
        reluish = Int16(truncatingIfNeeded: (Int32(reluish) + (1 << 15)) >> 1)
        let preshiftValue = S.Q.mulTruncating16(reluish, preshiftOutput)
        var outputValue = S.Q.rshift16(preshiftValue, -outputM.shift)
        outputValue = Int16(truncatingIfNeeded: Int32(outputValue) + outQ.zeroPoint)
        return min(max(Int32(outputValue), typeRange.lowerBound), typeRange.upperBound)
      }
      guard let storage = S.applyLUT8(table, x) else { throw c.unsupported("HARD_SWISH on \(x.elementType)") }
      return TensorData(shape: x.shape, storage: storage)
    default:
      throw c.unsupported("HARD_SWISH on \(x.elementType)")
    }
  }

  /// TFLite `DownScaleInt32ToInt16Multiplier`: round a Q0.31 multiplier to Q0.15.
  private static func downscaleToInt16(_ m: Int32) -> Int16 {
    if m >= Int32.max - (1 << 15) { return Int16.max }
    return Int16(truncatingIfNeeded: (m + (1 << 15)) >> 16)
  }

  /// RELU (`upper` nil), RELU6 (0...6), RELU_N1_TO_1 (−1...1).
  ///
  /// Float: a clamp. Quantized (int8, uint8, int16): TFLite's `QuantizedReluX`, which also
  /// rescales from the input to the output parameters: `zpOut + MBQM(q − zpIn, inScale/outScale)`
  /// clamped to `[zpOut + roundf(lower/outScale), zpOut + roundf(upper/outScale)]` ∩ type range.
  static func relu(_ c: KernelContext, lower: Float, upper: Float?) throws(GoldenModelError) -> TensorData {
    typealias S = ElementwiseSupport
    let x = try c.value(0)
    switch x.storage {
    case .float32(let v):
      let out: [Float]
      if let upper {
        out = v.map { $0 > upper ? upper : $0 < lower ? lower : $0 }
      } else {
        out = v.map { $0 < lower ? lower : $0 }
      }
      return TensorData(shape: x.shape, storage: .float32(out))
    case .int8, .uint8, .int16:
      let outTensor = try c.outputTensor()
      guard outTensor.elementType == x.elementType, let typeRange = x.elementType.integerRange,
        let values = S.integers(x)
      else {
        throw c.unsupported("\(c.op.kind.tfliteName) \(x.elementType) → \(outTensor.elementType)")
      }
      let inQ = try S.affine(c, try c.inputTensor(0))
      let outQ = try S.affine(c, outTensor)
      if x.elementType == .int16 && (inQ.zeroPoint != 0 || outQ.zeroPoint != 0) {
        throw c.unsupported("\(c.op.kind.tfliteName) int16 with a non-zero zero point")
      }
      // ReluPrepare: input.scale / output.scale in float, then widened.
      let m = try S.multiplier(c, Double(inQ.scale / outQ.scale))
      func quantizeBound(_ bound: Float) -> Int32 {
        outQ.zeroPoint &+ S.truncatingToInt32((bound / outQ.scale).rounded(.toNearestOrAwayFromZero))
      }
      let lo = max(typeRange.lowerBound, quantizeBound(lower))
      let hi = upper.map { min(typeRange.upperBound, quantizeBound($0)) } ?? typeRange.upperBound
      let out = values.map { q -> Int32 in
        let r = outQ.zeroPoint &+ S.Q.multiply(q - inQ.zeroPoint, m)
        return min(max(r, lo), hi)
      }
      guard let storage = S.storage(out, as: x.elementType) else { throw c.unsupported("RELU on \(x.elementType)") }
      return TensorData(shape: x.shape, storage: storage)
    default:
      throw c.unsupported("\(c.op.kind.tfliteName) on \(x.elementType)")
    }
  }

  /// QUANTIZE. From float (per tensor or per channel): `clamp(Int32(roundf(x / scale)) + zp)`,
  /// the division in float. From int8/uint8/int16/int32: TFLite's `Requantize`,
  /// `clamp(zpOut + MBQM(q − zpIn, inScale/outScale))` with the ratio in double.
  static func quantize(_ c: KernelContext) throws(GoldenModelError) -> TensorData {
    typealias S = ElementwiseSupport
    let x = try c.value(0)
    let outTensor = try c.outputTensor()
    let outType = outTensor.elementType
    guard let outRange = outType.integerRange else { throw c.unsupported("QUANTIZE \(x.elementType) → \(outType)") }
    let outParams = try c.quantization(of: outTensor)
    var out: [Int32]
    switch x.storage {
    case .float32(let v):
      func quantizeOne(_ value: Float, _ scale: Float, _ zp: Int32) -> Int32 {
        let unclamped = S.truncatingToInt32((value / scale).rounded(.toNearestOrAwayFromZero)) &+ zp
        return min(max(unclamped, outRange.lowerBound), outRange.upperBound)
      }
      if outParams.isPerChannel {
        let axis = outParams.quantizedDimension
        guard axis >= 0, axis < x.shape.count, x.shape[axis] == outParams.scales.count else {
          throw GoldenModelError(
            .invalidModel, c.location,
            "per-channel QUANTIZE: \(outParams.scales.count) scales on dimension \(axis) of shape \(x.shape)")
        }
        let zps = try perChannelZeroPoints(c, outParams)
        let inner = x.shape[(axis + 1)...].reduce(1, *)
        let channels = x.shape[axis]
        out = v.indices.map { i in
          let ch = (i / inner) % channels
          return quantizeOne(v[i], outParams.scales[ch], zps[ch])
        }
      } else {
        let q = try S.affine(c, outTensor)
        out = v.map { quantizeOne($0, q.scale, q.zeroPoint) }
      }
    case .int8, .uint8, .int16, .int32:
      guard let values = S.integers(x) else { throw c.unsupported("QUANTIZE from \(x.elementType)") }
      let inQ = try S.affine(c, try c.inputTensor(0))
      let outQ = try S.affine(c, outTensor)
      if x.elementType == .int16 && outType == .int16 && (inQ.zeroPoint != 0 || outQ.zeroPoint != 0) {
        throw c.unsupported("QUANTIZE int16 → int16 with a non-zero zero point")
      }
      let m = try S.multiplier(c, Double(inQ.scale) / Double(outQ.scale))
      out = values.map { q in
        let r = S.Q.multiply(q &- inQ.zeroPoint, m) &+ outQ.zeroPoint
        return min(max(r, outRange.lowerBound), outRange.upperBound)
      }
    default:
      throw c.unsupported("QUANTIZE from \(x.elementType)")
    }
    guard let storage = S.storage(out, as: outType) else { throw c.unsupported("QUANTIZE → \(outType)") }
    return TensorData(shape: x.shape, storage: storage)
  }

  /// DEQUANTIZE: per tensor `Float(Double(scale) × Double(q − zp))`; per channel
  /// `scale[c] × Float(q − zp[c])` in float.
  static func dequantize(_ c: KernelContext) throws(GoldenModelError) -> TensorData {
    let x = try c.value(0)
    guard let values = ElementwiseSupport.integers(x), x.elementType != .int32 else {
      throw c.unsupported("DEQUANTIZE from \(x.elementType)")
    }
    let inTensor = try c.inputTensor(0)
    let params = try c.quantization(of: inTensor)
    let out: [Float]
    if params.isPerChannel {
      let axis = params.quantizedDimension
      guard axis >= 0, axis < x.shape.count, x.shape[axis] == params.scales.count else {
        throw GoldenModelError(
          .invalidModel, c.location,
          "per-channel DEQUANTIZE: \(params.scales.count) scales on dimension \(axis) of shape \(x.shape)")
      }
      let zps = try perChannelZeroPoints(c, params)
      let inner = x.shape[(axis + 1)...].reduce(1, *)
      let channels = x.shape[axis]
      out = values.indices.map { i in
        let ch = (i / inner) % channels
        return params.scales[ch] * Float(values[i] - zps[ch])
      }
    } else {
      let q = try ElementwiseSupport.affine(c, inTensor)
      let scale = Double(q.scale)
      out = values.map { Float(scale * Double($0 - q.zeroPoint)) }
    }
    return TensorData(shape: x.shape, storage: .float32(out))
  }

  /// Per-channel zero points; a single zero point applies to every channel (as in TFLite).
  private static func perChannelZeroPoints(_ c: KernelContext, _ p: QuantizationParameters) throws(GoldenModelError)
    -> [Int32]
  {
    let zps = p.zeroPoints.count == p.scales.count ? p.zeroPoints : Array(repeating: p.zeroPoint, count: p.scales.count)
    var out: [Int32] = []
    for z in zps {
      guard let v = Int32(exactly: z) else {
        throw GoldenModelError(.invalidModel, c.location, "zero point \(z) does not fit in int32")
      }
      out.append(v)
    }
    return out
  }
}

extension Kernels {
  /// GELU. Float: TFLite's reference formulas (`GeluTransform`, `GeluTransformApproximate` in
  /// reference/gelu.h) per element. int8/uint8: the 256-entry table GeluPrepare builds with
  /// `LUTPopulate` from the same float functions; int16: its 513-entry interpolated table.
  static func gelu(_ c: KernelContext, approximate: Bool) throws(GoldenModelError) -> TensorData {
    if approximate { return try lookupActivation(c, "GELU") { Kernels.geluApproximate($0) } }
    return try lookupActivation(c, "GELU") { Kernels.geluExact($0) }
  }

  /// TANH. Float: `tanhf` per element. int8/uint8: the 256-entry table TanhPrepare builds for the
  /// reference kernel (`LUTPopulate` of `tanhf`). int16: `reference_integer_ops::Tanh`, the
  /// interpolated sigmoid table (`tanhInt16`, Kernels+Int16Tanh.swift).
  static func tanh(_ c: KernelContext) throws(GoldenModelError) -> TensorData {
    if case .int16(let v) = try c.value(0).storage { return try tanhInt16(c, v) }
    return try lookupActivation(c, "TANH") { Foundation.tanh($0) }
  }

  /// EXP. Float: `expf` per element (`reference_ops::Exp`). int8: the 256-entry table exp.cc's
  /// Prepare builds (`LUTPopulate` of `expf`); int16 (zero points 0): its 513-entry
  /// interpolated table.
  static func exp(_ c: KernelContext) throws(GoldenModelError) -> TensorData {
    if try c.value(0).elementType == .int16 {
      let inQ = try ElementwiseSupport.affine(c, try c.inputTensor(0))
      let outQ = try ElementwiseSupport.affine(c, try c.outputTensor())
      guard inQ.zeroPoint == 0, outQ.zeroPoint == 0 else {
        throw GoldenModelError(.invalidModel, c.location, "int16 EXP needs zero points 0 (exp.cc)")
      }
    }
    return try lookupActivation(c, "EXP") { Foundation.exp($0) }
  }

  /// TFLite `reference_ops::GeluTransform`: `0.5 · x · erfc(−x/√2)` in float (the erfc form
  /// avoids cancellation for large negative x).
  static func geluExact(_ x: Float) -> Float {
    0.5 * x * Foundation.erfc(x * -Float(0.70710678118654752440))
  }

  /// TFLite `reference_ops::GeluTransformApproximate`:
  /// `0.5 · x · (1 + tanh(√(2/π) · (x + 0.044715 · x³)))` in float, `√(2/π)` rounded once to float.
  static func geluApproximate(_ x: Float) -> Float {
    let sqrt2OverPi = Float(1.12837916709551257390 * 0.70710678118654752440)
    return 0.5 * x * (1 + Foundation.tanh(sqrt2OverPi * (x + 0.044715 * x * x * x)))
  }

  /// A unary activation that TFLite's reference kernels compute in float for float tensors and
  /// through a `LUTPopulate` table for int8/uint8 tensors (same type in and out).
  static func lookupActivation(_ c: KernelContext, _ name: String, _ f: (Float) -> Float) throws(GoldenModelError)
    -> TensorData
  {
    let x = try c.value(0)
    switch x.storage {
    case .float32(let v):
      return TensorData(shape: x.shape, storage: .float32(v.map(f)))
    case .int8, .uint8:
      let outTensor = try c.outputTensor()
      guard outTensor.elementType == x.elementType else {
        throw c.unsupported("\(name) \(x.elementType) → \(outTensor.elementType)")
      }
      let table = ElementwiseSupport.populateLUT8(
        type: x.elementType, input: try ElementwiseSupport.affine(c, try c.inputTensor(0)),
        output: try ElementwiseSupport.affine(c, outTensor), f)
      guard let storage = ElementwiseSupport.applyLUT8(table, x) else { throw c.unsupported("\(name) on \(x.elementType)") }
      return TensorData(shape: x.shape, storage: storage)
    case .int16(let v):
      // int16 (GELU, EXP): `LUTPopulate<int16_t>` — the 513-entry table of `f` in float over
      // the input range, looked up with linear interpolation (`LUTLookup`).
      let outTensor = try c.outputTensor()
      guard outTensor.elementType == .int16 else { throw c.unsupported("\(name) int16 → \(outTensor.elementType)") }
      let inQ = try ElementwiseSupport.affine(c, try c.inputTensor(0))
      let outQ = try ElementwiseSupport.affine(c, outTensor)
      let table = ElementwiseSupport.populateLUT16(
        inputScale: inQ.scale, inputZeroPoint: inQ.zeroPoint, outputScale: outQ.scale,
        outputZeroPoint: outQ.zeroPoint, f)
      return TensorData(shape: x.shape, storage: .int16(v.map { ElementwiseSupport.lookup16($0, table) }))
    default:
      throw c.unsupported("\(name) on \(x.elementType)")
    }
  }
}
