import Support
import Testing

@testable import TileISA

// issue 14: vector binary/reduce

/// `vbinary` (SQUARED_DIFFERENCE, MAXIMUM, MINIMUM) on hand-checked values, broadcast views,
/// its assembly text, encoding and static checks. (Every int8 pair against the golden model's
/// kernels, with the compiler's parameters, is in `LoweringTests/VectorBinaryTests.swift`.)
@Suite("vbinary")
struct VectorBinaryInstructionTests {
  /// `squared_difference.cc`'s parameters for input scales 1 and output scale 4 (exact powers of
  /// two): input multipliers 1/2 = (2^30, 0) after a left shift of 7, output
  /// (2·1)² / (2^14 · 4) = 2^-14 = (2^30, −13); so OUT = (a − b)² / 4.
  let unit = AddParameters(
    aZeroPoint: 0, bZeroPoint: 0, outputZeroPoint: 0, leftShift: 7, aMultiplier: 1 << 30, aShift: 0,
    bMultiplier: 1 << 30, bShift: 0, outputMultiplier: 1 << 30, outputShift: -13)

  func operands(_ outer: Int, _ inner: Int, b: VectorView? = nil, output: Int) -> BinaryOperands {
    BinaryOperands(
      a: VectorView(address: SRAMAddress(0), outerStrideBytes: inner),
      b: b ?? VectorView(address: SRAMAddress(32), outerStrideBytes: inner),
      output: VectorView(address: SRAMAddress(output), outerStrideBytes: inner), outer: outer, inner: inner)
  }

  @Test("squared difference, maximum and minimum of hand-checked pairs, offset and clamped")
  func handChecked() throws {
    var m = try makeMachine()
    m.putUB([3, -5, 127, -128], at: 0)
    m.putUB([1, 5, -128, 127], at: 32)
    // (a − b)² with scale 1 in and 4 out: (a·64 − b·64)² / 2^14 = (a − b)²/4 → 4/4 = 1,
    // 100/4 = 25, 255²/4 saturates.
    try run(.vector(.binary(operands(2, 2, output: 64), .squaredDifference(unit))), on: &m)
    #expect(m.ub(64, 4) == [1, 25, 127, 127])
    var offset = unit
    offset.aZeroPoint = 3
    offset.outputZeroPoint = -100
    offset.clamp = -128...0
    // a − 3: 0, −8, 124, −131 against b: 1, 5, −128, 127 → 1/4 → 0, 169/4 = 42.25 → 42, …
    try run(.vector(.binary(operands(2, 2, output: 64), .squaredDifference(offset))), on: &m)
    #expect(m.ub(64, 4) == [-100, -58, 0, 0])
    try run(.vector(.binary(operands(2, 2, output: 64), .maximum(clamp: -128...100))), on: &m)
    #expect(m.ub(64, 4) == [3, 5, 100, 100])
    try run(.vector(.binary(operands(2, 2, output: 64), .minimum(clamp: -128...127))), on: &m)
    #expect(m.ub(64, 4) == [1, -5, -128, -128])
  }

  @Test("a zero-stride operand broadcasts; the output may overwrite an input in place")
  func broadcastInPlace() throws {
    var m = try makeMachine()
    m.putUB([1, 9, -4, 6], at: 0)
    m.putUB([5], at: 32)
    let scalar = VectorView(address: SRAMAddress(32), outerStrideBytes: 0, innerStrideBytes: 0)
    try run(.vector(.binary(operands(2, 2, b: scalar, output: 0), .maximum(clamp: -128...127))), on: &m)
    #expect(m.ub(0, 4) == [5, 9, 5, 6])
  }

