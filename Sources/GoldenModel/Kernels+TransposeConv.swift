import GraphIR
import Support

// TRANSPOSE_CONV, bit-exact with TFLite's reference kernels (`kernels/transpose_conv.cc`,
// `kernels/internal/reference/transpose_conv.h` for float32,
// `reference/integer_ops/transpose_conv.h` for int8 with per-channel filters and 16×8).
// `docs/quantization.md` states the arithmetic.

extension Kernels {
  /// TRANSPOSE_CONV: operands are the output shape (int32, 4 values), the filter
  /// `[out_channels, kh, kw, in_channels]`, the input and an optional bias.
  ///
  /// Every input pixel scatters `input · filter` into the `kh × kw` output pixels at
  /// `in · stride − pad + k` that lie inside the output (TFLite's reference loop order, which
  /// fixes the float summation order). The padding is that of the convolution this op
  /// transposes: `Padding.geometry(input: output size, filter, stride)`, which must give back
  /// the input size (`ComputePaddingHeightWidth`). Then the bias, and for int8 the per-channel
  /// requantization of CONV_2D, the output zero point and the fused activation's clamp.
  static func transposeConv(_ c: KernelContext, _ o: TransposeConvOptions) throws(GoldenModelError) -> TensorData {
    let g = try TransposeConvGeometry(c, o)
    let x = try c.value(2)
    let w = try c.value(1)
    switch (x.storage, w.storage) {
    case (.float32(let xv), .float32(let wv)):
      var acc = [Float](repeating: 0, count: g.outputCount)
      g.scatter(xv, wv) { acc[$0] += $1 * $2 }
      let bias = try transposeConvFloatBias(c, channels: g.outC)
      let act = try Requantize.floatActivationRange(o.activation, c)
      for i in acc.indices {
        var v = acc[i]
        if let bias { v += bias[i % g.outC] }
        acc[i] = Requantize.clamp(v, act.lower, act.upper)
      }
      return TensorData(shape: g.outputShape, storage: .float32(acc))
    case (.int8(let xv), .int8(let wv)):
      let out = try c.outputTensor()
      let q = try ConvQuantization(
        c, input: try c.inputTensor(2), filter: try c.inputTensor(1), output: out, channels: g.outC,
        activation: o.activation)
      let offset = -q.inputZeroPoint
      var acc = [Int32](repeating: 0, count: g.outputCount)
      let xs = xv.map { Int32($0) &+ offset }
      let ws = wv.map { Int32($0) }
      g.scatter(xs, ws) { acc[$0] &+= $1 &* $2 }
      var bias: [Int32]?
      if let b = c.optionalValue(3) {
        guard case .int32(let values) = b.storage, values.count == g.outC else {
          throw GoldenModelError(
            .invalidModel, c.location,
            "bias is \(b.elementType) with \(b.count) values; expected \(g.outC) int32 values")
        }
        bias = values
      }
      var result = [Int8](repeating: 0, count: acc.count)
      for i in acc.indices {
        let ch = i % g.outC
        var a = acc[i]
        if let bias { a &+= bias[ch] }
        let m = q.multipliers[ch]
        let r = FixedPoint.multiplyByQuantizedMultiplier(a, m.multiplier, m.shift) &+ q.outputZeroPoint
        result[i] = Int8(Requantize.clamp(r, q.range))
      }
      return TensorData(shape: g.outputShape, storage: .int8(result))
    case (.int16(let xv), .int8(let wv)):
      return try transposeConv16x8(c, o, g, xv, wv)
    case (.uint8(let xv), .uint8(let wv)):
      return try transposeConvUInt8(c, o, g, xv, wv)
    default:
      throw c.unsupported("TRANSPOSE_CONV with \(x.elementType) input and \(w.elementType) filter")
    }
  }

