import GraphIR
import Support
import Testing

@testable import GoldenModel

/// Straightforward integer loops with TFLite's reference semantics: `Σ w · (x − x_zp)` over
/// in-image taps in `Int64` (whose low 32 bits are TFLite's wrapping `int32` sum), then the int8
/// requantization of `reference_integer_ops`, one element at a time.
enum IntegerReference {
  static func conv(
    _ x: [Int8], _ xs: [Int], zeroPoint: Int32, _ w: [Int8], _ ws: [Int], _ g: WindowGeometry
  ) -> [Int32] {
    let groups = xs[3] / ws[3]
    let perGroup = g.outC / groups
    var acc: [Int32] = []
    for b in 0..<g.batches {
      for oy in 0..<g.outH {
        for ox in 0..<g.outW {
          for oc in 0..<g.outC {
            let group = oc / perGroup
            var s: Int64 = 0
            for ky in 0..<ws[1] {
              for kx in 0..<ws[2] {
                let iy = oy * g.strideH - g.padTop + ky * g.dilationH
                let ix = ox * g.strideW - g.padLeft + kx * g.dilationW
                guard iy >= 0, iy < xs[1], ix >= 0, ix < xs[2] else { continue }
                for ic in 0..<ws[3] {
                  let xv = Int64(x[((b * xs[1] + iy) * xs[2] + ix) * xs[3] + group * ws[3] + ic]) - Int64(zeroPoint)
                  s += xv * Int64(w[((oc * ws[1] + ky) * ws[2] + kx) * ws[3] + ic])
                }
              }
            }
            acc.append(Int32(truncatingIfNeeded: s))
          }
        }
      }
    }
    return acc
  }

  static func depthwise(
    _ x: [Int8], _ xs: [Int], zeroPoint: Int32, _ w: [Int8], _ ws: [Int], _ g: WindowGeometry
  ) -> [Int32] {
    let multiplier = ws[3] / xs[3]
    var acc: [Int32] = []
    for b in 0..<g.batches {
      for oy in 0..<g.outH {
        for ox in 0..<g.outW {
          for oc in 0..<g.outC {
            var s: Int64 = 0
            for ky in 0..<ws[1] {
              for kx in 0..<ws[2] {
                let iy = oy * g.strideH - g.padTop + ky * g.dilationH
                let ix = ox * g.strideW - g.padLeft + kx * g.dilationW
                guard iy >= 0, iy < xs[1], ix >= 0, ix < xs[2] else { continue }
                let xv = Int64(x[((b * xs[1] + iy) * xs[2] + ix) * xs[3] + oc / multiplier]) - Int64(zeroPoint)
                s += xv * Int64(w[(ky * ws[2] + kx) * ws[3] + oc])
              }
            }
            acc.append(Int32(truncatingIfNeeded: s))
          }
        }
      }
    }
    return acc
  }

  /// `Σ_d (x[r, d] + xOffset) · (w[u, d] + wOffset)`.
  static func matrix(
    _ x: [Int8], xOffset: Int32, _ w: [Int8], wOffset: Int32, rows: Int, units: Int, depth: Int
  ) -> [Int32] {
    var acc: [Int32] = []
    for r in 0..<rows {
      for u in 0..<units {
        var s: Int64 = 0
        for d in 0..<depth {
          s += (Int64(x[r * depth + d]) + Int64(xOffset)) * (Int64(w[u * depth + d]) + Int64(wOffset))
        }
        acc.append(Int32(truncatingIfNeeded: s))
      }
    }
    return acc
  }

  /// `clamp(MultiplyByQuantizedMultiplier(acc + bias[c], m[c], shift[c]) + zp)` per element.
  static func requantize(
    _ acc: [Int32], bias: [Int32], multiplier: [Int32], shift: [Int], zeroPoint: Int32, range: ClosedRange<Int32>
  ) -> [Int8] {
    let channels = bias.count
    return acc.enumerated().map { i, a in
      let c = i % channels
      let r = FixedPoint.multiplyByQuantizedMultiplier(a &+ bias[c], multiplier[c], shift[c]) &+ zeroPoint
      return Int8(min(max(r, range.lowerBound), range.upperBound))
    }
  }
}

/// Random operands and parameters at and near the extremes.
struct FastPathCase {
  var rng: SeededGenerator

