import Foundation
import GraphIR

/// A float32 executor of a quantized zoo graph: every constant is dequantized and every op runs
/// in real arithmetic. Tests use it to check the zoo's analytic calibration — that each
/// activation's real values fall inside its int8 range — independently of the golden model.
///
/// Only the ops the zoo emits are supported; anything else is a test bug and traps.
struct FloatReference {
  let graph: Graph

  /// Real values of every tensor (nil for tensors never computed), given int8 input codes.
  func run(inputCodes: [[Int8]]) -> [[Float]?] {
    var values = [[Float]?](repeating: nil, count: graph.tensors.count)
    for (t, tensor) in graph.tensors.enumerated() where tensor.data != nil {
      values[t] = dequantized(tensor)
    }
    for (codes, id) in zip(inputCodes, graph.inputs) {
      let q = graph[id].quantization ?? QuantizationParameters(scale: 1, zeroPoint: 0)
      values[id.index] = codes.map { q.scale * Float(Int64($0) - q.zeroPoint) }
    }
    for op in graph.operators {
      let x = op.inputs.map { $0.flatMap { values[$0.index] } }
      let out = graph[op.outputs[0]]
      var y = evaluate(op, x, out)
      if let a = op.kind.fusedActivation, a != .none, let r = a.floatRange {
        y = y.map { min(max($0, r.lower), r.upper) }
      }
      values[op.outputs[0].index] = y
    }
    return values
  }

  func dequantized(_ t: Tensor) -> [Float] {
    guard let data = t.data else { return [] }
    switch data.storage {
    case .int8(let v):
      guard let q = t.quantization else { return v.map(Float.init) }
      if q.isPerChannel {
        let d = q.quantizedDimension
        let inner = t.shape[(d + 1)...].reduce(1, *)
        let channels = t.shape[d]
        return v.enumerated().map { i, c in q.scales[(i / inner) % channels] * Float(c) }
      }
      return v.map { q.scale * Float(Int64($0) - q.zeroPoint) }
    case .int32(let v):
      guard let q = t.quantization else { return v.map(Float.init) }
      if q.scales.count > 1 { return v.enumerated().map { i, c in q.scales[i] * Float(c) } }
      return v.map { q.scale * Float($0) }
    default:
      preconditionFailure("unexpected constant type \(data.elementType)")
    }
  }

  private func shape(_ op: Operator, _ i: Int) -> [Int] {
    guard let id = op.input(i) else { preconditionFailure("\(op.kind.tfliteName): input \(i) absent") }
    return graph[id].shape
  }

