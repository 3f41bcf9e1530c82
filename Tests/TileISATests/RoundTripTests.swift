import Support
import Testing

@testable import TileISA

@Suite("assembly and binary round trips")
struct RoundTripTests {
  @Test("parse(print(p)) == p for random programs with every instruction and Int-extreme fields", arguments: 0..<12)
  func assemblyRoundTrip(seed: UInt64) throws {
    var generator = RandomProgramGenerator(seed: seed, encodable: false)
    let program = generator.program(instructions: 60)
    let text = program.assembly()
    let parsed = try TileProgram(parsingAssembly: text)
    #expect(parsed == program)
    #expect(parsed.assembly() == text)
  }

  @Test("decode(encode(p)) == p for random programs with every instruction at its encoding's extremes", arguments: 0..<12)
  func binaryRoundTrip(seed: UInt64) throws {
    var generator = RandomProgramGenerator(seed: 1000 + seed, encodable: true)
    let program = generator.program(instructions: 60)
    let bytes = try program.encoded()
    let decoded = try TileProgram(decoding: bytes)
    #expect(decoded == program)
    #expect(try decoded.encoded() == bytes)
    // The instruction stream is fixed-width: the last 64·n bytes are the instructions.
    let stream = bytes.count - program.instructions.count * Instruction.encodedSize
    #expect(stream % Instruction.encodedSize == 0)
    for (i, instruction) in program.instructions.enumerated() {
      #expect(try Instruction(decoding: bytes, at: stream + i * Instruction.encodedSize) == instruction)
    }
  }

  @Test("an encodable program also survives assembly, and vice versa through both forms")
  func bothForms() throws {
    var generator = RandomProgramGenerator(seed: 99, encodable: true)
    let program = generator.program(instructions: 100)
    let viaText = try TileProgram(parsingAssembly: program.assembly())
    #expect(try TileProgram(decoding: viaText.encoded()) == program)
  }

  @Test("the brief's example line parses and prints back unchanged")
  func exampleLine() throws {
    let line =
      "matmul acc=0 slot=0 n=16 ub=0x100 h=8 w=8 ps=16 out=8x8 k=3x3 s=1x1 d=1x1 pad=1,1 c=0+16 zp=-3 g=1 df=ws accumulate layer=3 deps=pop_prev,push_next"
    let instruction = try Instruction(parsingAssembly: line)
    #expect(instruction.assembly() == line)
    guard case .matmul(let m) = instruction.operation else {
      Issue.record("expected a matmul")
      return
    }
    #expect(m.reductionSize == 144 && m.window.outputPixels == 64 && m.inputZeroPoint == -3 && m.accumulate)
    #expect(instruction.dependencies == [.popPrev, .pushNext] && instruction.layer == 3 && instruction.queue == .compute)
  }

  @Test("a small program's text, field by field")
  func snapshot() throws {
    var image = DRAMImage()
    image.write([1, 2, 3], at: 0x40)
    let program = TileProgram(
      limits: smallLimits, dramSize: 0x1000, dramImage: image, layers: [LayerInfo(name: "fc \"1\"", opName: "FULLY_CONNECTED")],
      hostTasks: [HostTask(name: "softmax", reads: [DRAMRange(start: 0x100, byteCount: 10)], writes: [])],
      inputs: [IOBinding(name: "x", elementType: .int8, shape: [1, 3], address: 0x100)],
      outputs: [IOBinding(name: "y", elementType: .float32, shape: [], address: 0x200)],
      instructions: [
        Instruction(
          .load(DMA2D(memory: .unifiedBuffer, sramAddress: 0, dramAddress: 0x100, rows: 1, rowBytes: 3)),
          dependencies: .pushNext, layer: 0),
        Instruction(.host(0), dependencies: .popPrev),
        Instruction(.finish),
      ])
    let expected = """
      ; Systole tile program
      .program datapath=int8 dram=0x1000 ub=0x1000 wb=0x1000 acc_rows=64 array=16x8
      .layer 0 name="fc \\"1\\"" op="FULLY_CONNECTED"
      .host 0 name="softmax" reads=[0x100+10] writes=[] ops=10
      .input 0 name="x" type=int8 shape=[1,3] dram=0x100
      .output 0 name="y" type=float32 shape=[] dram=0x200
      .data 0x40 010203
      ; 3 instructions
      load mem=ub sram=0x0 sram_stride=3 dram=0x100 dram_stride=3 rows=1 row_bytes=3 layer=0 deps=push_next
      host task=0 deps=pop_prev
      finish

      """
    #expect(program.assembly() == expected)
    #expect(try TileProgram(parsingAssembly: expected) == program)
  }

  @Test("comments, blank lines, CRLF line ends and field order are free")
  func lenientSyntax() throws {
    let text =
      "; header\r\n\r\n.program array=16x8 acc_rows=64 wb=4096 ub=4096 dram=4096 datapath=int8 ; trailing\r\n"
      + "  nop   queue=store deps=pop_prev ; waits\r\nfinish\r\n"
    let program = try TileProgram(parsingAssembly: text)
    #expect(program.limits == smallLimits)
    #expect(program.instructions == [Instruction(.nop(.store), dependencies: .popPrev), Instruction(.finish)])
  }
}

