import Foundation
import GraphIR
import Support

/// The per-channel distribution a weighted layer's pre-activation output is given, as batch
/// normalisation (folded into the weights and bias) gives it in a trained network: channel `c`
/// gets mean `β_c ~ N(shiftMean, shiftStd²)` and standard deviation `γ_c ~ U(scale)`.
struct ChannelTarget: Sendable {
  /// Range of the per-channel standard deviation γ.
  var scale: ClosedRange<Double>
  /// Mean of the per-channel shift β.
  var shiftMean: Double
  /// Standard deviation of the per-channel shift β.
  var shiftStd: Double

  /// Hidden layers of a batch-normalised network.
  static let batchNorm = ChannelTarget(scale: 0.6...1.2, shiftMean: 0, shiftStd: 0.3)
  /// Classifier logits: spread enough that softmax over ~1000 classes is not flat.
  static let logits = ChannelTarget(scale: 2.0...3.0, shiftMean: 0, shiftStd: 1.0)
}

/// Builds one zoo graph: int8 tensors, operators in execution order, synthetic weights and the
/// analytic calibration that picks every activation's scale and zero point.
///
/// Every weighted layer (CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED) draws int8 weights from a
/// bell-shaped distribution (a sum of four uniform 8-bit draws, scaled to ±127; each channel's
/// largest weight is set to ±127 as TFLite's symmetric per-channel quantization makes it), computes from
/// its input's ``ActivationStatistics`` the mean and variance its output would have, and then
/// chooses the per-channel real weight scale and the bias so that each output channel has the
/// mean β and standard deviation γ of a ``ChannelTarget`` — batch normalisation folded into the
/// convolution. Border effects of SAME/explicit padding are included exactly by grouping output
/// positions by which filter taps fall inside the image. An activation's int8 range is
/// `[min(μ − 4σ), max(μ + 4σ)]` over its channels (and border classes), intersected with the
/// fused activation's range, widened to contain 0, and quantized as TFLite's calibrator does.
struct GraphBuilder {
  /// Half-width of an activation's calibrated range, in standard deviations.
  static let rangeSigmas = 4.0
  /// Assumed correlation between one channel's values at different spatial positions, used when
  /// averaging over space (global pools): `var(mean) = var · (1/N + ρ(1 − 1/N))`.
  ///
  /// The float reference measures the true correlation at 224×224 as ≈ 0 (ResNet-50) to 0.05
  /// (MobileNet v2), but the analytic channel means deep in a network are off by up to the
  /// per-position spread itself, and pooling does not average that error away: with the true
  /// ρ the classifier, normalised by the tiny pooled variance, saturates up to 18 % of its logits
  /// (MobileNet v2). ρ = 1 keeps the pooled variance at the per-position variance, so the logits
  /// stay in range and still move with the input (by about a fifth of their spread).
  static let spatialCorrelation = 1.0

  let name: String
  var rng: SeededGenerator
  private(set) var tensors: [Tensor] = []
  private(set) var operators: [Operator] = []
  private var statistics: [ActivationStatistics?] = []
  /// Rows/columns of real zeros added by an explicit PAD (top, bottom, left, right).
  private var zeroBorders: [[Int]?] = []
  private var inputs: [TensorID] = []
  /// The graph outputs, once set.
  var outputs: [TensorID] = []

  /// The model with ``outputs`` as its outputs.
  var finished: Model { model(outputs: outputs) }

  init(name: String, seed: UInt64) {
    self.name = name
    // Mix the model name into the seed so different zoo models differ for the same seed.
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in name.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
    self.rng = SeededGenerator(seed: seed ^ h)
  }

  // MARK: - Tensors

  func shape(_ id: TensorID) -> [Int] { tensors[id.index].shape }
  func quantization(_ id: TensorID) -> QuantizationParameters {
    guard let q = tensors[id.index].quantization else {
      preconditionFailure("zoo tensor '\(tensors[id.index].name)' has no quantization")
    }
    return q
  }
  func stats(_ id: TensorID) -> ActivationStatistics {
    guard let s = statistics[id.index] else {
      preconditionFailure("zoo tensor '\(tensors[id.index].name)' has no statistics")
    }
    return s
  }
  /// The real range an int8 tensor's quantization represents.
  func representableRange(_ id: TensorID) -> RealRange {
    let q = quantization(id)
    let s = Double(q.scale)
    return RealRange(lower: s * Double(-128 - q.zeroPoint), upper: s * Double(127 - q.zeroPoint))
  }

  private mutating func append(_ tensor: Tensor, stats: ActivationStatistics?, border: [Int]? = nil) -> TensorID {
    tensors.append(tensor)
    statistics.append(stats)
    zeroBorders.append(border)
    return TensorID(tensors.count - 1)
  }

