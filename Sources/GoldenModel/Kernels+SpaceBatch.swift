import GraphIR

// issue 14: space-batch
/// SPACE_TO_BATCH_ND and BATCH_TO_SPACE_ND, as TFLite's `reference_ops::SpaceToBatchND` and
/// `reference_ops::BatchToSpaceND` (kernels/internal/reference/space_to_batch_nd.h,
/// batch_to_space_nd.h) move elements: whole channel vectors, values unchanged. Both take a
/// rank-3 `[n, h, c]` or rank-4 `[n, h, w, c]` input (a rank-3 tensor is read as `[n, h, 1, c]`)
/// and constant-shaped int32 inputs: `block_shape` (one entry per spatial dimension, ≥ 1) and
/// `paddings` / `crops` (`[spatial, 2]`, ≥ 0).
extension Kernels {
  /// SPACE_TO_BATCH_ND: output `[n·bh·bw, (h+top+bottom)/bh, (w+left+right)/bw, c]`,
  /// `out[b, y, x] = in[b mod n, y·bh + sh − top, x·bw + sw − left]` with
  /// `sh = (b / n) / bw`, `sw = (b / n) mod bw`; positions in the padding hold the output zero
  /// point for int8 and uint8 (the reference kernel's `pad_value` is the output offset,
  /// space_to_batch_nd.cc) and zero otherwise.
  static func spaceToBatchND(_ c: KernelContext) throws(GoldenModelError) -> TensorData {
    let x = try c.value(0)
    let g = try spaceBatchGeometry(c, x, edgesName: "paddings")
    let (n, h, w, ch) = g.shape4
    var outSpatial: [Int] = []
    for (d, size) in [h, w].prefix(g.spatial).enumerated() {
      let padded = size + g.before[d] + g.after[d]
      guard padded % g.block[d] == 0 else {
        throw GoldenModelError(
          .invalidModel, c.location,
          "padded dimension \(d + 1) (\(size) + \(g.before[d]) + \(g.after[d]) = \(padded)) does not divide by block \(g.block[d])"
        )
      }
      outSpatial.append(padded / g.block[d])
    }
    let (bh, bw) = (g.block[0], g.spatial == 2 ? g.block[1] : 1)
    let (top, left) = (g.before[0], g.spatial == 2 ? g.before[1] : 0)
    let (nb, o1) = n.multipliedReportingOverflow(by: bh)
    let (outN, o2) = nb.multipliedReportingOverflow(by: bw)
    guard !o1, !o2 else {
      throw GoldenModelError(.badInput, c.location, "output batch \(n) × \(bh) × \(bw) is out of range")
    }
    let (oh, ow) = (outSpatial[0], g.spatial == 2 ? outSpatial[1] : 1)
    let outShape = [outN] + outSpatial + [ch]
    try checkElementCount(c, outShape)
    var picks: [Int] = []
    picks.reserveCapacity(outN * oh * ow * ch)
    for ob in 0..<outN {
      let b = ob % n
      let sw = (ob / n) % bw
      let sh = (ob / n) / bw
      for oy in 0..<oh {
        let iy = oy * bh + sh - top
        for ox in 0..<ow {
          let ix = ox * bw + sw - left
          if iy < 0 || iy >= h || ix < 0 || ix >= w {
            picks.append(contentsOf: repeatElement(-1, count: ch))
          } else {
            let base = ((b * h + iy) * w + ix) * ch
            picks.append(contentsOf: base..<base + ch)
          }
        }
      }
    }
    let fill = try paddingValue(c, x)
    return TensorData(shape: outShape, storage: ElementwiseSupport.gather(x.storage, picks, fill: fill))
  }

  /// BATCH_TO_SPACE_ND: output `[n/(bh·bw), h·bh − crops, w·bw − crops, c]`,
  /// `out[b mod N, y·bh + (b / N) / bw − top, x·bw + (b / N) mod bw − left] = in[b, y, x]`
  /// (`N` the output batch) for every input position that lands inside the output.
  static func batchToSpaceND(_ c: KernelContext) throws(GoldenModelError) -> TensorData {
    let x = try c.value(0)
    let g = try spaceBatchGeometry(c, x, edgesName: "crops")
    let (n, h, w, ch) = g.shape4
    let blocks = g.block.reduce(1, *)
    guard n % blocks == 0 else {
      throw GoldenModelError(
        .invalidModel, c.location, "input batch \(n) does not divide by the block product \(blocks)")
    }
    var outSpatial: [Int] = []
    for (d, size) in [h, w].prefix(g.spatial).enumerated() {
      let (full, overflow) = size.multipliedReportingOverflow(by: g.block[d])
      let cropped = full - g.before[d] - g.after[d]
      guard !overflow, cropped >= 0 else {
        throw GoldenModelError(
          .invalidModel, c.location,
          "crops \(g.before[d]) + \(g.after[d]) exceed dimension \(d + 1) (\(size) × block \(g.block[d]))")
      }
      outSpatial.append(cropped)
    }
    let (bw, top, left) = (g.spatial == 2 ? g.block[1] : 1, g.before[0], g.spatial == 2 ? g.before[1] : 0)
    let bh = g.block[0]
    let outN = n / blocks
    let (oh, ow) = (outSpatial[0], g.spatial == 2 ? outSpatial[1] : 1)
    let outShape = [outN] + outSpatial + [ch]
    try checkElementCount(c, outShape)
    var picks = [Int](repeating: -1, count: outN * oh * ow * ch)
    for ib in 0..<n {
      let ob = ib % max(outN, 1)
      let offset = ib / max(outN, 1)
      for iy in 0..<h {
        let oy = iy * bh + offset / bw - top
        guard oy >= 0, oy < oh else { continue }
        for ix in 0..<w {
          let ox = ix * bw + offset % bw - left
          guard ox >= 0, ox < ow else { continue }
          let o = ((ob * oh + oy) * ow + ox) * ch
          let i = ((ib * h + iy) * w + ix) * ch
          for k in 0..<ch { picks[o + k] = i + k }
        }
      }
    }
    precondition(!picks.contains(-1), "BATCH_TO_SPACE_ND left an output element unwritten")
    return TensorData(shape: outShape, storage: ElementwiseSupport.gather(x.storage, picks))
  }

