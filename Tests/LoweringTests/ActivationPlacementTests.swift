import Architecture
import Foundation
import GoldenModel
import GraphIR
import Lowering
import ModelZoo
import Pipeline
import Support
import SystoleTestSupport
import Testing
import TileISA

/// Where compiled programs keep activations, per preset policy (`memory.activations`):
/// MobileNet-style networks stay on chip on the Edge TPU and TPU v1; Gemmini and VTA
/// round-trip every layer through DRAM as their software stacks do.
@Suite struct ActivationPlacementTests {
  /// The transfers between the unified buffer and DRAM or the arena, by direction.
  struct Traffic {
    var dramLoads = 0, dramStores = 0, arenaLoads = 0, arenaStores = 0
  }

  func activationTraffic(_ p: TileProgram) -> Traffic {
    var t = Traffic()
    for instruction in p.instructions {
      switch instruction.operation {
      case .load(let d) where d.memory == .unifiedBuffer:
        if d.backing == .arena { t.arenaLoads += d.totalBytes } else { t.dramLoads += d.totalBytes }
      case .store(let d):
        if d.backing == .arena { t.arenaStores += d.totalBytes } else { t.dramStores += d.totalBytes }
      default: break
      }
    }
    return t
  }

  static let sizes: [Int] = slowTests ? [32, 224] : [32]

  /// Depthwise layers on the array: where the cost model would send them to the host (issue 13
  /// part 3), their operands must be in DRAM; this test is about the memory plan.
  static let onArray = LoweringOptions(depthwise: .array)

  @Test(arguments: ["mobilenet_v2", "mobilenet_v1"])
  func mobileNetsStayOnChipOnEdgeTPUAndTPUv1(_ name: String) throws {
    for size in Self.sizes {
      let model = try ModelZoo.model(named: name, inputSize: size)
      let inputBytes = model.main.inputs.reduce(0) { $0 + model.main[$1].byteCount }
      let outputBytes = model.main.outputs.reduce(0) { $0 + model.main[$1].byteCount }
      for arch in [ArchSpec.edgeTPU, .tpuV1] {
        var options = Self.onArray
        options.verifyData = size <= 32
        let compiled = try LoweringPipeline(arch: arch, options: options).compile(model)
        let a = compiled.report.activations
        let label = "\(name) \(size) on \(arch.name)"
        #expect(a.policy == .onChip)
        #expect(a.spilledBytes == 0, "\(label): \(a.inDRAM.filter { $0.cause == .spill }.map(\.name))")
        #expect(a.onChipTensors > 10, "\(label)")
        #expect(compiled.program.arenaSize.count > 0)
        #expect(Int(compiled.program.arenaSize.count) <= a.arenaCapacityBytes)
        for d in a.inDRAM {
          #expect([.input, .output, .host].contains(d.cause), "\(label): '\(d.name)' in DRAM: \(d.reason)")
        }
        // The only unified-buffer ↔ DRAM traffic is the input, the output and host operands.
        let t = activationTraffic(compiled.program)
        let host = a.dramBytes(.host)
        #expect(t.arenaLoads > 0 && t.arenaStores > 0)
        if host == 0 {
          #expect(t.dramStores == outputBytes, "\(label)")
          #expect(t.dramLoads >= inputBytes, "\(label)")
        }
        // Per operator: every array operator whose operands are on chip reads and writes no
        // activation bytes in DRAM.
        for o in compiled.report.operators where o.placement == .systolicArray {
          if o.inputs.allSatisfy({ $0.storage == .arena }) && o.outputs.allSatisfy({ $0.storage == .arena }) {
            #expect(o.arenaBytesRead + o.arenaBytesReadInPlace > 0 && o.arenaBytesWritten > 0, "\(label) op #\(o.index)")
            #expect(o.dramBytesWritten == 0, "\(label) op #\(o.index)")
          }
        }
      }
    }
  }

