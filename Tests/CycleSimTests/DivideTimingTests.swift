import Architecture
import Testing
import TileISA

@testable import CycleSim

// issue 14: vops

/// `vbinary fn=div` is timed by the `vector_binary` rule, `max(⌈E / vector_ops⌉,
/// ⌈2E·eb / port(ub)⌉)`, as every `vbinary` function (docs/cost-model.md: the divisor's
/// reciprocal is a per-instruction table): exact on three presets, with a broadcast divisor.
@Suite struct DivideTimingTests {
  @Test("vbinary fn=div takes max(⌈E / vector_ops⌉, ⌈2E·eb / port(ub)⌉) cycles")
  func divide() throws {
    // Timing does not depend on the values; the divisor's zero point is not 0, so the zeroed
    // buffer holds no zero divisor.
    let q = DivideParameters(
      aZeroPoint: -128, bZeroPoint: 5, outputZeroPoint: -128, multiplier: 1_082_481_280, shift: -3)
    for arch in [ArchSpec.toy4x4, .edgeTPU, .gemmini] {
      let ops = arch.vectorOpsPerCycle
      let port = arch.ub.portBytesPerCycle
      let eb = arch.datapath.elementBytes
      for (rows, columns) in [(256, 4), (7, 16), (1, 1), (3, 100)] {
        let o = BinaryOperands(
          a: VectorView(address: 0, outerStrideBytes: columns * eb, innerStrideBytes: eb),
          b: VectorView(address: SRAMAddress(rows * columns * eb), outerStrideBytes: 0, innerStrideBytes: eb),
          output: VectorView(
            address: SRAMAddress((rows + 1) * columns * eb), outerStrideBytes: columns * eb, innerStrideBytes: eb),
          outer: rows, inner: columns)
        let e = rows * columns
        let want = Int64(max((e + ops - 1) / ops, (2 * e * eb + port - 1) / port, 1))
        var b = ProgramBuilder(arch: arch, dramSize: 0x1000)
        b.add(.vector(.binary(o, .divide(q))))
        b.add(.finish)
        let (_, r) = try simulate(b.program, arch: arch)
        let s = span(r, 0)
        #expect(s.end - s.start == want, "\(arch.name) \(rows) × \(columns)")
      }
    }
  }
}

/// `vbinary fn=select` has its own rule, `vector_select`: `max(⌈E / vector_ops⌉,
/// ⌈3E·eb / port(ub)⌉)` (a third operand read), exact on three presets.
@Suite struct SelectTimingTests {
  @Test("vbinary fn=select takes max(⌈E / vector_ops⌉, ⌈3E·eb / port(ub)⌉) cycles")
  func select() throws {
    for arch in [ArchSpec.toy4x4, .edgeTPU, .gemmini] {
      let ops = arch.vectorOpsPerCycle
      let port = arch.ub.portBytesPerCycle
      let eb = arch.datapath.elementBytes
      for (rows, columns) in [(256, 4), (7, 16), (1, 1), (3, 100)] {
        let e = rows * columns
        let o = BinaryOperands(
          a: VectorView(address: 0, outerStrideBytes: columns * eb, innerStrideBytes: eb),
          b: VectorView(address: SRAMAddress(e * eb), outerStrideBytes: columns * eb, innerStrideBytes: eb),
          output: VectorView(address: SRAMAddress(2 * e * eb), outerStrideBytes: columns * eb, innerStrideBytes: eb),
          outer: rows, inner: columns)
        let condition = VectorView(
          address: SRAMAddress(3 * e * eb), outerStrideBytes: columns * eb, innerStrideBytes: eb)
        let want = Int64(max((e + ops - 1) / ops, (3 * e * eb + port - 1) / port, 1))
        var b = ProgramBuilder(arch: arch, dramSize: 0x1000)
        b.add(.vector(.binary(o, .select(condition: condition))))
        b.add(.finish)
        let (_, r) = try simulate(b.program, arch: arch)
        let s = span(r, 0)
        #expect(s.end - s.start == want, "\(arch.name) \(rows) × \(columns)")
      }
    }
  }
}
