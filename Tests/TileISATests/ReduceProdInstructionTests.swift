import Support
import Testing

@testable import TileISA

// issue 14: prod

/// `vreduce fn=prod` (int8 REDUCE_PROD): each column's chain of 64-bit products, rescaled after
/// every step, in row order, on hand-checked columns (exact, saturating, rounding half up) and on
/// seeded columns read row-per-lane and column-wise; its text, encoding, checks and bounds. (The
/// golden model and TFLite on every preset are in `LoweringTests/ReduceProdLoweringTests.swift`.)
@Suite("vreduce fn=prod")
struct ReduceProdInstructionTests {
  static func parameters(shift: Int, multiplier: Int32 = 1 << 30) -> RequantizeParameters {
    RequantizeParameters(inputZeroPoint: 1, outputZeroPoint: -2, multiplier: multiplier, shift: shift)
  }

  func outputs(_ m: MachineState, at address: Int, count: Int) -> [Int8] {
    (0..<count).map { Int8(bitPattern: m.unifiedBuffer[address + $0]) }
  }

  @Test("hand-checked columns: an exact chain, saturation at 127, rounding half up")
  func handChecked() throws {
    var m = try makeMachine()
    // 3 rows × 2 columns, zp_in 1, zp_out −2, multiplier 0.5 · 2^1 = 1 (the 16-bit multiply is
    // then exact): column 0 is (3−1)(4−1)(−1−1) = −12 → −14; column 1 is 100 · 100 · 1 → 127.
    m.putUB([3, 101, 4, 101, -1, 2], at: 0)
    let three = UnaryOperands(
      source: VectorView(address: SRAMAddress(0), outerStrideBytes: 2),
      output: VectorView(address: SRAMAddress(64), outerStrideBytes: 2), outer: 3, inner: 2)
    try run(.vector(.reduce(three, .product, Self.parameters(shift: 1))), on: &m)
    #expect(outputs(m, at: 64, count: 2) == [-14, 127])
    // 2 rows × 2 columns with multiplier 0.5: column 0 is 3 → ⌊1.5 + ½⌋ = 2 then ⌊1 + ½⌋ = 1 → −1;
    // column 1 is −3 → ⌊−1.5 + ½⌋ = −1 then ⌊−0.5 + ½⌋ = 0 → −2 (half rounds toward +∞).
    m.putUB([4, -2, 2, 2], at: 0)
    let two = UnaryOperands(
      source: VectorView(address: SRAMAddress(0), outerStrideBytes: 2),
      output: VectorView(address: SRAMAddress(64), outerStrideBytes: 2), outer: 2, inner: 2)
    try run(.vector(.reduce(two, .product, Self.parameters(shift: 0))), on: &m)
    #expect(outputs(m, at: 64, count: 2) == [-1, -2])
  }

  @Test("seeded columns, read row-per-lane and column-wise, equal the shared chain in row order")
  func seeded() throws {
    var rng = SeededGenerator(seed: 1417)
    var m = try makeMachine()
    var compared = 0
    for trial in 0..<40 {
      let outer = 1 + Int(rng.next() % 40)
      let inner = 1 + Int(rng.next() % 6)
      let values = (0..<outer * inner).map { _ in Int8(truncatingIfNeeded: rng.next()) }
      m.putUB(values, at: 0)
      let rowLanes = trial % 2 == 1
      let source =
        rowLanes
        ? VectorView(address: SRAMAddress(0), outerStrideBytes: 1, innerStrideBytes: outer)
        : VectorView(address: SRAMAddress(0), outerStrideBytes: inner)
      let q = RequantizeParameters(
        inputZeroPoint: Int8(truncatingIfNeeded: rng.next()), outputZeroPoint: Int8(truncatingIfNeeded: rng.next()),
        multiplier: Int32(1 << 30) + Int32(rng.next() % (1 << 30)), shift: -8 + Int(rng.next() % 16))
      let o = UnaryOperands(
        source: source, output: VectorView(address: SRAMAddress(2048), outerStrideBytes: inner), outer: outer,
        inner: inner)
      try run(.vector(.reduce(o, .product, q)), on: &m)
      let expected = (0..<inner).map { j in
        let column = (0..<outer).map { i in Int32(rowLanes ? values[j * outer + i] : values[i * inner + j]) }
        var p = column[0] - Int32(q.inputZeroPoint)
        for v in column.dropFirst() {
          p = FixedPoint.productStep(p, v - Int32(q.inputZeroPoint), multiplier: q.multiplier, shift: q.shift)
        }
        return Int8(
          FixedPoint.productOutput(
            p, multiplier: q.multiplier, shift: q.shift, outputZeroPoint: Int32(q.outputZeroPoint), range: -128...127))
      }
      #expect(outputs(m, at: 2048, count: inner) == expected, "trial \(trial)")
      // The output may alias the source: every column is read before the first output is written.
      var aliased = o
      aliased.output = VectorView(address: SRAMAddress(1), outerStrideBytes: inner)
      try run(.vector(.reduce(aliased, .product, q)), on: &m)
      #expect(outputs(m, at: 1, count: inner) == expected, "trial \(trial), aliased")
      compared += inner
    }
    #expect(compared > 40)
  }

