import Architecture
import GraphIR
import Lowering
import Quantizer
import Support

/// The precision one weight layer (CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED) gets in an
/// accuracy-targeted mixed-precision model, cheapest first.
public enum LayerPrecision: String, CaseIterable, Sendable, Hashable, Comparable, CustomStringConvertible {
  /// Ternary weights per channel (TWN, 2 bits), int8 activations.
  case ternary
  /// int4 weights per channel, int8 activations.
  case int4
  /// int8 weights per channel, int8 activations: the starting point.
  case int8
  /// int8 weights, int16 activations (16×8).
  case int16x8
  /// Left in float32 (runs on the host).
  case float

  /// The scheme the layer is quantized with (`nil` for float: `keepFloat`).
  public var scheme: QuantizationScheme? {
    switch self {
    case .ternary: .ternary
    case .int4: .int4
    case .int8: .int8PerChannel
    case .int16x8: .int16x8
    case .float: nil
    }
  }

  /// Bits per weight in the model file (packed).
  public var weightBits: Int {
    switch self {
    case .ternary: 2
    case .int4: 4
    case .int8, .int16x8: 8
    case .float: 32
    }
  }

  /// The next more precise choice, `nil` for float.
  public var raised: LayerPrecision? {
    switch self {
    case .ternary: .int4
    case .int4: .int8
    case .int8: .int16x8
    case .int16x8: .float
    case .float: nil
    }
  }

  public static func < (a: LayerPrecision, b: LayerPrecision) -> Bool {
    allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
  }

  /// The raw value.
  public var description: String { rawValue }
}

/// Accuracy-targeted mixed precision: a cheap per-layer assignment of ternary, int4, int8,
/// 16×8 or float to the weight layers whose labelled top-1 drop stays within a target, found by
/// a greedy search guided by per-layer sensitivity (`systole quantize --target-drop P`).
///
/// The search (`docs/quantizer.md`, "Accuracy-targeted mixed precision"):
/// 1. Every weight layer int8 (int8-per-channel; the other ops stay int8 throughout).
/// 2. While the drop exceeds the target, raise one layer one step (int8 → 16×8 → float): the
///    layer whose raise gives the lowest drop. If every weight layer is float and the drop still
///    exceeds the target, the whole model stays float.
/// 3. Sensitivity: for every layer still int8, the drop (and output SQNR) with that layer alone
///    lowered to int4, and alone lowered to ternary, the others as step 2 left them.
/// 4. Greedy lowering, least sensitive first (lowest solo drop, then highest solo SQNR, then the
///    most weight bytes saved): first every layer to int4, then int4 layers to ternary. A step is
///    kept when the drop of the whole assignment stays within the target and the simulated energy
///    per inference does not grow; layers whose solo drop already exceeds the target are skipped.
///
/// The drop is measured on the labelled inputs the search is given, so it is an in-sample
/// figure: check a chosen assignment on held-out data.
public enum MixedPrecisionSearch {
  /// One weight layer of the float model.
  public struct Layer: Sendable, Hashable {
    /// The operator's index in the float model's main graph.
    public var operatorIndex: Int
    /// `CONV_2D`, `DEPTHWISE_CONV_2D` or `FULLY_CONNECTED`.
    public var operatorName: String
    /// The name of its output tensor.
    public var tensorName: String
    /// Number of weights.
    public var weightCount: Int
  }

  /// One measured assignment.
  public struct Evaluation: Sendable {
    /// Weight-layer operator index → precision.
    public var assignment: [Int: LayerPrecision]
    /// Whether the whole model is float, inputs and outputs included (the last resort of step 2).
    public var allFloat: Bool
    /// The quantized model.
    public var quantized: QuantizedModel
    /// Its accuracy against the float model (labelled).
    public var report: AccuracyReport

    /// Float top-1 minus this assignment's, in points.
    public var dropPoints: Double { report.labelled?.top1DropPoints ?? .nan }
    /// Top-1 accuracy (a fraction).
    public var top1Accuracy: Double { report.labelled?.quantizedTop1Accuracy ?? .nan }
    /// Constant bytes, weights packed.
    public var modelBytes: ByteCount { report.size.totalBytes }
  }

  /// The drop and output SQNR with one layer alone at a lower precision (the others int8).
  public struct Sensitivity: Sendable, Hashable {
    /// The weight layer's operator index.
    public var operatorIndex: Int
    /// The precision it was lowered to.
    public var precision: LayerPrecision
    /// Top-1 drop in points.
    public var dropPoints: Double
    /// Output SQNR in dB.
    public var outputSQNR: Double
  }

  /// One step the search tried.
  public struct Step: Sendable, Hashable {
    /// `op #2 CONV_2D → int4`.
    public var change: String
    /// The drop of the whole assignment with the change, in points.
    public var dropPoints: Double
    /// Energy per inference with the change, in µJ (`nil` when it was not simulated).
    public var energyMicrojoules: Double?
    /// Whether the change was kept.
    public var kept: Bool
    /// Why it was not kept (empty when kept).
    public var reason: String
  }

