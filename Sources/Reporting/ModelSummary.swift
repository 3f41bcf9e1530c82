import GraphIR
import Support

/// What `systole inspect` shows: one row per operator of the main graph, then totals.
public struct ModelSummary: Sendable {
  /// One operator.
  public struct Row: Sendable {
    public var index: Int
    public var op: String
    public var name: String
    /// `1x32x32x3 int8` for each present input, in operand order.
    public var inputs: [String]
    public var outputs: [String]
    /// `per-tensor s=0.0235 zp=-128`, `per-channel(16) s=[0.0012, 0.0451] zp=0`, or `float`.
    public var quantization: String
    public var activation: String
    /// `SAME s2x2`, `VALID s1x1 d2x2`, or empty.
    public var geometry: String
    public var macs: Int
    public var weightBytes: Int
  }

  public var source: String
  public var rows: [Row]
  /// Operator counts by TFLite name, sorted by name.
  public var operatorCounts: [(String, Int)]
  /// Elements of all constant parameters (weights and biases) used by ops.
  public var parameters: Int
  public var macs: Int
  /// Parameter bytes as stored in the file.
  public var weightBytesStored: Int
  /// Parameter bytes if every parameter were float32.
  public var weightBytesFloat32: Int
  /// Peak bytes of simultaneously live activation tensors over the execution order.
  public var activationPeakBytes: Int
  public var inputs: [String]
  public var outputs: [String]
  public var subgraphs: Int
  /// Operators the importer could not read, one line each (`GATHER ×3 (builtin 36): op #3, #5,
  /// #9`), for a model `inspect` shows partially; empty otherwise.
  public var unsupported: [String] = []

  /// Summarizes `model`.
  public init(model: Model) {
    let g = model.main
    source = model.source
    subgraphs = model.graphs.count
    func describe(_ id: TensorID) -> String {
      let t = g[id]
      let shape = t.shape.isEmpty ? "scalar" : t.shape.map(String.init).joined(separator: "x")
      return "\(shape) \(t.elementType)"
    }
    // Graph inputs and outputs show the file's shape signature next to the resolved shape when
    // the file declared run-time dimensions (`1x224x224x3 int8 (signature -1x224x224x3)`).
    func describeIO(_ id: TensorID) -> String {
      let signature = g[id].declaredSignature.map { " (signature " + $0.map(String.init).joined(separator: "x") + ")" }
      return "'\(g[id].name)' \(describe(id))" + (signature ?? "")
    }
    inputs = g.inputs.map(describeIO)
    outputs = g.outputs.map(describeIO)
    var rows: [Row] = []
    var counts: [String: Int] = [:]
    var parameterIDs = Set<TensorID>()
    for (i, op) in g.operators.enumerated() {
      counts[op.kind.tfliteName, default: 0] += 1
      let geometry: String
      switch op.kind {
      case .conv2D(let o):
        geometry = "\(o.padding.rawValue) s\(o.strideH)x\(o.strideW)" + (o.dilationH * o.dilationW > 1 ? " d\(o.dilationH)x\(o.dilationW)" : "")
      case .depthwiseConv2D(let o):
        geometry = "\(o.padding.rawValue) s\(o.strideH)x\(o.strideW)" + (o.dilationH * o.dilationW > 1 ? " d\(o.dilationH)x\(o.dilationW)" : "")
          + (o.depthMultiplier > 1 ? " m\(o.depthMultiplier)" : "")
      case .averagePool2D(let o), .maxPool2D(let o):
        geometry = "\(o.padding.rawValue) \(o.filterH)x\(o.filterW) s\(o.strideH)x\(o.strideW)"
      default:
        geometry = ""
      }
      let weightBytes = g.weightBytes(ofOperator: i)
      if weightBytes > 0 {
        for id in op.inputs.compactMap({ $0 }) where g[id].isConstant && g[id].elementCount > 1 {
          parameterIDs.insert(id)
        }
      }
      let quantTensor = op.input(1).map { g[$0] }.flatMap { $0.isConstant ? $0 : nil }
      rows.append(
        Row(
          index: i, op: op.kind.tfliteName, name: op.outputs.first.map { g[$0].name } ?? "",
          inputs: op.inputs.compactMap { $0 }.filter { !g[$0].isConstant }.map(describe),
          outputs: op.outputs.map(describe),
          quantization: Self.quantizationSummary(weights: quantTensor, output: op.outputs.first.map { g[$0] }),
          activation: op.kind.fusedActivation?.rawValue ?? "",
          geometry: geometry, macs: g.macs(ofOperator: i), weightBytes: weightBytes))
    }
    self.rows = rows
    operatorCounts = counts.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    parameters = parameterIDs.reduce(0) { $0 + g[$1].elementCount }
    weightBytesStored = parameterIDs.reduce(0) { $0 + g[$1].byteCount }
    weightBytesFloat32 = parameters * 4
    macs = rows.reduce(0) { $0 + $1.macs }
    activationPeakBytes = Self.activationPeak(g)
  }

  static func quantizationSummary(weights: Tensor?, output: Tensor?) -> String {
    var parts: [String] = []
    if let w = weights, let q = w.quantization {
      if q.isPerChannel {
        let lo = q.scales.min() ?? 0
        let hi = q.scales.max() ?? 0
        parts.append("w per-channel(\(q.scales.count)) s=[\(fmt(lo)), \(fmt(hi))]")
      } else {
        parts.append("w s=\(fmt(q.scale))")
      }
    }
    if let o = output {
      if let q = o.quantization {
        parts.append("out s=\(fmt(q.scale)) zp=\(q.zeroPoint)")
      } else if o.elementType == .float32 {
        parts.append("float")
      }
    }
    return parts.joined(separator: "; ")
  }

  static func fmt(_ x: Float) -> String {
    String(format: "%.4g", Double(x))
  }

  /// Peak of the sum of live activation bytes, a tensor being live from the step that produces
  /// it (or the start, for graph inputs) through the last step that reads it (or the end, for
  /// graph outputs). Constants and variables are not activations.
  static func activationPeak(_ g: Graph) -> Int {
    let steps = g.operators.count
    var first = [Int: Int]()
    var last = [Int: Int]()
    for id in g.inputs {
      first[id.index] = 0
      last[id.index] = 0
    }
    for (i, op) in g.operators.enumerated() {
      for id in op.outputs where first[id.index] == nil { first[id.index] = i }
      for id in op.inputs.compactMap({ $0 }) + op.outputs { last[id.index] = max(last[id.index] ?? i, i) }
    }
    for id in g.outputs { last[id.index] = steps }
    var peak = 0
    for step in 0...max(steps, 0) {
      var live = 0
      for (t, start) in first {
        let tensor = g.tensors[t]
        guard !tensor.isConstant, !tensor.isVariable, tensor.elementType != .resource else { continue }
        if start <= step, (last[t] ?? start) >= step { live += tensor.byteCount }
      }
      peak = max(peak, live)
    }
    return peak
  }
}