  /// An int8 activation tensor with the given quantization.
  mutating func tensor(
    _ name: String, shape: [Int], quantization: QuantizationParameters, stats: ActivationStatistics,
    border: [Int]? = nil
  ) -> TensorID {
    append(
      Tensor(name: name, shape: shape, elementType: .int8, quantization: quantization), stats: stats, border: border)
  }

  /// The graph input: int8 codes representing `range` (random codes are the calibration data).
  mutating func input(_ name: String, shape: [Int], range: RealRange) -> TensorID {
    let q = Self.quantization(for: range)
    let id = tensor(name, shape: shape, quantization: q, stats: .uniform(0, 0))
    let r = representableRange(id)
    statistics[id.index] = .uniform(r.lower, r.upper)
    inputs.append(id)
    return id
  }

  /// An int32 constant (shapes, permutations, axes, paddings).
  mutating func int32Constant(_ name: String, shape: [Int], values: [Int32]) -> TensorID {
    append(
      Tensor(name: name, shape: shape, elementType: .int32, data: TensorData(shape: shape, storage: .int32(values))),
      stats: nil)
  }

  /// An int8 constant holding `values`, quantized per tensor over `[min(values, 0), max(values, 0)]`
  /// as the TFLite converter quantizes constant operands of elementwise ops.
  mutating func int8Constant(_ name: String, shape: [Int], values: [Double]) -> TensorID {
    let lo = values.min() ?? 0
    let hi = values.max() ?? 0
    let q = Self.quantization(for: RealRange(lower: lo, upper: hi))
    let s = Double(q.scale)
    let codes = values.map { Int8(clamping: Int(($0 / s).rounded(.toNearestOrAwayFromZero)) + Int(q.zeroPoint)) }
    let mean = values.reduce(0, +) / Double(max(values.count, 1))
    let stats =
      values.count == 1 || shape.isEmpty
      ? ActivationStatistics(mean: mean, variance: 0)
      : ActivationStatistics(mean: values, variance: Array(repeating: 0, count: values.count))
    return append(
      Tensor(
        name: name, shape: shape, elementType: .int8, quantization: q,
        data: TensorData(shape: shape, storage: .int8(codes))),
      stats: stats)
  }

  /// The real values an int8 constant stands for.
  func constantValues(_ id: TensorID) -> [Double] {
    let t = tensors[id.index]
    guard let q = t.quantization, case .int8(let codes)? = t.data?.storage else { return [] }
    return codes.map { Double(q.scale) * Double(Int64($0) - q.zeroPoint) }
  }

  /// Replaces a tensor's statistics (when a network knows them better than a generic rule).
  mutating func setStats(_ id: TensorID, _ st: ActivationStatistics) {
    statistics[id.index] = st
  }

  mutating func emit(_ kind: OpKind, _ inputs: [TensorID?], _ output: TensorID) {
    operators.append(Operator(kind: kind, inputs: inputs, outputs: [output]))
  }

  /// The finished single-graph model.
  func model(outputs: [TensorID]) -> Model {
    let graph = Graph(name: "main", tensors: tensors, operators: operators, inputs: inputs, outputs: outputs)
    return Model(source: "zoo:\(name)", graphs: [graph])
  }

  // MARK: - Quantization choices

  /// TFLite's asymmetric int8 parameters for a calibrated range (the range is widened to contain
  /// 0; the zero point is the nudged `−128 − lo/scale`).
  static func quantization(for range: RealRange) -> QuantizationParameters {
    let lo = min(range.lower, 0)
    let hi = max(range.upper, 0)
    var scale = (hi - lo) / 255
    if !(scale > 0) || !scale.isFinite { scale = 1.0 / 255 }
    let zeroFromMin = -128 - lo / scale
    let zp: Int64 =
      zeroFromMin <= -128 ? -128 : zeroFromMin >= 127 ? 127 : Int64(zeroFromMin.rounded(.toNearestOrAwayFromZero))
    return QuantizationParameters(scale: Float(scale), zeroPoint: zp)
  }

  /// `[min(μ − kσ), max(μ + kσ)]` over the channels of `stats`.
  static func gaussianRange(_ stats: ActivationStatistics) -> RealRange {
    var r = RealRange.empty
    for c in 0..<stats.channels {
      let (m, v) = stats.moments(c)
      let h = rangeSigmas * v.squareRoot()
      r = r.union(RealRange(lower: m - h, upper: m + h))
    }
    return r
  }

