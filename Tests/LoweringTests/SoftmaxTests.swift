import Architecture
import Foundation
import GoldenModel
import GraphIR
import Support
import Testing
import TileISA

@testable import Lowering

/// int8 SOFTMAX on the vector unit (`vsoftmax`): the instruction with the compiler's parameters
/// equals the golden model's TFLite reference kernel on seeded and exhaustive cases, including
/// rows whose exponentials sum past TFLite's limit (both fail); compiled models stay bit-exact
/// on every preset; the mapping report says where SOFTMAX runs and why.
@Suite struct SoftmaxTests {
  /// The golden model's SOFTMAX of `values` (shape `[rows, depth]`), or nil when it throws.
  static func golden(_ values: [Int8], rows: Int, depth: Int, beta: Float, scale: Float, zeroPoint: Int8) -> [Int8]? {
    var g = GraphBuilder(seed: 1)
    let x = g.activation("x", [rows, depth], scale: scale, zeroPoint: Int64(zeroPoint))
    let y = g.activation("y", [rows, depth], scale: 1.0 / 256, zeroPoint: -128)
    g.op(.softmax(beta: beta), [x], [y])
    var interpreter = Interpreter(model: g.model("softmax", inputs: [x], outputs: [y]))
    guard let out = try? interpreter.invoke([TensorData(shape: [rows, depth], storage: .int8(values))]),
      case .int8(let v) = out[0].storage
    else { return nil }
    return v
  }

  /// `vsoftmax` with the compiler's parameters on a machine whose unified buffer holds the input
  /// at 0 and the output after it; nil when the instruction faults (the buffer is then checked
  /// to be unchanged).
  static func vector(_ values: [Int8], rows: Int, depth: Int, beta: Float, scale: Float) throws -> [Int8]? {
    guard let p = TFLiteQuantization.softmax(beta: beta, inputScale: scale) else {
      Issue.record("no parameters for β \(beta), scale \(scale)")
      return nil
    }
    let n = rows * depth
    let limits = MemoryLimits(
      unifiedBuffer: ByteCount(2 * n), weightBuffer: ByteCount(64), accumulatorRows: 4, arrayRows: 4, arrayColumns: 4)
    var m = try MachineState(limits: limits, datapath: .int8, dramSize: ByteCount(64))
    for (i, v) in values.enumerated() { m.unifiedBuffer[i] = UInt8(bitPattern: v) }
    for i in n..<2 * n { m.unifiedBuffer[i] = 0x5A }
    let before = m.unifiedBuffer
    let o = UnaryOperands(
      source: VectorView(address: SRAMAddress(0), outerStrideBytes: depth),
      output: VectorView(address: SRAMAddress(n), outerStrideBytes: depth), outer: rows, inner: depth)
    do {
      try execute(Instruction(.vector(.softmax(o, p))), on: &m, host: NoHostExecutor())
    } catch {
      #expect(error.kind == .execution, "\(error)")
      #expect(m.unifiedBuffer == before, "a faulting vsoftmax wrote the unified buffer")
      return nil
    }
    return (n..<2 * n).map { Int8(bitPattern: m.unifiedBuffer[$0]) }
  }

  /// Rows drawn three ways: uniform int8, clustered near the maximum (many equal maxima, large
  /// sums), and spread over a narrow band.
  static func row(_ depth: Int, style: Int, _ rng: inout SeededGenerator) -> [Int8] {
    switch style {
    case 0: return (0..<depth).map { _ in Int8.random(in: .min ... .max, using: &rng) }
    case 1:
      let top = Int.random(in: -100...127, using: &rng)
      return (0..<depth).map { _ in Int8(max(-128, top - Int.random(in: 0...2, using: &rng))) }
    default:
      let centre = Int.random(in: -100...100, using: &rng)
      return (0..<depth).map { _ in Int8(max(-128, min(127, centre + Int.random(in: -20...20, using: &rng)))) }
    }
  }

