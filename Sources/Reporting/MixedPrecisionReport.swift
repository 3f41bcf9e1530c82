import Foundation
import Lowering
import Pipeline
import Quantizer
import Support

/// Renderings of ``Pipeline/MixedPrecisionSearch/Result`` (`systole quantize --target-drop P`):
/// the assignment per weight layer, its cost beside the float32 baseline and the all-int8 model,
/// and the search's steps.
public struct MixedPrecisionReport: Sendable {
  public var result: MixedPrecisionSearch.Result

  public init(_ result: MixedPrecisionSearch.Result) { self.result = result }

  /// The text report.
  public func renderText() -> String {
    let r = result
    let chosen = r.chosen
    var s = "Accuracy-targeted mixed precision of \(r.model) on \(r.arch): top-1 drop at most "
    s += TradeoffReport.fixed(r.targetDropPoints, 2) + " points\n"
    s += "inputs: \(chosen.report.inputSource.describe(count: chosen.report.sampleCount))\n"
    if let l = chosen.report.labelled { s += "labels: \(l.labelsSource)\n" }
    s += "float top-1 \(TradeoffReport.percent(r.floatTop1Accuracy)); chosen \(TradeoffReport.percent(chosen.top1Accuracy))"
    s += " (drop \(TradeoffReport.points(chosen.dropPoints)) points): target \(r.metTarget ? "met" : "NOT met")\n\n"

    var layers = TextTable(
      headers: ["#", "layer", "op", "weights", "precision", "alone int4", "alone ternary"],
      alignments: [.right, .left, .left, .right, .left, .right, .right])
    for l in r.layers {
      func alone(_ p: LayerPrecision) -> String {
        r.sensitivities.first { $0.operatorIndex == l.operatorIndex && $0.precision == p }.map {
          TradeoffReport.points($0.dropPoints)
        } ?? "-"
      }
      let p = chosen.allFloat ? "float" : chosen.assignment[l.operatorIndex]?.rawValue ?? "int8"
      layers.append([
        String(l.operatorIndex), String(shortName(l.tensorName, limit: 36)), l.operatorName, groupedDigits(l.weightCount), p,
        alone(.int4), alone(.ternary),
      ])
    }
    s += layers.render()
    s += "(alone: the top-1 drop in points with only that layer lowered, the others int8)\n\n"

    var cost = TextTable(
      headers: ["model", "bytes", "smaller", "top-1", "drop pts", "SQNR dB", "latency µs", "energy µJ", "runs on"],
      alignments: [.left, .right, .right, .right, .right, .right, .right, .right, .left])
    cost.append([
      "float32" + (r.floatCost.map { " (\($0.arch))" } ?? ""), groupedDigits(Int(r.floatBytes.count)), "1.00x",
      TradeoffReport.percent(r.floatTop1Accuracy), "-", "-",
      r.floatCost.map { TradeoffReport.fixed($0.latencyMicroseconds, 1) } ?? "n/a",
      r.floatCost.map { TradeoffReport.fixed($0.energyMicrojoules, 2) } ?? "n/a", r.floatCost?.runsOn ?? "n/a",
    ])
    for (name, e, c) in [("all int8", r.int8, r.int8Cost), ("chosen", chosen, r.chosenCost)] {
      cost.append([
        name, groupedDigits(Int(e.modelBytes.count)), TradeoffReport.fixed(TradeoffReport.ratio(r.floatBytes, e.modelBytes), 2) + "x",
        TradeoffReport.percent(e.top1Accuracy), TradeoffReport.points(e.dropPoints), TradeoffReport.decibels(e.report.outputSQNR),
        c.map { TradeoffReport.fixed($0.latencyMicroseconds, 1) } ?? "n/a",
        c.map { TradeoffReport.fixed($0.energyMicrojoules, 2) } ?? "n/a", c?.runsOn ?? "n/a",
      ])
    }
    s += cost.render()
    s += "\nsearch: \(r.evaluations) assignments quantized and measured (docs/quantizer.md, \"Accuracy-targeted mixed precision\")\n"
    for step in r.steps {
      s += "  \(step.change): drop \(TradeoffReport.points(step.dropPoints))"
      s += step.kept ? ", kept\n" : ", not kept (\(step.reason))\n"
    }
    return s
  }

