import Support

/// `MultiplyByQuantizedMultiplier(x, multiplier, shift)` on four `Int32` lanes with one
/// multiplier and shift, for the `vector` operations.
///
/// The form ``FixedPoint`` documents, unfolded: `s = x · 2^left` (wrapping), the high product
/// `h = (s · m + 2^30) >> 31` (floor; gemmlowp's sign-dependent nudge and truncating division
/// come to exactly this), `Int32.max` when `s = m = Int32.min`, then the rounding right shift
/// `(h >> e) + (h & mask > mask / 2 + (h < 0 ? 1 : 0) ? 1 : 0)`. Only for shifts in −31...30
/// (the range the scalar helper accepts without trapping).
struct UniformRescale {
  let multiplier: Int32
  let factor: Int32
  let rightShift: Int32
  let mask: Int32

  /// `nil` when `shift` lies outside −31...30.
  init?(multiplier: Int32, shift: Int) {
    guard (-31...30).contains(shift) else { return nil }
    self.multiplier = multiplier
    factor = Int32(1) << Int32(max(shift, 0))
    rightShift = Int32(max(-shift, 0))
    mask = Int32(truncatingIfNeeded: (Int64(1) << Int64(rightShift)) - 1)
  }

  @inline(__always)
  func callAsFunction(_ x: SIMD4<Int32>) -> SIMD4<Int32> {
    let s = x &* factor
    let product = SIMD4<Int64>(truncatingIfNeeded: s) &* Int64(multiplier)
    var high = SIMD4<Int32>(truncatingIfNeeded: (product &+ (1 << 30)) &>> 31)
    if multiplier == .min { high.replace(with: .max, where: s .== .min) }
    let remainder = high & mask
    let threshold = (mask &>> 1) &- (high &>> 31)
    return (high &>> rightShift) &- SIMD4<Int32>.zero.replacing(with: -1, where: remainder .> threshold)
  }
}

extension UniformRescale {
  /// The rescale of `(x − zeroPoint) · factor` for every int8 `x`, at `x + 128` (the caller
  /// has checked that the product cannot overflow).
  func table(zeroPoint: Int32, factor: Int32) -> [Int32] {
    var table = [Int32](repeating: 0, count: 256)
    for v in stride(from: -128, to: 128, by: 4) {
      let x = SIMD4<Int32>(Int32(v), Int32(v + 1), Int32(v + 2), Int32(v + 3))
      let r = self((x &- zeroPoint) &* factor)
      for l in 0..<4 { table[v + 128 + l] = r[l] }
    }
    return table
  }
}

extension MachineState {
  /// Whether the elements of `output` may be written four at a time after reading the same four
  /// of `input`: the views' bytes are disjoint, or they are the same view with distinct bytes
  /// along a row (in place). The serial loop reads each element just before writing it; either
  /// way no element reads a byte another element of its group writes.
  static func lanesAreSafe(_ output: VectorView, _ input: VectorView, outer: Int, inner: Int) -> Bool {
    if output == input { return inner <= 1 || output.innerStrideBytes > 0 }
    func span(_ v: VectorView) -> ClosedRange<Int> {
      let first = v.address.byteOffset
      return first...(first + (outer - 1) * v.outerStrideBytes + (inner - 1) * v.innerStrideBytes)
    }
    return !span(output).overlaps(span(input))
  }

  /// `OUT[i][j] = f(A[i][j], B[i][j])` four elements at a time (in i-then-j order, as
  /// `elementwise`), `f` on lanes of `Int32`s and its result clamped to `clamp`; `false` (and
  /// nothing written) when the views overlap in a way that makes grouping visible.
  @inline(__always)
  mutating func elementwiseLanes(
    _ o: BinaryOperands, clamp range: ClosedRange<Int8>, _ f: (SIMD4<Int32>, SIMD4<Int32>) -> SIMD4<Int32>
  ) -> Bool {
    guard o.outer > 0, o.inner > 0 else { return true }
    guard Self.lanesAreSafe(o.output, o.a, outer: o.outer, inner: o.inner),
      Self.lanesAreSafe(o.output, o.b, outer: o.outer, inner: o.inner)
    else { return false }
    let lower = SIMD4<Int32>(repeating: Int32(range.lowerBound))
    let upper = SIMD4<Int32>(repeating: Int32(range.upperBound))
    unifiedBuffer.withUnsafeMutableBufferPointer { ub in
      guard let ub = ub.baseAddress else { return }
      let (sa, sb, so) = (o.a.innerStrideBytes, o.b.innerStrideBytes, o.output.innerStrideBytes)
      for i in 0..<o.outer {
        let a = ub + o.a.address.byteOffset + i * o.a.outerStrideBytes
        let b = ub + o.b.address.byteOffset + i * o.b.outerStrideBytes
        let out = ub + o.output.address.byteOffset + i * o.output.outerStrideBytes
        var j = 0
        while j + 4 <= o.inner {
          let r = f(Self.lanes(a + j * sa, stride: sa), Self.lanes(b + j * sb, stride: sb))
          Self.store(r.clamped(lowerBound: lower, upperBound: upper), to: out + j * so, stride: so)
          j += 4
        }
        if j < o.inner {
          let count = o.inner - j
          var x = SIMD4<Int32>.zero
          var y = SIMD4<Int32>.zero
          for l in 0..<count {
            x[l] = Int32(Int8(bitPattern: a[(j + l) * sa]))
            y[l] = Int32(Int8(bitPattern: b[(j + l) * sb]))
          }
          let r = f(x, y).clamped(lowerBound: lower, upperBound: upper)
          for l in 0..<count { out[(j + l) * so] = UInt8(truncatingIfNeeded: r[l]) }
        }
      }
    }
    return true
  }

