import Architecture
import Foundation
import GoldenModel
import GraphIR
import Lowering
import ModelZoo
import Support
import SystoleTestSupport
import TFLiteImport
import Testing
import TileISA

/// Issue 15: the compiler's memory estimate, made from the tiling plan before anything is
/// emitted, bounds the program it then emits, and a budget below it refuses the compile.
@Suite struct MemoryEstimateTests {
  /// Small committed models and zoo networks at reduced sizes, on presets that tile them very
  /// differently (a 4 × 4 array streams everything; gemmini splits K; tpu-v1 barely tiles).
  static let cases: [(String, String)] = [
    ("mlp_int8.tflite", "toy-4x4"), ("mlp_int8.tflite", "edge-tpu"), ("convpool_int8.tflite", "toy-4x4"),
    ("convpool_int8.tflite", "gemmini"), ("attention_int8.tflite", "toy-4x4"), ("attention_int8.tflite", "vta"),
    ("kws_dscnn_int8.tflite", "toy-4x4"), ("mobilenet_v2_int8.tflite", "edge-tpu"), ("zoo:mobilenet_v2@32", "tpu-v1"),
    ("zoo:resnet50@32", "tpu-v1"),
  ]

  static func load(_ name: String) throws -> Model {
    if name.hasPrefix("zoo:") {
      let parts = name.dropFirst(4).split(separator: "@")
      return try ModelZoo.model(named: String(parts[0]), inputSize: parts.count > 1 ? Int(parts[1]) : nil)
    }
    let raw = try TFLiteImporter.load(contentsOf: Fixtures.model(name))
    return try ShapeResolver.resolve(raw, ShapeRequest())
  }

  /// The instruction bound is at least the emitted count (and within a small factor of it, or it
  /// would refuse programs that fit), and the DRAM bound at least the program's DRAM size; for
  /// the int8 program and its float32 baseline.
  @Test(arguments: cases)
  func estimateBoundsTheEmittedProgram(_ name: String, _ preset: String) throws {
    let model = try Self.load(name)
    let arch = try ArchSpec.resolve(preset)
    for a in [arch, arch.baseline] {
      // Without the verifier's data check (most of a debug-build compile; these programs are
      // verified in full by CommittedModelTests and ZooTests): the sizes compared are the same.
      let pipeline = LoweringPipeline(arch: a, options: LoweringOptions(verifyData: false))
      let plan = try pipeline.plan(model)
      let estimate = plan.memoryEstimate(MemoryBudget(limitBytes: .max, functional: true))
      let program = try pipeline.compile(plan).program
      let emitted = program.instructions.count
      #expect(estimate.instructions >= emitted, "\(name) on \(a.name): bound \(estimate.instructions) < \(emitted)")
      #expect(estimate.instructions <= 4 * emitted + 64, "\(name) on \(a.name): bound \(estimate.instructions) vs \(emitted)")
      #expect(estimate.dramBytes >= Int(program.dramSize.count), "\(name) on \(a.name)")
      let image = program.dramImage.segments.map(\.bytes.count).reduce(0, +)
      #expect(estimate.constantBytes >= image, "\(name) on \(a.name): constants \(estimate.constantBytes) < image \(image)")
      #expect(estimate.programBytes >= emitted * TileProgram.residentBytesPerInstruction)
      #expect(estimate.machineBytes >= Int(program.dramSize.count) + Int(a.ub.capacity.count))
    }
  }

  /// A budget just below the estimate refuses with `.exceedsMemoryLimit` before emitting; one at
  /// the estimate compiles; `compile(model)` and `compile(plan)` agree.
  @Test func budgetAtTheEstimateIsTheEdge() throws {
    let model = try Self.load("mlp_int8.tflite")
    let arch = ArchSpec.toy4x4
    let estimate = try LoweringPipeline(arch: arch).plan(model).memoryEstimate(MemoryBudget(limitBytes: .max))
    let at = LoweringPipeline(arch: arch, options: LoweringOptions(memoryBudget: MemoryBudget(limitBytes: estimate.totalBytes)))
    #expect(try at.compile(model).program.instructions.count <= estimate.instructions)
    let below = LoweringPipeline(
      arch: arch, options: LoweringOptions(memoryBudget: MemoryBudget(limitBytes: estimate.totalBytes - 1)))
    for attempt in [{ _ = try below.compile(model) }, { _ = try below.compile(try below.plan(model)) }] {
      do {
        try attempt()
        Issue.record("a budget one byte below the estimate compiled")
      } catch let error as LoweringError {
        #expect(error.kind == .exceedsMemoryLimit)
        #expect(error.description.contains("\(ByteCount(estimate.totalBytes))"), "\(error)")
        #expect(error.description.contains("--max-memory"), "\(error)")
        #expect(!error.description.contains("\n"))
      }
    }
  }
}