  mutating func int(_ r: ClosedRange<Int>) -> Int { .random(in: r, using: &rng) }
  mutating func pick<T>(_ values: [T]) -> T { values.randomElement(using: &rng)! }

  /// int8 values, a quarter of them at −128 or 127.
  mutating func int8s(_ count: Int) -> [Int8] {
    (0..<count).map { _ in
      switch int(0...7) {
      case 0: -128
      case 1: 127
      default: .random(in: -128...127, using: &rng)
      }
    }
  }

  /// A zero point: an extreme, zero, or random.
  mutating func zeroPoint() -> Int32 { pick([-128, 127, 0, Int32(int(-128...127))]) }

  /// An epilogue for `channels` channels: random biases (some at the int32 extremes),
  /// multipliers from scales below and above 1 (both shift signs), random output zero point and
  /// a full or narrowed clamp range.
  mutating func epilogue(channels: Int) -> ConvInt8Epilogue {
    var bias: [Int32] = []
    var multiplier: [Int32] = []
    var shift: [Int] = []
    for _ in 0..<channels {
      bias.append(pick([Int32.min, .max, 0, Int32(int(-100_000...100_000))]))
      let scale = pick([Double.random(in: 0.00001...0.01, using: &rng), .random(in: 0.01...1.5, using: &rng), 3.75, 0])
      let q = FixedPoint.quantizeMultiplier(scale)
      multiplier.append(q.multiplier)
      shift.append(q.shift)
    }
    let range: ClosedRange<Int32> = pick([-128...127, 0...127, -20...60])
    return ConvInt8Epilogue(
      bias: bias, multiplier: multiplier, shift: shift, outputZeroPoint: Int32(int(-128...127)), range: range)
  }
}

extension ConvInt8Epilogue {
  /// The epilogue applied by the reference's scalar loop.
  func reference(_ acc: [Int32], parameters p: (bias: [Int32], multiplier: [Int32], shift: [Int])) -> [Int8] {
    IntegerReference.requantize(
      acc, bias: p.bias, multiplier: p.multiplier, shift: p.shift, zeroPoint: outputZeroPoint, range: range)
  }
}

@Suite("int8 fast paths against straightforward loops")
struct Int8FastPathTests {
  /// Worker counts tried (1: serial; the others split even tiny outputs: threshold 1 MAC).
  static let workerCounts = [1, 2, 3, 5]

  @Test("CONV_2D: odd channel counts, groups, padding, strides, dilations, extreme zero points; every worker count")
  func convolutionSweep() {
    var t = FastPathCase(rng: SeededGenerator(seed: 2024))
    for trial in 0..<160 {
      let groups = t.pick([1, 1, 1, 2, 3])
      let depth = t.pick([1, 2, 3, 5, 7, 8, 9, 16, 17, 33])
      let perGroup = t.pick([1, 2, 3, 4, 5, 7, 9, 12])
      let fh = t.int(1...3)
      let fw = t.pick([1, 2, 3, 5])
      let xs = [t.int(1...2), t.int(1...8), t.int(1...8), depth * groups]
      let ws = [perGroup * groups, fh, fw, depth]
      let g = WindowGeometry(
        input: xs, outputChannels: ws[0], filterH: fh, filterW: fw, strideH: t.int(1...3), strideW: t.int(1...3),
        dilationH: t.int(1...2), dilationW: t.int(1...2), padding: t.pick([.same, .valid]))
      guard g.outH > 0, g.outW > 0 else { continue }
      let x = t.int8s(xs.reduce(1, *))
      let w = t.int8s(ws.reduce(1, *))
      let zp = t.zeroPoint()
      let e = t.epilogue(channels: ws[0])
      let want = e.reference(
        IntegerReference.conv(x, xs, zeroPoint: zp, w, ws, g), parameters: e.parameters)
      for workers in Self.workerCounts {
        let got = Kernels.convInt8(
          input: x, inputZeroPoint: zp, filter: w, ConvShape(geometry: g, filterDepth: depth, groups: groups),
          epilogue: e, workers: workers, minimumWorkPerPart: 1)
        #expect(got == want, "trial \(trial): x \(xs) w \(ws) groups \(groups) \(g) zp \(zp), \(workers) workers")
      }
    }
  }

