import GraphIR
import Support

/// TRANSPOSE_CONV on the systolic array as stride phases (`docs/compiler.md`
/// §"TRANSPOSE_CONV").
///
/// TFLite's kernel scatters input pixel `i` through filter tap `k` into output `i·s − P + k`
/// (s the stride, P the padding before). Split the output by phase, `o = s·q + r`: along one
/// axis the taps reaching phase r are those with `k ≡ (r + P) mod s`, tap `k = s·j + (r + P) mod s`
/// reading input `q + ⌊(r + P)/s⌋ − j`. So every phase is an ordinary stride-1 convolution of
/// the input with the (reversed) sub-kernel of its taps. All s × s phases read inputs within
/// one window `q + dmin ... q + dmax`, so they run as ONE stride-1 CONV_2D over that window with
/// `s² · N` output channels — channel `(ry·s_w + rx)·N + n` holds phase (ry, rx) of output
/// channel n, with the taps that do not reach it set to zero — whose output pixel (qy, qx) is
/// stored with pixel stride s to output pixel `(qy·s_h + ry, qx·s_w + rx)`
/// (`MatrixWork.outputInterleave`; phases past the output's edge are not stored).
///
/// The int32 sum of each output element has exactly TFLite's terms (zero taps add nothing, and
/// integer addition is order-independent), then the bias, per-channel requantization and clamp
/// of CONV_2D: bit-exact. The zero taps cost array MACs: the mapping report states the share.
extension OperatorLegalizer {
  /// One axis of a stride-phase decomposition.
  struct PhaseAxis {
    /// The stride: phases along this axis.
    var stride: Int
    /// Kernel extent of the combined convolution (`dmax − dmin + 1`).
    var kernel: Int
    /// Padding before the input of the combined convolution (`−dmin`).
    var padBefore: Int
    /// Output positions per phase of the combined convolution: `⌈O / s⌉`.
    var outputs: Int
    /// Per phase r: (kernel position in the combined window, original filter tap) pairs.
    var taps: [[(window: Int, filter: Int)]]
    /// (input, tap) pairs whose output lands inside the output: the useful MACs per channel
    /// pair along this axis.
    var usefulPairs: Int

    /// The axis of a TRANSPOSE_CONV with `input` → `output` positions, a `filter`-tap kernel,
    /// `stride` and `padBefore` (TFLite's padding of the transposed convolution); nil when the
    /// combined window would start after input position q (it never does for TFLite's
    /// paddings, which are below the filter size).
    init?(input: Int, output: Int, filter: Int, stride s: Int, padBefore p: Int) {
      guard input > 0, output > 0, filter > 0, s > 0, p >= 0 else { return nil }
      var perPhase: [[(d: Int, k: Int)]] = []
      for r in 0..<s {
        let t = r + p
        let rem = t % s
        var list: [(d: Int, k: Int)] = []
        var j = 0
        while s * j + rem < filter {
          list.append((t / s - j, s * j + rem))
          j += 1
        }
        perPhase.append(list)
      }
      let ds = perPhase.flatMap { $0.map(\.d) }
      guard let dmin = ds.min(), let dmax = ds.max(), dmin <= 0 else { return nil }
      stride = s
      kernel = dmax - dmin + 1
      padBefore = -dmin
      outputs = (output + s - 1) / s
      taps = perPhase.map { $0.map { (window: $0.d - dmin, filter: $0.k) } }
      var pairs = 0
      for i in 0..<input {
        for k in 0..<filter where (0..<output).contains(i * s - p + k) { pairs += 1 }
      }
      usefulPairs = pairs
    }

    /// Output positions of phase r: `⌈(O − r) / s⌉`.
    func outputs(phase r: Int, size: Int) -> Int { max(0, (size - r + stride - 1) / stride) }
  }

  /// The most stride phases (`s_h · s_w`) mapped to the array: each is a block of the combined
  /// convolution's output channels.
  static let maximumPhases = 64

