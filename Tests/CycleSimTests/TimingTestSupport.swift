import Architecture
import Testing
import TileISA

@testable import CycleSim

/// Runs `program` timing-only, recording events. Timing-only programs may read memory nothing
/// wrote, so only complete programs are put through the verifier (`verify: true`).
func simulate(_ program: TileProgram, arch: ArchSpec, verify: Bool = false) throws -> (
  SimulationResult, RecordingObserver
) {
  if verify {
    #expect(ProgramVerifier.verify(program).isEmpty, "test program must verify: \(ProgramVerifier.verify(program))")
  }
  var simulator = Simulator(arch: arch, program: program, mode: .timing)
  var recorder = RecordingObserver()
  let result = try simulator.run(inputs: nil, observer: &recorder)
  return (result, recorder)
}

/// Instruction `i`'s start and end cycles, recording an issue if it never ran.
func span(_ r: RecordingObserver, _ i: Int) -> (start: Int64, end: Int64) {
  guard let e = r.execution(of: i) else {
    Issue.record("instruction #\(i) never ran")
    return (-1, -1)
  }
  return (e.start.count, e.end.count)
}
