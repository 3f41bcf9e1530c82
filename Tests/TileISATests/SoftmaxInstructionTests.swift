import Support
import Testing

@testable import TileISA

/// `vsoftmax` on hand-checked rows, its fault on rows past TFLite's sum limit, aliasing, its
/// assembly text and its static checks. (The executor is compared with the golden model's
/// SOFTMAX over seeded and exhaustive cases in `LoweringTests/SoftmaxTests.swift`, which has
/// the compiler's parameter derivation and the golden model at hand.)
@Suite("vsoftmax")
struct SoftmaxInstructionTests {
  /// β · s_in = 1: `QuantizeMultiplier(2^26)` = (2^30, 27); diff_min = −⌊31 · 2^26 / 2^27⌋ = −15.
  let unitScale = SoftmaxParameters(inputMultiplier: 1 << 30, inputShift: 27, diffMin: -15)

  func rows(_ outer: Int, _ inner: Int, source: Int = 0, output: Int) -> UnaryOperands {
    UnaryOperands(
      source: VectorView(address: SRAMAddress(source), outerStrideBytes: inner),
      output: VectorView(address: SRAMAddress(output), outerStrideBytes: inner), outer: outer, inner: inner)
  }

  @Test("a uniform row gives 1/depth, a dominant element takes everything, far elements the minimum")
  func handChecked() throws {
    var m = try makeMachine()
    m.putUB([7, 7, 7, 7, 127, -128, -128, -128, 3, 3, -100, -100], at: 0)
    try run(.vector(.softmax(rows(3, 4, output: 64), unitScale)), on: &m)
    // 1/4 = 64/256 → −128 + 64; a difference of −255 or −103 is below diff_min (−15) → −128;
    // two equal maxima share the mass: 128/256 → 0.
    #expect(m.ub(64, 12) == [-64, -64, -64, -64, 127, -128, -128, -128, 0, 0, -128, -128])
  }

  @Test("the output may overwrite its own input row in place")
  func inPlace() throws {
    var m = try makeMachine()
    m.putUB([7, 7, 7, 7, 1, 1, -128, -128], at: 0)
    try run(.vector(.softmax(rows(2, 4, output: 0), unitScale)), on: &m)
    #expect(m.ub(0, 8) == [-64, -64, -64, -64, 0, 0, -128, -128])
  }

  @Test("a row whose exponentials sum to 2^9 or more faults and leaves the buffer unchanged")
  func fault() throws {
    var m = try makeMachine()
    // Row 0 is fine (and would be written first); row 1 holds 600 equal maxima: Σ exp = 600.
    m.putUB([Int8](repeating: 5, count: 600), at: 600)
    m.putUB([1] + [Int8](repeating: -128, count: 599), at: 0)
    let before = m.unifiedBuffer
    #expect(
      throws: ISAError(
        .execution, "vsoftmax",
        "row 1: the exponentials sum to 314572800 in Q12.19 (2^9 or more, or wrapped); reciprocal exponent 32 out of 0...31 (TFLite's kernel aborts)"
      )
    ) {
      try run(.vector(.softmax(rows(2, 600, output: 1200), unitScale)), on: &m)
    }
    #expect(m.unifiedBuffer == before)
    // 511 equal maxima still work (Σ exp just below 2^9): 256/511 ≈ 0.5 rounds to 1 → −127.
    m.putUB([Int8](repeating: 5, count: 511), at: 0)
    try run(.vector(.softmax(rows(1, 511, output: 1200), unitScale)), on: &m)
    #expect(Set(m.ub(1200, 511)) == [-127])
  }

  @Test("assembly text and static checks")
  func textAndChecks() throws {
    let i = Instruction(.vector(.softmax(rows(3, 4, output: 64), unitScale)))
    let text = "vsoftmax size=3x4 src=0x0/4/1 out=0x40/4/1 mult=1073741824 shift=27 diff_min=-15 clamp=-128,127"
    #expect(i.assembly() == text)
    #expect(try Instruction(parsingAssembly: text) == i)
    #expect(try Instruction(decoding: i.encoded(), at: 0) == i)
    let bad = Instruction(
      .vector(.softmax(rows(3, 4, output: 4090), SoftmaxParameters(inputMultiplier: 1, inputShift: 32, diffMin: 1))))
    let problems = bad.operation.staticProblems(
      CheckContext(limits: smallLimits, datapath: .int8, hostTaskCount: 0, arenaBytes: 0))
    #expect(
      problems == [
        "output view 0xffa..<0x1006 exceeds the unified buffer's 0x1000 bytes", "input shift = 32 out of 0...31",
        "diff_min = 1 is positive",
      ])
  }
}
