import GoldenModel
import GraphIR
import Support

/// The accuracy of any quantized model against its float32 model, both run in the golden model
/// on the same inputs (`systole compare`).
///
/// Unlike ``AccuracyReport``, which knows the tensor correspondence because the quantizer made
/// the quantized graph, this compares two independent files: outputs by position, and
/// intermediate tensors only where both graphs have a tensor of the same name and element count.
public struct OutputComparison: Sendable {
  /// One output or matched tensor.
  public struct Entry: Sendable {
    public var name: String
    public var sqnrDB: Double
    public var maxAbsError: Double
    public var cosine: Double
    /// Fraction of samples whose argmax agrees (outputs only; `nil` for intermediates).
    public var top1Agreement: Double?
  }

  public var floatSource: String
  public var quantizedSource: String
  public var samples: Int
  public var outputs: [Entry]
  public var layers: [Entry]
  /// Which inputs the figures were measured on.
  public var inputSource: InputSource = .given
  /// Top-1/top-5 of both models on the first output when labels were given.
  public var labelled: LabelledAccuracy?

  /// Runs both models on `inputs` (float samples in the float model's input order); with
  /// `labels` (one class per input), also the top-1/top-5 accuracy of both on the first output.
  public static func run(
    float: Model, quantized: Model, inputs: [[TensorData]], labels: ClassLabels? = nil, source: InputSource = .given
  ) throws(QuantizerError) -> OutputComparison {
    let fg = float.main
    let qg = quantized.main
    guard fg.outputs.count == qg.outputs.count, fg.inputs.count == qg.inputs.count else {
      throw QuantizerError(
        .invalidModel, model: quantized.source,
        "has \(qg.inputs.count) inputs and \(qg.outputs.count) outputs; \(float.source) has \(fg.inputs.count) and \(fg.outputs.count)")
    }
    // Inputs and outputs pair up by position and must hold the same number of elements: the
    // float samples feed both models, and outputs are compared element by element.
    for (role, floatIDs, quantizedIDs) in [("input", fg.inputs, qg.inputs), ("output", fg.outputs, qg.outputs)] {
      for (i, (f, q)) in zip(floatIDs, quantizedIDs).enumerated() where fg[f].elementCount != qg[q].elementCount {
        throw QuantizerError(
          .invalidModel, model: quantized.source,
          "\(role) \(i) '\(shortName(qg[q].name))' has shape \(qg[q].shape) (\(qg[q].elementCount) elements); "
            + "\(float.source)'s \(role) \(i) '\(shortName(fg[f].name))' has \(fg[f].shape) (\(fg[f].elementCount)); "
            + "the two models do not match")
      }
    }
    for (s, sample) in inputs.enumerated() {
      for (i, (value, id)) in zip(sample, fg.inputs).enumerated() where value.count != fg[id].elementCount {
        throw QuantizerError(
          .invalidModel, model: float.source,
          "sample \(s) input \(i) has \(value.count) elements; '\(shortName(fg[id].name))' needs \(fg[id].elementCount)")
      }
    }
    var labelled: LabelledAccuracy?
    if let labels {
      guard !inputs.isEmpty else {
        throw QuantizerError(.calibrationEmpty, model: float.source, "accuracy inputs", "no inputs to compare on")
      }
      let classification = try ClassificationOutput.of(float)
      try labels.validate(inputCount: inputs.count, classes: classification.classes, model: float.source)
      labelled = LabelledAccuracy(labelsSource: labels.source, classes: classification.classes)
    }
    // Intermediate tensors matched by name and element count (activations only).
    var matches: [(Int, Int)] = []
    var byName: [String: Int] = [:]
    for (i, t) in qg.tensors.enumerated() where !t.isConstant { byName[t.name] = i }
    for (i, t) in fg.tensors.enumerated() where !t.isConstant && t.elementType == .float32 {
      if let j = byName[t.name], qg.tensors[j].elementCount == t.elementCount, !fg.outputs.contains(TensorID(i)) {
        matches.append((i, j))
      }
    }
    var fi = Interpreter(model: float, recordsIntermediates: !matches.isEmpty)
    var qi = Interpreter(model: quantized, recordsIntermediates: !matches.isEmpty)
    // Running sums, so memory does not grow with the number of samples; they add the elements
    // in the order one pass over all samples would, so the results do not change.
    var outputs = [ErrorAccumulator](repeating: ErrorAccumulator(), count: fg.outputs.count)
    var agree = [Int](repeating: 0, count: fg.outputs.count)
    var layers = [ErrorAccumulator](repeating: ErrorAccumulator(), count: matches.count)
    for (n, sample) in inputs.enumerated() {
      let f: [TensorData]
      let q: [TensorData]
      do {
        f = try fi.invoke(sample)
        q = try qi.invoke(AccuracyReport.prepare(sample, for: qg))
      } catch {
        throw QuantizerError(.execution, model: quantized.source, error.location, error.message)
      }
      for k in 0..<f.count {
        let s = AffineQuantization.dequantize(f[k], params: nil)
        let a = AffineQuantization.dequantize(q[k], params: qg[qg.outputs[k]].quantization)
        outputs[k].add(s, a)
        if Metrics.argmax(s[...]) == Metrics.argmax(a[...]) { agree[k] += 1 }
        if k == 0, let labels { labelled?.add(float: s[...], quantized: a[...], label: labels.values[n]) }
      }
      for (m, (i, j)) in matches.enumerated() {
        guard let fv = fi.intermediates[i], let qv = qi.intermediates[j] else { continue }
        layers[m].add(
          AffineQuantization.dequantize(fv, params: nil),
          AffineQuantization.dequantize(qv, params: qg.tensors[j].quantization))
      }
    }
    func entry(_ name: String, _ e: ErrorAccumulator, top1: Double?) -> Entry {
      Entry(name: name, sqnrDB: e.sqnr.decibels, maxAbsError: e.maxAbsError, cosine: e.cosine, top1Agreement: top1)
    }
    let n = max(inputs.count, 1)
    return OutputComparison(
      floatSource: float.source, quantizedSource: quantized.source, samples: inputs.count,
      outputs: (0..<fg.outputs.count).map {
        entry(fg[fg.outputs[$0]].name, outputs[$0], top1: Double(agree[$0]) / Double(n))
      },
      layers: matches.enumerated().map { m, pair in entry(fg.tensors[pair.0].name, layers[m], top1: nil) },
      inputSource: source, labelled: labelled)
  }

