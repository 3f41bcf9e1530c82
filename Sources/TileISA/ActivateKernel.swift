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

  let instruction: Activate
  let parameters: Parameters
  let accumulator: UnsafePointer<Int32>
  /// Columns of one accumulator row (the array's columns).
  let accumulatorColumns: Int
  let unifiedBuffer: UnsafeMutablePointer<UInt8>

  /// Whether no two pixels' `columns` destination bytes overlap (strides are verified
  /// non-negative), so pixels may be written in any order with the serial loop's result.
  static func destinationsAreDisjoint(_ a: Activate) -> Bool {
    let d = a.destination
    let pixelsApart = a.width <= 1 || d.pixelStrideBytes >= a.columns
    let rowsApart = a.height <= 1 || d.rowStrideBytes >= (a.width - 1) * d.pixelStrideBytes + a.columns
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
                for j in 0..<columns {
                  let scaled = FixedPoint.multiplyByQuantizedMultiplier(source[j] &+ bias[j], multiplier[j], shift[j])
                  out[j] = clamp(Int(scaled) + zeroPoint, clampRange)
                }
              case .floatScale:
                for j in 0..<columns {
                  let scaled = saturatingInt32(FixedPoint.roundHalfAwayFromZero(Double(source[j] &+ bias[j]) * scale[j]))
                  out[j] = clamp(Int(scaled) + zeroPoint, clampRange)
                }
              }
            }
          }
        }
      }
    }
  }
}