  /// Output moments and range of a fused activation applied to N(m, v).
  static func activate(_ a: FusedActivation, mean m: Double, variance v: Double) -> (
    mean: Double, variance: Double, range: RealRange
  ) {
    let h = rangeSigmas * v.squareRoot()
    switch a {
    case .relu:
      let (mo, vo) = Gaussian.clippedMoments(mean: m, variance: v, cap: nil)
      return (mo, vo, RealRange(lower: 0, upper: max(m + h, 0)))
    case .relu6:
      let (mo, vo) = Gaussian.clippedMoments(mean: m, variance: v, cap: 6)
      return (mo, vo, RealRange(lower: 0, upper: min(max(m + h, 0), 6)))
    default:
      precondition(a == .none, "zoo models fuse only NONE, RELU and RELU6")
      return (m, v, RealRange(lower: m - h, upper: m + h))
    }
  }

  // MARK: - Synthetic weights

  /// `count` bell-shaped int8 weights in [−127, 127]: each is a sum of four uniform 8-bit draws
  /// (Irwin–Hall, standard deviation ≈ 37), two weights per 64-bit random number.
  mutating func bellWeights(count: Int) -> [Int8] {
    [Int8](unsafeUninitializedCapacity: count) { buffer, initialized in
      var i = 0
      while i < count {
        let r = rng.next()
        for half in 0..<2 where i < count {
          let h = r >> (32 * UInt64(half))
          let b0 = h & 0xFF
          let b1 = (h >> 8) & 0xFF
          let b2 = (h >> 16) & 0xFF
          let b3 = (h >> 24) & 0xFF
          let s = Int(b0 + b1 + b2 + b3) - 510
          buffer[i] = Int8((s * 127 + (s >= 0 ? 255 : -255)) / 510)
          i += 1
        }
      }
      initialized = count
    }
  }

  /// A uniform draw in `range`.
  mutating func uniform(_ range: ClosedRange<Double>) -> Double {
    range.lowerBound + (range.upperBound - range.lowerBound) * Double(rng.next() >> 11) / Double(1 << 53)
  }

  // MARK: - Weighted layers

  /// Which filter taps (along one spatial axis) land inside the image, grouped by output position:
  /// each class is the tap range and how many output positions see exactly that range.
  static func tapClasses(
    input: Int, output: Int, filter: Int, stride: Int, padBefore: Int, zeroBefore: Int, zeroAfter: Int
  ) -> [(taps: Range<Int>, count: Int)] {
    var classes: [(taps: Range<Int>, count: Int)] = []
    for o in 0..<output {
      var first = filter
      var last = -1
      for k in 0..<filter {
        let i = o * stride - padBefore + k
        if i >= zeroBefore && i < input - zeroAfter {
          first = min(first, k)
          last = max(last, k)
        }
      }
      let taps = first <= last ? first..<(last + 1) : 0..<0
      if let j = classes.firstIndex(where: { $0.taps == taps }) {
        classes[j].count += 1
      } else {
        classes.append((taps, 1))
      }
    }
    return classes
  }

  /// The part of a layer description shared by CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED.
  private struct LayerGeometry {
    var outChannels: Int
    var filterH: Int
    var filterW: Int
    /// Input channels each output channel reads per tap (`cin` for conv/FC, 1 for depthwise).
    var inPerTap: Int
    var depthwise: Bool
    var rowClasses: [(taps: Range<Int>, count: Int)]
    var colClasses: [(taps: Range<Int>, count: Int)]
  }

