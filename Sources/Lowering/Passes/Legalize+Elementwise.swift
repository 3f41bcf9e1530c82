// issue 14: vops
import GraphIR
import Support
import TileISA

/// The issue-14 elementwise operators that moved from the host onto the vector unit: int8 DIV
/// (`vbinary fn=div`), int8 LESS → bool (`vbinary fn=less`), bool LOGICAL_AND (`vbinary
/// fn=and`); int8 SQRT is a `vlut` table (`isLookupOperator`).
extension TFLiteQuantization {
  /// DIV int8 (`div.cc` Prepare): `QuantizeMultiplier(Double(s_a / (s_b · s_out)))`, the ratio
  /// in float as TFLite computes it. nil when the shift leaves some int8 pair's rescaling
  /// exponent outside 0...63 (`FixedPoint.divideShifts`), where TFLite's shift is undefined.
  static func divide(
    a: (scale: Float, zeroPoint: Int8), b: (scale: Float, zeroPoint: Int8),
    output: (scale: Float, zeroPoint: Int8), clamp: ClosedRange<Int8>
  ) -> DivideParameters? {
    guard let m = multiplier(Double(a.scale / (b.scale * output.scale))), FixedPoint.divideShifts.contains(m.shift)
    else { return nil }
    return DivideParameters(
      aZeroPoint: a.zeroPoint, bZeroPoint: b.zeroPoint, outputZeroPoint: output.zeroPoint, multiplier: m.multiplier,
      shift: m.shift, clamp: clamp)
  }
}

extension OperatorLegalizer {
  /// Operators whose bool tensors (one byte, 0 or 1) the vector unit reads or writes.
  static func takesBool(_ kind: OpKind) -> Bool {
    switch kind {
    case .less: true
    case .logicalAnd: true
    default: false
    }
  }

  /// LESS int8 × int8 → bool, or LOGICAL_AND bool × bool → bool, as a `vbinary` with ADD's
  /// broadcast lowering (`BinaryWork`).
  func boolBinary() -> Decision {
    guard let aID = op.input(0), let bID = op.input(1), let a = input(0), let b = input(1), let out = output else {
      return host("missing operands")
    }
    guard !floatDatapath else { return host("float32 datapath: bool tensors stay on the host") }
    guard out.elementType == .bool else { return host("\(out.elementType) output; the vector unit writes bool bytes") }
    guard let shape = Broadcast.shape(a.shape, b.shape), shape == out.shape else {
      return host("shapes do not broadcast to the output")
    }
    let function: BinaryFunction
    let kind: BinaryWork.Op
    let note: String
    switch op.kind {
    case .less:
      guard a.elementType == .int8, b.elementType == .int8, let aq = a.int8Affine, let bq = b.int8Affine else {
        return host("\(a.elementType) < \(b.elementType); vbinary fn=less compares per-tensor int8 operands")
      }
      // comparisons.cc: each input's scale as a multiplier below one, after a left shift of 8.
      guard let ma = TFLiteQuantization.smallerThanOne(Double(aq.scale)),
        let mb = TFLiteQuantization.smallerThanOne(Double(bq.scale))
      else {
        return host("an input scale ≥ 1 (TFLite rescales each input by a multiplier below one)")
      }
      function = .less(
        ComparisonParameters(
          aZeroPoint: aq.zeroPoint, bZeroPoint: bq.zeroPoint, aMultiplier: ma.multiplier, aShift: ma.shift,
          bMultiplier: mb.multiplier, bShift: mb.shift))
      kind = .less
      note = " (both inputs rescaled as TFLite's ComparisonWithScaling; bool bytes out)"
    default:
      guard a.elementType == .bool, b.elementType == .bool else {
        return host("\(a.elementType) and \(b.elementType); vbinary fn=and reads bool bytes")
      }
      function = .logicalAnd
      kind = .logicalAnd
      note = " (bool bytes)"
    }
    let (dims, strides) = coalesce(output: shape, operands: [a.shape, b.shape])
    let work = BinaryWork(
      op: kind, a: aID, b: bID, output: op.outputs[0], dims: dims, aStrides: strides[0], bStrides: strides[1],
      parameters: .function(function), tiling: nil)
    let broadcast = a.shape != b.shape ? " with a zero-stride (broadcast) operand" : ""
    return (
      .vectorUnit, "\(name): vbinary fn=\(function.name.rawValue) on the vector unit\(broadcast)\(note)", .binary(work)
    )
  }
}
