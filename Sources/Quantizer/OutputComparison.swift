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

  /// Runs both models on `inputs` (float samples in the float model's input order).
  public static func run(float: Model, quantized: Model, inputs: [[TensorData]]) throws(QuantizerError) -> OutputComparison {
    let fg = float.main
    let qg = quantized.main
    guard fg.outputs.count == qg.outputs.count, fg.inputs.count == qg.inputs.count else {
      throw QuantizerError(
        .invalidModel, model: quantized.source,
        "has \(qg.inputs.count) inputs and \(qg.outputs.count) outputs; \(float.source) has \(fg.inputs.count) and \(fg.outputs.count)")
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
    var outSignal = [[Double]](repeating: [], count: fg.outputs.count)
    var outApprox = [[Double]](repeating: [], count: fg.outputs.count)
    var agree = [Int](repeating: 0, count: fg.outputs.count)
    var layerSignal = [[Double]](repeating: [], count: matches.count)
    var layerApprox = [[Double]](repeating: [], count: matches.count)
    for sample in inputs {
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
        outSignal[k] += s
        outApprox[k] += a
        if Metrics.argmax(s[...]) == Metrics.argmax(a[...]) { agree[k] += 1 }
      }
      for (m, (i, j)) in matches.enumerated() {
        guard let fv = fi.intermediates[i], let qv = qi.intermediates[j] else { continue }
        layerSignal[m] += AffineQuantization.dequantize(fv, params: nil)
        layerApprox[m] += AffineQuantization.dequantize(qv, params: qg.tensors[j].quantization)
      }
    }
    func entry(_ name: String, _ s: [Double], _ a: [Double], top1: Double?) -> Entry {
      Entry(
        name: name, sqnrDB: Metrics.sqnr(signal: s, approximation: a), maxAbsError: Metrics.maxAbsoluteError(s, a),
        cosine: Metrics.cosineSimilarity(s, a), top1Agreement: top1)
    }
    let n = max(inputs.count, 1)
    return OutputComparison(
      floatSource: float.source, quantizedSource: quantized.source, samples: inputs.count,
      outputs: (0..<fg.outputs.count).map {
        entry(fg[fg.outputs[$0]].name, outSignal[$0], outApprox[$0], top1: Double(agree[$0]) / Double(n))
      },
      layers: matches.enumerated().map { m, pair in entry(fg.tensors[pair.0].name, layerSignal[m], layerApprox[m], top1: nil) })
  }

  /// A text table per section.
  public func renderText() -> String {
    func f(_ x: Double, _ digits: Int = 2) -> String { x.isFinite ? String(format: "%.\(digits)f", x) : "inf" }
    var s = "\(quantizedSource) vs \(floatSource), \(samples) samples\n\noutputs:\n"
    for o in outputs {
      s += "  '\(o.name)': SQNR \(f(o.sqnrDB)) dB, max |err| \(f(o.maxAbsError, 5)), cosine \(f(o.cosine, 5))"
      if let t = o.top1Agreement { s += ", top-1 agreement \(f(t * 100, 1)) %" }
      s += "\n"
    }
    s += "\nintermediate tensors matched by name: \(layers.count)\n"
    for l in layers { s += "  '\(l.name)': SQNR \(f(l.sqnrDB)) dB\n" }
    return s
  }

  /// JSON with keys `float`, `quantized`, `samples`, `outputs`, `layers`.
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
      ("outputs", .array(outputs.map(e))), ("layers", .array(layers.map(e))),
    ])
  }
}
