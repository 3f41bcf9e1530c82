import GraphIR
import Support

/// Rewrites the main graph of a float model into its quantized form (see ``Quantizer``).
///
/// One pass over the operators in execution order builds the new graph: each float activation
/// gets a *version* per precision it is consumed in (the producer's own, plus QUANTIZE or
/// DEQUANTIZE conversions emitted just before the first consumer that needs another), and
/// constants become placeholders with a role (weights, bias, activation-like constant, float).
/// Operators whose output must share the input's parameters put their tensors in one
/// union-find group. After the pass, each group gets parameters from the union of its members'
/// ranges (or the fixed parameters of SOFTMAX/LOGISTIC outputs), then constants are quantized:
/// activation-like constants with their group's parameters, weights per the scheme, biases with
/// `scale = input_scale × weight_scale[c]`.
struct GraphRewriter {
  /// What a constant becomes in the quantized graph.
  enum ConstantRole {
    /// Weights of CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED, channels along `axis`.
    case weights(axis: Int, format: WeightFormat)
    /// A bias: int32 (or int64 for 16×8) with scale `input × weights[c]`.
    case bias(input: TensorID, weights: TensorID, type: ElementType)
    /// Any other constant of a quantized op: per-tensor, like an activation of `precision`.
    case activation(ActivationPrecision)
    /// Left float32 (operand of a float op).
    case float
  }

  struct PendingConstant {
    var id: TensorID
    var source: Int
    var role: ConstantRole
  }

  let model: Model
  let graph: Graph
  let scheme: QuantizationScheme
  let options: QuantizerOptions
  let plan: PrecisionPlan
  let statistics: ActivationStatistics?

  var tensors: [Tensor] = []
  var ops: [Operator] = []
  var versions: [Int: [ActivationPrecision: TensorID]] = [:]
  var primary: [Int: TensorID] = [:]
  var verbatim: [Int: TensorID] = [:]
  /// New tensor index → float tensor index whose calibrated range it takes.
  var origin: [Int: Int] = [:]
  /// New constant tensor index → the real range of its data (with 0).
  var constantRanges: [Int: ClosedRange<Double>] = [:]
  var parent: [Int] = []
  var pinned: [Int: QuantizationParameters] = [:]
  /// Root → the union of its group members' ranges (absent for singletons).
  var groupRanges: [Int: ClosedRange<Double>] = [:]
  var pending: [PendingConstant] = []
  var operatorMap: [Int: Int] = [:]
  var variableRepresentative: [String: TensorID] = [:]
  var weights: [TensorID: QuantizedWeights] = [:]
  var requantizeCount = 0

  init(
    model: Model, scheme: QuantizationScheme, options: QuantizerOptions, plan: PrecisionPlan,
    statistics: ActivationStatistics?
  ) {
    self.model = model
    self.graph = model.main
    self.scheme = scheme
    self.options = options
    self.plan = plan
    self.statistics = statistics
  }

  // MARK: The pass

  mutating func run() throws(QuantizerError) -> QuantizedModel {
    let ioPrecision: ActivationPrecision = options.io == .float ? .float32 : scheme.activationPrecision
    var newInputs: [TensorID] = []
    for id in graph.inputs {
      let t = graph[id]
      if t.elementType == .float32 {
        let n = addTensor(name: t.name, shape: t.shape, precision: ioPrecision, origin: id.index, like: t)
        primary[id.index] = n
        versions[id.index, default: [:]][ioPrecision] = n
        newInputs.append(n)
      } else {
        newInputs.append(copyVerbatim(id.index))
      }
    }

    for (i, op) in graph.operators.enumerated() {
      try rewrite(op, index: i)
    }

    var newOutputs: [TensorID] = []
    for id in graph.outputs {
      if graph[id].elementType == .float32 {
        newOutputs.append(try version(of: id.index, in: ioPrecision, forOperator: "output '\(graph[id].name)'"))
      } else {
        newOutputs.append(primary[id.index] ?? copyVerbatim(id.index))
      }
    }

    try solveParameters()
    try materializeConstants()

    var main = Graph(name: graph.name, tensors: tensors, operators: ops, inputs: newInputs, outputs: newOutputs)
    main.name = graph.name
    var graphs = [main]
    for g in model.graphs.indices.dropFirst() {
      graphs.append(try rewriteInitializer(model.graphs[g], index: g))
    }
    let quantized = Model(source: model.source, graphs: graphs)
    let problems = GraphVerifier.verify(quantized)
    if let first = problems.first {
      let more = problems.count > 1 ? " (and \(problems.count - 1) more)" : ""
      throw QuantizerError(
        .invalidModel, model: model.source, "the quantized graph fails verification: \(first)\(more)")
    }
    var tensorMap: [TensorID: TensorID] = [:]
    for (f, n) in primary { tensorMap[TensorID(f)] = n }
    var opPrecision: [Int: ActivationPrecision] = [:]
    for (i, p) in plan.precision.enumerated() { if let p { opPrecision[i] = p } }
    return QuantizedModel(
      model: quantized, scheme: scheme, options: options, floatModel: model, tensorMap: tensorMap,
      operatorMap: operatorMap, precisions: opPrecision, weights: weights, requantizeCount: requantizeCount)
  }