  /// Draws weights, folds the target distribution into scales and bias, and returns the weight
  /// tensor, the bias tensor and the output statistics and range.
  private mutating func weightedLayer(
    input x: TensorID, name: String, geometry g: LayerGeometry, weightShape: [Int], quantizedDimension: Int,
    activation: FusedActivation, target: ChannelTarget
  ) -> (weights: TensorID, bias: TensorID, stats: ActivationStatistics, range: RealRange) {
    let inStats = stats(x)
    let inChannels = shape(x).last ?? 1
    let inScale = Double(quantization(x).scale)
    let taps = g.filterH * g.filterW
    let perChannel = taps * g.inPerTap
    let total = g.outChannels * perChannel
    var q = bellWeights(count: total)
    let means = (0..<inChannels).map { inStats.moments($0).mean }
    let variances = (0..<inChannels).map { inStats.moments($0).variance }

    var weightScales = [Float](repeating: 0, count: g.outChannels)
    var biases = [Int32](repeating: 0, count: g.outChannels)
    var biasScales = [Float](repeating: 0, count: g.outChannels)
    var outMean = [Double](repeating: 0, count: g.outChannels)
    var outVariance = [Double](repeating: 0, count: g.outChannels)
    var range = RealRange.empty
    let positions = Double(g.rowClasses.reduce(0) { $0 + $1.count } * g.colClasses.reduce(0) { $0 + $1.count })
    var preActivation = [(mean: Double, variance: Double)](repeating: (0, 0), count: g.outChannels)
    // Depthwise sums of k² rectified inputs are not Gaussian: carry the inputs' third and fourth
    // cumulants so the activation's moments can use the Edgeworth expansion.
    var inputCumulants: [(k3: Double, k4: Double)]? = nil
    if g.depthwise, activation != .none, let (pre, cap) = inStats.rectifiedFrom {
      inputCumulants = pre.map {
        Gaussian.higherCumulants(mean: $0.mean, variance: $0.variance) { min(max($0, 0), cap ?? .infinity) }
      }
    }
    var t3 = [Double](repeating: 0, count: taps)
    var t4 = [Double](repeating: 0, count: taps)
    var t1 = [Double](repeating: 0, count: taps)
    var t2 = [Double](repeating: 0, count: taps)
    let codeValues = (-128...127).map { Double($0) }

    q.withUnsafeMutableBufferPointer { w in
      means.withUnsafeBufferPointer { m in
        variances.withUnsafeBufferPointer { v in
          for c in 0..<g.outChannels {
            // Per-tap sums T1 = Σ q·μ_i and T2 = Σ q²·σ²_i, and the channel's largest weight,
            // which is then forced to ±127 as symmetric per-channel scales make it.
            var best = -1
            var bestTap = 0
            var bestIndex = 0
            if g.depthwise {
              for t in 0..<taps {
                let k = t * g.outChannels + c
                let qv = w[k]
                let a = Int(qv.magnitude)
                if a > best {
                  best = a
                  bestTap = t
                  bestIndex = k
                }
              }
            } else {
              for t in 0..<taps {
                let base = (c * taps + t) * g.inPerTap
                var s1 = 0.0
                var s2 = 0.0
                for i in 0..<g.inPerTap {
                  let qv = w[base + i]
                  let a = Int(qv.magnitude)
                  if a > best {
                    best = a
                    bestTap = t
                    bestIndex = base + i
                  }
                  let d = codeValues[Int(qv) &+ 128]
                  s1 += d * m[i]
                  s2 += d * d * v[i]
                }
                t1[t] = s1
                t2[t] = s2
              }
            }
            let old = Double(w[bestIndex])
            w[bestIndex] = w[bestIndex] < 0 ? -127 : 127
            if g.depthwise {
              for t in 0..<taps {
                let qv = Double(w[t * g.outChannels + c])
                t1[t] = qv * m[c]
                t2[t] = qv * qv * v[c]
                if let k = inputCumulants?[c] {
                  t3[t] = qv * qv * qv * k.k3
                  t4[t] = qv * qv * qv * qv * k.k4
                }
              }
            } else {
              let i = bestIndex - (c * taps + bestTap) * g.inPerTap
              let new = Double(w[bestIndex])
              t1[bestTap] += (new - old) * m[i]
              t2[bestTap] += (new * new - old * old) * v[i]
            }
            // Mixture over border classes, in weight-code units.
            var classes: [(weight: Double, a: Double, b: Double, k3: Double, k4: Double)] = []
            for r in g.rowClasses {
              for col in g.colClasses {
                var a = 0.0
                var b = 0.0
                var k3 = 0.0
                var k4 = 0.0
                for kh in r.taps {
                  for kw in col.taps {
                    a += t1[kh * g.filterW + kw]
                    b += t2[kh * g.filterW + kw]
                    k3 += t3[kh * g.filterW + kw]
                    k4 += t4[kh * g.filterW + kw]
                  }
                }
                classes.append((Double(r.count * col.count) / positions, a, b, k3, k4))
              }
            }
            let u = classes.reduce(0) { $0 + $1.weight * $1.a }
            let second = classes.reduce(0) { $0 + $1.weight * ($1.b + $1.a * $1.a) }
            let variance = max(second - u * u, 1e-12)
            let gamma = uniform(target.scale)
            let beta = target.shiftMean + target.shiftStd * rng.nextGaussian()
            let scale = Float(gamma / variance.squareRoot())
            let realScale = Double(scale)
            let biasScale = Float(inScale) * scale
            let biasCode = Int32(
              clamping: Int64(((beta - realScale * u) / Double(biasScale)).rounded(.toNearestOrAwayFromZero)))
            let bias = Double(biasCode) * Double(biasScale)
            weightScales[c] = scale
            biasScales[c] = biasScale
            biases[c] = biasCode
            var e1 = 0.0
            var e2 = 0.0
            for cls in classes {
              var (mo, vo, r) = Self.activate(
                activation, mean: bias + realScale * cls.a, variance: realScale * realScale * cls.b)
              if inputCumulants != nil, cls.b > 0 {
                let cap = activation == .relu6 ? 6.0 : Double.infinity
                (mo, vo) = Gaussian.edgeworthMoments(
                  mean: bias + realScale * cls.a, variance: realScale * realScale * cls.b,
                  skewness: cls.k3 / (cls.b * cls.b.squareRoot()), excessKurtosis: cls.k4 / (cls.b * cls.b)
                ) { min(max($0, 0), cap) }
              }
              e1 += cls.weight * mo
              e2 += cls.weight * (vo + mo * mo)
              range = range.union(r)
            }
            outMean[c] = e1
            outVariance[c] = max(e2 - e1 * e1, 0)
            preActivation[c] = (beta, gamma * gamma)
          }
        }
      }
    }
    let wq = QuantizationParameters(
      scales: weightScales, zeroPoints: Array(repeating: 0, count: g.outChannels),
      quantizedDimension: quantizedDimension)
    let weights = append(
      Tensor(
        name: name + "/weights", shape: weightShape, elementType: .int8, quantization: wq,
        data: TensorData(shape: weightShape, storage: .int8(q))),
      stats: nil)
    let bq = QuantizationParameters(scales: biasScales, zeroPoints: Array(repeating: 0, count: g.outChannels))
    let bias = append(
      Tensor(
        name: name + "/bias", shape: [g.outChannels], elementType: .int32, quantization: bq,
        data: TensorData(shape: [g.outChannels], storage: .int32(biases))),
      stats: nil)
    var outStats = ActivationStatistics(mean: outMean, variance: outVariance)
    switch activation {
    case .relu: outStats.rectifiedFrom = (preActivation, nil)
    case .relu6: outStats.rectifiedFrom = (preActivation, 6)
    default: break
    }
    return (weights, bias, outStats, range)
  }

