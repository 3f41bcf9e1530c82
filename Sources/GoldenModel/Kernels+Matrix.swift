import GraphIR
import Support

// CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED and BATCH_MATMUL, bit-exact with TFLite's
// reference kernels (`kernels/internal/reference/integer_ops/{conv,depthwise_conv,
// fully_connected}.h`, `reference/{conv,depthwiseconv_float,fully_connected,batch_matmul}.h`)
// and the `Prepare` functions of `kernels/{conv,depthwise_conv,fully_connected,batch_matmul}.cc`.
// `docs/quantization.md` states each op's arithmetic.
//
// Every quantized kernel is split in two: an accumulation core that sums
// `w · (x − x_zp)` exactly in `Int64` (the low 32 bits equal TFLite's wrapping `int32` sum), and
// an epilogue that adds the bias and requantizes in the accumulator width TFLite uses. Float
// kernels add the products in TFLite's order, one `Float` at a time.

extension Kernels {
  static func conv2D(_ c: KernelContext, _ o: Conv2DOptions, workers: Int = 1) throws(GoldenModelError) -> TensorData {
    let x = try MatrixOperands.input(0, c)
    let w = try MatrixOperands.input(1, c)
    var out = try c.outputTensor()
    guard x.shape.count == 4, w.shape.count == 4 else {
      throw GoldenModelError(
        .invalidModel, c.location, "input and filter must be rank 4; got \(x.shape) and \(w.shape)")
    }
    let filterDepth = w.shape[3]
    guard filterDepth > 0, x.shape[3] % filterDepth == 0, w.shape[0] > 0 else {
      throw GoldenModelError(
        .invalidModel, c.location, "input has \(x.shape[3]) channels; filter depth is \(filterDepth)")
    }
    let groups = x.shape[3] / filterDepth
    guard groups > 0, w.shape[0] % groups == 0 else {
      throw GoldenModelError(
        .invalidModel, c.location, "\(w.shape[0]) filters do not split into \(groups) groups")
    }
    let g = try WindowGeometry(
      c, input: x.shape, output: out, outputChannels: w.shape[0], filterH: w.shape[1],
      filterW: w.shape[2], strideH: o.strideH, strideW: o.strideW, dilationH: o.dilationH,
      dilationW: o.dilationW, padding: o.padding)
    out.shape = g.outputShape
    let shape = ConvShape(geometry: g, filterDepth: filterDepth, groups: groups)

    switch (x.elementType, w.elementType) {
    case (.float32, .float32):
      let xv = try MatrixOperands.float32(try c.value(0), "input", c)
      let wv = try MatrixOperands.float32(try MatrixOperands.value(1, count: w.elementCount, "filter", c), "filter", c)
      let bias = try floatBias(c, channels: g.outC)
      let act = try Requantize.floatActivationRange(o.activation, c)
      guard xv.count == x.elementCount else { throw badCount(c, "input", xv.count, x.elementCount) }
      return TensorData(
        shape: out.shape,
        storage: .float32(convFloat(xv, wv, bias, shape, act)))
    case (.int8, .int8), (.int16, .int8):
      let q = try ConvQuantization(c, input: x, filter: w, output: out, channels: g.outC, activation: o.activation)
      if let (xv, wv) = try int8Operands(c, x, w, inputOffset: -q.inputZeroPoint) {
        let epilogue = try convInt8Epilogue(c, q, channelCount: g.outC)
        return TensorData(
          shape: out.shape,
          storage: .int8(
            convInt8(
              input: xv, inputZeroPoint: q.inputZeroPoint, filter: wv, shape, epilogue: epilogue, workers: workers)))
      }
      let xs = try offsetInput(c, x, zeroPoint: q.inputZeroPoint)
      let ws = try filterValues(c, w)
      let acc = convAccumulate(xs, ws, shape)
      return try requantizeConv(c, acc, q, out, channelCount: g.outC)
    default:
      throw c.unsupported("CONV_2D with \(x.elementType) input and \(w.elementType) filter")
    }
  }

  static func depthwiseConv2D(
    _ c: KernelContext, _ o: DepthwiseConv2DOptions, workers: Int = 1
  ) throws(GoldenModelError) -> TensorData {
    let x = try MatrixOperands.input(0, c)
    let w = try MatrixOperands.input(1, c)
    var out = try c.outputTensor()
    guard x.shape.count == 4, w.shape.count == 4, w.shape[0] == 1 else {
      throw GoldenModelError(
        .invalidModel, c.location, "input and filter (1×H×W×C) must be rank 4; got \(x.shape) and \(w.shape)")
    }
    // TFLite derives the depth multiplier from the shapes (`ComputeDepthMultiplier`) and ignores
    // the option (the verifier flags a disagreeing one).
    guard x.shape[3] > 0, w.shape[3] % x.shape[3] == 0, w.shape[3] > 0 else {
      throw GoldenModelError(
        .invalidModel, c.location,
        "filter has \(w.shape[3]) channels, not a multiple of the \(x.shape[3]) input channels")
    }
    let multiplier = w.shape[3] / x.shape[3]
    let g = try WindowGeometry(
      c, input: x.shape, output: out, outputChannels: w.shape[3], filterH: w.shape[1],
      filterW: w.shape[2], strideH: o.strideH, strideW: o.strideW, dilationH: o.dilationH,
      dilationW: o.dilationW, padding: o.padding)
    out.shape = g.outputShape

    switch (x.elementType, w.elementType) {
    case (.float32, .float32):
      let xv = try MatrixOperands.float32(try c.value(0), "input", c)
      let wv = try MatrixOperands.float32(try MatrixOperands.value(1, count: w.elementCount, "filter", c), "filter", c)
      guard xv.count == x.elementCount else { throw badCount(c, "input", xv.count, x.elementCount) }
      let bias = try floatBias(c, channels: g.outC)
      let act = try Requantize.floatActivationRange(o.activation, c)
      return TensorData(
        shape: out.shape,
        storage: .float32(depthwiseFloat(xv, wv, bias, g, multiplier: multiplier, act)))
    case (.int8, .int8), (.int16, .int8):
      if x.elementType == .int16, let b = c.optionalValue(2), b.elementType != .int64 {
        throw GoldenModelError(
          .invalidModel, c.location, "16×8 DEPTHWISE_CONV_2D needs an int64 bias; got \(b.elementType)")
      }
      let q = try ConvQuantization(c, input: x, filter: w, output: out, channels: g.outC, activation: o.activation)
      if let (xv, wv) = try int8Operands(c, x, w, inputOffset: -q.inputZeroPoint) {
        let epilogue = try convInt8Epilogue(c, q, channelCount: g.outC)
        return TensorData(
          shape: out.shape,
          storage: .int8(
            depthwiseInt8(
              input: xv, inputZeroPoint: q.inputZeroPoint, filter: wv, g, multiplier: multiplier, epilogue: epilogue,
              workers: workers)))
      }
      let xs = try offsetInput(c, x, zeroPoint: q.inputZeroPoint)
      let ws = try filterValues(c, w)
      let acc = depthwiseAccumulate(xs, ws, g, multiplier: multiplier)
      return try requantizeConv(c, acc, q, out, channelCount: g.outC)
    default:
      throw c.unsupported("DEPTHWISE_CONV_2D with \(x.elementType) input and \(w.elementType) filter")
    }
  }