  /// TRANSPOSE_CONV (`output_shape`, filter OHWI, input, optional bias) as one stride-1
  /// convolution over derived weights with an interleaved store; the host for what it cannot map.
  func transposeConvolution(_ o: TransposeConvOptions) -> Decision {
    guard let xID = op.input(2), let x = input(2), let w = input(1), let out = output, x.shape.count == 4,
      w.shape.count == 4, out.shape.count == 4
    else {
      return host("operands are not rank 4")
    }
    guard w.isConstant, let weights = weightBytes(w) else { return host("the filter is not a constant int8 tensor") }
    let (n, kh, kw, c) = (w.shape[0], w.shape[1], w.shape[2], w.shape[3])
    guard c == x.shape[3], out.shape[3] == n, out.shape[0] == x.shape[0] else {
      return host("filter \(w.shape), input \(x.shape) and output \(out.shape) do not agree (grouped?)")
    }
    guard o.strideH >= 1, o.strideW >= 1, o.strideH * o.strideW <= Self.maximumPhases else {
      return host(
        "strides \(o.strideH)×\(o.strideW): more than \(Self.maximumPhases) stride phases (each a block of output channels)"
      )
    }
    let h = o.padding.geometry(input: out.shape[1], filter: kh, stride: o.strideH)
    let v = o.padding.geometry(input: out.shape[2], filter: kw, stride: o.strideW)
    guard h.output == x.shape[1], v.output == x.shape[2] else {
      return host("output \(out.shape[1])×\(out.shape[2]) is not the transpose of input \(x.shape[1])×\(x.shape[2])")
    }
    guard
      let ay = PhaseAxis(
        input: x.shape[1], output: out.shape[1], filter: kh, stride: o.strideH, padBefore: h.padBefore),
      let ax = PhaseAxis(input: x.shape[2], output: out.shape[2], filter: kw, stride: o.strideW, padBefore: v.padBefore)
    else {
      return host("padding \(h.padBefore)×\(v.padBefore) puts the phase window after the input pixel")
    }
    guard let b = bias(3, channels: n) else { return host("the bias is not a constant int32 vector") }
    guard let xq = affine(x), let oq = affine(out), let scales = filterScales(w, channels: n) else {
      return host("missing or per-channel activation quantization")
    }
    guard let clamp = clamp(o.activation, oq, out) else { return host("fused \(o.activation.rawValue) is not a clamp") }
    let phases = o.strideH * o.strideW
    let derivedCount = [phases, n, ay.kernel, ax.kernel, c].saturatingProduct()
    guard derivedCount <= max(4 * w.elementCount, 1 << 20) else {
      return host(
        "the stride-phase weights (\(formatCount(derivedCount)) values) would be more than 4× the filter's \(formatCount(w.elementCount))"
      )
    }
    let derived: ConstantWeights
    switch weights {
    case .int8(let values): derived = .int8(phaseWeights(values, 0, n: n, kh: kh, kw: kw, c: c, ay, ax))
    case .float32(let values): derived = .float32(phaseWeights(values, 0, n: n, kh: kh, kw: kw, c: c, ay, ax))
    }
    let batches = x.shape[0]
    let useful = [batches, ay.usefulPairs, ax.usefulPairs, c, n].saturatingProduct()
    let array = [batches, ay.outputs, ax.outputs, ay.kernel, ax.kernel, c, phases * n].saturatingProduct()
    let work = MatrixWork(
      kind: .conv, input: xID, output: op.outputs[0],
      inputOffsets: (0..<batches).map { $0 * x.shape[1] * x.shape[2] * c },
      outputOffsets: (0..<batches).map { $0 * out.shape[1] * out.shape[2] * n },
      inH: x.shape[1], inW: x.shape[2], inC: c, inputTransposed: false, outH: ay.outputs, outW: ax.outputs,
      outC: phases * n, kernelH: ay.kernel, kernelW: ax.kernel, strideH: 1, strideW: 1, dilationH: 1, dilationW: 1,
      padTop: ay.padBefore, padLeft: ax.padBefore, depthMultiplier: 1, inputZeroPoint: xq.zeroPoint,
      weights: .constant(derived),
      quantization: MatrixQuantization(
        inputScale: xq.scale,
        filterScales: scales.count > 1 ? Array(repeating: scales, count: phases).flatMap { $0 } : scales,
        outputScale: oq.scale, outputZeroPoint: oq.zeroPoint,
        bias: Array(repeating: b, count: phases).flatMap { $0 }, clamp: clamp),
      epilogue: nil, macs: useful, tiling: nil,
      outputInterleave: PhaseInterleave(
        strideH: o.strideH, strideW: o.strideW, channels: n, height: out.shape[1], width: out.shape[2]))
    let waste = array > useful ? array - useful : 0
    let wasteNote =
      waste == 0
      ? "no zero taps"
      : "\(formatCount(waste)) of its \(formatCount(array)) array MACs (\(percent(Double(waste) / Double(max(array, 1))))) multiply zero taps or fall outside the output"
    return matrix(
      work,
      "\(o.strideH)×\(o.strideW) stride-phase convolutions on the array (one stride-1 \(ay.kernel)×\(ax.kernel) convolution, \(c) → \(phases)·\(n) channels, each phase's \(n) stored with pixel stride \(o.strideH)×\(o.strideW) by strided DMA; \(wasteNote))"
    )
  }

