import Support
import Testing

@testable import TileISA

@Suite("tile coordinates")
struct TileCoordinateTests {
  static let header = ".program datapath=int8 dram=0x100 ub=0x100 wb=0x100 acc_rows=4 array=4x4"
  static let load = "load mem=ub sram=0x0 sram_stride=4 dram=0x0 dram_stride=4 rows=1 row_bytes=4"

  @Test("the trailing '; tile' comment is read into the tile table and printed back; other comments are comments")
  func annotation() throws {
    let text = """
      \(Self.header)
      \(Self.load) ; tile m=3 k=7
      nop queue=compute ; a tile-free comment
      \(Self.load) ;tile n=0
      finish ; tile
      """
    let program = try TileProgram(parsingAssembly: text)
    #expect(
      program.tiles == [0: TileCoordinate(m: 3, k: 7), 2: TileCoordinate(n: 0), 3: TileCoordinate()])
    #expect(program.tile(at: 1) == nil && program.tile(at: 99) == nil)
    let printed = program.assembly()
    #expect(printed.contains("\n\(Self.load) ; tile m=3 k=7\n"))
    #expect(printed.contains("\n\(Self.load) ; tile n=0\n"))
    #expect(printed.contains("\nfinish ; tile\n"))
    #expect(printed.contains("\nnop queue=compute\n"))
    #expect(try TileProgram(parsingAssembly: printed) == program)
    // One instruction line on its own: the annotation is just a comment.
    #expect(try Instruction(parsingAssembly: "\(Self.load) ; tile m=3") == program.instructions[0])
    #expect(TileCoordinate(m: 1, n: 2, k: 3).description == "m=1 n=2 k=3")
  }

  @Test(
    "a malformed tile annotation is a parse error at its column",
    arguments: [
      ("; tile m=-1", "m=-1", "expected a non-negative tile index for 'm', found '-1'", 2),
      ("; tile m=x", "m=x", "expected a non-negative tile index for 'm', found 'x'", 2),
      ("; tile q=1", "q=1", "unknown field 'q' for tile annotation", 0),
      ("; tile m", "m", "unknown flag 'm' for tile annotation", 0),
      ("; tile m=1 m=2", "m=2", "field 'm' given twice", 0),
    ])
  func badAnnotation(comment: String, token: String, message: String, valueOffset: Int) throws {
    let line = "\(Self.load) \(comment)"
    let column = line.count - token.count + 1 + valueOffset
    #expect(throws: ISAError(.parse, "line 2, column \(column)", message)) {
      try TileProgram(parsingAssembly: "\(Self.header)\n\(line)\nfinish\n")
    }
  }

  @Test("tiles survive the binary form; a program without tiles encodes as before (flags byte 0)")
  func binary() throws {
    var program = TileProgram(
      limits: smallLimits, dramSize: 0x1000,
      instructions: [Instruction(.nop(.load)), Instruction(.nop(.compute)), Instruction(.finish)])
    let plain = try program.encoded()
    #expect(plain[7] == 0)
    program.tiles = [0: TileCoordinate(m: 1), 2: TileCoordinate(m: Int(UInt32.max), n: 0, k: 5)]
    let bytes = try program.encoded()
    #expect(bytes[7] == 1)
    #expect(try TileProgram(decoding: bytes) == program)
    #expect(try TileProgram(decoding: bytes).encoded() == bytes)
    // The table (4 + 2 × 17 bytes) sits between the 88-byte header (no tables, no image) and
    // the padding before the instruction stream, whose offset the header records.
    let streamOffset = (0..<8).reduce(0) { $0 | Int(bytes[80 + $1]) << (8 * $1) }
    #expect(streamOffset == (88 + 4 + 2 * 17 + 63) / 64 * 64)
    #expect(bytes.count == streamOffset + 3 * Instruction.encodedSize)
    #expect(Array(bytes[88..<92]) == [2, 0, 0, 0])
  }

  @Test("tile entries that do not fit are encode errors; the verifier reports them too")
  func outOfRange() throws {
    var program = TileProgram(limits: smallLimits, dramSize: 0x1000, instructions: [Instruction(.finish)])
    program.tiles = [3: TileCoordinate(m: 0)]
    #expect(throws: ISAError(.encode, "tile table", "entry for instruction #3, but the program has 1 instructions")) {
      try program.encoded()
    }
    #expect(
      ProgramVerifier.verify(program).map(\.description) == [
        "tile table: entry for instruction #3, but the program has 1 instructions"
      ])
    program.tiles = [0: TileCoordinate(n: Int(UInt32.max) + 1)]
    #expect(throws: ISAError(.encode, "tile table", "instruction #0: tile n = 4294967296 does not fit u32")) {
      try program.encoded()
    }
    program.tiles = [0: TileCoordinate(k: -2)]
    #expect(
      ProgramVerifier.verify(program).map(\.description) == [
        "tile table: instruction #0: negative tile index in 'k=-2'"
      ])
  }

  @Test("decoding rejects a corrupt tile table with its byte offset")
  func decodeErrors() throws {
    var program = TileProgram(
      limits: smallLimits, dramSize: 0x1000, instructions: [Instruction(.nop(.load)), Instruction(.finish)])
    program.tiles = [0: TileCoordinate(m: 1), 1: TileCoordinate(n: 2)]
    let good = try program.encoded()
    // No tables and no image: the tile table starts right after the 88-byte header.
    let table = 88
    func expectError(_ mutate: (inout [UInt8]) -> Void, _ message: String) {
      var bytes = good
      mutate(&bytes)
      #expect(throws: ISAError.self) { try TileProgram(decoding: bytes) }
      do {
        _ = try TileProgram(decoding: bytes)
      } catch {
        #expect(error.description == message)
      }
    }
    func at(_ offset: Int) -> String { "@\(String(offset, radix: 16).prefixed)" }
    expectError({ $0[7] = 9 }, "@0x7: reserved flag bits set in 0x9")  // bit 2 is the host-operations flag
    expectError(
      { $0[table + 4 + 17] = 0 },
      "\(at(table + 4 + 17)): tile entry for instruction #0: expected increasing indices below 2")
    expectError(
      { $0[table + 4] = 9 }, "\(at(table + 4)): tile entry for instruction #9: expected increasing indices below 2")
    expectError({ $0[table + 8] = 0x11 }, "\(at(table + 8)): tile mask 0x11 has reserved bits set")
    expectError({ $0[table + 13] = 4 }, "\(at(table + 13)): absent tile component is 4, expected 0")
    expectError(
      { $0[table] = 0xFF },
      "\(at(table)): tile count 255 exceeds what the remaining \(good.count - table - 4) bytes can hold")
  }
}
