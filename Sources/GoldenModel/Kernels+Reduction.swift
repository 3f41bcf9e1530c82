import Foundation
import GraphIR
import Support

// issue 14: transformer ops — SUM and REDUCE_PROD.

extension Kernels {
  /// The reduced axes of input 0 by the axis tensor (input 1), TFLite's `ResolveAxis` (negative
  /// axes from the end, duplicates ignored), and the output shape they give.
  static func reduction(_ c: KernelContext, keepDims: Bool) throws(GoldenModelError) -> (ReductionPlan, [Int]) {
    let x = try c.value(0)
    let rank = x.shape.count
    var axes: [Int] = []
    for a in try c.value(1).integerValues {
      let r = a < 0 ? Int(a) + rank : Int(a)
      guard r >= 0 && r < rank else {
        throw GoldenModelError(.invalidModel, c.location, "axis \(a) out of range for rank \(rank)")
      }
      if !axes.contains(r) { axes.append(r) }
    }
    let reduced = (0..<rank).map { axes.contains($0) }
    var shape: [Int] = []
    for (d, size) in x.shape.enumerated() {
      if reduced[d] {
        if keepDims { shape.append(1) }
      } else {
        shape.append(size)
      }
    }
    return (ReductionPlan(shape: x.shape, reduced: reduced), shape)
  }

  /// SUM (`reduce.cc` `EvalSum`). float32: `Float` sums in input (row-major) order
  /// (`ReduceGeneric`); int32/int64: wrapping sums; int8 as TF 2.21's BUILTIN_REF computes it
  /// (`int8SumAsReference`), int16 as its BUILTIN resolver does (`int16Sum`).
  static func sum(_ c: KernelContext, keepDims: Bool) throws(GoldenModelError) -> TensorData {
    let (plan, shape) = try reduction(c, keepDims: keepDims)
    let v = try c.value(0)
    switch v.storage {
    case .float32(let xs):
      var sums = [Float](repeating: 0, count: plan.outputCount)
      for (i, x) in xs.enumerated() { sums[plan.slots[i]] += x }
      return TensorData(shape: shape, storage: .float32(sums))
    case .int32(let xs):
      return TensorData(shape: shape, storage: .int32(plan.sums(xs)))
    case .int64(let xs):
      return TensorData(shape: shape, storage: .int64(plan.sums(xs)))
    // issue 14: sum
    case .int8(let xs):
      let bytes = try int8SumAsReference(c, xs, plan)
      return TensorData(shape: shape, storage: .int8(bytes.map { Int8(bitPattern: $0) }))
    case .int16(let xs):
      return TensorData(shape: shape, storage: .int16(try int16Sum(c, xs, plan)))
    default:
      throw c.unsupported("SUM on \(v.elementType)")
    }
  }

  // issue 14: sum
  /// The requantization of quantized SUM, as `PrepareMeanOrSum` sets it up:
  /// `M, s = QuantizeMultiplier(Double(s_in) / Double(s_out))` (no 1/N: that is MEAN's), with the
  /// zero points. Throws for an empty axis list (TFLite then copies, untested here), an output
  /// type other than the input's, and a multiplier whose shift `MultiplyByQuantizedMultiplier`
  /// cannot apply.
  static func sumRescale(_ c: KernelContext, _ plan: ReductionPlan) throws(GoldenModelError)
    -> (multiplier: Requantize.Multiplier, inputZeroPoint: Int64, outputZeroPoint: Int32)
  {
    guard try !c.value(1).integerValues.isEmpty else {
      throw c.unsupported("quantized SUM over no axes")
    }
    let x = try c.inputTensor(0)
    let out = try c.outputTensor()
    guard out.elementType == x.elementType else {
      throw GoldenModelError(.invalidModel, c.location, "output is \(out.elementType); expected \(x.elementType)")
    }
    let inQ = try c.quantization(of: x)
    let outQ = try c.quantization(of: out)
    let ratio = Double(inQ.scale) / Double(outQ.scale)
    guard ratio.isFinite, ratio > 0 else {
      throw GoldenModelError(
        .invalidModel, c.location, "SUM scales \(inQ.scale) / \(outQ.scale) are not a positive ratio")
    }
    let m = Requantize.Multiplier(real: ratio)
    guard (-31...30).contains(m.shift) else {
      throw GoldenModelError(
        .invalidModel, c.location,
        "SUM rescale \(inQ.scale) / \(outQ.scale) gives shift \(m.shift), outside -31...30")
    }
    return (m, Int64(inQ.zeroPoint), Int32(clamping: outQ.zeroPoint))
  }