@Suite("assembly and binary errors")
struct FormatErrorTests {
  static let header = ".program datapath=int8 dram=0x1000 ub=0x1000 wb=0x1000 acc_rows=64 array=16x8\n"

  @Test(
    "parse errors name the line, the column and what was expected",
    arguments: [
      ("matmul acc=0", "line 2, column 1: matmul is missing the field 'slot='"),
      ("load mem=xx sram=0 sram_stride=0 dram=0 dram_stride=0 rows=1 row_bytes=1",
       "line 2, column 10: expected one of 'ub', 'wb', 'acc' for 'mem', found 'xx'"),
      ("load mem=ub sram=0 sram_stride=0 dram=0 dram_stride=0 rows=x8 row_bytes=1",
       "line 2, column 60: expected an integer for 'rows', found 'x8'"),
      ("matmull acc=0", "line 2, column 1: unknown instruction 'matmull' (expected load, store, load_weights, matmul, activate, vadd, vsub, vmul, vmaxpool, vavgpool, vrequant, vsoftmax, vmean, vlut, vresize, vcopy, vbinary, vreduce, vl2norm, vlstm, host, nop or finish)"),
      ("host task=1 colour=red", "line 2, column 13: unknown field 'colour' for host"),
      ("host task=1 task=2", "line 2, column 13: field 'task' given twice"),
      ("host task=1 fast", "line 2, column 13: unknown flag 'fast' for host"),
      ("host task=1 deps=pop_prev,bogus",
       "line 2, column 18: expected dependency flags from pop_prev, pop_next, push_prev, push_next for 'deps', found 'pop_prev,bogus'"),
      ("nop queue=load layer=three", "line 2, column 22: expected an integer for 'layer', found 'three'"),
      ("vcopy size=2 src=0/0/1 out=0/0/1", "line 2, column 12: expected two integers separated by 'x' for 'size', found '2'"),
      ("vcopy size=2x2 src=0/0 out=0/0/1",
       "line 2, column 20: expected 'address/outer_stride/inner_stride' for 'src', found '0/0'"),
      ("vrequant size=1x1 src=0/1/1 out=0/1/1 in_zp=200 out_zp=0 mult=1 shift=0 clamp=-128,127",
       "line 2, column 45: expected an int8 (-128...127) for 'in_zp', found 200"),
      ("vrequant size=1x1 src=0/1/1 out=0/1/1 in_zp=0 out_zp=0 mult=1 shift=0 clamp=5,1",
       "line 2, column 77: expected 'min,max' with -128 ≤ min ≤ max ≤ 127 for 'clamp', found '5,1'"),
      ("load_weights slot=2 wb=0 rows=1 cols=1 stride=1", "line 2, column 19: expected a weight slot 0 or 1 for 'slot', found '2'"),
      ("matmul acc=0 slot=0 n=16 ub=0x100 h=8 w=8 ps=16 out=8x8 k=3x3 s=1x1 d=1x1 pad=1,1 c=0+16 zp=-3 g=1 df=ws accumulate=yes",
       "line 2, column 106: 'accumulate' is a flag and takes no value"),
      (".layer 1 name=\"a\" op=\"b\"", "line 2, column 8: expected the index 0 after .layer, found 1"),
      (".layer 0 name=\"a op=\"b\"", "line 2, column 23: unterminated string: expected a closing '\"'"),
      (".layer 0 name=\"a\\q\" op=\"b\"", "line 2, column 17: unknown escape '\\q' (expected \\\", \\\\ or \\u{hex})"),
      (".layer 0 name=a op=\"b\"", "line 2, column 15: expected a double-quoted string for 'name'"),
      (".input 0 name=\"x\" type=int8 shape=[1,x] dram=0", "line 2, column 35: expected a shape like [1,8,8,3] for 'shape', found '[1,x]'"),
      (".host 0 name=\"t\" reads=[0x10] writes=[]",
       "line 2, column 24: expected a list like [0x100+64,0x200+32] for 'reads', found '[0x10]'"),
      (".data 0x10 abc", "line 2, column 12: expected an even number of hex digits"),
      (".data 0x10 zz", "line 2, column 12: expected hex digits, found 'zz'"),
      (".text", "line 2, column 1: unknown directive '.text' (expected .program, .layer, .host, .input, .output or .data)"),
      (".program datapath=int8 dram=0 ub=0 wb=0 acc_rows=1 array=1x1", "line 2, column 1: .program given twice"),
    ])
  func parseErrors(line: String, message: String) {
    #expect(throws: ISAError.self) { try TileProgram(parsingAssembly: Self.header + line) }
    do {
      _ = try TileProgram(parsingAssembly: Self.header + line)
    } catch {
      #expect(error.kind == .parse)
      #expect(error.description == message)
    }
  }

