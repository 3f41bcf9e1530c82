import GraphIR
import Support

extension QuantizedModel {
  /// A float32 model that emulates ``model``'s quantization ("fake quantization"), for schemes
  /// the golden model cannot execute natively (`uint8-affine`, `weights-only`).
  ///
  /// Every operator runs in float32 on dequantized weights, biases and constants; each quantized
  /// activation is rounded to its grid right after it is produced (QUANTIZE then DEQUANTIZE with
  /// its parameters); DEQUANTIZE ops become no-ops. Inputs and outputs keep ``model``'s types,
  /// so the same input data drives both. The integer kernels' requantization rounding is not
  /// modelled: on int8 models the two SQNRs agree to a fraction of a dB (see the tests).
  ///
  /// The returned map takes a tensor of ``model``'s main graph to the simulation tensor holding
  /// its (dequantized) value.
  public func simulationModel() -> (model: Model, tensorMap: [TensorID: TensorID]) {
    var builder = SimulationBuilder(source: model.main)
    let main = builder.build()
    var graphs = [main]
    for sub in model.graphs.dropFirst() {
      var s = sub
      for t in s.tensors.indices where s.tensors[t].isConstant {
        SimulationBuilder.dequantizeConstant(&s.tensors[t])
      }
      graphs.append(s)
    }
    return (Model(source: model.source + " (simulated)", graphs: graphs), builder.map)
  }
}

/// Builds the fake-quantized float graph of ``QuantizedModel/simulationModel()``.
struct SimulationBuilder {
  let source: Graph
  var tensors: [Tensor] = []
  var ops: [Operator] = []
  /// Source tensor → simulation tensor holding its real value.
  var map: [TensorID: TensorID] = [:]

  init(source: Graph) { self.source = source }

  static func isQuantizedActivation(_ t: Tensor) -> Bool {
    !t.isConstant && t.elementType.isQuantizedInteger && t.quantization != nil
  }

  static func dequantizeConstant(_ t: inout Tensor) {
    guard let data = t.data, let q = t.quantization, data.elementType != .float32 else { return }
    let values = AffineQuantization.dequantize(data, params: q).map { Float($0) }
    t.data = TensorData(shape: data.shape, storage: .float32(values))
    t.elementType = .float32
    t.quantization = nil
    t.packedBits = nil
    t.packedGroupSize = nil
  }

  mutating func add(_ t: Tensor) -> TensorID {
    tensors.append(t)
    return TensorID(tensors.count - 1)
  }

  /// A float tensor like `t` (no quantization parameters).
  func floatTensor(like t: Tensor, suffix: String = "") -> Tensor {
    var f = Tensor(name: t.name + suffix, shape: t.shape, elementType: .float32)
    f.shapeSignature = t.shapeSignature
    f.declaredSignature = t.declaredSignature
    f.isVariable = t.isVariable
    return f
  }

  /// Emits `QUANTIZE(x) → DEQUANTIZE → result` with `like`'s type and parameters.
  mutating func fakeQuantize(_ x: TensorID, like t: Tensor) -> TensorID {
    var q = Tensor(name: t.name + ";grid", shape: t.shape, elementType: t.elementType, quantization: t.quantization)
    q.shapeSignature = t.shapeSignature
    q.declaredSignature = t.declaredSignature
    let qid = add(q)
    ops.append(Operator(kind: .quantize, inputs: [x], outputs: [qid]))
    let r = add(floatTensor(like: t))
    ops.append(Operator(kind: .dequantize, inputs: [qid], outputs: [r]))
    return r
  }

  mutating func build() -> Graph {
    // Constants and non-quantized tensors are copied (constants dequantized).
    for (i, t) in source.tensors.enumerated() where t.isConstant || !Self.isQuantizedActivation(t) {
      if source.inputs.contains(TensorID(i)) { continue }
      var c = t
      if c.isConstant { Self.dequantizeConstant(&c) }
      map[TensorID(i)] = add(c)
    }
    var inputs: [TensorID] = []
    for id in source.inputs {
      let t = source[id]
      let raw = add(t)
      inputs.append(raw)
      if Self.isQuantizedActivation(t) {
        let f = add(floatTensor(like: t))
        ops.append(Operator(kind: .dequantize, inputs: [raw], outputs: [f]))
        map[id] = f
      } else {
        map[id] = raw
      }
    }
    for op in source.operators {
      let ins = op.inputs.map { $0.flatMap { map[$0] } }
      switch op.kind {
      case .dequantize:
        if let o = op.outputs.first, let x = ins.first ?? nil { map[o] = x }
        continue
      case .quantize:
        if let o = op.outputs.first, let x = ins.first ?? nil {
          map[o] = fakeQuantize(x, like: source[o])
        }
        continue
      default:
        break
      }
      var outs: [TensorID] = []
      var grids: [(TensorID, TensorID)] = []
      for o in op.outputs {
        let t = source[o]
        if Self.isQuantizedActivation(t) {
          let raw = add(floatTensor(like: t, suffix: ";float"))
          outs.append(raw)
          grids.append((o, raw))
        } else if let existing = map[o] {
          outs.append(existing)
        } else {
          let n = add(t)
          map[o] = n
          outs.append(n)
        }
      }
      ops.append(Operator(kind: op.kind, inputs: ins, outputs: outs))
      for (o, raw) in grids { map[o] = fakeQuantize(raw, like: source[o]) }
    }
    var outputs: [TensorID] = []
    for id in source.outputs {
      let t = source[id]
      guard let value = map[id] else { continue }
      if Self.isQuantizedActivation(t) {
        let q = add(t)
        ops.append(Operator(kind: .quantize, inputs: [value], outputs: [q]))
        outputs.append(q)
      } else {
        outputs.append(value)
      }
    }
    return Graph(name: source.name, tensors: tensors, operators: ops, inputs: inputs, outputs: outputs)
  }
}