  @Test("assembly text, encoding (opcode 24, function in byte 63) and static checks")
  func textAndChecks() throws {
    let sq = Instruction(.vector(.binary(operands(2, 3, output: 64), .squaredDifference(unit))))
    let text =
      "vbinary fn=sqdiff size=2x3 a=0x0/3/1 b=0x20/3/1 out=0x40/3/1 a_zp=0 b_zp=0 out_zp=0 lshift=7 a_mult=1073741824 a_shift=0 b_mult=1073741824 b_shift=0 out_mult=1073741824 out_shift=-13 clamp=-128,127"
    #expect(sq.assembly() == text)
    #expect(try Instruction(parsingAssembly: text) == sq)
    let mx = Instruction(.vector(.binary(operands(2, 3, output: 64), .minimum(clamp: 0...127))))
    #expect(mx.assembly() == "vbinary fn=min size=2x3 a=0x0/3/1 b=0x20/3/1 out=0x40/3/1 clamp=0,127")
    for i in [sq, mx, Instruction(.vector(.binary(operands(1, 1, output: 8), .maximum(clamp: -1...1))))] {
      let bytes = try i.encoded()
      #expect(bytes[0] == 24)
      #expect(try Instruction(decoding: bytes, at: 0) == i)
    }
    #expect(try mx.encoded()[63] == 2)  // sqdiff, max, min
    // Parameters belong to sqdiff only: a max with a multiplier field set does not decode.
    var stray = try mx.encoded()
    stray[50] = 1
    #expect(throws: ISAError.self) { try Instruction(decoding: stray, at: 0) }
    var unknown = try mx.encoded()
    unknown[63] = 7  // sqdiff, max, min, prelu (issue 14: PRELU), div, less, and (issue 14: vops)
    #expect(throws: ISAError.self) { try Instruction(decoding: unknown, at: 0) }
    var bad = unit
    bad.outputShift = 2
    bad.leftShift = 16
    let problems = Instruction(.vector(.binary(operands(0, 3, output: 4094), .squaredDifference(bad)))).operation
      .staticProblems(CheckContext(limits: smallLimits, datapath: .int8, hostTaskCount: 0, arenaBytes: 0))
    #expect(
      problems == [
        "outer must be ≥ 1, got 0", "left shift = 16 out of 0...15",
        "output shift = 2 is positive (squared difference rescales by multipliers below one)",
      ])
    let accesses = sq.uncheckedMemoryAccesses(limits: smallLimits, datapath: .int8, hostTasks: [])
    #expect(accesses.map(\.ranges) == [[0..<6], [32..<38], [64..<70]])
  }

  @Test("vreduce fn=max: each column's largest value; text, encoding (opcode 25) and checks")
  func reduceMaximum() throws {
    var m = try makeMachine()
    // 3 rows × 2 columns; the output overwrites the first row in place.
    m.putUB([-128, 4, -7, 9, -100, -3], at: 0)
    let o = UnaryOperands(
      source: VectorView(address: SRAMAddress(0), outerStrideBytes: 2),
      output: VectorView(address: SRAMAddress(0), outerStrideBytes: 2), outer: 3, inner: 2)
    try run(.vector(.reduce(o, .maximum)), on: &m)
    #expect(m.ub(0, 6) == [-7, 9, -7, 9, -100, -3])
    // A row-per-lane view: 2 rows of 3 read with a row stride (inner stride 3 bytes).
    m.putUB([1, 5, 2, -9, -8, -128], at: 16)
    let rows = UnaryOperands(
      source: VectorView(address: SRAMAddress(16), outerStrideBytes: 1, innerStrideBytes: 3),
      output: VectorView(address: SRAMAddress(32), outerStrideBytes: 2), outer: 3, inner: 2)
    try run(.vector(.reduce(rows, .maximum)), on: &m)
    #expect(m.ub(32, 2) == [5, -8])
    let i = Instruction(.vector(.reduce(rows, .maximum)))
    let text = "vreduce fn=max size=3x2 src=0x10/1/3 out=0x20/2/1"
    #expect(i.assembly() == text)
    #expect(try Instruction(parsingAssembly: text) == i)
    #expect(try i.encoded()[0] == 25)
    #expect(try Instruction(decoding: i.encoded(), at: 0) == i)
    var bad = try i.encoded()
    bad[63] = UInt8(ReduceFunction.allCases.count)  // issue 14: argmax — the first unassigned function
    #expect(throws: ISAError.self) { try Instruction(decoding: bad, at: 0) }
    var wide = rows
    wide.output.address = SRAMAddress(4095)
    let problems = Instruction(.vector(.reduce(wide, .maximum))).operation.staticProblems(
      CheckContext(limits: smallLimits, datapath: .int8, hostTaskCount: 0, arenaBytes: 0))
    #expect(problems == ["output view 0xfff..<0x1001 exceeds the unified buffer's 0x1000 bytes"])
  }

  @Test("fields at their encodings' extremes survive text and binary round trips")
  func extremeFields() throws {
    let view = VectorView(address: SRAMAddress(Int(UInt32.max)), outerStrideBytes: Int(UInt32.max), innerStrideBytes: Int(UInt16.max))
    let o = BinaryOperands(a: view, b: view, output: view, outer: Int(UInt32.max), inner: Int(UInt32.max))
    let q = AddParameters(
      aZeroPoint: -128, bZeroPoint: 127, outputZeroPoint: -128, leftShift: 255, aMultiplier: .min, aShift: -128,
      bMultiplier: .max, bShift: 127, outputMultiplier: .min, outputShift: -128, clamp: 127...127)
    let u = UnaryOperands(source: view, output: view, outer: Int(UInt32.max), inner: Int(UInt32.max))
    for op in [
      VectorOperation.binary(o, .squaredDifference(q)), .binary(o, .maximum(clamp: -128...(-128))),
      .binary(o, .minimum(clamp: -128...127)), .reduce(u, .maximum),
    ] {
      let i = Instruction(.vector(op), dependencies: [.popPrev, .pushNext], layer: LayerIndex(Int(UInt16.max)))
      #expect(try Instruction(decoding: i.encoded(), at: 0) == i)
      #expect(try Instruction(parsingAssembly: i.assembly()) == i)
    }
    // One past an encoding's range is an encode error naming the field.
    var wide = q
    wide.leftShift = 256
    #expect(throws: ISAError.self) { try Instruction(.vector(.binary(o, .squaredDifference(wide)))).encoded() }
  }
}
