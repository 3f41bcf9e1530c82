import Architecture
import CycleSim
import Foundation
import Pipeline
import Reporting
import SystoleTestSupport
import TFLiteImport
import Testing

/// Traces of committed models, and the example traces committed under `Traces/`, pass the
/// validator; and a trace's summary figures are the run's own.
@Suite struct CommittedTraceTests {
  @Test(arguments: [
    "mnv2-edge-tpu.json", "mnv2-edge-tpu-layers.json", "two-layers-toy-4x4.json", "two-layers-toy-4x4-layer-level.json",
  ])
  func committedExampleIsValid(_ file: String) throws {
    let url = Fixtures.root.appendingPathComponent("Traces/\(file)")
    let bytes = [UInt8](try Data(contentsOf: url))
    let problems = TraceValidator.validate(bytes: bytes)
    #expect(problems.isEmpty, "\(problems.prefix(5))")
    // Written by the current writer: occupancy counters for the three memories, within capacity.
    let trace = try SystoleTrace(bytes: bytes, fileName: file)
    #expect(trace.peakOccupancy.count == 3)
    #expect(trace.peakOccupancy.allSatisfy { $0.bytes > 0 && $0.bytes <= $0.capacity })
  }

  @Test(arguments: ["mlp_int8", "convpool_int8", "attention_int8"])
  func traceOfACompiledModelIsValidAndAgreesWithTheRun(_ network: String) throws {
    let model = try TFLiteImporter.load(contentsOf: Fixtures.model("\(network).tflite"))
    let arch = ArchSpec.toy4x4
    let options = RunPipeline.Options(baseline: false)
    let compiled = try RunPipeline.compile(model: model, arch: arch, options: options)
    var writer = PerfettoTraceWriter(program: compiled.program, arch: arch, output: String())
    let result = try RunPipeline.run(model: model, arch: arch, options: options, compiled: compiled, observer: &writer)
    writer.finish(result.simulation)
    let bytes = Array(writer.output.utf8)
    let problems = TraceValidator.validate(bytes: bytes)
    #expect(problems.isEmpty, "\(problems.prefix(5))")
    let trace = try SystoleTrace(bytes: bytes, fileName: "\(network).json")
    let s = trace.summaryFigures
    #expect(s.cycles == result.simulation.cycles.count)
    #expect(s.macs == result.simulation.total.macs)
    #expect(s.dramBytes == result.simulation.total.dramBytes)
    #expect(s.utilization == result.simulation.utilization)
    #expect(s.energyPicojoules == result.simulation.energy.total.value)
  }
}
