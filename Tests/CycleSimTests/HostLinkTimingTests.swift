import Architecture
import Support
import Testing
import TileISA

@testable import CycleSim

/// `load`/`store … host_link` (network inputs and outputs across the host link,
/// `memory.io_over_host_link`): `H + ⌈B / min(link, port(ub))⌉` cycles, H =
/// `host_dma_latency_cycles`, no DRAM channel and no DRAM bytes; the bytes count as
/// `host_link_bytes`. docs/cost-model.md §4.
@Suite("host-link transfer timing")
struct HostLinkTimingTests {
  func transfer(bytes: Int, hostLink: Bool) -> DMA2D {
    var d = DMA2D(memory: .unifiedBuffer, sramAddress: 0, dramAddress: 0, rows: 1, rowBytes: bytes)
    d.hostLink = hostLink
    return d
  }

  @Test("a lone host-link load or store takes H + ⌈B / min(link, port(ub))⌉ cycles and moves no DRAM bytes")
  func exactCycles() throws {
    for arch in [ArchSpec.tpuV1, .toy4x4] {
      let params = try TimingParameters(arch: arch, elementBytes: 1)
      for bytes in [1, 16, 250, 1000] {
        for store in [false, true] {
          var b = ProgramBuilder(arch: arch, dramSize: 0x1000)
          let d = transfer(bytes: bytes, hostLink: true)
          b.add(store ? .store(d) : .load(d))
          b.add(.finish)
          let (r, _) = try simulate(b.program, arch: arch)
          let rate = min(arch.hostLinkBytesPerCycle, Double(params.portBytesPerCycle(of: .unifiedBuffer)))
          let expected = Int64(arch.hostDMALatencyCycles) + Int64((Double(bytes) / rate).rounded(.up))
          #expect(r.cycles.count == expected, "\(arch.name) \(bytes) B store \(store)")
          #expect(r.total.dramBytes == 0)
          #expect(r.total[.hostLinkBytes] == Int64(bytes))
        }
      }
    }
  }

  /// `memory.dram_is_host_link` (edge-tpu: its "DRAM" is the USB link): a host-link store of an
  /// output and a DRAM load of streamed parameters running at the same time share one channel,
  /// so together they end at `L + ⌈2B / bandwidth⌉`; on separate links (the flag off) the store
  /// takes its own `H + ⌈B / link⌉` and the load `L + ⌈B / bandwidth⌉`.
  @Test("on edge-tpu a host-link store shares the USB link with a concurrent parameter load; with separate links it does not")
  func sharedLinkArbitration() throws {
    for shared in [true, false] {
      var arch = ArchSpec.edgeTPU
      arch.memory.dramIsHostLink = shared
      let params = try TimingParameters(arch: arch, elementBytes: 1)
      let bytes = 4096
      var b = ProgramBuilder(arch: arch, dramSize: 0x4000)
      b.add(.load(DMA2D(memory: .unifiedBuffer, sramAddress: 0, dramAddress: 0, rows: 1, rowBytes: bytes)))
      var store = DMA2D(memory: .unifiedBuffer, sramAddress: 8192, dramAddress: 8192, rows: 1, rowBytes: bytes)
      store.hostLink = true
      b.add(.store(store))
      b.add(.finish)
      let (r, _) = try simulate(b.program, arch: arch)
      let bandwidth = min(params.dramBytesPerCycleValue, Double(params.portBytesPerCycle(of: .unifiedBuffer)))
      let alone = params.dramLatencyCycles + Int64((Double(bytes) / bandwidth).rounded(.up))
      let link = min(arch.hostLinkBytesPerCycle, Double(params.portBytesPerCycle(of: .unifiedBuffer)))
      let linkAlone = Int64(arch.hostDMALatencyCycles) + Int64((Double(bytes) / link).rounded(.up))
      if shared {
        let together = params.dramLatencyCycles + Int64((Double(2 * bytes) / bandwidth).rounded(.up))
        #expect(abs(r.cycles.count - together) <= 1, "shared: \(r.cycles.count) vs \(together)")
        #expect(r.cycles.count > max(alone, linkAlone))
      } else {
        #expect(r.cycles.count == max(alone, linkAlone))
      }
      #expect(r.total.dramBytes == Int64(bytes))
      #expect(r.total[.hostLinkBytes] == Int64(bytes))
    }
    #expect(ArchSpec.edgeTPU.memory.dramIsHostLink)
    for arch in [ArchSpec.tpuV1, .gemmini, .vta, .toy4x4] { #expect(!arch.memory.dramIsHostLink, "\(arch.name)") }
  }

  @Test("tpu-v1 (PCIe, 1 µs) and edge-tpu (USB, 2 µs) move inputs and outputs across the host link; the SoC presets do not")
  func presetPolicy() {
    #expect(ArchSpec.tpuV1.hostDMALatencyCycles == 700)
    #expect(ArchSpec.edgeTPU.hostDMALatencyCycles == 960)
    for arch in [ArchSpec.tpuV1, .edgeTPU] { #expect(arch.memory.ioOverHostLink, "\(arch.name)") }
    for arch in [ArchSpec.gemmini, .vta, .toy4x4] { #expect(!arch.memory.ioOverHostLink, "\(arch.name)") }
  }
}