  private func spatialClasses(
    _ x: TensorID, filterH: Int, filterW: Int, strideH: Int, strideW: Int, padding: Padding
  ) -> (rows: [(taps: Range<Int>, count: Int)], cols: [(taps: Range<Int>, count: Int)], outH: Int, outW: Int) {
    let s = shape(x)
    let border = zeroBorders[x.index] ?? [0, 0, 0, 0]
    let gh = padding.geometry(input: s[1], filter: filterH, stride: strideH)
    let gw = padding.geometry(input: s[2], filter: filterW, stride: strideW)
    let rows = Self.tapClasses(
      input: s[1], output: gh.output, filter: filterH, stride: strideH, padBefore: gh.padBefore,
      zeroBefore: border[0], zeroAfter: border[1])
    let cols = Self.tapClasses(
      input: s[2], output: gw.output, filter: filterW, stride: strideW, padBefore: gw.padBefore,
      zeroBefore: border[2], zeroAfter: border[3])
    return (rows, cols, gh.output, gw.output)
  }

  /// CONV_2D with per-channel int8 weights `[filters, k, k, cin]`, int32 bias and a fused activation.
  mutating func conv2D(
    _ x: TensorID, _ name: String, filters: Int, kernel: Int, stride: Int = 1, padding: Padding = .same,
    activation: FusedActivation, target: ChannelTarget = .batchNorm
  ) -> TensorID {
    conv2D(
      x, name, filters: filters, filterH: kernel, filterW: kernel, strideH: stride, strideW: stride,
      padding: padding, activation: activation, target: target)
  }

  /// CONV_2D with a rectangular filter `[filters, fh, fw, cin]` and separate strides.
  mutating func conv2D(
    _ x: TensorID, _ name: String, filters: Int, filterH: Int, filterW: Int, strideH: Int, strideW: Int,
    padding: Padding, activation: FusedActivation, target: ChannelTarget = .batchNorm
  ) -> TensorID {
    let s = shape(x)
    let (rows, cols, oh, ow) = spatialClasses(
      x, filterH: filterH, filterW: filterW, strideH: strideH, strideW: strideW, padding: padding)
    let g = LayerGeometry(
      outChannels: filters, filterH: filterH, filterW: filterW, inPerTap: s[3], depthwise: false, rowClasses: rows,
      colClasses: cols)
    let (w, b, st, range) = weightedLayer(
      input: x, name: name, geometry: g, weightShape: [filters, filterH, filterW, s[3]], quantizedDimension: 0,
      activation: activation, target: target)
    let y = tensor(name, shape: [s[0], oh, ow, filters], quantization: Self.quantization(for: range), stats: st)
    emit(
      .conv2D(Conv2DOptions(padding: padding, strideH: strideH, strideW: strideW, activation: activation)), [x, w, b], y)
    return y
  }

