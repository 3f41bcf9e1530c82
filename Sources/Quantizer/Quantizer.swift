import GoldenModel
import GraphIR
import Support

/// Post-training quantization of float32 models.
///
/// ```swift
/// let float = try TFLiteImporter.load(contentsOf: url)
/// let q = try Quantizer.quantize(
///   model: float, scheme: .int8PerChannel,
///   calibration: .folder(calibrationURL), options: QuantizerOptions())
/// let bytes = try q.tfliteBytes()          // a .tflite file TensorFlow Lite loads
/// ```
///
/// The steps: check the model is float32; decide each operator's precision (the scheme's, or
/// an override from ``QuantizerOptions/keepFloat`` / ``QuantizerOptions/int16``); run the
/// calibration set through the float model in the golden model and estimate each activation's
/// range; rewrite the graph with quantized tensors, QUANTIZE/DEQUANTIZE where precisions meet,
/// op-specific output constraints (fixed SOFTMAX/LOGISTIC outputs, pools and reshapes that keep
/// their input's parameters, CONCATENATION inputs sharing one scale); quantize weights, biases
/// and other constants; verify the result with ``GraphIR/GraphVerifier``.
public enum Quantizer {
  /// Quantizes `model` with `scheme`, calibrating activations on `calibration`.
  public static func quantize(
    model: Model, scheme: QuantizationScheme = .int8PerChannel, calibration: Calibration,
    options: QuantizerOptions = QuantizerOptions()
  ) throws(QuantizerError) -> QuantizedModel {
    try checkIsFloat(model)
    let plan = try PrecisionPlan(model: model, scheme: scheme, options: options)
    var statistics: ActivationStatistics?
    if plan.quantizesActivations {
      let samples = try CalibrationData.samples(calibration, for: model)
      guard !samples.isEmpty else {
        throw QuantizerError(
          .calibrationEmpty, model: model.source, "calibration",
          "scheme \(scheme) quantizes activations and needs calibration samples; got none")
      }
      statistics = try ActivationStatistics.collect(model: model, samples: samples, estimator: options.rangeEstimator)
    }
    var rewriter = GraphRewriter(model: model, scheme: scheme, options: options, plan: plan, statistics: statistics)
    return try rewriter.run()
  }

  /// Quantizes `model` with ranges already collected (one calibration run shared by several
  /// schemes).
  public static func quantize(
    model: Model, scheme: QuantizationScheme, statistics: ActivationStatistics,
    options: QuantizerOptions = QuantizerOptions()
  ) throws(QuantizerError) -> QuantizedModel {
    try checkIsFloat(model)
    let plan = try PrecisionPlan(model: model, scheme: scheme, options: options)
    var rewriter = GraphRewriter(model: model, scheme: scheme, options: options, plan: plan, statistics: statistics)
    return try rewriter.run()
  }

  /// Throws ``QuantizerError/Kind/alreadyQuantized`` unless every activation is float32 and no
  /// tensor carries quantization parameters, and ``QuantizerError/Kind/invalidModel`` when
  /// ``GraphIR/GraphVerifier`` finds problems (models built in code rather than imported).
  public static func checkIsFloat(_ model: Model) throws(QuantizerError) {
    guard !model.graphs.isEmpty else {
      throw QuantizerError(.invalidModel, model: model.source, "the model has no graphs")
    }
    let problems = GraphVerifier.verify(model)
    if let first = problems.first {
      let more = problems.count > 1 ? " (and \(problems.count - 1) more)" : ""
      throw QuantizerError(.invalidModel, model: model.source, "the float model fails verification: \(first)\(more)")
    }
    for (g, graph) in model.graphs.enumerated() {
      for (i, op) in graph.operators.enumerated() {
        let place = op.location(index: i, in: graph, subgraph: g)
        switch op.kind {
        case .quantize, .dequantize:
          throw QuantizerError(
            .alreadyQuantized, model: model.source, place,
            "the model is already quantized (it has \(op.kind.tfliteName)); expected a float32 model")
        default: break
        }
        for (role, ids) in [("input", op.inputs), ("output", op.outputs.map { Optional($0) })] {
          for (k, id) in ids.enumerated() {
            guard let id, id.index >= 0, id.index < graph.tensors.count else { continue }
            let t = graph[id]
            if t.quantization != nil || (t.elementType.isQuantizedInteger && !t.isConstant) {
              throw QuantizerError(
                .alreadyQuantized, model: model.source, place,
                "\(role) \(k) '\(t.name)' is \(t.elementType)\(t.quantization != nil ? " with quantization parameters" : ""); the model is already quantized (expected float32 activations)"
              )
            }
          }
        }
      }
      for id in graph.inputs where id.index >= 0 && id.index < graph.tensors.count {
        let t = graph[id]
        if t.quantization != nil || t.elementType.isQuantizedInteger {
          throw QuantizerError(
            .alreadyQuantized, model: model.source, "input '\(t.name)'",
            "is \(t.elementType); the model is already quantized (expected float32 inputs)")
        }
      }
    }
  }
}

