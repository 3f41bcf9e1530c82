import Foundation
import GraphIR
import Support

// ADD, SUB, MUL, SQUARED_DIFFERENCE (broadcasting binary ops), NEG and RSQRT.
// Arithmetic and sources: docs/quantization.md.

extension Kernels {
  static func add(_ c: KernelContext, activation: FusedActivation) throws(GoldenModelError) -> TensorData {
    try binary(c, .add, activation)
  }
  static func sub(_ c: KernelContext, activation: FusedActivation) throws(GoldenModelError) -> TensorData {
    try binary(c, .sub, activation)
  }
  static func mul(_ c: KernelContext, activation: FusedActivation) throws(GoldenModelError) -> TensorData {
    try binary(c, .mul, activation)
  }
  static func squaredDifference(_ c: KernelContext) throws(GoldenModelError) -> TensorData {
    try binary(c, .squaredDifference, .none)
  }

  /// NEG: `−x` on the stored values. For int8/int16 TFLite negates the raw integer and ignores the
  /// quantization parameters (wrapping −128 to −128); we do the same.
  static func neg(_ c: KernelContext) throws(GoldenModelError) -> TensorData {
    let x = try c.value(0)
    let storage: TensorData.Storage
    switch x.storage {
    case .float32(let v): storage = .float32(v.map { -$0 })
    case .int8(let v): storage = .int8(v.map { 0 &- $0 })
    case .int16(let v): storage = .int16(v.map { 0 &- $0 })
    case .int32(let v): storage = .int32(v.map { 0 &- $0 })
    case .int64(let v): storage = .int64(v.map { 0 &- $0 })
    default: throw c.unsupported("NEG on \(x.elementType)")
    }
    return TensorData(shape: x.shape, storage: storage)
  }

  /// RSQRT: float `1 / sqrtf(x)`; int8 by TFLite's fixed-point inverse square root (one table of
  /// 256 entries per op).
  static func rsqrt(_ c: KernelContext) throws(GoldenModelError) -> TensorData {
    typealias S = ElementwiseSupport
    let x = try c.value(0)
    switch x.storage {
    case .float32(let v):
      return TensorData(shape: x.shape, storage: .float32(v.map { 1 / $0.squareRoot() }))
    case .int8(let v):
      let inQ = try S.affine(c, try c.inputTensor(0))
      let outTensor = try c.outputTensor()
      guard outTensor.elementType == .int8 else { throw c.unsupported("RSQRT int8 → \(outTensor.elementType)") }
      let outQ = try S.affine(c, outTensor)
      if let bad = v.first(where: { Int32($0) < inQ.zeroPoint }) {
        throw GoldenModelError(
          .badInput, c.location,
          "RSQRT is only defined for non-negative values; input \(bad) is below the zero point \(inQ.zeroPoint)")
      }
      // SetRsqrtOutputMultiplier: 1 / (sqrtf(input_scale) * output_scale), the product in float.
      let m = try S.multiplier(c, 1 / Double(inQ.scale.squareRoot() * outQ.scale))
      let kShift = 20
      guard m.shift - kShift >= -31 else {
        throw c.unsupported("RSQRT output multiplier shift \(m.shift) leaves a right shift above 31")
      }
      let outM = S.Multiplier(multiplier: m.multiplier, shift: m.shift - kShift)
      let table = S.table8(type: .int8) { q in
        let value = q - inQ.zeroPoint
        if value <= 0 { return 127 }  // 0 maps to the largest output; negatives were rejected above
        let (invM, invShift) = S.Q.inverseSqrtMultiplier(value, reverseShift: -1)
        let data = S.Q.multiply(1, S.Multiplier(multiplier: invM, shift: invShift + kShift))
        let out = S.Q.multiply(data, outM) + outQ.zeroPoint
        return min(max(out, -128), 127)
      }
      return TensorData(shape: x.shape, storage: .int8(v.map { Int8(truncatingIfNeeded: table[Int($0) + 128]) }))
    case .int16(let v):
      // int16: the 513-entry table of RSQRT's Prepare (float arithmetic); inputs ≤ 0 map to
      // the largest representable output.
      let inQ = try S.affine(c, try c.inputTensor(0))
      let outQ = try S.affine(c, try c.outputTensor())
      guard inQ.zeroPoint == 0, outQ.zeroPoint == 0 else {
        throw c.unsupported("RSQRT int16 with a non-zero zero point")
      }
      if let bad = v.first(where: { $0 < 0 }) {
        throw GoldenModelError(
          .badInput, c.location, "RSQRT is only defined for non-negative values; input \(bad) is negative")
      }
      let table = S.populateLUT16(inputScale: inQ.scale, inputZeroPoint: 0, outputScale: outQ.scale, outputZeroPoint: 0)
      {
        $0 <= 0 ? Float(Int16.max) * outQ.scale : 1 / $0.squareRoot()
      }
      return TensorData(shape: x.shape, storage: .int16(v.map { S.lookup16($0, table) }))
    default:
      throw c.unsupported("RSQRT on \(x.elementType)")
    }
  }