  /// The machine-readable report (keys in ``TradeoffKey``, documented in `docs/cli.md`).
  public var json: JSONValue {
    let r = result
    func evaluation(_ e: MixedPrecisionSearch.Evaluation, _ c: ArchitectureCost?) -> JSONValue {
      var f: [(key: String, value: JSONValue)] = [
        (TradeoffKey.top1Accuracy, TradeoffReport.number(e.top1Accuracy)),
        (TradeoffKey.top1DropPoints, TradeoffReport.number(e.dropPoints)),
        (TradeoffKey.outputSQNR, TradeoffReport.number(e.report.outputSQNR)),
        (TradeoffKey.modelBytes, .int(e.modelBytes.count)),
        (TradeoffKey.xSmaller, .double(TradeoffReport.ratio(r.floatBytes, e.modelBytes))),
      ]
      f += TradeoffReport.costFields(c)
      f.append((TradeoffKey.allFloat, .bool(e.allFloat)))
      return .object(f)
    }
    var float: [(key: String, value: JSONValue)] = [
      (TradeoffKey.top1Accuracy, TradeoffReport.number(r.floatTop1Accuracy)),
      (TradeoffKey.modelBytes, .int(r.floatBytes.count)),
    ]
    float += TradeoffReport.costFields(r.floatCost)
    float.append((TradeoffKey.baselineArch, r.floatCost.map { .string($0.arch) } ?? .null))
    let chosen = r.chosen
    return .object([
      (TradeoffKey.model, .string(r.model)),
      (TradeoffKey.arch, .string(r.arch)),
      (TradeoffKey.inputs, chosen.report.inputSource.json(count: chosen.report.sampleCount)),
      (TradeoffKey.labels, chosen.report.labelled.map { .string($0.labelsSource) } ?? .null),
      (TradeoffKey.targetDropPoints, .double(r.targetDropPoints)),
      (TradeoffKey.metTarget, .bool(r.metTarget)),
      (TradeoffKey.evaluations, .int(r.evaluations)),
      (TradeoffKey.float, .object(float)),
      (TradeoffKey.allInt8, evaluation(r.int8, r.int8Cost)),
      (TradeoffKey.chosen, evaluation(chosen, r.chosenCost)),
      (
        TradeoffKey.layers,
        .array(
          r.layers.map { l in
            let p = chosen.allFloat ? LayerPrecision.float : chosen.assignment[l.operatorIndex] ?? .int8
            return .object([
              (TradeoffKey.op, .int(l.operatorIndex)), (TradeoffKey.opName, .string(l.operatorName)),
              (TradeoffKey.tensor, .string(l.tensorName)), (TradeoffKey.weights, .int(l.weightCount)),
              (TradeoffKey.precision, .string(p.rawValue)), (TradeoffKey.weightBits, .int(p.weightBits)),
            ])
          })
      ),
      (
        TradeoffKey.sensitivity,
        .array(
          r.sensitivities.map { s in
            .object([
              (TradeoffKey.op, .int(s.operatorIndex)), (TradeoffKey.precision, .string(s.precision.rawValue)),
              (TradeoffKey.top1DropPoints, TradeoffReport.number(s.dropPoints)),
              (TradeoffKey.outputSQNR, TradeoffReport.number(s.outputSQNR)),
            ])
          })
      ),
      (
        TradeoffKey.steps,
        .array(
          r.steps.map { s in
            .object([
              (TradeoffKey.change, .string(s.change)), (TradeoffKey.top1DropPoints, TradeoffReport.number(s.dropPoints)),
              (TradeoffKey.energy, TradeoffReport.number(s.energyMicrojoules)), (TradeoffKey.kept, .bool(s.kept)),
              (TradeoffKey.reason, .string(s.reason)),
            ])
          })
      ),
    ])
  }
}
