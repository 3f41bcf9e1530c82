import GraphIR
import Support

/// What the user says about a model's run-time dimensions.
public struct ShapeRequest: Sendable, Equatable {
  /// The batch: the leading dimension of every graph input. `nil` keeps what the file stores
  /// (a dynamic batch, −1, then resolves to 1).
  public var batch: Int?
  /// Explicit shapes for inputs, by name or by index (`"0"`), for dynamic dimensions other than
  /// the batch or to override the stored shape.
  public var inputShapes: [InputShape]

  /// One `--input-shape KEY=DIMS`.
  public struct InputShape: Sendable, Equatable {
    /// The input's name or index.
    public var key: String
    public var shape: [Int]
    public init(key: String, shape: [Int]) {
      self.key = key
      self.shape = shape
    }
  }

  public init(batch: Int? = nil, inputShapes: [InputShape] = []) {
    self.batch = batch
    self.inputShapes = inputShapes
  }

  /// Nothing asked: the file's shapes, with a dynamic batch resolved to 1.
  public var isDefault: Bool { batch == nil && inputShapes.isEmpty }
}

/// Gives every tensor of a model's main graph a static shape, once, before anything runs it:
/// the golden model, the compiler and the simulator then see the same resolved shapes.
///
/// 1. **Inputs.** Each graph input takes its `--input-shape` when given (it must agree with the
///    file's signature wherever that is not −1); otherwise the file's signature with a −1 batch
///    (dimension 0) replaced by the batch (default 1). Any other −1 without an explicit shape
///    is an error naming the input, its signature and the flag. A batch given for a file stored
///    with a static batch re-batches it: dimension 0 of every input becomes the batch.
/// 2. **Propagation**, operator by operator in execution order: matrix ops and pools by their
///    geometry (``Padding/geometry(input:filter:stride:dilation:)``), elementwise ops by
///    broadcasting, RESHAPE by its target (from the folded shape operand or `new_shape`, one −1
///    inferred; when re-batching, a target whose leading dimension is the stored batch takes the
///    new one), and every other op (the shape-moving ones: SHAPE, PACK, SPLIT_V, STRIDED_SLICE,
///    TRANSPOSE, CONCATENATION, PAD, PADV2, TILE, UNPACK, SPACE_TO_DEPTH, DEPTH_TO_SPACE,
///    SPACE_TO_BATCH_ND, BATCH_TO_SPACE_ND; those
///    whose output size is an operand: RESIZE_BILINEAR, RESIZE_NEAREST_NEIGHBOR, TRANSPOSE_CONV;
///    ARG_MAX) by running their golden kernels, on the real values where those are constant and
///    on zeros otherwise. Operators whose inputs are all constant integers
///    (SHAPE → STRIDED_SLICE → PACK → RESHAPE arithmetic) are evaluated here to resolve what
///    follows; the graph keeps them as operators (the compiler folds them into constants, no
///    work, and the golden model recomputes them).
/// 3. **Budget.** Every resolved tensor must stay within ``maxTensorBytes`` and TFLite's element
///    bound (2³¹ − 1) before anything is allocated for it.
///
/// A static model with no request comes back unchanged.
public enum ShapeResolver {
  /// Default budget for one tensor: 4 GiB.
  public static let defaultMaxTensorBytes = 4 << 30

  /// Resolves `model`'s main graph for `request`.
  public static func resolve(
    _ model: Model, _ request: ShapeRequest = ShapeRequest(), maxTensorBytes: Int = defaultMaxTensorBytes
  ) throws(GoldenModelError) -> Model {
    var graph = model.main
    let hasDynamic = graph.tensors.contains { $0.isDynamic || $0.declaredSignature != nil }
    if !hasDynamic && request.isDefault { return model }
    if let b = request.batch, b < 1 {
      throw GoldenModelError(.badInput, "batch", "\(b) is not a batch size; it must be at least 1")
    }
    var resolver = Resolution(graph: graph, request: request, maxTensorBytes: maxTensorBytes)
    try resolver.resolveInputs()
    try resolver.propagate()
    graph = resolver.graph
    var out = model
    out.graphs[0] = graph
    return out
  }
}

/// The working state of one resolution.
private struct Resolution {
  var graph: Graph
  let request: ShapeRequest
  let maxTensorBytes: Int
  /// Leading dimension of the inputs as stored, and as resolved (for re-batching RESHAPE targets).
  var storedBatch: Int?
  var batch: Int?
  /// Whether shapes of static tensors may change (a batch or an input shape other than stored).
  var reshaping = false
  /// Values of folded shape arithmetic, by tensor index. They stay out of the graph (an
  /// operator's output is never a constant there); the compiler folds the same operators itself
  /// (`StaticShapes`) and the golden model recomputes them.
  var constants: [Int: TensorData] = [:]

