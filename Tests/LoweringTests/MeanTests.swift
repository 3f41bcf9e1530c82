import Architecture
import Foundation
import GoldenModel
import GraphIR
import Support
import Testing
import TileISA

@testable import Lowering

/// int8 MEAN over axes [1, 2] on the vector unit (`vmean`): the instruction with the compiler's
/// parameters equals the golden model's TFLite reference kernel on seeded and exhaustive cases;
/// compiled models stay bit-exact on every preset, tiling over channels when an image does not
/// fit; the mapping report says where MEAN runs and why.
@Suite struct MeanTests {
  /// A model of one int8 MEAN over `axes` of `shape`.
  static func model(
    _ shape: [Int], axes: [Int32] = [1, 2], keepDims: Bool = false, input: (Float, Int64) = (0.05, 3),
    output: (Float, Int64) = (0.02, -7)
  ) -> Model {
    GraphBuilder.reductionModel(
      "mean", OpKind.mean, shape, axes: axes, keepDims: keepDims, input: input, output: output,
      names: ("features", "pooled"), seed: 5)
  }

  /// The golden model's MEAN over H and W of `values` (shape `[1, h, w, c]`).
  static func golden(
    _ values: [Int8], h: Int, w: Int, c: Int, input: (Float, Int64), output: (Float, Int64), keepDims: Bool
  ) throws -> [Int8] {
    var interpreter = Interpreter(
      model: model([1, h, w, c], keepDims: keepDims, input: input, output: output))
    let out = try interpreter.invoke([TensorData(shape: [1, h, w, c], storage: .int8(values))])
    guard case .int8(let v) = out[0].storage else {
      Issue.record("golden MEAN output is not int8")
      return []
    }
    return v
  }

  /// `vmean` with the compiler's parameters over `h·w` pixels of `c` channels at UB address 0,
  /// the output row after it.
  static func vector(_ values: [Int8], h: Int, w: Int, c: Int, input: (Float, Int64), output: (Float, Int64)) throws
    -> [Int8]?
  {
    guard
      let p = TFLiteQuantization.mean(
        input: (input.0, Int8(input.1)), output: (output.0, Int8(output.1)), count: h * w)
    else { return nil }
    let n = h * w * c
    let limits = MemoryLimits(
      unifiedBuffer: ByteCount(n + c), weightBuffer: ByteCount(64), accumulatorRows: 4, arrayRows: 4, arrayColumns: 4)
    var m = try MachineState(limits: limits, datapath: .int8, dramSize: ByteCount(64))
    for (i, v) in values.enumerated() { m.unifiedBuffer[i] = UInt8(bitPattern: v) }
    let o = UnaryOperands(
      source: VectorView(address: SRAMAddress(0), outerStrideBytes: c),
      output: VectorView(address: SRAMAddress(n), outerStrideBytes: c), outer: h * w, inner: c)
    try execute(Instruction(.vector(.mean(o, p))), on: &m, host: NoHostExecutor())
    return (n..<n + c).map { Int8(bitPattern: m.unifiedBuffer[$0]) }
  }

