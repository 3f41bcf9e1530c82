import Support

/// How a resize maps output coordinates to input coordinates (TFLite's RESIZE_BILINEAR options;
/// TFLite rejects `align_corners` and `half_pixel_centers` together, so they are one choice).
public enum ResizeMode: String, CaseIterable, Hashable, Sendable {
  /// Neither option: `position = o · scale`, `scale = in / out`.
  case asymmetric = "asymmetric"
  /// `align_corners`: `scale = (in − 1) / (out − 1)` when `out > 1`.
  case alignCorners = "align_corners"
  /// `half_pixel_centers`: `position = (o + ½) · scale − ½`.
  case halfPixelCenters = "half_pixel"
}

/// `vresize`: int8 bilinear resize of a block of output rows (TFLite's
/// `reference_ops::ResizeBilinearInteger`).
///
/// The unified buffer holds rows `firstInputRow ..< firstInputRow + input.height` of an image of
/// `inputHeight × input.width` pixels (`input.channelCount` channels each, `input.pixelStrideBytes`
/// apart, rows `input.width · pixelStrideBytes` apart); the instruction writes output rows
/// `firstOutputRow ..< firstOutputRow + outputRows` of the `outputHeight × outputWidth` result:
///
/// ```swift
/// let ys = ResizeTaps.axis(output: outputHeight, input: inputHeight, mode)   // per output row
/// let xs = ResizeTaps.axis(output: outputWidth, input: input.width, mode)    // per output column
/// for r in 0..<outputRows { let (wy, y0, y1) = ys[firstOutputRow + r]       // wy in 2⁻¹⁰ units
///   for ox in 0..<outputWidth { let (wx, x0, x1) = xs[ox]
///     for c in 0..<input.channelCount {
///       let sum: Int64 = IN[y0][x0][c]·(1024 − wy)·(1024 − wx) + IN[y1][x0][c]·wy·(1024 − wx)
///                      + IN[y0][x1][c]·(1024 − wy)·wx        + IN[y1][x1][c]·wy·wx
///       OUT[r][ox][c] = Int8((sum + (sum > 0 ? 2¹⁹ : −2¹⁹)) / 2²⁰)   // truncating division
/// }}}
/// ```
///
/// where `IN[y]` is input row `y − firstInputRow` of the tile and `OUT[r][ox]` is at
/// `destination.address + r·rowStrideBytes + ox·pixelStrideBytes`. Every input row a tap reads
/// must be in the tile (`Resize.inputRows`). The output must not overlap the input.
public struct Resize: Hashable, Sendable {
  /// The input rows held in the unified buffer (`height` rows of the full image `width`).
  public var input: FeatureMap
  /// Image row of the tile's first row.
  public var firstInputRow: Int
  /// Rows of the whole input image.
  public var inputHeight: Int
  /// Rows of the whole output image.
  public var outputHeight: Int
  /// Columns of the output image.
  public var outputWidth: Int
  /// First output row written.
  public var firstOutputRow: Int
  /// Output rows written.
  public var outputRows: Int
  /// The coordinate mapping.
  public var mode: ResizeMode
  /// Where the output rows go.
  public var destination: PixelDestination

  /// Creates a resize descriptor.
  public init(
    input: FeatureMap, firstInputRow: Int, inputHeight: Int, outputHeight: Int, outputWidth: Int, firstOutputRow: Int,
    outputRows: Int, mode: ResizeMode, destination: PixelDestination
  ) {
    self.input = input
    self.firstInputRow = firstInputRow
    self.inputHeight = inputHeight
    self.outputHeight = outputHeight
    self.outputWidth = outputWidth
    self.firstOutputRow = firstOutputRow
    self.outputRows = outputRows
    self.mode = mode
    self.destination = destination
  }