/// The precision every operator of the main graph runs in.
struct PrecisionPlan {
  /// Per main-graph operator: its precision, or `nil` for ops without float data (VAR_HANDLE,
  /// CALL_ONCE, int32 shape arithmetic), which are copied unchanged.
  var precision: [ActivationPrecision?]
  /// Per main-graph operator: the scheme its weights follow (the model's, or a
  /// ``QuantizerOptions/layerSchemes`` override).
  var schemes: [QuantizationScheme]
  /// Per resource-variable key (`container/shared_name`): the precision of its values.
  var variablePrecision: [String: ActivationPrecision]
  /// Main-graph resource tensors → variable key.
  var handleKeys: [Int: String]

  /// Whether any activation is quantized (and calibration is needed).
  var quantizesActivations: Bool { precision.contains { $0?.isQuantized ?? false } }

  init(model: Model, scheme: QuantizationScheme, options: QuantizerOptions) throws(QuantizerError) {
    let graph = model.main
    let source = model.source
    let keepFloat = try Self.resolve(options.keepFloat, "keepFloat", graph, source)
    let int16 = try Self.resolve(options.int16, "int16", graph, source)
    if let both = keepFloat.intersection(int16).min() {
      throw QuantizerError(
        .invalidOption, model: source, "option int16",
        "\(graph.operators[both].location(index: both, in: graph)) is also in keepFloat; choose one precision per layer"
      )
    }
    var layerScheme: [Int: QuantizationScheme] = [:]
    for (selector, s) in options.layerSchemes.sorted(by: { $0.key.description < $1.key.description }) {
      guard s.runsNatively else {
        throw QuantizerError(
          .invalidOption, model: source, "option layerSchemes",
          "\(selector): scheme \(s) is a whole-model choice; a layer can be ternary, ternary-fine-grained, int4, int8-per-channel, int8-per-tensor or int16x8"
        )
      }
      for i in try Self.resolve([selector], "layerSchemes", graph, source) {
        if keepFloat.contains(i) || int16.contains(i) {
          throw QuantizerError(
            .invalidOption, model: source, "option layerSchemes",
            "\(graph.operators[i].location(index: i, in: graph)) is also in \(keepFloat.contains(i) ? "keepFloat" : "int16"); choose one precision per layer"
          )
        }
        if let other = layerScheme[i], other != s {
          throw QuantizerError(
            .invalidOption, model: source, "option layerSchemes",
            "\(graph.operators[i].location(index: i, in: graph)) is selected twice, as \(other) and \(s); choose one scheme per layer"
          )
        }
        layerScheme[i] = s
      }
    }
    schemes = graph.operators.indices.map { layerScheme[$0] ?? scheme }
    guard options.ternaryGroupSize >= 1 else {
      throw QuantizerError(
        .invalidOption, model: source, "option ternaryGroupSize",
        "group size \(options.ternaryGroupSize) must be at least 1")
    }
    guard options.ternaryThreshold > 0, options.ternaryThreshold.isFinite else {
      throw QuantizerError(
        .invalidOption, model: source, "option ternaryThreshold",
        "threshold factor \(options.ternaryThreshold) must be positive")
    }
    handleKeys = [:]
    for op in graph.operators {
      if case .varHandle(let container, let shared) = op.kind, let out = op.outputs.first {
        handleKeys[out.index] = container + "/" + shared
      }
    }
    variablePrecision = [:]
    precision = []
    for (i, op) in graph.operators.enumerated() {
      let touchesFloat = (op.inputs.compactMap { $0 } + op.outputs).contains {
        $0.index >= 0 && $0.index < graph.tensors.count && graph[$0].elementType == .float32
      }
      guard touchesFloat else {
        precision.append(nil)
        continue
      }
      var requested: ActivationPrecision =
        keepFloat.contains(i) ? .float32 : int16.contains(i) ? .int16 : schemes[i].activationPrecision
      var key: String?
      switch op.kind {
      case .readVariable, .assignVariable:
        key = op.input(0).flatMap { handleKeys[$0.index] }
        if let key, let fixed = variablePrecision[key] { requested = fixed }
      default: break
      }
      var chosen = requested
      while !Self.supports(op.kind, chosen) {
        guard options.allowFallback, let next = Self.fallback(chosen) else {
          let place = op.location(index: i, in: graph)
          let hint =
            chosen == .float32
            ? "" : "; keep the op float (keepFloat) or allow fallback"
          throw QuantizerError(
            .unsupportedOperator, model: source, place,
            "no \(chosen) kernel for \(op.kind.tfliteName) (scheme \(schemes[i]))\(hint)")
        }
        chosen = next
      }
      if let key, variablePrecision[key] == nil { variablePrecision[key] = chosen }
      precision.append(chosen)
    }
  }