  /// int8 SUM as TF 2.21's BUILTIN_REF computes it. `EvalSum<kReference>` sends int8 to
  /// `reference_ops::QuantizedMeanOrSum` through `GetTensorData<uint8_t>` for both the input and
  /// the output (`reduce.cc`, the reference branch of the `QuantizedMeanOrSum` wrapper), so the
  /// uint8 kernel runs on the int8 bytes: each byte is read as `u = q & 0xFF` (0...255), and
  /// per output
  /// `r = clamp(MultiplyByQuantizedMultiplier(Int32(Σu − zp_in · N), M, s) + zp_out, 0...255)`
  /// (`zp_in`, `zp_out` the int8 tensors' zero points, `N` the reduced count), stored as a byte
  /// that reads back as int8 (`r ≥ 128` → `r − 256`). Deterministic; docs/quantization.md has the
  /// source lines and the evidence. An empty input gives zeros, as the kernel's reset does.
  static func int8SumAsReference(_ c: KernelContext, _ xs: [Int8], _ plan: ReductionPlan) throws(GoldenModelError)
    -> [UInt8]
  {
    let (m, inZP, outZP) = try sumRescale(c, plan)
    guard plan.count > 0, !xs.isEmpty else { return [UInt8](repeating: 0, count: plan.outputCount) }
    let sums = plan.sums(xs.map { Int32(UInt8(bitPattern: $0)) })
    let n = Int64(plan.count)
    return sums.map { sum in
      let centred = Int32(truncatingIfNeeded: Int64(sum) &- inZP &* n)
      let r = FixedPoint.multiplyByQuantizedMultiplier(centred, m.multiplier, m.shift) &+ outZP
      return UInt8(Requantize.clamp(r, 0...255))
    }
  }

  /// int16 SUM as TF 2.21's BUILTIN (optimized) resolver computes it: the rescaled sum with a
  /// single rounding, saturated,
  /// `clamp((Int64(Int32(Σq − zp_in · N)) · M + 2^(30 − s)) >> (31 − s) + zp_out)` to −32768...32767
  /// (the converter gives int16 SUM equal scales and zero points 0, where this is the saturated
  /// sum; unequal scales were checked on patched files, `make_sum_models.py`). BUILTIN_REF is not
  /// reproducible for int16: it runs the uint8 kernel on the first N bytes of the int16 buffer
  /// and writes only the first `outputCount` bytes of the output, leaving the rest as whatever
  /// the arena held (docs/quantization.md).
  static func int16Sum(_ c: KernelContext, _ xs: [Int16], _ plan: ReductionPlan) throws(GoldenModelError) -> [Int16] {
    let (m, inZP, outZP) = try sumRescale(c, plan)
    guard plan.count > 0, !xs.isEmpty else { return [Int16](repeating: 0, count: plan.outputCount) }
    let sums = plan.sums(xs.map(Int64.init))
    let n = Int64(plan.count)
    let rightShift = Int64(31 - m.shift)  // 1...62: sumRescale keeps the shift in −31...30
    return sums.map { sum in
      let centred = Int64(Int32(truncatingIfNeeded: sum &- inZP &* n))
      let scaled = (centred * Int64(m.multiplier) + (Int64(1) << (rightShift - 1))) >> rightShift
      let r = scaled + Int64(outZP)
      return Int16(min(max(r, Int64(Int16.min)), Int64(Int16.max)))
    }
  }

