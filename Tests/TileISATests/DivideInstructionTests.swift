import Support
import Testing

@testable import TileISA

// issue 14: vops

/// `vbinary fn=div` (TFLite int8 DIV) on exact quotients and TFLite's zero-dividend quirk, a zero
/// divisor as an execution error that leaves the buffer unchanged, its assembly text, encoding and
/// static checks. (Every int8 pair against the golden model's DIV kernel, with the compiler's
/// parameters, is in `LoweringTests/VectorElementwiseTests.swift`.)
@Suite("vbinary fn=div")
struct DivideInstructionTests {
  /// Every scale 1: `QuantizeMultiplier(1)` = (2^30, 1).
  let unit = DivideParameters(aZeroPoint: 0, bZeroPoint: 0, outputZeroPoint: 0, multiplier: 1 << 30, shift: 1)

  func operands(_ outer: Int, _ inner: Int, output: Int) -> BinaryOperands {
    BinaryOperands(
      a: VectorView(address: SRAMAddress(0), outerStrideBytes: inner),
      b: VectorView(address: SRAMAddress(32), outerStrideBytes: inner),
      output: VectorView(address: SRAMAddress(output), outerStrideBytes: inner), outer: outer, inner: inner)
  }

  @Test("exact quotients, rounding, the clamp, and 0 / b one above the zero point where the shift passes 31")
  func handChecked() throws {
    var m = try makeMachine()
    m.putUB([10, -9, 7, 100, 0, 0], at: 0)
    m.putUB([2, 3, -7, 1, 2, 5], at: 32)
    // 10/2 = 5, −9/3 = −3, 7/−7 = −1, 100/1 = 100 → clamp 50. 0/2: rescaling exponent 1 + 31 − 1
    // = 31, an exact 0. 0/5: exponent 2 + 31 − 1 = 32, where TFLite's RoundingDivideByPOT mask
    // truncates to −1 and rounds 0 up to 1 (the zero-dividend quirk).
    var q = unit
    q.clamp = -128...50
    try run(.vector(.binary(operands(2, 3, output: 64), .divide(q))), on: &m)
    #expect(m.ub(64, 6) == [5, -3, -1, 50, 0, 1])
    // Zero points: (q_a − 4) / (q_b + 2) + 7.
    m.putUB([16, 4], at: 0)
    m.putUB([1, 0], at: 32)
    let shifted = DivideParameters(aZeroPoint: 4, bZeroPoint: -2, outputZeroPoint: 7, multiplier: 1 << 30, shift: 1)
    try run(.vector(.binary(operands(1, 2, output: 64), .divide(shifted))), on: &m)
    #expect(m.ub(64, 2) == [11, 7])
  }

  @Test("a divisor at its zero point is an execution error naming the element; nothing is written")
  func zeroDivisor() throws {
    var m = try makeMachine()
    m.putUB([10, 20, 30, 40], at: 0)
    m.putUB([2, 5, 3, -4], at: 32)
    m.putUB([9, 9, 9, 9], at: 64)
    let q = DivideParameters(aZeroPoint: 0, bZeroPoint: 3, outputZeroPoint: 0, multiplier: 1 << 30, shift: 1)
    let error = #expect(throws: ISAError.self) {
      try run(.vector(.binary(operands(2, 2, output: 64), .divide(q))), on: &m)
    }
    #expect(error?.message.contains("element [1][0]: 30 / 3 has no result") == true, "\(String(describing: error))")
    #expect(m.ub(64, 4) == [9, 9, 9, 9])
  }

  @Test("assembly text, encoding (opcode 24, function 4 in byte 63) and static checks")
  func textAndChecks() throws {
    let i = Instruction(.vector(.binary(operands(2, 3, output: 64), .divide(unit))))
    let text =
      "vbinary fn=div size=2x3 a=0x0/3/1 b=0x20/3/1 out=0x40/3/1 a_zp=0 b_zp=0 out_zp=0 mult=1073741824 shift=1 clamp=-128,127"
    #expect(i.assembly() == text)
    #expect(try Instruction(parsingAssembly: text) == i)
    let bytes = try i.encoded()
    #expect(bytes[0] == 24)
    #expect(bytes[63] == 4)
    #expect(try Instruction(decoding: bytes, at: 0) == i)
    // div does not read sqdiff's input multipliers (bytes 42–49): a stray value does not decode.
    var stray = bytes
    stray[42] = 7
    #expect(throws: ISAError.self) { try Instruction(decoding: stray, at: 0) }
    let extreme = DivideParameters(
      aZeroPoint: -128, bZeroPoint: 127, outputZeroPoint: -128, multiplier: .min, shift: -128, clamp: 127...127)
    let e = Instruction(.vector(.binary(operands(1, 1, output: 8), .divide(extreme))))
    #expect(try Instruction(decoding: e.encoded(), at: 0) == e)
    #expect(try Instruction(parsingAssembly: e.assembly()) == e)
    var wide = extreme
    wide.shift = 128
    #expect(throws: ISAError.self) {
      try Instruction(.vector(.binary(operands(1, 1, output: 8), .divide(wide)))).encoded()
    }
    var bad = unit
    bad.shift = 24
    let problems = Instruction(.vector(.binary(operands(1, 3, output: 64), .divide(bad)))).operation
      .staticProblems(CheckContext(limits: smallLimits, datapath: .int8, hostTaskCount: 0, arenaBytes: 0))
    #expect(
      problems == [
        "shift = 24 out of -25...23 (a division's rescaling exponent must stay in 0...63 for every int8 pair)"
      ])
  }

  @Test("every shift the checks accept keeps every int8 pair's rescaling exponent in 0...63")
  func shiftRange() {
    // The extremes of the dividend's headroom (|a| = 255 and a = 0) and the divisor's reciprocal
    // shift (1 and 255), at both ends of FixedPoint.divideShifts, and just outside.
    for shift in [FixedPoint.divideShifts.lowerBound, FixedPoint.divideShifts.upperBound] {
      for (a, b) in [(Int32(255), Int32(1)), (-255, 255), (0, 255), (0, 1), (1, -255)] {
        #expect(
          FixedPoint.quantizedDivide(a, by: b, multiplier: 1 << 30, shift: shift) != nil, "\(a)/\(b) shift \(shift)")
      }
    }
    #expect(FixedPoint.quantizedDivide(0, by: 255, multiplier: 1 << 30, shift: -26) == nil)
    #expect(FixedPoint.quantizedDivide(255, by: 1, multiplier: 1 << 30, shift: 24) == nil)
    #expect(FixedPoint.quantizedDivide(5, by: 0, multiplier: 1 << 30, shift: 1) == nil)
  }
}