  mutating func rewrite(_ op: Operator, index i: Int) throws(QuantizerError) {
    let place = op.location(index: i, in: graph)
    guard let p = plan.precision[i] else {
      // No float data: copy the operator with its tensors.
      let inputs = op.inputs.map { $0.map { primary[$0.index] ?? copyVerbatim($0.index) } }
      var outputs: [TensorID] = []
      for o in op.outputs {
        let n = copyVerbatim(o.index, constantData: false)
        primary[o.index] = n
        outputs.append(n)
      }
      ops.append(Operator(kind: op.kind, inputs: inputs, outputs: outputs))
      operatorMap[i] = ops.count - 1
      return
    }

    var inputs: [TensorID?] = []
    for (k, input) in op.inputs.enumerated() {
      guard let input else {
        inputs.append(nil)
        continue
      }
      let t = graph[input]
      if t.elementType != .float32 {
        inputs.append(primary[input.index] ?? copyVerbatim(input.index))
      } else if t.isVariable && !p.isQuantized {
        // issue 14: recurrent. A float op's state tensor (LSTM inputs 18, 19) is copied as is.
        inputs.append(copyVerbatim(input.index))
      } else if t.isConstant {
        inputs.append(
          addConstant(
            input.index, role: constantRole(op, position: k, precision: p, scheme: plan.schemes[i], inputs: inputs)))
      } else {
        inputs.append(try version(of: input.index, in: p, forOperator: place))
      }
    }

    var outputs: [TensorID] = []
    for o in op.outputs {
      let t = graph[o]
      if t.elementType == .float32 {
        let n = addTensor(name: t.name, shape: t.shape, precision: p, origin: o.index, like: t)
        primary[o.index] = n
        versions[o.index, default: [:]][p] = n
        outputs.append(n)
      } else {
        let n = copyVerbatim(o.index, constantData: false)
        primary[o.index] = n
        outputs.append(n)
      }
    }

    if p.isQuantized {
      try constrain(op, precision: p, inputs: &inputs, outputs: outputs)
    }
    var kind = op.kind
    // issue 14: recurrent. The LSTM's intermediates are tensors of this graph: copy them too.
    if case .unidirectionalSequenceLSTM(var o) = kind {
      o.intermediates = o.intermediates.map { copyVerbatim($0.index) }
      kind = .unidirectionalSequenceLSTM(o)
    }
    ops.append(Operator(kind: kind, inputs: inputs, outputs: outputs))
    operatorMap[i] = ops.count - 1
  }

