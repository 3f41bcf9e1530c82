import Foundation
import Support
import Testing

@testable import TileISA

// issue 14: PRELU / L2_NORMALIZATION

/// `vl2norm` (opcode 26) against the real-valued normalisation, its exact edge cases, assembly
/// text, encoding and static checks. (Bit-exactness with the golden model and TFLite is in
/// `LoweringTests/L2NormalizationTests.swift`.)
@Suite("vl2norm")
struct L2NormInstructionTests {
  func operands(_ outer: Int, _ inner: Int, source: Int = 0, output: Int) -> UnaryOperands {
    UnaryOperands(
      source: VectorView(address: SRAMAddress(source), outerStrideBytes: inner),
      output: VectorView(address: SRAMAddress(output), outerStrideBytes: inner), outer: outer, inner: inner)
  }

  @Test("each row scaled by 128 / ‖x − zp‖ (within one step), a one-element row to ±1, a zero row to 0, in place")
  func rows() throws {
    var m = try makeMachine()
    let rows: [[Int8]] = [[3, 4, -12, 0], [100, -100, 50, 1], [7, 7, 7, 7], [-128, 127, -1, 9]]
    m.putUB(rows.flatMap { $0 }, at: 0)
    try run(.vector(.l2Normalize(operands(4, 4, output: 64), inputZeroPoint: 0)), on: &m)
    let got = m.ub(64, 16)
    for (r, row) in rows.enumerated() {
      let norm = (row.map { Double($0) * Double($0) }.reduce(0, +)).squareRoot()
      for (k, v) in row.enumerated() {
        let want = min(max(128 * Double(v) / norm, -128), 127)
        #expect(abs(Double(got[r * 4 + k]) - want) <= 1, "row \(r) element \(k): \(got[r * 4 + k]) vs \(want)")
      }
    }
    // Zero point 5: a row of 5s is the zero row (sum ≤ 1 keeps the multiplier at its maximum,
    // every centred value is 0); one element above the zero point normalises to 1 → 127.
    m.putUB([5, 5, 5, 5, 9], at: 0)
    try run(.vector(.l2Normalize(operands(1, 4, output: 0), inputZeroPoint: 5)), on: &m)
    try run(.vector(.l2Normalize(operands(1, 1, source: 4, output: 4), inputZeroPoint: 5)), on: &m)
    #expect(m.ub(0, 5) == [0, 0, 0, 0, 127])
  }

  @Test("assembly text, encoding (opcode 26, zero point in byte 58) and static checks")
  func textAndChecks() throws {
    let i = Instruction(.vector(.l2Normalize(operands(2, 8, output: 64), inputZeroPoint: -3)))
    let text = "vl2norm size=2x8 src=0x0/8/1 out=0x40/8/1 in_zp=-3"
    #expect(i.assembly() == text)
    #expect(try Instruction(parsingAssembly: text) == i)
    let bytes = try i.encoded()
    #expect(bytes[0] == 26)
    #expect(Int8(bitPattern: bytes[58]) == -3)
    #expect(try Instruction(decoding: bytes, at: 0) == i)
    var stray = bytes
    stray[50] = 1
    #expect(throws: ISAError.self) { try Instruction(decoding: stray, at: 0) }
    let view = VectorView(address: SRAMAddress(Int(UInt32.max)), outerStrideBytes: Int(UInt32.max), innerStrideBytes: Int(UInt16.max))
    let extreme = Instruction(
      .vector(.l2Normalize(UnaryOperands(source: view, output: view, outer: Int(UInt32.max), inner: Int(UInt32.max)), inputZeroPoint: -128)),
      dependencies: [.popPrev, .pushNext], layer: LayerIndex(Int(UInt16.max)))
    #expect(try Instruction(decoding: extreme.encoded(), at: 0) == extreme)
    #expect(try Instruction(parsingAssembly: extreme.assembly()) == extreme)
    let problems = Instruction(.vector(.l2Normalize(operands(0, 3, output: 0), inputZeroPoint: 0))).operation
      .staticProblems(CheckContext(limits: smallLimits, datapath: .int8, hostTaskCount: 0, arenaBytes: 0))
    #expect(problems == ["outer must be ≥ 1, got 0"])
    let wide = Instruction(.vector(.l2Normalize(operands(1, 8, output: 4090), inputZeroPoint: 0))).operation
      .staticProblems(CheckContext(limits: smallLimits, datapath: .int8, hostTaskCount: 0, arenaBytes: 0))
    #expect(wide == ["output view 0xffa..<0x1002 exceeds the unified buffer's 0x1000 bytes"])
    let accesses = i.uncheckedMemoryAccesses(limits: smallLimits, datapath: .int8, hostTasks: [])
    #expect(accesses.map(\.ranges) == [[0..<16], [64..<80]])
  }
}