  @Test(arguments: ["gemmini", "vta"])
  func gemminiAndVTARoundTripThroughDRAM(_ preset: String) throws {
    let arch = try ArchSpec.preset(named: preset)
    #expect(arch.memory.activations == .dram)
    let model = try ModelZoo.model(named: "mobilenet_v2", inputSize: 32)
    let compiled = try LoweringPipeline(arch: arch).compile(model)
    let a = compiled.report.activations
    #expect(a.policy == .dram)
    #expect(compiled.program.arenaSize == 0)
    #expect(a.onChipTensors == 0)
    #expect(a.dramBytes(.policy) > 0)
    let t = activationTraffic(compiled.program)
    #expect(t.arenaLoads == 0 && t.arenaStores == 0)
    #expect(compiled.report.rendered().contains("every layer output round-trips through DRAM"))
  }

  @Test("--set memory.activations=dram restores the DRAM round trip on TPU v1; on-chip moves fewer DRAM bytes")
  func policyIsAWhatIfKnob() throws {
    let model = try ModelZoo.model(named: "mobilenet_v2", inputSize: 32)
    var dram = ArchSpec.tpuV1
    try dram.apply(override: "memory.activations=dram")
    let onChip = try RunPipeline.run(model: model, arch: .tpuV1, options: .init(baseline: false))
    let offChip = try RunPipeline.run(model: model, arch: dram, options: .init(baseline: false))
    #expect(offChip.compiled.program.arenaSize == 0)
    #expect(onChip.simulation.total.dramBytes < offChip.simulation.total.dramBytes)
    #expect(onChip.simulation.total[.arenaReadBytes] > 0)
    #expect(offChip.simulation.total[.arenaReadBytes] == 0)
    #expect(onChip.simulation.cycles <= offChip.simulation.cycles)
  }

  @Test("MobileNet v2 with activations on chip matches the golden model on the Edge TPU and TPU v1")
  func onChipIsBitExact() throws {
    let model = try ModelZoo.model(named: "mobilenet_v2", inputSize: 32)
    let inputs = randomInputs(model, seed: 23, count: 1)
    let expected = try goldenOutputs(model, inputs)
    for arch in [ArchSpec.edgeTPU, .tpuV1] {
      let (problems, compiled) = try compileAndCompare(
        model, on: arch, inputs: inputs, expected: expected, label: "mobilenet_v2 32")
      #expect(problems.isEmpty, "\(problems.prefix(3))")
      #expect(compiled.program.arenaSize.count > 0)
    }
  }

  @Test("a unified buffer too small for the activations spills them, and the program stays bit-exact")
  func spillsStayBitExact() throws {
    let model = try ModelZoo.model(named: "mobilenet_v2", inputSize: 32)
    let inputs = randomInputs(model, seed: 29, count: 1)
    // The first unified-buffer size (KiB) at which the arena holds some activations and spills
    // others.
    // (The search reads only the memory plan: no verifier, no constant image; the chosen size is
    // then compiled, verified and run in full.)
    var probe = Self.onArray
    probe.verifyProgram = false
    probe.writeConstants = false
    var chosen: ArchSpec?
    for kib in [24, 32, 48, 64, 96] {
      var small = ArchSpec.edgeTPU
      small.name = "edge-tpu-\(kib)k-ub"
      small.ub.capacity = ByteCount(kib * 1024)
      small.ub.banks = 1
      let a = try LoweringPipeline(arch: small, options: probe).compile(model).report.activations
      if a.spilledBytes > 0 && a.onChipTensors > 0 {
        chosen = small
        break
      }
    }
    let small = try #require(chosen, "no unified-buffer size between 24 and 96 KiB both keeps and spills activations")
    let (problems, compiled) = try compileAndCompare(
      model, on: small, options: Self.onArray, inputs: inputs, label: "mobilenet_v2 32")
    #expect(problems.isEmpty, "\(problems.prefix(3))")
    #expect(compiled.report.rendered().contains("spilled: '"))
    for d in compiled.report.activations.inDRAM where d.cause == .spill {
      #expect(d.reason.contains("arena"), "\(d.reason)")
    }
  }
}