  @Test("vmean equals the golden model's MEAN on seeded shapes, scales, zero points and keep_dims")
  func executorMatchesGoldenModel() throws {
    var rng = SeededGenerator(seed: 13)
    let sizes = [(1, 1), (1, 2), (2, 2), (3, 3), (7, 7), (5, 9), (14, 14), (1, 100), (16, 16), (32, 33), (1, 4096)]
    var compared = 0
    var saturated = 0
    for trial in 0..<200 {
      let (h, w) = sizes[trial % sizes.count]
      let c = [1, 2, 3, 8, 17, 64][Int.random(in: 0..<6, using: &rng)]
      // Scale ratios from 1/64 to 64 (shifts of both signs after 1/N is folded in).
      let inScale = Float(pow(10, Double.random(in: -3...0, using: &rng)))
      let outScale = inScale * Float(pow(2, Double.random(in: -6...6, using: &rng)))
      let input = (inScale, Int64(Int8.random(in: .min ... .max, using: &rng)))
      let output = (outScale, Int64(Int8.random(in: .min ... .max, using: &rng)))
      let style = trial % 3
      let values: [Int8] = (0..<h * w * c).map { _ in
        switch style {
        case 0: return Int8.random(in: .min ... .max, using: &rng)
        case 1: return Int8.random(in: 120 ... .max, using: &rng)  // sums near the top
        default: return Int8.random(in: -128 ... -120, using: &rng)  // and the bottom
        }
      }
      let keepDims = trial % 2 == 0
      let want = try Self.golden(values, h: h, w: w, c: c, input: input, output: output, keepDims: keepDims)
      guard let got = try Self.vector(values, h: h, w: w, c: c, input: input, output: output) else {
        Issue.record("no vmean parameters for \(input), \(output), \(h * w) pixels")
        continue
      }
      #expect(
        got == want,
        "\(h)×\(w)×\(c) in \(input) out \(output) style \(style): vector \(got.prefix(8)), golden \(want.prefix(8))")
      compared += 1
      saturated += want.filter { $0 == .min || $0 == .max }.count
    }
    #expect(compared == 200)
    #expect(saturated > 0, "no output reached the int8 limits")
  }

  @Test("vmean equals the golden model on every pair of pixel values, for several zero points and scale ratios")
  func exhaustiveSmallSpace() throws {
    // 2 pixels × 65,536 channels: channel c holds the pair (c >> 8, c & 255) − 128, so one
    // instruction averages every pair of int8 values.
    let c = 65_536
    let first: [Int8] = (0..<c).map { (i: Int) -> Int8 in Int8((i >> 8) - 128) }
    let second: [Int8] = (0..<c).map { (i: Int) -> Int8 in Int8((i & 255) - 128) }
    let values = first + second
    for (inScale, outScale) in [(Float(0.1), Float(0.1)), (0.1, 0.05), (0.02, 0.3), (1, 0.0625), (0.5, 8)] {
      for zeroPoint: Int64 in [-128, -1, 0, 77, 127] {
        let input = (inScale, zeroPoint)
        let output = (outScale, -zeroPoint / 2)
        let want = try Self.golden(values, h: 1, w: 2, c: c, input: input, output: output, keepDims: false)
        let got = try Self.vector(values, h: 1, w: 2, c: c, input: input, output: output)
        #expect(got == want, "in \(input), out \(output)")
      }
    }
    // One channel of 16,384 pixels (k = 14): every value once per 256 pixels, shifted by one
    // each block, so the sums sweep a wide range.
    let long: [Int8] = (0..<16_384).map { (i: Int) -> Int8 in Int8(truncatingIfNeeded: i + (i >> 8)) }
    for (inScale, outScale) in [(Float(0.1), Float(0.1)), (0.01, 0.001), (1, 1e-3)] {
      let input = (inScale, Int64(-5))
      let output = (outScale, Int64(9))
      let want = try Self.golden(long, h: 128, w: 128, c: 1, input: input, output: output, keepDims: true)
      let got = try Self.vector(long, h: 128, w: 128, c: 1, input: input, output: output)
      #expect(got == want, "16,384 pixels, in \(input), out \(output)")
    }
  }

  @Test("compiled MEAN runs on the vector unit, bit-exact on every preset and on tight memories")
  func compiledModelsAreBitExact() throws {
    let archs = allPresets + oddArchs
    for (shape, keepDims) in [([1, 7, 7, 64], false), ([1, 7, 7, 64], true), ([2, 3, 5, 9], false), ([1, 1, 1, 3], true)] {
      let model = Self.model(shape, keepDims: keepDims)
      for arch in archs {
        let (problems, compiled) = try compileAndCompare(
          model, on: arch, inputs: randomInputs(model, seed: 21), label: "MEAN \(shape)")
        #expect(problems.isEmpty, "\(problems)")
        let op = compiled.report.operators[0]
        let images = shape[0] == 1 ? "" : ", \(shape[0]) images"
        #expect(op.placement == .vectorUnit, "\(arch.name) \(shape): \(op.reason)")
        #expect(
          op.reason == "MEAN: vmean on the vector unit (\(shape[1])×\(shape[2]) pixels × \(shape[3]) channels\(images))",
          "\(op.reason)")
      }
    }
  }

  @Test("an image larger than the unified buffer is tiled over channels, bit-exact")
  func channelTiles() throws {
    // 8×8 pixels × 40 channels = 2,560 B; 600 B of UB holds 4 channels of 64 pixels and their
    // outputs (65 B each) twice over (double-buffered): 10 tiles per image.
    let small = tinyArch("small-ub", rows: 4, cols: 4, ub: 600, weights: 256, accumulatorRows: 4)
    let model = Self.model([2, 8, 8, 40])
    let (problems, compiled) = try compileAndCompare(model, on: small, inputs: randomInputs(model, seed: 3))
    #expect(problems.isEmpty, "\(problems)")
    #expect(compiled.report.operators[0].placement == .vectorUnit)
    let means = compiled.program.instructions.filter {
      if case .vector(.mean) = $0.operation { return true } else { return false }
    }
    #expect(means.count == 2 * 10)
  }

  @Test("MEAN stays on the host for axes that are not adjacent, a channel that does not fit, or a scale out of range")
  func hostFallbacks() throws {
    let cramped = tinyArch("cramped", rows: 4, cols: 4, ub: 40, weights: 256, accumulatorRows: 4)
    let cases: [(Model, ArchSpec, String)] = [
      (
        Self.model([2, 4, 4, 8], axes: [1, 3]), .edgeTPU,
        "MEAN: axes [1, 3] of [2, 4, 4, 8] are not contiguous; vmean reduces one run of adjacent axes (outer × reduced × inner); runs on the host"
      ),
      (
        Self.model([1, 7, 7, 4]), cramped,
        "MEAN: one channel of 49 pixels needs 50 B of unified buffer; cramped has 40 B; runs on the host"
      ),
      (
        Self.model([1, 2, 2, 4], input: (1000, 0), output: (1e-9, 0)), .edgeTPU,
        "MEAN: rescaling out of range (input scale 1000.0, output scale 1e-09, 4 pixels); runs on the host"
      ),
    ]
    for (model, arch, reason) in cases {
      let (problems, compiled) = try compileAndCompare(model, on: arch, inputs: randomInputs(model, seed: 4), label: reason)
      #expect(problems.isEmpty, "\(problems)")
      #expect(compiled.report.operators[0].placement == .host)
      #expect(compiled.report.operators[0].reason == reason)
    }
    // Negative axes name the same dimensions.
    let negative = try LoweringPipeline(arch: .edgeTPU).compile(Self.model([1, 4, 4, 8], axes: [-3, -2])).report
    #expect(negative.operators[0].placement == .vectorUnit, "\(negative.operators[0].reason)")
  }

  @Test("the compiler's MEAN parameters fold 1/N into TFLite's multiplier")
  func parameters() throws {
    // Equal scales, 49 pixels: QuantizeMultiplier(1) = (2^30, 1); k = min(5, 32, 32) = 5;
    // M' = ⌊2^35 / 49⌋, s' = 1 − 5 = −4.
    let p = try #require(TFLiteQuantization.mean(input: (0.1, 3), output: (0.1, -2), count: 49))
    #expect(p.multiplier == Int32((Int64(1) << 35) / 49) && p.shift == -4)
    #expect(p.inputZeroPoint == 3 && p.outputZeroPoint == -2 && p.clamp == -128...127)
    // A ratio of 2^40 leaves s' = 41 − 5 > 30: not encodable.
    #expect(TFLiteQuantization.mean(input: (1, 0), output: (Float(pow(2.0, -40.0)), 0), count: 49) == nil)
  }
}
