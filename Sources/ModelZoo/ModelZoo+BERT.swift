import Foundation
import GraphIR

extension ModelZoo {
  /// Hidden width, heads, head width and feed-forward width of BERT-base.
  static let bertHidden = 768
  static let bertHeads = 12
  static let bertFeedForward = 3072

  /// One post-LN BERT-base encoder layer as a TFLite int8 converter lowers it.
  ///
  /// - Q, K, V, attention output and both FFN layers: FULLY_CONNECTED on the 3-D `[1, S, 768]`
  ///   activations with `keep_num_dims`.
  /// - Heads: RESHAPE to `[1, S, 12, 64]` and TRANSPOSE `[0, 2, 1, 3]`; scores by BATCH_MATMUL
  ///   with `adj_y` (Q·Kᵀ), MUL by the constant 1/√64, SOFTMAX over keys, BATCH_MATMUL with V,
  ///   TRANSPOSE and RESHAPE back. No attention mask (every position attends to every position).
  /// - Residual ADDs; layer norm as TensorFlow 2.21's converter emits it for int8: MEAN,
  ///   SQUARED_DIFFERENCE, MEAN, ADD ε, RSQRT, SUB, MUL, then MUL γ and ADD β as constants.
  /// - GELU approximated as `x·σ(1.702x)`: MUL by a constant, LOGISTIC, MUL (our IR has no GELU
  ///   op; TFLite's own GELU builtin would replace these three ops).
  static func bertBaseLayer(seed: UInt64, sequenceLength s: Int) -> GraphBuilder {
    let hidden = bertHidden
    let heads = bertHeads
    let headWidth = hidden / heads
    var b = GraphBuilder(name: "bert-base-layer", seed: seed)
    let scope = "bert/encoder/layer_0"
    let attention = ChannelTarget(scale: 0.8...1.2, shiftMean: 0, shiftStd: 0.1)
    let x = b.input("hidden_states", shape: [1, s, hidden], range: RealRange(lower: -4, upper: 4))

    let q = b.fullyConnected(
      x, scope + "/attention/self/query", units: hidden, activation: .none, keepNumDims: true, target: attention)
    let k = b.fullyConnected(
      x, scope + "/attention/self/key", units: hidden, activation: .none, keepNumDims: true, target: attention)
    let v = b.fullyConnected(
      x, scope + "/attention/self/value", units: hidden, activation: .none, keepNumDims: true, target: attention)
    func splitHeads(_ t: TensorID, _ name: String) -> TensorID {
      let r = b.reshape(t, scope + "/attention/self/\(name)/Reshape", to: [1, s, heads, headWidth])
      return b.transpose(r, scope + "/attention/self/\(name)/transpose", permutation: [0, 2, 1, 3])
    }
    let qh = splitHeads(q, "query")
    let kh = splitHeads(k, "key")
    let vh = splitHeads(v, "value")

    // Scores: per head, s_ij = Σ_d q_id·k_jd over the head's 64 channels.
    let qs = b.stats(q)
    let ks = b.stats(k)
    var headMoments: [(mean: Double, variance: Double)] = []
    var rowVariance = 0.0
    for head in 0..<heads {
      var m = 0.0
      var v = 0.0
      for d in 0..<headWidth {
        let c = head * headWidth + d
        let (mq, vq) = qs.moments(c)
        let (mk, vk) = ks.moments(c)
        m += mq * mk
        v += (vq + mq * mq) * (vk + mk * mk) - mq * mq * mk * mk
        rowVariance += (vq + mq * mq) * vk
      }
      headMoments.append((m, v))
    }
    rowVariance /= Double(heads)
    let scoreMean = headMoments.reduce(0) { $0 + $1.mean } / Double(heads)
    let scoreSecond = headMoments.reduce(0) { $0 + $1.variance + $1.mean * $1.mean } / Double(heads)
    let scoreStats = ActivationStatistics(mean: scoreMean, variance: scoreSecond - scoreMean * scoreMean)
    let scores = b.batchMatMul(
      qh, kh, scope + "/attention/self/MatMul", adjointY: true, shape: [1, heads, s, s], stats: scoreStats)
    let scale = 1 / Double(headWidth).squareRoot()
    let scaled = b.mulByConstant(scores, scope + "/attention/self/Mul", value: scale)
    let probs = b.softmax(scaled, scope + "/attention/self/Softmax")

    // Context: Σ_j p_j v_j has V's mean and E[Σ p²]·var(V); for scores with within-row
    // variance σ², E[Σ p²] ≈ e^{σ²}/S (log-normal approximation), at most 1.
    let sumSquares = min(exp(rowVariance * scale * scale) / Double(s), 1)
    let vs = b.stats(v)
    let contextStats = ActivationStatistics(mean: vs.mean, variance: vs.variance.map { $0 * sumSquares })
    let contextHeads = b.batchMatMul(
      probs, vh, scope + "/attention/self/MatMul_1", adjointY: false, shape: [1, heads, s, headWidth],
      stats: GraphBuilder.splitChannels(contextStats, groups: heads), range: GraphBuilder.gaussianRange(contextStats))
    let contextT = b.transpose(contextHeads, scope + "/attention/self/transpose_3", permutation: [0, 2, 1, 3])
    let context = b.reshape(contextT, scope + "/attention/self/Reshape_3", to: [1, s, hidden])
    b.setStats(context, contextStats)

    let attentionOut = b.fullyConnected(
      context, scope + "/attention/output/dense", units: hidden, activation: .none, keepNumDims: true, target: attention
    )
    let residual1 = b.add(x, attentionOut, scope + "/attention/output/add", activation: .none)
    let norm1 = b.layerNorm(residual1, scope + "/attention/output/LayerNorm", epsilon: 1e-12)

    let intermediate = b.fullyConnected(
      norm1, scope + "/intermediate/dense", units: bertFeedForward, activation: .none, keepNumDims: true,
      target: ChannelTarget(scale: 0.8...1.2, shiftMean: -0.5, shiftStd: 0.5))
    let gelu = b.sigmoidGELU(intermediate, scope + "/intermediate/gelu")
    let ffnOut = b.fullyConnected(
      gelu, scope + "/output/dense", units: hidden, activation: .none, keepNumDims: true, target: attention)
    let residual2 = b.add(norm1, ffnOut, scope + "/output/add", activation: .none)
    b.outputs = [b.layerNorm(residual2, scope + "/output/LayerNorm", epsilon: 1e-12)]
    return b
  }
}