  /// Op-specific parameter constraints (see `docs/quantizer.md`, "Output constraints").
  mutating func constrain(
    _ op: Operator, precision p: ActivationPrecision, inputs: inout [TensorID?], outputs: [TensorID]
  )
    throws(QuantizerError)
  {
    func quantizedTensor(_ id: TensorID?) -> TensorID? {
      guard let id, tensors[id.index].elementType == p.elementType else { return nil }
      return id
    }
    switch op.kind {
    case .softmax, .logistic:
      if let out = outputs.first { pinned[find(out.index)] = Self.fixedOutput(p) }
    case .maxPool2D, .averagePool2D, .reshape, .squeeze, .transpose, .stridedSlice, .pad, .spaceToDepth,
      .depthToSpace, .tile, .resizeNearestNeighbor, .resizeBilinear:
      if let x = quantizedTensor(inputs.first ?? nil), let out = quantizedTensor(outputs.first) {
        join(x, out, requantizingInput: 0, inputs: &inputs)
      }
    case .padV2:
      if let x = quantizedTensor(inputs.first ?? nil), let out = quantizedTensor(outputs.first) {
        join(x, out, requantizingInput: 0, inputs: &inputs)
        if inputs.count > 2, let c = quantizedTensor(inputs[2]) { join(c, out, requantizingInput: 2, inputs: &inputs) }
      }
    case .splitV, .unpack:
      if let x = quantizedTensor(inputs.first ?? nil) {
        for o in outputs { if let o = quantizedTensor(o) { join(x, o, requantizingInput: 0, inputs: &inputs) } }
      }
    case .concatenation, .pack, .maximum, .minimum:
      if let out = quantizedTensor(outputs.first) {
        for k in inputs.indices {
          if let x = quantizedTensor(inputs[k]) { join(x, out, requantizingInput: k, inputs: &inputs) }
        }
      }
    case .readVariable:
      if let key = op.input(0).flatMap({ plan.handleKeys[$0.index] }), let out = quantizedTensor(outputs.first) {
        if let rep = variableRepresentative[key] {
          _ = union(rep.index, out.index)
        } else {
          variableRepresentative[key] = out
        }
      }
    case .assignVariable:
      if let key = op.input(0).flatMap({ plan.handleKeys[$0.index] }), inputs.count > 1,
        let v = quantizedTensor(inputs[1])
      {
        if let rep = variableRepresentative[key] {
          join(v, rep, requantizingInput: 1, inputs: &inputs)
        } else {
          variableRepresentative[key] = v
        }
      }
    // issue 14: space-batch. Elements moved unchanged (SPACE_TO_BATCH_ND's padding is the
    // output zero point, real 0): input and output share parameters.
    case .spaceToBatchND, .batchToSpaceND:
      if let x = quantizedTensor(inputs.first ?? nil), let out = quantizedTensor(outputs.first) {
        join(x, out, requantizingInput: 0, inputs: &inputs)
      }
    default:
      break
    }
  }

  /// Puts `input` (operand `k` of the op being rewritten) in `target`'s group. When the two
  /// groups cannot share parameters — both have different fixed parameters, or one is fixed
  /// (a SOFTMAX output) and the other's calibrated range does not fit in it — a requantizing
  /// QUANTIZE is inserted on the operand instead, and its output joins `target`'s group.
  mutating func join(_ input: TensorID, _ target: TensorID, requantizingInput k: Int, inputs: inout [TensorID?]) {
    if compatible(input.index, target.index), union(input.index, target.index) { return }
    let t = tensors[input.index]
    let n = TensorID(tensors.count)
    tensors.append(Tensor(name: t.name + ";requantized", shape: t.shape, elementType: t.elementType))
    parent.append(n.index)
    if let o = origin[input.index] { origin[n.index] = o }
    if let r = constantRanges[input.index] { constantRanges[n.index] = r }
    ops.append(Operator(kind: .quantize, inputs: [input], outputs: [n]))
    requantizeCount += 1
    if compatible(n.index, target.index) {
      _ = union(n.index, target.index)
    } else {
      // The target group is fixed and the operand's range exceeds it: the requantize clips.
      parent[n.index] = find(target.index)
    }
    inputs[k] = n
  }

  /// Whether the groups of `a` and `b` can share parameters: at most one is fixed, and the
  /// other's range lies within the fixed parameters' real range (give or take one step).
  mutating func compatible(_ a: Int, _ b: Int) -> Bool {
    let ra = find(a)
    let rb = find(b)
    if ra == rb { return true }
    switch (pinned[ra], pinned[rb]) {
    case (nil, nil): return true
    case (let pa?, let pb?): return pa == pb
    case (let p?, nil): return fits(groupRange(rb), p, tensors[a].elementType)
    case (nil, let p?): return fits(groupRange(ra), p, tensors[b].elementType)
    }
  }

  func fits(_ r: ClosedRange<Double>, _ p: QuantizationParameters, _ type: ElementType) -> Bool {
    guard let q = type.integerRange else { return true }
    let scale = Double(p.scale)
    let lo = scale * Double(Int64(q.lowerBound) - p.zeroPoint)
    let hi = scale * Double(Int64(q.upperBound) - p.zeroPoint)
    return r.lowerBound >= lo - scale && r.upperBound <= hi + scale
  }

