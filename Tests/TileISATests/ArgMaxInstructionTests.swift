import Support
import Testing

@testable import TileISA

// issue 14: argmax

/// `vreduce fn=argmax32|argmax64` (int8 ARG_MAX): the first row of each column's largest value
/// as a little-endian int32/int64, on hand-checked ties and seeded columns against a direct
/// first-maximum scan; its text, encoding, checks and footprint with the wider output. (The
/// golden model's `argMax` on every preset is in `LoweringTests/ArgMaxLoweringTests.swift`.)
@Suite("vreduce fn=argmax")
struct ArgMaxInstructionTests {
  func indices(_ m: MachineState, at address: Int, count: Int, width: Int) -> [Int] {
    (0..<count).map { j in
      (0..<width).reduce(0) { $0 | Int(m.unifiedBuffer[address + j * width + $1]) << (8 * $1) }
    }
  }

  @Test("ties keep the first row; all-equal and all −128 columns give row 0; int32 and int64 widths")
  func handChecked() throws {
    var m = try makeMachine()
    // 4 rows × 3 columns: column 0 ties 9 at rows 1 and 3, column 1 is all −128, column 2 all 5.
    m.putUB([-3, -128, 5, 9, -128, 5, 2, -128, 5, 9, -128, 5], at: 0)
    for (f, width) in [(ReduceFunction.argMaxInt32, 4), (.argMaxInt64, 8)] {
      m.putUB([Int8](repeating: -1, count: 3 * width), at: 64)
      let o = UnaryOperands(
        source: VectorView(address: SRAMAddress(0), outerStrideBytes: 3),
        output: VectorView(address: SRAMAddress(64), outerStrideBytes: 3 * width, innerStrideBytes: width), outer: 4,
        inner: 3)
      try run(.vector(.reduce(o, f)), on: &m)
      #expect(indices(m, at: 64, count: 3, width: width) == [1, 0, 0])
    }
  }

  @Test("seeded columns over a few codes, read row-per-lane and column-wise, equal a first-maximum scan")
  func seeded() throws {
    var rng = SeededGenerator(seed: 1416)
    var m = try makeMachine()
    var compared = 0
    for trial in 0..<40 {
      let outer = 1 + Int(rng.next() % 300)
      let inner = 1 + Int(rng.next() % 6)
      let codes: [Int8] = trial % 4 == 0 ? [-128] : [-128, -1, 0, 3, 127]
      let values = (0..<outer * inner).map { _ in codes[Int(rng.next() % UInt64(codes.count))] }
      m.putUB(values, at: 0)
      let rowLanes = trial % 2 == 1  // values as `inner` rows of `outer` (MEAN's row-per-lane view)
      let source =
        rowLanes
        ? VectorView(address: SRAMAddress(0), outerStrideBytes: 1, innerStrideBytes: outer)
        : VectorView(address: SRAMAddress(0), outerStrideBytes: inner)
      let width = trial % 3 == 0 ? 8 : 4
      let o = UnaryOperands(
        source: source, output: VectorView(address: SRAMAddress(2048), outerStrideBytes: inner * width, innerStrideBytes: width),
        outer: outer, inner: inner)
      try run(.vector(.reduce(o, width == 8 ? .argMaxInt64 : .argMaxInt32)), on: &m)
      let expected = (0..<inner).map { j in
        let column = (0..<outer).map { i in rowLanes ? values[j * outer + i] : values[i * inner + j] }
        return column.firstIndex(of: column.max() ?? 0) ?? -1
      }
      #expect(indices(m, at: 2048, count: inner, width: width) == expected, "trial \(trial)")
      compared += inner
    }
    #expect(compared > 40)
  }

  @Test("text, encoding (opcode 25, function in byte 63), checks and footprint of the wider output")
  func textEncodingChecks() throws {
    let o = UnaryOperands(
      source: VectorView(address: SRAMAddress(0x10), outerStrideBytes: 1, innerStrideBytes: 3),
      output: VectorView(address: SRAMAddress(0x40), outerStrideBytes: 16, innerStrideBytes: 8), outer: 3, inner: 2)
    let i = Instruction(.vector(.reduce(o, .argMaxInt64)))
    let text = "vreduce fn=argmax64 size=3x2 src=0x10/1/3 out=0x40/16/8"
    #expect(i.assembly() == text)
    #expect(try Instruction(parsingAssembly: text) == i)
    #expect(try i.encoded()[0] == 25)
    #expect(try i.encoded()[63] == 2)
    #expect(try Instruction(decoding: i.encoded(), at: 0) == i)
    let four = Instruction(.vector(.reduce(o, .argMaxInt32)))
    #expect(try Instruction(decoding: four.encoded(), at: 0) == four)
    let context = CheckContext(limits: smallLimits, datapath: .int8, hostTaskCount: 0, arenaBytes: 0)
    #expect(i.operation.staticProblems(context).isEmpty)
    // The last index ends 8 bytes past its start: 0xff8 + 8 fits, 0xff9 + 8 does not.
    var edge = o
    edge.output.address = SRAMAddress(0xff0)
    #expect(Instruction(.vector(.reduce(edge, .argMaxInt64))).operation.staticProblems(context).isEmpty)
    edge.output.address = SRAMAddress(0xff1)
    #expect(
      Instruction(.vector(.reduce(edge, .argMaxInt64))).operation.staticProblems(context) == [
        "output view 0xff1..<0x1001 exceeds the unified buffer's 0x1000 bytes"
      ])
    let accesses = i.uncheckedMemoryAccesses(limits: smallLimits, datapath: .int8, hostTasks: [])
    // Six one-byte reads (a row-per-lane source), one 16-byte write of two int64 indices.
    #expect(accesses.count == 2 && accesses[0].ranges.count == 6 && accesses[0].ranges.allSatisfy { $0.count == 1 })
    #expect(accesses.last?.ranges == [0x40..<0x50])
  }
}