  @Test("a text without .program")
  func missingHeader() {
    #expect(throws: ISAError(.parse, "line 2, column 1", "expected a .program directive")) {
      try TileProgram(parsingAssembly: "finish\n")
    }
  }

  /// A valid two-instruction program's bytes and where its instruction stream starts.
  func sample() throws -> (bytes: [UInt8], stream: Int) {
    let program = TileProgram(
      limits: smallLimits, dramSize: 0x1000, layers: [LayerInfo(name: "l", opName: "ADD")],
      instructions: [Instruction(.nop(.load), dependencies: .pushNext), Instruction(.finish, dependencies: .popPrev)])
    let bytes = try program.encoded()
    return (bytes, bytes.count - 2 * Instruction.encodedSize)
  }

  @Test("decode errors name the byte offset")
  func decodeErrors() throws {
    let (good, stream) = try sample()
    func expectError(_ mutate: (inout [UInt8]) -> Void, _ message: String) {
      var bytes = good
      mutate(&bytes)
      do {
        _ = try TileProgram(decoding: bytes)
        Issue.record("expected \(message)")
      } catch {
        #expect(error.kind == .decode)
        #expect(error.description == message)
      }
    }
    expectError({ $0[0] = UInt8(ascii: "X") }, "@0x0: expected the magic bytes 'STIS'")
    expectError({ $0[4] = 2 }, "@0x4: unsupported version 2 (expected 1)")
    expectError({ $0[6] = 7 }, "@0x6: datapath 7 out of 0...1")
    expectError({ $0[stream] = 0xEE }, "@\(String(stream, radix: 16).prefixed): unknown opcode 238 (expected 0...17, 20, 24...27)")
    expectError({ $0[stream + 64 + 10] = 1 }, "@\(String(stream + 74, radix: 16).prefixed): reserved byte is 0x1, expected 0")
    expectError({ $0[stream + 4] = 3 }, "@\(String(stream + 4, radix: 16).prefixed): queue 3 out of 0...2")
    expectError({ $0[stream + 1] |= 0x80 }, "@\(String(stream + 1, radix: 16).prefixed): reserved flag bits set in 0x88")
    expectError({ $0.removeLast() }, "@\(String(good.count - 1, radix: 16).prefixed): expected 2 instructions ending at @\(String(good.count, radix: 16).prefixed), found \(good.count - 1) bytes in all")
    expectError({ $0 = Array($0[0..<10]) }, "@0x8: expected 8 bytes of DRAM size, found 2")
    // The layer name "l" is the first string after the 88-byte header: its length, then its byte.
    expectError({ $0[92] = 0xFF }, "@0x5c: layer name is not valid UTF-8")
    expectError({ $0[80] = 0x81 }, "@0x50: instruction stream offset 129, expected 128")
  }

  @Test("decoding one instruction: clamps, enums, too few bytes")
  func instructionDecodeErrors() throws {
    let pool = Instruction(
      .vector(
        .maxPool(
          Pool(
            input: FeatureMap(address: 0, height: 1, width: 1, pixelStrideBytes: 1, channelCount: 1), window: Window(outHeight: 1, outWidth: 1),
            destination: PixelDestination(address: 0, pixelStrideBytes: 1, rowStrideBytes: 1), clamp: -3...4))))
    var bytes = try pool.encoded()
    #expect(try Instruction(decoding: bytes) == pool)
    bytes[4] = 10  // clamp min 10 > max 4
    #expect(throws: ISAError(.decode, "@0x4", "clamp minimum 10 exceeds maximum 4")) { try Instruction(decoding: bytes) }
    #expect(throws: ISAError(.decode, "@0x40", "expected 64 bytes of instruction, found 0")) {
      try Instruction(decoding: bytes, at: 64)
    }
  }

  @Test("fields that do not fit their encoding are encode errors")
  func encodeErrors() throws {
    let tall = Instruction(
      .matmul(
        Matmul(
          input: FeatureMap(address: 0, height: 70_000, width: 1, pixelStrideBytes: 1, channelCount: 1),
          window: Window(outHeight: 1, outWidth: 1), weightSlot: .first, columns: 1, accRow: 0)))
    #expect(throws: ISAError(.encode, "matmul", "field 'h' = 70000 does not fit u16 (0...65535)")) { try tall.encoded() }
    let program = TileProgram(
      limits: smallLimits, dramSize: 0x1000,
      instructions: [Instruction(.finish), Instruction(.load(DMA2D(memory: .unifiedBuffer, sramAddress: -1, dramAddress: 0, rows: 1, rowBytes: 1)))])
    #expect(throws: ISAError(.encode, "instruction #1 (load)", "field 'sram' = -1 does not fit u32 (0...4294967295)")) {
      try program.encoded()
    }
    let shifted = Instruction(
      .vector(.requantize(
        UnaryOperands(source: VectorView(address: 0, outerStrideBytes: 1), output: VectorView(address: 0, outerStrideBytes: 1), outer: 1, inner: 1),
        RequantizeParameters(inputZeroPoint: 0, outputZeroPoint: 0, multiplier: 1, shift: 300))))
    #expect(throws: ISAError(.encode, "vrequant", "field 'shift' = 300 does not fit i8 (-128...127)")) { try shifted.encoded() }
  }
}

extension String {
  /// `0x` + self, matching `formatOffset`.
  var prefixed: String { "0x" + self }
}