  /// REDUCE_PROD (`reduce.cc` `EvalProd` → `ReduceGeneric` with `*`, from 1): float32 products
  /// in input order; int32/int64 wrapping; int8 and int16 `QuantizedReduceProd` (below).
  static func reduceProd(_ c: KernelContext, keepDims: Bool) throws(GoldenModelError) -> TensorData {
    let (plan, shape) = try reduction(c, keepDims: keepDims)
    let v = try c.value(0)
    switch v.storage {
    case .float32(let xs):
      var products = [Float](repeating: 1, count: plan.outputCount)
      for (i, x) in xs.enumerated() { products[plan.slots[i]] *= x }
      return TensorData(shape: shape, storage: .float32(products))
    case .int32(let xs):
      var products = [Int32](repeating: 1, count: plan.outputCount)
      for (i, x) in xs.enumerated() { products[plan.slots[i]] &*= x }
      return TensorData(shape: shape, storage: .int32(products))
    case .int64(let xs):
      var products = [Int64](repeating: 1, count: plan.outputCount)
      for (i, x) in xs.enumerated() { products[plan.slots[i]] &*= x }
      return TensorData(shape: shape, storage: .int64(products))
    case .int16(let xs):
      // issue 14: int16 — reduce.cc PrepareProd / `QuantizedReduceProd<int16_t>`.
      let products = try quantizedProduct(c, xs.map(Int32.init), plan, range: Int32(Int16.min)...Int32(Int16.max))
      return TensorData(shape: shape, storage: .int16(products.map { Int16($0) }))
    case .int8(let xs):
      // The same template, `QuantizedReduceProd<int8_t>`.
      let products = try quantizedProduct(c, xs.map(Int32.init), plan, range: Int32(Int8.min)...Int32(Int8.max))
      return TensorData(shape: shape, storage: .int8(products.map { Int8($0) }))
    default:
      throw c.unsupported("REDUCE_PROD on \(v.elementType)")
    }
  }

  /// REDUCE_PROD int8 and int16 (`QuantizedReduceProd<T>`): with `n` = input size / output size and
  /// `m, e = QuantizeMultiplier(s_in / s_out^(1/n))` (double, `GetQuantProdScaling`), each output
  /// starts from its first input in row-major order, `p = q − zp_in`, and every further input
  /// gives `p = MultiplyByQuantizedMultiplier(Int64(p) · (q − zp_in), m, e)` (the 64-bit form
  /// with the multiplier rounded to 16 bits); finally
  /// `clamp(MultiplyByQuantizedMultiplier(Int64(p), m, e) + zp_out)` to the type's range.
  fileprivate static func quantizedProduct(
    _ c: KernelContext, _ xs: [Int32], _ plan: ReductionPlan, range: ClosedRange<Int32>
  ) throws(GoldenModelError) -> [Int32] {
    let inQ = try ElementwiseSupport.affine(c, try c.inputTensor(0))
    let outQ = try ElementwiseSupport.affine(c, try c.outputTensor())
    guard !xs.isEmpty, plan.outputCount > 0 else {
      throw GoldenModelError(.invalidModel, c.location, "REDUCE_PROD of an empty tensor")
    }
    let n = xs.count / plan.outputCount
    let scaling = Double(inQ.scale) / Foundation.pow(Double(outQ.scale), 1.0 / Double(n))
    let m = try ElementwiseSupport.multiplier(c, scaling)
    try Requantize.checkWideShift([m], c)
    var products = [Int32](repeating: 0, count: plan.outputCount)
    var started = [Bool](repeating: false, count: plan.outputCount)
    for (i, q) in xs.enumerated() {
      let slot = plan.slots[i]
      let v = q - inQ.zeroPoint
      if started[slot] {
        // issue 14: prod — the step shared with `vreduce fn=prod`
        products[slot] = FixedPoint.productStep(products[slot], v, multiplier: m.multiplier, shift: m.shift)
      } else {
        products[slot] = v
        started[slot] = true
      }
    }
    return products.map { p in
      FixedPoint.productOutput(
        p, multiplier: m.multiplier, shift: m.shift, outputZeroPoint: outQ.zeroPoint, range: range)
    }
  }
}
