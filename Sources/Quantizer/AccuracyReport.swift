import GoldenModel
import GraphIR
import Support

/// How far a quantized model's values are from its float model's, layer by layer and at the
/// output, over a set of inputs.
///
/// Both models run in Systole's golden model on the same float inputs (quantized with the
/// quantized model's input parameters where its inputs are integers). Layers are matched by
/// the float model's operator index: the quantizer records which quantized tensor holds each
/// float tensor's value (``QuantizedModel/tensorMap``). Schemes the golden model cannot run
/// natively are measured on ``QuantizedModel/simulationModel()`` and marked `simulated`.
public struct AccuracyReport: Sendable {
  /// One operator of the float model's main graph.
  public struct Layer: Sendable, Hashable {
    /// The operator's index in the float model (`op #3`).
    public var operatorIndex: Int
    /// Its TFLite name (`CONV_2D`).
    public var operatorName: String
    /// The name of its first output tensor.
    public var tensorName: String
    /// The precision it ran in.
    public var precision: ActivationPrecision
    /// SQNR of its output over all inputs, in dB (`+∞` when exact).
    public var sqnrDB: Double
  }

  /// One output of the model.
  public struct Output: Sendable, Hashable {
    /// The output tensor's name in the float model.
    public var name: String
    /// SQNR over all inputs, in dB.
    public var sqnrDB: Double
    /// The largest absolute difference of any element.
    public var maxAbsoluteError: Double
    /// Cosine similarity of all values concatenated.
    public var cosineSimilarity: Double
    /// Rows (vectors along the last axis) whose argmax agrees, over all inputs.
    public var top1Agreements: Int
    /// Rows compared.
    public var rows: Int

    /// `top1Agreements / rows`.
    public var top1Agreement: Double { rows == 0 ? .nan : Double(top1Agreements) / Double(rows) }
  }

  /// The float model's source.
  public var model: String
  /// The scheme of the quantized model.
  public var scheme: QuantizationScheme
  /// Whether the quantized model was measured by simulation instead of native execution.
  public var simulated: Bool
  /// How many inputs were run.
  public var sampleCount: Int
  /// Per layer, in the float model's operator order (ops with a float output).
  public var layers: [Layer]
  /// Per model output.
  public var outputs: [Output]
  /// Constant bytes of the quantized model (weights packed).
  public var size: ModelSize
  /// Constant bytes of the float model.
  public var floatSize: ModelSize
  /// Bytes of the quantized `.tflite` file (int4 weights as TFLite INT4; ternary and
  /// fine-grained ternary weights as INT8, TFLite having no 2-bit type its kernels accept).
  public var fileBytes: Int
  /// Which inputs every figure of this report was measured on.
  public var inputSource: InputSource = .given
  /// Top-1/top-5 of the float and quantized models when labels were given.
  public var labelled: LabelledAccuracy?

  /// The output SQNR in dB: the only output's, or the worst output's when there are several.
  public var outputSQNR: Double { outputs.map(\.sqnrDB).min() ?? .nan }

