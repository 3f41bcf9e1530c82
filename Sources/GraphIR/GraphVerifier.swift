/// One problem found by ``GraphVerifier``.
public struct GraphProblem: Sendable, Hashable, CustomStringConvertible {
  /// Index of the graph in the model.
  public var graph: Int
  /// The operator, when the problem belongs to one: index, TFLite name, output tensor name.
  public var operatorIndex: Int?
  public var operatorName: String?
  public var outputName: String?
  /// What is wrong and what was expected.
  public var message: String

  /// `op #17 CONV_2D 'conv1': weight zero point 3; int8 weights must have zero point 0`
  /// (prefixed with `subgraph N ` for graphs other than the first).
  public var description: String {
    var place = graph == 0 ? "" : "subgraph \(graph) "
    if let i = operatorIndex {
      place += "op #\(i)"
      if let n = operatorName { place += " \(n)" }
      if let o = outputName { place += " '\(shortName(o))'" }
    } else if place.isEmpty {
      place = "graph"
    }
    return "\(place.trimmingCharacters(in: .whitespaces)): \(message)"
  }
}

/// Checks a model for structural consistency and reports every problem at once.
///
/// Checks tensor references, constant data sizes, quantization parameter counts, zero points
/// within their element type's range, int8 weight zero points, the data flow (every graph has
/// operators; each tensor an operator reads is a graph input, a constant, a variable or the
/// output of an earlier operator, so there are no cycles; no tensor has two producers), and the
/// shapes of the ops the accelerator and golden model rely on (convolution geometry, matrix
/// dimensions, broadcasting). These are the models TFLite itself would refuse to prepare.
public enum GraphVerifier {
  /// All problems in `model`, in graph then operator order; empty when the model is consistent.
  public static func verify(_ model: Model) -> [GraphProblem] {
    var problems: [GraphProblem] = []
    for (g, graph) in model.graphs.enumerated() {
      problems += verify(graph, index: g, graphCount: model.graphs.count)
    }
    return problems
  }

  static func verify(_ graph: Graph, index g: Int, graphCount: Int) -> [GraphProblem] {
    var problems: [GraphProblem] = []
    let n = graph.tensors.count
    func graphProblem(_ m: String) { problems.append(GraphProblem(graph: g, message: m)) }

    for id in graph.inputs + graph.outputs where id.index < 0 || id.index >= n {
      graphProblem("graph input/output tensor index \(id.index) out of range 0..<\(n)")
    }
    for (t, tensor) in graph.tensors.enumerated() {
      if tensor.shape.contains(where: { $0 < 0 }) {
        graphProblem("tensor #\(t) '\(tensor.name)' has negative dimension in shape \(tensor.shape)")
      }
      if let data = tensor.data {
        if data.elementType != tensor.elementType {
          graphProblem("tensor #\(t) '\(tensor.name)' data is \(data.elementType), tensor type is \(tensor.elementType)")
        } else if !tensor.shape.contains(where: { $0 < 0 }) && data.count != tensor.elementCount {
          graphProblem(
            "tensor #\(t) '\(tensor.name)' has \(data.count) constant elements; shape \(tensor.shape) needs \(tensor.elementCount)")
        }
      }
      if let bits = tensor.packedBits {
        if let problem = packingProblem(tensor, bits: bits) {
          graphProblem("tensor #\(t) '\(tensor.name)' has packedBits \(bits): \(problem)")
        }
      }
      if let q = tensor.quantization {
        if let range = zeroPointRange(tensor.elementType), let zp = q.zeroPoints.first(where: { !range.contains($0) }) {
          graphProblem(
            "tensor #\(t) '\(shortName(tensor.name))' has zero point \(zp); \(tensor.elementType) zero points must lie in \(range.lowerBound)…\(range.upperBound)")
        }
        if q.scales.count != q.zeroPoints.count {
          graphProblem("tensor #\(t) '\(tensor.name)' has \(q.scales.count) scales but \(q.zeroPoints.count) zero points")
        }
        if q.scales.contains(where: { !($0 > 0) || !$0.isFinite }) {
          graphProblem("tensor #\(t) '\(tensor.name)' has a scale that is not a positive finite number")
        }
        if q.scales.count > 1 {
          let d = q.quantizedDimension
          if d < 0 || d >= tensor.shape.count {
            graphProblem("tensor #\(t) '\(tensor.name)' quantized dimension \(d) out of range for rank \(tensor.shape.count)")
          } else if tensor.shape[d] != q.scales.count {
            graphProblem(
              "tensor #\(t) '\(tensor.name)' has \(q.scales.count) per-channel scales; dimension \(d) has \(tensor.shape[d]) channels")
          }
        }
      }
    }

    problems += dataFlowProblems(graph, index: g)

    for (i, op) in graph.operators.enumerated() {
      let outName = op.outputs.first.flatMap { $0.index >= 0 && $0.index < n ? graph[$0].name : nil }
      func problem(_ m: String) {
        problems.append(
          GraphProblem(graph: g, operatorIndex: i, operatorName: op.kind.tfliteName, outputName: outName, message: m))
      }
      var refsOK = true
      for id in op.inputs.compactMap({ $0 }) + op.outputs where id.index < 0 || id.index >= n {
        problem("tensor index \(id.index) out of range 0..<\(n)")
        refsOK = false
      }
      guard refsOK else { continue }
      // Shapes of run-time-sized tensors are placeholders; the golden model checks them when it
      // computes them.
      if (op.inputs.compactMap { $0 } + op.outputs).contains(where: { graph[$0].isDynamic }) { continue }
      OperatorChecks(graph: graph, op: op, problem: problem, graphCount: graphCount).run()
    }
    return problems
  }

