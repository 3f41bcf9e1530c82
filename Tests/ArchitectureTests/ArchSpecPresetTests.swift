import Foundation
import Support
import Testing

@testable import Architecture

/// The repository root, found from this file's path (Tests/ArchitectureTests/…).
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
  .deletingLastPathComponent().deletingLastPathComponent()

@Suite struct PresetTests {
  @Test(arguments: ArchSpec.presets.map(\.name))
  func everyPresetValidates(name: String) throws {
    let spec = try ArchSpec.preset(named: name)
    #expect(spec.validate() == [])
    #expect(spec.name == name)
    #expect(try spec.validated() == spec)
    // The fp32 baseline must be runnable too: a quarter of the elements, still one weight tile.
    #expect(spec.baseline.validate() == [])
  }

  @Test func presetNamesAreKebabCaseAndUnique() {
    let names = ArchSpec.presetNames
    #expect(names == ["tpu-v1", "edge-tpu", "gemmini", "vta", "toy-4x4"])
    #expect(Set(names).count == names.count)
    for name in names {
      #expect(name.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "-" }, "\(name)")
    }
  }

  @Test func staticMembersMatchTheTable() throws {
    #expect(ArchSpec.tpuV1 == (try ArchSpec.preset(named: "tpu-v1")))
    #expect(ArchSpec.edgeTPU == (try ArchSpec.preset(named: "edge-tpu")))
    #expect(ArchSpec.gemmini == (try ArchSpec.preset(named: "gemmini")))
    #expect(ArchSpec.vta == (try ArchSpec.preset(named: "vta")))
    #expect(ArchSpec.toy4x4 == (try ArchSpec.preset(named: "toy-4x4")))
  }

  /// The parameter table's defaults are TPU v1, so the table's source column describes it.
  @Test func defaultsAreTPUv1() {
    var defaults = ArchSpec.defaults
    #expect(defaults.name == "custom")
    defaults.name = "tpu-v1"
    #expect(defaults == ArchSpec.tpuV1)
  }

  @Test func tpuV1MatchesThePaper() {
    let tpu = ArchSpec.tpuV1
    #expect(tpu.array.rows == 256 && tpu.array.cols == 256)
    #expect(tpu.clock == 700)
    #expect(tpu.ub.capacity == .mebibytes(24))
    #expect(tpu.acc.capacity == .mebibytes(4))
    #expect(tpu.accumulatorEntries == 4096)
    #expect(tpu.weights.capacity == .kibibytes(64) * 4)
    #expect(tpu.weightTilesInBuffer == 4)
    #expect(tpu.weightTileLoadCycles == 256)
    #expect(tpu.dram.bandwidth == 34)
    #expect(tpu.dram.energyPerBit == DRAMTechnology.ddr3.energyPerBit)
    #expect(tpu.dataflow == .weightStationary)
  }

  @Test func gemminiAndVTAMatchTheirConfigFiles() {
    // ucb-bar/gemmini Configs.scala defaultConfig: 16×16 mesh, sp 128 KiB (4 banks) shared by
    // inputs and weights, acc 128 KiB (2 banks), WS.
    let g = ArchSpec.gemmini
    #expect(g.peakMACsPerCycle == 16 * 16)
    #expect(g.ub.capacity + g.weights.capacity == .kibibytes(128))
    #expect(g.ub.banks + g.weights.banks == 4)
    #expect(g.acc.capacity == .kibibytes(128) && g.acc.banks == 2)
    #expect(g.dataflow == .weightStationary)
    // apache/tvm-vta vta_config.json: LOG_BLOCK 4, LOG_INP_BUFF_SIZE 15, LOG_WGT_BUFF_SIZE 18,
    // LOG_ACC_BUFF_SIZE 17; pkg_config.py: 100 MHz, 64-bit AXI.
    let v = ArchSpec.vta
    #expect(v.array.rows == 1 << 4 && v.array.cols == 1 << 4)
    #expect(v.ub.capacity.count == 1 << 15)
    #expect(v.weights.capacity.count == 1 << 18)
    #expect(v.acc.capacity.count == 1 << 17)
    #expect(v.dramBytesPerCycle == 8)
  }