extension GraphBuilder {
  /// Per-channel statistics of `[.., groups·d]` seen as `[.., groups, d]` (channel d mixes groups).
  static func splitChannels(_ st: ActivationStatistics, groups: Int) -> ActivationStatistics {
    guard st.channels > 1, st.channels % groups == 0 else { return st }
    let width = st.channels / groups
    var mean: [Double] = []
    var variance: [Double] = []
    for d in 0..<width {
      let parts = (0..<groups).map { st.moments($0 * width + d) }
      let m = parts.reduce(0) { $0 + $1.mean } / Double(groups)
      let second = parts.reduce(0) { $0 + $1.variance + $1.mean * $1.mean } / Double(groups)
      mean.append(m)
      variance.append(max(second - m * m, 0))
    }
    return ActivationStatistics(mean: mean, variance: variance)
  }

  /// BATCH_MATMUL of two activations with statistics computed by the caller.
  mutating func batchMatMul(
    _ a: TensorID, _ b: TensorID, _ name: String, adjointY: Bool, shape: [Int], stats st: ActivationStatistics,
    range: RealRange? = nil
  ) -> TensorID {
    let y = tensor(name, shape: shape, quantization: Self.quantization(for: range ?? Self.gaussianRange(st)), stats: st)
    emit(.batchMatMul(adjointX: false, adjointY: adjointY), [a, b], y)
    return y
  }

