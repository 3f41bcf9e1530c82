import Architecture
import Testing
import TileISA

@testable import CycleSim

/// The `vector_lookup` rule, `⌈256 / port(wb)⌉ + max(⌈E / vector_ops⌉, ⌈E·eb / port(ub)⌉)`, as
/// the engine applies it: exact cycle counts on three presets, op-bound and port-bound.
@Suite struct LookupTimingTests {
  func vlut(_ outer: Int, _ inner: Int) -> Operation {
    .vector(
      .lookup(
        UnaryOperands(
          source: VectorView(address: 0, outerStrideBytes: inner),
          output: VectorView(address: SRAMAddress(outer * inner), outerStrideBytes: inner), outer: outer, inner: inner),
        table: SRAMAddress(0)))
  }

  func cycles(_ arch: ArchSpec, _ outer: Int, _ inner: Int) throws -> Int64 {
    var b = ProgramBuilder(arch: arch, dramSize: 0x1000)
    b.add(vlut(outer, inner))
    b.add(.finish)
    let (_, r) = try simulate(b.program, arch: arch)
    let s = span(r, 0)
    return s.end - s.start
  }

  @Test("vlut takes ⌈256 / port(wb)⌉ + max(⌈E / vector_ops⌉, ⌈E·eb / port(ub)⌉) cycles")
  func formula() throws {
    for arch in [ArchSpec.toy4x4, .edgeTPU, .gemmini] {
      let ops = arch.vectorOpsPerCycle
      let port = arch.ub.portBytesPerCycle
      let table = (256 + arch.weights.portBytesPerCycle - 1) / arch.weights.portBytesPerCycle
      for (outer, inner) in [(1, 1), (1, 256), (4, 48), (3, 1000)] {
        let e = outer * inner
        let want = table + max((e + ops - 1) / ops, (e + port - 1) / port, 1)
        #expect(try cycles(arch, outer, inner) == Int64(want), "\(arch.name) \(outer) × \(inner): ops \(ops), port \(port)")
      }
    }
  }

  @Test("exact counts from the preset parameters")
  func exactCounts() throws {
    // toy-4x4: 4 vector ops per cycle, UB and weight ports of 4 B per cycle (ArchSpec+Presets):
    // 3,000 elements → ⌈256/4⌉ + max(⌈3000/4⌉, ⌈3000/4⌉) = 64 + 750.
    let toy = ArchSpec.toy4x4
    #expect(toy.vectorOpsPerCycle == 4 && toy.ub.portBytesPerCycle == 4 && toy.weights.portBytesPerCycle == 4)
    #expect(try cycles(toy, 3, 1000) == 814)
    #expect(try cycles(toy, 1, 1) == 65)
  }
}