  fileprivate enum BinaryOp: String {
    case add = "ADD", sub = "SUB", mul = "MUL", squaredDifference = "SQUARED_DIFFERENCE"
  }

  /// The broadcasting binary ops: shapes, then one loop per element type.
  fileprivate static func binary(_ c: KernelContext, _ op: BinaryOp, _ activation: FusedActivation)
    throws(GoldenModelError) -> TensorData
  {
    let a = try c.value(0)
    let b = try c.value(1)
    guard a.elementType == b.elementType else {
      throw GoldenModelError(.invalidModel, c.location, "input types differ: \(a.elementType) and \(b.elementType)")
    }
    guard let shape = Broadcast.shape(a.shape, b.shape) else {
      throw GoldenModelError(.invalidModel, c.location, "shapes \(a.shape) and \(b.shape) do not broadcast")
    }
    let ia = ElementwiseSupport.broadcastIndices(input: a.shape, output: shape)
    let ib = ElementwiseSupport.broadcastIndices(input: b.shape, output: shape)
    let n = TensorData.elementCount(of: shape)

    func map2<T, R>(_ x: [T], _ y: [T], _ f: (T, T) -> R) -> [R] {
      var out = [R]()
      out.reserveCapacity(n)
      for i in 0..<n {
        out.append(f(x[ia?[i] ?? i], y[ib?[i] ?? i]))
      }
      return out
    }
    func integer<T: FixedWidthInteger>(_ x: [T], _ y: [T]) -> [T] {
      let (lo, hi) = ElementwiseSupport.integerRange(activation, T.self)
      return map2(x, y) { p, q in
        let r: T =
          switch op {
          case .add: p &+ q
          case .sub: p &- q
          case .mul: p &* q
          case .squaredDifference: (p &- q) &* (p &- q)
          }
        return min(max(r, lo), hi)
      }
    }

    let storage: TensorData.Storage
    switch (a.storage, b.storage) {
    case (.float32(let x), .float32(let y)):
      let (lo, hi) = ElementwiseSupport.floatRange(activation)
      storage = .float32(
        map2(x, y) { p, q in
          let r: Float =
            switch op {
            case .add: p + q
            case .sub: p - q
            case .mul: p * q
            case .squaredDifference: (p - q) * (p - q)
            }
          return Requantize.clamp(r, lo, hi)
        })
    case (.int32(let x), .int32(let y)):
      storage = .int32(integer(x, y))
    case (.int64(let x), .int64(let y)):
      storage = .int64(integer(x, y))
    case (.int8(let x8), .int8(let y8)) where ia == nil && ib == nil && n > 65_536:
      // Large int8 tensors of one shape: every input pair evaluated once into a table of
      // outputs, then looked up straight from the int8 storage.
      let out = try c.outputTensor()
      guard out.elementType == .int8 else { throw c.unsupported("\(op.rawValue) int8 → \(out.elementType)") }
      let f = try quantizedBinary(c, op, activation, type: .int8)
      var table = [Int8](repeating: 0, count: 65_536)
      for p in -128...127 {
        for q in -128...127 { table[(p + 128) << 8 | (q + 128)] = Int8(truncatingIfNeeded: f(Int32(p), Int32(q))) }
      }
      var values = [Int8](repeating: 0, count: n)
      table.withUnsafeBufferPointer { t in
        x8.withUnsafeBufferPointer { x in
          y8.withUnsafeBufferPointer { y in
            values.withUnsafeMutableBufferPointer { v in
              for i in 0..<n { v[i] = t[Int(UInt8(bitPattern: x[i]) ^ 0x80) << 8 | Int(UInt8(bitPattern: y[i]) ^ 0x80)] }
            }
          }
        }
      }
      storage = .int8(values)
    case (.int8, .int8), (.uint8, .uint8), (.int16, .int16):
      let out = try c.outputTensor()
      guard out.elementType == a.elementType, let x = ElementwiseSupport.integers(a),
        let y = ElementwiseSupport.integers(b)
      else {
        throw c.unsupported("\(op.rawValue) \(a.elementType) → \(out.elementType)")
      }
      let f = try quantizedBinary(c, op, activation, type: a.elementType)
      let xa = ia.map { $0.map { x[$0] } } ?? x
      let ya = ib.map { $0.map { y[$0] } } ?? y
      var values = [Int32](repeating: 0, count: n)
      if a.elementType != .int16, n > 65_536, let range = a.elementType.integerRange {
        // Large 8-bit tensors: evaluate every input pair once.
        let lo = range.lowerBound
        var table = [Int32](repeating: 0, count: 65_536)
        for p in range {
          for q in range { table[Int(p - lo) << 8 | Int(q - lo)] = f(p, q) }
        }
        for i in 0..<n { values[i] = table[Int(xa[i] - lo) << 8 | Int(ya[i] - lo)] }
      } else {
        for i in 0..<n { values[i] = f(xa[i], ya[i]) }
      }
      guard let s = ElementwiseSupport.storage(values, as: a.elementType) else {
        throw c.unsupported("\(op.rawValue) on \(a.elementType)")
      }
      storage = s
    default:
      throw c.unsupported("\(op.rawValue) on \(a.elementType)")
    }
    return TensorData(shape: shape, storage: storage)
  }

