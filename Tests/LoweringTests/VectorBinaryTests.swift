import Architecture
import Foundation
import GoldenModel
import GraphIR
import Support
import SystoleTestSupport
import Testing
import TileISA

@testable import Lowering

// issue 14: vector binary/reduce

/// int8 SQUARED_DIFFERENCE, MAXIMUM and MINIMUM on the vector unit (`vbinary`): every pair of
/// int8 inputs against the golden model's kernels for several quantizations, seeded broadcast
/// shapes on every preset, and the committed MAXIMUM/MINIMUM fixtures bit-exact with TFLite.
@Suite struct VectorBinaryTests {
  typealias Q = (scale: Float, zeroPoint: Int64)

  /// One binary op of `kind` on inputs of `aShape` and `bShape`.
  static func model(_ kind: OpKind, _ aShape: [Int], _ bShape: [Int], a: Q, b: Q, output: Q) -> Model {
    var g = GraphBuilder(seed: 9)
    let x = g.activation("a", aShape, scale: a.scale, zeroPoint: a.zeroPoint)
    let y = g.activation("b", bShape, scale: b.scale, zeroPoint: b.zeroPoint)
    let shape = Broadcast.shape(aShape, bShape) ?? aShape
    let z = g.activation("out", shape, scale: output.scale, zeroPoint: output.zeroPoint)
    g.op(kind, [x, y], [z])
    return g.model(kind.tfliteName.lowercased(), inputs: [x, y], outputs: [z])
  }

  /// Quantizations (a, b, output) per op; MAXIMUM and MINIMUM compare the stored values whatever
  /// the scales (TFLite ignores them), so theirs differ on purpose.
  static let cases: [(OpKind, Q, Q, Q)] = [
    (.squaredDifference, (0.05, 3), (0.05, 3), (0.01, -128)),
    (.squaredDifference, (0.1, -7), (0.02, 10), (0.3, -100)),
    (.squaredDifference, (0.004, 0), (0.5, -20), (1.5, 5)),
    (.squaredDifference, (0.02, 100), (0.02, -100), (0.0001, -128)),
    (.maximum, (0.05, 3), (0.1, -5), (0.07, 1)),
    (.minimum, (0.05, 3), (0.1, -5), (0.07, 1)),
  ]

  @Test("every pair of int8 inputs (a 256 × 1 by 1 × 256 broadcast) equals the golden model")
  func everyPair() throws {
    let all = (-128...127).map { Int8($0) }
    let inputs = [[TensorData(shape: [256, 1], storage: .int8(all)), TensorData(shape: [1, 256], storage: .int8(all))]]
    for (kind, a, b, out) in Self.cases {
      let model = Self.model(kind, [256, 1], [1, 256], a: a, b: b, output: out)
      let (problems, compiled) = try compileAndCompare(model, on: .edgeTPU, inputs: inputs, label: "\(kind.tfliteName)")
      #expect(problems.isEmpty, "\(problems)")
      let op = compiled.report.operators[0]
      #expect(op.placement == .vectorUnit, "\(op.reason)")
      #expect(compiled.program.instructions.contains { if case .vector(.binary) = $0.operation { true } else { false } })
    }
  }

  @Test("seeded broadcast shapes on every preset and odd architectures")
  func broadcastShapes() throws {
    var rng = SeededGenerator(seed: 41)
    var compared = 0
    for trial in 0..<9 {
      let (kind, a, b, out) = Self.cases[[0, 1, 4, 5][trial % 4]]
      let rank = Int.random(in: 1...4, using: &rng)
      let shape = (0..<rank).map { _ in Int.random(in: 1...7, using: &rng) }
      func operand() -> [Int] {
        let dropped = Int.random(in: 0..<rank, using: &rng)
        return shape.dropFirst(dropped).map { Bool.random(using: &rng) ? $0 : 1 }
      }
      let model = Self.model(kind, operand(), shape, a: a, b: b, output: out)
      for arch in allPresets + [oddArchs[1]] {
        let (problems, compiled) = try compileAndCompare(
          model, on: arch, inputs: randomInputs(model, seed: UInt64(trial), count: 1), label: "\(kind.tfliteName) \(shape)")
        #expect(problems.filter { !$0.contains("degenerate") }.isEmpty, "\(problems)")
        #expect(compiled.report.operators[0].placement == .vectorUnit)
        compared += 1
      }
    }
    #expect(compared == 9 * 6)
  }

  @Test("the mapping report names the function; a scale TFLite rejects stays on the host")
  func reasons() throws {
    let sq = try LoweringPipeline(arch: .edgeTPU).compile(
      Self.model(.squaredDifference, [2, 8], [8], a: (0.05, 0), b: (0.05, 0), output: (0.01, -128))
    ).report.operators[0]
    #expect(sq.reason == "SQUARED_DIFFERENCE: vbinary fn=sqdiff on the vector unit with a zero-stride (broadcast) operand")
    let mx = try LoweringPipeline(arch: .edgeTPU).compile(
      Self.model(.maximum, [2, 8], [2, 8], a: (0.05, 0), b: (0.1, 0), output: (0.01, 0))
    ).report.operators[0]
    #expect(
      mx.reason
        == "MAXIMUM: vbinary fn=max on the vector unit on the stored int8 values (TFLite ignores the quantization)")
    // (2·max)² / (2^14 · s_out) ≥ 1: TFLite's Prepare fails, the golden model too; the compiler
    // leaves the op to the host with the reason.
    let rejected = try LoweringPipeline(arch: .edgeTPU).compile(
      Self.model(.squaredDifference, [4], [4], a: (100, 0), b: (100, 0), output: (0.01, 0))
    ).report.operators[0]
    #expect(rejected.placement == .host)
    #expect(
      rejected.reason == "SQUARED_DIFFERENCE: rescaling multiplier ≥ 1 (TFLite rejects these scales); runs on the host")
  }

  @Test("the committed MAXIMUM and MINIMUM fixtures run on the vector unit bit-exact with TFLite on every preset")
  func committedFixtures() throws {
    let stems: [String: String] = [
      "maximum_broadcast_int8": "MAXIMUM", "minimum_broadcast_int8": "MINIMUM", "maximum_const_int8": "MAXIMUM",
      "minimum_const_int8": "MINIMUM",
    ]
    let sets = try Fixtures.referenceSets(key: "vision_ops").filter { stems[$0.stem] != nil }
    #expect(sets.count == stems.count, "\(sets.map(\.stem))")
    for set in sets {
      let model = try set.loadResolved()
      for arch in allPresets {
        let compiled = try LoweringPipeline(arch: arch).compile(model)
        let ops = compiled.report.operators.filter { $0.opName == stems[set.stem] }
        #expect(!ops.isEmpty && ops.allSatisfy { $0.placement == .vectorUnit }, "\(set.stem) on \(arch.name): \(ops.map(\.reason))")
        let mismatches = try mismatchesWithTFLite(set, model, compiled, label: "\(set.stem) on \(arch.name)")
        #expect(mismatches.isEmpty, "\(mismatches.prefix(3))")
      }
    }
  }
}
