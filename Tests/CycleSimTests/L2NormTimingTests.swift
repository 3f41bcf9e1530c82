import Architecture
import Testing
import TileISA

@testable import CycleSim

// issue 14: PRELU / L2_NORMALIZATION

/// `vl2norm` is timed by the `vector_l2norm` rule, `max(⌈2E / vector_ops⌉, ⌈2E·eb / port(ub)⌉)`
/// (two passes over each row), exact on three presets and several row shapes; the compiler's
/// `CostModel.l2Normalize` is the same formula.
@Suite struct L2NormTimingTests {
  @Test("vl2norm takes max(⌈2E / vector_ops⌉, ⌈2E·eb / port(ub)⌉) cycles")
  func l2Normalize() throws {
    for arch in [ArchSpec.toy4x4, .edgeTPU, .gemmini] {
      let ops = arch.vectorOpsPerCycle
      let port = arch.ub.portBytesPerCycle
      let eb = arch.datapath.elementBytes
      for (rows, depth) in [(4, 8), (1, 1), (7, 300), (64, 3)] {
        let o = UnaryOperands(
          source: VectorView(address: 0, outerStrideBytes: depth * eb, innerStrideBytes: eb),
          output: VectorView(address: SRAMAddress(rows * depth * eb), outerStrideBytes: depth * eb, innerStrideBytes: eb),
          outer: rows, inner: depth)
        let e = rows * depth
        let want = Int64(max((2 * e + ops - 1) / ops, (2 * e * eb + port - 1) / port, 1))
        var b = ProgramBuilder(arch: arch, dramSize: 0x1000)
        b.add(.vector(.l2Normalize(o, inputZeroPoint: 3)))
        b.add(.finish)
        let (_, r) = try simulate(b.program, arch: arch)
        let s = span(r, 0)
        #expect(s.end - s.start == want, "\(arch.name) \(rows) × \(depth)")
        #expect(TimingRule.rule(for: .vectorL2Norm).busyFormula.hasPrefix("max(⌈2E"))
      }
    }
  }
}