  static func fullyConnected(
    _ c: KernelContext, _ o: FullyConnectedOptions, workers: Int = 1
  ) throws(GoldenModelError) -> TensorData {
    let x = try MatrixOperands.input(0, c)
    let w = try MatrixOperands.input(1, c)
    var out = try c.outputTensor()
    guard w.shape.count == 2, w.shape[1] > 0 else {
      throw GoldenModelError(.invalidModel, c.location, "weights must be rank 2 [units, depth]; got \(w.shape)")
    }
    let units = w.shape[0]
    let depth = w.shape[1]
    guard x.elementCount % depth == 0 else {
      throw GoldenModelError(
        .invalidModel, c.location, "input has \(x.elementCount) elements, not a multiple of the depth \(depth)")
    }
    let rows = x.elementCount / depth
    if out.isDynamic {
      out.shape = o.keepNumDims ? x.shape.dropLast() + [units] : [rows, units]
    }
    guard out.elementCount == rows * units else {
      throw GoldenModelError(
        .invalidModel, c.location,
        "output \(out.shape) has \(out.elementCount) elements; expected \(rows) rows × \(units) units")
    }
    if o.keepNumDims, out.shape.last != units {
      throw GoldenModelError(
        .invalidModel, c.location, "keep_num_dims output \(out.shape) must end in \(units) units")
    }
    let mm = MatMulShape(rows: rows, cols: units, depth: depth)

    switch (x.elementType, w.elementType) {
    case (.float32, .float32):
      let xv = try MatrixOperands.float32(try MatrixOperands.value(0, count: x.elementCount, "input", c), "input", c)
      let wv = try MatrixOperands.float32(
        try MatrixOperands.value(1, count: w.elementCount, "weights", c), "weights", c)
      let bias = try floatBias(c, channels: units)
      let act = try Requantize.floatActivationRange(o.activation, c)
      return TensorData(shape: out.shape, storage: .float32(fullyConnectedFloat(xv, wv, bias, mm, act)))
    case (.int8, .int8), (.int16, .int8):
      return try fullyConnectedQuantized(c, x: x, w: w, out: out, mm, activation: o.activation, workers: workers)
    default:
      throw c.unsupported("FULLY_CONNECTED with \(x.elementType) input and \(w.elementType) weights")
    }
  }