  @Test("CONV_2D: K and pixel counts that cross the GEMM's row blocks and register tiles")
  func convolutionBlocks() {
    var t = FastPathCase(rng: SeededGenerator(seed: 77))
    // K = 9 · 700 = 6300 values: rows of 788 vectors, so a block holds 7 rows (an odd count);
    // 1×1 convolutions over 131 pixels fill two blocks of 64 and a remainder of 3.
    for (xs, ws, stride) in [
      ([1, 4, 5, 700], [6, 3, 3, 700], 1), ([1, 131, 1, 24], [9, 1, 1, 24], 1), ([2, 11, 13, 5], [13, 1, 1, 5], 1),
      ([1, 17, 9, 64], [5, 3, 3, 64], 2),
    ] {
      let g = WindowGeometry(
        input: xs, outputChannels: ws[0], filterH: ws[1], filterW: ws[2], strideH: stride, strideW: stride,
        dilationH: 1, dilationW: 1, padding: .same)
      let x = t.int8s(xs.reduce(1, *))
      let w = t.int8s(ws.reduce(1, *))
      let zp = t.zeroPoint()
      let e = t.epilogue(channels: ws[0])
      let want = e.reference(IntegerReference.conv(x, xs, zeroPoint: zp, w, ws, g), parameters: e.parameters)
      for workers in Self.workerCounts {
        let got = Kernels.convInt8(
          input: x, inputZeroPoint: zp, filter: w, ConvShape(geometry: g, filterDepth: ws[3], groups: 1),
          epilogue: e, workers: workers, minimumWorkPerPart: 1)
        #expect(got == want, "x \(xs) w \(ws), \(workers) workers")
      }
    }
  }

  @Test("DEPTHWISE_CONV_2D: channel counts off the vector width, depth multipliers 1–4, padding, strides, dilations")
  func depthwiseSweep() {
    var t = FastPathCase(rng: SeededGenerator(seed: 5150))
    for trial in 0..<160 {
      let channels = t.pick([1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 24])
      let multiplier = t.pick([1, 1, 2, 3, 4])
      let fh = t.int(1...3)
      let fw = t.int(1...3)
      let xs = [t.int(1...2), t.int(1...8), t.int(1...8), channels]
      let ws = [1, fh, fw, channels * multiplier]
      let g = WindowGeometry(
        input: xs, outputChannels: ws[3], filterH: fh, filterW: fw, strideH: t.int(1...3), strideW: t.int(1...3),
        dilationH: t.int(1...2), dilationW: t.int(1...2), padding: t.pick([.same, .valid]))
      guard g.outH > 0, g.outW > 0 else { continue }
      let x = t.int8s(xs.reduce(1, *))
      let w = t.int8s(ws.reduce(1, *))
      let zp = t.zeroPoint()
      let e = t.epilogue(channels: ws[3])
      let want = e.reference(IntegerReference.depthwise(x, xs, zeroPoint: zp, w, ws, g), parameters: e.parameters)
      for workers in Self.workerCounts {
        let got = Kernels.depthwiseInt8(
          input: x, inputZeroPoint: zp, filter: w, g, multiplier: multiplier, epilogue: e, workers: workers,
          minimumWorkPerPart: 1)
        #expect(got == want, "trial \(trial): x \(xs) w \(ws) \(g) zp \(zp), \(workers) workers")
      }
    }
  }

  @Test("FULLY_CONNECTED: depths off the vector width, few and many rows, per-tensor weight zero points at the extremes")
  func fullyConnectedSweep() {
    var t = FastPathCase(rng: SeededGenerator(seed: 31))
    for trial in 0..<120 {
      let rows = t.pick([1, 1, 2, 3, 5, 9, 17])
      let depth = t.pick([1, 3, 7, 8, 9, 15, 16, 31, 40, 100])
      let units = t.pick([1, 2, 3, 4, 5, 7, 13, 21])
      let x = t.int8s(rows * depth)
      let w = t.int8s(units * depth)
      let xOffset = -t.zeroPoint()
      let wOffset = t.pick([Int32(0), 128, -127, Int32(t.int(-127...128))])
      let want = IntegerReference.matrix(
        x, xOffset: xOffset, w, wOffset: wOffset, rows: rows, units: units, depth: depth)
      for workers in Self.workerCounts {
        let got = Kernels.fullyConnectedInt8(
          input: x, inputOffset: xOffset, weights: w, weightOffset: wOffset,
          MatMulShape(rows: rows, cols: units, depth: depth), workers: workers, minimumWorkPerPart: 1)
        #expect(got == want, "trial \(trial): \(rows)×\(depth) by \(units), offsets \(xOffset) \(wOffset), \(workers) workers")
      }
    }
  }

