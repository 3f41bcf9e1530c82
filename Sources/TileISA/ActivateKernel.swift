import Support

/// The `activate` loop nest over a range of output pixels, on raw pointers: one value is shared
/// by the workers of one instruction (`ExecutionParallelism`).
///
/// `@unchecked Sendable`: the pointers stay valid while `MachineState.activate` runs, workers
/// only read the accumulator, and the instruction is split only when its pixels' destination
/// bytes are disjoint (``destinationsAreDisjoint(_:)``), so no two workers write the same byte.
struct ActivateKernel: RangeKernel, @unchecked Sendable {
  /// The per-channel parameter table, decoded and checked.
  struct Parameters {
    var bias: [Int32]
    var multiplier: [Int32]
    var shift: [Int]
    var scale: [Double]
  }

  /// The fixed-point parameters in `SIMD4<Int32>` lanes, four channels per vector (zero-padded):
  /// `MultiplyByQuantizedMultiplier`'s left-shift factor `2^max(shift, 0)`, right shift
  /// `max(−shift, 0)` and its remainder mask.
  struct Lanes {
    var bias: [SIMD4<Int32>]
    var multiplier: [SIMD4<Int32>]
    var factor: [SIMD4<Int32>]
    var rightShift: [SIMD4<Int32>]
    var mask: [SIMD4<Int32>]

    /// Lanes for parameters whose shifts lie in −31...30 (`activate` checks that).
    init(_ p: Parameters) {
      let vectors = (p.bias.count + 3) / 4
      func lanes(_ values: [Int32]) -> [SIMD4<Int32>] {
        (0..<vectors).map { v in SIMD4((0..<4).map { l in v * 4 + l < values.count ? values[v * 4 + l] : 0 }) }
      }
      bias = lanes(p.bias)
      multiplier = lanes(p.multiplier)
      factor = lanes(p.shift.map { Int32(truncatingIfNeeded: Int64(1) << Int64(min(max($0, 0), 31))) })
      rightShift = lanes(p.shift.map { Int32(min(max(-$0, 0), 31)) })
      mask = lanes(p.shift.map { Int32(truncatingIfNeeded: (Int64(1) << Int64(min(max(-$0, 0), 31))) - 1) })
    }
  }

  let instruction: Activate
  let parameters: Parameters
  /// `parameters` in vector lanes (`fixedPoint` mode).
  let lanes: Lanes?
  let accumulator: UnsafePointer<Int32>
  /// Columns of one accumulator row (the array's columns).
  let accumulatorColumns: Int
  let unifiedBuffer: UnsafeMutablePointer<UInt8>

  /// Whether no two pixels' `columns` destination bytes overlap (strides are verified
  /// non-negative), so pixels may be written in any order with the serial loop's result.
  static func destinationsAreDisjoint(_ a: Activate) -> Bool {
    let d = a.destination
    let bytes = a.columns.multipliedSaturating(by: a.mode.outputElementBytes)  // issue 14: lstm
    let pixelsApart = a.width <= 1 || d.pixelStrideBytes >= bytes
    let rowsApart = a.height <= 1 || d.rowStrideBytes >= (a.width - 1) * d.pixelStrideBytes + bytes
    return pixelsApart && rowsApart
  }

  /// Rescales, offsets and clamps pixels `pixels` (indices `r · width + x`), in order.
  func run(range pixels: Range<Int>) {
    let a = instruction
    let d = a.destination
    let zeroPoint = Int(a.outputZeroPoint)
    let columns = a.columns
    let clampRange = a.clamp
    parameters.bias.withUnsafeBufferPointer { bias in
      parameters.multiplier.withUnsafeBufferPointer { multiplier in
        parameters.shift.withUnsafeBufferPointer { shift in
          parameters.scale.withUnsafeBufferPointer { scale in
            for p in pixels {
              let r = p / a.width
              let x = p - r * a.width
              let source = accumulator + (a.accRow.index + p) * accumulatorColumns
              let out = unifiedBuffer + d.address.byteOffset + r * d.rowStrideBytes + x * d.pixelStrideBytes
              switch a.mode {
              case .fixedPoint:
                if let lanes {
                  Self.fixedPoint(source, columns: columns, lanes, zeroPoint: zeroPoint, clamp: clampRange, into: out)
                  continue
                }
                for j in 0..<columns {
                  let scaled = FixedPoint.multiplyByQuantizedMultiplier(source[j] &+ bias[j], multiplier[j], shift[j])
                  out[j] = clamp(Int(scaled) + zeroPoint, clampRange)
                }
              case .floatScale:
                for j in 0..<columns {
                  let scaled = saturatingInt32(FixedPoint.roundHalfAwayFromZero(Double(source[j] &+ bias[j]) * scale[j]))
                  out[j] = clamp(Int(scaled) + zeroPoint, clampRange)
                }
              // issue 14: lstm
              case .fixedPointInt16, .fixedPointInt16Add:
                let add = a.mode == .fixedPointInt16Add
                for j in 0..<columns {
                  var v = Int64(FixedPoint.multiplyByQuantizedMultiplier(source[j] &+ bias[j], multiplier[j], shift[j]))
                  if add { v += Int64(Int16(bitPattern: UInt16(out[2 * j]) | UInt16(out[2 * j + 1]) << 8)) }
                  let bits = UInt16(bitPattern: Int16(clamping: v))
                  out[2 * j] = UInt8(truncatingIfNeeded: bits)
                  out[2 * j + 1] = UInt8(truncatingIfNeeded: bits >> 8)
                }
              }
            }
          }
        }
      }
    }
  }
}

