import Reporting
import Support
import TFLiteImport

/// `systole inspect MODEL [--json]`.
enum InspectCommand {
  static let command = Driver.Command(
    name: "inspect",
    abstract: "Show a model's operators, shapes, quantization, MACs and parameter sizes.",
    usage: "systole inspect <model.tflite|zoo:NAME|topology.csv> [--json] [--batch N] [--input-shape INPUT=DIMS]...",
    discussion: """
      Prints one row per operator of the main graph (index, TFLite op, non-constant input and
      output shapes with types, quantization of weights and output, fused activation,
      padding/stride, MACs, parameter bytes), then totals: operators by type, parameters, MACs,
      parameter bytes as stored versus as float32, and the activation peak (largest sum of
      simultaneously live activation tensors in execution order). --json prints the same as JSON
      with the keys documented in docs/cli.md. A file with run-time dimensions (the converter's
      dynamic batch) shows each input's and output's shape signature beside the resolved shape
      (--batch, --input-shape: docs/cli.md "Model arguments").
      """,
    options: [OptionSpec(name: "json", kind: .flag, help: "Print JSON instead of text.")] + ShapeOptions.specs,
    run: { args, console in
      guard args.positionals.count == 1 else {
        throw UsageError("expected exactly one model file; got \(args.positionals.count) arguments", command: "inspect")
      }
      let shapes = try ShapeOptions.parse(args, command: "inspect")
      // A .tflite file is imported once, as far as it can be; other models load as usual.
      let imported = try ModelLoader.loadPartially(args.positionals[0], shapes: shapes)
      guard let partial = imported, !partial.unsupported.isEmpty else {
        let model = try imported?.model ?? ModelLoader.load(args.positionals[0], shapes: shapes)
        let summary = ModelSummary(model: model)
        console.out(args.flag("json") ? summary.json().serialized() + "\n" : summary.renderText())
        return
      }
      // Operators Systole does not support: show everything else, list them all, then fail with
      // the one-line error every model-loading command gives.
      var summary = ModelSummary(model: partial.model)
      for k in summary.rows.indices where k < partial.mainOperatorIndices.count {
        summary.rows[k].index = partial.mainOperatorIndices[k]
      }
      summary.unsupported = partial.unsupported.map { u in
        let places = u.operators.map { "\($0.graph == 0 ? "" : "subgraph \($0.graph) ")op #\($0.index)" }
        let shown = places.count > 12 ? places.prefix(12).joined(separator: ", ") + ", …" : places.joined(separator: ", ")
        return "\(u): \(shown)"
      }
      console.out(args.flag("json") ? summary.json().serialized() + "\n" : summary.renderText())
      throw TFLiteImportError.forUnsupportedOperators(partial.unsupported, source: partial.model.source)
    })
}
