import Support
import Testing

@testable import TileISA

/// `vlut` on hand-checked tables, aliasing and strides, its assembly text, encoding, static
/// checks and the verifier's table checks. (Compiled tables are compared with the golden model
/// on every int8 input in `LoweringTests/LookupTests.swift`.)
@Suite("vlut")
struct LookupInstructionTests {
  func elements(_ outer: Int, _ inner: Int, source: Int = 0, output: Int) -> UnaryOperands {
    UnaryOperands(
      source: VectorView(address: SRAMAddress(source), outerStrideBytes: inner),
      output: VectorView(address: SRAMAddress(output), outerStrideBytes: inner), outer: outer, inner: inner)
  }

  /// A table whose entry for input x is `f(x)`.
  func table(_ f: (Int) -> Int) -> [Int8] { (-128...127).map { Int8(truncatingIfNeeded: f($0)) } }

  @Test("each element is replaced by the weight-buffer table entry at its value + 128")
  func handChecked() throws {
    var m = try makeMachine()
    // Entry for x: x / 2 − 1 (arithmetic shift), at weight-buffer address 0x100.
    m.putWB(table { ($0 >> 1) - 1 }, at: 0x100)
    m.putUB([-128, -1, 0, 1, 127, 64], at: 0)
    try run(.vector(.lookup(elements(2, 3, output: 64), table: SRAMAddress(0x100))), on: &m)
    #expect(m.ub(64, 6) == [-65, -2, -1, -1, 62, 31])
    // The identity table copies; a constant table fills.
    m.putWB(table { $0 }, at: 0x200)
    try run(.vector(.lookup(elements(1, 6, output: 80), table: SRAMAddress(0x200))), on: &m)
    #expect(m.ub(80, 6) == [-128, -1, 0, 1, 127, 64])
    m.putWB(table { _ in 7 }, at: 0x300)
    try run(.vector(.lookup(elements(3, 2, output: 80), table: SRAMAddress(0x300))), on: &m)
    #expect(m.ub(80, 6) == [7, 7, 7, 7, 7, 7])
  }

  @Test("the output may overwrite the source in place; strided views read every other element")
  func inPlaceAndStrided() throws {
    var m = try makeMachine()
    m.putWB(table { -$0 - 1 }, at: 0)  // bitwise not
    m.putUB([1, 9, 2, 9, 3, 9, 4, 9], at: 0)
    let strided = UnaryOperands(
      source: VectorView(address: SRAMAddress(0), outerStrideBytes: 4, innerStrideBytes: 2),
      output: VectorView(address: SRAMAddress(0), outerStrideBytes: 4, innerStrideBytes: 2), outer: 2, inner: 2)
    try run(.vector(.lookup(strided, table: SRAMAddress(0))), on: &m)
    #expect(m.ub(0, 8) == [-2, 9, -3, 9, -4, 9, -5, 9])
  }

  @Test("assembly text, encoding, opcode 17, static checks and footprint")
  func textAndChecks() throws {
    let i = Instruction(.vector(.lookup(elements(4, 48, output: 512), table: SRAMAddress(0x40))))
    let text = "vlut size=4x48 src=0x0/48/1 out=0x200/48/1 table=0x40"
    #expect(i.assembly() == text)
    #expect(try Instruction(parsingAssembly: text) == i)
    #expect(try Instruction(decoding: i.encoded(), at: 0) == i)
    #expect(try i.encoded()[0] == 17)  // opcode: appended after vmean (16)
    // A table that runs past the weight buffer; an output past the unified buffer.
    let bad = Instruction(.vector(.lookup(elements(1, 8, output: 4092), table: SRAMAddress(0xf80))))
    let problems = bad.operation.staticProblems(
      CheckContext(limits: smallLimits, datapath: .int8, hostTaskCount: 0, arenaBytes: 0))
    #expect(
      problems == [
        "output view 0xffc..<0x1004 exceeds the unified buffer's 0x1000 bytes",
        "vlut table 0xf80..<0x1080 exceeds the weight buffer's 0x1000 bytes",
      ])
    let accesses = i.uncheckedMemoryAccesses(limits: smallLimits, datapath: .int8, hostTasks: [])
    #expect(accesses.map(\.space) == [.unifiedBuffer, .weightBuffer, .unifiedBuffer])
    #expect(accesses.map(\.ranges) == [[0..<192], [0x40..<0x140], [512..<704]])
  }

  /// load table → load input (push) → vlut (pop, push) → store (pop) → finish.
  func program(loadTable: Bool, table: Int) -> TileProgram {
    var image = DRAMImage()
    image.write([UInt8](repeating: 1, count: 256), at: 0x200)
    var instructions: [Instruction] = []
    if loadTable {
      instructions.append(
        Instruction(.load(DMA2D(memory: .weightBuffer, sramAddress: 0, dramAddress: 0x200, rows: 1, rowBytes: 256))))
    }
    instructions += [
      Instruction(
        .load(DMA2D(memory: .unifiedBuffer, sramAddress: 0, dramAddress: 0x100, rows: 1, rowBytes: 8)),
        dependencies: .pushNext),
      Instruction(
        .vector(.lookup(elements(1, 8, output: 64), table: SRAMAddress(table))), dependencies: [.popPrev, .pushNext]),
      Instruction(
        .store(DMA2D(memory: .unifiedBuffer, sramAddress: 64, dramAddress: 0x400, rows: 1, rowBytes: 8)),
        dependencies: .popPrev),
      Instruction(.finish),
    ]
    return TileProgram(
      limits: smallLimits, dramSize: ByteCount(4096), dramImage: image,
      inputs: [IOBinding(name: "x", elementType: .int8, shape: [8], address: 0x100)],
      outputs: [IOBinding(name: "y", elementType: .int8, shape: [8], address: 0x400)], instructions: instructions)
  }

  @Test("the verifier accepts a loaded table and rejects one never loaded or outside the weight buffer")
  func verifier() {
    #expect(ProgramVerifier.verify(program(loadTable: true, table: 0)).map(\.description) == [])
    #expect(
      ProgramVerifier.verify(program(loadTable: false, table: 0)).map(\.description) == [
        "instruction #1 (vlut): reads weight buffer byte 0x0 (of 0x0..<0x100) before anything writes it"
      ])
    let outside = ProgramVerifier.verify(program(loadTable: true, table: 0xf80))
    #expect(outside.map(\.kind) == [.instruction])
    #expect(
      outside.map(\.description) == [
        "instruction #2 (vlut): vlut table 0xf80..<0x1080 exceeds the weight buffer's 0x1000 bytes"
      ])
  }
}