  static func batchMatMul(
    _ c: KernelContext, adjointX: Bool, adjointY: Bool, workers: Int = 1
  ) throws(GoldenModelError) -> TensorData {
    let x = try MatrixOperands.input(0, c)
    let y = try MatrixOperands.input(1, c)
    var out = try c.outputTensor()
    guard x.shape.count >= 2, y.shape.count >= 2 else {
      throw GoldenModelError(
        .invalidModel, c.location, "operands must be at least rank 2; got \(x.shape) and \(y.shape)")
    }
    let plan = try BatchMatMulPlan(
      c, x: x.shape, y: y.shape, adjointX: adjointX, adjointY: adjointY, output: out.isDynamic ? nil : out.shape)
    out.shape = plan.outputShape
    let xv = try MatrixOperands.value(0, count: x.elementCount, "lhs", c)
    let yv = try MatrixOperands.value(1, count: y.elementCount, "rhs", c)

    switch (x.elementType, y.elementType, out.elementType) {
    case (.float32, .float32, .float32):
      let a = try MatrixOperands.float32(xv, "lhs", c)
      let b = try MatrixOperands.float32(yv, "rhs", c)
      return TensorData(shape: out.shape, storage: .float32(batchMatMulFloat(a, b, plan)))
    case (.int8, .int8, .int8), (.int16, .int16, .int16), (.int16, .int8, .int16):
      let qx = try c.quantization(of: x)
      let qy = try c.quantization(of: y)
      let qo = try c.quantization(of: out)
      let m = Requantize.productMultiplier(qx.scale, qy.scale, outputScale: qo.scale)
      if x.elementType == .int8, case .int8(let av) = xv.storage, case .int8(let bv) = yv.storage,
        Int8GEMM.offsetFits(-Int32(clamping: qx.zeroPoint)), Int8GEMM.offsetFits(-Int32(clamping: qy.zeroPoint))
      {
        let acc = batchMatMulInt8(
          av, aOffset: -Int32(clamping: qx.zeroPoint), bv, bOffset: -Int32(clamping: qy.zeroPoint), plan,
          workers: workers)
        let outZP = Int32(clamping: qo.zeroPoint)
        return TensorData(
          shape: out.shape,
          storage: .int8(
            acc.map { v in
              let r = FixedPoint.multiplyByQuantizedMultiplier(v, m.multiplier, m.shift)
              return Int8(Requantize.clamp(r &+ outZP, -128...127))
            }))
      }
      let a = try widen(xv, offset: -Int32(clamping: qx.zeroPoint), "lhs", c)
      let b = try widen(yv, offset: -Int32(clamping: qy.zeroPoint), "rhs", c)
      let acc = batchMatMulAccumulate(a, b, plan)
      let outZP = Int32(clamping: qo.zeroPoint)
      if x.elementType == .int8 {
        let range: ClosedRange<Int32> = -128...127
        return TensorData(
          shape: out.shape,
          storage: .int8(
            acc.map { v in
              let r = FixedPoint.multiplyByQuantizedMultiplier(Int32(truncatingIfNeeded: v), m.multiplier, m.shift)
              return Int8(Requantize.clamp(r &+ outZP, range))
            }))
      }
      guard qx.zeroPoint == 0, qy.zeroPoint == 0, qo.zeroPoint == 0 else {
        throw GoldenModelError(.invalidModel, c.location, "int16 BATCH_MATMUL needs zero points 0")
      }
      try Requantize.checkWideShift([m], c)
      let range: ClosedRange<Int32> = -32768...32767
      return TensorData(
        shape: out.shape,
        storage: .int16(
          acc.map { v in
            Int16(Requantize.clamp(Requantize.multiplyByQuantizedMultiplier(v, m.multiplier, m.shift), range))
          }))
    case (.int8, .int8, .int32):
      // TFLite's int8 × int8 → int32 kernel ignores the zero points: a raw integer product.
      if case .int8(let av) = xv.storage, case .int8(let bv) = yv.storage {
        return TensorData(
          shape: out.shape, storage: .int32(batchMatMulInt8(av, aOffset: 0, bv, bOffset: 0, plan, workers: workers)))
      }
      let a = try widen(xv, offset: 0, "lhs", c)
      let b = try widen(yv, offset: 0, "rhs", c)
      let acc = batchMatMulAccumulate(a, b, plan)
      return TensorData(shape: out.shape, storage: .int32(acc.map { Int32(truncatingIfNeeded: $0) }))
    default:
      throw c.unsupported(
        "BATCH_MATMUL with \(x.elementType) × \(y.elementType) → \(out.elementType)")
    }
  }
}

// MARK: - Geometry

/// Spatial geometry of a windowed op (convolution or pool) on NHWC tensors, with TFLite's
/// padding (`ComputePaddingHeightWidth`, via ``Padding/geometry(input:filter:stride:dilation:)``).
struct WindowGeometry {
  var batches: Int, inH: Int, inW: Int, inC: Int
  var outH: Int, outW: Int, outC: Int
  var filterH: Int, filterW: Int
  var strideH: Int, strideW: Int, dilationH: Int, dilationW: Int
  var padTop: Int, padLeft: Int

  /// Validates the shapes against the options; throws `invalidModel` on any disagreement.
  init(
    _ c: KernelContext, input: [Int], output: Tensor, outputChannels: Int, filterH: Int, filterW: Int,
    strideH: Int, strideW: Int, dilationH: Int = 1, dilationW: Int = 1, padding: Padding
  ) throws(GoldenModelError) {
    guard strideH > 0, strideW > 0, dilationH > 0, dilationW > 0, filterH > 0, filterW > 0 else {
      throw GoldenModelError(
        .invalidModel, c.location,
        "strides \(strideH)×\(strideW), dilations \(dilationH)×\(dilationW) and filter \(filterH)×\(filterW) must be positive"
      )
    }
    guard input.count == 4, input.allSatisfy({ $0 >= 0 }) else {
      throw GoldenModelError(.invalidModel, c.location, "input shape \(input) is not a rank-4 NHWC shape")
    }
    let h = padding.geometry(input: input[1], filter: filterH, stride: strideH, dilation: dilationH)
    let w = padding.geometry(input: input[2], filter: filterW, stride: strideW, dilation: dilationW)
    let expected = [input[0], max(h.output, 0), max(w.output, 0), outputChannels]
    // A run-time-sized output takes the computed shape; a static one must agree with it.
    guard output.isDynamic || output.shape == expected else {
      throw GoldenModelError(
        .invalidModel, c.location,
        "output shape \(output.shape); expected \(expected) from input \(input), filter \(filterH)×\(filterW), strides, dilations and \(padding.rawValue) padding"
      )
    }
    batches = input[0]
    inH = input[1]
    inW = input[2]
    inC = input[3]
    outH = expected[1]
    outW = expected[2]
    outC = outputChannels
    self.filterH = filterH
    self.filterW = filterW
    self.strideH = strideH
    self.strideW = strideW
    self.dilationH = dilationH
    self.dilationW = dilationW
    padTop = h.padBefore
    padLeft = w.padBefore
  }

  /// The NHWC output shape.
  var outputShape: [Int] { [batches, outH, outW, outC] }