  @Test("BATCH_MATMUL: adjoints, broadcast batches, odd shapes and zero points")
  func batchMatMulSweep() throws {
    var t = FastPathCase(rng: SeededGenerator(seed: 8))
    for trial in 0..<80 {
      let a = t.int(1...9)
      let k = t.pick([1, 5, 8, 9, 23])
      let c = t.int(1...9)
      let adjX = Bool.random(using: &t.rng)
      let adjY = Bool.random(using: &t.rng)
      let (xb, yb) = t.pick([([Int](), [Int]()), ([3], [1]), ([1], [2]), ([2, 1], [3])])
      let xShape = xb + (adjX ? [k, a] : [a, k])
      let yShape = yb + (adjY ? [c, k] : [k, c])
      let x = t.int8s(xShape.reduce(1, *))
      let y = t.int8s(yShape.reduce(1, *))
      let xOffset = -t.zeroPoint()
      let yOffset = -t.zeroPoint()
      let plan = try Self.plan(xShape, yShape, adjX, adjY)
      let want = Kernels.batchMatMulAccumulate(
        x.map { Int32($0) + xOffset }, y.map { Int32($0) + yOffset }, plan
      ).map { Int32(truncatingIfNeeded: $0) }
      for workers in Self.workerCounts {
        let got = Kernels.batchMatMulInt8(
          x, aOffset: xOffset, y, bOffset: yOffset, plan, workers: workers, minimumWorkPerPart: 1)
        #expect(got == want, "trial \(trial): \(xShape) adj \(adjX) × \(yShape) adj \(adjY), \(workers) workers")
      }
    }
  }

  @Test("epilogue lanes equal MultiplyByQuantizedMultiplier at the extremes of accumulator, bias, multiplier and shift")
  func epilogueExtremes() {
    var t = FastPathCase(rng: SeededGenerator(seed: 99))
    let multipliers: [Int32] = [0, 1, 1 << 30, (1 << 30) + 1, .max, -1, -(1 << 30), .min]
    let accumulators: [Int32] = [.min, .min + 1, -(1 << 30), -65_536, -129, -1, 0, 1, 127, 65_535, 1 << 30, .max - 1, .max]
    // −31...30 take the vector lanes; 31 and 45 (no `QuantizeMultiplier` result) the scalar loop.
    for shift in Array(-31...30) + [31, 45] {
      let channels = t.int(1...11)
      let bias = (0..<channels).map { _ in t.pick([Int32.min, .max, 0, -1, 1, Int32(t.int(-1000...1000))]) }
      let multiplier = (0..<channels).map { _ in t.pick(multipliers) }
      let shifts = (0..<channels).map { _ in t.pick([shift, shift, t.int(-31...30)]) }
      let range: ClosedRange<Int32> = t.pick([-128...127, -3...90])
      let e = ConvInt8Epilogue(
        bias: bias, multiplier: multiplier, shift: shifts, outputZeroPoint: Int32(t.int(-128...127)), range: range)
      let pixels = 7
      let acc = (0..<pixels * channels).map { _ in t.pick(accumulators + [Int32.random(in: .min ... .max, using: &t.rng)]) }
      let want = e.reference(acc, parameters: e.parameters)
      var got = [Int8](repeating: 0, count: acc.count)
      acc.withUnsafeBufferPointer { a in
        got.withUnsafeMutableBufferPointer { o in
          for p in 0..<pixels {
            e.requantize(a.baseAddress! + p * channels, count: channels, firstChannel: 0, into: o.baseAddress! + p * channels)
          }
        }
      }
      #expect(got == want, "shift \(shift): \(shifts) \(multiplier)")
      // A block starting at channel 1 (unaligned to the lanes) and one of the last channels.
      if channels > 1 {
        var tail = [Int8](repeating: 0, count: channels - 1)
        acc.withUnsafeBufferPointer { a in
          tail.withUnsafeMutableBufferPointer { o in
            e.requantize(a.baseAddress! + 1, count: channels - 1, firstChannel: 1, into: o.baseAddress!)
          }
        }
        #expect(tail == Array(want[1..<channels]), "shift \(shift), from channel 1")
      }
    }
  }