  init(graph: Graph, request: ShapeRequest, maxTensorBytes: Int) {
    self.graph = graph
    self.request = request
    self.maxTensorBytes = maxTensorBytes
  }

  // MARK: Inputs

  mutating func resolveInputs() throws(GoldenModelError) {
    for entry in request.inputShapes {
      let matches = graph.inputs.enumerated().contains { entry.key == graph[$0.element].name || entry.key == String($0.offset) }
      guard matches else {
        let names = graph.inputs.enumerated().map { "\($0.offset) '\(shortName(graph[$0.element].name))'" }
        throw GoldenModelError(
          .badInput, "--input-shape \(shortName(entry.key))", "the model has no such input; its inputs are \(names.joined(separator: ", "))")
      }
    }
    for (position, id) in graph.inputs.enumerated() {
      let t = graph[id]
      let place = "input \(position) '\(shortName(t.name))'"
      let signature = t.declaredSignature ?? t.shapeSignature ?? t.shape
      var explicit: [Int]?
      for entry in request.inputShapes where entry.key == t.name || entry.key == String(position) {
        explicit = entry.shape
      }
      var shape: [Int]
      if let explicit {
        guard explicit.count == signature.count else {
          throw GoldenModelError(
            .badInput, place,
            "--input-shape gives \(explicit.count) dimensions \(explicit); the file declares rank \(signature.count) (signature \(signature))")
        }
        for (d, (given, declared)) in zip(explicit, signature).enumerated() {
          guard given >= 1 else {
            throw GoldenModelError(.badInput, place, "--input-shape dimension \(d) is \(given); dimensions must be at least 1")
          }
          let isStaticBatch = d == 0 && request.batch != nil
          guard declared == -1 || declared == given || isStaticBatch || (d == 0 && t.declaredSignature == nil) else {
            throw GoldenModelError(
              .badInput, place,
              "--input-shape \(explicit) contradicts the file: dimension \(d) is \(declared) (signature \(signature))")
          }
        }
        shape = explicit
        if let b = request.batch, !shape.isEmpty {
          guard shape[0] == b || signature.first != -1 else {
            throw GoldenModelError(.badInput, place, "--input-shape batch \(shape[0]) contradicts --batch \(b)")
          }
          shape[0] = b
        }
      } else {
        shape = signature
        if !shape.isEmpty, shape[0] == -1 { shape[0] = request.batch ?? 1 }
        if let missing = shape.firstIndex(of: -1) {
          throw GoldenModelError(
            .badInput, place,
            "dimension \(missing) of shape signature \(signature) is only known at run time; give the shape with --input-shape \(position)=\(example(signature))")
        }
        if let b = request.batch, !shape.isEmpty { shape[0] = b }
      }
      if storedBatch == nil, !t.shape.isEmpty { storedBatch = t.shape[0] }
      if batch == nil, !shape.isEmpty { batch = shape[0] }
      if shape != t.shape { reshaping = true }
      try checkBudget(shape, t, place)
      graph[id].shape = shape
      graph[id].shapeSignature = nil
    }
  }

  /// `1,224,224,3` with the −1s shown as `N`: what to type after `--input-shape`.
  func example(_ signature: [Int]) -> String {
    signature.enumerated().map { $0.element == -1 ? ($0.offset == 0 ? "1" : "N") : String($0.element) }
      .joined(separator: ",")
  }

  func checkBudget(_ shape: [Int], _ t: Tensor, _ place: String) throws(GoldenModelError) {
    var elements = 1
    for d in shape {
      guard d >= 0 else { throw GoldenModelError(.invalidModel, place, "resolved shape \(shape) has a negative dimension") }
      let (p, overflow) = elements.multipliedReportingOverflow(by: d)
      guard !overflow, p <= Int(Int32.max) else {
        throw GoldenModelError(
          .badInput, place, "resolved shape \(shape) has more than 2^31 - 1 elements (TFLite's bound); use a smaller batch")
      }
      elements = p
    }
    let bytes = elements.multipliedReportingOverflow(by: max(t.elementType.byteWidth, 1))
    guard !bytes.overflow, bytes.partialValue <= maxTensorBytes else {
      throw GoldenModelError(
        .badInput, place,
        "resolved shape \(shape) needs \(formatBytes(bytes.partialValue)) for one tensor, over the \(formatBytes(maxTensorBytes)) budget; use a smaller batch")
    }
  }

