import Support
import Testing

@testable import TileISA

// issue 14: sum
/// `vmean`'s `unsigned` flag (TFLite 2.21's BUILTIN_REF int8 SUM: bytes read as 0...255, results
/// clamped to 0...255 and stored as bytes) on hand-checked channels, its assembly text, encoding
/// and static checks. The compiler's use of it is compared with TFLite in
/// `LoweringTests/SumLoweringTests.swift`.
@Suite("vmean unsigned")
struct SumInstructionTests {
  /// Scales equal: `QuantizeMultiplier(1)` = (2^30, 1), × 1 (SUM folds no 1/N).
  let one = RequantizeParameters(
    inputZeroPoint: 0, outputZeroPoint: 0, multiplier: 1 << 30, shift: 1, unsignedBytes: true)

  func pixels(_ outer: Int, _ inner: Int, output: Int) -> UnaryOperands {
    UnaryOperands(
      source: VectorView(address: SRAMAddress(0), outerStrideBytes: inner),
      output: VectorView(address: SRAMAddress(output), outerStrideBytes: inner), outer: outer, inner: inner)
  }

  @Test("bytes summed as 0...255, centred, offset and clamped to 0...255")
  func handChecked() throws {
    var m = try makeMachine()
    // 3 pixels × 3 channels. As bytes: channel 0 = 255 + 128 + 0 = 383; channel 1 = 5 + 5 + 5 = 15;
    // channel 2 = 1 + 2 + 3 = 6.
    m.putUB([-1, 5, 1, -128, 5, 2, 0, 5, 3], at: 0)
    var p = one
    p.inputZeroPoint = -1  // centred: + 3
    p.outputZeroPoint = -10
    try run(.vector(.mean(pixels(3, 3, output: 64), p)), on: &m)
    // 386 − 10 = 376 → 255 (byte 0xff, −1 as int8); 18 − 10 = 8; 9 − 10 = −1 → 0.
    #expect(m.ub(64, 3) == [-1, 8, 0])
    // A result of 200 is stored as the byte 200 (−56 as int8), not clamped to 127.
    m.putUB([100, 100], at: 0)
    try run(.vector(.mean(pixels(2, 1, output: 64), one)), on: &m)
    #expect(m.ub(64, 1) == [-56])
  }

  @Test("assembly text, encoding and static checks")
  func textAndChecks() throws {
    let i = Instruction(.vector(.mean(pixels(4, 6, output: 512), one)))
    let text =
      "vmean size=4x6 src=0x0/6/1 out=0x200/6/1 in_zp=0 out_zp=0 mult=1073741824 shift=1 clamp=-128,127 unsigned"
    #expect(i.assembly() == text)
    #expect(try Instruction(parsingAssembly: text) == i)
    let bytes = try i.encoded()
    #expect(bytes[57] == 1)
    #expect(try Instruction(decoding: bytes, at: 0) == i)
    var signed = one
    signed.unsignedBytes = false
    #expect(try Instruction(.vector(.mean(pixels(4, 6, output: 512), signed))).encoded()[57] == 0)
    // A flag byte other than 0 or 1 does not decode.
    var corrupt = bytes
    corrupt[57] = 2
    #expect(throws: ISAError.self) { try Instruction(decoding: corrupt, at: 0) }
    // The flag is vmean's; an unsigned vmean does not take a narrowed clamp.
    let context = CheckContext(limits: smallLimits, datapath: .int8, hostTaskCount: 0, arenaBytes: 0)
    #expect(
      Instruction(.vector(.requantize(pixels(4, 6, output: 512), one))).operation.staticProblems(context)
        == ["unsigned is a vmean flag; vrequant reads signed bytes"])
    var narrowed = one
    narrowed.clamp = 0...127
    #expect(
      Instruction(.vector(.mean(pixels(4, 6, output: 512), narrowed))).operation.staticProblems(context)
        == ["unsigned vmean clamps to 0...255; clamp = 0:127 must be -128:127"])
  }
}