extension ActivateKernel {
  /// The `fixedPoint` rescale of one pixel's `columns` accumulators, four channels per
  /// `SIMD4<Int32>`: `clamp(MultiplyByQuantizedMultiplier(acc + bias, multiplier, shift) + zp)`.
  ///
  /// `MultiplyByQuantizedMultiplier` in the form ``FixedPoint`` documents: `s = x · 2^left`
  /// (wrapping), the high product `h = (s · m + 2^30) >> 31` (floor; gemmlowp's sign-dependent
  /// nudge and truncating division come to exactly this), `Int32.max` when `s = m = Int32.min`,
  /// then the rounding right shift `(h >> e) + (h & mask > mask / 2 + (h < 0 ? 1 : 0) ? 1 : 0)`.
  /// The scaled value is limited to ±2^16 before the zero point is added, which changes no
  /// clamped result and keeps the sum inside `Int32` (the scalar loop adds in `Int`).
  @inline(__always)
  static func fixedPoint(
    _ source: UnsafePointer<Int32>, columns: Int, _ lanes: Lanes, zeroPoint: Int, clamp: ClosedRange<Int8>,
    into out: UnsafeMutablePointer<UInt8>
  ) {
    let zp = SIMD4<Int32>(repeating: Int32(zeroPoint))
    let lower = SIMD4<Int32>(repeating: Int32(clamp.lowerBound))
    let upper = SIMD4<Int32>(repeating: Int32(clamp.upperBound))
    let limit = SIMD4<Int32>(repeating: 1 << 16)
    lanes.bias.withUnsafeBufferPointer { bias in
      lanes.multiplier.withUnsafeBufferPointer { multiplier in
        lanes.factor.withUnsafeBufferPointer { factor in
          lanes.rightShift.withUnsafeBufferPointer { rightShift in
            lanes.mask.withUnsafeBufferPointer { mask in
              @inline(__always)
              func rescale(_ x: SIMD4<Int32>, _ v: Int) -> SIMD4<Int32> {
                let s = (x &+ bias[v]) &* factor[v]
                let m = multiplier[v]
                let product = SIMD4<Int64>(truncatingIfNeeded: s) &* SIMD4<Int64>(truncatingIfNeeded: m)
                var high = SIMD4<Int32>(truncatingIfNeeded: (product &+ SIMD4<Int64>(repeating: 1 << 30)) &>> 31)
                high.replace(with: .max, where: (s .== .min) .& (m .== .min))
                let remainder = high & mask[v]
                let threshold = (mask[v] &>> 1) &- (high &>> 31)
                let rounded = (high &>> rightShift[v]) &- SIMD4<Int32>.zero.replacing(with: -1, where: remainder .> threshold)
                return (rounded.clamped(lowerBound: 0 &- limit, upperBound: limit) &+ zp).clamped(
                  lowerBound: lower, upperBound: upper)
              }
              var j = 0
              while j + 4 <= columns {
                let r = rescale(UnsafeRawPointer(source + j).loadUnaligned(as: SIMD4<Int32>.self), j / 4)
                UnsafeMutableRawPointer(out + j).storeBytes(of: SIMD4<UInt8>(truncatingIfNeeded: r), as: SIMD4<UInt8>.self)
                j += 4
              }
              if j < columns {
                var x = SIMD4<Int32>.zero
                for l in 0..<columns - j { x[l] = source[j + l] }
                let r = rescale(x, j / 4)
                for l in 0..<columns - j { out[j + l] = UInt8(truncatingIfNeeded: r[l]) }
              }
            }
          }
        }
      }
    }
  }
}
