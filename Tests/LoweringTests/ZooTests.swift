import Architecture
import Foundation
import GoldenModel
import GraphIR
import Lowering
import Pipeline
import ModelZoo
import SystoleTestSupport
import Testing
import TileISA

/// The published networks of `ModelZoo` (ResNet-50, MobileNet v1/v2, a BERT-base layer, MLP0).
///
/// By default: ResNet-50 and the BERT layer compiled and verified at small input sizes for TPU v1
/// (n-tiles and K chunks of up to 2,048 channels on a 256 × 256 array), and
/// MobileNet v2 at 32 × 32 run bit-exact against the golden model on Gemmini. With
/// `SYSTOLE_SLOW_TESTS=1`: every small variant on every full-size preset (streamed weights on the small
/// arrays make hundreds of thousands of instructions) and run bit-exact, and the published sizes
/// compiled and verified.
@Suite struct ZooTests {
  static let small: [(name: String, size: Int)] = [
    ("resnet50", 32), ("mobilenet_v1", 32), ("mobilenet_v2", 32), ("bert-base-layer", 4), ("mlp0", 2),
  ]
  /// The full-size presets (on `toy-4x4` ResNet-50's 23 M weights stream as 4 × 4 tiles: millions
  /// of instructions).
  static let presets: [ArchSpec] = [.tpuV1, .edgeTPU, .gemmini, .vta]

  /// The default run's share: the widest convolutions (ResNet-50: up to 2,048 channels) and the
  /// attention layer (BATCH_MATMUL heads); building a zoo model's weights is itself costly.
  static let defaultNames: Set<String> = ["resnet50", "bert-base-layer"]

  @Test(arguments: small.map(\.name).filter { slowTests || defaultNames.contains($0) })
  func smallSizesCompileAndVerify(_ name: String) throws {
    let size = Self.small.first { $0.name == name }?.size
    let model = try ModelZoo.model(named: name, inputSize: size)
    for arch in slowTests ? Self.presets : [.tpuV1] {
      let compiled = try LoweringPipeline(arch: arch, options: LoweringOptions(verifyProgram: false)).compile(model)
      let problems = ProgramVerifier.verify(compiled.program)
      #expect(problems.isEmpty, "\(name) on \(arch.name): \(problems.prefix(3))")
      #expect(compiled.report.totals.operatorsOnArray > 0)
    }
  }

  @Test func mobileNetV2MatchesTheGoldenModel() throws {
    try matchGolden("mobilenet_v2", size: 32, on: [.gemmini])
  }

  @Test(.enabled(if: slowTests), arguments: small.map(\.name))
  func smallSizesMatchTheGoldenModel(_ name: String) throws {
    try matchGolden(name, size: Self.small.first { $0.name == name }?.size, on: Self.presets)
  }

  @Test(.enabled(if: slowTests), arguments: ModelZoo.names)
  func publishedSizesCompileAndVerify(_ name: String) throws {
    let model = try ModelZoo.model(named: name)
    for arch in [ArchSpec.tpuV1, .edgeTPU, .gemmini, ArchSpec.tpuV1.baseline] {
      let compiled = try LoweringPipeline(arch: arch, options: LoweringOptions(verifyProgram: false)).compile(model)
      let problems = ProgramVerifier.verify(compiled.program)
      #expect(problems.isEmpty, "\(name) on \(arch.name): \(problems.prefix(3))")
    }
  }

  func matchGolden(_ name: String, size: Int?, on archs: [ArchSpec]) throws {
    let model = try ModelZoo.model(named: name, inputSize: size)
    let inputs = randomInputs(model, seed: 17, count: 1)[0]
    var interpreter = Interpreter(model: model)
    let expected = try interpreter.invoke(inputs)
    for arch in archs {
      let compiled = try LoweringPipeline(arch: arch).compile(model)
      let raw = try compiled.program.run(
        inputs: inputs.map { $0.littleEndianBytes() }, host: GoldenHostExecutor(model: model, compiled: compiled))
      for (o, (bytes, want)) in zip(raw, expected).enumerated() {
        #expect(bytes == want.littleEndianBytes(), "\(name) on \(arch.name) output \(o) differs from the golden model")
        #expect(Set(bytes).count > 2, "\(name): degenerate output")
      }
    }
  }
}