  /// TRANSPOSE_CONV 16×8 (`reference_integer_ops::TransposeConv` for int16 input, int8
  /// filter): zero points 0, the same scatter into wide accumulators, then `+ bias` and the
  /// per-channel requantization clamped to the fused activation's range (no output offset).
  /// With an int64 bias or none (what the converter writes) the accumulators are `Int64` and
  /// the requantization is the 64-bit `MultiplyByQuantizedMultiplier` (multiplier rounded to
  /// 16 bits); with an int32 bias both are 32-bit, as transpose_conv.cc picks the template.
  fileprivate static func transposeConv16x8(
    _ c: KernelContext, _ o: TransposeConvOptions, _ g: TransposeConvGeometry, _ xv: [Int16], _ wv: [Int8]
  ) throws(GoldenModelError) -> TensorData {
    let q = try ConvQuantization(
      c, input: try c.inputTensor(2), filter: try c.inputTensor(1), output: try c.outputTensor(), channels: g.outC,
      activation: o.activation)
    var bias: (values: [Int64], narrow: Bool)?
    if let b = c.optionalValue(3) {
      let values = try MatrixOperands.wideBias(b, c)
      guard values.count == g.outC else {
        throw GoldenModelError(
          .invalidModel, c.location, "bias has \(values.count) values; expected \(g.outC)")
      }
      bias = (values, b.elementType == .int32)
    }
    var result = [Int16](repeating: 0, count: g.outputCount)
    if let bias, bias.narrow {
      var acc = [Int32](repeating: 0, count: g.outputCount)
      g.scatter(xv.map(Int32.init), wv.map(Int32.init)) { acc[$0] &+= $1 &* $2 }
      for i in acc.indices {
        let ch = i % g.outC
        let a = acc[i] &+ Int32(truncatingIfNeeded: bias.values[ch])
        let m = q.multipliers[ch]
        result[i] = Int16(Requantize.clamp(FixedPoint.multiplyByQuantizedMultiplier(a, m.multiplier, m.shift), q.range))
      }
    } else {
      try Requantize.checkWideShift(q.multipliers, c)
      var acc = [Int64](repeating: 0, count: g.outputCount)
      g.scatter(xv.map(Int64.init), wv.map(Int64.init)) { acc[$0] &+= $1 &* $2 }
      for i in acc.indices {
        let ch = i % g.outC
        let a = acc[i] &+ (bias?.values[ch] ?? 0)
        let m = q.multipliers[ch]
        result[i] = Int16(Requantize.clamp(Requantize.multiplyByQuantizedMultiplier(a, m.multiplier, m.shift), q.range))
      }
    }
    return TensorData(shape: g.outputShape, storage: .int16(result))
  }

  /// TRANSPOSE_CONV uint8 (`reference_ops::TransposeConv` for uint8, what the TF1-compatible
  /// converter writes): per-tensor quantization with zero points on input and filter; the scatter
  /// of `(x − zp_x)·(w − zp_w)` into int32 accumulators (wrapping), `+ bias` (int32), then
  /// `MultiplyByQuantizedMultiplier(acc, m, e) + zp_out` clamped to the activation's range, with
  /// `m, e = QuantizeMultiplier(Double(Float(s_x · s_w)) / Double(s_out))` (the legacy
  /// `GetQuantizedConvolutionMultipler` that transpose_conv.cc uses for uint8).
  fileprivate static func transposeConvUInt8(
    _ c: KernelContext, _ o: TransposeConvOptions, _ g: TransposeConvGeometry, _ xv: [UInt8], _ wv: [UInt8]
  ) throws(GoldenModelError) -> TensorData {
    let out = try c.outputTensor()
    guard out.elementType == .uint8 else {
      throw GoldenModelError(.invalidModel, c.location, "output is \(out.elementType); expected uint8 like the input")
    }
    let qx = try ElementwiseSupport.affine(c, try c.inputTensor(2))
    let qw = try ElementwiseSupport.affine(c, try c.inputTensor(1))
    let qo = try ElementwiseSupport.affine(c, out)
    let m = Requantize.productMultiplier(qx.scale, qw.scale, outputScale: qo.scale)
    let range = try Requantize.activationRange(o.activation, output: out, c)
    var bias: [Int32]?
    if let b = c.optionalValue(3) {
      guard case .int32(let values) = b.storage, values.count == g.outC else {
        throw GoldenModelError(
          .invalidModel, c.location, "bias is \(b.elementType) with \(b.count) values; expected \(g.outC) int32 values")
      }
      bias = values
    }
    var acc = [Int32](repeating: 0, count: g.outputCount)
    g.scatter(xv.map { Int32($0) &- qx.zeroPoint }, wv.map { Int32($0) &- qw.zeroPoint }) { acc[$0] &+= $1 &* $2 }
    var result = [UInt8](repeating: 0, count: acc.count)
    for i in acc.indices {
      var a = acc[i]
      if let bias { a &+= bias[i % g.outC] }
      let r = FixedPoint.multiplyByQuantizedMultiplier(a, m.multiplier, m.shift) &+ qo.zeroPoint
      result[i] = UInt8(Requantize.clamp(r, range))
    }
    return TensorData(shape: g.outputShape, storage: .uint8(result))
  }

  /// The float bias (input 3), or `nil` when absent.
  fileprivate static func transposeConvFloatBias(_ c: KernelContext, channels: Int) throws(GoldenModelError) -> [Float]?
  {
    guard let b = c.optionalValue(3) else { return nil }
    let v = try MatrixOperands.float32(b, "bias", c)
    guard v.count == channels else {
      throw GoldenModelError(.invalidModel, c.location, "bias has \(v.count) elements; expected \(channels)")
    }
    return v
  }
}

