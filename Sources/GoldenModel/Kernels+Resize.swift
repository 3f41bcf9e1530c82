import GraphIR
import Support

// RESIZE_BILINEAR and RESIZE_NEAREST_NEIGHBOR, bit-exact with TFLite's reference kernels
// (`kernels/resize_bilinear.cc`, `kernels/resize_nearest_neighbor.cc`,
// `kernels/internal/reference/resize_bilinear.h` `ResizeBilinear` and `ResizeBilinearInteger`,
// `reference/resize_nearest_neighbor.h`). `docs/quantization.md` states the arithmetic.

extension Kernels {
  /// RESIZE_BILINEAR of a rank-4 NHWC input to the (height, width) of input 1.
  ///
  /// - float32: `ResizeBilinear<float>`: source coordinates and weights in `Float`, the four
  ///   products summed left to right.
  /// - uint8: the same float arithmetic plus 0.5, truncated (`ResizeBilinear<uint8_t>`).
  /// - int8, int16: `ResizeBilinearInteger`: scales and coordinates in units of 2⁻¹⁰, weights
  ///   multiplied in `Int64`, the sum rounded half away from zero by 2²⁰.
  ///
  /// Values are interpolated as stored; like TFLite, the output's quantization is not applied
  /// (the converter gives the output the input's scale and zero point).
  static func resizeBilinear(_ c: KernelContext, alignCorners: Bool, halfPixelCenters: Bool) throws(GoldenModelError)
    -> TensorData
  {
    let x = try c.value(0)
    let g = try ResizeGeometry(c, input: x.shape, alignCorners: alignCorners, halfPixelCenters: halfPixelCenters)
    if alignCorners && halfPixelCenters {
      throw GoldenModelError(
        .invalidModel, c.location, "align_corners and half_pixel_centers are both true; TFLite allows at most one")
    }
    switch x.storage {
    case .float32(let v):
      return TensorData(shape: g.outputShape, storage: .float32(g.bilinearFloat(v, rounding: 0)))
    case .uint8(let v):
      let f = g.bilinearFloat(v.map(Float.init), rounding: 0.5)
      // static_cast<uint8_t>(float): truncation toward zero (the values lie in 0...255.5).
      return TensorData(shape: g.outputShape, storage: .uint8(f.map { UInt8(clamping: Int32($0)) }))
    case .int8(let v):
      let r = g.bilinearInteger(v.map(Int64.init))
      return TensorData(shape: g.outputShape, storage: .int8(r.map { Int8(truncatingIfNeeded: $0) }))
    case .int16(let v):
      let r = g.bilinearInteger(v.map(Int64.init))
      return TensorData(shape: g.outputShape, storage: .int16(r.map { Int16(truncatingIfNeeded: $0) }))
    default:
      throw c.unsupported("RESIZE_BILINEAR on \(x.elementType)")
    }
  }

  /// RESIZE_NEAREST_NEIGHBOR of a rank-4 NHWC input to the (height, width) of input 1: every
  /// output pixel copies one input pixel (`GetNearestNeighbor`), any element type.
  static func resizeNearestNeighbor(_ c: KernelContext, alignCorners: Bool, halfPixelCenters: Bool)
    throws(GoldenModelError) -> TensorData
  {
    let x = try c.value(0)
    let g = try ResizeGeometry(c, input: x.shape, alignCorners: alignCorners, halfPixelCenters: halfPixelCenters)
    let rows = (0..<g.outH).map {
      ResizeGeometry.nearest(
        $0, input: g.inH, output: g.outH, alignCorners: alignCorners, halfPixelCenters: halfPixelCenters)
    }
    let cols = (0..<g.outW).map {
      ResizeGeometry.nearest(
        $0, input: g.inW, output: g.outW, alignCorners: alignCorners, halfPixelCenters: halfPixelCenters)
    }
    var picks: [Int] = []
    picks.reserveCapacity(g.batches * g.outH * g.outW * g.depth)
    for b in 0..<g.batches {
      for y in rows {
        for xx in cols {
          let base = ((b * g.inH + y) * g.inW + xx) * g.depth
          picks.append(contentsOf: base..<(base + g.depth))
        }
      }
    }
    return TensorData(shape: g.outputShape, storage: ElementwiseSupport.gather(x.storage, picks))
  }
}