  /// The combined convolution's OHWI weights `[s_h·s_w·N][Kh][Kw][C]`: phase (ry, rx)'s block
  /// of N output channels holds, at window tap (a, b), filter tap (ky, kx) when that tap reaches
  /// the phase from window position (a, b), and `zero` elsewhere.
  func phaseWeights<T>(
    _ filter: [T], _ zero: T, n: Int, kh: Int, kw: Int, c: Int, _ ay: PhaseAxis, _ ax: PhaseAxis
  ) -> [T] {
    let (wh, ww) = (ay.kernel, ax.kernel)
    var result = [T](repeating: zero, count: ay.stride * ax.stride * n * wh * ww * c)
    for ry in 0..<ay.stride {
      for rx in 0..<ax.stride {
        let phase = ry * ax.stride + rx
        for oc in 0..<n {
          let row = (phase * n + oc) * wh
          for (a, ky) in ay.taps[ry] {
            for (b, kx) in ax.taps[rx] {
              let dst = ((row + a) * ww + b) * c
              let src = ((oc * kh + ky) * kw + kx) * c
              for ic in 0..<c { result[dst + ic] = filter[src + ic] }
            }
          }
        }
      }
    }
    return result
  }
}

/// How a stride-phase convolution's output is stored (TRANSPOSE_CONV): its `s_h·s_w·N`
/// channels are s_h × s_w phases of N channels; conv pixel (qy, qx), phase (ry, rx) = channel
/// block `ry·s_w + rx` goes to output pixel `(qy·s_h + ry, qx·s_w + rx)` of the
/// `height` × `width` × N output, when that pixel exists.
struct PhaseInterleave: Hashable {
  var strideH: Int, strideW: Int
  /// N: the output tensor's channels.
  var channels: Int
  /// The output tensor's height and width.
  var height: Int, width: Int

  var phases: Int { strideH * strideW }
  /// Channels of one phase row (the s_w phases of one ry): `s_w · N`.
  var block: Int { strideW * channels }

  /// Whether tiles of `nTile` channels, stored in groups of `groupChannels`, keep phase rows
  /// whole: every n-tile inside one phase row and every group whole phase rows. Then each
  /// `activate` writes its tile in the output's own layout (`Emitter.phaseRowDestination`) and a
  /// group leaves in one DMA per tile (or one per phase row of the group).
  func keepsPhaseRows(nTile: Int, groupChannels: Int) -> Bool {
    nTile > 0 && block % nTile == 0 && groupChannels % block == 0
  }
}