  /// The zero points a quantized tensor of `type` may have: the type's own range (TFLite
  /// rejects others when it prepares the model); `nil` for types without a check.
  static func zeroPointRange(_ type: ElementType) -> ClosedRange<Int64>? {
    switch type {
    case .int8: -128...127
    case .uint8: 0...255
    case .int16: -32768...32767
    case .int32: Int64(Int32.min)...Int64(Int32.max)
    default: nil
    }
  }

  /// Problems with how data flows through `graph`, in operator order:
  /// - a graph without operators;
  /// - a tensor written by two operators (or an operator writing a graph input or a constant);
  /// - an operator reading a tensor that an operator at or after it produces (operators must be
  ///   in execution order, which also rules out cycles);
  /// - an operator or graph output reading a tensor that nothing provides: not a graph input,
  ///   constant or variable, and produced by no operator.
  static func dataFlowProblems(_ graph: Graph, index g: Int) -> [GraphProblem] {
    var problems: [GraphProblem] = []
    let n = graph.tensors.count
    func valid(_ id: TensorID) -> Bool { id.index >= 0 && id.index < n }
    func name(_ id: TensorID) -> String { "tensor #\(id.index) '\(shortName(graph[id].name))'" }
    if graph.operators.isEmpty {
      problems.append(GraphProblem(graph: g, message: "the graph has no operators"))
      return problems
    }
    let inputs = Set(graph.inputs.filter(valid))
    var producer: [TensorID: Int] = [:]
    for (i, op) in graph.operators.enumerated() {
      let outName = op.outputs.first.flatMap { valid($0) ? graph[$0].name : nil }
      func problem(_ m: String) {
        problems.append(
          GraphProblem(graph: g, operatorIndex: i, operatorName: op.kind.tfliteName, outputName: outName, message: m))
      }
      for id in op.outputs where valid(id) {
        if let first = producer[id] {
          problem("writes \(name(id)), which op #\(first) \(graph.operators[first].kind.tfliteName) also writes; a tensor has one producer")
        } else if inputs.contains(id) {
          problem("writes \(name(id)), which is a graph input")
        } else if graph[id].isConstant {
          problem("writes \(name(id)), which is a constant")
        } else {
          producer[id] = i
        }
      }
    }
    func provided(_ id: TensorID) -> Bool {
      inputs.contains(id) || graph[id].isConstant || graph[id].isVariable || producer[id] != nil
    }
    for (i, op) in graph.operators.enumerated() {
      let outName = op.outputs.first.flatMap { valid($0) ? graph[$0].name : nil }
      var reported: Set<TensorID> = []
      for id in op.inputs.compactMap({ $0 }) where valid(id) && !reported.contains(id) {
        reported.insert(id)
        let message: String
        if let p = producer[id], p >= i {
          message =
            p == i
            ? "reads \(name(id)), which it writes itself (a cycle)"
            : "reads \(name(id)) before op #\(p) \(graph.operators[p].kind.tfliteName) writes it; operators must be in execution order (a cycle?)"
        } else if !provided(id) {
          message = "reads \(name(id)), which is not a graph input, a constant or a variable, and no operator writes it"
        } else {
          continue
        }
        problems.append(
          GraphProblem(graph: g, operatorIndex: i, operatorName: op.kind.tfliteName, outputName: outName, message: message))
      }
    }
    for id in graph.outputs where valid(id) && !provided(id) {
      problems.append(
        GraphProblem(graph: g, message: "graph output \(name(id)) is not an input or a constant, and no operator writes it"))
    }
    return problems
  }

