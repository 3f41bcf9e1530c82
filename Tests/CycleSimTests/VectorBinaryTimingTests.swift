import Architecture
import Testing
import TileISA

@testable import CycleSim

// issue 14: vector binary/reduce

/// `vbinary` is timed by the `vector_binary` rule, `max(⌈E / vector_ops⌉, ⌈2E·eb / port(ub)⌉)`
/// (every function but `select`, whose `vector_select` rule reads a third operand), and `vreduce` by the `vector_mean` rule, `max(⌈(E + C) / vector_ops⌉, ⌈E·eb / port(ub)⌉)`,
/// as the engine applies them: exact on three presets and several extents.
@Suite struct VectorBinaryTimingTests {
  func cycles(_ arch: ArchSpec, _ operation: Operation) throws -> Int64 {
    var b = ProgramBuilder(arch: arch, dramSize: 0x1000)
    b.add(operation)
    b.add(.finish)
    let (_, r) = try simulate(b.program, arch: arch)
    let s = span(r, 0)
    return s.end - s.start
  }

  @Test("vbinary (every function) takes max(⌈E / vector_ops⌉, ⌈2E·eb / port(ub)⌉) cycles")
  func binary() throws {
    let sq = AddParameters(
      aZeroPoint: 0, bZeroPoint: 0, outputZeroPoint: 0, leftShift: 7, aMultiplier: 1 << 30, aShift: 0,
      bMultiplier: 1 << 30, bShift: 0, outputMultiplier: 1 << 30, outputShift: -13)
    let prelu = PreluParameters(
      inputZeroPoint: -1, alphaZeroPoint: 0, outputZeroPoint: -37, positiveMultiplier: 1_379_916_032, positiveShift: 1,
      negativeMultiplier: 1_208_988_672, negativeShift: -7)
    // The divisor's zero point is not 0, so the zeroed buffer holds no zero divisor (timing does
    // not depend on the values; the docs/cost-model.md reason: the divisor's reciprocal is a
    // per-instruction table).
    let div = DivideParameters(
      aZeroPoint: -128, bZeroPoint: 5, outputZeroPoint: -128, multiplier: 1_082_481_280, shift: -3)
    let functions: [BinaryFunction] = [
      .squaredDifference(sq), .maximum(clamp: -128...127), .minimum(clamp: 0...127), .prelu(prelu), .divide(div),
    ]
    for arch in [ArchSpec.toy4x4, .edgeTPU, .gemmini] {
      let ops = arch.vectorOpsPerCycle
      let port = arch.ub.portBytesPerCycle
      let eb = arch.datapath.elementBytes
      for (outer, inner) in [(4, 8), (256, 4), (7, 16), (1, 1), (3, 100)] {
        let o = BinaryOperands(
          a: VectorView(address: 0, outerStrideBytes: inner * eb, innerStrideBytes: eb),
          b: VectorView(address: SRAMAddress(outer * inner * eb), outerStrideBytes: 0, innerStrideBytes: eb),
          output: VectorView(address: SRAMAddress(2 * outer * inner * eb), outerStrideBytes: inner * eb, innerStrideBytes: eb),
          outer: outer, inner: inner)
        let e = outer * inner
        let want = Int64(max((e + ops - 1) / ops, (2 * e * eb + port - 1) / port, 1))
        for f in functions {
          #expect(try cycles(arch, .vector(.binary(o, f))) == want, "\(arch.name) \(outer) × \(inner) \(f.name)")
        }
      }
    }
  }

  /// `vbinary fn=select` has its own rule, `vector_select`: a third operand (the bool condition)
  /// is read per element.
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
        #expect(
          try cycles(arch, .vector(.binary(o, .select(condition: condition)))) == want, "\(arch.name) \(rows) × \(columns)")
      }
    }
  }

  @Test("vreduce takes max(⌈(k·E + C) / vector_ops⌉, ⌈E·eb / port(ub)⌉) cycles, k = 2 for fn=prod")
  func reduce() throws {
    for arch in [ArchSpec.toy4x4, .edgeTPU, .gemmini] {
      let ops = arch.vectorOpsPerCycle
      let port = arch.ub.portBytesPerCycle
      let eb = arch.datapath.elementBytes
      for (rows, columns) in [(4, 8), (49, 16), (64, 17), (1, 1)] {
        let o = UnaryOperands(
          source: VectorView(address: 0, outerStrideBytes: eb, innerStrideBytes: rows * eb),
          output: VectorView(address: SRAMAddress(rows * columns * eb), outerStrideBytes: 0, innerStrideBytes: eb),
          outer: rows, inner: columns)
        let e = rows * columns
        let want = Int64(max((e + columns + ops - 1) / ops, (e * eb + port - 1) / port, 1))
        #expect(try cycles(arch, .vector(.reduce(o, .maximum))) == want, "\(arch.name) \(rows) × \(columns)")
        // issue 14: prod — fn=prod costs two lane operations per element: ⌈(2E + C) / vector_ops⌉
        let q = RequantizeParameters(inputZeroPoint: 0, outputZeroPoint: 0, multiplier: 1 << 30, shift: 0)
        let prod = Int64(max((2 * e + columns + ops - 1) / ops, (e * eb + port - 1) / port, 1))
        #expect(try cycles(arch, .vector(.reduce(o, .product, q))) == prod, "\(arch.name) \(rows) × \(columns) prod")
      }
    }
  }
}