  /// For each output row, the filter rows whose input row lies inside the image, as
  /// `(filterRow, inputRow)` pairs in increasing filter order (TFLite skips the others).
  var rowTaps: [[(filter: Int, input: Int)]] {
    Self.taps(outputs: outH, stride: strideH, pad: padTop, filter: filterH, dilation: dilationH, extent: inH)
  }
  /// The same for output columns.
  var columnTaps: [[(filter: Int, input: Int)]] {
    Self.taps(outputs: outW, stride: strideW, pad: padLeft, filter: filterW, dilation: dilationW, extent: inW)
  }

  private static func taps(outputs: Int, stride: Int, pad: Int, filter: Int, dilation: Int, extent: Int)
    -> [[(filter: Int, input: Int)]]
  {
    (0..<outputs).map { o in
      let origin = o * stride - pad
      return (0..<filter).compactMap { k in
        let i = origin + k * dilation
        return i >= 0 && i < extent ? (k, i) : nil
      }
    }
  }
}

/// Convolution geometry plus channel grouping (input channels = groups × filter depth).
struct ConvShape {
  var geometry: WindowGeometry
  var filterDepth: Int
  var groups: Int
  var filtersPerGroup: Int { geometry.outC / groups }
}

/// A plain matrix product `rows × depth` by `cols × depth` (FULLY_CONNECTED layout).
struct MatMulShape {
  var rows: Int, cols: Int, depth: Int
}

/// Shapes and broadcast strides of a BATCH_MATMUL.
struct BatchMatMulPlan {
  /// Output batch count (product of the broadcast batch dimensions).
  var batches: Int
  /// Element offset of each output batch's lhs and rhs matrices.
  var lhsBatchOffsets: [Int], rhsBatchOffsets: [Int]
  /// Output shape: the broadcast batch dimensions, then rows and columns.
  var outputShape: [Int]
  /// Output rows (A), columns (C) and contraction depth (K).
  var rows: Int, cols: Int, depth: Int
  /// Element strides of the lhs along its row and contraction index (adjoint-aware).
  var lhsRowStride: Int, lhsDepthStride: Int
  /// Element strides of the rhs along its contraction and column index.
  var rhsDepthStride: Int, rhsColStride: Int

  init(
    _ c: KernelContext, x: [Int], y: [Int], adjointX: Bool, adjointY: Bool, output: [Int]?
  ) throws(GoldenModelError) {
    let xr = x.count
    let yr = y.count
    let (a, kx) = adjointX ? (x[xr - 1], x[xr - 2]) : (x[xr - 2], x[xr - 1])
    let (ky, cc) = adjointY ? (y[yr - 1], y[yr - 2]) : (y[yr - 2], y[yr - 1])
    guard kx == ky else {
      throw GoldenModelError(.invalidModel, c.location, "contraction dimensions differ: \(kx) and \(ky)")
    }
    let xb = Array(x.dropLast(2))
    let yb = Array(y.dropLast(2))
    guard let batchShape = Broadcast.shape(xb, yb) else {
      throw GoldenModelError(.invalidModel, c.location, "batch dimensions \(xb) and \(yb) do not broadcast")
    }
    outputShape = batchShape + [a, cc]
    if let output, output != outputShape {
      throw GoldenModelError(.invalidModel, c.location, "output shape \(output); expected \(outputShape)")
    }
    rows = a
    cols = cc
    depth = kx
    lhsRowStride = adjointX ? 1 : kx
    lhsDepthStride = adjointX ? a : 1
    rhsDepthStride = adjointY ? 1 : cc
    rhsColStride = adjointY ? ky : 1
    batches = batchShape.reduce(1, *)
    lhsBatchOffsets = Self.offsets(of: xb, in: batchShape, matrix: a * kx)
    rhsBatchOffsets = Self.offsets(of: yb, in: batchShape, matrix: ky * cc)
  }

  /// Matrix offsets of an operand with batch shape `dims` for every index of the broadcast
  /// batch shape (a dimension of size 1 does not advance).
  private static func offsets(of dims: [Int], in shape: [Int], matrix: Int) -> [Int] {
    let rank = shape.count
    let padded = [Int](repeating: 1, count: rank - dims.count) + dims
    var strides = [Int](repeating: 0, count: rank)
    var s = matrix
    for i in stride(from: rank - 1, through: 0, by: -1) {
      strides[i] = padded[i] == 1 ? 0 : s
      s *= padded[i]
    }
    let total = shape.reduce(1, *)
    var result = [Int](repeating: 0, count: total)
    var index = [Int](repeating: 0, count: rank)
    for n in 0..<total {
      var off = 0
      for i in 0..<rank { off += index[i] * strides[i] }
      result[n] = off
      var d = rank - 1
      while d >= 0 {
        index[d] += 1
        if index[d] < shape[d] { break }
        index[d] = 0
        d -= 1
      }
    }
    return result
  }
}

// MARK: - Quantization parameters

/// Quantization of a convolution as TFLite's `Prepare` derives it.
struct ConvQuantization {
  var inputZeroPoint: Int32
  var outputZeroPoint: Int32
  var multipliers: [Requantize.Multiplier]
  var range: ClosedRange<Int32>