  /// DEPTHWISE_CONV_2D (depth multiplier 1) with per-channel weights `[1, k, k, c]` (axis 3).
  mutating func depthwiseConv2D(
    _ x: TensorID, _ name: String, kernel: Int, stride: Int = 1, padding: Padding = .same,
    activation: FusedActivation, target: ChannelTarget = .batchNorm
  ) -> TensorID {
    depthwiseConv2D(
      x, name, filterH: kernel, filterW: kernel, strideH: stride, strideW: stride, padding: padding,
      activation: activation, target: target)
  }

  /// DEPTHWISE_CONV_2D with a rectangular filter `[1, fh, fw, c]` and separate strides.
  mutating func depthwiseConv2D(
    _ x: TensorID, _ name: String, filterH: Int, filterW: Int, strideH: Int, strideW: Int, padding: Padding,
    activation: FusedActivation, target: ChannelTarget = .batchNorm
  ) -> TensorID {
    let s = shape(x)
    let (rows, cols, oh, ow) = spatialClasses(
      x, filterH: filterH, filterW: filterW, strideH: strideH, strideW: strideW, padding: padding)
    let g = LayerGeometry(
      outChannels: s[3], filterH: filterH, filterW: filterW, inPerTap: 1, depthwise: true, rowClasses: rows,
      colClasses: cols)
    let (w, b, st, range) = weightedLayer(
      input: x, name: name, geometry: g, weightShape: [1, filterH, filterW, s[3]], quantizedDimension: 3,
      activation: activation, target: target)
    let y = tensor(name, shape: [s[0], oh, ow, s[3]], quantization: Self.quantization(for: range), stats: st)
    emit(
      .depthwiseConv2D(
        DepthwiseConv2DOptions(padding: padding, strideH: strideH, strideW: strideW, activation: activation)),
      [x, w, b], y)
    return y
  }

  /// FULLY_CONNECTED over the last axis with per-channel weights `[units, depth]`.
  ///
  /// With `keepNumDims` the output keeps the input's leading dimensions (3-D transformer inputs);
  /// otherwise it is `[rows, units]`.
  mutating func fullyConnected(
    _ x: TensorID, _ name: String, units: Int, activation: FusedActivation, keepNumDims: Bool = false,
    target: ChannelTarget = .batchNorm
  ) -> TensorID {
    let s = shape(x)
    let depth = s.last ?? 1
    let rows = s.reduce(1, *) / depth
    let g = LayerGeometry(
      outChannels: units, filterH: 1, filterW: 1, inPerTap: depth, depthwise: false,
      rowClasses: [(0..<1, 1)], colClasses: [(0..<1, 1)])
    let (w, b, st, range) = weightedLayer(
      input: x, name: name, geometry: g, weightShape: [units, depth], quantizedDimension: 0,
      activation: activation, target: target)
    let outShape = keepNumDims ? Array(s.dropLast()) + [units] : [rows, units]
    let y = tensor(name, shape: outShape, quantization: Self.quantization(for: range), stats: st)
    emit(.fullyConnected(FullyConnectedOptions(activation: activation, keepNumDims: keepNumDims)), [x, w, b], y)
    return y
  }

  // MARK: - Other operators

  /// PAD with `[before, after]` per dimension; keeps the input's quantization (pads with the zero
  /// point, i.e. real 0), and remembers the zero border for the consuming convolution's statistics.
  mutating func pad(_ x: TensorID, _ name: String, paddings: [[Int]]) -> TensorID {
    let s = shape(x)
    let p = int32Constant(name + "/paddings", shape: [s.count, 2], values: paddings.flatMap { $0.map { Int32($0) } })
    let out = zip(s, paddings).map { $0 + $1[0] + $1[1] }
    let old = zeroBorders[x.index] ?? [0, 0, 0, 0]
    let border = [old[0] + paddings[1][0], old[1] + paddings[1][1], old[2] + paddings[2][0], old[3] + paddings[2][1]]
    let y = tensor(name, shape: out, quantization: quantization(x), stats: stats(x), border: border)
    emit(.pad, [x, p], y)
    return y
  }

