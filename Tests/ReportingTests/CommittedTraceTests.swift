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

  @Test(
    "occupancy stays within every memory's capacity on the committed networks",
    arguments: [
      ("kws_dscnn_int8", "vta"), ("resnet_small_int8", "gemmini"), ("mobilenet_v2_int8", "tpu-v1"),
      ("mobilenet_v2_int8", "toy-4x4"),
    ])
  func occupancyWithinCapacity(_ network: String, _ archName: String) throws {
    let model = try loadResolvedModel(Fixtures.model("\(network).tflite"))
    let arch = try ArchSpec.preset(named: archName)
    let options = RunPipeline.Options(baseline: false)
    let compiled = try RunPipeline.compile(model: model, arch: arch, options: options)
    var writer = PerfettoTraceWriter(
      program: compiled.program, arch: arch, options: TraceOptions(level: .layer), output: String())
    let result = try RunPipeline.run(model: model, arch: arch, options: options, compiled: compiled, observer: &writer)
    writer.finish(result.simulation)
    let bytes = Array(writer.output.utf8)
    #expect(TraceValidator.validate(bytes: bytes).isEmpty)
    let trace = try SystoleTrace(bytes: bytes, fileName: "\(network).json")
    #expect(trace.peakOccupancy.count == 3)
    for peak in trace.peakOccupancy {
      #expect(peak.bytes > 0 && peak.bytes <= peak.capacity, "\(peak.counter): \(peak.bytes) of \(peak.capacity)")
    }
  }

  @Test(arguments: ["mlp_int8", "convpool_int8", "attention_int8"])
  func traceOfACompiledModelIsValidAndAgreesWithTheRun(_ network: String) throws {
    let model = try loadResolvedModel(Fixtures.model("\(network).tflite"))
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