  /// The real range of tensor `t` alone: its float tensor's calibrated range, or its data's.
  func ownRange(_ t: Int) -> ClosedRange<Double> {
    if let f = origin[t], let r = statistics?.ranges[f] { return r }
    return constantRanges[t] ?? 0...0
  }

  /// The union of the ranges of every member of root `r`'s group.
  func groupRange(_ r: Int) -> ClosedRange<Double> { groupRanges[r] ?? ownRange(r) }

  // MARK: Tensors and versions

  mutating func addTensor(name: String, shape: [Int], precision: ActivationPrecision, origin f: Int, like t: Tensor)
    -> TensorID
  {
    var n = Tensor(name: name, shape: shape, elementType: precision.elementType)
    n.shapeSignature = t.shapeSignature
    n.declaredSignature = t.declaredSignature
    n.isVariable = t.isVariable
    let id = TensorID(tensors.count)
    tensors.append(n)
    parent.append(id.index)
    origin[id.index] = f
    return id
  }

  /// Copies a non-float tensor (with its data) once.
  mutating func copyVerbatim(_ f: Int, constantData: Bool = true) -> TensorID {
    if constantData, let v = verbatim[f] { return v }
    var t = graph.tensors[f]
    if !constantData { t.data = nil }
    let id = TensorID(tensors.count)
    tensors.append(t)
    parent.append(id.index)
    if constantData { verbatim[f] = id }
    return id
  }

  /// The version of float tensor `f` in precision `p`, emitting a QUANTIZE or DEQUANTIZE from
  /// the produced version when it does not exist yet.
  mutating func version(of f: Int, in p: ActivationPrecision, forOperator place: String) throws(QuantizerError)
    -> TensorID
  {
    if let v = versions[f]?[p] { return v }
    guard var source = primary[f] else {
      throw QuantizerError(
        .invalidModel, model: model.source, place,
        "reads tensor #\(f) '\(graph.tensors[f].name)' before any operator writes it")
    }
    // TFLite's QUANTIZE requantizes int16 → int8/int16 and int8/uint8 → int8/uint8, but not
    // 8 → 16 bits: go through float32 (DEQUANTIZE, then QUANTIZE).
    let sourceType = tensors[source.index].elementType
    if p == .int16, sourceType == .int8 || sourceType == .uint8 {
      source = try version(of: f, in: .float32, forOperator: place)
    }
    let t = graph.tensors[f]
    let suffix =
      switch p {
      case .float32: ";dequantize"
      case .int8: ";int8"
      case .int16: ";int16"
      case .uint8: ";uint8"
      }
    let n = addTensor(name: t.name + suffix, shape: t.shape, precision: p, origin: f, like: t)
    let kind: OpKind = p == .float32 ? .dequantize : .quantize
    ops.append(Operator(kind: kind, inputs: [source], outputs: [n]))
    versions[f, default: [:]][p] = n
    return n
  }

  mutating func addConstant(_ f: Int, role: ConstantRole) -> TensorID {
    let t = graph.tensors[f]
    let type: ElementType =
      switch role {
      case .weights(_, let format): format == .uint8PerTensor ? .uint8 : .int8
      case .bias(_, _, let type): type
      case .activation(let p): p.elementType
      case .float: .float32
      }
    var n = Tensor(name: t.name, shape: t.shape, elementType: type)
    n.shapeSignature = t.shapeSignature
    n.declaredSignature = t.declaredSignature
    let id = TensorID(tensors.count)
    tensors.append(n)
    parent.append(id.index)
    if case .float32(let v)? = t.data?.storage {
      let lo = v.reduce(0) { min($0, Double($1)) }
      let hi = v.reduce(0) { max($0, Double($1)) }
      constantRanges[id.index] = lo...hi
    }
    pending.append(PendingConstant(id: id, source: f, role: role))
    return id
  }