  /// What the search found.
  public struct Result: Sendable {
    /// The float model's source.
    public var model: String
    /// The architecture's name.
    public var arch: String
    /// The target, in points.
    public var targetDropPoints: Double
    /// Float top-1 on the labelled inputs (a fraction).
    public var floatTop1Accuracy: Double
    /// Constant bytes of the float model.
    public var floatBytes: ByteCount
    /// The float32 baseline on the architecture (`nil` when it does not compile).
    public var floatCost: ArchitectureCost?
    /// The weight layers, in operator order.
    public var layers: [Layer]
    /// The all-int8 starting point and its cost.
    public var int8: Evaluation
    public var int8Cost: ArchitectureCost?
    /// The chosen assignment and its cost.
    public var chosen: Evaluation
    public var chosenCost: ArchitectureCost?
    /// Step 3's measurements.
    public var sensitivities: [Sensitivity]
    /// Every step of 2 and 4, in order.
    public var steps: [Step]
    /// Assignments quantized and measured.
    public var evaluations: Int

    /// Whether the chosen assignment's drop is within the target.
    public var metTarget: Bool { chosen.dropPoints <= targetDropPoints + 1e-9 }
  }

  /// The weight layers of `model`: CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED ops of the
  /// main graph with constant float32 weights.
  public static func weightLayers(of model: Model) -> [Layer] {
    let g = model.main
    return g.operators.enumerated().compactMap { i, op in
      switch op.kind {
      case .conv2D, .depthwiseConv2D, .fullyConnected: break
      default: return nil
      }
      guard let w = op.input(1), g[w].isConstant, g[w].elementType == .float32, let out = op.outputs.first else {
        return nil
      }
      return Layer(operatorIndex: i, operatorName: op.kind.tfliteName, tensorName: g[out].name, weightCount: g[w].elementCount)
    }
  }

  /// Runs the search on `float`, calibrated by `statistics`, measured on the labelled `inputs`.
  ///
  /// `options` supplies the range estimator, I/O type and fine-grained group size; its layer
  /// overrides must be empty (the search sets them).
  public static func run(
    float: Model, statistics: ActivationStatistics, inputs: [[TensorData]], labels: ClassLabels,
    source: InputSource = .given, targetDropPoints: Double, arch: ArchSpec, lowering: LoweringOptions = LoweringOptions(),
    options: QuantizerOptions = QuantizerOptions()
  ) throws -> Result {
    guard targetDropPoints.isFinite, (0...100).contains(targetDropPoints) else {
      throw QuantizerError(
        .invalidOption, model: float.source, "target drop",
        "\(targetDropPoints) points is out of range; expected a number of percentage points from 0 to 100")
    }
    guard options.keepFloat.isEmpty, options.int16.isEmpty, options.layerSchemes.isEmpty else {
      throw QuantizerError(
        .invalidOption, model: float.source, "target drop",
        "the search chooses every layer's precision; do not pass keepFloat, int16 or layerSchemes")
    }
    var search = State(
      float: float, statistics: statistics, inputs: inputs, labels: labels, source: source, target: targetDropPoints,
      arch: arch, lowering: lowering, options: options)
    return try search.run()
  }

  /// The search's working state.
  struct State {
    let float: Model
    let statistics: ActivationStatistics
    let inputs: [[TensorData]]
    let labels: ClassLabels
    let source: InputSource
    let target: Double
    let arch: ArchSpec
    let lowering: LoweringOptions
    let options: QuantizerOptions
    var evaluations = 0
    var steps: [Step] = []

    init(
      float: Model, statistics: ActivationStatistics, inputs: [[TensorData]], labels: ClassLabels, source: InputSource,
      target: Double, arch: ArchSpec, lowering: LoweringOptions, options: QuantizerOptions
    ) {
      self.float = float
      self.statistics = statistics
      self.inputs = inputs
      self.labels = labels
      self.source = source
      self.target = target
      self.arch = arch
      self.lowering = lowering
      self.options = options
    }

    func place(_ op: Int) -> String {
      let g = float.main
      let name = g.operators[op].outputs.first.map { " '\(shortName(g[$0].name, limit: 32))'" } ?? ""
      return "op #\(op) \(g.operators[op].kind.tfliteName)\(name)"
    }

    mutating func evaluate(_ assignment: [Int: LayerPrecision], allFloat: Bool = false) throws -> Evaluation {
      var o = options
      if allFloat {
        // Every op float and float I/O: the float model itself (no QUANTIZE at the edges).
        o.keepFloat = Set(float.main.operators.indices.map { LayerSelector.index($0) })
        o.io = .float
      } else {
        for (op, p) in assignment {
          switch p {
          case .int8: break
          case .float: o.keepFloat.insert(.index(op))
          default: o.layerSchemes[.index(op)] = p.scheme
          }
        }
      }
      let q = try Quantizer.quantize(model: float, scheme: .int8PerChannel, statistics: statistics, options: o)
      let report = try AccuracyReport.compare(float: float, quantized: q, inputs: inputs, labels: labels, source: source)
      evaluations += 1
      return Evaluation(assignment: assignment, allFloat: allFloat, quantized: q, report: report)
    }