  /// The input as `[n, h, w, c]`, the spatial dimension count, and the int32 block shape and
  /// per-dimension leading/trailing edges (paddings or crops), validated.
  private static func spaceBatchGeometry(_ c: KernelContext, _ x: TensorData, edgesName: String)
    throws(GoldenModelError) -> (
      shape4: (Int, Int, Int, Int), spatial: Int, block: [Int], before: [Int], after: [Int]
    )
  {
    guard x.shape.count == 3 || x.shape.count == 4 else {
      throw GoldenModelError(.invalidModel, c.location, "input \(x.shape) is not rank 3 or 4")
    }
    let spatial = x.shape.count - 2
    let blockData = try c.value(1)
    let edgeData = try c.value(2)
    guard blockData.elementType == .int32, blockData.count == spatial else {
      throw GoldenModelError(
        .invalidModel, c.location,
        "block_shape is \(blockData.count) × \(blockData.elementType); expected \(spatial) × int32 for input \(x.shape)")
    }
    guard edgeData.elementType == .int32, edgeData.count == 2 * spatial,
      edgeData.shape.count == 2, edgeData.shape[1] == 2
    else {
      throw GoldenModelError(
        .invalidModel, c.location,
        "\(edgesName) is \(edgeData.shape) × \(edgeData.elementType); expected [\(spatial), 2] × int32")
    }
    let block = blockData.integerValues.map { Int($0) }
    let edges = edgeData.integerValues.map { Int($0) }
    if let bad = block.first(where: { $0 < 1 }) {
      throw GoldenModelError(.invalidModel, c.location, "block_shape entry \(bad) is below 1")
    }
    if let bad = edges.first(where: { $0 < 0 }) {
      throw GoldenModelError(.invalidModel, c.location, "\(edgesName) entry \(bad) is negative")
    }
    let s = x.shape
    let shape4 = s.count == 4 ? (s[0], s[1], s[2], s[3]) : (s[0], s[1], 1, s[2])
    let before = (0..<spatial).map { edges[2 * $0] }
    let after = (0..<spatial).map { edges[2 * $0 + 1] }
    return (shape4, spatial, block, before, after)
  }

  private static func checkElementCount(_ c: KernelContext, _ shape: [Int]) throws(GoldenModelError) {
    var total = 1
    for d in shape {
      let (t, overflow) = total.multipliedReportingOverflow(by: d)
      guard !overflow, t <= Int(Int32.max) else {
        throw GoldenModelError(.badInput, c.location, "output \(shape) has more than 2^31 - 1 elements")
      }
      total = t
    }
  }

  /// SPACE_TO_BATCH_ND's padding element: the output zero point for int8 and uint8, zero for
  /// every other type (space_to_batch_nd.cc passes 0 as `pad_value` for them).
  private static func paddingValue(_ c: KernelContext, _ x: TensorData) throws(GoldenModelError)
    -> TensorData.Storage
  {
    var zp: Int64 = 0
    if let q = try c.outputTensor().quantization, !q.scales.isEmpty { zp = q.zeroPoint }
    switch x.storage {
    case .int8:
      guard let v = Int8(exactly: zp) else {
        throw GoldenModelError(.invalidModel, c.location, "zero point \(zp) outside int8")
      }
      return .int8([v])
    case .uint8:
      guard let v = UInt8(exactly: zp) else {
        throw GoldenModelError(.invalidModel, c.location, "zero point \(zp) outside uint8")
      }
      return .uint8([v])
    case .float32: return .float32([0])
    case .int16: return .int16([0])
    case .int32: return .int32([0])
    case .int64: return .int64([0])
    case .bool: return .bool([false])
    }
  }
}