  /// The quantized (int8, uint8, int16) arithmetic of a binary op as a function of the two
  /// widened input values (parameters derived as the op's Prepare does).
  fileprivate static func quantizedBinary(
    _ c: KernelContext, _ op: BinaryOp, _ activation: FusedActivation, type: ElementType
  ) throws(GoldenModelError) -> (Int32, Int32) -> Int32 {
    typealias S = ElementwiseSupport
    let q1 = try S.affine(c, try c.inputTensor(0))
    let q2 = try S.affine(c, try c.inputTensor(1))
    let outQ = try S.affine(c, try c.outputTensor())
    let range = S.quantizedRange(activation, outQ, type)
    let (lo, hi) = (range.lowerBound, range.upperBound)
    if type == .int16 && (q1.zeroPoint != 0 || q2.zeroPoint != 0 || outQ.zeroPoint != 0) {
      throw c.unsupported("\(op.rawValue) int16 with a non-zero zero point (TFLite requires symmetric int16)")
    }

    switch op {
    case .add, .sub:
      // add.cc / sub.cc Prepare (general path; int16 ADD from the converter sets
      // pot_scale_int16 = false, so it takes this path with a 15-bit pre-shift).
      let leftShift: Int32 = type == .int16 ? 15 : 20
      let twiceMax = Double(2 * max(q1.scale, q2.scale))
      let m1 = try S.smallerThanOneMultiplier(c, Double(q1.scale) / twiceMax, "input 0")
      let m2 = try S.smallerThanOneMultiplier(c, Double(q2.scale) / twiceMax, "input 1")
      let outReal = twiceMax / Double(Float(Int32(1) << leftShift) * outQ.scale)
      let mOut = try S.smallerThanOneMultiplier(c, outReal, "output")
      let off1 = -q1.zeroPoint
      let off2 = -q2.zeroPoint
      let outOff = outQ.zeroPoint
      let isAdd = op == .add
      return { p, q in
        let s1 = S.Q.multiplySmallerThanOne((p + off1) &* (1 << leftShift), m1)
        let s2 = S.Q.multiplySmallerThanOne((q + off2) &* (1 << leftShift), m2)
        let raw = isAdd ? s1 &+ s2 : s1 &- s2
        let out = S.Q.multiplySmallerThanOne(raw, mOut) &+ outOff
        return min(max(out, lo), hi)
      }
    case .mul:
      // mul.cc Prepare: input1.scale * input2.scale / output.scale evaluated in float.
      let m = try S.multiplier(c, Double(q1.scale * q2.scale / outQ.scale))
      let off1 = -q1.zeroPoint
      let off2 = -q2.zeroPoint
      let outOff = outQ.zeroPoint
      return { p, q in
        let out = outOff &+ S.Q.multiply((p + off1) &* (q + off2), m)
        return min(max(out, lo), hi)
      }
    case .squaredDifference:
      guard type == .int8 else { throw c.unsupported("SQUARED_DIFFERENCE on \(type)") }
      let leftShift: Int32 = 7
      let twiceMax = Double(2 * max(q1.scale, q2.scale))
      let m1 = try S.smallerThanOneMultiplier(c, Double(q1.scale) / twiceMax, "input 0")
      let m2 = try S.smallerThanOneMultiplier(c, Double(q2.scale) / twiceMax, "input 1")
      let outReal = (twiceMax * twiceMax) / Double(Float(Int32(1) << (2 * leftShift)) * outQ.scale)
      let mOut = try S.smallerThanOneMultiplier(c, outReal, "output")
      let off1 = -q1.zeroPoint
      let off2 = -q2.zeroPoint
      let outOff = outQ.zeroPoint
      return { p, q in
        let s1 = S.Q.multiplySmallerThanOne((p + off1) &* (1 << leftShift), m1)
        let s2 = S.Q.multiplySmallerThanOne((q + off2) &* (1 << leftShift), m2)
        let d = s1 &- s2
        let out = S.Q.multiplySmallerThanOne(d &* d, mOut) &+ outOff
        return min(max(out, -128), 127)
      }
    }
  }
}
