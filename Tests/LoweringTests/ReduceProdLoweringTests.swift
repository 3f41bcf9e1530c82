import Architecture
import Foundation
import GoldenModel
import GraphIR
import Support
import SystoleTestSupport
import Testing
import TileISA

@testable import Lowering

// issue 14: prod

/// int8 REDUCE_PROD (`QuantizedReduceProd<int8_t>`, a chain of 64-bit products each requantized;
/// docs/quantization.md) on the vector unit as `vreduce fn=prod`: the converter-default
/// single-op file on every preset, bit-exact with TFLite's BUILTIN_REF outputs; seeded shapes,
/// axes and saturating scales equal to the golden model; a shift outside the 64-bit multiply's
/// range, non-adjacent axes and columns that do not fit stay on the host with the reason.
@Suite struct ReduceProdLoweringTests {
  static func isProduct(_ i: Instruction) -> Bool {
    if case .vector(.reduce(_, .product, _?)) = i.operation { return true }
    return false
  }

  @Test func int8ReduceProdIsBitExactOnEveryPreset() throws {
    let sets = try Fixtures.referenceSets(key: "transformer_ops").filter { $0.stem == "reduce_prod_int8" }
    #expect(sets.count == 1)
    var runs = 0
    for set in sets {
      let model = try set.loadResolved()
      for arch in allPresets {
        let compiled = try LoweringPipeline(arch: arch).compile(model)
        let ops = compiled.report.operators.filter { $0.opName == "REDUCE_PROD" }
        #expect(
          ops.count == 1 && ops.allSatisfy { $0.placement == .vectorUnit && $0.reason.contains("vreduce fn=prod") },
          "\(arch.name): \(ops.map(\.reason))")
        #expect(compiled.program.instructions.contains(where: Self.isProduct), "\(arch.name)")
        #expect(ProgramVerifier.verify(compiled.program).isEmpty, "\(arch.name)")
        let mismatches = try mismatchesWithTFLite(
          set, model, compiled, label: "\(set.stem) on \(arch.name)", relativeTolerance: 0)
        #expect(mismatches.isEmpty, "\(mismatches.prefix(3))")
        runs += 1
      }
    }
    #expect(runs == 5)
    let reasons = try LoweringPipeline(arch: .edgeTPU).compile(sets[0].loadResolved()).report.operators
      .filter { $0.opName == "REDUCE_PROD" }.map(\.reason)
    #expect(
      reasons == [
        "REDUCE_PROD: vreduce fn=prod on the vector unit over axes [1] (1 × 3 reduced × 5 inner); per output a sequential chain of 64-bit products in input order, rescaled after every step (shift -5)"
      ])
  }

  /// One int8 REDUCE_PROD over `axes` of `shape`.
  static func model(
    _ shape: [Int], axes: [Int32], keepDims: Bool, input: (Float, Int64), output: (Float, Int64)
  ) -> Model {
    GraphBuilder.reductionModel(
      "reduce_prod", OpKind.reduceProd, shape, axes: axes, keepDims: keepDims, input: input, output: output,
      seed: 14)
  }

  @Test("seeded shapes, axes and saturating scales equal the golden model on every preset")
  func seededAgainstGolden() throws {
    // (shape, axes, keepDims, input (scale, zp), output (scale, zp)): inputs of magnitude ≤ 2
    // (scale 1/64) whose products stay in range, so each step's rounding (and so the chain's
    // order) shows in the output; scales that saturate; a row per lane; a column of 300 on
    // `tight-8x8`.
    let cases: [([Int], [Int32], Bool, (Float, Int64), (Float, Int64))] = [
      ([2, 3, 4], [1], false, (1.0 / 64, 3), (0.0625, -2)),
      ([2, 3, 4], [1, 2], true, (1.0 / 64, -7), (0.05, 1)),
      ([6, 5], [-1], false, (1.0 / 64, 0), (0.02, 4)),
      ([1, 3, 4, 5], [1, 2], false, (0.03, 10), (0.001, -20)),
      ([3, 1, 7], [0], true, (0.008, -128), (0.2, 0)),
      ([2, 300, 3], [1], false, (1.0 / 64, 0), (0.05, 0)),
      ([4, 2, 2, 3], [2, 3], false, (1.0 / 64, 1), (0.1, 0)),
    ]
    var compared = 0
    for (n, (shape, axes, keepDims, input, output)) in cases.enumerated() {
      let model = Self.model(shape, axes: axes, keepDims: keepDims, input: input, output: output)
      let inputs = randomInputs(model, seed: UInt64(140 + n), count: 4)
      let expected = try goldenOutputs(model, inputs)
      for arch in allPresets + [oddArchs[1]] {
        let (problems, compiled) = try compileAndCompare(
          model, on: arch, inputs: inputs, expected: expected, label: "REDUCE_PROD \(shape) axes \(axes)")
        // Saturating scales give all-±127 outputs: the harness calls those degenerate.
        #expect(problems.filter { !$0.contains("degenerate") }.isEmpty, "\(problems)")
        #expect(compiled.report.operators[0].placement == .vectorUnit, "\(compiled.report.operators[0].reason)")
        #expect(compiled.program.instructions.contains(where: Self.isProduct))
        compared += 1
      }
    }
    #expect(compared == 7 * 6)
  }

  @Test("a shift outside −31...7, non-adjacent axes and a column larger than the unified buffer stay on the host")
  func hostCases() throws {
    let wide = try LoweringPipeline(arch: .edgeTPU).compile(
      Self.model([2, 2], axes: [1], keepDims: false, input: (1, 0), output: (1e-12, 0))
    ).report.operators[0]
    #expect(wide.placement == .host)
    #expect(
      wide.reason.contains("REDUCE_PROD: rescaling shift 20 outside -31...7")
        && wide.reason.hasSuffix("runs on the host"), "\(wide.reason)")
    let gaps = try LoweringPipeline(arch: .edgeTPU).compile(
      Self.model([2, 3, 4], axes: [0, 2], keepDims: false, input: (0.02, 0), output: (0.02, 0))
    ).report.operators[0]
    #expect(gaps.placement == .host)
    #expect(gaps.reason.contains("are not contiguous"), "\(gaps.reason)")
    let long = try LoweringPipeline(arch: oddArchs[1]).compile(
      Self.model([2, 700], axes: [1], keepDims: false, input: (0.008, 0), output: (0.05, 0))
    ).report.operators[0]
    #expect(long.placement == .host)
    #expect(
      long.reason
        == "REDUCE_PROD: one column of 700 elements needs 701 B of unified buffer; tight-8x8 has 600 B; runs on the host"
    )
  }
}