  @Test("GEMM parts cover every output once, contiguous, at most `workers` of them", arguments: [1, 2, 3, 4, 7])
  func partsCoverOutputs(workers: Int) {
    for (m, n) in [(0, 5), (1, 1), (1, 1000), (2, 3), (7, 64), (49, 512), (100, 4), (12544, 64), (3, 2)] {
      let cuts = Int8GEMM.parts(rows: m, columns: n, depth: 64, workers: workers, minimumWorkPerPart: 1)
      #expect(cuts.count <= max(workers, 1))
      var covered = [Int](repeating: 0, count: m * n)
      for cut in cuts {
        for r in cut.rows { for c in cut.columns { covered[r * n + c] += 1 } }
      }
      #expect(covered.allSatisfy { $0 == 1 }, "\(m)×\(n) on \(workers): \(cuts)")
    }
  }

  /// A BATCH_MATMUL plan through a one-operator graph's context.
  static func plan(_ x: [Int], _ y: [Int], _ adjX: Bool, _ adjY: Bool) throws -> BatchMatMulPlan {
    let tensors = [
      Tensor(name: "x", shape: x, elementType: .int8), Tensor(name: "y", shape: y, elementType: .int8),
      Tensor(name: "z", shape: [], elementType: .int8),
    ]
    let graph = Graph(
      name: "plan", tensors: tensors,
      operators: [Operator(kind: .batchMatMul(adjointX: adjX, adjointY: adjY), inputs: [TensorID(0), TensorID(1)], outputs: [TensorID(2)])],
      inputs: [], outputs: [TensorID(2)])
    let c = KernelContext(graph: graph, op: graph.operators[0], index: 0, values: [])
    return try BatchMatMulPlan(c, x: x, y: y, adjointX: adjX, adjointY: adjY, output: nil)
  }
}

@Suite("int8 matrix ops through the interpreter on any thread count")
struct Int8ThreadCountTests {
  typealias F = MatrixFixtures

  /// Runs a one-operator graph on `workers` threads.
  static func run(_ kind: OpKind, _ inputs: [Tensor?], output: Tensor, workers: Int) throws -> TensorData {
    var tensors: [Tensor] = []
    var ids: [TensorID?] = []
    for t in inputs {
      if let t {
        tensors.append(t)
        ids.append(TensorID(tensors.count - 1))
      } else {
        ids.append(nil)
      }
    }
    tensors.append(output)
    let out = TensorID(tensors.count - 1)
    let graph = Graph(
      name: "test", tensors: tensors, operators: [Operator(kind: kind, inputs: ids, outputs: [out])], inputs: [],
      outputs: [out])
    var interpreter = Interpreter(model: Model(source: "test", graphs: [graph]))
    interpreter.workers = workers
    return try interpreter.invoke([])[0]
  }

