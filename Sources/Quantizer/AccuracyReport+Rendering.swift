import Foundation
import Support

/// The keys of every machine-readable accuracy report, in one place (stable `snake_case`).
enum AccuracyKey {
  static let model = "model"
  static let scheme = "scheme"
  static let simulated = "simulated"
  static let samples = "samples"
  static let size = "size"
  static let floatSize = "float_size"
  static let weightBytes = "weight_bytes"
  static let biasBytes = "bias_bytes"
  static let otherBytes = "other_bytes"
  static let totalBytes = "total_bytes"
  static let fileBytes = "tflite_file_bytes"
  static let compression = "compression"
  static let outputs = "outputs"
  static let name = "name"
  static let sqnr = "sqnr_db"
  static let maxAbsError = "max_abs_error"
  static let cosine = "cosine_similarity"
  static let top1 = "top1_agreement"
  static let top1Rows = "top1_rows"
  static let layers = "layers"
  static let op = "op"
  static let opName = "op_name"
  static let tensor = "tensor"
  static let precision = "precision"
  static let reports = "reports"
  static let failures = "failures"
  static let error = "error"
  static let inputs = "inputs"
  static let source = "source"
  static let detail = "detail"
  static let count = "count"
  static let labelled = "labelled"
  static let labels = "labels"
  static let classes = "classes"
  static let floatTop1Accuracy = "float_top1_accuracy"
  static let top1Accuracy = "top1_accuracy"
  static let top1DropPoints = "top1_drop_points"
  static let floatTop5Accuracy = "float_top5_accuracy"
  static let top5Accuracy = "top5_accuracy"
  static let top5DropPoints = "top5_drop_points"
}

extension InputSource {
  /// `{source, detail, count}`: `source` is `inputs`, `calibration`, `synthetic` or `given`.
  public func json(count: Int) -> JSONValue {
    .object([
      (AccuracyKey.source, .string(kind.rawValue)), (AccuracyKey.detail, .string(detail)),
      (AccuracyKey.count, .int(count)),
    ])
  }
}

extension LabelledAccuracy {
  /// Two lines: top-1 (and top-5 with at least 5 classes) of both models and the drop in points.
  public func renderText(quantizedName: String = "quantized") -> String {
    var s = "labels '\(labelsSource)' (\(samples) inputs, \(classes) classes):\n"
    s += "  top-1: float \(Format.percent(floatTop1Accuracy, digits: 2)) (\(floatTop1)/\(samples)), \(quantizedName) \(Format.percent(quantizedTop1Accuracy, digits: 2)) (\(quantizedTop1)/\(samples)), drop \(Format.points(top1DropPoints)) points\n"
    if hasTop5 {
      s += "  top-5: float \(Format.percent(floatTop5Accuracy, digits: 2)) (\(floatTop5)/\(samples)), \(quantizedName) \(Format.percent(quantizedTop5Accuracy, digits: 2)) (\(quantizedTop5)/\(samples)), drop \(Format.points(top5DropPoints)) points\n"
    }
    return s
  }

  /// Accuracies as fractions in [0, 1], drops in percentage points (float − quantized);
  /// the top-5 keys only with at least 5 classes.
  public var json: JSONValue {
    var fields: [(key: String, value: JSONValue)] = [
      (AccuracyKey.labels, .string(labelsSource)), (AccuracyKey.samples, .int(samples)),
      (AccuracyKey.classes, .int(classes)),
      (AccuracyKey.floatTop1Accuracy, .double(floatTop1Accuracy)), (AccuracyKey.top1Accuracy, .double(quantizedTop1Accuracy)),
      (AccuracyKey.top1DropPoints, .double(top1DropPoints)),
    ]
    if hasTop5 {
      fields += [
        (AccuracyKey.floatTop5Accuracy, .double(floatTop5Accuracy)), (AccuracyKey.top5Accuracy, .double(quantizedTop5Accuracy)),
        (AccuracyKey.top5DropPoints, .double(top5DropPoints)),
      ]
    }
    return .object(fields)
  }
}

/// Number formatting shared by the text and HTML renderings.
enum Format {
  /// `38.21`, `inf`, `-inf`, `n/a`.
  static func decibels(_ x: Double) -> String {
    if x.isNaN { return "n/a" }
    if x.isInfinite { return x > 0 ? "inf" : "-inf" }
    return String(format: "%.2f", x)
  }

  static func fixed(_ x: Double, _ digits: Int) -> String {
    x.isFinite ? String(format: "%.\(digits)f", x) : (x.isNaN ? "n/a" : (x > 0 ? "inf" : "-inf"))
  }

  static func percent(_ x: Double, digits: Int = 1) -> String {
    x.isFinite ? String(format: "%.\(digits)f %%", 100 * x) : "n/a"
  }

  /// Percentage points with a sign and two decimals: `+0.22`, `-1.10`, `0.00`.
  static func points(_ x: Double) -> String {
    guard x.isFinite else { return "n/a" }
    let r = (x * 100).rounded() / 100
    return r == 0 ? "0.00" : String(format: "%+.2f", r)
  }

  /// `1.00` when there is nothing to divide by.
  static func ratio(_ a: ByteCount, _ b: ByteCount) -> Double {
    b.count == 0 ? 1 : Double(a.count) / Double(b.count)
  }

