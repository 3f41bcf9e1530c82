import Architecture
import Support
import Testing
import TileISA

@testable import CycleSim

/// `load … resident` (parameters kept across inferences): a steady-state inference issues it
/// and moves nothing — no cycles, no DRAM bytes — while the same load without the flag pays the
/// DRAM rule. docs/cost-model.md §4.
@Suite("resident parameter load timing")
struct ResidentLoadTimingTests {
  func load(resident: Bool, bytes: Int) -> DMA2D {
    var d = DMA2D(memory: .weightBuffer, sramAddress: 0, dramAddress: 0, rows: 1, rowBytes: bytes)
    d.resident = resident
    return d
  }

  @Test("a resident load takes no cycles and no DRAM traffic; a plain one pays L + ⌈B / bw⌉")
  func residentIsFree() throws {
    for arch in [ArchSpec.toy4x4, .edgeTPU] {
      for bytes in [16, 64, 200] {
        var plain = ProgramBuilder(arch: arch, dramSize: 0x1000)
        plain.add(.load(load(resident: false, bytes: bytes)))
        plain.add(.finish)
        let (p, _) = try simulate(plain.program, arch: arch)
        #expect(p.cycles.count > 0)
        #expect(p.total.dramBytes == Int64(bytes))
        var resident = ProgramBuilder(arch: arch, dramSize: 0x1000)
        resident.add(.load(load(resident: true, bytes: bytes)))
        resident.add(.finish)
        let (r, _) = try simulate(resident.program, arch: arch)
        #expect(r.cycles.count == 0, "\(arch.name) \(bytes) B")
        #expect(r.total.dramBytes == 0)
      }
    }
  }

  @Test("edge-tpu keeps cached parameters resident; tpu-v1, gemmini and vta reload them")
  func presetPolicy() {
    #expect(ArchSpec.edgeTPU.memory.parametersResident)
    for arch in [ArchSpec.tpuV1, .gemmini, .vta] { #expect(!arch.memory.parametersResident, "\(arch.name)") }
  }
}
