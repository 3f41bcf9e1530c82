import Architecture
import Foundation
import GoldenModel
import GraphIR
import Lowering
import Pipeline
import Support
import SystoleTestSupport
import Testing
import TileISA

/// SPACE_TO_BATCH_ND and BATCH_TO_SPACE_ND on chip (issue 14): strided DMA copies whose element
/// map comes from the golden kernel (`DataMovement`), SPACE_TO_BATCH_ND's padded positions
/// written by the copy layer's fill (the output zero point). The committed single-op fixtures and
/// the dynamic-batch DeepLab head (`make_space_batch_models.py`) compile on every preset and run
/// bit-exact with TFLite's reference kernels (the head on every preset with `SYSTOLE_SLOW_TESTS=1`);
/// seeded graphs on the odd archs against the golden model.
@Suite struct SpaceBatchLoweringTests {
  static let moved: Set<String> = ["SPACE_TO_BATCH_ND", "BATCH_TO_SPACE_ND"]

  @Test("the committed int8 space-batch fixtures run on chip bit-exact with TFLite on every preset")
  func committedFixtures() throws {
    let sets = try Fixtures.referenceSets(key: "space_batch_ops").filter { $0.stem.hasSuffix("_int8") }
    #expect(sets.count == 8, "\(sets.map(\.stem))")
    for set in sets {
      let model = try set.loadResolved()
      for arch in allPresets {
        let compiled = try LoweringPipeline(arch: arch).compile(model)
        let ops = compiled.report.operators.filter { Self.moved.contains($0.opName) }
        #expect(
          ops.count == 1 && ops.allSatisfy { $0.placement == .vectorUnit && $0.reason.contains("strided DMA cop") },
          "\(set.stem) on \(arch.name): \(ops.map(\.reason))")
        #expect(compiled.hostTasks.isEmpty, "\(set.stem) on \(arch.name): \(compiled.hostTasks.map(\.opName))")
        // The padded SPACE_TO_BATCH_ND fixtures fill their padding with the zero point first.
        let padded = set.stem.hasPrefix("space_to_batch") && !set.stem.contains("nopad")
        #expect(
          ops.allSatisfy { $0.reason.contains("after a fill with the zero point") == padded },
          "\(set.stem) on \(arch.name): \(ops.map(\.reason))")
        let mismatches = try mismatchesWithTFLite(set, model, compiled, label: "\(set.stem) on \(arch.name)")
        #expect(mismatches.isEmpty, "\(mismatches.prefix(3))")
      }
    }
  }

  /// The dynamic-batch DeepLab head imports, resolves to batch 1 and compiles on every preset with
  /// its four space-batch ops on chip and a program the verifier accepts (toy-4x4, whose tiny
  /// array makes the compile take 6 s in a debug build, with `SYSTOLE_SLOW_TESTS=1`).
  @Test func dynamicDeepLabCompilesOnEveryPreset() throws {
    let model = try ReferenceSet(stem: "deeplab_head_dynamic_int8").loadResolved()
    for arch in allPresets where slowTests || arch.name != ArchSpec.toy4x4.name {
      // Verified once, here (the pipeline's own verifier pass off).
      let compiled = try LoweringPipeline(arch: arch, options: LoweringOptions(verifyProgram: false)).compile(model)
      let problems = ProgramVerifier.verify(compiled.program)
      #expect(problems.isEmpty, "\(arch.name): \(problems.prefix(3))")
      let ops = compiled.report.operators.filter { Self.moved.contains($0.opName) }
      #expect(ops.count == 4)
      for op in ops {
        #expect(op.placement == .vectorUnit, "\(arch.name) #\(op.index) \(op.opName): \(op.reason)")
      }
    }
  }

  /// ... and runs functionally bit-exact with TFLite (floats with zero tolerance): on the Edge TPU
  /// by default, on every preset with `SYSTOLE_SLOW_TESTS=1` (13 s more in a debug build).
  @Test(arguments: (slowTests ? allPresets : [.edgeTPU]).map(\.name))
  func dynamicDeepLabRunsBitExact(_ archName: String) throws {
    let arch = try #require(allPresets.first { $0.name == archName })
    let set = try ReferenceSet(stem: "deeplab_head_dynamic_int8")
    let model = try set.loadResolved()
    let compiled = try LoweringPipeline(arch: arch).compile(model)
    let mismatches = try mismatchesWithTFLite(
      set, model, compiled, label: "deeplab dynamic on \(arch.name)", relativeTolerance: 0)
    #expect(mismatches.isEmpty, "\(mismatches.prefix(3))")
  }

  /// Seeded geometries (padded, batched, rank 3) against the golden model on the odd archs,
  /// whose tiny unified buffers split the copies into chunks.
  @Test func seededGeometriesOnOddArchs() throws {
    let cases: [(OpKind, [Int], [Int32], [Int32], [Int])] = [
      (.spaceToBatchND, [1, 5, 7, 3], [2, 3], [1, 0, 0, 2], [6, 3, 3, 3]),
      (.spaceToBatchND, [2, 4, 3], [3], [1, 1], [6, 2, 3]),
      (.batchToSpaceND, [6, 3, 3, 3], [2, 3], [1, 0, 0, 2], [1, 5, 7, 3]),
      (.batchToSpaceND, [6, 2, 3], [3], [1, 1], [2, 4, 3]),
    ]
    for (kind, input, block, edges, output) in cases {
      let model = ShapeOpTests.model(
        kind, input, constants: [([block.count], block), ([block.count, 2], edges)], output: output)
      for arch in oddArchs + [.edgeTPU] {
        let (problems, compiled) = try compileAndCompare(
          model, on: arch, inputs: randomInputs(model, seed: 14), label: "\(kind.tfliteName) \(input)")
        #expect(problems.isEmpty, "\(problems)")
        let op = compiled.report.operators[0]
        #expect(op.placement == .vectorUnit, "\(kind.tfliteName) on \(arch.name): \(op.reason)")
      }
    }
  }
}
