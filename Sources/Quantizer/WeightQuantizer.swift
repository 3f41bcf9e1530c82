import Foundation
import GraphIR

/// How the weights of CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED are quantized.
public enum WeightFormat: Sendable, Hashable, CustomStringConvertible {
  /// int8 in [−127, 127], zero point 0, `scale_c = max|W_c| / 127` per output channel.
  case int8PerChannel
  /// int8 in [−127, 127], zero point 0, one scale `max|W| / 127`.
  case int8PerTensor
  /// uint8 min/max affine with one scale and zero point (the classic scheme).
  case uint8PerTensor
  /// int4 in [−7, 7], zero point 0, `scale_c = max|W_c| / 7` per output channel.
  case int4PerChannel
  /// Ternary per output channel (TWN): values {−1, 0, 1} with scale α_c.
  case ternaryPerChannel(threshold: Double)
  /// Ternary per group of `groupSize` weights of one channel, each with its own Δ_g and α_g;
  /// stored as int8 levels {−a_g, 0, a_g} with `a_g = round(α_g / scale_c)` and
  /// `scale_c = max_g α_g / 127`.
  case ternaryPerGroup(groupSize: Int, threshold: Double)

  /// Bits per weight in packed storage.
  public var bits: Int {
    switch self {
    case .int8PerChannel, .int8PerTensor, .uint8PerTensor: 8
    case .int4PerChannel: 4
    case .ternaryPerChannel, .ternaryPerGroup: 2
    }
  }

  /// `int8/channel`, `ternary/group4`, …
  public var description: String {
    switch self {
    case .int8PerChannel: "int8/channel"
    case .int8PerTensor: "int8/tensor"
    case .uint8PerTensor: "uint8/tensor"
    case .int4PerChannel: "int4/channel"
    case .ternaryPerChannel: "ternary/channel"
    case .ternaryPerGroup(let n, _): "ternary/group\(n)"
    }
  }
}

/// A quantized weight tensor: integer values, their parameters, and how they pack.
public struct QuantizedWeights: Sendable, Equatable {
  /// The tensor as stored in the IR: int8 (or uint8 for the affine scheme).
  public var data: TensorData
  /// Scales (one per channel, or one), zero points and the channel axis.
  public var parameters: QuantizationParameters
  /// Bits per weight when packed (8, 4 or 2).
  public var bits: Int
  /// For fine-grained ternary: the weights per group.
  public var groupSize: Int?
  /// For fine-grained ternary: the int8 level a_g of each group, channel by channel.
  public var groupLevels: [Int8]

  /// The real value of every weight, `scale_c × (q − zp_c)`.
  public func dequantized() -> [Float] {
    AffineQuantization.dequantize(data, params: parameters).map { Float($0) }
  }
}

/// Quantizes weight tensors in the formats of ``WeightFormat``.
public enum WeightQuantizer {
  /// Quantizes `values` of `shape` whose output channels lie along `axis`.
  ///
  /// `axis` is 0 for CONV_2D (OHWI) and FULLY_CONNECTED ([units, depth]) and 3 for
  /// DEPTHWISE_CONV_2D (1HWO). Rounding is half away from zero (`std::round`), against the
  /// stored `Float` scale widened to `Double`.
  public static func quantize(_ values: [Float], shape: [Int], axis: Int, format: WeightFormat) -> QuantizedWeights {
    precondition(values.count == TensorData.elementCount(of: shape), "weight data does not match shape \(shape)")
    switch format {
    case .int8PerChannel: return symmetricPerChannel(values, shape: shape, axis: axis, qmax: 127, bits: 8)
    case .int4PerChannel: return symmetricPerChannel(values, shape: shape, axis: axis, qmax: 7, bits: 4)
    case .int8PerTensor:
      let maxAbs = values.reduce(0) { max($0, abs(Double($1))) }
      let p = AffineQuantization.symmetric(maxAbs: maxAbs, qmax: 127)
      let q = values.map { roundClamped(Double($0) / Double(p.scale), -127...127) }
      return QuantizedWeights(
        data: TensorData(shape: shape, storage: .int8(q.map { Int8($0) })), parameters: p, bits: 8, groupSize: nil,
        groupLevels: [])
    case .uint8PerTensor:
      let lo = values.reduce(0) { min($0, Double($1)) }
      let hi = values.reduce(0) { max($0, Double($1)) }
      let p = AffineQuantization.asymmetric(min: lo, max: hi, range: 0...255)
      let q = values.map { roundClamped(Double($0) / Double(p.scale) + Double(p.zeroPoint), 0...255) }
      return QuantizedWeights(
        data: TensorData(shape: shape, storage: .uint8(q.map { UInt8($0) })), parameters: p, bits: 8, groupSize: nil,
        groupLevels: [])
    case .ternaryPerChannel(let t): return ternaryPerChannel(values, shape: shape, axis: axis, threshold: t)
    case .ternaryPerGroup(let n, let t):
      return ternaryPerGroup(values, shape: shape, axis: axis, groupSize: max(n, 1), threshold: t)
    }
  }

