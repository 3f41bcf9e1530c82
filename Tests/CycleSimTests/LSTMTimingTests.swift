import Architecture
import Support
import Testing
import TileISA

@testable import CycleSim

// issue 14: lstm

/// `vlstm` is timed by the `vector_lstm` rule, `max(⌈8E / vector_ops⌉, ⌈10E / port(ub)⌉)`
/// (E = batch rows × cells), exact on three presets and several shapes; `activate` in the int16
/// modes writes (and for `fixed16_add` reads) two bytes per element.
@Suite struct LSTMTimingTests {
  @Test("vlstm takes max(⌈8E / vector_ops⌉, ⌈10E / port(ub)⌉) cycles")
  func lstmCell() throws {
    let p = LSTMCellParameters(
      cellScaleLog2: -11, cellClip: 0, hiddenMultiplier: 1 << 30, hiddenShift: -7, hiddenZeroPoint: 0,
      coupledInputForget: false)
    for arch in [ArchSpec.toy4x4, .edgeTPU, .gemmini] {
      let ops = arch.vectorOpsPerCycle
      let port = arch.ub.portBytesPerCycle
      for (batch, cells) in [(1, 1), (1, 32), (2, 40), (3, 7)] {
        let l = LSTMCell(
          gates: VectorView(address: 0, outerStrideBytes: 8 * cells, innerStrideBytes: 2), gateStrideBytes: 2 * cells,
          cell: VectorView(address: SRAMAddress(8 * cells * batch), outerStrideBytes: 2 * cells, innerStrideBytes: 2),
          hidden: VectorView(address: SRAMAddress(10 * cells * batch), outerStrideBytes: cells), outer: batch,
          inner: cells, parameters: p)
        let e = batch * cells
        let want = Int64(max((8 * e + ops - 1) / ops, (10 * e + port - 1) / port, 1))
        var b = ProgramBuilder(arch: arch, dramSize: 0x1000)
        b.add(.vector(.lstmCell(l)))
        b.add(.finish)
        let (_, r) = try simulate(b.program, arch: arch)
        let s = span(r, 0)
        #expect(s.end - s.start == want, "\(arch.name) \(batch) × \(cells)")
      }
    }
    #expect(TimingRule.rule(for: .vectorLSTM).busyFormula.hasPrefix("max(⌈8E"))
  }
}