/// Shapes and padding of a TRANSPOSE_CONV, checked as TFLite's Prepare and Eval check them.
struct TransposeConvGeometry {
  var batches: Int, inH: Int, inW: Int, inC: Int
  var outH: Int, outW: Int, outC: Int
  var filterH: Int, filterW: Int
  var strideH: Int, strideW: Int
  var padTop: Int, padLeft: Int

  init(_ c: KernelContext, _ o: TransposeConvOptions) throws(GoldenModelError) {
    let shapeValue = try c.value(0)
    let x = try c.value(2).shape
    let w = try c.value(1).shape
    guard shapeValue.elementType == .int32, shapeValue.count == 4 else {
      throw GoldenModelError(
        .invalidModel, c.location,
        "output shape is \(shapeValue.elementType) with \(shapeValue.count) values; expected 4 int32 values")
    }
    let out = shapeValue.integerValues.map { Int(clamping: $0) }
    guard x.count == 4, w.count == 4 else {
      throw GoldenModelError(.invalidModel, c.location, "input \(x) and filter \(w) must be rank 4 (NHWC, OHWI)")
    }
    guard o.strideH > 0, o.strideW > 0, o.strideH <= Int(Int16.max), o.strideW <= Int(Int16.max) else {
      throw GoldenModelError(.invalidModel, c.location, "strides \(o.strideH)×\(o.strideW) must be in 1...32767")
    }
    guard x[1] > 0, x[2] > 0, x[3] > 0, w[0] > 0, w[1] > 0, w[2] > 0 else {
      throw GoldenModelError(.invalidModel, c.location, "input \(x) and filter \(w) need positive dimensions")
    }
    guard w[3] == x[3] else {
      throw GoldenModelError(.invalidModel, c.location, "input has \(x[3]) channels; the filter \(w) expects \(w[3])")
    }
    guard out[0] == x[0], out[1] > 0, out[2] > 0, out[3] == w[0] else {
      throw GoldenModelError(
        .invalidModel, c.location,
        "output shape \(out) must have the input's batch \(x[0]), positive height and width, and the filter's \(w[0]) channels"
      )
    }
    let h = o.padding.geometry(input: out[1], filter: w[1], stride: o.strideH)
    let wg = o.padding.geometry(input: out[2], filter: w[2], stride: o.strideW)
    guard h.output == x[1], wg.output == x[2] else {
      throw GoldenModelError(
        .invalidModel, c.location,
        "output \(out[1])×\(out[2]) with a \(w[1])×\(w[2]) filter, strides \(o.strideH)×\(o.strideW) and \(o.padding.rawValue) padding is the transpose of a \(h.output)×\(wg.output) input, not \(x[1])×\(x[2])"
      )
    }
    let elements = out.reduce(1) { $0.multipliedReportingOverflow(by: max($1, 0)).overflow ? Int.max : $0 * $1 }
    guard elements < Int(Int32.max) else {
      throw GoldenModelError(.badInput, c.location, "output shape \(out) has more than 2^31 - 1 elements")
    }
    batches = x[0]
    inH = x[1]
    inW = x[2]
    inC = x[3]
    outH = out[1]
    outW = out[2]
    outC = out[3]
    filterH = w[1]
    filterW = w[2]
    strideH = o.strideH
    strideW = o.strideW
    padTop = h.padBefore
    padLeft = wg.padBefore
  }

  var outputShape: [Int] { [batches, outH, outW, outC] }
  var outputCount: Int { batches * outH * outW * outC }

  /// TFLite's scatter loop: batch, input row, input column, input channel, filter row, filter
  /// column, output channel; `add(outputIndex, input, filter)` for every tap inside the output.
  func scatter<T>(_ x: [T], _ w: [T], _ add: (Int, T, T) -> Void) {
    for b in 0..<batches {
      for iy in 0..<inH {
        let originY = iy * strideH - padTop
        for ix in 0..<inW {
          let originX = ix * strideW - padLeft
          for ic in 0..<inC {
            let value = x[((b * inH + iy) * inW + ix) * inC + ic]
            for fy in 0..<filterH {
              let oy = originY + fy
              guard oy >= 0, oy < outH else { continue }
              for fx in 0..<filterW {
                let ox = originX + fx
                guard ox >= 0, ox < outW else { continue }
                let outBase = ((b * outH + oy) * outW + ox) * outC
                for oc in 0..<outC {
                  add(outBase + oc, value, w[((oc * filterH + fy) * filterW + fx) * inC + ic])
                }
              }
            }
          }
        }
      }
    }
  }
}
