import Architecture
import Foundation
import GraphIR
import Support
import TileISA

// issue 14: prod

/// REDUCE_PROD int8 → int8 (`vreduce fn=prod`): the reduced axes viewed as outer × reduced ×
/// inner, with MEAN's layouts and tiling (`MeanWork`); each column is walked in row order, which
/// is the input's row-major order for its output, so the chain of rescaled products is TFLite's.
extension OperatorLegalizer {
  /// The parameters of `QuantizedReduceProd<int8_t>` (`reduce.cc`, `GetQuantProdScaling`):
  /// `m, e = QuantizeMultiplier(s_in / s_out^(1/n))` in double with `n` the reduced count, the
  /// shift in the 64-bit multiply's range −31...7; one column and its output in the unified buffer.
  func reduceProduct() -> Decision {
    guard let xID = op.input(0), let x = input(0), let out = output, let axesData = input(1)?.data else {
      return host("the axes are not constant")
    }
    guard !floatDatapath else { return host("float32 datapath; vreduce fn=prod multiplies int8 values") }
    guard x.elementType == .int8, out.elementType == .int8 else {
      return host("\(x.elementType) → \(out.elementType); vreduce fn=prod multiplies int8 values")
    }
    let rank = x.shape.count
    let (axes, outOfRange) = Self.resolveAxes(axesData.integerValues, rank: rank)
    if let a = outOfRange { return host("axis \(a) out of range for rank \(rank)") }
    guard let (batches, pixels, channels) = Self.reductionLayout(x.shape, axes: axes) else {
      return host(
        "axes \(axes.sorted()) of \(x.shape) are not contiguous; vreduce reduces one run of adjacent axes (outer × reduced × inner)"
      )
    }
    guard batches * channels > 0, out.elementCount == batches * channels else {
      return host("output shape \(out.shape) does not match")
    }
    guard let xq = affine(x), let oq = affine(out) else { return host("missing or per-channel quantization") }
    let scaling = Double(xq.scale) / Foundation.pow(Double(oq.scale), 1.0 / Double(pixels))
    guard let m = TFLiteQuantization.multiplier(scaling) else {
      return host("rescaling \(scaling) is not a finite non-negative number")
    }
    guard FixedPoint.wideShifts.contains(m.shift) else {
      return host(
        "rescaling shift \(m.shift) outside \(FixedPoint.wideShifts) (input scale \(xq.scale), output scale \(oq.scale), \(pixels) elements)"
      )
    }
    let eb = state.elementBytes
    let capacity = Int(state.arch.ub.capacity.count)
    guard (pixels + 1) * eb <= capacity else {
      return host(
        "one column of \(pixels) elements needs \(formatBytes((pixels + 1) * eb)) of unified buffer; \(state.arch.name) has \(formatBytes(capacity))"
      )
    }
    let q = RequantizeParameters(
      inputZeroPoint: xq.zeroPoint, outputZeroPoint: oq.zeroPoint, multiplier: m.multiplier, shift: m.shift)
    var work = MeanWork(
      input: xID, output: op.outputs[0], batches: batches, pixels: pixels, channels: channels, parameters: q,
      tiling: nil)
    work.product = q
    let layout = work.chooseRowLanes(elementBytes: eb)
    return (
      .vectorUnit,
      "\(name): vreduce fn=prod on the vector unit over axes \(axes.sorted()) (\(layout)); per output a sequential chain of 64-bit products in input order, rescaled after every step (shift \(m.shift))",
      .mean(work)
    )
  }
}