  /// The image rows the taps of output rows `rows` read (nil for an empty or invalid range).
  public static func inputRows(_ rows: Range<Int>, inputHeight: Int, outputHeight: Int, mode: ResizeMode)
    -> ClosedRange<Int>?
  {
    guard !rows.isEmpty, rows.lowerBound >= 0, rows.upperBound <= outputHeight, inputHeight >= 1 else { return nil }
    let first = ResizeTaps.tap(rows.lowerBound, output: outputHeight, input: inputHeight, mode)
    let last = ResizeTaps.tap(rows.upperBound - 1, output: outputHeight, input: inputHeight, mode)
    // Taps are monotonic in the output index.
    return first.lower...max(last.upper, first.lower)
  }

  /// Output elements written.
  public var outputElements: Int { outputRows * outputWidth * input.channelCount }
}

/// TFLite's `ComputeInterpolationValuesInteger` along one axis: the weight of the upper tap in
/// units of 2⁻¹⁰ and the lower and upper input indices.
public enum ResizeTaps {
  /// The tap of output index `o`.
  public static func tap(_ o: Int, output: Int, input: Int, _ mode: ResizeMode) -> (
    weight: Int64, lower: Int, upper: Int
  ) {
    let one: Int64 = 1 << 10
    let inSize = Int64(input)
    let outSize = Int64(max(output, 1))
    var scale = (one * inSize + outSize / 2) / outSize
    if mode == .alignCorners && output > 1 { scale = (one * (inSize - 1) + (outSize - 1) / 2) / (outSize - 1) }
    let value = Int64(o)
    let position = mode == .halfPixelCenters ? value * scale + scale / 2 - (1 << 9) : value * scale
    // C++ integer division truncates toward zero.
    let lower = max(position / one, 0)
    let upper = min((position + one - 1) / one, inSize - 1)
    return (position - one * lower, Int(lower), Int(upper))
  }

  /// The taps of every output index along one axis.
  public static func axis(output: Int, input: Int, _ mode: ResizeMode) -> [(weight: Int64, lower: Int, upper: Int)] {
    (0..<output).map { tap($0, output: output, input: input, mode) }
  }
}

// MARK: Executor

extension MachineState {
  /// `vresize` exactly as `Resize` documents it.
  mutating func resize(_ z: Resize) {
    let input = z.input
    let channels = input.channelCount
    let rowBytes = input.width * input.pixelStrideBytes
    let xs = ResizeTaps.axis(output: z.outputWidth, input: input.width, z.mode)
    let one: Int64 = 1 << 10
    for r in 0..<z.outputRows {
      let ty = ResizeTaps.tap(z.firstOutputRow + r, output: z.outputHeight, input: z.inputHeight, z.mode)
      let row0 = input.address.byteOffset + (ty.lower - z.firstInputRow) * rowBytes + input.channelOffset
      let row1 = input.address.byteOffset + (ty.upper - z.firstInputRow) * rowBytes + input.channelOffset
      let wy1 = ty.weight
      let wy0 = one - wy1
      for ox in 0..<z.outputWidth {
        let tx = xs[ox]
        let wx1 = tx.weight
        let wx0 = one - wx1
        let a = tx.lower * input.pixelStrideBytes
        let b = tx.upper * input.pixelStrideBytes
        let out =
          z.destination.address.byteOffset + r * z.destination.rowStrideBytes + ox * z.destination.pixelStrideBytes
        for c in 0..<channels {
          let v00 = Int64(Int8(bitPattern: unifiedBuffer[row0 + a + c]))
          let v10 = Int64(Int8(bitPattern: unifiedBuffer[row1 + a + c]))
          let v01 = Int64(Int8(bitPattern: unifiedBuffer[row0 + b + c]))
          let v11 = Int64(Int8(bitPattern: unifiedBuffer[row1 + b + c]))
          let sum = v00 * wy0 * wx0 + v10 * wy1 * wx0 + v01 * wy0 * wx1 + v11 * wy1 * wx1
          let nudge: Int64 = sum > 0 ? 1 << 19 : -(1 << 19)
          unifiedBuffer[out + c] = UInt8(truncatingIfNeeded: (sum + nudge) / (1 << 20))
        }
      }
    }
  }
}