  func formatBytes(_ b: Int) -> String {
    let g = Double(b) / Double(1 << 30)
    if g >= 1 { return String(format: "%.1f GiB", g) }
    return String(format: "%.1f MiB", Double(b) / Double(1 << 20))
  }

  // MARK: Propagation

  /// Whether the current shape of `id` is a resolved one.
  func known(_ id: TensorID) -> Bool { !graph[id].isDynamic }

  mutating func propagate() throws(GoldenModelError) {
    for index in graph.operators.indices {
      let op = graph.operators[index]
      let place = location(index)
      switch op.kind {
      case .varHandle, .readVariable, .assignVariable, .callOnce:
        // Resource ops keep the shapes stored for their tensors (state has a fixed shape).
        for id in op.outputs where graph[id].isDynamic {
          throw GoldenModelError(
            .unsupported, place, "output '\(shortName(graph[id].name))' of a resource op has a run-time shape")
        }
        continue
      default: break
      }
      for case let id? in op.inputs where graph[id].isDynamic {
        throw GoldenModelError(
          .invalidModel, place, "input '\(shortName(graph[id].name))' is used before any operator produces it")
      }
      let shapes = try outputShapes(index, op, place)
      guard shapes.count == op.outputs.count else {
        throw GoldenModelError(.invalidModel, place, "computes \(shapes.count) outputs; the operator lists \(op.outputs.count)")
      }
      for (id, result) in zip(op.outputs, shapes) {
        let t = graph[id]
        let out = "output '\(shortName(t.name))'"
        if !t.isDynamic && !reshaping && t.data == nil {
          guard result.shape == t.shape || result.data != nil else {
            throw GoldenModelError(
              .invalidModel, place, "\(out) is stored as \(t.shape) but its inputs give \(result.shape)")
          }
        }
        if let signature = t.declaredSignature ?? t.shapeSignature {
          let agrees =
            signature.count == result.shape.count
            && zip(signature, result.shape).enumerated().allSatisfy { d, pair in
              pair.0 == -1 || pair.0 == pair.1 || (reshaping && d == 0)
            }
          guard agrees else {
            throw GoldenModelError(
              .invalidModel, place, "\(out) resolves to \(result.shape), against its shape signature \(signature)")
          }
        }
        try checkBudget(result.shape, t, place)
        graph[id].shape = result.shape
        graph[id].shapeSignature = nil
        if let data = result.data { constants[id.index] = data }
      }
    }
  }

  func location(_ index: Int) -> String {
    let op = graph.operators[index]
    let name = op.outputs.first.map { " '\(shortName(graph[$0].name))'" } ?? ""
    return "op #\(index) \(op.kind.tfliteName)\(name)"
  }

  func input(_ op: Operator, _ p: Int, _ place: String) throws(GoldenModelError) -> Tensor {
    guard let id = op.input(p) else { throw GoldenModelError(.invalidModel, place, "input \(p) is missing") }
    return graph[id]
  }

  func rank(_ t: Tensor, _ r: Int, _ what: String, _ place: String) throws(GoldenModelError) {
    guard t.shape.count == r else {
      throw GoldenModelError(.invalidModel, place, "\(what) '\(shortName(t.name))' has shape \(t.shape); expected rank \(r)")
    }
  }

  func window(
    _ x: Tensor, channels: Int, _ padding: Padding, filter: (Int, Int), stride: (Int, Int), dilation: (Int, Int),
    _ place: String
  ) throws(GoldenModelError) -> [Int] {
    try rank(x, 4, "input", place)
    guard stride.0 >= 1, stride.1 >= 1, dilation.0 >= 1, dilation.1 >= 1, filter.0 >= 1, filter.1 >= 1 else {
      throw GoldenModelError(.invalidModel, place, "stride \(stride), dilation \(dilation) and filter \(filter) must be at least 1")
    }
    let h = padding.geometry(input: x.shape[1], filter: filter.0, stride: stride.0, dilation: dilation.0)
    let w = padding.geometry(input: x.shape[2], filter: filter.1, stride: stride.1, dilation: dilation.1)
    guard h.output >= 1, w.output >= 1 else {
      throw GoldenModelError(
        .badInput, place,
        "input \(x.shape) is smaller than the \(filter.0)×\(filter.1) window (dilation \(dilation.0)×\(dilation.1)); no output")
    }
    return [x.shape[0], h.output, w.output, channels]
  }

