import Support
import Testing

@testable import TileISA

/// `vmean` on hand-checked channels, aliasing, strided views, its assembly text, encoding and
/// static checks. (The executor is compared with the golden model's MEAN over seeded and
/// exhaustive cases in `LoweringTests/MeanTests.swift`, which has the compiler's parameter
/// derivation and the golden model at hand.)
@Suite("vmean")
struct MeanInstructionTests {
  /// Scales equal, 4 pixels: `QuantizeMultiplier(1)` = (2^30, 1); k = min(2, 32, 32) = 2,
  /// M' = 2^32 / 4 = 2^30, s' = −1: × 1/4.
  let quarter = RequantizeParameters(inputZeroPoint: 0, outputZeroPoint: 0, multiplier: 1 << 30, shift: -1)

  func pixels(_ outer: Int, _ inner: Int, source: Int = 0, output: Int) -> UnaryOperands {
    UnaryOperands(
      source: VectorView(address: SRAMAddress(source), outerStrideBytes: inner),
      output: VectorView(address: SRAMAddress(output), outerStrideBytes: inner), outer: outer, inner: inner)
  }

  @Test("each channel's mean over the pixels, rounded half away from zero, offset and clamped")
  func handChecked() throws {
    var m = try makeMachine()
    // 4 pixels × 3 channels: channel sums 10, −6, 508.
    m.putUB([1, -1, 127, 2, -2, 127, 3, -2, 127, 4, -1, 127], at: 0)
    try run(.vector(.mean(pixels(4, 3, output: 64), quarter)), on: &m)
    // 10/4 = 2.5 → 3; −6/4 = −1.5 → −2; 508/4 = 127.
    #expect(m.ub(64, 3) == [3, -2, 127])
    // Zero points: in_zp = 1 subtracts 4 from each sum; out_zp = 100 then saturates channel 2.
    var p = quarter
    p.inputZeroPoint = 1
    p.outputZeroPoint = 100
    try run(.vector(.mean(pixels(4, 3, output: 64), p)), on: &m)
    #expect(m.ub(64, 3) == [102, 97, 127])
    // The clamp applies after the offset.
    p.clamp = 98...110
    try run(.vector(.mean(pixels(4, 3, output: 64), p)), on: &m)
    #expect(m.ub(64, 3) == [102, 98, 110])
  }

  @Test("the output may overwrite the first pixel in place; strided views read every other channel")
  func inPlaceAndStrided() throws {
    var m = try makeMachine()
    m.putUB([8, 0, 4, 0, 8, 0, 4, 0], at: 0)
    // 2 pixels of 2 channels read at a channel stride of 2 bytes; the output row overwrites
    // the first two bytes of the source.
    let strided = UnaryOperands(
      source: VectorView(address: SRAMAddress(0), outerStrideBytes: 4, innerStrideBytes: 2),
      output: VectorView(address: SRAMAddress(0), outerStrideBytes: 0, innerStrideBytes: 1), outer: 2, inner: 2)
    // Sums 16 and 8 over 2 pixels, × 1/4 → 4 and 2.
    try run(.vector(.mean(strided, quarter)), on: &m)
    #expect(m.ub(0, 8) == [4, 2, 4, 0, 8, 0, 4, 0])
  }

  @Test("assembly text, encoding and static checks")
  func textAndChecks() throws {
    let i = Instruction(.vector(.mean(pixels(49, 8, output: 512), quarter)))
    let text = "vmean size=49x8 src=0x0/8/1 out=0x200/8/1 in_zp=0 out_zp=0 mult=1073741824 shift=-1 clamp=-128,127"
    #expect(i.assembly() == text)
    #expect(try Instruction(parsingAssembly: text) == i)
    #expect(try Instruction(decoding: i.encoded(), at: 0) == i)
    #expect(try i.encoded()[0] == 16)  // opcode: appended after vsoftmax (15)
    var p = quarter
    p.shift = -32
    // The source (49 × 8 bytes) fits; one output row at 0xffa does not; the shift is out of range.
    let bad = Instruction(.vector(.mean(pixels(49, 8, output: 4090), p)))
    let problems = bad.operation.staticProblems(
      CheckContext(limits: smallLimits, datapath: .int8, hostTaskCount: 0, arenaBytes: 0))
    #expect(problems == ["output view 0xffa..<0x1002 exceeds the unified buffer's 0x1000 bytes", "shift = -32 out of -31...30"])
    // Only one output row is written, whatever the outer extent.
    let accesses = Instruction(.vector(.mean(pixels(49, 8, output: 512), quarter))).uncheckedMemoryAccesses(
      limits: smallLimits, datapath: .int8, hostTasks: [])
    #expect(accesses.map(\.ranges) == [[0..<392], [512..<520]])
  }
}
