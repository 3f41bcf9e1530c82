import Architecture
import Support
import Testing
import TileISA

@testable import CycleSim

/// Arena transfers (`load`/`store … arena=`): timed at the unified buffer's port, never on the
/// DRAM channel, counted as arena (unified-buffer) traffic. docs/cost-model.md §4.
@Suite("arena timing")
struct ArenaTimingTests {
  let toy = ArchSpec.toy4x4

  /// A contiguous arena transfer of `bytes` bytes.
  func arenaDMA(_ memory: OnChipMemory, sram: Int, arena: Int, bytes: Int) -> DMA2D {
    DMA2D(
      memory: memory, sramAddress: SRAMAddress(sram), dramAddress: DRAMAddress(arena), rows: 1, rowBytes: bytes,
      backing: .arena)
  }

  func builder(_ arch: ArchSpec, arena: Int) -> ProgramBuilder {
    var b = ProgramBuilder(arch: arch, dramSize: 0x1000)
    b.program.arenaSize = ByteCount(arena)
    return b
  }

  @Test("an arena load ends at A + ⌈B / min(port(ub), port(m))⌉, exactly, on toy-4x4 and TPU v1")
  func closedForm() throws {
    #expect(toy.memory.arenaLatencyCycles == 2)
    // toy-4x4: ub, wb ports 4 B/cycle, accumulator 16: min is 4 for every memory.
    for memory in [OnChipMemory.unifiedBuffer, .weightBuffer, .accumulator] {
      for bytes in [4, 8, 12, 16, 20, 64] where memory != .accumulator || bytes % 4 == 0 {
        var b = builder(toy, arena: 256)
        b.add(.load(arenaDMA(memory, sram: 0, arena: 0, bytes: bytes)))
        b.add(.finish)
        let (result, r) = try simulate(b.program, arch: toy)
        let expected = 2 + Int64((bytes + 3) / 4)
        #expect(span(r, 0) == (0, expected), "\(memory) \(bytes) B")
        #expect(result.cycles.count == expected)
      }
    }
    for bytes in [1, 5, 255, 256, 257, 512] {
      var b = builder(toy, arena: 512)
      b.add(.store(arenaDMA(.unifiedBuffer, sram: 0, arena: 0, bytes: bytes)))
      b.add(.finish)
      let (_, r) = try simulate(b.program, arch: toy)
      #expect(span(r, 0) == (0, 2 + Int64((bytes + 3) / 4)), "store \(bytes) B")
    }
    // TPU v1: ub 256, wb 256, accumulator 1024 B/cycle: min 256.
    let tpu = ArchSpec.tpuV1
    for bytes in [1, 256, 257, 4096, 4097] {
      var b = builder(tpu, arena: 1 << 20)
      b.add(.load(arenaDMA(.accumulator, sram: 0, arena: 0, bytes: (bytes + 3) / 4 * 4)))
      b.add(.load(arenaDMA(.weightBuffer, sram: 0, arena: 0, bytes: bytes)))
      b.add(.finish)
      let (_, r) = try simulate(b.program, arch: tpu)
      let first = 2 + Int64(((bytes + 3) / 4 * 4 + 255) / 256)
      #expect(span(r, 0) == (0, first))
      #expect(span(r, 1) == (first, first + 2 + Int64((bytes + 255) / 256)), "\(bytes) B")
    }
  }

  @Test("the gate: load_weights after an arena load starts at its end (blocked the cycle before); one more port-width moves it one cycle")
  func gate() throws {
    var ends: [Int64] = []
    for bytes in [16, 17] {
      var b = builder(toy, arena: 256)
      b.add(.load(arenaDMA(.weightBuffer, sram: 0, arena: 0, bytes: bytes)), .pushNext)
      b.add(.loadWeights(LoadWeights(slot: .first, wbAddress: 0, rows: 4, columns: 4)), .popPrev)
      b.add(.finish)
      let (_, r) = try simulate(b.program, arch: toy)
      let load = span(r, 0)
      #expect(load.end == 2 + Int64((bytes + 3) / 4))
      #expect(span(r, 1).start == load.end, "ready exactly when the token arrives")
      ends.append(span(r, 1).start)
    }
    #expect(ends[1] == ends[0] + 1)
  }

  @Test("arena transfers never use the DRAM channel: a concurrent DRAM load keeps its whole bandwidth")
  func noDRAMSharing() throws {
    // toy: 4 B/cycle DRAM, 10-cycle latency. A 400-byte DRAM load alone: 10 + 100 = 110.
    for other in [BackingMemory.arena, .dram] {
      var b = builder(toy, arena: 512)
      b.add(.load(dma(.weightBuffer, sram: 0, dram: 0, bytes: 400)))
      b.add(
        .store(
          DMA2D(
            memory: .unifiedBuffer, sramAddress: 0, dramAddress: DRAMAddress(other == .arena ? 0 : 0x800), rows: 1,
            rowBytes: 400,
            backing: other)))
      b.add(.finish)
      let (result, r) = try simulate(b.program, arch: toy)
      if other == .arena {
        #expect(span(r, 0) == (0, 110))
        #expect(span(r, 1) == (0, 102))
        #expect(result.total.dramBytes == 400)
      } else {
        #expect(span(r, 0).end > 110, "two DRAM transfers share the channel")
      }
    }
  }

  @Test("counters: arena bytes under their own keys, no DRAM bytes, unified-buffer energy")
  func counters() throws {
    var b = builder(toy, arena: 512)
    b.add(.store(arenaDMA(.unifiedBuffer, sram: 0, arena: 0, bytes: 100)), .pushPrev)
    b.add(.nop(.compute), [.popNext, .pushPrev])
    b.add(.load(arenaDMA(.weightBuffer, sram: 0, arena: 0, bytes: 100)), .popNext)
    b.add(.finish)
    let (result, _) = try simulate(b.program, arch: toy)
    let c = result.total
    #expect(c[.arenaWriteBytes] == 100)
    #expect(c[.arenaReadBytes] == 100)
    #expect(c[.ubReadBytes] == 100)
    #expect(c[.weightsWriteBytes] == 100)
    #expect(c.dramBytes == 0)
    #expect(c[.dramInputActivationBytes] == 0 && c[.dramWeightBytes] == 0 && c[.dramOutputActivationBytes] == 0)
    let energy = EnergyBreakdown(counters: c, arch: toy)
    #expect(abs(energy[.unifiedBuffer].value - 300 * toy.ubEnergyPerByte.value) < 1e-9)
    #expect(energy[.dram].value == 0)
  }
}
