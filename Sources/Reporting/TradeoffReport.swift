import Foundation
import Lowering
import Pipeline
import Quantizer
import Support

/// The stable keys of the trade-off JSON (`quantize --scheme all --json`) and the
/// mixed-precision JSON (`quantize --target-drop P --json`), in one place; `docs/cli.md` lists
/// them.
public enum TradeoffKey {
  public static let model = "model"
  public static let arch = "arch"
  public static let inputs = "inputs"
  public static let labels = "labels"
  public static let float = "float"
  public static let schemes = "schemes"
  public static let scheme = "scheme"
  public static let modelBytes = "model_bytes"
  public static let xSmaller = "x_smaller"
  public static let top1Accuracy = "top1_accuracy"
  public static let top1DropPoints = "top1_drop_points"
  public static let outputSQNR = "output_sqnr_db"
  public static let latency = "latency_us"
  public static let energy = "energy_uj"
  public static let cycles = "cycles"
  public static let runsOn = "runs_on"
  public static let baselineArch = "baseline_arch"
  public static let accuracySimulated = "accuracy_simulated"
  public static let note = "note"
  public static let error = "error"
  public static let costError = "cost_error"
  public static let targetDropPoints = "target_drop_points"
  public static let metTarget = "met_target"
  public static let layers = "layers"
  public static let op = "op"
  public static let opName = "op_name"
  public static let tensor = "tensor"
  public static let precision = "precision"
  public static let weightBits = "weight_bits"
  public static let weights = "weights"
  public static let chosen = "chosen"
  public static let allInt8 = "all_int8"
  public static let allFloat = "all_float"
  public static let sensitivity = "sensitivity"
  public static let steps = "steps"
  public static let change = "change"
  public static let kept = "kept"
  public static let reason = "reason"
  public static let evaluations = "evaluations"
}

/// Renderings of ``Pipeline/QuantizationTradeoff``: the text table, the JSON, and (in
/// `TradeoffReport+HTML.swift`) the HTML page with Pareto charts.
public struct TradeoffReport: Sendable {
  public var tradeoff: QuantizationTradeoff

  public init(_ tradeoff: QuantizationTradeoff) { self.tradeoff = tradeoff }

  /// The columns of the text table and of the HTML table.
  static let headers = [
    "scheme", "bytes", "smaller", "top-1", "drop pts", "SQNR dB", "latency µs", "energy µJ", "runs on",
  ]

  /// One row of cells per scheme, the float model first; failed schemes carry their reason in
  /// the last cell.
  func cells() -> [[String]] {
    let t = tradeoff
    let labelled = t.labelsSource != nil
    var rows: [[String]] = []
    let base = t.float.baseline
    rows.append([
      "float32" + (base.map { " (\($0.arch))" } ?? ""), groupedDigits(Int(t.float.modelBytes.count)), "1.00x",
      labelled ? t.float.top1Accuracy.map { Self.percent($0) } ?? "n/a" : "-", "-", "-",
      base.map { Self.fixed($0.latencyMicroseconds, 1) } ?? "n/a", base.map { Self.fixed($0.energyMicrojoules, 2) } ?? "n/a",
      base?.runsOn ?? "n/a",
    ])
    for r in t.rows {
      guard let accuracy = r.accuracy else {
        rows.append([r.scheme.rawValue, "-", "-", "-", "-", "-", "-", "-", "not applicable (below)"])
        continue
      }
      let bytes = accuracy.size.totalBytes
      let mark = r.simulated ? "ˢ" : ""
      rows.append([
        r.scheme.rawValue, groupedDigits(Int(bytes.count)),
        Self.fixed(Self.ratio(t.float.modelBytes, bytes), 2) + "x",
        r.top1Accuracy.map { Self.percent($0) + mark } ?? "-",
        r.top1DropPoints.map(Self.points) ?? "-",
        Self.decibels(accuracy.outputSQNR) + (labelled ? "" : mark),
        r.cost.map { Self.fixed($0.latencyMicroseconds, 1) } ?? "n/a",
        r.cost.map { Self.fixed($0.energyMicrojoules, 2) } ?? "n/a",
        r.cost.map { $0.runsOn + (r.scheme == .weightsOnly ? " (hybrid)" : "") } ?? "cannot compile (below)",
      ])
    }
    return rows
  }