  /// Operator indices named by `selectors`; unknown names and indices are errors.
  static func resolve(_ selectors: Set<LayerSelector>, _ option: String, _ graph: Graph, _ source: String)
    throws(QuantizerError) -> Set<Int>
  {
    var out = Set<Int>()
    for s in selectors.sorted(by: { $0.description < $1.description }) {
      switch s {
      case .index(let i):
        guard i >= 0, i < graph.operators.count else {
          throw QuantizerError(
            .invalidOption, model: source, "option \(option)",
            "no operator #\(i); the main graph has \(graph.operators.count) (#0…#\(graph.operators.count - 1))")
        }
        out.insert(i)
      case .name(let n):
        let matches = graph.operators.indices.filter { i in
          graph.operators[i].outputs.contains { $0.index >= 0 && $0.index < graph.tensors.count && graph[$0].name == n }
        }
        guard !matches.isEmpty else {
          throw QuantizerError(
            .invalidOption, model: source, "option \(option)", "no operator writes a tensor named '\(n)'")
        }
        out.formUnion(matches)
      }
    }
    return out
  }

  /// The next precision to try when an op has no kernel: int16 → int8 → float32, uint8 → float32.
  static func fallback(_ p: ActivationPrecision) -> ActivationPrecision? {
    switch p {
    case .int16: .int8
    case .int8, .uint8: .float32
    case .float32: nil
    }
  }

  /// Whether TFLite's reference kernels and Systole's golden model both run `kind` with
  /// activations of precision `p`.
  static func supports(_ kind: OpKind, _ p: ActivationPrecision) -> Bool {
    switch p {
    case .float32:
      return true
    case .int8:
      switch kind {
      case .neg, .quantize, .dequantize: return false
      // The issue-14 ops have golden kernels, but the quantizer has no output constraints for
      // them yet (GATHER/SELECT/REDUCE_MAX/shape ops sharing parameters, LESS's bool output):
      // they stay float32 until it does.
      case .gelu, .tanh, .gather, .less, .select, .selectV2, .exp, .reduceMax, .expandDims, .slice, .split,
        .broadcastTo:
        return false
      // issue 14: recurrent. An int8 LSTM needs the converter's 8×8→16 layout (int16 cell state,
      // intermediates) and WHILE's subgraphs are not rewritten: they stay float32.
      case .unidirectionalSequenceLSTM, .while, .logicalAnd:
        return false
      // issue 14: detection — float32 only, as TFLite runs it (its uint8 inputs are not int8).
      case .detectionPostProcess: return false
      // issue 14: transformer ops — kernels exist for some int8 forms, but the quantizer has no
      // output constraints for them yet.
      case .sum, .reduceProd, .div, .sqrt, .pow, .cast: return false
      // The vision ops with arithmetic of their own (weights and bias to quantize, a fixed
      // output scale, an int32 output, alpha multipliers) stay float32 too. The ones whose int8
      // kernels move or compare stored values — correct when every operand shares the input's
      // parameters, which GraphRewriter imposes — are quantized.
      case .transposeConv, .leakyRelu, .prelu, .argMax, .l2Normalization:
        return false
      default: return true
      }
    case .int16:
      switch kind {
      case .conv2D, .depthwiseConv2D, .fullyConnected, .batchMatMul, .add, .sub, .mul, .rsqrt, .averagePool2D,
        .maxPool2D, .mean, .reshape, .squeeze, .shape, .pack, .splitV, .stridedSlice, .transpose, .concatenation,
        .pad, .padV2, .softmax, .relu, .relu6, .reluN1To1, .varHandle, .readVariable, .assignVariable, .callOnce:
        return true
      default: return false
      }
    case .uint8:
      switch kind {
      case .conv2D, .depthwiseConv2D, .fullyConnected, .add, .sub, .mul, .averagePool2D, .maxPool2D, .mean, .reshape,
        .squeeze, .shape, .pack, .splitV, .stridedSlice, .transpose, .concatenation, .pad, .padV2, .softmax, .logistic,
        .hardSwish, .relu, .relu6, .reluN1To1, .varHandle, .readVariable, .assignVariable, .callOnce:
        return true
      default: return false
      }
    }
  }
}