  /// What operand `k` of `op` becomes; `scheme` is the op's own (the model's or its
  /// ``QuantizerOptions/layerSchemes`` override).
  func constantRole(
    _ op: Operator, position k: Int, precision p: ActivationPrecision, scheme: QuantizationScheme, inputs: [TensorID?]
  ) -> ConstantRole {
    let axis: Int? =
      switch op.kind {
      case .conv2D, .fullyConnected: 0
      case .depthwiseConv2D: 3
      default: nil
      }
    if let axis, k == 1, p.isQuantized || scheme == .weightsOnly {
      return .weights(axis: axis, format: weightFormat(p, scheme: scheme))
    }
    if axis != nil, k == 2, p.isQuantized, let x = inputs.first ?? nil, let w = inputs.count > 1 ? inputs[1] : nil {
      return .bias(input: x, weights: w, type: p == .int16 ? .int64 : .int32)
    }
    return p.isQuantized ? .activation(p) : .float
  }

  func weightFormat(_ p: ActivationPrecision, scheme: QuantizationScheme) -> WeightFormat {
    switch scheme {
    case .uint8Affine: p == .uint8 ? .uint8PerTensor : .int8PerChannel
    case .int8PerTensor: .int8PerTensor
    case .int4: .int4PerChannel
    case .ternary: .ternaryPerChannel(threshold: options.ternaryThreshold)
    case .fineGrainedTernary: .ternaryPerGroup(groupSize: options.ternaryGroupSize, threshold: options.ternaryThreshold)
    case .int8PerChannel, .int16x8, .weightsOnly: .int8PerChannel
    }
  }

  /// SOFTMAX and LOGISTIC outputs: int8 (1/256, −128), uint8 (1/256, 0), int16 (1/32768, 0).
  static func fixedOutput(_ p: ActivationPrecision) -> QuantizationParameters {
    switch p {
    case .int8: QuantizationParameters(scale: 1.0 / 256, zeroPoint: -128)
    case .uint8: QuantizationParameters(scale: 1.0 / 256, zeroPoint: 0)
    case .int16: QuantizationParameters(scale: 1.0 / 32768, zeroPoint: 0)
    case .float32: QuantizationParameters(scale: 1, zeroPoint: 0)
    }
  }

  // MARK: Union-find

  mutating func find(_ x: Int) -> Int {
    var r = x
    while parent[r] != r { r = parent[r] }
    var y = x
    while parent[y] != r {
      let next = parent[y]
      parent[y] = r
      y = next
    }
    return r
  }

  /// Merges the groups of `a` and `b`; `false` (nothing merged) when both have different fixed
  /// parameters.
  mutating func union(_ a: Int, _ b: Int) -> Bool {
    let ra = find(a)
    let rb = find(b)
    if ra == rb { return true }
    if let pa = pinned[ra], let pb = pinned[rb], pa != pb { return false }
    let merged = groupRange(ra)
    let other = groupRange(rb)
    groupRanges[ra] = min(merged.lowerBound, other.lowerBound)...max(merged.upperBound, other.upperBound)
    groupRanges[rb] = nil
    parent[rb] = ra
    if pinned[ra] == nil, let pb = pinned[rb] { pinned[ra] = pb }
    pinned[rb] = nil
    return true
  }

  // MARK: Parameters and constants

  mutating func solveParameters() throws(QuantizerError) {
    var members: [Int: [Int]] = [:]
    var ownRule = Set<Int>()
    for c in pending {
      switch c.role {
      case .weights, .bias: ownRule.insert(c.id.index)
      default: break
      }
    }
    for t in tensors.indices
    where tensors[t].elementType.isQuantizedInteger && !ownRule.contains(t)
      && (origin[t] != nil || constantRanges[t] != nil)
    {
      members[find(t), default: []].append(t)
    }
    for (root, group) in members {
      let precision: ActivationPrecision
      switch tensors[group[0]].elementType {
      case .int8: precision = .int8
      case .int16: precision = .int16
      default: precision = .uint8
      }
      let params: QuantizationParameters
      if let fixed = pinned[root] {
        params = fixed
      } else {
        var lo = 0.0
        var hi = 0.0
        for m in group {
          if let f = origin[m] {
            guard let r = statistics?.ranges[f] else {
              throw QuantizerError(
                .invalidModel, model: model.source, "tensor '\(graph.tensors[f].name)'",
                "has no calibrated range (it was never computed while calibrating)")
            }
            lo = min(lo, r.lowerBound)
            hi = max(hi, r.upperBound)
          } else if let r = constantRanges[m] {
            lo = min(lo, r.lowerBound)
            hi = max(hi, r.upperBound)
          }
        }
        params = AffineQuantization.activation(min: lo, max: hi, precision: precision) ?? Self.fixedOutput(.float32)
      }
      for m in group { tensors[m].quantization = params }
    }
  }