  init(
    _ c: KernelContext, input: Tensor, filter: Tensor, output: Tensor, channels: Int,
    activation: FusedActivation
  ) throws(GoldenModelError) {
    guard output.elementType == input.elementType else {
      throw GoldenModelError(
        .invalidModel, c.location, "output is \(output.elementType); expected \(input.elementType) like the input")
    }
    let qx = try c.quantization(of: input)
    let qw = try c.quantization(of: filter)
    let qo = try c.quantization(of: output)
    guard qw.scales.count == 1 || qw.scales.count == channels else {
      throw GoldenModelError(
        .invalidModel, c.location, "filter has \(qw.scales.count) scales for \(channels) output channels")
    }
    if let zp = qw.zeroPoints.first(where: { $0 != 0 }) {
      throw GoldenModelError(.invalidModel, c.location, "filter zero point \(zp); int8 filters must have zero point 0")
    }
    if input.elementType == .int16, qx.zeroPoint != 0 || qo.zeroPoint != 0 {
      throw GoldenModelError(
        .invalidModel, c.location,
        "int16 activations must have zero point 0; input \(qx.zeroPoint), output \(qo.zeroPoint)")
    }
    inputZeroPoint = Int32(clamping: qx.zeroPoint)
    outputZeroPoint = Int32(clamping: qo.zeroPoint)
    multipliers = Requantize.convolutionMultipliers(
      inputScale: qx.scale, filterScales: qw.scales, outputScale: qo.scale, channels: channels)
    range = try Requantize.activationRange(activation, output: output, c)
  }
}

// MARK: - Operand preparation

extension Kernels {
  fileprivate static func badCount(_ c: KernelContext, _ role: String, _ n: Int, _ expected: Int) -> GoldenModelError {
    GoldenModelError(.invalidModel, c.location, "\(role) has \(n) elements; expected \(expected)")
  }

  /// The quantized input widened to `Int32` with its zero point subtracted (`x − x_zp`).
  fileprivate static func offsetInput(_ c: KernelContext, _ x: Tensor, zeroPoint: Int32) throws(GoldenModelError)
    -> [Int32]
  {
    try widen(MatrixOperands.value(0, count: x.elementCount, "input", c), offset: -zeroPoint, "input", c)
  }

  /// The int8 filter widened to `Int32` (zero point 0 is checked by ``ConvQuantization``).
  fileprivate static func filterValues(_ c: KernelContext, _ w: Tensor) throws(GoldenModelError) -> [Int32] {
    try widen(MatrixOperands.value(1, count: w.elementCount, "filter", c), offset: 0, "filter", c)
  }

  /// The int8 input and filter values of an int8 convolution when the fast cores apply to them
  /// (both stored as int8, `x − x_zp` within `Int16`), else `nil`. Reads them as
  /// ``offsetInput(_:_:zeroPoint:)`` and ``filterValues(_:_:)`` do.
  fileprivate static func int8Operands(_ c: KernelContext, _ x: Tensor, _ w: Tensor, inputOffset: Int32)
    throws(GoldenModelError) -> ([Int8], [Int8])?
  {
    guard x.elementType == .int8, Int8GEMM.offsetFits(inputOffset) else { return nil }
    let xv = try MatrixOperands.value(0, count: x.elementCount, "input", c)
    guard case .int8(let xa) = xv.storage else { return nil }
    let wv = try MatrixOperands.value(1, count: w.elementCount, "filter", c)
    guard case .int8(let wa) = wv.storage else { return nil }
    return (xa, wa)
  }

  /// The int8 epilogue of a convolution, with ``requantizeConv(_:_:_:_:channelCount:)``'s checks.
  fileprivate static func convInt8Epilogue(_ c: KernelContext, _ q: ConvQuantization, channelCount: Int)
    throws(GoldenModelError) -> ConvInt8Epilogue
  {
    let bias = try integerBias(c, channels: channelCount)
    if let b = bias, b.type != .int32 {
      throw GoldenModelError(.invalidModel, c.location, "int8 convolution needs an int32 bias; got \(b.type)")
    }
    return ConvInt8Epilogue(
      bias: (bias?.values ?? [Int64](repeating: 0, count: channelCount)).map { Int32(truncatingIfNeeded: $0) },
      multiplier: q.multipliers.map(\.multiplier), shift: q.multipliers.map(\.shift),
      outputZeroPoint: q.outputZeroPoint, range: q.range)
  }

  /// Integer values widened to `Int32` with `offset` added.
  fileprivate static func widen(_ v: TensorData, offset: Int32, _ role: String, _ c: KernelContext)
    throws(GoldenModelError) -> [Int32]
  {
    switch v.storage {
    case .int8(let a): return a.map { Int32($0) &+ offset }
    case .int16(let a): return a.map { Int32($0) &+ offset }
    case .uint8(let a): return a.map { Int32($0) &+ offset }
    default:
      throw GoldenModelError(
        .invalidModel, c.location, "\(role) is \(v.elementType); expected an 8- or 16-bit integer type")
    }
  }

  /// The float bias (input 2), or zeros when absent.
  fileprivate static func floatBias(_ c: KernelContext, channels: Int) throws(GoldenModelError) -> [Float] {
    guard let b = c.optionalValue(2) else { return [Float](repeating: 0, count: channels) }
    let v = try MatrixOperands.float32(b, "bias", c)
    guard v.count == channels else { throw badCount(c, "bias", v.count, channels) }
    return v
  }

  /// The integer bias (input 2) widened to `Int64`, its original type, or `nil` when absent.
  fileprivate static func integerBias(_ c: KernelContext, channels: Int) throws(GoldenModelError) -> (
    values: [Int64], type: ElementType
  )? {
    guard let b = c.optionalValue(2) else { return nil }
    let v = try MatrixOperands.wideBias(b, c)
    guard v.count == channels else { throw badCount(c, "bias", v.count, channels) }
    return (v, b.elementType)
  }
}

// MARK: - Epilogues

