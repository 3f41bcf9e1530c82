import Architecture
import Foundation
import GoldenModel
import GraphIR
import Support
import SystoleTestSupport
import Testing
import TileISA

@testable import Lowering

// issue 14: sum

/// Quantized SUM placement: int8 SUM runs on the vector unit as `vmean unsigned` (the bytes read
/// as 0...255 and the results clamped to 0...255, TFLite 2.21's BUILTIN_REF kernel, with the
/// multiplier s_in/s_out and no 1/N) on every preset, bit-exact with the committed TFLite outputs
/// and with the golden model on seeded shapes; int16 SUM runs on the host.
@Suite struct SumLoweringTests {
  static func isUnsignedMean(_ i: Instruction) -> Bool {
    if case .vector(.mean(_, let q)) = i.operation { return q.unsignedBytes }
    return false
  }

  @Test(
    "the committed int8 SUM fixtures run vmean unsigned on every preset (axes that are not adjacent on the host), bit-exact with TFLite"
  )
  func int8FixturesOnEveryPreset() throws {
    let sets = try Fixtures.referenceSets(key: "sum_ops").filter { $0.stem.hasSuffix("_int8") }
    #expect(sets.count == 7)
    var runs = 0
    for set in sets {
      let model = try set.loadResolved()
      for arch in allPresets {
        let compiled = try LoweringPipeline(arch: arch).compile(model)
        let ops = compiled.report.operators.filter { $0.opName == "SUM" }
        if set.stem == "sum_two_axes_int8" {
          // Axes [0, 2] of [2, 3, 5] are not one run of adjacent axes: vmean's layout does not fit.
          #expect(
            ops.map(\.reason) == [
              "SUM: axes [0, 2] of [2, 3, 5] are not contiguous; vmean reduces one run of adjacent axes (outer × reduced × inner); runs on the host"
            ])
        } else {
          #expect(
            ops.count == 1 && ops.allSatisfy { $0.placement == .vectorUnit && $0.reason.contains("vmean unsigned") },
            "\(set.stem) on \(arch.name): \(ops.map(\.reason))")
          #expect(compiled.program.instructions.contains(where: Self.isUnsignedMean), "\(set.stem) on \(arch.name)")
        }
        let mismatches = try mismatchesWithTFLite(
          set, model, compiled, label: "\(set.stem) on \(arch.name)", relativeTolerance: 0)
        #expect(mismatches.isEmpty, "\(mismatches.prefix(3))")
        runs += 1
      }
    }
    #expect(runs == 7 * 5)
  }

  @Test("the int16 SUM fixtures run on the host on every preset, equal to TFLite's BUILTIN outputs")
  func int16FixturesOnTheHost() throws {
    let sets = try Fixtures.referenceSets(key: "sum_ops").filter { $0.stem.hasSuffix("_int16") }
    #expect(sets.count == 5)
    for set in sets {
      let model = try set.loadResolved()
      for arch in allPresets {
        let compiled = try LoweringPipeline(arch: arch).compile(model)
        let ops = compiled.report.operators.filter { $0.opName == "SUM" }
        #expect(
          ops.count == 1 && ops.allSatisfy { $0.placement == .host && $0.reason.contains("int16") },
          "\(set.stem) on \(arch.name): \(ops.map(\.reason))")
        let mismatches = try mismatchesWithTFLite(
          set, model, compiled, label: "\(set.stem) on \(arch.name)", relativeTolerance: 0)
        #expect(mismatches.isEmpty, "\(mismatches.prefix(3))")
      }
    }
  }

  /// One int8 SUM over `axes` of `shape`.
  static func model(
    _ shape: [Int], axes: [Int32], keepDims: Bool, input: (Float, Int64), output: (Float, Int64)
  ) -> Model {
    GraphBuilder.reductionModel(
      "sum", OpKind.sum, shape, axes: axes, keepDims: keepDims, input: input, output: output, seed: 14)
  }

  @Test("seeded shapes, axes and quantizations equal the golden model on every preset")
  func seededShapes() throws {
    var rng = SeededGenerator(seed: 1414)
    var compared = 0
    for trial in 0..<6 {
      let rank = [2, 3, 4][trial % 3]
      let shape = (0..<rank).map { _ in [1, 2, 3, 5, 8][Int.random(in: 0..<5, using: &rng)] }
      let first = Int.random(in: 0..<rank, using: &rng)
      let last = Int.random(in: first..<rank, using: &rng)
      let axes = (first...last).map { Int32(Bool.random(using: &rng) ? $0 : $0 - rank) }
      let input = (Float.random(in: 0.01...0.1, using: &rng), Int64.random(in: -128...127, using: &rng))
      let output = (Float.random(in: 0.05...0.5, using: &rng), Int64.random(in: -20...20, using: &rng))
      let model = Self.model(shape, axes: axes, keepDims: Bool.random(using: &rng), input: input, output: output)
      for arch in allPresets {
        let (problems, compiled) = try compileAndCompare(
          model, on: arch, inputs: randomInputs(model, seed: UInt64(trial), count: 1),
          label: "SUM \(shape) axes \(axes)")
        #expect(problems.filter { !$0.contains("degenerate") }.isEmpty, "\(problems)")
        #expect(compiled.report.operators[0].placement == .vectorUnit, "\(compiled.report.operators[0].reason)")
        compared += 1
      }
    }
    #expect(compared == 6 * 5)
  }

  @Test("the reason line, and the unsigned flag through encoding and assembly")
  func unsignedFlag() throws {
    let model = Self.model([1, 4, 6], axes: [2], keepDims: true, input: (0.0235, -1), output: (0.0912, 12))
    let compiled = try LoweringPipeline(arch: .edgeTPU).compile(model)
    #expect(
      compiled.report.operators[0].reason
        == "SUM: vmean unsigned on the vector unit over axes [2] (4 rows of 6, one row per lane); int8 bytes read as 0...255 and results clamped to 0...255, as TFLite 2.21's reference SUM kernel does"
    )
    guard let sum = compiled.program.instructions.first(where: Self.isUnsignedMean) else {
      Issue.record("no vmean unsigned")
      return
    }
    // The flag survives the encoding and the assembly text (TileISATests' SumInstructionTests
    // has the hand-checked semantics and the static checks).
    #expect(try Instruction(decoding: sum.encoded(), at: 0) == sum)
    #expect(sum.assembly().contains(" unsigned"))
    #expect(try Instruction(parsingAssembly: sum.assembly()) == sum)
  }
}