// MARK: Encoding (opcode `vresize`)

/// Bytes 4 mode, 8–23 the input tile (as a feature map), 24 first input row, 26 image height,
/// 28 output height, 30 output width, 32 first output row, 34 output rows, 44–55 destination.
func encodeResize(_ z: Resize, _ w: inout FieldWriter) throws(ISAError) {
  try w.put(caseIndex(z.mode), UInt8.self, at: 4, "mode")
  try w.put(z.input.address.byteOffset, UInt32.self, at: 8, "ub")
  try w.put(z.input.height, UInt16.self, at: 12, "h")
  try w.put(z.input.width, UInt16.self, at: 14, "w")
  try w.put(z.input.pixelStrideBytes, UInt32.self, at: 16, "ps")
  try w.put(z.input.channelOffset, UInt16.self, at: 20, "c")
  try w.put(z.input.channelCount, UInt16.self, at: 22, "c")
  try w.put(z.firstInputRow, UInt16.self, at: 24, "in_row")
  try w.put(z.inputHeight, UInt16.self, at: 26, "in_h")
  try w.put(z.outputHeight, UInt16.self, at: 28, "out")
  try w.put(z.outputWidth, UInt16.self, at: 30, "out")
  try w.put(z.firstOutputRow, UInt16.self, at: 32, "rows")
  try w.put(z.outputRows, UInt16.self, at: 34, "rows")
  try w.put(z.destination.address.byteOffset, UInt32.self, at: 44, "dst")
  try w.put(z.destination.pixelStrideBytes, UInt32.self, at: 48, "dst_ps")
  try w.put(z.destination.rowStrideBytes, UInt32.self, at: 52, "dst_rs")
}

func decodeResize(_ r: inout FieldReader64) throws(ISAError) -> Resize {
  let mode = try r.choice(ResizeMode.allCases, at: 4, "resize mode")
  return Resize(
    input: FeatureMap(
      address: SRAMAddress(r.get(UInt32.self, at: 8)), height: r.get(UInt16.self, at: 12),
      width: r.get(UInt16.self, at: 14),
      pixelStrideBytes: r.get(UInt32.self, at: 16), channelOffset: r.get(UInt16.self, at: 20),
      channelCount: r.get(UInt16.self, at: 22)),
    firstInputRow: r.get(UInt16.self, at: 24), inputHeight: r.get(UInt16.self, at: 26),
    outputHeight: r.get(UInt16.self, at: 28), outputWidth: r.get(UInt16.self, at: 30),
    firstOutputRow: r.get(UInt16.self, at: 32), outputRows: r.get(UInt16.self, at: 34), mode: mode,
    destination: PixelDestination(
      address: SRAMAddress(r.get(UInt32.self, at: 44)), pixelStrideBytes: r.get(UInt32.self, at: 48),
      rowStrideBytes: r.get(UInt32.self, at: 52)))
}

// MARK: Assembly

/// `vresize ub=0x0 h=3 w=5 ps=8 c=0+8 in=0/4 out=7x9 rows=0+2 mode=half_pixel dst=0x100 dst_ps=8 dst_rs=72`.
func resizeFields(_ z: Resize) -> [(String, String)] {
  [
    ("ub", hex(z.input.address.byteOffset)), ("h", "\(z.input.height)"), ("w", "\(z.input.width)"),
    ("ps", "\(z.input.pixelStrideBytes)"), ("c", "\(z.input.channelOffset)+\(z.input.channelCount)"),
    ("in", "\(z.firstInputRow)/\(z.inputHeight)"), ("out", "\(z.outputHeight)x\(z.outputWidth)"),
    ("rows", "\(z.firstOutputRow)+\(z.outputRows)"), ("mode", z.mode.rawValue),
    ("dst", hex(z.destination.address.byteOffset)), ("dst_ps", "\(z.destination.pixelStrideBytes)"),
    ("dst_rs", "\(z.destination.rowStrideBytes)"),
  ]
}