  /// MAX_POOL_2D; keeps the input's quantization. Output statistics treat the window as `filter²`
  /// independent draws of the input's pre-activation, rectified (max of rectified values is the
  /// rectified max); the float reference confirms this within 5 % for ResNet-50's pool.
  mutating func maxPool(_ x: TensorID, _ name: String, filter: Int, stride: Int, padding: Padding) -> TensorID {
    let s = shape(x)
    let gh = padding.geometry(input: s[1], filter: filter, stride: stride)
    let gw = padding.geometry(input: s[2], filter: filter, stride: stride)
    let inStats = stats(x)
    let draws = filter * filter
    var mean: [Double] = []
    var variance: [Double] = []
    for c in 0..<inStats.channels {
      let (mo, vo): (Double, Double)
      if let (pre, cap) = inStats.rectifiedFrom {
        // max of rectified values = rectified max of the pre-activations.
        let (m, v) = pre[c]
        (mo, vo) = Gaussian.maximumMoments(mean: m, variance: v, count: draws) { min(max($0, 0), cap ?? .infinity) }
      } else {
        let (m, v) = inStats.moments(c)
        (mo, vo) = Gaussian.maximumMoments(mean: m, variance: v, count: draws)
      }
      mean.append(mo)
      variance.append(vo)
    }
    let y = tensor(
      name, shape: [s[0], gh.output, gw.output, s[3]], quantization: quantization(x),
      stats: ActivationStatistics(mean: mean, variance: variance))
    emit(
      .maxPool2D(Pool2DOptions(padding: padding, strideH: stride, strideW: stride, filterH: filter, filterW: filter)),
      [x], y)
    return y
  }

  /// CONCATENATION along channels (axis 3). As the TFLite converter arranges for concatenation,
  /// every input and the output share one quantization — here the union of the inputs'
  /// representable ranges, written back onto the inputs (their producers' requantization
  /// follows from the scales at compile time) — so the op moves bytes unchanged.
  mutating func concatenation(_ xs: [TensorID], _ name: String) -> TensorID {
    precondition(!xs.isEmpty, "concatenation of nothing")
    var range = representableRange(xs[0])
    for x in xs.dropFirst() { range = range.union(representableRange(x)) }
    let q = Self.quantization(for: range)
    var mean: [Double] = []
    var variance: [Double] = []
    for x in xs {
      let st = stats(x)
      for c in 0..<st.channels {
        let m = st.moments(c)
        mean.append(m.mean)
        variance.append(m.variance)
      }
      tensors[x.index].quantization = q
    }
    let first = shape(xs[0])
    let channels = xs.map { shape($0)[3] }.reduce(0, +)
    let y = tensor(
      name, shape: [first[0], first[1], first[2], channels], quantization: q,
      stats: ActivationStatistics(mean: mean, variance: variance))
    emit(.concatenation(axis: 3, activation: .none), xs, y)
    return y
  }

  /// Statistics of a spatial average over `count` positions.
  static func spatialAverage(_ st: ActivationStatistics, count: Int) -> ActivationStatistics {
    let n = Double(max(count, 1))
    let factor = 1 / n + spatialCorrelation * (1 - 1 / n)
    return ActivationStatistics(mean: st.mean, variance: st.variance.map { $0 * factor })
  }

  /// AVERAGE_POOL_2D over the whole `h × w` map (VALID, stride 2 as in TF-slim); keeps the
  /// input's quantization, as TFLite requires.
  mutating func globalAveragePool(_ x: TensorID, _ name: String) -> TensorID {
    let s = shape(x)
    let y = tensor(
      name, shape: [s[0], 1, 1, s[3]], quantization: quantization(x),
      stats: Self.spatialAverage(stats(x), count: s[1] * s[2]))
    emit(.averagePool2D(Pool2DOptions(padding: .valid, strideH: 2, strideW: 2, filterH: s[1], filterW: s[2])), [x], y)
    return y
  }

  /// MEAN over axes 1 and 2 without keeping them (Keras global average pooling as TFLite has it).
  mutating func spatialMean(_ x: TensorID, _ name: String) -> TensorID {
    let s = shape(x)
    let axes = int32Constant(name + "/reduction_indices", shape: [2], values: [1, 2])
    let st = Self.spatialAverage(stats(x), count: s[1] * s[2])
    let inRange = representableRange(x)
    var r = Self.gaussianRange(st)
    r = RealRange(lower: max(r.lower, inRange.lower), upper: min(r.upper, inRange.upper))
    let y = tensor(name, shape: [s[0], s[3]], quantization: Self.quantization(for: r), stats: st)
    emit(.mean(keepDims: false), [x, axes], y)
    return y
  }