  /// TWN's ternarization of one set of weights: `Δ = t · mean|w|`, `α = mean{|w| : |w| > Δ}`,
  /// `q = sign(w)` where `|w| > Δ`, else 0. Returns `(Δ, α, q)`; α is 0 when nothing exceeds Δ.
  public static func ternarize(_ w: [Float], threshold t: Double) -> (delta: Double, alpha: Double, levels: [Int8]) {
    guard !w.isEmpty else { return (0, 0, []) }
    let meanAbs = w.reduce(0) { $0 + abs(Double($1)) } / Double(w.count)
    let delta = t * meanAbs
    var sum = 0.0
    var n = 0
    var levels = [Int8](repeating: 0, count: w.count)
    for (i, x) in w.enumerated() where abs(Double(x)) > delta {
      sum += abs(Double(x))
      n += 1
      levels[i] = x > 0 ? 1 : -1
    }
    return (delta, n > 0 ? sum / Double(n) : 0, levels)
  }

  static func symmetricPerChannel(_ values: [Float], shape: [Int], axis: Int, qmax: Int64, bits: Int)
    -> QuantizedWeights
  {
    guard let layout = ChannelLayout(shape: shape, axis: axis) else {
      return symmetricPerChannel(values, shape: [values.count], axis: 0, qmax: qmax, bits: bits)
    }
    var maxAbs = [Double](repeating: 0, count: layout.channels)
    for (i, v) in values.enumerated() {
      let c = layout.channel(of: i)
      maxAbs[c] = max(maxAbs[c], abs(Double(v)))
    }
    let scales = maxAbs.map { AffineQuantization.symmetric(maxAbs: $0, qmax: qmax).scale }
    let q = values.indices.map { i in
      Int8(roundClamped(Double(values[i]) / Double(scales[layout.channel(of: i)]), -qmax...qmax))
    }
    return QuantizedWeights(
      data: TensorData(shape: shape, storage: .int8(q)),
      parameters: QuantizationParameters(
        scales: scales, zeroPoints: Array(repeating: 0, count: scales.count), quantizedDimension: axis),
      bits: bits, groupSize: nil, groupLevels: [])
  }

  static func ternaryPerChannel(_ values: [Float], shape: [Int], axis: Int, threshold: Double) -> QuantizedWeights {
    guard let layout = ChannelLayout(shape: shape, axis: axis) else {
      return ternaryPerChannel(values, shape: [values.count], axis: 0, threshold: threshold)
    }
    var q = [Int8](repeating: 0, count: values.count)
    var scales: [Float] = []
    for c in 0..<layout.channels {
      let idx = layout.indices(ofChannel: c, count: values.count)
      let (_, alpha, levels) = ternarize(idx.map { values[$0] }, threshold: threshold)
      for (k, i) in idx.enumerated() { q[i] = levels[k] }
      scales.append(alpha > 0 ? AffineQuantization.positiveScale(alpha) : 1)
    }
    return QuantizedWeights(
      data: TensorData(shape: shape, storage: .int8(q)),
      parameters: QuantizationParameters(
        scales: scales, zeroPoints: Array(repeating: 0, count: scales.count), quantizedDimension: axis),
      bits: 2, groupSize: nil, groupLevels: [])
  }

  static func ternaryPerGroup(_ values: [Float], shape: [Int], axis: Int, groupSize: Int, threshold: Double)
    -> QuantizedWeights
  {
    guard let layout = ChannelLayout(shape: shape, axis: axis) else {
      return ternaryPerGroup(values, shape: [values.count], axis: 0, groupSize: groupSize, threshold: threshold)
    }
    var q = [Int8](repeating: 0, count: values.count)
    var scales: [Float] = []
    var groupLevels: [Int8] = []
    for c in 0..<layout.channels {
      let idx = layout.indices(ofChannel: c, count: values.count)
      var groups: [(indices: ArraySlice<Int>, alpha: Double, signs: [Int8])] = []
      var start = 0
      while start < idx.count {
        let slice = idx[start..<min(start + groupSize, idx.count)]
        let (_, alpha, signs) = ternarize(slice.map { values[$0] }, threshold: threshold)
        groups.append((slice, alpha, signs))
        start += groupSize
      }
      let maxAlpha = groups.reduce(0) { max($0, $1.alpha) }
      let scale = maxAlpha > 0 ? AffineQuantization.positiveScale(maxAlpha / 127) : 1
      scales.append(scale)
      for g in groups {
        let level = Int8(roundClamped(g.alpha / Double(scale), 0...127))
        groupLevels.append(level)
        for (k, i) in g.indices.enumerated() { q[i] = g.signs[k] * level }
      }
    }
    return QuantizedWeights(
      data: TensorData(shape: shape, storage: .int8(q)),
      parameters: QuantizationParameters(
        scales: scales, zeroPoints: Array(repeating: 0, count: scales.count), quantizedDimension: axis),
      bits: 2, groupSize: groupSize, groupLevels: groupLevels)
  }

  /// `clamp(round(x))`, rounding half away from zero.
  static func roundClamped(_ x: Double, _ range: ClosedRange<Int64>) -> Int64 {
    let r = x.rounded(.toNearestOrAwayFromZero)
    guard r.isFinite else { return r > 0 ? range.upperBound : range.lowerBound }
    return min(max(Int64(max(min(r, 9e18), -9e18)), range.lowerBound), range.upperBound)
  }
}
