import Architecture
import CycleSim
import GraphIR
import Lowering
import ModelZoo
import Testing
import TileISA

/// `LoweringPipeline.plan(_:)` / `compile(_:)`: a plan's `ProgramIdentity` decides the program.
///
/// Sweeps finish only plans whose identity they have not seen, so the claim under test is:
/// two architectures whose plans have equal identities compile to equal programs, whatever
/// their clock, DRAM, host and vector figures.
@Suite struct LoweringPlanTests {
  /// Every parameter the cost model reads but the later passes do not, each at a few values.
  static let timingVariations: [[String]] = {
    var result: [[String]] = [[]]
    for gbps in ["1", "600"] { result.append(["dram.gbps=\(gbps)", "clock.mhz=1400"]) }
    result.append(["clock.mhz=100"])
    result.append(["dram.latency_ns=2000"])
    result.append(["host.gops=1000", "host.latency_us=0.1", "host.link_gbps=100"])
    result.append(["vector.lanes=4"])
    result.append(["array.weight_load_rows_per_cycle=16", "array.weight_double_buffered=false"])
    return result
  }()

  /// The compiler's options here: the defaults without the verifier's data check (no read of
  /// unwritten bytes), which is most of a debug-build compile and not what these tests are
  /// about; checks 1–3 still run, and the constant image is still written and compared.
  static let options = LoweringOptions(verifyData: false)

  /// The options sweeps compile with (the only users of identities): timing-only, no constant
  /// image (writing ResNet-50's weight tiles was over half of this test's debug-build time), no
  /// data check. `planThenCompileEqualsCompile` compares full programs, constant image included.
  static let sweepOptions: LoweringOptions = {
    var o = LoweringOptions(verifyData: false, writeConstants: false)
    o.recordTiles = false
    return o
  }()

  /// MobileNet v2 (depthwise layers, which the cost model may send to the host) at 32 × 32 and
  /// ResNet-50 at 32 × 32 (debug-build compiles are slow; the published sizes go through the same
  /// code), compiled as sweeps compile.
  @Test(arguments: [("mobilenet_v2", 32, "edge-tpu"), ("resnet50", 32, "tpu-v1")])
  func equalIdentitiesCompileToEqualPrograms(_ name: String, _ size: Int, _ preset: String) throws {
    let model = try ModelZoo.model(named: name, inputSize: size)
    let base = try ArchSpec.resolve(preset)
    var programs: [ProgramIdentity: TileProgram] = [:]
    var plans = 0
    for overrides in Self.timingVariations {
      for arch in [try base.applying(overrides: overrides), try base.applying(overrides: overrides).baseline] {
        let pipeline = LoweringPipeline(arch: arch, options: Self.sweepOptions)
        let plan = try pipeline.plan(model)
        plans += 1
        #expect(plan.identity.layerCount == model.main.operators.count)
        let program = try pipeline.compile(plan).program
        if let earlier = programs[plan.identity] {
          #expect(earlier == program, "\(name) on \(preset) \(overrides): equal identity, different program")
        } else {
          programs[plan.identity] = program
        }
      }
    }
    // The cost model's choices do move with the timing figures (so identities are needed), and
    // points still share programs (so the cache saves work).
    #expect(programs.count > 2)
    #expect(programs.count < plans)
  }

  @Test func planThenCompileEqualsCompile() throws {
    let model = try ModelZoo.model(named: "mobilenet_v2", inputSize: 32)
    for arch in [ArchSpec.edgeTPU, .gemmini, ArchSpec.tpuV1.baseline] {
      let pipeline = LoweringPipeline(arch: arch, options: Self.options)
      let direct = try pipeline.compile(model)
      let planned = try pipeline.compile(try pipeline.plan(model))
      #expect(direct.program == planned.program)
      #expect(direct.report == planned.report)
    }
  }

  /// Sweeps compile with `writeConstants: false`: same instructions, DRAM layout and simulated
  /// cycles as the full compile, with an empty DRAM image.
  @Test func timingOnlyProgramsTimeLikeFullOnes() throws {
    let model = try ModelZoo.model(named: "mobilenet_v2", inputSize: 32)
    for arch in [ArchSpec.edgeTPU, ArchSpec.edgeTPU.baseline] {
      let full = try LoweringPipeline(arch: arch, options: Self.options).compile(model).program
      let lean = try LoweringPipeline(arch: arch, options: LoweringOptions(writeConstants: false)).compile(model).program
      #expect(lean.instructions == full.instructions)
      #expect(lean.dramSize == full.dramSize)
      #expect(lean.dramImage.segments.isEmpty)
      #expect(!full.dramImage.segments.isEmpty)
      var a = Simulator(arch: arch, program: full, mode: .timing)
      var b = Simulator(arch: arch, program: lean, mode: .timing)
      let (x, y) = (try a.run(), try b.run())
      #expect(x.cycles == y.cycles)
      #expect(x.total == y.total)
    }
  }

  @Test func geometryAndOptionsChangeTheIdentity() throws {
    let model = try ModelZoo.model(named: "mobilenet_v2", inputSize: 32)
    let base = ArchSpec.edgeTPU
    let identity = try LoweringPipeline(arch: base).plan(model).identity
    #expect(try LoweringPipeline(arch: base.applying(overrides: ["energy.int8_mac_pj=9"])).plan(model).identity == identity)
    for overrides in [["array=32x32"], ["ub.kib=256"], ["weights.kib=64"], ["acc.kib=64"], ["dataflow=os"]] {
      let other = try LoweringPipeline(arch: base.applying(overrides: overrides)).plan(model).identity
      #expect(other != identity, "\(overrides) should change the identity")
    }
    let single = try LoweringPipeline(arch: base, options: LoweringOptions(doubleBuffering: false)).plan(model).identity
    #expect(single != identity)
    let dumped = try LoweringPipeline(arch: base, options: LoweringOptions(dumpAfter: .tiling)).plan(model).identity
    #expect(dumped == identity)
  }

  @Test func planReportsTheTilingPassesErrors() {
    // The same one-line error `compile(_:)` gives (ErrorTests): tiling finds the tile too big.
    let tiny = tinyArch("tiny", rows: 4, cols: 4, ub: 3, weights: 256, accumulatorRows: 4)
    do {
      _ = try LoweringPipeline(arch: tiny).plan(ErrorTests.fc)
      Issue.record("expected an error")
    } catch {
      #expect(error.kind == .doesNotFit)
      #expect(error.description == "op #0 FULLY_CONNECTED 'y': smallest tile needs 4 B of unified buffer; tiny has 3 B")
    }
  }
}
