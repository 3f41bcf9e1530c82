import Support
import Testing

@testable import TileISA

/// A host task carries its operation count (the work the simulator times) through assembly and
/// the binary container; programs that do not say count one operation per byte read.
@Suite("host-task operation counts")
struct HostOperationsTests {
  static func program(_ tasks: [HostTask]) -> TileProgram {
    TileProgram(
      limits: smallLimits, dramSize: 0x1000, hostTasks: tasks,
      instructions: tasks.indices.map { Instruction(.host(HostTaskIndex($0))) } + [Instruction(.finish)])
  }

  static let tasks = [
    HostTask(name: "conv", reads: [DRAMRange(start: 0x100, byteCount: 10)], writes: [], operations: 123_456_789_012),
    HostTask(name: "copy", reads: [DRAMRange(start: 0x200, byteCount: 7)], writes: [DRAMRange(start: 0x300, byteCount: 7)], operations: 0),
    HostTask(name: "default", reads: [DRAMRange(start: 0x100, byteCount: 10), DRAMRange(start: 0x200, byteCount: 6)], writes: []),
  ]

  @Test("the default is one operation per byte read")
  func defaultCount() {
    #expect(Self.tasks[2].operations == 16)
  }

  @Test("assembly and binary round trips keep the count")
  func roundTrips() throws {
    let p = Self.program(Self.tasks)
    let text = p.assembly()
    #expect(text.contains(".host 0 name=\"conv\" reads=[0x100+10] writes=[] ops=123456789012"))
    #expect(try TileProgram(parsingAssembly: text) == p)
    #expect(try TileProgram(decoding: try p.encoded()) == p)
  }

  @Test("a .host line without ops= and a binary without the flag count bytes read")
  func olderProgramsCountBytes() throws {
    let text = """
      .program datapath=int8 dram=0x1000 ub=0x1000 wb=0x1000 acc_rows=64 array=16x8
      .host 0 name="t" reads=[0x100+10,0x200+3] writes=[]
      host task=0
      finish
      """
    #expect(try TileProgram(parsingAssembly: text).hostTasks[0].operations == 13)
    // The same container without the flag and the trailing count: what the encoder wrote before
    // the count existed. The count's eight bytes are cut out and the padding before the
    // instruction stream grows by eight, so the stream offset stays put.
    let marker = 0x0102_0304_0506_0708
    let p = Self.program([HostTask(name: "t", reads: [DRAMRange(start: 0x100, byteCount: 10)], writes: [], operations: marker)])
    var bytes = try p.encoded()
    let flags = 7
    #expect(bytes[flags] & UInt8(TileProgram.hasHostOperationsFlag) != 0)
    bytes[flags] &= ~UInt8(TileProgram.hasHostOperationsFlag)
    let pattern: [UInt8] = (0..<8).map { UInt8(truncatingIfNeeded: marker >> (8 * $0)) }
    let at = try #require((0...(bytes.count - 8)).first { Array(bytes[$0..<$0 + 8]) == pattern })
    let stream = bytes.count - p.instructions.count * Instruction.encodedSize
    bytes.removeSubrange(at..<at + 8)
    bytes.insert(contentsOf: [UInt8](repeating: 0, count: 8), at: stream - 8)
    let decoded = try TileProgram(decoding: bytes)
    #expect(decoded.hostTasks[0].operations == 10)
  }

  @Test("negative counts are errors in assembly and in the verifier")
  func negativeCounts() throws {
    let text = """
      .program datapath=int8 dram=0x1000 ub=0x1000 wb=0x1000 acc_rows=64 array=16x8
      .host 0 name="t" reads=[0x100+10] writes=[] ops=-5
      finish
      """
    let error = #expect(throws: ISAError.self) { try TileProgram(parsingAssembly: text) }
    #expect(error?.description.contains("ops -5 must be at least 0") == true, "\(error?.description ?? "")")
    var p = Self.program([Self.tasks[0]])
    p.hostTasks[0].operations = -1
    let problems = ProgramVerifier.verify(p)
    #expect(problems.contains { $0.message == "operation count -1 is negative" }, "\(problems)")
  }
}
