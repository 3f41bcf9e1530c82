import Architecture
import CycleSim
import Foundation
import GraphIR
import Lowering
import Support
import SystoleTestSupport
import Testing
import TileISA

/// Host tasks carry the work the compiler's cost model counts (`max(MACs, output elements)`), and
/// the simulator's host timing rule charges exactly that: an int8 LSTM on the host (its MACs far
/// exceed the bytes it reads) is timed by its MACs, and the simulated host cycles of the layer
/// equal the cost model's estimate for it on every preset.
@Suite struct HostTaskWorkTests {
  @Test(arguments: ["lstm_t8_i10_u16_int8", "lstm_t3_i24_u40_int8"])
  func hostTasksAreTimedByTheirWork(_ stem: String) throws {
    let set = try ReferenceSet(stem: stem)
    let model = try set.loadResolved()
    for preset in allPresets {
      // issue 14: lstm — int8 LSTMs run on chip where their buffers fit; a 768-byte unified buffer
      // keeps these on the host, whose timing this test is about.
      var arch = preset
      arch.ub.capacity = ByteCount(768)
      let compiled = try LoweringPipeline(arch: arch).compile(model)
      let lstm = compiled.hostTasks.filter { $0.opName == "UNIDIRECTIONAL_SEQUENCE_LSTM" }
      #expect(lstm.count == 1, "\(stem) on \(arch.name): \(compiled.hostTasks.map(\.opName))")
      var simulator = Simulator(arch: arch, program: compiled.program, mode: .timing)
      let result = try simulator.run()
      for d in lstm {
        let task = compiled.program.hostTasks[d.task.value]
        let op = try #require(compiled.report.operators.first { $0.index == d.operatorIndex })
        let read = task.reads.reduce(0) { $0 + $1.byteCount }
        let written = task.writes.reduce(0) { $0 + $1.byteCount }
        #expect(task.operations == op.macs && op.macs > read, "\(stem) on \(arch.name): \(task.operations) ops, \(op.macs) MACs, \(read) B")
        let link = Int64((Double(read + written) / arch.hostLinkBytesPerCycle).rounded(.up))
        let work = Int64((Double(task.operations) / arch.hostOpsPerCycle).rounded(.up))
        let expected = Int64(arch.hostLatencyCycles) + link + work
        let layer = try #require(result.layers.first { $0.opName == "UNIDIRECTIONAL_SEQUENCE_LSTM" })
        #expect(layer.counters[.hostCycles] == expected, "\(stem) on \(arch.name)")
        // The cost model charges the same work; its link term counts the operator's tensors
        // (every input and output, as `byteCount`), which may differ from the task's ranges.
        let graphOp = model.main.operators[d.operatorIndex]
        let tensorBytes = (graphOp.inputs.compactMap { $0 } + graphOp.outputs).reduce(0) { $0 + model.main[$1].byteCount }
        let estimateLink = Int64((Double(tensorBytes) / arch.hostLinkBytesPerCycle).rounded(.up))
        #expect(
          Int64(arch.hostLatencyCycles) + estimateLink + work == Int64(op.estimatedCycles),
          "\(stem) on \(arch.name): estimated \(op.estimatedCycles), tensors \(tensorBytes) B, ranges \(read + written) B")
      }
    }
  }
}
