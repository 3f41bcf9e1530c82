import Architecture
import GraphIR
import Support
import TileISA

// issue 14: vector binary/reduce

/// The reduction rules: MEAN (`vmean`), SUM (`vmean unsigned`) and REDUCE_MAX
/// (`vreduce fn=max`) over any run of adjacent axes, viewed as outer × reduced × inner
/// (`MeanWork`).
extension OperatorLegalizer {
  /// MEAN int8 → int8 (or REDUCE_MAX when `maximum`, SUM when `sum`): the axes' layout, the
  /// folded multiplier (MEAN), the unfolded one with the unsigned byte reading (SUM) or equal
  /// quantization (REDUCE_MAX), one channel's reduced elements in the unified buffer; a row per
  /// lane when the reduced axes are the last.
  func mean(maximum: Bool = false, sum: Bool = false) -> Decision {
    guard let xID = op.input(0), let x = input(0), let out = output, let axesData = input(1)?.data else {
      return host("the axes are not constant")
    }
    let rank = x.shape.count
    let (axes, outOfRange) = Self.resolveAxes(axesData.integerValues, rank: rank)
    if let a = outOfRange { return host("axis \(a) out of range for rank \(rank)") }
    // issue 14: vector binary/reduce — any reduced axes that are contiguous once the size-1
    // dimensions are dropped: outer × reduced × inner (`MeanWork`).
    let global = rank == 4 && axes == [1, 2]  // GlobalAveragePooling2D keeps its N × H·W × C layout
    guard
      let (batches, pixels, channels) = global
        ? (x.shape[0], x.shape[1] * x.shape[2], x.shape[3]) : Self.reductionLayout(x.shape, axes: axes)
    else {
      return host(
        "axes \(axes.sorted()) of \(x.shape) are not contiguous; vmean reduces one run of adjacent axes (outer × reduced × inner)"
      )
    }
    guard out.elementCount == batches * channels else { return host("output shape \(out.shape) does not match") }
    let parameters: RequantizeParameters
    // issue 14: sum
    if sum {
      guard x.elementType == .int8 else { return host("\(x.elementType) SUM has no vector-unit lowering") }
      guard let xq = affine(x), let oq = affine(out) else { return host("missing or per-channel quantization") }
      guard let p = TFLiteQuantization.sum(input: xq, output: oq) else {
        return host("rescaling out of range (input scale \(xq.scale), output scale \(oq.scale))")
      }
      parameters = p
    } else if floatDatapath && x.elementType == .float32 || maximum {
      // Timing baseline: a placeholder in range (the float program is never run functionally);
      // REDUCE_MAX compares stored values and has no parameters.
      parameters = RequantizeParameters(inputZeroPoint: 0, outputZeroPoint: 0, multiplier: 1 << 30, shift: 0)
      if maximum, !(floatDatapath && x.elementType == .float32) {
        guard let xq = affine(x), let oq = affine(out), xq == oq else {
          return host("input and output quantized differently (TFLite requires them equal)")
        }
      }
    } else {
      guard let xq = affine(x), let oq = affine(out) else { return host("missing or per-channel quantization") }
      guard let p = TFLiteQuantization.mean(input: xq, output: oq, count: pixels) else {
        return host("rescaling out of range (input scale \(xq.scale), output scale \(oq.scale), \(pixels) pixels)")
      }
      parameters = p
    }
    let eb = state.elementBytes
    let capacity = Int(state.arch.ub.capacity.count)
    guard (pixels + 1) * eb <= capacity else {
      return host(
        "one channel of \(pixels) pixels needs \(formatBytes((pixels + 1) * eb)) of unified buffer; \(state.arch.name) has \(formatBytes(capacity))"
      )
    }
    var work = MeanWork(
      input: xID, output: op.outputs[0], batches: batches, pixels: pixels, channels: channels, parameters: parameters,
      tiling: nil)
    work.maximum = maximum
    if global && !maximum && !sum {
      return (
        .vectorUnit,
        "\(name): vmean on the vector unit (\(x.shape[1])×\(x.shape[2]) pixels × \(channels) channels\(batches == 1 ? "" : ", \(batches) images"))",
        .mean(work)
      )
    }
    // issue 14: vector binary/reduce
    let layout = work.chooseRowLanes(elementBytes: eb)
    let mnemonic = maximum ? "vreduce fn=max" : sum ? "vmean unsigned" : "vmean"
    // issue 14: sum
    let why =
      sum
      ? "; int8 bytes read as 0...255 and results clamped to 0...255, as TFLite 2.21's reference SUM kernel does" : ""
    return (
      .vectorUnit, "\(name): \(mnemonic) on the vector unit over axes \(axes.sorted()) (\(layout))\(why)", .mean(work)
    )
  }

  /// A reduction's constant axes resolved against `rank` (negative axes count from the end), and
  /// the first axis outside the rank, if any.
  static func resolveAxes(_ values: [Int64], rank: Int) -> (axes: Set<Int>, outOfRange: Int64?) {
    var axes: Set<Int> = []
    for a in values {
      let r = a < 0 ? Int(a) + rank : Int(a)
      guard (0..<rank).contains(r) else { return (axes, a) }
      axes.insert(r)
    }
    return (axes, nil)
  }

  // issue 14: vector binary/reduce
  /// MEAN's `outer × reduced × inner` for `axes` of `shape`, or nil when the reduced axes of size
  /// above one are not adjacent (with only size-1 axes between them).
  static func reductionLayout(_ shape: [Int], axes: Set<Int>) -> (outer: Int, reduced: Int, inner: Int)? {
    let wide = axes.filter { shape[$0] > 1 }.sorted()
    if let first = wide.first, let last = wide.last {
      for d in first...last where shape[d] > 1 && !axes.contains(d) { return nil }
      let outer = shape[..<first].reduce(1, *)
      let reduced = shape[first...last].reduce(1, *)
      return (outer, reduced, shape[(last + 1)...].reduce(1, *))
    }
    // Only size-1 axes reduced: a copy through vmean with N = 1.
    return (shape.reduce(1, *), 1, 1)
  }
}
