import GraphIR
import Support

/// The true class of every input of a labelled test set, for top-1 and top-5 accuracy.
///
/// A labels file holds one non-negative integer per line, the class of the input file at the
/// same position in byte-wise sorted file-name order (the order ``CalibrationData`` reads a
/// folder in). Surrounding spaces and a final newline are allowed; blank lines elsewhere, signs,
/// text or fractions are not.
public struct ClassLabels: Sendable, Hashable {
  /// One class per input, in input order.
  public var values: [Int]
  /// Where the labels came from, for messages and reports (`test/labels.txt`).
  public var source: String

  /// Creates labels from values in memory.
  public init(_ values: [Int], source: String = "labels") {
    self.values = values
    self.source = source
  }

  /// Parses the text of a labels file; `model` names the model in errors.
  public static func parse(_ text: String, source: String, model: String) throws(QuantizerError) -> ClassLabels {
    // `\r\n` is one Character in Swift, so split on every newline grapheme (LF, CRLF, CR).
    var lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
    while let last = lines.last, last.allSatisfy({ $0 == " " || $0 == "\t" }) { lines.removeLast() }
    var values: [Int] = []
    values.reserveCapacity(lines.count)
    for (n, line) in lines.enumerated() {
      let item = line.trimmingSpaces
      guard !item.isEmpty, item.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(item) else {
        let shown = item.count > 40 ? String(item.prefix(40)) + "…" : String(item)
        throw QuantizerError(
          .labelsMismatch, model: model, "labels '\(source)' line \(n + 1)",
          "'\(Substring(shown).escapingControlCharacters)' is not a class number; expected one non-negative integer per line")
      }
      values.append(value)
    }
    return ClassLabels(values, source: source)
  }

  /// Checks there is one label per input and every label is a class of the output.
  public func validate(inputCount: Int, classes: Int, model: String) throws(QuantizerError) {
    guard values.count == inputCount else {
      throw QuantizerError(
        .labelsMismatch, model: model, "labels '\(source)'",
        "\(values.count) labels for \(inputCount) inputs; expected one label per input file, in sorted file-name order")
    }
    if let k = values.firstIndex(where: { $0 >= classes }) {
      throw QuantizerError(
        .labelsMismatch, model: model, "labels '\(source)' line \(k + 1)",
        "class \(values[k]) is out of range; the output has \(classes) classes (0…\(classes - 1))")
    }
  }
}

/// The classification output of a model: its first output, one row of class scores per input.
public struct ClassificationOutput: Sendable, Hashable {
  /// The output's position in the model's output list (always 0).
  public var output: Int
  /// The number of classes (the output's last dimension).
  public var classes: Int

  /// The first output of `model`'s main graph, which must hold exactly one row of at least two
  /// scores (shape `[C]`, `[1, C]`, `[1, 1, C]`, …).
  public static func of(_ model: Model) throws(QuantizerError) -> ClassificationOutput {
    let graph = model.main
    guard let id = graph.outputs.first else {
      throw QuantizerError(.notClassifier, model: model.source, "the model has no outputs; labels need class scores")
    }
    let t = graph[id]
    let classes = t.shape.last ?? 1
    guard classes >= 2, t.shape.dropLast().allSatisfy({ $0 == 1 }) else {
      throw QuantizerError(
        .notClassifier, model: model.source, "output 0 '\(shortName(t.name))'",
        "has shape [\(t.shape.map(String.init).joined(separator: ", "))]; labels need a classification output of shape [1, C]: one row of C ≥ 2 class scores per input"
      )
    }
    return ClassificationOutput(output: 0, classes: classes)
  }
}

/// Top-1 and top-5 accuracy of a float model and its quantized model against labels.
public struct LabelledAccuracy: Sendable, Hashable {
  /// Where the labels came from.
  public var labelsSource: String
  /// Inputs scored.
  public var samples: Int
  /// Classes of the output.
  public var classes: Int
  /// Inputs whose label is the float model's highest score.
  public var floatTop1: Int
  /// Inputs whose label is the quantized model's highest score.
  public var quantizedTop1: Int
  /// Inputs whose label is among the float model's five highest scores.
  public var floatTop5: Int
  /// Inputs whose label is among the quantized model's five highest scores.
  public var quantizedTop5: Int