  @Test("vsoftmax equals the golden model's SOFTMAX on seeded cases, depth 1…1001")
  func executorMatchesGoldenModel() throws {
    var rng = SeededGenerator(seed: 13)
    let depths = [1, 2, 3, 4, 5, 7, 8, 16, 31, 64, 100, 255, 256, 257, 511, 512, 513, 1000, 1001]
    let betas: [Float] = [0.1, 0.5, 1, 1.7, 5]
    var compared = 0
    var faults = 0
    for trial in 0..<240 {
      let depth = depths[trial % depths.count]
      let rows = Int.random(in: 1...3, using: &rng)
      let scale = Float(pow(10, Double.random(in: -2.5...0.3, using: &rng)))
      let zeroPoint = Int8.random(in: .min ... .max, using: &rng)
      let beta = betas[Int.random(in: 0..<betas.count, using: &rng)]
      let style = trial % 3
      let values = (0..<rows).flatMap { _ in Self.row(depth, style: style, &rng) }
      let want = Self.golden(values, rows: rows, depth: depth, beta: beta, scale: scale, zeroPoint: zeroPoint)
      let got = try Self.vector(values, rows: rows, depth: depth, beta: beta, scale: scale)
      #expect(
        got == want,
        "depth \(depth) rows \(rows) scale \(scale) zp \(zeroPoint) β \(beta) style \(style): vector \(got.map { "\($0.prefix(8))" } ?? "fault"), golden \(want.map { "\($0.prefix(8))" } ?? "throws")"
      )
      compared += 1
      if want == nil { faults += 1 }
    }
    // Both outcomes are exercised: ordinary rows and rows past TFLite's sum limit.
    #expect(faults > 0 && faults < compared / 2, "\(faults) of \(compared) cases faulted")
  }

  @Test("vsoftmax equals the golden model on every row of two and on every single-difference row of 1001")
  func exhaustiveSmallSpace() throws {
    // All 65,536 rows of depth 2, as one instruction, for several input scales and β.
    let pairs = (0..<65_536).flatMap { [Int8(truncatingIfNeeded: $0 >> 8), Int8(truncatingIfNeeded: $0)] }
    for (scale, beta) in [(Float(0.1), Float(1)), (0.02, 1), (0.25, 0.5), (1, 1), (0.003, 5)] {
      let want = Self.golden(pairs, rows: 65_536, depth: 2, beta: beta, scale: scale, zeroPoint: 0)
      let got = try Self.vector(pairs, rows: 65_536, depth: 2, beta: beta, scale: scale)
      #expect(want != nil && got == want, "scale \(scale) β \(beta)")
    }
    // Rows of 1001 at −128 with one element at every higher value: every difference, one row each.
    let rows = 256
    var values = [Int8](repeating: -128, count: rows * 1001)
    for r in 0..<rows { values[r * 1001 + r % 1001] = Int8(truncatingIfNeeded: r - 128) }
    for scale: Float in [0.05, 0.1, 0.5] {
      let want = Self.golden(values, rows: rows, depth: 1001, beta: 1, scale: scale, zeroPoint: -3)
      let got = try Self.vector(values, rows: rows, depth: 1001, beta: 1, scale: scale)
      #expect(got == want, "depth 1001, scale \(scale): golden \(want == nil ? "throws" : "ok")")
    }
  }

  /// A model of one int8 SOFTMAX with TFLite's fixed output quantization.
  static func model(_ shape: [Int], scale: Float = 0.08, zeroPoint: Int64 = 5, beta: Float = 1,
    output: (Float, Int64) = (1.0 / 256, -128)) -> Model {
    var g = GraphBuilder(seed: 3)
    let x = g.activation("logits", shape, scale: scale, zeroPoint: zeroPoint)
    let y = g.activation("probs", shape, scale: output.0, zeroPoint: output.1)
    g.op(.softmax(beta: beta), [x], [y])
    return g.model("softmax", inputs: [x], outputs: [y])
  }

  @Test("compiled SOFTMAX runs on the vector unit, bit-exact on every preset and on tight memories")
  func compiledModelsAreBitExact() throws {
    let archs = allPresets + oddArchs
    for (shape, beta) in [([1, 1001], Float(1)), ([4, 10], 0.5), ([2, 3, 7], 2), ([1, 1], 1), ([3, 64], 1)] {
      let model = Self.model(shape, beta: beta)
      for arch in archs {
        let (problems, compiled) = try compileAndCompare(
          model, on: arch, inputs: randomInputs(model, seed: 21), label: "SOFTMAX \(shape)")
        #expect(problems.isEmpty, "\(problems)")
        let op = compiled.report.operators[0]
        let rows = shape.dropLast().reduce(1, *)
        guard 2 * (shape.last ?? 0) <= Int(arch.ub.capacity.count) else {
          #expect(op.placement == .host, "\(arch.name) \(shape): \(op.reason)")
          continue
        }
        #expect(op.placement == .vectorUnit, "\(arch.name) \(shape): \(op.reason)")
        #expect(
          op.reason == "SOFTMAX: vsoftmax on the vector unit (\(rows) row\(rows == 1 ? "" : "s") of \(shape.last ?? 0))",
          "\(op.reason)")
      }
    }
  }

  @Test("SOFTMAX stays on the host when a row does not fit, the output is not (1/256, −128), or β·scale < 2^−26")
  func hostFallbacks() throws {
    let cramped = tinyArch("cramped", rows: 4, cols: 4, ub: 40, weights: 256, accumulatorRows: 4)
    let cases: [(Model, ArchSpec, String)] = [
      (
        Self.model([2, 21]), cramped,
        "SOFTMAX: a row of 21 elements needs 42 B of unified buffer (input and output); cramped has 40 B; runs on the host"
      ),
      (
        Self.model([1, 8], output: (1.0 / 128, 0)), .edgeTPU,
        "SOFTMAX: output quantization (0.0078125, 0) is not TFLite's int8 softmax output (1/256, −128); runs on the host"
      ),
    ]
    for (model, arch, reason) in cases {
      let (problems, compiled) = try compileAndCompare(model, on: arch, inputs: randomInputs(model, seed: 4), label: reason)
      #expect(problems.isEmpty, "\(problems)")
      #expect(compiled.report.operators[0].placement == .host)
      #expect(compiled.report.operators[0].reason == reason)
    }
    let tiny = try LoweringPipeline(arch: .edgeTPU).compile(Self.model([1, 8], scale: 1e-9, beta: 0.01)).report
    #expect(tiny.operators[0].placement == .host)
    #expect(tiny.operators[0].reason.hasSuffix("is below 2^−26 (TFLite rejects it); runs on the host"), "\(tiny.operators[0].reason)")
  }

  @Test("the compiler's SOFTMAX parameters are TFLite's: multiplier, shift and diff_min")
  func parameters() throws {
    // β · s = Float(0.1) → Double(Float(0.1)) · 2^26 ≈ 0.8 · 2^23: multiplier
    // round(Double(Float(0.1)) · 2^26 / 2^23 · 2^31), shift 23; diff_min = −⌊31 · 2^26 / 2^23⌋ = −248.
    let p = try #require(TFLiteQuantization.softmax(beta: 1, inputScale: 0.1))
    #expect(p.inputShift == 23)
    #expect(p.inputMultiplier == Int32((Double(Float(0.1)) * Double(Int64(1) << 34)).rounded()))
    #expect(p.diffMin == -248)
    #expect(p.outputRange == -128...127)
    // β · s ≥ 2^31 / 2^26 = 32 saturates to 2^31 − 1 (shift 31).
    #expect(TFLiteQuantization.softmax(beta: 1, inputScale: 64)?.inputShift == 31)
    #expect(TFLiteQuantization.softmax(beta: 1, inputScale: 1e-9) == nil)
  }
}