/// Sizes and scales of a 2-D resize (input 1 holds the output height and width).
struct ResizeGeometry {
  var batches: Int, inH: Int, inW: Int, depth: Int
  var outH: Int, outW: Int
  var alignCorners: Bool, halfPixelCenters: Bool

  init(_ c: KernelContext, input: [Int], alignCorners: Bool, halfPixelCenters: Bool) throws(GoldenModelError) {
    guard input.count == 4 else {
      throw GoldenModelError(
        .invalidModel, c.location, "input has shape \(input); TFLite resizes rank-4 NHWC tensors only")
    }
    let size = try c.value(1)
    guard size.elementType == .int32, size.shape.count == 1, size.count == 2 else {
      throw GoldenModelError(
        .invalidModel, c.location, "size is \(size.elementType) \(size.shape); expected 2 int32 values (height, width)")
    }
    let hw = size.integerValues
    guard hw[0] > 0, hw[1] > 0, hw[0] <= Int64(Int32.max) >> 11, hw[1] <= Int64(Int32.max) >> 11 else {
      throw GoldenModelError(.badInput, c.location, "output size \(hw[0])×\(hw[1]) must be positive (and below 2^20)")
    }
    guard input[1] > 0, input[2] > 0, input[1] <= Int(Int32.max >> 11), input[2] <= Int(Int32.max >> 11) else {
      throw GoldenModelError(.invalidModel, c.location, "input \(input) has an empty or oversized spatial extent")
    }
    batches = input[0]
    inH = input[1]
    inW = input[2]
    depth = input[3]
    outH = Int(hw[0])
    outW = Int(hw[1])
    self.alignCorners = alignCorners
    self.halfPixelCenters = halfPixelCenters
  }

  var outputShape: [Int] { [batches, outH, outW, depth] }

  /// `GetNearestNeighbor`: the input index output index `o` copies.
  static func nearest(_ o: Int, input: Int, output: Int, alignCorners: Bool, halfPixelCenters: Bool) -> Int {
    let scale =
      alignCorners && output > 1 ? Float(input - 1) / Float(output - 1) : Float(input) / Float(output)
    let offset: Float = halfPixelCenters ? 0.5 : 0
    let position = (Float(o) + offset) * scale
    var v = Int(alignCorners ? position.rounded(.toNearestOrAwayFromZero) : position.rounded(.down))
    v = min(v, input - 1)
    if halfPixelCenters { v = max(0, v) }
    return v
  }

  /// Float source positions of `ResizeBilinear<T>` (`ComputeInterpolationValues`, float form):
  /// the position and its lower and upper neighbours, for each output index along one axis.
  static func floatTaps(output: Int, input: Int, alignCorners: Bool, halfPixelCenters: Bool)
    -> [(position: Float, lower: Int, upper: Int)]
  {
    var scale = Float(input) / Float(output)
    if alignCorners && output > 1 { scale = Float(input - 1) / Float(output - 1) }
    return (0..<output).map { o in
      let value = Float(o)
      let position = halfPixelCenters ? (value + 0.5) * scale - 0.5 : value * scale
      let lower = max(Int(position.rounded(.down)), 0)
      let upper = min(Int(position.rounded(.up)), input - 1)
      return (position, lower, upper)
    }
  }

