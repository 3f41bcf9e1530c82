import GoldenModel
import GraphIR
import Support

/// The range each float activation of a model took over a calibration set.
///
/// Collected by running the float model in the golden model with every intermediate recorded.
/// Stateful models run all samples in order on one interpreter, so variables carry over.
public struct ActivationStatistics: Sendable {
  /// Per main-graph tensor index: the estimated real range (always containing 0).
  public var ranges: [Int: ClosedRange<Double>]
  /// The estimator that produced ``ranges``.
  public var estimator: RangeEstimator
  /// How many samples were run.
  public var sampleCount: Int

  /// Runs `samples` through `model` and estimates every float activation's range.
  public static func collect(model: Model, samples: [[TensorData]], estimator: RangeEstimator)
    throws(QuantizerError) -> ActivationStatistics
  {
    guard !samples.isEmpty else {
      throw QuantizerError(.calibrationEmpty, model: model.source, "calibration", "no calibration samples")
    }
    let graph = model.main
    let tracked = graph.tensors.indices.filter {
      graph.tensors[$0].elementType == .float32 && !graph.tensors[$0].isConstant
    }
    var minimum = [Int: Double]()
    var maximum = [Int: Double]()
    var emaMin = [Int: Double]()
    var emaMax = [Int: Double]()
    let momentum: Double = if case .movingAverage(let m) = estimator { m } else { 0 }

    try run(model, samples) { values in
      for t in tracked {
        guard let v = values[t], case .float32(let xs) = v.storage, !xs.isEmpty else { continue }
        var lo = Double.infinity
        var hi = -Double.infinity
        for x in xs where !x.isNaN {
          lo = Swift.min(lo, Double(x))
          hi = Swift.max(hi, Double(x))
        }
        guard lo <= hi else { continue }
        minimum[t] = Swift.min(minimum[t] ?? lo, lo)
        maximum[t] = Swift.max(maximum[t] ?? hi, hi)
        emaMin[t] = emaMin[t].map { momentum * $0 + (1 - momentum) * lo } ?? lo
        emaMax[t] = emaMax[t].map { momentum * $0 + (1 - momentum) * hi } ?? hi
      }
    }

    var ranges: [Int: ClosedRange<Double>] = [:]
    switch estimator {
    case .minMax:
      for (t, lo) in minimum { ranges[t] = widened(lo, maximum[t] ?? lo) }
    case .movingAverage(let m):
      guard m >= 0, m < 1 else {
        throw QuantizerError(
          .invalidOption, model: model.source, "option rangeEstimator",
          "moving-average momentum \(m) must lie in [0, 1)")
      }
      for (t, lo) in emaMin { ranges[t] = widened(lo, emaMax[t] ?? lo) }
    case .percentile(let p):
      guard p > 50, p <= 100 else {
        throw QuantizerError(
          .invalidOption, model: model.source, "option rangeEstimator", "percentile \(p) must lie in (50, 100]")
      }
      let bins = 2048
      var histograms: [Int: [Int]] = [:]
      var totals: [Int: Int] = [:]
      for t in minimum.keys { histograms[t] = [Int](repeating: 0, count: bins) }
      try run(model, samples) { values in
        for t in tracked {
          guard let lo = minimum[t], let hi = maximum[t], let v = values[t], case .float32(let xs) = v.storage else {
            continue
          }
          let width = (hi - lo) / Double(bins)
          var h = histograms[t] ?? []
          for x in xs where !x.isNaN {
            let b = width > 0 ? Swift.min(Swift.max(Int((Double(x) - lo) / width), 0), bins - 1) : 0
            h[b] += 1
          }
          histograms[t] = h
          totals[t, default: 0] += xs.count
        }
      }
      for (t, h) in histograms {
        guard let lo = minimum[t], let hi = maximum[t], let total = totals[t], total > 0 else { continue }
        let width = (hi - lo) / Double(bins)
        let tail = Double(total) * (100 - p) / 100
        var lower = lo
        var upper = hi
        var acc = 0.0
        for b in 0..<bins {
          acc += Double(h[b])
          if acc > tail {
            lower = lo + Double(b) * width
            break
          }
        }
        acc = 0
        for b in stride(from: bins - 1, through: 0, by: -1) {
          acc += Double(h[b])
          if acc > tail {
            upper = lo + Double(b + 1) * width
            break
          }
        }
        ranges[t] = widened(Swift.max(lower, lo), Swift.min(upper, hi))
      }
    }
    return ActivationStatistics(ranges: ranges, estimator: estimator, sampleCount: samples.count)
  }

  /// `[min(lo, 0), max(hi, 0)]`.
  static func widened(_ lo: Double, _ hi: Double) -> ClosedRange<Double> {
    Swift.min(lo, 0)...Swift.max(hi, 0)
  }

  /// Runs every sample on one interpreter, handing each invocation's recorded tensors to `body`.
  static func run(_ model: Model, _ samples: [[TensorData]], _ body: ([TensorData?]) -> Void) throws(QuantizerError) {
    var interpreter = Interpreter(model: model, recordsIntermediates: true)
    for (k, sample) in samples.enumerated() {
      do {
        _ = try interpreter.invoke(sample)
      } catch {
        throw QuantizerError(.execution, model: model.source, "calibration sample \(k)", "float model failed: \(error)")
      }
      body(interpreter.intermediates)
    }
  }
}
