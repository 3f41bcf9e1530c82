import Architecture
import Foundation
import GoldenModel
import GraphIR
import Support
import SystoleTestSupport
import Testing
import TileISA

@testable import Lowering

// issue 14: PRELU / L2_NORMALIZATION

/// int8 L2_NORMALIZATION on the vector unit (`vl2norm`): every int8 value alone in a row and in
/// full 256-value rows, seeded rows against the golden model on every preset, and the committed
/// `l2_normalization_int8` fixture bit-exact with TFLite.
@Suite struct L2NormalizationTests {
  /// L2_NORMALIZATION of an int8 input of `shape` (scale `scale`, zero point `zeroPoint`) into
  /// TFLite's fixed int8 output quantization (1/128, 0) unless `output` says otherwise.
  static func model(_ shape: [Int], scale: Float, zeroPoint: Int64, output: (Float, Int64) = (1.0 / 128, 0)) -> Model {
    var g = GraphBuilder(seed: 5)
    let x = g.activation("x", shape, scale: scale, zeroPoint: zeroPoint)
    let out = g.activation("out", shape, scale: output.0, zeroPoint: output.1)
    g.op(.l2Normalization(activation: .none), [x], [out])
    return g.model("l2norm", inputs: [x], outputs: [out])
  }

  static func isL2Norm(_ i: Instruction) -> Bool {
    if case .vector(.l2Normalize) = i.operation { true } else { false }
  }

  @Test("every int8 value alone in a row, and rows holding all 256 values, equal the golden model")
  func everyValue() throws {
    let all = (-128...127).map { Int8($0) }
    // 256 rows of 1 (each normalises to ±1 or the zero-row case) and 256 rotations of all values.
    let single = TensorData(shape: [256, 1], storage: .int8(all))
    let rotated = TensorData(
      shape: [16, 256], storage: .int8((0..<16).flatMap { r in (0..<256).map { all[($0 + 16 * r) % 256] } }))
    for zeroPoint: Int64 in [0, -128, 37, 127] {
      for input in [single, rotated] {
        let model = Self.model(input.shape, scale: 0.02, zeroPoint: zeroPoint)
        let (problems, compiled) = try compileAndCompare(
          model, on: .edgeTPU, inputs: [[input]], label: "L2 zp \(zeroPoint) \(input.shape)")
        // A one-element row normalises to ±1 (or 0 at the zero point): with the zero point at an
        // end of the range the outputs take two values, which the harness flags as degenerate;
        // they are still compared byte for byte.
        #expect(problems.filter { input.shape[1] > 1 || !$0.contains("degenerate") }.isEmpty, "\(problems)")
        #expect(compiled.report.operators[0].placement == .vectorUnit, "\(compiled.report.operators[0].reason)")
        #expect(compiled.program.instructions.contains(where: Self.isL2Norm))
      }
    }
  }

  @Test("seeded row shapes and zero points on every preset and an odd architecture")
  func seededRows() throws {
    var rng = SeededGenerator(seed: 88)
    var compared = 0
    for trial in 0..<5 {
      let rank = Int.random(in: 1...4, using: &rng)
      var shape = (0..<rank).map { _ in Int.random(in: 1...6, using: &rng) }
      shape[rank - 1] = [1, 3, 8, 64, 300][trial]
      let zeroPoint = Int64(Int.random(in: -128...127, using: &rng))
      let model = Self.model(shape, scale: 0.01 + Float(trial) * 0.03, zeroPoint: zeroPoint)
      for arch in allPresets + [oddArchs[1]] {
        let (problems, compiled) = try compileAndCompare(
          model, on: arch, inputs: randomInputs(model, seed: UInt64(trial), count: 2), label: "L2 \(shape)")
        #expect(problems.filter { !$0.contains("degenerate") }.isEmpty, "\(problems)")
        #expect(compiled.report.operators[0].placement == .vectorUnit, "\(arch.name): \(compiled.report.operators[0].reason)")
        compared += 1
      }
    }
    #expect(compared == 5 * 6)
  }

  @Test("the mapping report names vl2norm; an output quantization TFLite rejects stays on the host")
  func reasons() throws {
    let on = try LoweringPipeline(arch: .edgeTPU).compile(Self.model([1, 4, 8], scale: 0.02, zeroPoint: 0))
      .report.operators[0]
    #expect(on.reason == "L2_NORMALIZATION: vl2norm on the vector unit (4 rows of 8, two passes per row)")
    let off = try LoweringPipeline(arch: .edgeTPU).compile(
      Self.model([2, 8], scale: 0.02, zeroPoint: 0, output: (1.0 / 64, 0))
    ).report.operators[0]
    #expect(off.placement == .host)
    #expect(
      off.reason
        == "L2_NORMALIZATION: output quantization (0.015625, 0) is not TFLite's int8 L2 output (1/128, 0); runs on the host")
  }

  @Test("the committed l2_normalization_int8 fixture runs on the vector unit bit-exact with TFLite on every preset")
  func committedFixture() throws {
    let sets = try Fixtures.referenceSets(key: "vision_ops").filter { $0.stem == "l2_normalization_int8" }
    #expect(sets.count == 1)
    for set in sets {
      let model = try set.loadResolved()
      for arch in allPresets {
        let compiled = try LoweringPipeline(arch: arch).compile(model)
        let ops = compiled.report.operators.filter { $0.opName == "L2_NORMALIZATION" }
        #expect(!ops.isEmpty && ops.allSatisfy { $0.placement == .vectorUnit }, "\(arch.name): \(ops.map(\.reason))")
        #expect(compiled.program.instructions.contains(where: Self.isL2Norm))
        let mismatches = try mismatchesWithTFLite(set, model, compiled, label: "l2_normalization_int8 on \(arch.name)")
        #expect(mismatches.isEmpty, "\(mismatches.prefix(3))")
      }
    }
  }
}
