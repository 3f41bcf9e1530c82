// issue 14: vops
import GraphIR
import Support
import TileISA

/// The issue-14 elementwise operators that moved from the host onto the vector unit: int8 DIV
/// (`vbinary fn=div`), int8 LESS → bool (`vbinary fn=less`), bool LOGICAL_AND (`vbinary
/// fn=and`), SELECT/SELECT_V2 of int8 values by a bool condition (`vbinary fn=select`, the
/// condition a third operand); int8 SQRT is a `vlut` table (`isLookupOperator`).
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
    case .select: true
    case .selectV2: true
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

  /// SELECT / SELECT_V2 with a bool condition and int8 values → `vbinary fn=select` (x as `a`, y
  /// as `b`, the condition a third operand), with ADD's broadcast lowering. SELECT_V2 broadcasts
  /// all three shapes; SELECT takes x's shape, the condition equal to it, a scalar, or one flag
  /// per leading slice (viewed as `[n, 1, …]`). Values are copied unchanged, as TFLite does.
  func select(broadcasting: Bool) -> Decision {
    guard let cID = op.input(0), let xID = op.input(1), let yID = op.input(2), let c = input(0), let x = input(1),
      let y = input(2), let out = output
    else {
      return host("missing operands")
    }
    guard !floatDatapath else { return host("float32 datapath: bool tensors stay on the host") }
    guard c.elementType == .bool, x.elementType == .int8, y.elementType == .int8, out.elementType == .int8 else {
      return host(
        "\(c.elementType) condition, \(x.elementType)/\(y.elementType) values; vbinary fn=select picks int8 by bool bytes"
      )
    }
    var conditionShape = c.shape
    if broadcasting {
      guard let xy = Broadcast.shape(x.shape, y.shape), let all = Broadcast.shape(c.shape, xy), all == out.shape else {
        return host("shapes do not broadcast to the output")
      }
    } else {
      guard x.shape == y.shape, x.shape == out.shape else { return host("x, y and the output differ in shape") }
      if c.shape == x.shape || c.shape.isEmpty {
        // elementwise, or a scalar broadcast
      } else if c.shape.count == 1, let leading = x.shape.first, c.shape[0] == leading {
        conditionShape = [leading] + [Int](repeating: 1, count: x.shape.count - 1)
      } else {
        return host("condition \(c.shape) is neither x's shape \(x.shape), a scalar nor one flag per leading slice")
      }
    }
    let (dims, strides) = coalesce(output: out.shape, operands: [x.shape, y.shape, conditionShape])
    let placeholder = VectorView(address: SRAMAddress(0), outerStrideBytes: 0)  // the schedule's tile view
    let work = BinaryWork(
      op: .select, a: xID, b: yID, output: op.outputs[0], dims: dims, aStrides: strides[0], bStrides: strides[1],
      parameters: .function(.select(condition: placeholder)), tiling: nil, condition: cID, conditionStrides: strides[2])
    let broadcast =
      Set([x.shape, y.shape, conditionShape, out.shape]).count > 1 ? " with zero-stride (broadcast) operands" : ""
    return (
      .vectorUnit,
      "\(name): vbinary fn=select on the vector unit\(broadcast) (the bool condition a third operand; int8 values copied unchanged)",
      .binary(work)
    )
  }
}