  private func evaluate(_ op: Operator, _ x: [[Float]?], _ out: Tensor) -> [Float] {
    func v(_ i: Int) -> [Float] {
      guard i < x.count, let value = x[i] else { preconditionFailure("\(op.kind.tfliteName): input \(i) not computed") }
      return value
    }
    let x0 = x.first.flatMap { $0 } ?? []
    let x1 = x.count > 1 ? x[1] ?? [] : []
    switch op.kind {
    case .conv2D(let o):
      return conv(
        v(0), shape(op, 0), v(1), shape(op, 1), x[2], out.shape, o.strideH, o.strideW, o.padding, depthwise: false)
    case .depthwiseConv2D(let o):
      return conv(
        v(0), shape(op, 0), v(1), shape(op, 1), x[2], out.shape, o.strideH, o.strideW, o.padding, depthwise: true)
    case .fullyConnected:
      let w = shape(op, 1)
      let (units, depth) = (w[0], w[1])
      let rows = v(0).count / depth
      var y = [Float](repeating: 0, count: rows * units)
      v(0).withUnsafeBufferPointer { xp in
        v(1).withUnsafeBufferPointer { wp in
          y.withUnsafeMutableBufferPointer { yp in
            for r in 0..<rows {
              for u in 0..<units {
                var acc: Float = x[2]?[u] ?? 0
                for k in 0..<depth { acc += xp[r * depth + k] * wp[u * depth + k] }
                yp[r * units + u] = acc
              }
            }
          }
        }
      }
      return y
    case .batchMatMul(_, let adjY):
      let a = shape(op, 0)
      let b = shape(op, 1)
      let m = a[a.count - 2]
      let k = a[a.count - 1]
      let n = adjY ? b[b.count - 2] : b[b.count - 1]
      let batches = a.dropLast(2).reduce(1, *)
      var y = [Float](repeating: 0, count: batches * m * n)
      for bt in 0..<batches {
        for i in 0..<m {
          for j in 0..<n {
            var acc: Float = 0
            for t in 0..<k {
              let bv = adjY ? x1[bt * n * k + j * k + t] : x1[bt * k * n + t * n + j]
              acc += x0[bt * m * k + i * k + t] * bv
            }
            y[bt * m * n + i * n + j] = acc
          }
        }
      }
      return y
    case .add: return broadcast(op, x, out.shape, +)
    case .sub: return broadcast(op, x, out.shape, -)
    case .mul: return broadcast(op, x, out.shape, *)
    case .squaredDifference: return broadcast(op, x, out.shape) { ($0 - $1) * ($0 - $1) }
    case .rsqrt: return v(0).map { 1 / $0.squareRoot() }
    case .logistic: return v(0).map { 1 / (1 + exp(-$0)) }
    case .softmax:
      let n = shape(op, 0).last ?? 1
      var y = v(0)
      for r in 0..<(y.count / n) {
        let row = y[(r * n)..<(r * n + n)]
        let mx = row.max() ?? 0
        let e = row.map { exp($0 - mx) }
        let s = e.reduce(0, +)
        for j in 0..<n { y[r * n + j] = e[j] / s }
      }
      return y
    case .mean:
      let s = shape(op, 0)
      var axes = Set(v(1).map { Int($0) }.map { $0 < 0 ? $0 + s.count : $0 })
      if axes.isEmpty { axes = [s.count - 1] }
      return reduceMean(v(0), s, axes)
    case .averagePool2D:
      let s = shape(op, 0)
      return reduceMean(v(0), s, [1, 2])
    case .maxPool2D(let o):
      let s = shape(op, 0)
      let gh = o.padding.geometry(input: s[1], filter: o.filterH, stride: o.strideH)
      let gw = o.padding.geometry(input: s[2], filter: o.filterW, stride: o.strideW)
      var y = [Float](repeating: 0, count: out.elementCount)
      for oh in 0..<gh.output {
        for ow in 0..<gw.output {
          for c in 0..<s[3] {
            var m = -Float.infinity
            for kh in 0..<o.filterH {
              for kw in 0..<o.filterW {
                let ih = oh * o.strideH - gh.padBefore + kh
                let iw = ow * o.strideW - gw.padBefore + kw
                if ih >= 0, ih < s[1], iw >= 0, iw < s[2] { m = max(m, x0[(ih * s[2] + iw) * s[3] + c]) }
              }
            }
            y[(oh * gw.output + ow) * s[3] + c] = m
          }
        }
      }
      return y
    case .pad:
      let s = shape(op, 0)
      let p = v(1).map { Int($0) }
      var y = [Float](repeating: 0, count: out.elementCount)
      let os = out.shape
      for h in 0..<s[1] {
        for w in 0..<s[2] {
          for c in 0..<s[3] {
            y[((h + p[2]) * os[2] + (w + p[4])) * os[3] + c + p[6]] = x0[(h * s[2] + w) * s[3] + c]
          }
        }
      }
      return y
    case .reshape, .squeeze:
      return v(0)
    case .transpose:
      let s = shape(op, 0)
      let perm = v(1).map { Int($0) }
      let os = perm.map { s[$0] }
      let inStrides = strides(s)
      var y = [Float](repeating: 0, count: out.elementCount)
      var index = [Int](repeating: 0, count: os.count)
      for i in 0..<y.count {
        var r = i
        for d in stride(from: os.count - 1, through: 0, by: -1) {
          index[d] = r % os[d]
          r /= os[d]
        }
        var src = 0
        for d in 0..<os.count { src += index[d] * inStrides[perm[d]] }
        y[i] = x0[src]
      }
      return y
    default:
      preconditionFailure("float reference does not implement \(op.kind.tfliteName)")
    }
  }