  /// `ResizeBilinear<T>` with `rounding_offset` (0 for float, 0.5 for uint8), in `Float`.
  func bilinearFloat(_ v: [Float], rounding: Float) -> [Float] {
    let ys = Self.floatTaps(output: outH, input: inH, alignCorners: alignCorners, halfPixelCenters: halfPixelCenters)
    let xs = Self.floatTaps(output: outW, input: inW, alignCorners: alignCorners, halfPixelCenters: halfPixelCenters)
    var out = [Float](repeating: 0, count: batches * outH * outW * depth)
    var o = 0
    for b in 0..<batches {
      for (inputY, y0, y1) in ys {
        let dy = inputY - Float(y0)
        for (inputX, x0, x1) in xs {
          let dx = inputX - Float(x0)
          let p00 = ((b * inH + y0) * inW + x0) * depth
          let p10 = ((b * inH + y1) * inW + x0) * depth
          let p01 = ((b * inH + y0) * inW + x1) * depth
          let p11 = ((b * inH + y1) * inW + x1) * depth
          for ch in 0..<depth {
            var sum = v[p00 + ch] * (1 - dy) * (1 - dx)
            sum += v[p10 + ch] * dy * (1 - dx)
            sum += v[p01 + ch] * (1 - dy) * dx
            sum += v[p11 + ch] * dy * dx
            out[o] = sum + rounding
            o += 1
          }
        }
      }
    }
    return out
  }

  /// `ComputeInterpolationValuesInteger` along one axis: positions in units of 2⁻¹⁰ and the
  /// lower and upper neighbours (C++ integer division, truncating toward zero).
  static func integerTaps(output: Int, input: Int, alignCorners: Bool, halfPixelCenters: Bool)
    -> [(position: Int64, lower: Int, upper: Int)]
  {
    let one: Int64 = 1 << 10
    let inSize = Int64(input)
    let outSize = Int64(output)
    var scale = (one * inSize + outSize / 2) / outSize
    if alignCorners && output > 1 { scale = (one * (inSize - 1) + (outSize - 1) / 2) / (outSize - 1) }
    return (0..<output).map { o in
      let value = Int64(o)
      let position = halfPixelCenters ? value * scale + scale / 2 - (1 << 9) : value * scale
      let lower = max(position / one, 0)
      let upper = min((position + one - 1) / one, inSize - 1)
      return (position, Int(lower), Int(upper))
    }
  }

  /// `ResizeBilinearInteger`: `Σ value · weight_y · weight_x` in `Int64` with weights in units
  /// of 2⁻¹⁰, then `(sum ± 2¹⁹) / 2²⁰` (the sign of the sum picks the nudge; division truncates).
  func bilinearInteger(_ v: [Int64]) -> [Int64] {
    let ys = Self.integerTaps(output: outH, input: inH, alignCorners: alignCorners, halfPixelCenters: halfPixelCenters)
    let xs = Self.integerTaps(output: outW, input: inW, alignCorners: alignCorners, halfPixelCenters: halfPixelCenters)
    let one: Int64 = 1 << 10
    var out = [Int64](repeating: 0, count: batches * outH * outW * depth)
    var o = 0
    for b in 0..<batches {
      for (inputY, y0, y1) in ys {
        let wy1 = inputY - one * Int64(y0)
        let wy0 = one - wy1
        for (inputX, x0, x1) in xs {
          let wx1 = inputX - one * Int64(x0)
          let wx0 = one - wx1
          let p00 = ((b * inH + y0) * inW + x0) * depth
          let p10 = ((b * inH + y1) * inW + x0) * depth
          let p01 = ((b * inH + y0) * inW + x1) * depth
          let p11 = ((b * inH + y1) * inW + x1) * depth
          for ch in 0..<depth {
            let sum =
              v[p00 + ch] * wy0 * wx0 + v[p10 + ch] * wy1 * wx0 + v[p01 + ch] * wy0 * wx1 + v[p11 + ch] * wy1 * wx1
            let nudge: Int64 = sum > 0 ? 1 << 19 : -(1 << 19)
            out[o] = (sum + nudge) / (1 << 20)
            o += 1
          }
        }
      }
    }
    return out
  }
}
