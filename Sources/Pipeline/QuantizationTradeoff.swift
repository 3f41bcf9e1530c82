import Architecture
import GoldenModel
import GraphIR
import Lowering
import Quantizer
import Support

/// The quantization trade-off of one float model on one architecture: every scheme's size,
/// accuracy (labelled top-1 when labels are given, output SQNR) and cost (latency, energy,
/// where the work runs), from one calibration run — what `systole quantize --scheme all` prints.
///
/// Each scheme is quantized with the shared calibration statistics, compared with the float
/// model in the golden model on the evaluation inputs (``Quantizer/AccuracyReport``), and
/// compiled and simulated on the architecture (``ArchitectureCost``, the path of `systole run`).
/// A scheme that cannot quantize the model (an op without a kernel in its precision) or whose
/// model cannot be compiled becomes a row with a one-line reason; bad inputs or labels still
/// throw, since they would fail every row alike.
public struct QuantizationTradeoff: Sendable {
  /// The float model's figures, the reference of every row.
  public struct FloatFigures: Sendable {
    /// Top-1 accuracy on the labelled inputs (a fraction), `nil` without labels.
    public var top1Accuracy: Double?
    /// Constant bytes of the float model (``Quantizer/ModelSize``).
    public var modelBytes: ByteCount
    /// The float32 baseline: the float model on the architecture's geometry with a float32
    /// datapath (`ArchSpec.baseline`, as `systole run` prints it); `nil` when it cannot compile.
    public var baseline: ArchitectureCost?
  }

  /// One scheme.
  public struct Row: Sendable {
    /// The scheme.
    public var scheme: QuantizationScheme
    /// The quantized model (`nil` when quantizing failed).
    public var quantized: QuantizedModel?
    /// Its accuracy against the float model (`nil` when quantizing or measuring failed).
    public var accuracy: AccuracyReport?
    /// Its cost on the architecture (`nil` when it failed, see ``costFailure``).
    public var cost: ArchitectureCost?
    /// Why the scheme has no accuracy figures (quantizing or running it failed), one line.
    public var failure: String?
    /// Why the scheme has no cost figures (compiling or simulating it failed), one line.
    public var costFailure: String?

    /// Constant bytes with weights packed.
    public var modelBytes: ByteCount? { accuracy?.size.totalBytes ?? quantized?.size.totalBytes }
    /// Top-1 accuracy on the labelled inputs (a fraction).
    public var top1Accuracy: Double? { accuracy?.labelled?.quantizedTop1Accuracy }
    /// Float top-1 minus this scheme's, in percentage points.
    public var top1DropPoints: Double? { accuracy?.labelled?.top1DropPoints }
    /// The output SQNR in dB (the worst output's).
    public var outputSQNR: Double? { accuracy?.outputSQNR }
    /// Whether the accuracy was measured by simulation (fake quantization in float) because the
    /// golden model has no integer kernels for the scheme (`uint8-affine`, `weights-only`).
    public var simulated: Bool { accuracy?.simulated ?? false }

    /// What the array cannot do for this scheme: `hybrid: int8 weights, float32 math on the host`.
    public var note: String? {
      switch scheme {
      case .weightsOnly: "hybrid: int8 weights, float32 activations; runs on the host"
      case .uint8Affine: "uint8 tensors; the int8 datapath cannot run them, so the host does"
      case .int16x8: "int16 activations; the array multiplies int8 × int8, so the host runs 16×8 layers"
      default: nil
      }
    }
  }

  /// The float model's source.
  public var model: String
  /// The architecture's name.
  public var arch: String
  /// Which inputs the accuracy figures were measured on, and how many.
  public var inputSource: InputSource
  /// How many inputs.
  public var sampleCount: Int
  /// Where the labels came from, when given.
  public var labelsSource: String?
  /// The float model's figures.
  public var float: FloatFigures
  /// One row per scheme, in the order asked.
  public var rows: [Row]

  /// Rows with accuracy figures.
  public var measuredRows: [Row] { rows.filter { $0.accuracy != nil } }