extension Kernels {
  /// Adds the bias to the raw accumulators of a convolution (NHWC, channel fastest) and
  /// requantizes per channel with `MultiplyByQuantizedMultiplier`.
  ///
  /// - int8: `int32` accumulator (wrapping), 32-bit double-rounding helper, `+ out_zp`, clamp.
  /// - int16 with an int64 bias (or none): `int64` accumulator, 64-bit helper, clamp.
  /// - int16 with an int32 bias: `int32` accumulator, 32-bit helper, clamp.
  fileprivate static func requantizeConv(
    _ c: KernelContext, _ acc: [Int64], _ q: ConvQuantization, _ out: Tensor, channelCount: Int
  ) throws(GoldenModelError) -> TensorData {
    let bias = try integerBias(c, channels: channelCount)
    let mults = q.multipliers.map(\.multiplier)
    let shifts = q.multipliers.map(\.shift)
    let range = q.range
    let n = acc.count
    switch out.elementType {
    case .int8:
      if let b = bias, b.type != .int32 {
        throw GoldenModelError(.invalidModel, c.location, "int8 convolution needs an int32 bias; got \(b.type)")
      }
      let b32 = (bias?.values ?? [Int64](repeating: 0, count: channelCount)).map { Int32(truncatingIfNeeded: $0) }
      let zp = q.outputZeroPoint
      var result = [Int8](repeating: 0, count: n)
      for i in 0..<n {
        let ch = i % channelCount
        let a = Int32(truncatingIfNeeded: acc[i]) &+ b32[ch]
        let r = FixedPoint.multiplyByQuantizedMultiplier(a, mults[ch], shifts[ch]) &+ zp
        result[i] = Int8(Requantize.clamp(r, range))
      }
      return TensorData(shape: out.shape, storage: .int8(result))
    case .int16:
      var result = [Int16](repeating: 0, count: n)
      if let b = bias, b.type == .int32 {
        let b32 = b.values.map { Int32(truncatingIfNeeded: $0) }
        for i in 0..<n {
          let ch = i % channelCount
          let a = Int32(truncatingIfNeeded: acc[i]) &+ b32[ch]
          result[i] = Int16(Requantize.clamp(FixedPoint.multiplyByQuantizedMultiplier(a, mults[ch], shifts[ch]), range))
        }
      } else {
        try Requantize.checkWideShift(q.multipliers, c)
        let b64 = bias?.values ?? [Int64](repeating: 0, count: channelCount)
        for i in 0..<n {
          let ch = i % channelCount
          let a = acc[i] &+ b64[ch]
          result[i] = Int16(Requantize.clamp(Requantize.multiplyByQuantizedMultiplier(a, mults[ch], shifts[ch]), range))
        }
      }
      return TensorData(shape: out.shape, storage: .int16(result))
    default:
      throw c.unsupported("\(out.elementType) output")
    }
  }

  /// FULLY_CONNECTED int8 and 16×8: exact accumulation, then TFLite 2.21's reference
  /// requantization in `double`: `round(Double(acc + bias) × in_scale × w_scale[c] / out_scale)`.
  fileprivate static func fullyConnectedQuantized(
    _ c: KernelContext, x: Tensor, w: Tensor, out: Tensor, _ mm: MatMulShape, activation: FusedActivation,
    workers: Int
  ) throws(GoldenModelError) -> TensorData {
    guard out.elementType == x.elementType else {
      throw c.unsupported("FULLY_CONNECTED \(x.elementType) input with \(out.elementType) output")
    }
    let qx = try c.quantization(of: x)
    let qw = try c.quantization(of: w)
    let qo = try c.quantization(of: out)
    let perChannel = qw.scales.count > 1
    if perChannel, qw.scales.count != mm.cols {
      throw GoldenModelError(.invalidModel, c.location, "weights have \(qw.scales.count) scales for \(mm.cols) units")
    }
    if x.elementType == .int16, qx.zeroPoint != 0 || qo.zeroPoint != 0 {
      throw GoldenModelError(
        .invalidModel, c.location,
        "int16 activations must have zero point 0; input \(qx.zeroPoint), output \(qo.zeroPoint)")
    }
    // Per-channel weights are symmetric and TFLite ignores their zero point; per-tensor weights
    // keep theirs (`weights_offset`) for backward compatibility.
    let weightOffset: Int32 = perChannel ? 0 : -Int32(clamping: qw.zeroPoint)
    let inputOffset = -Int32(clamping: qx.zeroPoint)
    let xv = try MatrixOperands.value(0, count: x.elementCount, "input", c)
    // Widened first when the fast core does not apply, so errors come in the same order.
    let fast = x.elementType == .int8 && Int8GEMM.offsetFits(inputOffset) && Int8GEMM.offsetFits(weightOffset)
    let xs: [Int32]? = if fast, case .int8 = xv.storage { nil } else { try widen(xv, offset: inputOffset, "input", c) }
    let wv = try MatrixOperands.value(1, count: w.elementCount, "weights", c)
    let acc: [Int64]
    if xs == nil, case .int8(let xa) = xv.storage, case .int8(let wa) = wv.storage {
      // Only the low 32 bits of an int8 accumulator are used below.
      acc = fullyConnectedInt8(
        input: xa, inputOffset: inputOffset, weights: wa, weightOffset: weightOffset, mm, workers: workers
      ).map { Int64($0) }
    } else {
      let xs32 = if let xs { xs } else { try widen(xv, offset: inputOffset, "input", c) }
      acc = fullyConnectedAccumulate(xs32, try widen(wv, offset: weightOffset, "weights", c), mm)
    }
    let bias = try integerBias(c, channels: mm.cols)
    let scales = (0..<mm.cols).map { u in
      Requantize.fullyConnectedScale(
        inputScale: qx.scale, filterScale: perChannel ? qw.scales[u] : qw.scale, outputScale: qo.scale)
    }
    let range = try Requantize.activationRange(activation, output: out, c)
    let zp = Int32(clamping: qo.zeroPoint)
    // The accumulator has the bias's width: int32 for int8 (and 16×8 with an int32 bias),
    // int64 otherwise.
    let wideAccumulator = x.elementType == .int16 && bias?.type != .int32
    if x.elementType == .int8, let b = bias, b.type != .int32 {
      throw GoldenModelError(.invalidModel, c.location, "int8 FULLY_CONNECTED needs an int32 bias; got \(b.type)")
    }
    let b = bias?.values ?? [Int64](repeating: 0, count: mm.cols)
    var values = [Int32](repeating: 0, count: acc.count)
    for i in 0..<acc.count {
      let u = i % mm.cols
      let total: Int64 =
        wideAccumulator
        ? acc[i] &+ b[u]
        : Int64(Int32(truncatingIfNeeded: acc[i]) &+ Int32(truncatingIfNeeded: b[u]))
      values[i] = Requantize.clamp(Requantize.roundToInt32(total, scale: scales[u]) &+ zp, range)
    }
    if x.elementType == .int8 {
      return TensorData(shape: out.shape, storage: .int8(values.map { Int8($0) }))
    }
    return TensorData(shape: out.shape, storage: .int16(values.map { Int16($0) }))
  }
}