  @Test("CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED large enough to split: 1, 2 and 4 threads give the reference bytes")
  func splitOutputsAreIdentical() throws {
    var t = FastPathCase(rng: SeededGenerator(seed: 4))
    // CONV_2D 3×3, 24 → 20 channels on 2×23×21 pixels (≈ 4 M MACs: several parts).
    let xs = [2, 23, 21, 24]
    let x = t.int8s(xs.reduce(1, *))
    let w = t.int8s(20 * 3 * 3 * 24)
    let scales = (0..<20).map { _ in Float.random(in: 0.001...0.05, using: &t.rng) }
    let bias = (0..<20).map { _ in Int32(t.int(-5000...5000)) }
    let conv = Conv2DOptions(padding: .same, strideH: 1, strideW: 1, activation: .relu)
    let inputs: [Tensor?] = [
      F.int8(xs, x, scale: 0.5, zeroPoint: -7), F.weights([20, 3, 3, 24], w, scales: scales), F.int32Bias(bias),
    ]
    let output = F.output([2, 23, 21, 20], .int8, scale: 0.8, zeroPoint: 3)
    let serial = try Self.run(.conv2D(conv), inputs, output: output, workers: 1)
    let g = WindowGeometry(
      input: xs, outputChannels: 20, filterH: 3, filterW: 3, strideH: 1, strideW: 1, dilationH: 1, dilationW: 1,
      padding: .same)
    let multipliers = Requantize.convolutionMultipliers(inputScale: 0.5, filterScales: scales, outputScale: 0.8, channels: 20)
    let want = IntegerReference.requantize(
      IntegerReference.conv(x, xs, zeroPoint: -7, w, [20, 3, 3, 24], g), bias: bias,
      multiplier: multipliers.map(\.multiplier), shift: multipliers.map(\.shift), zeroPoint: 3, range: 3...127)
    #expect(F.int8Values(serial) == want)
    for workers in [2, 4] {
      #expect(try Self.run(.conv2D(conv), inputs, output: output, workers: workers) == serial)
    }

    // DEPTHWISE_CONV_2D with depth multiplier 2 over the same input.
    let dw = t.int8s(3 * 3 * 48)
    let dwScales = (0..<48).map { _ in Float.random(in: 0.001...0.05, using: &t.rng) }
    let dwOptions = DepthwiseConv2DOptions(padding: .valid, strideH: 2, strideW: 1, depthMultiplier: 2)
    let dwInputs: [Tensor?] = [F.int8(xs, x, scale: 0.5, zeroPoint: 127), F.weights([1, 3, 3, 48], dw, scales: dwScales, axis: 3), nil]
    let dwOutput = F.output([2, 11, 19, 48], .int8, scale: 0.3, zeroPoint: -128)
    let dwSerial = try Self.run(.depthwiseConv2D(dwOptions), dwInputs, output: dwOutput, workers: 1)
    for workers in [2, 4] {
      #expect(try Self.run(.depthwiseConv2D(dwOptions), dwInputs, output: dwOutput, workers: workers) == dwSerial)
    }

    // FULLY_CONNECTED, one row (split by units) and 40 rows (split by rows).
    for rows in [1, 40] {
      let fx = t.int8s(rows * 600)
      let fw = t.int8s(700 * 600)
      let fcInputs: [Tensor?] = [
        F.int8([rows, 600], fx, scale: 0.25, zeroPoint: -128),
        Tensor(
          name: "w", shape: [700, 600], elementType: .int8,
          quantization: QuantizationParameters(scale: 0.01, zeroPoint: 0),
          data: TensorData(shape: [700, 600], storage: .int8(fw))),
        nil,
      ]
      let fcOutput = F.output([rows, 700], .int8, scale: 2, zeroPoint: 5)
      let fcSerial = try Self.run(.fullyConnected(FullyConnectedOptions()), fcInputs, output: fcOutput, workers: 1)
      for workers in [2, 4] {
        #expect(try Self.run(.fullyConnected(FullyConnectedOptions()), fcInputs, output: fcOutput, workers: workers) == fcSerial)
      }
    }
  }
}

@Suite("int8 ADD and SUB on large tensors")
struct LargeInt8BinaryTests {
  typealias F = MatrixFixtures

  /// `op` on int8 operands of one shape through the interpreter.
  static func run(_ kind: OpKind, _ a: [Int8], _ b: [Int8], scales: (Float, Float, Float), zeroPoints: (Int64, Int64, Int64))
    throws -> [Int8]
  {
    let shape = [1, a.count]
    let out = try F.run(
      kind,
      [
        F.int8(shape, a, scale: scales.0, zeroPoint: zeroPoints.0, name: "a"),
        F.int8(shape, b, scale: scales.1, zeroPoint: zeroPoints.1, name: "b"),
      ],
      output: F.output(shape, .int8, scale: scales.2, zeroPoint: zeroPoints.2))
    return F.int8Values(out)
  }

  @Test("the table over all input pairs equals element-by-element evaluation (runs below 65,536 elements)", arguments: [
    OpKind.add(activation: .none), .add(activation: .relu6), .sub(activation: .none), .sub(activation: .relu),
  ])
  func tableEqualsElementwise(_ kind: OpKind) throws {
    var t = FastPathCase(rng: SeededGenerator(seed: 12))
    let n = 70_000
    let a = t.int8s(n)
    let b = t.int8s(n)
    let scales: (Float, Float, Float) = (0.05, 0.11, 0.09)
    let zeroPoints: (Int64, Int64, Int64) = (-128, 17, 127)
    let whole = try Self.run(kind, a, b, scales: scales, zeroPoints: zeroPoints)
    let cut = 35_000
    let parts =
      try Self.run(kind, Array(a[..<cut]), Array(b[..<cut]), scales: scales, zeroPoints: zeroPoints)
      + Self.run(kind, Array(a[cut...]), Array(b[cut...]), scales: scales, zeroPoints: zeroPoints)
    #expect(whole == parts)
  }
}

