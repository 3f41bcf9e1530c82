import Support
import Testing

@testable import TileISA

// issue 14: vops

/// `vbinary fn=less` and `vbinary fn=and` (bool bytes out) on hand-checked values, their assembly
/// text, encoding and static checks. (Every int8 pair against the golden model's LESS, with the
/// compiler's parameters, is in `LoweringTests/VectorElementwiseTests.swift`.)
@Suite("vbinary fn=less, fn=and")
struct ComparisonInstructionTests {
  /// Both scales 1/2: `QuantizeMultiplierSmallerThanOneExp(0.5)` = (2^30, 0).
  let half = ComparisonParameters(
    aZeroPoint: 0, bZeroPoint: 0, aMultiplier: 1 << 30, aShift: 0, bMultiplier: 1 << 30, bShift: 0)

  func operands(_ outer: Int, _ inner: Int, output: Int) -> BinaryOperands {
    BinaryOperands(
      a: VectorView(address: SRAMAddress(0), outerStrideBytes: inner),
      b: VectorView(address: SRAMAddress(32), outerStrideBytes: inner),
      output: VectorView(address: SRAMAddress(output), outerStrideBytes: inner), outer: outer, inner: inner)
  }

  @Test("less compares the rescaled values and writes 1 or 0; and is 1 where both bytes are non-zero")
  func handChecked() throws {
    var m = try makeMachine()
    m.putUB([3, 5, 4, -128], at: 0)
    m.putUB([5, 3, 4, 127], at: 32)
    try run(.vector(.binary(operands(2, 2, output: 64), .less(half))), on: &m)
    #expect(m.ub(64, 4) == [1, 0, 0, 1])
    // Zero points: (3 − 4) vs (2 − 0): −1 < 2; (5 − 4) vs (1 − 0): equal.
    var shifted = half
    shifted.aZeroPoint = 4
    m.putUB([3, 5], at: 0)
    m.putUB([2, 1], at: 32)
    try run(.vector(.binary(operands(1, 2, output: 64), .less(shifted))), on: &m)
    #expect(m.ub(64, 2) == [1, 0])
    m.putUB([0, 1, 1, 2], at: 0)
    m.putUB([1, 0, 1, -1], at: 32)
    try run(.vector(.binary(operands(2, 2, output: 64), .logicalAnd)), on: &m)
    #expect(m.ub(64, 4) == [0, 0, 1, 1])
  }

  @Test("assembly text, encoding (opcode 24, functions 5 and 6 in byte 63, clamp 0...1) and static checks")
  func textAndChecks() throws {
    let less = Instruction(.vector(.binary(operands(2, 3, output: 64), .less(half))))
    let text =
      "vbinary fn=less size=2x3 a=0x0/3/1 b=0x20/3/1 out=0x40/3/1 a_zp=0 b_zp=0 lshift=8 a_mult=1073741824 a_shift=0 b_mult=1073741824 b_shift=0"
    #expect(less.assembly() == text)
    #expect(try Instruction(parsingAssembly: text) == less)
    let and = Instruction(.vector(.binary(operands(1, 4, output: 64), .logicalAnd)))
    #expect(and.assembly() == "vbinary fn=and size=1x4 a=0x0/4/1 b=0x20/4/1 out=0x40/4/1")
    #expect(try Instruction(parsingAssembly: and.assembly()) == and)
    for (i, function) in [(less, 5), (and, 6)] {
      let bytes = try i.encoded()
      #expect(bytes[0] == 24)
      #expect(bytes[63] == UInt8(function))
      #expect(Array(bytes[61...62]) == [0, 1])
      #expect(try Instruction(decoding: bytes, at: 0) == i)
      // A bool function with another clamp does not decode.
      var clamped = bytes
      clamped[62] = 5
      #expect(throws: ISAError.self) { try Instruction(decoding: clamped, at: 0) }
    }
    // and reads no parameters: a stray multiplier does not decode.
    var stray = try and.encoded()
    stray[42] = 1
    #expect(throws: ISAError.self) { try Instruction(decoding: stray, at: 0) }
    var bad = half
    bad.leftShift = 16
    bad.bShift = 1
    let problems = Instruction(.vector(.binary(operands(1, 3, output: 64), .less(bad)))).operation
      .staticProblems(CheckContext(limits: smallLimits, datapath: .int8, hostTaskCount: 0, arenaBytes: 0))
    #expect(
      problems == [
        "left shift = 16 out of 0...15", "b shift = 1 is positive (a comparison rescales by multipliers below one)",
      ])
  }

  @Test(
    "select copies A where the condition byte is non-zero, else B; text, encoding (function 7, the condition view at 42) and checks"
  )
  func select() throws {
    var m = try makeMachine()
    m.putUB([10, -20, 30, -40], at: 0)
    m.putUB([1, 2, 3, 4], at: 32)
    m.putUB([1, 0, 5, 0], at: 96)
    let condition = VectorView(address: SRAMAddress(96), outerStrideBytes: 2)
    try run(.vector(.binary(operands(2, 2, output: 64), .select(condition: condition))), on: &m)
    #expect(m.ub(64, 4) == [10, 2, 30, 4])  // flags [1, 0] then [5, 0]
    // One flag per column, broadcast over rows (outer stride 0), in place over A.
    let broadcast = VectorView(address: SRAMAddress(97), outerStrideBytes: 0)
    try run(.vector(.binary(operands(2, 2, output: 0), .select(condition: broadcast))), on: &m)
    #expect(m.ub(0, 4) == [1, -20, 3, -40])  // flags [0, 5] for both rows
    let i = Instruction(.vector(.binary(operands(2, 3, output: 64), .select(condition: condition))))
    let text = "vbinary fn=select size=2x3 a=0x0/3/1 b=0x20/3/1 out=0x40/3/1 cond=0x60/2/1"
    #expect(i.assembly() == text)
    #expect(try Instruction(parsingAssembly: text) == i)
    let bytes = try i.encoded()
    #expect(bytes[0] == 24)
    #expect(bytes[63] == 7)
    #expect(bytes[42] == 0x60)
    #expect(try Instruction(decoding: bytes, at: 0) == i)
    var clamped = bytes
    clamped[61] = 0
    #expect(throws: ISAError.self) { try Instruction(decoding: clamped, at: 0) }
    let outside = VectorView(address: SRAMAddress(4094), outerStrideBytes: 3)
    let problems = Instruction(.vector(.binary(operands(2, 3, output: 64), .select(condition: outside)))).operation
      .staticProblems(CheckContext(limits: smallLimits, datapath: .int8, hostTaskCount: 0, arenaBytes: 0))
    #expect(problems == ["condition view 0xffe..<0x1004 exceeds the unified buffer's 0x1000 bytes"])
    let reads = i.uncheckedMemoryAccesses(limits: smallLimits, datapath: .int8, hostTasks: []).map(\.ranges)
    #expect(reads == [[0..<6], [32..<38], [96..<101], [64..<70]])
  }
}