  /// Four int8 elements `stride` bytes apart, widened.
  @inline(__always)
  static func lanes(_ p: UnsafeMutablePointer<UInt8>, stride: Int) -> SIMD4<Int32> {
    if stride == 1 {
      return SIMD4<Int32>(truncatingIfNeeded: UnsafeRawPointer(p).loadUnaligned(as: SIMD4<Int8>.self))
    }
    return SIMD4<Int32>(
      Int32(Int8(bitPattern: p[0])), Int32(Int8(bitPattern: p[stride])), Int32(Int8(bitPattern: p[2 * stride])),
      Int32(Int8(bitPattern: p[3 * stride])))
  }

  /// Stores four clamped lanes as bytes `stride` apart, in order.
  @inline(__always)
  static func store(_ r: SIMD4<Int32>, to p: UnsafeMutablePointer<UInt8>, stride: Int) {
    let bytes = SIMD4<UInt8>(truncatingIfNeeded: r)
    if stride == 1 {
      UnsafeMutableRawPointer(p).storeBytes(of: bytes, as: SIMD4<UInt8>.self)
      return
    }
    p[0] = bytes[0]
    p[stride] = bytes[1]
    p[2 * stride] = bytes[2]
    p[3 * stride] = bytes[3]
  }

  /// `OUT[i][j] = f(SRC[i][j])` four elements at a time, as ``elementwiseLanes(_:clamp:_:)``.
  @inline(__always)
  mutating func unaryLanes(
    _ o: UnaryOperands, clamp range: ClosedRange<Int8>, _ f: (SIMD4<Int32>) -> SIMD4<Int32>
  ) -> Bool {
    guard o.outer > 0, o.inner > 0 else { return true }
    guard Self.lanesAreSafe(o.output, o.source, outer: o.outer, inner: o.inner) else { return false }
    let lower = SIMD4<Int32>(repeating: Int32(range.lowerBound))
    let upper = SIMD4<Int32>(repeating: Int32(range.upperBound))
    unifiedBuffer.withUnsafeMutableBufferPointer { ub in
      guard let ub = ub.baseAddress else { return }
      let (ss, so) = (o.source.innerStrideBytes, o.output.innerStrideBytes)
      for i in 0..<o.outer {
        let s = ub + o.source.address.byteOffset + i * o.source.outerStrideBytes
        let out = ub + o.output.address.byteOffset + i * o.output.outerStrideBytes
        var j = 0
        while j + 4 <= o.inner {
          let r = f(Self.lanes(s + j * ss, stride: ss))
          Self.store(r.clamped(lowerBound: lower, upperBound: upper), to: out + j * so, stride: so)
          j += 4
        }
        if j < o.inner {
          let count = o.inner - j
          var x = SIMD4<Int32>.zero
          for l in 0..<count { x[l] = Int32(Int8(bitPattern: s[(j + l) * ss])) }
          let r = f(x).clamped(lowerBound: lower, upperBound: upper)
          for l in 0..<count { out[(j + l) * so] = UInt8(truncatingIfNeeded: r[l]) }
        }
      }
    }
    return true
  }
}

/// `raw + zeroPoint` for the clamp that follows, computed in `Int32` without overflow: `raw` is
/// first limited to ±2^16, which changes no result clamped to the int8 range (the scalar loops
/// add in `Int`).
@inline(__always)
func offsetForClamp(_ raw: SIMD4<Int32>, _ zeroPoint: Int8) -> SIMD4<Int32> {
  raw.clamped(lowerBound: SIMD4(repeating: -(1 << 16)), upperBound: SIMD4(repeating: 1 << 16)) &+ Int32(zeroPoint)
}