  /// numpy broadcasting of two shapes.
  func broadcast(_ a: [Int], _ b: [Int], _ place: String) throws(GoldenModelError) -> [Int] {
    let n = max(a.count, b.count)
    let pa = Array(repeating: 1, count: n - a.count) + a
    let pb = Array(repeating: 1, count: n - b.count) + b
    var out: [Int] = []
    for (x, y) in zip(pa, pb) {
      guard x == y || x == 1 || y == 1 else {
        throw GoldenModelError(.invalidModel, place, "shapes \(a) and \(b) do not broadcast")
      }
      out.append(x == 1 ? y : x)
    }
    return out
  }

  typealias Result = (shape: [Int], data: TensorData?)

  mutating func outputShapes(_ index: Int, _ op: Operator, _ place: String) throws(GoldenModelError) -> [Result] {
    switch op.kind {
    case .conv2D(let o):
      let x = try input(op, 0, place)
      let w = try input(op, 1, place)
      try rank(w, 4, "filter", place)
      return [
        (
          try window(
            x, channels: w.shape[0], o.padding, filter: (w.shape[1], w.shape[2]), stride: (o.strideH, o.strideW),
            dilation: (o.dilationH, o.dilationW), place), nil
        )
      ]
    case .depthwiseConv2D(let o):
      let x = try input(op, 0, place)
      let w = try input(op, 1, place)
      try rank(w, 4, "filter", place)
      return [
        (
          try window(
            x, channels: w.shape[3], o.padding, filter: (w.shape[1], w.shape[2]), stride: (o.strideH, o.strideW),
            dilation: (o.dilationH, o.dilationW), place), nil
        )
      ]
    case .averagePool2D(let o), .maxPool2D(let o):
      let x = try input(op, 0, place)
      try rank(x, 4, "input", place)
      return [
        (
          try window(
            x, channels: x.shape[3], o.padding, filter: (o.filterH, o.filterW), stride: (o.strideH, o.strideW),
            dilation: (1, 1), place), nil
        )
      ]
    case .fullyConnected(let o):
      let x = try input(op, 0, place)
      let w = try input(op, 1, place)
      try rank(w, 2, "weights", place)
      let depth = w.shape[1]
      guard depth > 0, x.elementCount % depth == 0 else {
        throw GoldenModelError(
          .invalidModel, place, "input \(x.shape) does not divide into rows of the weights' depth \(depth)")
      }
      if o.keepNumDims {
        guard x.shape.last == depth else {
          throw GoldenModelError(.invalidModel, place, "input \(x.shape) must end in the weights' depth \(depth) (keep_num_dims)")
        }
        return [(Array(x.shape.dropLast()) + [w.shape[0]], nil)]
      }
      return [([x.elementCount / depth, w.shape[0]], nil)]
    case .batchMatMul(let adjX, let adjY):
      let x = try input(op, 0, place)
      let y = try input(op, 1, place)
      guard x.shape.count >= 2, y.shape.count >= 2 else {
        throw GoldenModelError(.invalidModel, place, "operands \(x.shape) and \(y.shape) need rank 2 or more")
      }
      let (m, kx) = adjX ? (x.shape[x.shape.count - 1], x.shape[x.shape.count - 2]) : (x.shape[x.shape.count - 2], x.shape[x.shape.count - 1])
      let (ky, n) = adjY ? (y.shape[y.shape.count - 1], y.shape[y.shape.count - 2]) : (y.shape[y.shape.count - 2], y.shape[y.shape.count - 1])
      guard kx == ky else {
        throw GoldenModelError(.invalidModel, place, "operands \(x.shape) and \(y.shape) disagree on the inner dimension")
      }
      let batchDims = try broadcast(Array(x.shape.dropLast(2)), Array(y.shape.dropLast(2)), place)
      return [(batchDims + [m, n], nil)]
    case .add, .sub, .mul, .squaredDifference, .maximum, .minimum, .prelu:
      let a = try input(op, 0, place)
      let b = try input(op, 1, place)
      return [(try broadcast(a.shape, b.shape, place), nil)]
    case .neg, .rsqrt, .softmax, .logistic, .hardSwish, .gelu, .tanh, .exp, .relu, .relu6, .reluN1To1, .quantize, .dequantize,
      .leakyRelu, .l2Normalization:
      return [(try input(op, 0, place).shape, nil)]
    case .mean(let keepDims):
      let x = try input(op, 0, place)
      let axesTensor = try input(op, 1, place)
      guard let axesData = axesTensor.data ?? op.input(1).flatMap({ constants[$0.index] }) else {
        throw GoldenModelError(.unsupported, place, "MEAN axes are not constant")
      }
      let r = x.shape.count
      var axes = Set<Int>()
      for a in axesData.integerValues {
        let v = a < 0 ? Int(a) + r : Int(a)
        guard v >= 0, v < r else { throw GoldenModelError(.invalidModel, place, "MEAN axis \(a) out of range for rank \(r)") }
        axes.insert(v)
      }
      let shape = x.shape.enumerated().compactMap { axes.contains($0.offset) ? (keepDims ? 1 : nil) : $0.element }
      return [(shape, nil)]
    case .squeeze(let dims):
      let x = try input(op, 0, place)
      let r = x.shape.count
      let drop = Set(dims.map { $0 < 0 ? $0 + r : $0 })
      return [(x.shape.enumerated().filter { i, d in !(d == 1 && (drop.isEmpty || drop.contains(i))) }.map(\.element), nil)]
    case .reshape(let newShape):
      return [try reshape(op, newShape, place)]
    // issue 14: recurrent
    case .unidirectionalSequenceLSTM:
      let x = try input(op, 0, place)
      try rank(x, 3, "input", place)
      let r = try input(op, Kernels.LSTMInput.recurrentToOutput, place)
      try rank(r, 2, "recurrent-to-output weights", place)
      return [(Array(x.shape.dropLast()) + [r.shape[1]], nil)]
    case .while:
      // Loop values keep their shapes (Systole runs WHILE loops with static shapes only).
      var shapes: [Result] = []
      for p in op.inputs.indices { shapes.append((try input(op, p, place).shape, nil)) }
      return shapes
    default:
      return try runKernel(index, op, place)
    }
  }