  /// Why `tensor` cannot be stored `bits` per value, or `nil` when it can: the width must be one
  /// of ``Tensor/packableBits`` and the tensor constant int8 data whose every value lies in the
  /// width's signed range.
  public static func packingProblem(_ tensor: Tensor, bits: Int) -> String? {
    guard Tensor.packableBits.contains(bits) else {
      return "expected one of \(Tensor.packableBits.map(String.init).joined(separator: ", ")) bits"
    }
    guard tensor.elementType == .int8, let data = tensor.data, case .int8(let values) = data.storage else {
      return "only constant int8 tensors can be packed; this one is \(tensor.isConstant ? "" : "non-constant ")\(tensor.elementType)"
    }
    if let n = tensor.packedGroupSize { return groupProblem(tensor, values, bits: bits, groupSize: n) }
    let range = Tensor.signedRange(bits: bits)
    if let i = values.firstIndex(where: { !range.contains(Int($0)) }) {
      return "element \(i) is \(values[i]), outside the \(bits)-bit range \(range.lowerBound)…\(range.upperBound)"
    }
    return nil
  }

  /// Why fine-grained ternary storage (``Tensor/packedGroupSize``) does not hold `values`.
  static func groupProblem(_ tensor: Tensor, _ values: [Int8], bits: Int, groupSize n: Int) -> String? {
    guard bits == 2 else { return "a group size needs 2-bit storage (ternary codes)" }
    guard n >= 1 else { return "group size \(n) must be ≥ 1" }
    // One channel when the axis is outside the shape (as the quantizer treats it).
    let layout =
      ChannelLayout(shape: tensor.shape, axis: tensor.quantization?.quantizedDimension ?? 0)
      ?? ChannelLayout(shape: [values.count], axis: 0)
    guard let layout else { return nil }
    for c in 0..<layout.channels {
      let indices = layout.indices(ofChannel: c, count: values.count)
      for start in stride(from: 0, to: indices.count, by: n) {
        var level: Int8 = 0
        for i in indices[start..<min(start + n, indices.count)] where values[i] != 0 {
          let magnitude = values[i] == Int8.min ? Int8.max : abs(values[i])
          if values[i] == Int8.min || (level != 0 && magnitude != level) {
            return
              "element \(i) is \(values[i]); channel \(c) group \(start / n) holds ±\(level == 0 ? magnitude : level) (ternary levels are one magnitude 0…127 per group of \(n))"
          }
          level = magnitude
        }
      }
    }
    return nil
  }
}

/// Per-operator shape and quantization checks.
private struct OperatorChecks {
  let graph: Graph
  let op: Operator
  let problem: (String) -> Void
  let graphCount: Int

  func tensor(_ position: Int) -> Tensor? { op.input(position).map { graph[$0] } }
  var output: Tensor? { op.outputs.first.map { graph[$0] } }

  func requireInputs(_ count: Int) -> Bool {
    let present = op.inputs.prefix(count).compactMap { $0 }.count
    if op.inputs.count < count || present < count {
      problem("needs \(count) inputs, has \(present)")
      return false
    }
    if op.outputs.isEmpty {
      problem("has no output")
      return false
    }
    return true
  }

  func checkWeightZeroPoints(_ w: Tensor, activation: ElementType) {
    guard w.elementType == .int8, activation == .int8 || activation == .int16,
      let q = w.quantization
    else { return }
    if let zp = q.zeroPoints.first(where: { $0 != 0 }) {
      problem("weight zero point \(zp); int8 weights must have zero point 0")
    }
  }

  func checkBias(_ position: Int, channels: Int) {
    guard let b = tensor(position) else { return }
    if b.elementCount != channels {
      problem("bias has \(b.elementCount) elements; expected \(channels) (one per output channel)")
    }
  }

  func expectOutputShape(_ expected: [Int]) {
    guard let out = output else { return }
    if out.shape != expected {
      problem("output shape \(out.shape); expected \(expected) from the input shapes and options")
    }
  }

