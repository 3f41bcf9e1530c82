import Architecture
import GraphIR
import Support
import TileISA

// issue 14: argmax

/// ARG_MAX int8 → int32/int64 (`vreduce fn=argmax32|argmax64`): the constant axis viewed as
/// outer × reduced × inner, with MEAN's layouts and tiling (`MeanWork`); the output rows hold
/// 4- or 8-byte indices.
extension OperatorLegalizer {
  static func isArgMax(_ kind: OpKind) -> Bool {
    if case .argMax = kind { return true }
    return false
  }

  /// The index of the first largest stored value along the axis of input 1 (TFLite's
  /// `arg_min_max.cc` with `std::greater`: quantized values compare as stored, so no
  /// parameters); one channel's reduced elements and its index fit the unified buffer.
  func argMax(_ outputType: ElementType) -> Decision {
    guard let xID = op.input(0), let x = input(0), let out = output, let axisData = input(1)?.data else {
      return host("the axis is not constant")
    }
    guard x.elementType == .int8, !floatDatapath else {
      return host("\(x.elementType) input; vreduce fn=argmax compares int8 values")
    }
    let function: ReduceFunction
    switch outputType {
    case .int32: function = .argMaxInt32
    case .int64: function = .argMaxInt64
    default: return host("\(outputType) output; vreduce writes int32 or int64 indices")
    }
    guard out.elementType == outputType else { return host("output tensor is \(out.elementType), not \(outputType)") }
    let rank = x.shape.count
    guard axisData.integerValues.count == 1, let raw = axisData.integerValues.first else {
      return host("\(axisData.integerValues.count) axis values; expected one")
    }
    let axis = raw < 0 ? Int(raw) + rank : Int(raw)
    guard (0..<rank).contains(axis) else { return host("axis \(raw) out of range for rank \(rank)") }
    guard let (batches, pixels, channels) = Self.reductionLayout(x.shape, axes: [axis]) else {
      return host("axis \(raw) of \(x.shape) has no outer × reduced × inner view")
    }
    guard out.elementCount == batches * channels else { return host("output shape \(out.shape) does not match") }
    let eb = state.elementBytes
    let ob = function.indexBytes ?? eb
    let capacity = Int(state.arch.ub.capacity.count)
    guard pixels * eb + ob <= capacity else {
      return host(
        "one column of \(pixels) elements and its index need \(formatBytes(pixels * eb + ob)) of unified buffer; \(state.arch.name) has \(formatBytes(capacity))"
      )
    }
    var work = MeanWork(
      input: xID, output: op.outputs[0], batches: batches, pixels: pixels, channels: channels,
      parameters: RequantizeParameters(inputZeroPoint: 0, outputZeroPoint: 0, multiplier: 1 << 30, shift: 0),
      tiling: nil)
    work.argMax = function
    let layout = work.chooseRowLanes(elementBytes: eb)
    return (
      .vectorUnit,
      "\(name): vreduce fn=\(function.rawValue) on the vector unit over axis \(axis) (\(layout)); the first index of the maximum, as \(outputType)",
      .mean(work)
    )
  }
}