  /// The measured scheme with the largest top-1 drop (ties, or no labels: the lowest output
  /// SQNR); the HTML report shows its per-layer SQNR.
  public var worstRow: Row? {
    measuredRows.max { a, b in
      let da = a.top1DropPoints ?? 0
      let db = b.top1DropPoints ?? 0
      if da != db { return da < db }
      return (a.outputSQNR ?? .infinity) > (b.outputSQNR ?? .infinity)
    }
  }

  /// Quantizes `float` with each of `schemes` from `statistics` (one calibration run), measures
  /// each on `inputs` (with top-1 when `labels` are given) and on `arch`.
  public static func run(
    float: Model, schemes: [QuantizationScheme], statistics: ActivationStatistics,
    options: QuantizerOptions = QuantizerOptions(), inputs: [[TensorData]], labels: ClassLabels? = nil,
    source: InputSource = .given, arch: ArchSpec, lowering: LoweringOptions = LoweringOptions()
  ) throws -> QuantizationTradeoff {
    try Quantizer.checkIsFloat(float)
    let floatTop1 = try labels.map { l throws(QuantizerError) in try Self.top1Accuracy(of: float, inputs: inputs, labels: l) }
    var baseline: ArchitectureCost?
    do {
      baseline = try ArchitectureCost.measure(model: float, arch: arch.baseline, lowering: lowering)
    } catch {
      baseline = nil
    }
    var rows: [Row] = []
    for scheme in schemes {
      var row = Row(scheme: scheme)
      do {
        let q = try Quantizer.quantize(model: float, scheme: scheme, statistics: statistics, options: options)
        row.quantized = q
        row.accuracy = try AccuracyReport.compare(float: float, quantized: q, inputs: inputs, labels: labels, source: source)
      } catch {
        if Self.abortsTheStudy(error) { throw error }
        row.failure = Self.reason(error)
        rows.append(row)
        continue
      }
      if let q = row.quantized {
        do {
          row.cost = try ArchitectureCost.measure(model: q.model, arch: arch, lowering: lowering)
        } catch {
          row.costFailure = "\(error)"
        }
      }
      rows.append(row)
    }
    return QuantizationTradeoff(
      model: float.source, arch: arch.name, inputSource: source, sampleCount: inputs.count,
      labelsSource: labels?.source,
      float: FloatFigures(top1Accuracy: floatTop1, modelBytes: ModelSize(float, weights: [:]).totalBytes, baseline: baseline),
      rows: rows)
  }

  /// Errors about the inputs or labels would fail every scheme the same way: they end the study.
  static func abortsTheStudy(_ error: QuantizerError) -> Bool {
    switch error.kind {
    case .calibrationEmpty, .calibrationMismatch, .calibrationUnreadable, .labelsMismatch, .notClassifier,
      .alreadyQuantized, .invalidOption:
      true
    case .unsupportedOperator, .execution, .invalidModel, .serialization:
      false
    }
  }

  /// The error without the model's name (every row is about the same model).
  static func reason(_ error: QuantizerError) -> String {
    error.location.isEmpty ? error.message : "\(error.location): \(error.message)"
  }

  /// The float model's top-1 accuracy on `inputs` against `labels` (the first output's argmax).
  public static func top1Accuracy(of model: Model, inputs: [[TensorData]], labels: ClassLabels)
    throws(QuantizerError) -> Double
  {
    let classification = try ClassificationOutput.of(model)
    try labels.validate(inputCount: inputs.count, classes: classification.classes, model: model.source)
    var tally = LabelledAccuracy(labelsSource: labels.source, classes: classification.classes)
    var interpreter = Interpreter(model: model)
    for (k, sample) in inputs.enumerated() {
      let out: [TensorData]
      do {
        out = try interpreter.invoke(sample)
      } catch {
        throw QuantizerError(.execution, model: model.source, "accuracy input \(k)", "float model failed: \(error)")
      }
      let scores = AffineQuantization.dequantize(out[0], params: nil)
      tally.add(float: scores[...], quantized: scores[...], label: labels.values[k])
    }
    return tally.floatTop1Accuracy
  }
}