  @Test("text, encoding (opcode 25, function 3 in byte 63, vrequant's parameter bytes), checks and bounds")
  func textEncodingChecks() throws {
    let o = UnaryOperands(
      source: VectorView(address: SRAMAddress(0x10), outerStrideBytes: 1, innerStrideBytes: 3),
      output: VectorView(address: SRAMAddress(0x40), outerStrideBytes: 2), outer: 3, inner: 2)
    let q = RequantizeParameters(inputZeroPoint: 1, outputZeroPoint: -2, multiplier: 1_073_741_824, shift: -3)
    let i = Instruction(.vector(.reduce(o, .product, q)))
    let text = i.assembly()
    #expect(text.hasPrefix("vreduce fn=prod size=3x2 src=0x10/1/3 out=0x40"), "\(text)")
    #expect(text.contains("in_zp=1 out_zp=-2 mult=1073741824 shift=-3"), "\(text)")
    #expect(try Instruction(parsingAssembly: text) == i)
    let bytes = try i.encoded()
    #expect(bytes[0] == 25 && bytes[63] == 3 && bytes[56] == UInt8(bitPattern: -3) && bytes[58] == 1)
    #expect(try Instruction(decoding: bytes, at: 0) == i)
    let context = CheckContext(limits: smallLimits, datapath: .int8, hostTaskCount: 0, arenaBytes: 0)
    #expect(i.operation.staticProblems(context).isEmpty)
    // The 64-bit multiply's shift range is −31...7; the multiplier is non-negative.
    var wide = q
    wide.shift = 8
    #expect(
      Instruction(.vector(.reduce(o, .product, wide))).operation.staticProblems(context) == [
        "shift = 8 out of -31...7 (the 64-bit MultiplyByQuantizedMultiplier's range)"
      ])
    wide.shift = -32
    #expect(Instruction(.vector(.reduce(o, .product, wide))).operation.staticProblems(context).count == 1)
    var negative = q
    negative.multiplier = -1
    #expect(
      Instruction(.vector(.reduce(o, .product, negative))).operation.staticProblems(context) == [
        "mult = -1 must be ≥ 0"
      ])
    // fn=prod needs parameters; the other functions take none (neither encodes).
    let bare = Instruction(.vector(.reduce(o, .product)))
    #expect(bare.operation.staticProblems(context) == ["vreduce fn=prod needs requantization parameters"])
    #expect(throws: ISAError.self) { try bare.encoded() }
    let extra = Instruction(.vector(.reduce(o, .maximum, q)))
    #expect(extra.operation.staticProblems(context) == ["vreduce fn=max takes no requantization parameters"])
    #expect(throws: ISAError.self) { try extra.encoded() }
    // A shift byte out of range decodes (the checks report it) and never traps when executed.
    var bad = bytes
    bad[56] = 9
    let decoded = try Instruction(decoding: bad, at: 0)
    var m = try makeMachine()
    #expect(throws: ISAError.self) { try run(decoded.operation, on: &m) }
  }
}