  /// A text table per section.
  public func renderText() -> String {
    func f(_ x: Double, _ digits: Int = 2) -> String { x.isFinite ? String(format: "%.\(digits)f", x) : "inf" }
    var s = "\(quantizedSource) vs \(floatSource), \(samples) samples\n"
    s += "inputs: \(inputSource.describe(count: samples))\n"
    if let labelled { s += labelled.renderText() }
    s += "\noutputs:\n"
    for o in outputs {
      s += "  '\(o.name)': SQNR \(f(o.sqnrDB)) dB, max |err| \(f(o.maxAbsError, 5)), cosine \(f(o.cosine, 5))"
      if let t = o.top1Agreement { s += ", top-1 agreement \(f(t * 100, 1)) %" }
      s += "\n"
    }
    s += "\nintermediate tensors matched by name: \(layers.count)\n"
    for l in layers { s += "  '\(l.name)': SQNR \(f(l.sqnrDB)) dB\n" }
    return s
  }

  /// JSON with keys `float`, `quantized`, `samples`, `inputs` (`{source, detail, count}`),
  /// `labelled` (`null` without labels), `outputs`, `layers`.
  public var json: JSONValue {
    func e(_ x: Entry) -> JSONValue {
      var fields: [(key: String, value: JSONValue)] = [
        ("name", .string(x.name)), ("sqnr_db", .double(x.sqnrDB)), ("max_abs_error", .double(x.maxAbsError)),
        ("cosine", .double(x.cosine)),
      ]
      if let t = x.top1Agreement { fields.append(("top1_agreement", .double(t))) }
      return .object(fields)
    }
    return .object([
      ("float", .string(floatSource)), ("quantized", .string(quantizedSource)), ("samples", .int(Int64(samples))),
      ("inputs", inputSource.json(count: samples)), ("labelled", labelled?.json ?? .null),
      ("outputs", .array(outputs.map(e))), ("layers", .array(layers.map(e))),
    ])
  }
}

/// SQNR, cosine similarity and maximum absolute error of a signal seen in pieces, each equal to
/// the ``Metrics`` function over the concatenation of the pieces.
struct ErrorAccumulator {
  var sqnr = SQNRAccumulator()
  var dot = 0.0
  var signalSquares = 0.0
  var approximationSquares = 0.0
  var maxAbsError = 0.0
  var count = 0
  var mismatched = false

  mutating func add(_ s: [Double], _ a: [Double]) {
    sqnr.add(signal: s, approximation: a)
    guard s.count == a.count else {
      mismatched = true
      return
    }
    for i in s.indices {
      dot += s[i] * a[i]
      signalSquares += s[i] * s[i]
      approximationSquares += a[i] * a[i]
      maxAbsError = max(maxAbsError, abs(s[i] - a[i]))
    }
    count += s.count
  }

  /// As ``Metrics/cosineSimilarity(_:_:)``.
  var cosine: Double {
    if mismatched || count == 0 { return .nan }
    if signalSquares == 0 && approximationSquares == 0 { return 1 }
    if signalSquares == 0 || approximationSquares == 0 { return 0 }
    return dot / (signalSquares.squareRoot() * approximationSquares.squareRoot())
  }
}