// MARK: - Accumulation cores

extension Kernels {
  /// `Σ w[oc, ky, kx, i] · xs[b, iy, ix, g·depth + i]` over in-image taps, NHWC order.
  static func convAccumulate(_ xs: [Int32], _ ws: [Int32], _ s: ConvShape) -> [Int64] {
    let g = s.geometry
    let rows = g.rowTaps
    let cols = g.columnTaps
    let depth = s.filterDepth
    let perGroup = s.filtersPerGroup
    var acc = [Int64](repeating: 0, count: g.batches * g.outH * g.outW * g.outC)
    xs.withUnsafeBufferPointer { x in
      ws.withUnsafeBufferPointer { w in
        acc.withUnsafeMutableBufferPointer { out in
          var o = 0
          for b in 0..<g.batches {
            for oy in 0..<g.outH {
              for ox in 0..<g.outW {
                for oc in 0..<g.outC {
                  let channelBase = (oc / perGroup) * depth
                  var sum: Int64 = 0
                  for (ky, iy) in rows[oy] {
                    for (kx, ix) in cols[ox] {
                      let xBase = ((b * g.inH + iy) * g.inW + ix) * g.inC + channelBase
                      let wBase = ((oc * g.filterH + ky) * g.filterW + kx) * depth
                      var partial: Int64 = 0
                      for i in 0..<depth {
                        partial &+= Int64(w[wBase + i] &* x[xBase + i])
                      }
                      sum &+= partial
                    }
                  }
                  out[o] = sum
                  o += 1
                }
              }
            }
          }
        }
      }
    }
    return acc
  }