  /// Left/right aligned columns, two spaces apart, no trailing spaces.
  static func table(_ headers: [String], _ rows: [[String]], rightAligned: Set<Int>) -> String {
    var widths = headers.map(\.count)
    for row in rows {
      for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) }
    }
    func line(_ cells: [String]) -> String {
      var parts: [String] = []
      for (i, cell) in cells.enumerated() {
        let pad = String(repeating: " ", count: max(widths[i] - cell.count, 0))
        parts.append(rightAligned.contains(i) ? pad + cell : cell + pad)
      }
      var s = parts.joined(separator: "  ")
      while s.last == " " { s.removeLast() }
      return s
    }
    var out = [line(headers), line(widths.map { String(repeating: "-", count: $0) })]
    out += rows.map(line)
    return out.joined(separator: "\n") + "\n"
  }
}

extension ModelSize {
  /// The byte counts as a JSON object.
  public var json: JSONValue {
    .object([
      (AccuracyKey.weightBytes, .int(weightBytes.count)), (AccuracyKey.biasBytes, .int(biasBytes.count)),
      (AccuracyKey.otherBytes, .int(otherBytes.count)), (AccuracyKey.totalBytes, .int(totalBytes.count)),
    ])
  }
}

extension AccuracyReport {
  /// A plain-text report: header, size, each output's metrics, then the per-layer SQNR table.
  public func renderText() -> String {
    var s = "Accuracy of \(model) quantized with \(scheme)"
    s += simulated ? " (simulated: \(scheme.summary))\n" : " (\(scheme.summary))\n"
    s += "inputs: \(inputSource.describe(count: sampleCount))\n"
    s +=
      "constants: \(size.totalBytes) (float \(floatSize.totalBytes), \(Format.fixed(Format.ratio(floatSize.totalBytes, size.totalBytes), 2))x smaller); .tflite file \(ByteCount(fileBytes))\n"
    for o in outputs {
      s +=
        "output '\(o.name)': SQNR \(Format.decibels(o.sqnrDB)) dB, max |error| \(Format.fixed(o.maxAbsoluteError, 5)), cosine \(Format.fixed(o.cosineSimilarity, 5)), top-1 agreement \(Format.percent(o.top1Agreement)) (\(o.top1Agreements)/\(o.rows))\n"
    }
    if let labelled { s += labelled.renderText() }
    s += "\n"
    let rows = layers.map { l in
      ["#\(l.operatorIndex)", "\(l.operatorName) '\(l.tensorName)'", l.precision.rawValue, Format.decibels(l.sqnrDB)]
    }
    s += Format.table(["op", "layer", "precision", "SQNR (dB)"], rows, rightAligned: [3])
    return s
  }

  /// The report as JSON (keys in `AccuracyKey`); non-finite numbers are `null`.
  public var json: JSONValue {
    .object([
      (AccuracyKey.model, .string(model)),
      (AccuracyKey.scheme, .string(scheme.rawValue)),
      (AccuracyKey.simulated, .bool(simulated)),
      (AccuracyKey.samples, .int(sampleCount)),
      (AccuracyKey.inputs, inputSource.json(count: sampleCount)),
      (AccuracyKey.labelled, labelled?.json ?? .null),
      (AccuracyKey.size, size.json),
      (AccuracyKey.floatSize, floatSize.json),
      (AccuracyKey.fileBytes, .int(fileBytes)),
      (AccuracyKey.compression, .double(Format.ratio(floatSize.totalBytes, size.totalBytes))),
      (
        AccuracyKey.outputs,
        .array(
          outputs.map { o in
            .object([
              (AccuracyKey.name, .string(o.name)), (AccuracyKey.sqnr, .double(o.sqnrDB)),
              (AccuracyKey.maxAbsError, .double(o.maxAbsoluteError)), (AccuracyKey.cosine, .double(o.cosineSimilarity)),
              (AccuracyKey.top1, .double(o.top1Agreement)), (AccuracyKey.top1Rows, .int(o.rows)),
            ])
          })
      ),
      (
        AccuracyKey.layers,
        .array(
          layers.map { l in
            .object([
              (AccuracyKey.op, .int(l.operatorIndex)), (AccuracyKey.opName, .string(l.operatorName)),
              (AccuracyKey.tensor, .string(l.tensorName)), (AccuracyKey.precision, .string(l.precision.rawValue)),
              (AccuracyKey.sqnr, .double(l.sqnrDB)),
            ])
          })
      ),
    ])
  }
}

extension SchemeComparison {
  /// One row per scheme: size, compression, output SQNR, max error, cosine, top-1, how measured.
  public func renderText() -> String {
    var s = "Schemes on \(model)\n"
    let rows = reports.map { r -> [String] in
      let o = r.outputs.first
      return [
        r.scheme.rawValue, "\(r.size.totalBytes)",
        Format.fixed(Format.ratio(r.floatSize.totalBytes, r.size.totalBytes), 2) + "x",
        Format.decibels(r.outputSQNR), o.map { Format.fixed($0.maxAbsoluteError, 4) } ?? "n/a",
        o.map { Format.fixed($0.cosineSimilarity, 5) } ?? "n/a", o.map { Format.percent($0.top1Agreement) } ?? "n/a",
        r.simulated ? "simulated" : "native",
      ]
    }
    s += Format.table(
      ["scheme", "constants", "smaller", "SQNR (dB)", "max |err|", "cosine", "top-1", "run"], rows,
      rightAligned: [1, 2, 3, 4, 5, 6])
    for f in failures { s += "\(f.scheme): not applicable: \(f.error.message)\n" }
    return s
  }

  /// The comparison as JSON: every report, then the schemes that failed with their messages.
  public var json: JSONValue {
    .object([
      (AccuracyKey.model, .string(model)),
      (AccuracyKey.reports, .array(reports.map(\.json))),
      (
        AccuracyKey.failures,
        .array(
          failures.map { f in
            .object([
              (AccuracyKey.scheme, .string(f.scheme.rawValue)), (AccuracyKey.error, .string(f.error.description)),
            ])
          })
      ),
    ])
  }
}