  mutating func materializeConstants() throws(QuantizerError) {
    // Weights first: biases need their scales.
    let ordered =
      pending.filter { if case .weights = $0.role { true } else { false } }
      + pending.filter { if case .weights = $0.role { false } else { true } }
    for c in ordered {
      let source = graph.tensors[c.source]
      guard case .float32(let values)? = source.data?.storage else { continue }
      switch c.role {
      case .float:
        tensors[c.id.index].data = source.data
      case .activation(let p):
        let params = tensors[c.id.index].quantization ?? QuantizationParameters(scale: 1, zeroPoint: 0)
        tensors[c.id.index].quantization = params
        tensors[c.id.index].data = AffineQuantization.quantize(
          values, shape: source.shape, to: p.elementType, params: params)
      case .weights(let axis, let format):
        let w = WeightQuantizer.quantize(values, shape: source.shape, axis: axis, format: format)
        tensors[c.id.index].data = w.data
        tensors[c.id.index].quantization = w.parameters
        // int4 and ternary values fit their width as stored; fine-grained ternary's int8 levels
        // ±a_g are 2-bit sign codes plus one level per group (`packedGroupSize`).
        if w.bits < 8 {
          tensors[c.id.index].packedBits = w.bits
          if !w.groupLevels.isEmpty { tensors[c.id.index].packedGroupSize = w.groupSize }
        }
        weights[c.id] = w
      case .bias(let input, let weightID, let type):
        guard let inParams = tensors[input.index].quantization, let wParams = tensors[weightID.index].quantization
        else {
          throw QuantizerError(
            .invalidModel, model: model.source, "bias '\(source.name)'",
            "its input or weights have no quantization parameters")
        }
        let channels = values.count
        let scales: [Double] = (0..<max(wParams.scales.count, 1)).map { c in
          Double(inParams.scale) * Double(wParams.scales[min(c, wParams.scales.count - 1)])
        }
        let limit: ClosedRange<Int64> =
          type == .int64 ? (Int64.min + 1)...Int64.max : Int64(Int32.min)...Int64(Int32.max)
        let q = (0..<channels).map { c in
          WeightQuantizer.roundClamped(
            Double(values[c]) / scales[scales.count == 1 ? 0 : min(c, scales.count - 1)], limit)
        }
        tensors[c.id.index].data = AffineQuantization.tensorData(q, shape: source.shape, type: type)
        tensors[c.id.index].quantization = QuantizationParameters(
          scales: scales.map { AffineQuantization.positiveScale($0) },
          zeroPoints: Array(repeating: 0, count: scales.count),
          quantizedDimension: 0)
      }
    }
  }

  /// Copies an initializer subgraph (run once by CALL_ONCE), quantizing the constants it
  /// assigns to variables that are quantized in the main graph.
  func rewriteInitializer(_ sub: Graph, index g: Int) throws(QuantizerError) -> Graph {
    var out = sub
    var keys: [Int: String] = [:]
    for op in sub.operators {
      if case .varHandle(let container, let shared) = op.kind, let o = op.outputs.first {
        keys[o.index] = container + "/" + shared
      }
    }
    for op in sub.operators {
      guard case .assignVariable = op.kind, let h = op.input(0), let v = op.input(1), let key = keys[h.index],
        let rep = variableRepresentative[key], let params = tensors[rep.index].quantization
      else { continue }
      let t = sub[v]
      guard case .float32(let values)? = t.data?.storage else {
        if t.elementType == .float32 {
          throw QuantizerError(
            .unsupportedOperator, model: model.source, "subgraph \(g) tensor '\(t.name)'",
            "assigns a computed float value to quantized variable '\(key)'; only constant initial values are supported")
        }
        continue
      }
      let type = tensors[rep.index].elementType
      out[v].elementType = type
      out[v].quantization = params
      out[v].data = AffineQuantization.quantize(values, shape: t.shape, to: type, params: params)
    }
    return out
  }
}