  /// MUL by a positive scalar constant; the output range is the input's scaled (what a
  /// calibrator observes for a linear op), so the zero point is kept.
  mutating func mulByConstant(_ x: TensorID, _ name: String, value: Double) -> TensorID {
    let c = int8Constant(name + "/y", shape: [], values: [value])
    let r = representableRange(x)
    let st = stats(x)
    let y = tensor(
      name, shape: shape(x),
      quantization: Self.quantization(for: RealRange(lower: r.lower * value, upper: r.upper * value)),
      stats: ActivationStatistics(mean: st.mean.map { $0 * value }, variance: st.variance.map { $0 * value * value }))
    emit(.mul(activation: .none), [x, c], y)
    return y
  }

  /// GELU as `x·σ(1.702x)`: MUL by 1.702, LOGISTIC (output 1/256, −128), MUL by `x`.
  mutating func sigmoidGELU(_ x: TensorID, _ name: String) -> TensorID {
    let k = 1.702
    let scaled = mulByConstant(x, name + "/mul", value: k)
    let st = stats(x)
    let sigmoid = { (t: Double) in 1 / (1 + exp(-k * t)) }
    var sMean: [Double] = []
    var sVar: [Double] = []
    var gMean: [Double] = []
    var gVar: [Double] = []
    var range = RealRange.empty
    for c in 0..<st.channels {
      let (m, v) = st.moments(c)
      let (a, av) = Gaussian.moments(mean: m, variance: v, of: sigmoid)
      let (g, gv) = Gaussian.moments(mean: m, variance: v, of: { $0 * sigmoid($0) })
      sMean.append(a)
      sVar.append(av)
      gMean.append(g)
      gVar.append(gv)
      let h = Self.rangeSigmas * v.squareRoot()
      range = range.union(Gaussian.range(of: { $0 * sigmoid($0) }, over: m - h, m + h))
    }
    let s = tensor(
      name + "/Sigmoid", shape: shape(x), quantization: QuantizationParameters(scale: 1.0 / 256, zeroPoint: -128),
      stats: ActivationStatistics(mean: sMean, variance: sVar))
    emit(.logistic, [scaled], s)
    // GELU's minimum (≈ −0.16 at x ≈ −0.75) is flat and well populated; the int8 product of
    // quantized x and σ dips a little below it, so leave headroom of half the minimum under it.
    range.lower *= 1.5
    let y = tensor(
      name + "/mul_1", shape: shape(x), quantization: Self.quantization(for: range),
      stats: ActivationStatistics(mean: gMean, variance: gVar))
    emit(.mul(activation: .none), [x, s], y)
    return y
  }