  /// The text report: a header naming the model, the architecture and the inputs, the table,
  /// and a legend.
  public func renderText() -> String {
    let t = tradeoff
    var table = TextTable(
      headers: Self.headers,
      alignments: [.left, .right, .right, .right, .right, .right, .right, .right, .left])
    for row in cells() { table.append(row) }
    var s = "Quantization trade-off of \(t.model) on \(t.arch)\n"
    s += "inputs: \(t.inputSource.describe(count: t.sampleCount))\n"
    if let l = t.labelsSource { s += "labels: \(l)\n" }
    s += "\n" + table.render() + "\n"
    s += "bytes: model constants, weights packed (int4 4 bits, ternary 2 bits); smaller: float bytes / bytes.\n"
    if t.labelsSource != nil {
      s += "top-1 on the labelled inputs; drop: float top-1 minus the scheme's, in percentage points.\n"
    }
    s += "SQNR: output signal-to-quantization-noise ratio against the float model.\n"
    s += "latency, energy: one inference compiled and simulated on \(t.arch) (as 'systole run'); "
    s += "the float32 row is the float model on the same geometry with a float32 datapath.\n"
    s += "runs on: share of the simulated cycles spent in array, vector-unit and host layers.\n"
    if t.rows.contains(where: \.simulated) {
      s += "ˢ accuracy measured by simulation (float execution on the quantized grid): no integer kernels for the scheme.\n"
    }
    for r in t.rows {
      if r.accuracy != nil, let note = r.note { s += "\(r.scheme): \(note).\n" }
      if let failure = r.failure { s += "\(r.scheme): not applicable: \(failure)\n" }
      if let failure = r.costFailure { s += "\(r.scheme): cannot compile: \(failure)\n" }
    }
    return s
  }

  /// The machine-readable report (keys in ``TradeoffKey``, documented in `docs/cli.md`).
  /// Accuracies are fractions in [0, 1]; drops are in percentage points; non-finite numbers and
  /// figures a scheme does not have are `null`.
  public var json: JSONValue {
    let t = tradeoff
    var float: [(key: String, value: JSONValue)] = [
      (TradeoffKey.top1Accuracy, Self.number(t.float.top1Accuracy)),
      (TradeoffKey.modelBytes, .int(t.float.modelBytes.count)),
    ]
    float += Self.costFields(t.float.baseline)
    float.append((TradeoffKey.baselineArch, t.float.baseline.map { .string($0.arch) } ?? .null))
    let schemes: [JSONValue] = t.rows.map { r in
      var f: [(key: String, value: JSONValue)] = [
        (TradeoffKey.scheme, .string(r.scheme.rawValue)),
        (TradeoffKey.modelBytes, r.modelBytes.map { .int($0.count) } ?? .null),
        (TradeoffKey.xSmaller, r.modelBytes.map { .double(Self.ratio(t.float.modelBytes, $0)) } ?? .null),
        (TradeoffKey.top1Accuracy, Self.number(r.top1Accuracy)),
        (TradeoffKey.top1DropPoints, Self.number(r.top1DropPoints)),
        (TradeoffKey.outputSQNR, Self.number(r.outputSQNR)),
      ]
      f += Self.costFields(r.cost)
      f.append((TradeoffKey.accuracySimulated, .bool(r.simulated)))
      f.append((TradeoffKey.note, r.accuracy != nil ? r.note.map { .string($0) } ?? .null : .null))
      f.append((TradeoffKey.error, r.failure.map { .string($0) } ?? .null))
      f.append((TradeoffKey.costError, r.costFailure.map { .string($0) } ?? .null))
      return .object(f)
    }
    return .object([
      (TradeoffKey.model, .string(t.model)),
      (TradeoffKey.arch, .string(t.arch)),
      (TradeoffKey.inputs, t.inputSource.json(count: t.sampleCount)),
      (TradeoffKey.labels, t.labelsSource.map { .string($0) } ?? .null),
      (TradeoffKey.float, .object(float)),
      (TradeoffKey.schemes, .array(schemes)),
    ])
  }

  /// `latency_us`, `energy_uj`, `cycles` and `runs_on {array, vector, host}` (fractions of the
  /// cycles), all `null` without a cost.
  static func costFields(_ c: ArchitectureCost?) -> [(key: String, value: JSONValue)] {
    guard let c else {
      return [
        (TradeoffKey.latency, .null), (TradeoffKey.energy, .null), (TradeoffKey.cycles, .null), (TradeoffKey.runsOn, .null),
      ]
    }
    return [
      (TradeoffKey.latency, .double(c.latencyMicroseconds)),
      (TradeoffKey.energy, .double(c.energyMicrojoules)),
      (TradeoffKey.cycles, .int(c.cycles)),
      (TradeoffKey.runsOn, .object(ArchitectureCost.workingPlacements.map { ($0.rawValue, .double(c.share($0))) })),
    ]
  }

  // MARK: Formatting

  static func number(_ x: Double?) -> JSONValue {
    guard let x, x.isFinite else { return .null }
    return .double(x)
  }

  static func ratio(_ a: ByteCount, _ b: ByteCount) -> Double { b.count == 0 ? 1 : Double(a.count) / Double(b.count) }

  static func fixed(_ x: Double, _ digits: Int) -> String {
    x.isFinite ? String(format: "%.\(digits)f", x) : (x.isNaN ? "n/a" : (x > 0 ? "inf" : "-inf"))
  }

  static func percent(_ fraction: Double) -> String { fraction.isFinite ? String(format: "%.2f %%", 100 * fraction) : "n/a" }

  static func decibels(_ x: Double) -> String { x.isInfinite && x > 0 ? "inf" : fixed(x, 2) }

  /// `+0.22`, `-1.10`, `0.00`.
  static func points(_ x: Double) -> String {
    guard x.isFinite else { return "n/a" }
    let r = (x * 100).rounded() / 100
    return r == 0 ? "0.00" : String(format: "%+.2f", r)
  }
}