  /// RESHAPE's output: the folded shape operand, else `new_shape`, else the stored output shape;
  /// one −1 inferred; re-batched when the leading dimension is the stored batch.
  func reshape(_ op: Operator, _ newShape: [Int]?, _ place: String) throws(GoldenModelError) -> Result {
    let x = try input(op, 0, place)
    let output = graph[op.outputs[0]]
    var target: [Int]
    if let id = op.input(1), let data = graph[id].data ?? constants[id.index] {
      target = data.integerValues.map { Int(clamping: $0) }
    } else if let newShape {
      target = newShape
    } else {
      target = output.shapeSignature ?? output.shape
    }
    let elements = x.elementCount
    if reshaping, !target.isEmpty, !target.contains(-1), let b0 = storedBatch, let b = batch, b != b0,
      target[0] == b0, TensorData.elementCount(of: target) != elements
    {
      target[0] = b
    }
    let unknown = target.indices.filter { target[$0] == -1 }
    guard unknown.count <= 1, !target.contains(where: { $0 < -1 }) else {
      throw GoldenModelError(.invalidModel, place, "RESHAPE target \(target) has more than one -1 or a negative size")
    }
    if let u = unknown.first {
      let known = target.enumerated().filter { $0.offset != u }.reduce(1) { $0 * $1.element }
      guard known > 0, elements % known == 0 else {
        throw GoldenModelError(.invalidModel, place, "RESHAPE target \(target) does not divide \(elements) elements")
      }
      target[u] = elements / known
    }
    guard TensorData.elementCount(of: target) == elements else {
      let why = reshaping ? "; the graph cannot be re-batched here (its target does not follow the batch)" : ""
      throw GoldenModelError(
        .badInput, place, "RESHAPE target \(target) needs \(TensorData.elementCount(of: target)) elements; the input \(x.shape) has \(elements)\(why)")
    }
    return (target, nil)
  }

  /// Runs the golden kernel of a shape-moving operator: real values for constant inputs, zeros
  /// for the others. All-constant integer results become constants (folded shape arithmetic).
  func runKernel(_ index: Int, _ op: Operator, _ place: String) throws(GoldenModelError) -> [Result] {
    var allConstant = true
    var values: [TensorData?] = []
    for id in op.inputs {
      guard let id else {
        values.append(nil)
        continue
      }
      let t = graph[id]
      if let data = t.data ?? constants[id.index] {
        values.append(TensorData(shape: t.shape, storage: data.storage))
      } else {
        allConstant = false
        values.append(TensorData(zeros: t.elementType, shape: t.shape))
      }
    }
    // SHAPE depends only on its input's (now resolved) shape, never on its values.
    if case .shape = op.kind { allConstant = true }
    let context = KernelContext(graph: graph, op: op, index: index, values: values)
    let results = try Kernels.run(context)
    return results.map { r in
      let fold = allConstant && (r.elementType == .int32 || r.elementType == .int64) && r.count <= 1 << 16
      return (r.shape, fold ? r : nil)
    }
  }
}