    func cost(_ e: Evaluation) -> ArchitectureCost? {
      try? ArchitectureCost.measure(model: e.quantized.model, arch: arch, lowering: lowering)
    }

    mutating func run() throws -> Result {
      let layers = MixedPrecisionSearch.weightLayers(of: float)
      let floatTop1 = try QuantizationTradeoff.top1Accuracy(of: float, inputs: inputs, labels: labels)

      // 1. Every weight layer int8.
      let start = Dictionary(uniqueKeysWithValues: layers.map { ($0.operatorIndex, LayerPrecision.int8) })
      let int8 = try evaluate(start)
      var current = int8

      // 2. Raise the layer whose raise helps most until the drop is within the target.
      while current.dropPoints > target {
        var best: Evaluation?
        var bestOp = -1
        for layer in layers {
          guard let up = current.assignment[layer.operatorIndex]?.raised else { continue }
          var a = current.assignment
          a[layer.operatorIndex] = up
          let e = try evaluate(a)
          if best == nil || e.dropPoints < best!.dropPoints {
            best = e
            bestOp = layer.operatorIndex
          }
        }
        guard let best else {
          let e = try evaluate(current.assignment, allFloat: true)
          steps.append(Step(change: "whole model float", dropPoints: e.dropPoints, energyMicrojoules: nil, kept: true, reason: ""))
          current = e
          break
        }
        steps.append(
          Step(
            change: "\(place(bestOp)) → \(best.assignment[bestOp]!)", dropPoints: best.dropPoints, energyMicrojoules: nil,
            kept: true, reason: ""))
        current = best
      }

      // 3. Sensitivity of each layer still int8, lowered alone.
      var sensitivities: [Sensitivity] = []
      if !current.allFloat {
        for layer in layers where current.assignment[layer.operatorIndex] == .int8 {
          for p in [LayerPrecision.int4, .ternary] {
            var a = current.assignment
            a[layer.operatorIndex] = p
            let e = try evaluate(a)
            sensitivities.append(
              Sensitivity(operatorIndex: layer.operatorIndex, precision: p, dropPoints: e.dropPoints, outputSQNR: e.report.outputSQNR))
          }
        }
      }

      // 4. Greedy lowering: int8 → int4 for every layer, then int4 → ternary.
      var currentCost = cost(current)
      for (from, to) in [(LayerPrecision.int8, LayerPrecision.int4), (.int4, .ternary)] where !current.allFloat {
        let candidates = sensitivities.filter { $0.precision == to }.sorted { a, b in
          if a.dropPoints != b.dropPoints { return a.dropPoints < b.dropPoints }
          if a.outputSQNR != b.outputSQNR { return a.outputSQNR > b.outputSQNR }
          let wa = layers.first { $0.operatorIndex == a.operatorIndex }?.weightCount ?? 0
          let wb = layers.first { $0.operatorIndex == b.operatorIndex }?.weightCount ?? 0
          if wa != wb { return wa > wb }
          return a.operatorIndex < b.operatorIndex
        }
        for s in candidates where current.assignment[s.operatorIndex] == from {
          let change = "\(place(s.operatorIndex)) → \(to)"
          guard s.dropPoints <= target else {
            steps.append(
              Step(
                change: change, dropPoints: s.dropPoints, energyMicrojoules: nil, kept: false,
                reason: String(format: "alone it drops %.2f points", s.dropPoints)))
            continue
          }
          var a = current.assignment
          a[s.operatorIndex] = to
          let e = try evaluate(a)
          guard e.dropPoints <= target else {
            steps.append(
              Step(
                change: change, dropPoints: e.dropPoints, energyMicrojoules: nil, kept: false,
                reason: String(format: "drop %.2f > target %.2f", e.dropPoints, target)))
            continue
          }
          let c = cost(e)
          if let before = currentCost?.energyMicrojoules, let after = c?.energyMicrojoules, after > before {
            steps.append(
              Step(
                change: change, dropPoints: e.dropPoints, energyMicrojoules: after, kept: false,
                reason: String(format: "energy grows %.4f → %.4f µJ", before, after)))
            continue
          }
          steps.append(Step(change: change, dropPoints: e.dropPoints, energyMicrojoules: c?.energyMicrojoules, kept: true, reason: ""))
          current = e
          currentCost = c
        }
      }

      return Result(
        model: float.source, arch: arch.name, targetDropPoints: target, floatTop1Accuracy: floatTop1,
        floatBytes: ModelSize(float, weights: [:]).totalBytes,
        floatCost: try? ArchitectureCost.measure(model: float, arch: arch.baseline, lowering: lowering),
        layers: layers, int8: int8, int8Cost: cost(int8), chosen: current, chosenCost: currentCost ?? cost(current),
        sensitivities: sensitivities, steps: steps, evaluations: evaluations)
    }
  }
}
