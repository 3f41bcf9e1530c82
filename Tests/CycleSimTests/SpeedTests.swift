import Architecture
import Foundation
import Support
import Testing
import TileISA

@testable import CycleSim

/// How fast the engine runs on a large program. Runs only with `SYSTOLE_SLOW_TESTS=1`; the
/// figures are printed, not asserted (timings are for benchmarks, never for tests).
@Suite("speed", .enabled(if: ProcessInfo.processInfo.environment["SYSTOLE_SLOW_TESTS"] == "1"))
struct SpeedTests {
  @Test("a million-instruction pipelined program on a 32×32 array")
  func largeProgram() throws {
    var arch = ArchSpec.tpuV1
    arch.name = "tpu-32x32"
    arch.array.rows = 32
    arch.array.cols = 32
    arch.vector.lanes = 32
    let tiles = 200_000
    let program = pipelinedProgram(arch: arch, tiles: tiles, p: 64, k: 32, n: 32, layers: 50)
    var simulator = Simulator(arch: arch, program: program)
    let clock = ContinuousClock()
    var result: SimulationResult?
    let elapsed = try clock.measure { result = try simulator.run() }
    let r = try #require(result)
    print(
      "speed: \(program.instructions.count) instructions, \(r.cycles.count) cycles in \(elapsed) "
        + "(\(Double(program.instructions.count) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18) / 1e6) M instructions/s)"
    )
    #expect(r.total[.instructions] == Int64(program.instructions.count))
  }
}