  /// `Σ w[0, ky, kx, oc] · xs[b, iy, ix, oc / multiplier]` over in-image taps.
  static func depthwiseAccumulate(_ xs: [Int32], _ ws: [Int32], _ g: WindowGeometry, multiplier: Int) -> [Int64] {
    let rows = g.rowTaps
    let cols = g.columnTaps
    var acc = [Int64](repeating: 0, count: g.batches * g.outH * g.outW * g.outC)
    xs.withUnsafeBufferPointer { x in
      ws.withUnsafeBufferPointer { w in
        acc.withUnsafeMutableBufferPointer { out in
          for b in 0..<g.batches {
            for oy in 0..<g.outH {
              for ox in 0..<g.outW {
                let oBase = ((b * g.outH + oy) * g.outW + ox) * g.outC
                for (ky, iy) in rows[oy] {
                  for (kx, ix) in cols[ox] {
                    let xBase = ((b * g.inH + iy) * g.inW + ix) * g.inC
                    let wBase = (ky * g.filterW + kx) * g.outC
                    var oc = 0
                    for ic in 0..<g.inC {
                      let xv = x[xBase + ic]
                      for _ in 0..<multiplier {
                        out[oBase + oc] &+= Int64(w[wBase + oc] &* xv)
                        oc += 1
                      }
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
    return acc
  }

  /// `Σ_d ws[u, d] · xs[r, d]` for every row `r` and unit `u` (row-major output).
  static func fullyConnectedAccumulate(_ xs: [Int32], _ ws: [Int32], _ mm: MatMulShape) -> [Int64] {
    var acc = [Int64](repeating: 0, count: mm.rows * mm.cols)
    xs.withUnsafeBufferPointer { x in
      ws.withUnsafeBufferPointer { w in
        acc.withUnsafeMutableBufferPointer { out in
          for r in 0..<mm.rows {
            let xBase = r * mm.depth
            for u in 0..<mm.cols {
              let wBase = u * mm.depth
              var sum: Int64 = 0
              for d in 0..<mm.depth {
                sum &+= Int64(w[wBase + d] &* x[xBase + d])
              }
              out[r * mm.cols + u] = sum
            }
          }
        }
      }
    }
    return acc
  }

  /// `Σ_k a[batch, row, k] · b[batch, k, col]` with broadcast batches and adjoint strides.
  static func batchMatMulAccumulate(_ a: [Int32], _ b: [Int32], _ p: BatchMatMulPlan) -> [Int64] {
    var acc = [Int64](repeating: 0, count: p.batches * p.rows * p.cols)
    a.withUnsafeBufferPointer { lhs in
      b.withUnsafeBufferPointer { rhs in
        acc.withUnsafeMutableBufferPointer { out in
          var o = 0
          for n in 0..<p.batches {
            let aBase = p.lhsBatchOffsets[n]
            let bBase = p.rhsBatchOffsets[n]
            for i in 0..<p.rows {
              for j in 0..<p.cols {
                var sum: Int64 = 0
                var ai = aBase + i * p.lhsRowStride
                var bi = bBase + j * p.rhsColStride
                for _ in 0..<p.depth {
                  sum &+= Int64(lhs[ai]) &* Int64(rhs[bi])
                  ai += p.lhsDepthStride
                  bi += p.rhsDepthStride
                }
                out[o] = sum
                o += 1
              }
            }
          }
        }
      }
    }
    return acc
  }
}

// MARK: - Float kernels

extension Kernels {
  /// Float CONV_2D in TFLite's order: per output, `total += x · w` over (ky, kx, ic) in-image
  /// taps, then `total + bias`, then the activation clamp.
  static func convFloat(
    _ xv: [Float], _ wv: [Float], _ bias: [Float], _ s: ConvShape, _ act: (lower: Float, upper: Float)
  ) -> [Float] {
    let g = s.geometry
    let rows = g.rowTaps
    let cols = g.columnTaps
    let depth = s.filterDepth
    let perGroup = s.filtersPerGroup
    var result = [Float](repeating: 0, count: g.batches * g.outH * g.outW * g.outC)
    xv.withUnsafeBufferPointer { x in
      wv.withUnsafeBufferPointer { w in
        result.withUnsafeMutableBufferPointer { out in
          var o = 0
          for b in 0..<g.batches {
            for oy in 0..<g.outH {
              for ox in 0..<g.outW {
                for oc in 0..<g.outC {
                  let channelBase = (oc / perGroup) * depth
                  var total: Float = 0
                  for (ky, iy) in rows[oy] {
                    for (kx, ix) in cols[ox] {
                      let xBase = ((b * g.inH + iy) * g.inW + ix) * g.inC + channelBase
                      let wBase = ((oc * g.filterH + ky) * g.filterW + kx) * depth
                      for i in 0..<depth {
                        total += x[xBase + i] * w[wBase + i]
                      }
                    }
                  }
                  out[o] = Requantize.clamp(total + bias[oc], act.lower, act.upper)
                  o += 1
                }
              }
            }
          }
        }
      }
    }
    return result
  }

  /// Float DEPTHWISE_CONV_2D: per output channel, `total += x · w` over (ky, kx) in-image taps,
  /// then `total + bias`, then the clamp (each channel sums in TFLite's order).
  static func depthwiseFloat(
    _ xv: [Float], _ wv: [Float], _ bias: [Float], _ g: WindowGeometry, multiplier: Int,
    _ act: (lower: Float, upper: Float)
  ) -> [Float] {
    let rows = g.rowTaps
    let cols = g.columnTaps
    var result = [Float](repeating: 0, count: g.batches * g.outH * g.outW * g.outC)
    xv.withUnsafeBufferPointer { x in
      wv.withUnsafeBufferPointer { w in
        result.withUnsafeMutableBufferPointer { out in
          for b in 0..<g.batches {
            for oy in 0..<g.outH {
              for ox in 0..<g.outW {
                let oBase = ((b * g.outH + oy) * g.outW + ox) * g.outC
                for (ky, iy) in rows[oy] {
                  for (kx, ix) in cols[ox] {
                    let xBase = ((b * g.inH + iy) * g.inW + ix) * g.inC
                    let wBase = (ky * g.filterW + kx) * g.outC
                    var oc = 0
                    for ic in 0..<g.inC {
                      let xval = x[xBase + ic]
                      for _ in 0..<multiplier {
                        out[oBase + oc] += xval * w[wBase + oc]
                        oc += 1
                      }
                    }
                  }
                }
                for oc in 0..<g.outC {
                  out[oBase + oc] = Requantize.clamp(out[oBase + oc] + bias[oc], act.lower, act.upper)
                }
              }
            }
          }
        }
      }
    }
    return result
  }

  /// Float FULLY_CONNECTED: `total += x[r, d] · w[u, d]` for d ascending, `+ bias`, clamp.
  static func fullyConnectedFloat(
    _ xv: [Float], _ wv: [Float], _ bias: [Float], _ mm: MatMulShape, _ act: (lower: Float, upper: Float)
  ) -> [Float] {
    var result = [Float](repeating: 0, count: mm.rows * mm.cols)
    xv.withUnsafeBufferPointer { x in
      wv.withUnsafeBufferPointer { w in
        result.withUnsafeMutableBufferPointer { out in
          for r in 0..<mm.rows {
            let xBase = r * mm.depth
            for u in 0..<mm.cols {
              let wBase = u * mm.depth
              var total: Float = 0
              for d in 0..<mm.depth {
                total += x[xBase + d] * w[wBase + d]
              }
              out[r * mm.cols + u] = Requantize.clamp(total + bias[u], act.lower, act.upper)
            }
          }
        }
      }
    }
    return result
  }

  /// Float BATCH_MATMUL: `total += a[i, k] · b[k, j]` for k ascending; no bias, no clamp.
  static func batchMatMulFloat(_ a: [Float], _ b: [Float], _ p: BatchMatMulPlan) -> [Float] {
    var result = [Float](repeating: 0, count: p.batches * p.rows * p.cols)
    a.withUnsafeBufferPointer { lhs in
      b.withUnsafeBufferPointer { rhs in
        result.withUnsafeMutableBufferPointer { out in
          var o = 0
          for n in 0..<p.batches {
            for i in 0..<p.rows {
              for j in 0..<p.cols {
                var total: Float = 0
                var ai = p.lhsBatchOffsets[n] + i * p.lhsRowStride
                var bi = p.rhsBatchOffsets[n] + j * p.rhsColStride
                for _ in 0..<p.depth {
                  total += lhs[ai] * rhs[bi]
                  ai += p.lhsDepthStride
                  bi += p.rhsDepthStride
                }
                out[o] = total
                o += 1
              }
            }
          }
        }
      }
    }
    return result
  }
}