  /// ADD of two activations of the same shape (residual connections), with a fused activation.
  mutating func add(_ a: TensorID, _ b: TensorID, _ name: String, activation: FusedActivation) -> TensorID {
    let sa = stats(a)
    let sb = stats(b)
    let n = max(sa.channels, sb.channels)
    var mean: [Double] = []
    var variance: [Double] = []
    var range = RealRange.empty
    var fitted: [(mean: Double, variance: Double)] = []
    for c in 0..<n {
      let (ma, va) = sa.moments(c)
      let (mb, vb) = sb.moments(c)
      var (mo, vo, r) = Self.activate(activation, mean: ma + mb, variance: va + vb)
      if activation != .none {
        // A rectified operand (the ResNet shortcut) is far from Gaussian: integrate over it.
        let cap: Double? = activation == .relu6 ? 6 : nil
        if let (pre, preCap) = sa.rectifiedFrom, sb.rectifiedFrom == nil {
          (mo, vo) = Gaussian.rectifiedSumMoments(pre: pre[c], preCap: preCap, other: (mb, vb), outputCap: cap)
        } else if let (pre, preCap) = sb.rectifiedFrom, sa.rectifiedFrom == nil {
          (mo, vo) = Gaussian.rectifiedSumMoments(pre: pre[c], preCap: preCap, other: (ma, va), outputCap: cap)
        }
        fitted.append(Gaussian.rectifiedFit(mean: mo, variance: vo))
      }
      mean.append(mo)
      variance.append(vo)
      range = range.union(r)
    }
    let ra = representableRange(a)
    let rb = representableRange(b)
    range = RealRange(lower: max(range.lower, ra.lower + rb.lower), upper: min(range.upper, ra.upper + rb.upper))
    var st = ActivationStatistics(mean: mean, variance: variance)
    if activation == .relu { st.rectifiedFrom = (fitted, nil) }
    let y = tensor(
      name, shape: Broadcast.shape(shape(a), shape(b)) ?? shape(a), quantization: Self.quantization(for: range),
      stats: st)
    emit(.add(activation: activation), [a, b], y)
    return y
  }

  /// RESHAPE (with the shape as an int32 operand and in the options); keeps the quantization.
  mutating func reshape(_ x: TensorID, _ name: String, to newShape: [Int]) -> TensorID {
    let st = stats(x)
    let inLast = shape(x).last ?? 1
    let outLast = newShape.last ?? 1
    let outStats: ActivationStatistics
    if st.channels == 1 || inLast == outLast {
      outStats = st
    } else if inLast % outLast == 0 {
      // Splitting the channel axis: output channel d mixes input channels g·outLast + d.
      let groups = inLast / outLast
      var mean: [Double] = []
      var variance: [Double] = []
      for d in 0..<outLast {
        let parts = (0..<groups).map { st.moments($0 * outLast + d) }
        let m = parts.reduce(0) { $0 + $1.mean } / Double(groups)
        let second = parts.reduce(0) { $0 + $1.variance + $1.mean * $1.mean } / Double(groups)
        mean.append(m)
        variance.append(max(second - m * m, 0))
      }
      outStats = ActivationStatistics(mean: mean, variance: variance)
    } else if outLast % inLast == 0 {
      // Merging axes into the channel axis: channel g·inLast + d repeats input channel d.
      let reps = outLast / inLast
      outStats = ActivationStatistics(
        mean: Array((0..<reps).map { _ in st.mean }.joined()),
        variance: Array((0..<reps).map { _ in st.variance }.joined()))
    } else {
      let p = st.pooled
      outStats = ActivationStatistics(mean: p.mean, variance: p.variance)
    }
    let shapeTensor = int32Constant(name + "/shape", shape: [newShape.count], values: newShape.map { Int32($0) })
    let y = tensor(name, shape: newShape, quantization: quantization(x), stats: outStats)
    emit(.reshape(newShape: newShape), [x, shapeTensor], y)
    return y
  }

  /// TRANSPOSE by `permutation`; keeps the quantization.
  mutating func transpose(_ x: TensorID, _ name: String, permutation: [Int]) -> TensorID {
    let s = shape(x)
    let st = stats(x)
    let outStats: ActivationStatistics
    if permutation.last == s.count - 1 {
      outStats = st
    } else {
      let p = st.pooled
      outStats = ActivationStatistics(mean: p.mean, variance: p.variance)
    }
    let perm = int32Constant(name + "/perm", shape: [permutation.count], values: permutation.map { Int32($0) })
    let y = tensor(name, shape: permutation.map { s[$0] }, quantization: quantization(x), stats: outStats)
    emit(.transpose, [x, perm], y)
    return y
  }

  /// SOFTMAX (β = 1) over the last axis; output quantization is TFLite's fixed (1/256, −128).
  mutating func softmax(_ x: TensorID, _ name: String) -> TensorID {
    let n = Double(shape(x).last ?? 1)
    let y = tensor(
      name, shape: shape(x), quantization: QuantizationParameters(scale: 1.0 / 256, zeroPoint: -128),
      stats: ActivationStatistics(mean: 1 / n, variance: 1 / (n * n)))
    emit(.softmax(beta: 1), [x], y)
    return y
  }
}