  private func strides(_ s: [Int]) -> [Int] {
    var st = [Int](repeating: 1, count: s.count)
    for d in stride(from: s.count - 2, through: 0, by: -1) { st[d] = st[d + 1] * s[d + 1] }
    return st
  }

  private func reduceMean(_ x: [Float], _ s: [Int], _ axes: Set<Int>) -> [Float] {
    let keep = s.enumerated().map { axes.contains($0.offset) ? 1 : $0.element }
    let ks = strides(keep)
    var sums = [Float](repeating: 0, count: keep.reduce(1, *))
    let n = Float(s.enumerated().filter { axes.contains($0.offset) }.map(\.element).reduce(1, *))
    var index = [Int](repeating: 0, count: s.count)
    for i in 0..<x.count {
      var r = i
      for d in stride(from: s.count - 1, through: 0, by: -1) {
        index[d] = r % s[d]
        r /= s[d]
      }
      var o = 0
      for d in 0..<s.count where !axes.contains(d) { o += index[d] * ks[d] }
      sums[o] += x[i]
    }
    return sums.map { $0 / n }
  }

  private func broadcast(_ op: Operator, _ x: [[Float]?], _ os: [Int], _ f: (Float, Float) -> Float) -> [Float] {
    let a = shape(op, 0)
    let b = shape(op, 1)
    func aligned(_ s: [Int]) -> [Int] { Array(repeating: 1, count: os.count - s.count) + s }
    let aa = aligned(a)
    let bb = aligned(b)
    let sa = strides(aa)
    let sb = strides(bb)
    guard let xa = x[0], let xb = x[1] else { preconditionFailure("\(op.kind.tfliteName): operand not computed") }
    var y = [Float](repeating: 0, count: os.reduce(1, *))
    var index = [Int](repeating: 0, count: os.count)
    for i in 0..<y.count {
      var r = i
      for d in stride(from: os.count - 1, through: 0, by: -1) {
        index[d] = r % os[d]
        r /= os[d]
      }
      var ia = 0
      var ib = 0
      for d in 0..<os.count {
        if aa[d] != 1 { ia += index[d] * sa[d] }
        if bb[d] != 1 { ib += index[d] * sb[d] }
      }
      y[i] = f(xa[ia], xb[ib])
    }
    return y
  }

  func conv(
    _ x: [Float], _ xs: [Int], _ w: [Float], _ ws: [Int], _ bias: [Float]?, _ os: [Int], _ sh: Int, _ sw: Int,
    _ padding: Padding, depthwise: Bool
  ) -> [Float] {
    let gh = padding.geometry(input: xs[1], filter: ws[1], stride: sh)
    let gw = padding.geometry(input: xs[2], filter: ws[2], stride: sw)
    let cin = xs[3]
    let cout = os[3]
    var y = [Float](repeating: 0, count: os.reduce(1, *))
    x.withUnsafeBufferPointer { xp in
      w.withUnsafeBufferPointer { wp in
        y.withUnsafeMutableBufferPointer { yp in
          for oh in 0..<os[1] {
            for ow in 0..<os[2] {
              let ob = (oh * os[2] + ow) * cout
              for co in 0..<cout { yp[ob + co] = bias?[co] ?? 0 }
              for kh in 0..<ws[1] {
                let ih = oh * sh - gh.padBefore + kh
                guard ih >= 0, ih < xs[1] else { continue }
                for kw in 0..<ws[2] {
                  let iw = ow * sw - gw.padBefore + kw
                  guard iw >= 0, iw < xs[2] else { continue }
                  let ib = (ih * xs[2] + iw) * cin
                  if depthwise {
                    let wb = (kh * ws[2] + kw) * cout
                    for c in 0..<cout { yp[ob + c] += xp[ib + c] * wp[wb + c] }
                  } else {
                    for co in 0..<cout {
                      let wb = ((co * ws[1] + kh) * ws[2] + kw) * cin
                      var acc: Float = 0
                      for ci in 0..<cin { acc += xp[ib + ci] * wp[wb + ci] }
                      yp[ob + co] += acc
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
    return y
  }
}