  /// Edge TPU: the assumed 64×64 at 480 MHz must land on the published 4 TOPS; the parameter
  /// cache stays within the "about 8 MB" the vendor quotes (its compiler reports 7.6–7.9 MiB
  /// available); activations get the public reverse engineering's 16 tiles × 192 KiB and stay
  /// on chip, only inputs, outputs and uncached parameters crossing the USB host link.
  @Test func edgeTPUAssumptionsMatchPublishedFigures() {
    let e = ArchSpec.edgeTPU
    #expect(e.peakTOPS.rounded() == 4)
    #expect(e.weights.capacity < .mebibytes(8) && e.weights.capacity >= ByteCount(7 * 1024 * 1024))
    #expect(e.ub.capacity == ByteCount(16 * 192 * 1024))
    #expect(e.memory.activations == .onChip)
    #expect(e.dram.bandwidth.value >= 0.3 && e.dram.bandwidth.value <= 0.36)
    #expect(e.origin(of: "array.rows").map { if case .assumed = $0 { true } else { false } } == true)
  }

  @Test func unknownPresetListsKnownNames() {
    #expect(throws: ArchError.self) { try ArchSpec.preset(named: "tpu-v9") }
    do {
      _ = try ArchSpec.preset(named: "tpu-v9")
    } catch {
      #expect(error.kind == .unknownPreset)
      #expect(
        error.description
          == "unknown architecture preset 'tpu-v9'; known presets: tpu-v1, edge-tpu, gemmini, vta, toy-4x4")
    }
  }

  @Test func baselineQuartersElementsAndUsesFP32Energy() {
    let tpu = ArchSpec.tpuV1
    let fp32 = tpu.baseline
    #expect(fp32.name == "tpu-v1-fp32")
    #expect(fp32.datapath == .float32)
    #expect(fp32.ubElements * 4 == tpu.ubElements)
    #expect(fp32.weightElements * 4 == tpu.weightElements)
    #expect(fp32.weightTilesInBuffer == 1)
    #expect(fp32.accumulatorEntries == tpu.accumulatorEntries)
    #expect(fp32.macEnergy == fp32.energy.fp32MAC)
    #expect(fp32.accumulateEnergy == fp32.energy.fp32Add)
    #expect(tpu.macEnergy == tpu.energy.int8MAC)
    #expect(tpu.withDatapath(.float32).name == "tpu-v1")
    #expect(tpu.withDatapath(.int8) == tpu)
    #expect(fp32.origin(of: "datapath") == .derived("tpu-v1 with withDatapath(.float32)"))
  }

  @Test(arguments: ["my-arch.json", "tpu-v1-gddr5.json", "gemmini-32x32.json"])
  func exampleFilesLoadAndValidate(file: String) throws {
    let path = repositoryRoot.appendingPathComponent("Programs/arch/\(file)").path
    let spec = try ArchSpec.load(path: path).validated()
    #expect(spec.name + ".json" == file)
  }

  @Test func exampleFilesSetWhatTheySay() throws {
    let dir = repositoryRoot.appendingPathComponent("Programs/arch").path
    let gddr5 = try ArchSpec.load(path: dir + "/tpu-v1-gddr5.json")
    var expected = ArchSpec.tpuV1
    expected.name = "tpu-v1-gddr5"
    expected.dram.bandwidth = 180
    expected.dram.energyPerBit = DRAMTechnology.gddr5.energyPerBit
    #expect(gddr5 == expected)
    let big = try ArchSpec.load(path: dir + "/gemmini-32x32.json")
    #expect(big.peakMACsPerCycle == 32 * 32)
    #expect(big.accumulatorEntries == 64 * 1024 / (32 * 4))
    #expect(big.ub == MemorySpec(capacity: .kibibytes(64), banks: 2, portBytesPerCycle: 32))
  }
}
