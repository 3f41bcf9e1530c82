import GraphIR

/// Structural comparison of two models, for round-trip tests.
public enum ModelComparison {
  /// Every difference between `a` and `b` (graph count, names, tensors, constant data bit for
  /// bit, quantization, operators with their options and operands); empty when they are equal.
  /// `Model.source` is not compared.
  public static func differences(_ a: Model, _ b: Model) -> [String] {
    var out: [String] = []
    guard a.graphs.count == b.graphs.count else {
      return ["graph count \(a.graphs.count) vs \(b.graphs.count)"]
    }
    for (g, (x, y)) in zip(a.graphs, b.graphs).enumerated() {
      let p = "graph \(g)"
      if x.name != y.name { out.append("\(p) name '\(x.name)' vs '\(y.name)'") }
      if x.inputs != y.inputs { out.append("\(p) inputs \(x.inputs) vs \(y.inputs)") }
      if x.outputs != y.outputs { out.append("\(p) outputs \(x.outputs) vs \(y.outputs)") }
      if x.tensors.count != y.tensors.count {
        out.append("\(p) tensor count \(x.tensors.count) vs \(y.tensors.count)")
      } else {
        for (i, (s, t)) in zip(x.tensors, y.tensors).enumerated() {
          let q = "\(p) tensor #\(i) '\(s.name)'"
          if s.name != t.name { out.append("\(q) name vs '\(t.name)'") }
          if s.shape != t.shape { out.append("\(q) shape \(s.shape) vs \(t.shape)") }
          if s.elementType != t.elementType { out.append("\(q) type \(s.elementType) vs \(t.elementType)") }
          if s.isVariable != t.isVariable { out.append("\(q) isVariable \(s.isVariable) vs \(t.isVariable)") }
          if s.packedBits != t.packedBits {
            out.append("\(q) packedBits \(String(describing: s.packedBits)) vs \(String(describing: t.packedBits))")
          }
          if !sameQuantization(s.quantization, t.quantization) {
            out.append("\(q) quantization \(String(describing: s.quantization)) vs \(String(describing: t.quantization))")
          }
          switch (s.data, t.data) {
          case (nil, nil): break
          case (let d?, let e?):
            if d.shape != e.shape || d.elementType != e.elementType || d.littleEndianBytes() != e.littleEndianBytes() {
              out.append("\(q) constant data differs")
            }
          default: out.append("\(q) constant data present in only one model")
          }
        }
      }
      if x.operators.count != y.operators.count {
        out.append("\(p) operator count \(x.operators.count) vs \(y.operators.count)")
      } else {
        for (i, (s, t)) in zip(x.operators, y.operators).enumerated() {
          let q = "\(p) op #\(i) \(s.kind.tfliteName)"
          if !sameKind(s.kind, t.kind) { out.append("\(q) kind \(s.kind) vs \(t.kind)") }
          if s.inputs != t.inputs { out.append("\(q) inputs \(s.inputs) vs \(t.inputs)") }
          if s.outputs != t.outputs { out.append("\(q) outputs \(s.outputs) vs \(t.outputs)") }
        }
      }
    }
    return out
  }

  /// Scales compared bit for bit (so NaN equals itself).
  static func sameQuantization(_ a: QuantizationParameters?, _ b: QuantizationParameters?) -> Bool {
    switch (a, b) {
    case (nil, nil): return true
    case (let a?, let b?):
      return a.scales.map(\.bitPattern) == b.scales.map(\.bitPattern) && a.zeroPoints == b.zeroPoints
        && a.quantizedDimension == b.quantizedDimension
    default: return false
    }
  }

  /// Kinds compared with SOFTMAX beta bit for bit.
  static func sameKind(_ a: OpKind, _ b: OpKind) -> Bool {
    if case .softmax(let x) = a, case .softmax(let y) = b { return x.bitPattern == y.bitPattern }
    return a == b
  }
}
