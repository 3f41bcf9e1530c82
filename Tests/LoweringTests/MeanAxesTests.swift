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

/// int8 MEAN over any run of adjacent axes on the vector unit (`vmean` over outer × reduced ×
/// inner; a row per lane when the reduced axes are the last): seeded shapes, axes and keep_dims
/// bit-exact with the golden model on every preset, row blocks on a small unified buffer, and the
/// host fallback for axes that are not adjacent. REDUCE_MAX int8 takes the same layouts through
/// `vreduce fn=max`.
@Suite struct MeanAxesTests {
  @Test("seeded shapes and adjacent axis runs equal the golden model on every preset")
  func seededAxes() throws {
    var rng = SeededGenerator(seed: 77)
    var compared = 0
    for trial in 0..<8 {
      let rank = [2, 3, 3, 4][trial % 4]
      let shape = (0..<rank).map { _ in [1, 2, 3, 5, 8, 16][Int.random(in: 0..<6, using: &rng)] }
      let first = Int.random(in: 0..<rank, using: &rng)
      let last = Int.random(in: first..<rank, using: &rng)
      let axes = (first...last).map { Int32(Bool.random(using: &rng) ? $0 : $0 - rank) }
      let keepDims = Bool.random(using: &rng)
      let model = MeanTests.model(shape, axes: axes, keepDims: keepDims, input: (0.05, 3), output: (0.03, -5))
      for arch in allPresets + [oddArchs[1]] {
        let (problems, compiled) = try compileAndCompare(
          model, on: arch, inputs: randomInputs(model, seed: UInt64(trial), count: 1), label: "\(shape) axes \(axes)")
        #expect(problems.filter { !$0.contains("degenerate") }.isEmpty, "\(problems)")
        #expect(compiled.report.operators[0].placement == .vectorUnit, "\(compiled.report.operators[0].reason)")
        compared += 1
      }
    }
    #expect(compared == 8 * 6)
  }

  @Test("a mean over the last axis loads blocks of whole rows, one vmean per block, bit-exact")
  func rowBlocks() throws {
    // 16 rows of 64: a row and its mean take 65 B; 600 B of UB double-buffered holds 4 rows.
    let small = tinyArch("small-ub", rows: 4, cols: 4, ub: 600, weights: 256, accumulatorRows: 4)
    let model = MeanTests.model([2, 8, 64], axes: [-1], keepDims: true, input: (0.02, -3), output: (0.01, 4))
    let (problems, compiled) = try compileAndCompare(model, on: small, inputs: randomInputs(model, seed: 5))
    #expect(problems.isEmpty, "\(problems)")
    let means = compiled.program.instructions.filter {
      if case .vector(.mean) = $0.operation { return true } else { return false }
    }
    #expect(means.count == 16 / (600 / (2 * 65)))
    #expect(
      compiled.report.operators[0].reason
        == "MEAN: vmean on the vector unit over axes [2] (16 rows of 64, one row per lane)")
    // On the edge TPU all 16 rows are one block: one load, one vmean, one store.
    let edge = try LoweringPipeline(arch: .edgeTPU).compile(model)
    #expect(edge.program.instructions.filter { if case .vector(.mean) = $0.operation { true } else { false } }.count == 1)
  }

  @Test("reduction layouts: adjacent runs, size-1 axes skipped, gaps rejected")
  func layouts() {
    #expect(OperatorLegalizer.reductionLayout([2, 5, 5, 8], axes: [1, 2]) ?? (0, 0, 0) == (2, 25, 8))
    #expect(OperatorLegalizer.reductionLayout([1, 17, 64], axes: [2]) ?? (0, 0, 0) == (17, 64, 1))
    #expect(OperatorLegalizer.reductionLayout([4, 1, 6], axes: [0, 2]) ?? (0, 0, 0) == (1, 24, 1))
    #expect(OperatorLegalizer.reductionLayout([4, 1, 6], axes: [1]) ?? (0, 0, 0) == (24, 1, 1))
    #expect(OperatorLegalizer.reductionLayout([2, 3, 4, 5], axes: [1, 3]) == nil)
  }

  /// One int8 REDUCE_MAX over `axes` of `shape` with equal input and output quantization.
  static func reduceMaxModel(_ shape: [Int], axes: [Int32], keepDims: Bool, output: (Float, Int64) = (0.05, 3)) -> Model {
    GraphBuilder.reductionModel(
      "reduce_max", OpKind.reduceMax, shape, axes: axes, keepDims: keepDims, input: (0.05, 3), output: output,
      seed: 6)
  }

  @Test("REDUCE_MAX through vreduce: seeded axis runs vs the golden model, committed fixtures vs TFLite, on every preset")
  func reduceMax() throws {
    let cases: [([Int], [Int32], Bool)] = [
      ([2, 5, 5, 8], [1, 2], true), ([3, 17, 16], [-1], false), ([4, 6, 7], [0, 1], true), ([2, 3, 4, 5], [2], false),
    ]
    for (n, (shape, axes, keepDims)) in cases.enumerated() {
      let model = Self.reduceMaxModel(shape, axes: axes, keepDims: keepDims)
      for arch in allPresets + [oddArchs[1]] {
        let (problems, compiled) = try compileAndCompare(
          model, on: arch, inputs: randomInputs(model, seed: UInt64(n), count: 1), label: "REDUCE_MAX \(shape) \(axes)")
        #expect(problems.filter { !$0.contains("degenerate") }.isEmpty, "\(problems)")
        #expect(compiled.report.operators[0].placement == .vectorUnit, "\(compiled.report.operators[0].reason)")
        #expect(compiled.program.instructions.contains { if case .vector(.reduce) = $0.operation { true } else { false } })
      }
    }
    let sets = try Fixtures.referenceSets(key: "transformer_ops").filter { $0.stem.hasPrefix("reduce_max") && $0.stem.hasSuffix("_int8") }
    #expect(sets.map(\.stem).sorted() == ["reduce_max_hw_int8", "reduce_max_keepdims_int8"])
    for set in sets {
      let model = try set.loadResolved()
      for arch in allPresets {
        let compiled = try LoweringPipeline(arch: arch).compile(model)
        let ops = compiled.report.operators.filter { $0.opName == "REDUCE_MAX" }
        #expect(!ops.isEmpty && ops.allSatisfy { $0.placement == .vectorUnit }, "\(set.stem): \(ops.map(\.reason))")
        let mismatches = try mismatchesWithTFLite(set, model, compiled, label: "\(set.stem) on \(arch.name)")
        #expect(mismatches.isEmpty, "\(mismatches.prefix(3))")
      }
    }
    // TFLite requires equal input and output quantization for a quantized REDUCE_MAX.
    let rescaled = try LoweringPipeline(arch: .edgeTPU).compile(
      Self.reduceMaxModel([2, 8], axes: [1], keepDims: false, output: (0.1, 3))
    ).report.operators[0]
    #expect(rescaled.placement == .host)
    #expect(
      rescaled.reason
        == "REDUCE_MAX: input and output quantized differently (TFLite requires them equal); runs on the host")
  }
}
