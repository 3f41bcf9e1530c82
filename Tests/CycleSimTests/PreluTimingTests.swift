import Architecture
import Testing
import TileISA

@testable import CycleSim

// issue 14: PRELU / L2_NORMALIZATION

/// `vbinary fn=prelu` is timed by the `vector_binary` rule, `max(⌈E / vector_ops⌉,
/// ⌈2E·eb / port(ub)⌉)`, as every `vbinary` function: exact on three presets, per-channel alpha
/// broadcast (outer stride 0).
@Suite struct PreluTimingTests {
  @Test("vbinary fn=prelu takes max(⌈E / vector_ops⌉, ⌈2E·eb / port(ub)⌉) cycles")
  func prelu() throws {
    let q = PreluParameters(
      inputZeroPoint: -1, alphaZeroPoint: 0, outputZeroPoint: -37, positiveMultiplier: 1_379_916_032, positiveShift: 1,
      negativeMultiplier: 1_208_988_672, negativeShift: -7)
    for arch in [ArchSpec.toy4x4, .edgeTPU, .gemmini] {
      let ops = arch.vectorOpsPerCycle
      let port = arch.ub.portBytesPerCycle
      let eb = arch.datapath.elementBytes
      for (pixels, channels) in [(256, 4), (7, 16), (1, 1), (3, 100)] {
        let o = BinaryOperands(
          a: VectorView(address: 0, outerStrideBytes: channels * eb, innerStrideBytes: eb),
          b: VectorView(address: SRAMAddress(pixels * channels * eb), outerStrideBytes: 0, innerStrideBytes: eb),
          output: VectorView(
            address: SRAMAddress((pixels + 1) * channels * eb), outerStrideBytes: channels * eb, innerStrideBytes: eb),
          outer: pixels, inner: channels)
        let e = pixels * channels
        let want = Int64(max((e + ops - 1) / ops, (2 * e * eb + port - 1) / port, 1))
        var b = ProgramBuilder(arch: arch, dramSize: 0x1000)
        b.add(.vector(.binary(o, .prelu(q))))
        b.add(.finish)
        let (_, r) = try simulate(b.program, arch: arch)
        let s = span(r, 0)
        #expect(s.end - s.start == want, "\(arch.name) \(pixels) × \(channels)")
      }
    }
  }
}
