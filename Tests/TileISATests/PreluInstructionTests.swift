import Support
import Testing

@testable import TileISA

// issue 14: PRELU / L2_NORMALIZATION

/// `vbinary fn=prelu` on hand-checked values, its assembly text, encoding and static checks.
/// (Every int8 (x, α) pair against the golden model's kernel, with the compiler's parameters, is
/// in `LoweringTests/PreluTests.swift`.)
@Suite("vbinary fn=prelu")
struct PreluInstructionTests {
  /// Input and output scale 1, alpha scale 1/8: positive multiplier 1 = (2^30, 1), negative
  /// 1/8 = (2^30, −2).
  let unit = PreluParameters(
    inputZeroPoint: 0, alphaZeroPoint: 0, outputZeroPoint: 0, positiveMultiplier: 1 << 30, positiveShift: 1,
    negativeMultiplier: 1 << 30, negativeShift: -2)

  func operands(_ outer: Int, _ inner: Int, alpha: VectorView? = nil, output: Int) -> BinaryOperands {
    BinaryOperands(
      a: VectorView(address: SRAMAddress(0), outerStrideBytes: inner),
      b: alpha ?? VectorView(address: SRAMAddress(32), outerStrideBytes: inner),
      output: VectorView(address: SRAMAddress(output), outerStrideBytes: inner), outer: outer, inner: inner)
  }

  @Test("x at or above the zero point is rescaled, below it multiplied by α − zp_α; offset and clamped")
  func handChecked() throws {
    var m = try makeMachine()
    m.putUB([10, -16, 127, -128], at: 0)
    m.putUB([1, 3, -2, 100], at: 32)
    // 10 → 10; −16·3/8 = −6; 127 → 127; −128·100/8 = −1600 → −128.
    try run(.vector(.binary(operands(2, 2, output: 64), .prelu(unit))), on: &m)
    #expect(m.ub(64, 4) == [10, -6, 127, -128])
    var offset = unit
    offset.inputZeroPoint = -16
    offset.alphaZeroPoint = 1
    offset.outputZeroPoint = 5
    offset.clamp = -128...100
    // x − (−16): 26 → 31; 0 → 5 (the positive branch); 143 → 148 → 100; −112·99/8 = −1386 → −128.
    try run(.vector(.binary(operands(2, 2, output: 64), .prelu(offset))), on: &m)
    #expect(m.ub(64, 4) == [31, 5, 100, -128])
    // Per-channel alpha broadcast over rows (outer stride 0), in place over x.
    m.putUB([-8, -8, 8, -16], at: 0)
    m.putUB([2, 4], at: 32)
    let channels = VectorView(address: SRAMAddress(32), outerStrideBytes: 0)
    try run(.vector(.binary(operands(2, 2, alpha: channels, output: 0), .prelu(unit))), on: &m)
    #expect(m.ub(0, 4) == [-2, -4, 8, -8])
  }

  @Test("assembly text, encoding (opcode 24, function 3 in byte 63) and static checks")
  func textAndChecks() throws {
    let i = Instruction(.vector(.binary(operands(2, 3, output: 64), .prelu(unit))))
    let text =
      "vbinary fn=prelu size=2x3 a=0x0/3/1 b=0x20/3/1 out=0x40/3/1 in_zp=0 alpha_zp=0 out_zp=0 pos_mult=1073741824 pos_shift=1 neg_mult=1073741824 neg_shift=-2 clamp=-128,127"
    #expect(i.assembly() == text)
    #expect(try Instruction(parsingAssembly: text) == i)
    let bytes = try i.encoded()
    #expect(bytes[0] == 24)
    #expect(bytes[63] == 3)
    #expect(try Instruction(decoding: bytes, at: 0) == i)
    // prelu does not read the sqdiff-only left shift (byte 57): a stray value does not decode.
    var stray = bytes
    stray[57] = 7
    #expect(throws: ISAError.self) { try Instruction(decoding: stray, at: 0) }
    let extreme = PreluParameters(
      inputZeroPoint: -128, alphaZeroPoint: 127, outputZeroPoint: -128, positiveMultiplier: .min, positiveShift: -128,
      negativeMultiplier: .max, negativeShift: 127, clamp: 127...127)
    let e = Instruction(.vector(.binary(operands(1, 1, output: 8), .prelu(extreme))))
    #expect(try Instruction(decoding: e.encoded(), at: 0) == e)
    #expect(try Instruction(parsingAssembly: e.assembly()) == e)
    var wide = extreme
    wide.negativeShift = 128
    #expect(throws: ISAError.self) { try Instruction(.vector(.binary(operands(1, 1, output: 8), .prelu(wide)))).encoded() }
    var bad = unit
    bad.positiveShift = 31
    bad.negativeShift = -32
    let problems = Instruction(.vector(.binary(operands(1, 3, output: 4094), .prelu(bad)))).operation
      .staticProblems(CheckContext(limits: smallLimits, datapath: .int8, hostTaskCount: 0, arenaBytes: 0))
    #expect(
      problems == [
        "output view 0xffe..<0x1001 exceeds the unified buffer's 0x1000 bytes", "positive shift = 31 out of -31...30",
        "negative shift = -32 out of -31...30",
      ])
  }
}
