import GraphIR
import Support
import TileISA

/// Pass 2, fuse: folds each array layer's bias, requantization and fused-activation clamp into
/// one `activate` epilogue, and folds a standalone RELU/RELU6/RELU_N1_TO_1 into its producer's
/// clamp when that is exact.
///
/// Epilogue per output channel c (`docs/compiler.md` §"Epilogues"):
/// - CONV_2D, DEPTHWISE_CONV_2D: `.fixedPoint(bias[c], QuantizeMultiplier(Double(s_in) ·
///   Double(s_w[c]) / Double(s_out)))` — TFLite's per-channel double-rounding path.
/// - FULLY_CONNECTED: `.floatScale(bias[c], Double(s_in) · Double(s_w[c]) / Double(s_out))` —
///   TF 2.21's reference kernel requantizes in double, rounding half away from zero.
/// - BATCH_MATMUL: `.fixedPoint(0, QuantizeMultiplier(Double(s_x · s_y) / Double(s_out)))`.
///
/// A standalone RELU folds into its producer when its input and output share scale and zero
/// point (its rescale is then the identity), the producer runs on the array or vector unit, and
/// nothing else reads the intermediate tensor; the producer then writes the RELU's output with
/// the intersection of both clamps.
struct Fuse: LoweringPass {
  let name = PassName.fuse

  func run(_ s: inout LoweringState) throws(LoweringError) {
    for i in s.layers.indices {
      guard case .matrix(var work) = s.layers[i].work else { continue }
      if let epilogue = epilogue(work, s) {
        work.epilogue = epilogue
        s.layers[i].work = .matrix(work)
      } else {
        let layer = s.layers[i]
        s.layers[i].placement = .host
        s.layers[i].reason =
          "\(layer.opName): a requantization multiplier is out of the activation unit's range; runs on the host"
        let op = s.graph.operators[i]
        s.layers[i].work = .host(HostWork(inputs: op.inputs, outputs: op.outputs))
      }
    }
    foldStandaloneActivations(&s)
  }

  private func epilogue(_ w: MatrixWork, _ s: LoweringState) -> Epilogue? {
    let q = w.quantization
    let isFloat = s.arch.datapath == .float32 && s.graph[w.output].elementType == .float32
    var parameters: [ActivationParameters] = []
    parameters.reserveCapacity(w.outC)
    var mode = RequantMode.fixedPoint
    for c in 0..<w.outC {
      let filterScale = q.filterScales.count > 1 ? q.filterScales[c] : q.filterScales[0]
      if isFloat {
        parameters.append(.fixedPoint(bias: 0, multiplier: 1 << 30, shift: 1))
        continue
      }
      switch w.kind {
      case .conv, .depthwise:
        guard
          let m = TFLiteQuantization.convolution(
            inputScale: q.inputScale, filterScale: filterScale, outputScale: q.outputScale),
          (-31...30).contains(m.shift)
        else { return nil }
        parameters.append(.fixedPoint(bias: q.bias[c], multiplier: m.multiplier, shift: Int32(m.shift)))
      case .fullyConnected:
        mode = .floatScale
        let scale = TFLiteQuantization.fullyConnectedScale(
          inputScale: q.inputScale, filterScale: filterScale, outputScale: q.outputScale)
        guard scale.isFinite else { return nil }
        parameters.append(.floatScale(bias: q.bias[c], scale: scale))
      case .batchMatMul:
        guard let m = TFLiteQuantization.product(q.inputScale, filterScale, outputScale: q.outputScale),
          (-31...30).contains(m.shift)
        else { return nil }
        parameters.append(.fixedPoint(bias: 0, multiplier: m.multiplier, shift: Int32(m.shift)))
      }
    }
    return Epilogue(mode: mode, parameters: parameters, outputZeroPoint: q.outputZeroPoint, clamp: q.clamp)
  }

  private func foldStandaloneActivations(_ s: inout LoweringState) {
    var consumers = [Int](repeating: 0, count: s.graph.tensors.count)
    for op in s.graph.operators {
      for id in op.inputs.compactMap({ $0 }) { consumers[id.index] += 1 }
    }
    for id in s.graph.outputs { consumers[id.index] += 1 }
    var producer = [Int: Int]()
    for (i, layer) in s.layers.enumerated() {
      for out in outputs(of: layer.work) { producer[out.index] = i }
    }
    for i in s.layers.indices {
      switch s.graph.operators[i].kind {
      case .relu, .relu6, .reluN1To1: break
      default: continue
      }
      guard case .unary(let relu) = s.layers[i].work else { continue }
      let p = relu.parameters
      guard p.inputZeroPoint == p.outputZeroPoint, p.multiplier == 1 << 30, p.shift == 1 else { continue }
      guard consumers[relu.input.index] == 1, let j = producer[relu.input.index], j < i else { continue }
      var work = s.layers[j].work
      switch work {
      case .matrix(var m):
        guard var e = m.epilogue, let clamp = intersect(e.clamp, p.clamp) else { continue }
        e.clamp = clamp
        m.epilogue = e
        m.output = relu.output
        work = .matrix(m)
      case .binary(var b):
        // issue 14: vops — bool outputs and SELECT's copies take no activation.
        guard b.parameters.fusesActivation, let clamp = intersect(b.parameters.clamp, p.clamp) else { continue }
        b.parameters = b.parameters.withClamp(clamp)
        b.output = relu.output
        work = .binary(b)
      case .pool(var pool):
        guard let clamp = intersect(pool.clamp, p.clamp) else { continue }
        pool.clamp = clamp
        pool.output = relu.output
        work = .pool(pool)
      default:
        continue
      }
      s.layers[j].work = work
      s.layers[i].work = .fused(into: j)
      s.layers[i].placement = .fused
      s.layers[i].reason =
        "\(s.layers[i].opName): folded into op #\(j) \(s.layers[j].opName)'s clamp (same scale and zero point)"
      producer[relu.output.index] = j
    }
  }

  private func intersect(_ a: ClosedRange<Int8>, _ b: ClosedRange<Int8>) -> ClosedRange<Int8>? {
    let lo = max(a.lowerBound, b.lowerBound)
    let hi = min(a.upperBound, b.upperBound)
    return lo <= hi ? lo...hi : nil
  }
}

/// The tensors a layer's work writes.
func outputs(of work: Work) -> [TensorID] {
  switch work {
  case .matrix(let m): [m.output]
  case .binary(let b): [b.output]
  case .pool(let p): [p.output]
  case .unary(let u): [u.output]
  case .softmax(let u): [u.output]
  case .mean(let u): [u.output]
  // issue 14: resize
  case .resize(let w): [w.output]
  // issue 14: lstm
  case .lstm(let w): [w.output]
  case .copy(let c): c.allOutputs
  case .host(let h): h.outputs
  case .alias, .fused: []
  }
}