  /// Runs `float` and `quantized` on `inputs` (float tensors, one array per sample in the
  /// float model's input order) and measures the difference; with `labels` (one class per
  /// input), also the top-1/top-5 accuracy of both models on the first output.
  public static func compare(
    float: Model, quantized: QuantizedModel, inputs: [[TensorData]], labels: ClassLabels? = nil,
    source inputSource: InputSource = .given
  ) throws(QuantizerError) -> AccuracyReport {
    guard !inputs.isEmpty else {
      throw QuantizerError(.calibrationEmpty, model: float.source, "accuracy inputs", "no inputs to compare on")
    }
    for (k, sample) in inputs.enumerated() {
      try CalibrationData.validate(sample, sample: "accuracy input \(k)", model: float)
    }
    var labelled: LabelledAccuracy?
    if let labels {
      let classification = try ClassificationOutput.of(float)
      try labels.validate(inputCount: inputs.count, classes: classification.classes, model: float.source)
      labelled = LabelledAccuracy(labelsSource: labels.source, classes: classification.classes)
    }
    let floatGraph = float.main
    let source = quantized.floatModel.main
    guard source.tensors.count == floatGraph.tensors.count, source.operators.count == floatGraph.operators.count,
      source.inputs == floatGraph.inputs, source.outputs == floatGraph.outputs
    else {
      throw QuantizerError(
        .invalidModel, model: float.source,
        "the quantized model was made from '\(quantized.floatModel.source)' (\(source.tensors.count) tensors, \(source.operators.count) operators); this model has \(floatGraph.tensors.count) tensors, \(floatGraph.operators.count) operators"
      )
    }
    let native = quantized.runsNatively
    let executable: Model
    var map: [TensorID: TensorID] = [:]
    if native {
      executable = quantized.model
      map = quantized.tensorMap
    } else {
      let (sim, simMap) = quantized.simulationModel()
      executable = sim
      for (f, q) in quantized.tensorMap { if let s = simMap[q] { map[f] = s } }
    }
    let exeGraph = executable.main

    // Layers: ops of the float main graph with a float output that the quantized graph maps.
    var layerOps: [(op: Int, float: TensorID, quantized: TensorID)] = []
    for (i, op) in floatGraph.operators.enumerated() {
      guard let out = op.outputs.first(where: { floatGraph[$0].elementType == .float32 }), let q = map[out] else {
        continue
      }
      layerOps.append((i, out, q))
    }
    var layerAcc = [SQNRAccumulator](repeating: SQNRAccumulator(), count: layerOps.count)
    var outputSignal = [[Double]](repeating: [], count: floatGraph.outputs.count)
    var outputApprox = [[Double]](repeating: [], count: floatGraph.outputs.count)
    var top1 = [Int](repeating: 0, count: floatGraph.outputs.count)
    var rows = [Int](repeating: 0, count: floatGraph.outputs.count)

    var floatRun = Interpreter(model: float, recordsIntermediates: true)
    var quantRun = Interpreter(model: executable, recordsIntermediates: true)
    for (k, sample) in inputs.enumerated() {
      let floatOut: [TensorData]
      let quantOut: [TensorData]
      do {
        floatOut = try floatRun.invoke(sample)
      } catch {
        throw QuantizerError(.execution, model: float.source, "accuracy input \(k)", "float model failed: \(error)")
      }
      let prepared = prepare(sample, for: exeGraph)
      do {
        quantOut = try quantRun.invoke(prepared)
      } catch {
        throw QuantizerError(
          .execution, model: float.source, "accuracy input \(k)", "\(quantized.scheme) model failed: \(error)")
      }
      let fValues = floatRun.intermediates
      let qValues = quantRun.intermediates
      for (l, entry) in layerOps.enumerated() {
        guard entry.float.index < fValues.count, entry.quantized.index < qValues.count,
          let f = fValues[entry.float.index], let q = qValues[entry.quantized.index]
        else { continue }
        layerAcc[l].add(
          signal: AffineQuantization.dequantize(f, params: nil),
          approximation: AffineQuantization.dequantize(q, params: exeGraph[entry.quantized].quantization))
      }
      for (o, id) in exeGraph.outputs.enumerated() where o < floatOut.count && o < quantOut.count {
        let s = AffineQuantization.dequantize(floatOut[o], params: nil)
        let a = AffineQuantization.dequantize(quantOut[o], params: exeGraph[id].quantization)
        outputSignal[o] += s
        outputApprox[o] += a
        if o == 0, let labels { labelled?.add(float: s[...], quantized: a[...], label: labels.values[k]) }
        let width = max(floatOut[o].shape.last ?? s.count, 1)
        var start = 0
        while start + width <= s.count {
          if Metrics.argmax(s[start..<start + width]) == Metrics.argmax(a[start..<start + width]) { top1[o] += 1 }
          rows[o] += 1
          start += width
        }
      }
    }

    let layers = layerOps.enumerated().map { l, entry in
      Layer(
        operatorIndex: entry.op, operatorName: floatGraph.operators[entry.op].kind.tfliteName,
        tensorName: floatGraph[entry.float].name, precision: quantized.precisions[entry.op] ?? .float32,
        sqnrDB: layerAcc[l].decibels)
    }
    let outputs = floatGraph.outputs.enumerated().map { o, id in
      Output(
        name: floatGraph[id].name,
        sqnrDB: Metrics.sqnr(signal: outputSignal[o], approximation: outputApprox[o]),
        maxAbsoluteError: Metrics.maxAbsoluteError(outputSignal[o], outputApprox[o]),
        cosineSimilarity: Metrics.cosineSimilarity(outputSignal[o], outputApprox[o]),
        top1Agreements: top1[o], rows: rows[o])
    }
    let fileBytes = (try? quantized.tfliteBytes().count) ?? 0
    return AccuracyReport(
      model: float.source, scheme: quantized.scheme, simulated: !native, sampleCount: inputs.count, layers: layers,
      outputs: outputs, size: quantized.size, floatSize: quantized.floatSize, fileBytes: fileBytes,
      inputSource: inputSource, labelled: labelled)
  }

  /// Converts float inputs to the quantized model's input types (TFLite's QUANTIZE rule).
  public static func prepare(_ sample: [TensorData], for graph: Graph) -> [TensorData] {
    zip(sample, graph.inputs).map { value, id in
      let t = graph[id]
      guard t.elementType != value.elementType, let q = t.quantization, case .float32(let v) = value.storage,
        let converted = AffineQuantization.quantize(v, shape: t.shape, to: t.elementType, params: q)
      else { return value }
      return converted
    }
  }
}

/// Accuracy of several schemes on one model, measured from one calibration run.
public struct SchemeComparison: Sendable {
  /// The float model's source.
  public var model: String
  /// One report per scheme that quantized successfully, in the order asked.
  public var reports: [AccuracyReport]
  /// Schemes that could not quantize this model, with the reason.
  public var failures: [(scheme: QuantizationScheme, error: QuantizerError)]

  /// Creates a comparison from reports measured elsewhere.
  public init(
    model: String, reports: [AccuracyReport], failures: [(scheme: QuantizationScheme, error: QuantizerError)] = []
  ) {
    self.model = model
    self.reports = reports
    self.failures = failures
  }

  /// Calibrates `float` once, quantizes it with each of `schemes`, and compares each on `inputs`
  /// (with top-1/top-5 accuracy when `labels` are given).
  public static func run(
    float: Model, schemes: [QuantizationScheme], calibration: Calibration, inputs: [[TensorData]],
    options: QuantizerOptions = QuantizerOptions(), labels: ClassLabels? = nil, source: InputSource = .given
  ) throws(QuantizerError) -> SchemeComparison {
    try Quantizer.checkIsFloat(float)
    let samples = try CalibrationData.samples(calibration, for: float)
    let statistics = try ActivationStatistics.collect(model: float, samples: samples, estimator: options.rangeEstimator)
    var reports: [AccuracyReport] = []
    var failures: [(QuantizationScheme, QuantizerError)] = []
    for scheme in schemes {
      do {
        let q = try Quantizer.quantize(model: float, scheme: scheme, statistics: statistics, options: options)
        reports.append(
          try AccuracyReport.compare(float: float, quantized: q, inputs: inputs, labels: labels, source: source))
      } catch {
        guard error.kind == .unsupportedOperator else { throw error }
        failures.append((scheme, error))
      }
    }
    return SchemeComparison(model: float.source, reports: reports, failures: failures)
  }
}