  /// Layer normalization over the last axis as TensorFlow 2.21 converts it to int8:
  /// `mean = MEAN(x)`, `var = MEAN(SQUARED_DIFFERENCE(x, mean))`, `r = RSQRT(ADD(var, ε))`,
  /// `y = ADD(MUL(MUL(SUB(x, mean), r), γ), β)` with γ, β int8 constants of shape `[C]`.
  mutating func layerNorm(_ x: TensorID, _ name: String, epsilon: Double) -> TensorID {
    let s = shape(x)
    let channels = s.last ?? 1
    let n = Double(channels)
    let reduced = Array(s.dropLast()) + [1]
    let st = stats(x).expanded(to: channels)
    let axis = int32Constant(name + "/axis", shape: [], values: [-1])

    // mean: m̄ = avg μ_c, variance avg σ²_c / C.
    let mBar = st.mean.reduce(0, +) / n
    let meanVar = st.variance.reduce(0, +) / (n * n)
    let meanStats = ActivationStatistics(mean: mBar, variance: meanVar)
    let mean = tensor(
      name + "/Mean", shape: reduced, quantization: Self.quantization(for: Self.gaussianRange(meanStats)),
      stats: meanStats)
    emit(.mean(keepDims: true), [x, axis], mean)

    // (x − m̄)²: mean σ² + δ², variance 2σ⁴ + 4δ²σ², range [0, (|δ| + kσ)²].
    var sqMean: [Double] = []
    var sqVar: [Double] = []
    var sqHigh = 0.0
    for c in 0..<channels {
      let d = st.mean[c] - mBar
      let v = st.variance[c] + meanVar
      sqMean.append(v + d * d)
      sqVar.append(2 * v * v + 4 * d * d * v)
      let h = abs(d) + Self.rangeSigmas * v.squareRoot()
      sqHigh = max(sqHigh, h * h)
    }
    let sqStats = ActivationStatistics(mean: sqMean, variance: sqVar)
    let squared = tensor(
      name + "/SquaredDifference", shape: s, quantization: Self.quantization(for: RealRange(lower: 0, upper: sqHigh)),
      stats: sqStats)
    emit(.squaredDifference, [x, mean], squared)

    // variance: V = avg(σ² + δ²), spread avg(var(sq))/C.
    let bigV = sqMean.reduce(0, +) / n
    let varStats = ActivationStatistics(mean: bigV, variance: sqVar.reduce(0, +) / (n * n))
    let varRange = Self.gaussianRange(varStats)
    let variance = tensor(
      name + "/Mean_1", shape: reduced, quantization: Self.quantization(for: varRange), stats: varStats)
    emit(.mean(keepDims: true), [squared, axis], variance)

    let eps = int8Constant(name + "/add/y", shape: [], values: [epsilon])
    let shifted = tensor(
      name + "/add", shape: reduced, quantization: quantization(variance),
      stats: ActivationStatistics(mean: bigV + epsilon, variance: varStats.variance[0]))
    emit(.add(activation: .none), [variance, eps], shifted)

    // rsqrt over [max(lo, V/4), hi] of the variance range.
    let lo = max(varRange.lower, bigV / 4) + epsilon
    let hi = max(varRange.upper, lo) + epsilon
    let rStats = ActivationStatistics(
      mean: 1 / bigV.squareRoot(), variance: varStats.variance[0] / (4 * bigV * bigV * bigV))
    let rsqrt = tensor(
      name + "/Rsqrt", shape: reduced,
      quantization: Self.quantization(for: RealRange(lower: 1 / hi.squareRoot(), upper: 1 / lo.squareRoot())),
      stats: rStats)
    emit(.rsqrt, [shifted], rsqrt)

    let centeredStats = ActivationStatistics(
      mean: st.mean.map { $0 - mBar }, variance: st.variance.map { $0 + meanVar })
    let centered = tensor(
      name + "/sub", shape: s, quantization: Self.quantization(for: Self.gaussianRange(centeredStats)),
      stats: centeredStats)
    emit(.sub(activation: .none), [x, mean], centered)

    let invStd = 1 / bigV.squareRoot()
    let normStats = ActivationStatistics(
      mean: centeredStats.mean.map { $0 * invStd }, variance: centeredStats.variance.map { $0 / bigV })
    let normalized = tensor(
      name + "/mul", shape: s, quantization: Self.quantization(for: Self.gaussianRange(normStats)), stats: normStats)
    emit(.mul(activation: .none), [centered, rsqrt], normalized)

    let gammaValues = (0..<channels).map { _ in uniform(0.8...1.2) }
    let betaValues = (0..<channels).map { _ in 0.1 * rng.nextGaussian() }
    let gamma = int8Constant(name + "/gamma", shape: [channels], values: gammaValues)
    let beta = int8Constant(name + "/beta", shape: [channels], values: betaValues)
    let gammaReal = constantValues(gamma)
    let betaReal = constantValues(beta)
    let scaledStats = ActivationStatistics(
      mean: (0..<channels).map { normStats.mean[$0] * gammaReal[$0] },
      variance: (0..<channels).map { normStats.variance[$0] * gammaReal[$0] * gammaReal[$0] })
    let scaled = tensor(
      name + "/mul_1", shape: s, quantization: Self.quantization(for: Self.gaussianRange(scaledStats)),
      stats: scaledStats)
    emit(.mul(activation: .none), [normalized, gamma], scaled)

    let outStats = ActivationStatistics(
      mean: (0..<channels).map { scaledStats.mean[$0] + betaReal[$0] }, variance: scaledStats.variance)
    let y = tensor(
      name + "/add_1", shape: s, quantization: Self.quantization(for: Self.gaussianRange(outStats)), stats: outStats)
    emit(.add(activation: .none), [scaled, beta], y)
    return y
  }
}