  func run() {
    switch op.kind {
    case .conv2D(let o):
      guard requireInputs(2), let x = tensor(0), let w = tensor(1) else { return }
      guard x.shape.count == 4, w.shape.count == 4 else {
        problem("input and filter must be rank 4 (NHWC, OHWI); got \(x.shape) and \(w.shape)")
        return
      }
      guard o.strideH > 0, o.strideW > 0, o.dilationH > 0, o.dilationW > 0 else {
        problem("strides and dilations must be positive")
        return
      }
      if w.shape[3] == 0 || x.shape[3] % w.shape[3] != 0 {
        problem("input has \(x.shape[3]) channels; filter expects a multiple of \(w.shape[3])")
      }
      let h = o.padding.geometry(input: x.shape[1], filter: w.shape[1], stride: o.strideH, dilation: o.dilationH)
      let wg = o.padding.geometry(input: x.shape[2], filter: w.shape[2], stride: o.strideW, dilation: o.dilationW)
      expectOutputShape([x.shape[0], h.output, wg.output, w.shape[0]])
      checkWeightZeroPoints(w, activation: x.elementType)
      checkBias(2, channels: w.shape[0])
    case .depthwiseConv2D(let o):
      guard requireInputs(2), let x = tensor(0), let w = tensor(1) else { return }
      guard x.shape.count == 4, w.shape.count == 4 else {
        problem("input and filter must be rank 4 (NHWC, 1HWO); got \(x.shape) and \(w.shape)")
        return
      }
      guard o.strideH > 0, o.strideW > 0, o.dilationH > 0, o.dilationW > 0, o.depthMultiplier > 0 else {
        problem("strides, dilations and depth multiplier must be positive")
        return
      }
      if w.shape[3] != x.shape[3] * o.depthMultiplier {
        problem(
          "filter has \(w.shape[3]) output channels; input channels \(x.shape[3]) × depth multiplier \(o.depthMultiplier) = \(x.shape[3] * o.depthMultiplier)")
      }
      let h = o.padding.geometry(input: x.shape[1], filter: w.shape[1], stride: o.strideH, dilation: o.dilationH)
      let wg = o.padding.geometry(input: x.shape[2], filter: w.shape[2], stride: o.strideW, dilation: o.dilationW)
      expectOutputShape([x.shape[0], h.output, wg.output, w.shape[3]])
      checkWeightZeroPoints(w, activation: x.elementType)
      checkBias(2, channels: w.shape[3])
    case .fullyConnected:
      guard requireInputs(2), let x = tensor(0), let w = tensor(1) else { return }
      guard w.shape.count == 2, w.shape[1] > 0 else {
        problem("weights must be rank 2 [units, depth]; got \(w.shape)")
        return
      }
      if x.elementCount % w.shape[1] != 0 {
        problem("input has \(x.elementCount) elements, not a multiple of the weight depth \(w.shape[1])")
      }
      if let out = output, out.elementCount != (x.elementCount / w.shape[1]) * w.shape[0] {
        problem(
          "output has \(out.elementCount) elements; expected \(x.elementCount / w.shape[1]) rows × \(w.shape[0]) units")
      }
      checkWeightZeroPoints(w, activation: x.elementType)
      checkBias(2, channels: w.shape[0])
    case .batchMatMul(let adjX, let adjY):
      guard requireInputs(2), let x = tensor(0), let y = tensor(1) else { return }
      guard x.shape.count >= 2, y.shape.count >= 2 else {
        problem("operands must be at least rank 2; got \(x.shape) and \(y.shape)")
        return
      }
      let kx = adjX ? x.shape[x.shape.count - 2] : x.shape[x.shape.count - 1]
      let ky = adjY ? y.shape[y.shape.count - 1] : y.shape[y.shape.count - 2]
      if kx != ky { problem("contraction dimensions differ: \(kx) and \(ky)") }
    case .add, .sub, .mul, .squaredDifference:
      guard requireInputs(2), let a = tensor(0), let b = tensor(1) else { return }
      if let s = Broadcast.shape(a.shape, b.shape) {
        expectOutputShape(s)
      } else {
        problem("shapes \(a.shape) and \(b.shape) do not broadcast")
      }
    case .averagePool2D(let o), .maxPool2D(let o):
      guard requireInputs(1), let x = tensor(0) else { return }
      guard x.shape.count == 4 else {
        problem("input must be rank 4 (NHWC); got \(x.shape)")
        return
      }
      guard o.strideH > 0, o.strideW > 0, o.filterH > 0, o.filterW > 0 else {
        problem("strides and filter size must be positive")
        return
      }
      let h = o.padding.geometry(input: x.shape[1], filter: o.filterH, stride: o.strideH)
      let wg = o.padding.geometry(input: x.shape[2], filter: o.filterW, stride: o.strideW)
      expectOutputShape([x.shape[0], h.output, wg.output, x.shape[3]])
    case .callOnce(let sub):
      if sub < 0 || sub >= graphCount {
        problem("init subgraph \(sub) out of range 0..<\(graphCount)")
      }
    case .reshape, .squeeze:
      guard requireInputs(1), let x = tensor(0), let out = output else { return }
      if x.elementCount != out.elementCount {
        problem("input has \(x.elementCount) elements, output \(out.elementCount)")
      }
    default:
      break
    }
  }
}

/// NumPy-style broadcasting of two shapes.
public enum Broadcast {
  /// The broadcast shape, or `nil` when a dimension pair is neither equal nor 1.
  public static func shape(_ a: [Int], _ b: [Int]) -> [Int]? {
    let rank = max(a.count, b.count)
    var out = [Int](repeating: 1, count: rank)
    for i in 0..<rank {
      let da = i < rank - a.count ? 1 : a[i - (rank - a.count)]
      let db = i < rank - b.count ? 1 : b[i - (rank - b.count)]
      if da == db || db == 1 {
        out[i] = da
      } else if da == 1 {
        out[i] = db
      } else {
        return nil
      }
    }
    return out
  }
}

import Foundation
import Support