func parseResize(_ r: inout FieldReader) throws(ISAError) -> Resize {
  let address = SRAMAddress(try r.int("ub"))
  let height = try r.int("h")
  let width = try r.int("w")
  let pixelStride = try r.int("ps")
  let (channelOffset, channels) = try r.pair("c", "+")
  let (firstInputRow, inputHeight) = try r.pair("in", "/")
  let (outH, outW) = try r.pair("out", "x")
  let (firstRow, rows) = try r.pair("rows", "+")
  let (text, column) = try r.raw("mode")
  guard let mode = ResizeMode(rawValue: text) else {
    throw r.error(
      column, "expected \(ResizeMode.allCases.map(\.rawValue).joined(separator: ", ")) for 'mode', found '\(text)'")
  }
  let destination = PixelDestination(
    address: SRAMAddress(try r.int("dst")), pixelStrideBytes: try r.int("dst_ps"), rowStrideBytes: try r.int("dst_rs"))
  return Resize(
    input: FeatureMap(
      address: address, height: height, width: width, pixelStrideBytes: pixelStride, channelOffset: channelOffset,
      channelCount: channels),
    firstInputRow: firstInputRow, inputHeight: inputHeight, outputHeight: outH, outputWidth: outW,
    firstOutputRow: firstRow, outputRows: rows, mode: mode, destination: destination)
}

// MARK: Checks

extension Resize {
  /// Problems with the geometry (extents, the taps' rows inside the tile); byte ranges are
  /// checked by `checkVector` (the tile as a feature map, the output as a pixel destination).
  func geometryProblems() -> [String] {
    var p: [String] = []
    let f = input
    if f.height < 1 || f.width < 1 || f.channelCount < 1 || inputHeight < 1 || outputHeight < 1 || outputWidth < 1
      || outputRows < 1
    {
      p.append(
        "vresize extents must be ≥ 1 (tile \(f.height)×\(f.width)×\(f.channelCount), image \(inputHeight) rows, output \(outputHeight)×\(outputWidth), \(outputRows) rows)"
      )
      return p
    }
    let sizes = [f.height, f.width, f.channelCount, firstInputRow, inputHeight, outputHeight, outputWidth, firstOutputRow, outputRows]
    if sizes.contains(where: { $0 > Int(UInt16.max) }) {
      p.append("vresize sizes and rows must be ≤ 65535 (its 16-bit fields)")
      return p
    }
    if f.channelOffset < 0 || f.pixelStrideBytes < f.channelOffset + f.channelCount {
      p.append("pixel stride \(f.pixelStrideBytes) is below channel offset + count \(f.channelOffset + f.channelCount)")
    }
    if firstOutputRow < 0 || firstOutputRow + outputRows > outputHeight {
      p.append("output rows \(firstOutputRow)..<\(firstOutputRow + outputRows) outside the \(outputHeight)-row output")
    }
    if firstInputRow < 0 || firstInputRow + f.height > inputHeight {
      p.append("tile rows \(firstInputRow)..<\(firstInputRow + f.height) outside the \(inputHeight)-row image")
    }
    if let needed = Resize.inputRows(
      firstOutputRow..<(firstOutputRow + outputRows), inputHeight: inputHeight, outputHeight: outputHeight, mode: mode),
      needed.lowerBound < firstInputRow || needed.upperBound >= firstInputRow + f.height
    {
      p.append(
        "the taps read image rows \(needed.lowerBound)...\(needed.upperBound); the tile holds \(firstInputRow)..<\(firstInputRow + f.height)"
      )
    }
    if destination.pixelStrideBytes < f.channelCount {
      p.append("destination pixel stride \(destination.pixelStrideBytes) is below the \(f.channelCount) channels")
    }
    return p
  }
}
