import Architecture
import Support
import Testing
import TileISA

@testable import CycleSim

/// The host timing rule charges a host task by its work, the operation count its host-task entry
/// carries: `host_latency + ⌈(read + written bytes) / link⌉ + ⌈operations / host_ops⌉`.
@Suite("host timing")
struct HostTimingTests {
  /// One host task reading and writing `bytes`, with `operations` (nil: the entry's default).
  func program(_ arch: ArchSpec, bytes: Int, operations: Int?) -> TileProgram {
    var b = ProgramBuilder(arch: arch, dramSize: 0x10000)
    b.program.hostTasks = [
      HostTask(
        name: "t", reads: [DRAMRange(start: 0, byteCount: bytes)],
        writes: [DRAMRange(start: 0x8000, byteCount: bytes)], operations: operations)
    ]
    b.program.inputs = [IOBinding(name: "x", elementType: .int8, shape: [bytes], address: 0)]
    b.program.outputs = [IOBinding(name: "y", elementType: .int8, shape: [bytes], address: 0x8000)]
    b.add(.host(0))
    b.add(.finish)
    return b.program
  }

  @Test("cycles = latency + link transfer + operations at the host's rate, exactly, on every preset")
  func chargesTheOperationCount() throws {
    for arch in [ArchSpec.tpuV1, .edgeTPU, .gemmini, .vta, .toy4x4] {
      for (bytes, operations) in [(40, 0), (40, 40), (40, 1_000_000), (4096, 37), (7, 123_456_789)] {
        let p = program(arch, bytes: bytes, operations: operations)
        #expect(ProgramVerifier.verify(p).isEmpty)
        var simulator = Simulator(arch: arch, program: p, mode: .timing)
        let result = try simulator.run()
        let link = Int64((Double(2 * bytes) / arch.hostLinkBytesPerCycle).rounded(.up))
        let compute = Int64((Double(operations) / arch.hostOpsPerCycle).rounded(.up))
        let expected = max(Int64(arch.hostLatencyCycles) + link + compute, 1)
        #expect(result.total[.hostCycles] == expected, "\(arch.name) \(bytes) B, \(operations) ops")
        #expect(result.total[.hostOps] == Int64(operations))
      }
    }
  }

  /// toy: latency 100 cycles, link 4 B/cycle, 1 op/cycle. A transposed convolution of 10⁶ MACs
  /// over 40 bytes costs 10⁶ cycles of compute, not the 40 the bytes would give.
  @Test("a compute-heavy task is charged for its operations, not its bytes")
  func workNotBytes() throws {
    let toy = ArchSpec.toy4x4
    var heavy = Simulator(arch: toy, program: program(toy, bytes: 40, operations: 1_000_000), mode: .timing)
    var byBytes = Simulator(arch: toy, program: program(toy, bytes: 40, operations: nil), mode: .timing)
    let h = try heavy.run().total[.hostCycles]
    let b = try byBytes.run().total[.hostCycles]
    #expect(h == Int64(toy.hostLatencyCycles) + 20 + 1_000_000)
    // A task without a count (older programs) keeps one operation per byte read.
    #expect(b == Int64(toy.hostLatencyCycles) + 20 + 40)
  }
}