  /// Whether top-5 is meaningful (at least 5 classes).
  public var hasTop5: Bool { classes >= 5 }
  /// Fractions in [0, 1].
  public var floatTop1Accuracy: Double { fraction(floatTop1) }
  public var quantizedTop1Accuracy: Double { fraction(quantizedTop1) }
  public var floatTop5Accuracy: Double { fraction(floatTop5) }
  public var quantizedTop5Accuracy: Double { fraction(quantizedTop5) }
  /// Float top-1 minus quantized top-1, in percentage points (positive: the quantized model is worse).
  public var top1DropPoints: Double { 100 * (floatTop1Accuracy - quantizedTop1Accuracy) }
  /// The same for top-5.
  public var top5DropPoints: Double { 100 * (floatTop5Accuracy - quantizedTop5Accuracy) }

  private func fraction(_ n: Int) -> Double { samples == 0 ? .nan : Double(n) / Double(samples) }

  /// Creates an empty tally.
  public init(labelsSource: String, classes: Int) {
    self.labelsSource = labelsSource
    self.samples = 0
    self.classes = classes
    floatTop1 = 0
    quantizedTop1 = 0
    floatTop5 = 0
    quantizedTop5 = 0
  }

  /// Scores one input: `float` and `quantized` are its class scores, `label` its class.
  public mutating func add(float: ArraySlice<Double>, quantized: ArraySlice<Double>, label: Int) {
    samples += 1
    let f = Self.rank(of: label, in: float)
    let q = Self.rank(of: label, in: quantized)
    if f < 1 { floatTop1 += 1 }
    if q < 1 { quantizedTop1 += 1 }
    if f < 5 { floatTop5 += 1 }
    if q < 5 { quantizedTop5 += 1 }
  }

  /// The label's position when the scores are sorted from highest to lowest, ties broken by the
  /// lower class index first (so rank 0 is exactly ``Metrics/argmax(_:)``).
  public static func rank(of label: Int, in scores: ArraySlice<Double>) -> Int {
    let base = scores.startIndex
    let target = scores[base + label]
    var rank = 0
    for (i, s) in scores.enumerated() where s > target || (s == target && i < label) { rank += 1 }
    return rank
  }
}

extension Substring {
  var trimmingSpaces: Substring {
    var s = self
    while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
    while let l = s.last, l == " " || l == "\t" { s.removeLast() }
    return s
  }

  var escapingControlCharacters: String {
    var out = ""
    for u in unicodeScalars {
      if u.value < 0x20 || u.value == 0x7f { out += "\\u{\(String(u.value, radix: 16))}" } else { out.unicodeScalars.append(u) }
    }
    return out
  }
}

/// Which inputs an accuracy figure was measured on, named in every report.
public struct InputSource: Sendable, Hashable {
  /// Where the inputs came from.
  public enum Kind: String, Sendable, Hashable {
    /// The user's evaluation inputs (`--inputs DIR`).
    case inputs
    /// The calibration folder, reused because no evaluation inputs were given.
    case calibration
    /// Seeded synthetic inputs: neither a test set nor a calibration folder exists.
    case synthetic
    /// Samples passed in memory by a library caller.
    case given
  }
  /// Where the inputs came from.
  public var kind: Kind
  /// The folder, or the generator and seed: `test/`, `seed 1, image distribution`.
  public var detail: String

  /// Creates a source description.
  public init(_ kind: Kind, _ detail: String) {
    self.kind = kind
    self.detail = detail
  }

  /// Samples given in memory.
  public static let given = InputSource(.given, "samples in memory")

  /// `450 inputs from --inputs folder 'test/'`, for text reports.
  public func describe(count: Int) -> String {
    switch kind {
    case .inputs: "\(count) inputs from the --inputs folder '\(detail)'"
    case .calibration: "\(count) inputs from the calibration folder '\(detail)' (no --inputs given)"
    case .synthetic: "\(count) seeded synthetic inputs (\(detail); no --inputs or calibration folder given, so figures may not reflect real data)"
    case .given: "\(count) inputs (\(detail))"
    }
  }
}
