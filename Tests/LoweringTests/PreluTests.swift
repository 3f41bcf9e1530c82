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

/// int8 PRELU on the vector unit (`vbinary fn=prelu`, alpha as operand b): every (x, α) pair
/// against the golden model's kernel for several quantizations (alpha a model input, so read
/// from the arena), seeded constant-alpha shapes on every preset, and the committed
/// `prelu_int8` fixture (Keras `PReLU(shared_axes=[1, 2])`) bit-exact with TFLite.
@Suite struct PreluTests {
  typealias Q = (scale: Float, zeroPoint: Int64)

  /// PRELU of `x` (shape `shape`) with alpha of `alphaShape`, a model input or (`constant`) seeded
  /// constant values.
  static func model(_ shape: [Int], alpha alphaShape: [Int], x: Q, alpha: Q, output: Q, constant: Bool, seed: UInt64 = 3)
    -> Model
  {
    var g = GraphBuilder(seed: seed)
    let input = g.activation("x", shape, scale: x.scale, zeroPoint: x.zeroPoint)
    let a =
      constant
      ? g.constant("alpha", alphaShape, scale: alpha.scale, zeroPoint: alpha.zeroPoint)
      : g.activation("alpha", alphaShape, scale: alpha.scale, zeroPoint: alpha.zeroPoint)
    let out = g.activation("out", shape, scale: output.scale, zeroPoint: output.zeroPoint)
    g.op(.prelu, [input, a], [out])
    return g.model("prelu", inputs: constant ? [input] : [input, a], outputs: [out])
  }

  /// Quantizations (x, alpha, output): the fixture's, one whose positive multiplier is above one
  /// (a positive shift), one below; zero points at the extremes.
  static let cases: [(Q, Q, Q)] = [
    ((0.023526404, -1), (0.0043802373, 0), (0.018305965, -37)),
    ((0.05, 10), (0.02, -5), (0.01, 3)),
    ((0.1, -128), (0.3, 127), (0.2, 0)),
    ((0.004, 127), (0.5, -128), (0.07, 0)),
  ]

  @Test("every (x, α) int8 pair (256 × 256, alpha broadcast along rows) equals the golden model")
  func everyPair() throws {
    let all = (-128...127).map { Int8($0) }
    let x = TensorData(shape: [256, 256], storage: .int8(all.flatMap { [Int8](repeating: $0, count: 256) }))
    let alpha = TensorData(shape: [256], storage: .int8(all))
    for (xq, aq, oq) in Self.cases {
      let model = Self.model([256, 256], alpha: [256], x: xq, alpha: aq, output: oq, constant: false)
      let (problems, compiled) = try compileAndCompare(model, on: .edgeTPU, inputs: [[x, alpha]], label: "PRELU \(xq)")
      #expect(problems.isEmpty, "\(problems)")
      let op = compiled.report.operators[0]
      #expect(op.placement == .vectorUnit, "\(op.reason)")
      #expect(
        compiled.program.instructions.contains {
          if case .vector(.binary(_, .prelu)) = $0.operation { true } else { false }
        })
    }
  }

  @Test("seeded shapes with constant per-channel alpha on every preset and an odd architecture")
  func seededShapes() throws {
    var rng = SeededGenerator(seed: 77)
    var compared = 0
    for trial in 0..<4 {
      let (xq, aq, oq) = Self.cases[trial % Self.cases.count]
      let shape = [1, Int.random(in: 1...9, using: &rng), Int.random(in: 1...9, using: &rng), Int.random(in: 2...7, using: &rng)]
      let alphaShape = trial % 2 == 0 ? [1, 1, shape[3]] : [shape[3]]
      let model = Self.model(shape, alpha: alphaShape, x: xq, alpha: aq, output: oq, constant: true, seed: UInt64(trial))
      for arch in allPresets + [oddArchs[1]] {
        let (problems, compiled) = try compileAndCompare(
          model, on: arch, inputs: randomInputs(model, seed: UInt64(trial), count: 1), label: "PRELU \(shape)")
        #expect(problems.filter { !$0.contains("degenerate") }.isEmpty, "\(problems)")
        #expect(compiled.report.operators[0].placement == .vectorUnit, "\(compiled.report.operators[0].reason)")
        compared += 1
      }
    }
    #expect(compared == 4 * 6)
  }

  @Test("the mapping report names the function and where alpha comes from; a bad scale stays on the host")
  func reasons() throws {
    let constant = try LoweringPipeline(arch: .edgeTPU).compile(
      Self.model([1, 2, 2, 3], alpha: [1, 1, 3], x: Self.cases[0].0, alpha: Self.cases[0].1, output: Self.cases[0].2, constant: true)
    ).report.operators[0]
    #expect(
      constant.reason
        == "PRELU: vbinary fn=prelu on the vector unit with a zero-stride (broadcast) operand (alpha as operand b, a constant loaded from DRAM)"
    )
    let input = try LoweringPipeline(arch: .edgeTPU).compile(
      Self.model([2, 3], alpha: [2, 3], x: Self.cases[1].0, alpha: Self.cases[1].1, output: Self.cases[1].2, constant: false)
    ).report.operators[0]
    #expect(input.reason == "PRELU: vbinary fn=prelu on the vector unit (alpha as operand b, loaded from the arena)")
    // s_in / s_out = 2^40: the shift is out of −31...30.
    let rejected = try LoweringPipeline(arch: .edgeTPU).compile(
      Self.model([4], alpha: [4], x: (1_048_576, 0), alpha: (0.5, 0), output: (1.0 / 1_048_576, 0), constant: true)
    ).report.operators[0]
    #expect(rejected.placement == .host)
    #expect(rejected.reason == "PRELU: rescaling shift out of range; runs on the host")
  }

  @Test("the committed prelu_int8 fixture runs on the vector unit bit-exact with TFLite on every preset")
  func committedFixture() throws {
    let sets = try Fixtures.referenceSets(key: "vision_ops").filter { $0.stem == "prelu_int8" }
    #expect(sets.count == 1)
    for set in sets {
      let model = try set.loadResolved()
      for arch in allPresets {
        let compiled = try LoweringPipeline(arch: arch).compile(model)
        let ops = compiled.report.operators.filter { $0.opName == "PRELU" }
        #expect(!ops.isEmpty && ops.allSatisfy { $0.placement == .vectorUnit }, "\(arch.name): \(ops.map(\.reason))")
        let mismatches = try mismatchesWithTFLite(set, model, compiled, label: "prelu_int8 on \(arch.name)")
        #expect(mismatches.isEmpty, "\(mismatches.prefix(3))")
      }
    }
  }
}
