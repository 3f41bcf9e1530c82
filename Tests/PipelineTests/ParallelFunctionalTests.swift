import Architecture
import GraphIR
import ModelZoo
import Pipeline
import Support
import SystoleTestSupport
import TFLiteImport
import Testing
import TileISA

/// Functional simulation split across workers gives TFLite's outputs, whatever the worker count.
///
/// The split is forced (one multiply-accumulate per worker is enough) so that every `matmul` and
/// `activate` of these small networks runs on several threads.
@Suite struct ParallelFunctionalTests {
  static let cases: [(String, String)] = [
    ("mobilenet_v2_int8", "tpu-v1"), ("resnet_small_int8", "edge-tpu"), ("kws_dscnn_int8", "gemmini"),
    ("attention_int8", "toy-4x4"), ("mlp_int8", "vta"),
  ]

  @Test(arguments: cases)
  func forcedSplitEqualsTFLite(_ network: String, _ archName: String) throws {
    let arch = try ArchSpec.preset(named: archName)
    let set = try ReferenceSet(stem: network)
    let model = try set.loadResolved()
    let inputs = try (0..<set.invocations).map { try set.inputs(invocation: $0) }
    var options = RunPipeline.Options()
    options.functional = true
    options.baseline = false
    let compiled = try RunPipeline.compile(model: model, arch: arch, options: options)
    options.parallelism = .serial
    let serial = try RunPipeline.run(model: model, arch: arch, options: options, inputs: inputs)
    for workers in [2, 5] {
      options.parallelism = ExecutionParallelism(workers: workers, minimumWorkPerWorker: 1)
      let parallel = try RunPipeline.run(model: model, arch: arch, options: options, inputs: inputs)
      #expect(parallel.outputs == serial.outputs, "\(network) on \(archName), \(workers) workers")
      #expect(parallel.simulation.cycles == serial.simulation.cycles)
      #expect(parallel.compiled.program.instructions == compiled.program.instructions)
      for n in 0..<set.invocations {
        let want = try set.outputs(invocation: n)
        for (o, got) in parallel.outputs[n].enumerated() {
          #expect(mismatchCount(got, want[o]) == 0, "\(network) on \(archName), \(workers) workers, invocation \(n) output \(o)")
        }
      }
    }
  }

  @Test("a zoo network at the default threshold: automatic parallelism equals serial")
  func automaticEqualsSerial() throws {
    let model = try ModelZoo.model(named: "mobilenet_v2", inputSize: 32)
    let arch = try ArchSpec.tpuV1.applying(overrides: ["array=32x32"])
    var rng = SeededGenerator(seed: 4)
    let inputs = [
      model.main.inputs.map { id in
        let shape = model.main[id].shape
        let codes = (0..<shape.reduce(1, *)).map { _ in Int8.random(in: -128...127, using: &rng) }
        return TensorData(shape: shape, storage: .int8(codes))
      }
    ]
    var options = RunPipeline.Options()
    options.functional = true
    options.baseline = false
    options.parallelism = .serial
    let serial = try RunPipeline.run(model: model, arch: arch, options: options, inputs: inputs)
    options.parallelism = ExecutionParallelism(workers: 2)
    let parallel = try RunPipeline.run(model: model, arch: arch, options: options, inputs: inputs)
    #expect(parallel.outputs == serial.outputs)
    #expect(serial.outputs.first?.isEmpty == false)
  }
}
