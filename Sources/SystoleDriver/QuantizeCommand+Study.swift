import Foundation
import GraphIR
import Pipeline
import Quantizer
import Reporting
import Support

/// `systole quantize --scheme all` (the trade-off table) and `--target-drop P` (the
/// accuracy-targeted mixed-precision search): studies that quantize several times from one
/// calibration run and price each result on an architecture.
extension QuantizeCommand {
  static func runStudy(_ args: ParsedArguments, all: Bool, console: inout Driver.Console) throws {
    let name = "quantize"
    let target = try args.value("target-drop").map { try parseTargetDrop($0, command: name) }
    try checkStudyOptions(args, all: all, command: name)
    let model = try ModelLoader.load(args.positionals[0], shapes: ShapeOptions.parse(args, command: name))
    let options = try parseOptions(args, command: name)
    let (calibration, seed) = try parseCalibration(args, model: model, command: name)
    let arch = try RunCommand.resolveArch(args.value("arch") ?? "edge-tpu", overrides: args.all("set"))
    try Quantizer.checkIsFloat(model)
    let evaluation = try evaluationInputs(args, model: model, calibrationFolder: args.value("calibration"), seed: seed &+ 1, command: name)
    let labels = try loadLabels(args, model: model, inputCount: evaluation.inputs.count, source: evaluation.source, command: name)
    let overwrite = args.flag("overwrite")

    if all {
      // -o DIR: one <scheme>.tflite per scheme.
      let schemes = QuantizationScheme.allCases
      let directory = args.value("o")
      let files = directory.map { d in schemes.map { "\(d)/\($0.rawValue).tflite" } } ?? []
      try FileIO.checkOverwrite(files + (args.value("report").map { [$0] } ?? []), overwrite: overwrite)
      let samples = try CalibrationData.samples(calibration, for: model)
      let statistics = try ActivationStatistics.collect(model: model, samples: samples, estimator: options.rangeEstimator)
      let tradeoff = try QuantizationTradeoff.run(
        float: model, schemes: schemes, statistics: statistics, options: options, inputs: evaluation.inputs, labels: labels,
        source: evaluation.source, arch: arch)
      let report = TradeoffReport(tradeoff)
      console.out(args.flag("json") ? report.json.serialized() + "\n" : report.renderText())
      if let directory {
        try FileIO.makeDirectory(directory)
        for row in tradeoff.rows {
          guard let q = row.quantized else { continue }
          let path = "\(directory)/\(row.scheme.rawValue).tflite"
          try FileIO.write(try q.tfliteBytes(), to: path, overwrite: overwrite)
        }
        console.err("wrote \(tradeoff.rows.filter { $0.quantized != nil }.count) files to \(directory)/\n")
      }
      if let html = args.value("report") {
        try FileIO.write(report.renderHTML(), to: html, overwrite: overwrite)
        console.err("wrote \(html)\n")
      }
      return
    }

    guard let target, let labels else {
      preconditionFailure("checkStudyOptions requires --labels with --target-drop")
    }
    guard let output = args.value("o") else { throw UsageError("--target-drop writes the chosen model: missing -o <out.tflite>", command: name) }
    try FileIO.checkOverwrite([output] + (args.value("report").map { [$0] } ?? []), overwrite: overwrite)
    let samples = try CalibrationData.samples(calibration, for: model)
    let statistics = try ActivationStatistics.collect(model: model, samples: samples, estimator: options.rangeEstimator)
    let result = try MixedPrecisionSearch.run(
      float: model, statistics: statistics, inputs: evaluation.inputs, labels: labels, source: evaluation.source,
      targetDropPoints: target, arch: arch, options: options)
    let report = MixedPrecisionReport(result)
    console.out(args.flag("json") ? report.json.serialized() + "\n" : report.renderText())
    try FileIO.write(try result.chosen.quantized.tfliteBytes(), to: output, overwrite: overwrite)
    for limitation in result.chosen.quantized.arrayLimitations { console.err("note: \(limitation)\n") }
    console.err("wrote \(output)\n")
    if let html = args.value("report") {
      let comparison = SchemeComparison(model: model.source, reports: [result.int8.report, result.chosen.report])
      try FileIO.write(
        AccuracyHTMLReport.render([comparison], title: "Systole mixed precision (all int8, then the chosen mix)"), to: html,
        overwrite: overwrite)
      console.err("wrote \(html)\n")
    }
    if !result.metTarget {
      console.err("note: no assignment meets a drop of \(args.value("target-drop") ?? "") points; the chosen one drops \(String(format: "%.2f", result.chosen.dropPoints))\n")
    }
  }

  /// `--target-drop P`: a finite number of percentage points from 0 to 100.
  static func parseTargetDrop(_ text: String, command: String) throws(UsageError) -> Double {
    guard let v = Double(text), v.isFinite, (0...100).contains(v) else {
      let shown = text.count > 40 ? String(text.prefix(40)) + "…" : text
      throw UsageError(
        "option '--target-drop' expects a number of percentage points from 0 to 100; got '\(shown)'", command: command)
    }
    return v
  }

  /// Options that make no sense together, refused before anything is loaded.
  static func checkStudyOptions(_ args: ParsedArguments, all: Bool, command: String) throws(UsageError) {
    if all && args.value("target-drop") != nil {
      throw UsageError(
        "choose one: --scheme all measures every scheme, --target-drop searches a per-layer mix", command: command)
    }
    if !all, let s = args.value("scheme") {
      throw UsageError("--target-drop chooses each layer's precision itself; drop --scheme \(s)", command: command)
    }
    for option in ["keep-float", "int16"] where !args.all(option).isEmpty {
      throw UsageError(
        all
          ? "--\(option) sets one scheme's per-layer precision; --scheme all measures every scheme as it is (--target-drop searches a per-layer mix)"
          : "--\(option) conflicts with --target-drop, which chooses every layer's precision itself",
        command: command)
    }
    if all, let o = args.value("o") {
      var isDirectory: ObjCBool = false
      let exists = FileManager.default.fileExists(atPath: o, isDirectory: &isDirectory)
      if o.hasSuffix(".tflite") || (exists && !isDirectory.boolValue) {
        throw UsageError(
          "-o with --scheme all names a directory for one <scheme>.tflite per scheme; '\(o)' is \(exists ? "a file" : "a .tflite file name")",
          command: command)
      }
    }
    if !all && args.value("labels") == nil {
      throw UsageError(
        "--target-drop needs labelled inputs: pass --inputs DIR --labels FILE (the drop is in top-1 points)", command: command)
    }
  }
}
