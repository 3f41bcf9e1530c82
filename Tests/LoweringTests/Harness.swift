import Architecture
import Foundation
import GoldenModel
import GraphIR
import Lowering
import Pipeline
import Support
import SystoleTestSupport
import TileISA

/// Compiles `model` for `arch`, checks the program with `ProgramVerifier` (the pipeline does
/// too; this states it in the test), runs it functionally on each input set with a golden-model
/// host executor, and compares every output byte for byte with `GoldenModel.Interpreter`.
///
/// Returns one message per mismatching output (empty when everything matches) and the
/// compiled model.
///
/// The program is verified once, here (the pipeline's own verifier pass is turned off, so a
/// problem is a test failure rather than a thrown error). Callers looping over architectures
/// pass `expected` (`goldenOutputs(model, inputs)`, computed once) instead of re-running the
/// golden model for each.
@discardableResult
func compileAndCompare(
  _ model: Model, on arch: ArchSpec, options: LoweringOptions = LoweringOptions(), inputs: [[TensorData]],
  expected: [[TensorData]]? = nil, label: String = ""
) throws -> (problems: [String], compiled: CompiledModel) {
  var compileOptions = options
  compileOptions.verifyProgram = false
  let compiled = try LoweringPipeline(arch: arch, options: compileOptions).compile(model)
  var problems = ProgramVerifier.verify(compiled.program).map { "\(label) \(arch.name): verifier: \($0)" }
  let host = GoldenHostExecutor(model: model, compiled: compiled)
  let golden = try expected ?? goldenOutputs(model, inputs)
  for (n, set) in inputs.enumerated() {
    let expected = golden[n]
    let raw = try compiled.program.run(inputs: set.map { $0.littleEndianBytes() }, host: host)
    for (o, (bytes, want)) in zip(raw, expected).enumerated() {
      let got = TensorData(littleEndianBytes: bytes, type: want.elementType, shape: want.shape)
      guard let got else {
        problems.append("\(label) \(arch.name) invocation \(n) output \(o): \(bytes.count) bytes")
        continue
      }
      let bad = mismatchCount(got, want)
      if want.count >= 8 && Set(want.littleEndianBytes()).count < 3 {
        problems.append(
          "\(label) \(arch.name) invocation \(n) output \(o): degenerate test (fewer than 3 distinct bytes)")
      }
      if bad > 0 {
        problems.append("\(label) \(arch.name) invocation \(n) output \(o): \(bad) of \(want.count) elements differ")
      }
    }
  }
  return (problems, compiled)
}

/// `GoldenModel.Interpreter`'s outputs for each input set, in order, from one interpreter (so a
/// stateful model carries its state from one set to the next).
func goldenOutputs(_ model: Model, _ inputs: [[TensorData]]) throws -> [[TensorData]] {
  var interpreter = Interpreter(model: model)
  return try inputs.map { try interpreter.invoke($0) }
}

/// Runs `compiled` functionally on every invocation of `set` with one golden-model host
/// executor (so stateful models carry their state across invocations, as TFLite does) and
/// compares every output with the outputs TFLite's reference kernels recorded: integers byte for
/// byte, float32 within `relativeTolerance` (`mismatchCount`).
///
/// Returns one message per output count that differs, output that cannot be decoded, or output
/// with mismatching elements, each starting with `label`; empty when everything matches.
func mismatchesWithTFLite(
  _ set: ReferenceSet, _ model: Model, _ compiled: CompiledModel, label: String, relativeTolerance: Float = 1e-5
) throws -> [String] {
  var problems: [String] = []
  let host = GoldenHostExecutor(model: model, compiled: compiled)
  for n in 0..<set.invocations {
    let inputs = try set.inputs(invocation: n)
    let reference = try set.outputs(invocation: n)
    let raw = try compiled.program.run(inputs: inputs.map { $0.littleEndianBytes() }, host: host)
    if raw.count != reference.count {
      problems.append("\(label) #\(n): \(raw.count) outputs, TFLite has \(reference.count)")
    }
    for (o, (bytes, want)) in zip(raw, reference).enumerated() {
      guard let got = TensorData(littleEndianBytes: bytes, type: want.elementType, shape: want.shape) else {
        problems.append("\(label) #\(n).\(o): \(bytes.count) bytes do not make a \(want.shape) tensor")
        continue
      }
      let bad = mismatchCount(got, want, relativeTolerance: relativeTolerance)
      if bad > 0 { problems.append("\(label) #\(n).\(o) vs TFLite: \(bad) of \(want.count) elements differ") }
    }
  }
  return problems
}

/// The presets every functional test runs on.
let allPresets: [ArchSpec] = [.tpuV1, .edgeTPU, .gemmini, .vta, .toy4x4]

/// A small architecture for tests that must exercise tiling: `rows` × `cols` array and tiny
/// memories (bytes), derived from the toy preset.
func tinyArch(
  _ name: String, rows: Int, cols: Int, ub: Int, weights: Int, accumulatorRows: Int,
  dataflow: Dataflow = .weightStationary
) -> ArchSpec {
  var a = ArchSpec.toy4x4
  a.name = name
  a.array.rows = rows
  a.array.cols = cols
  a.dataflow = dataflow
  a.ub.capacity = ByteCount(ub)
  a.weights.capacity = ByteCount(weights)
  a.acc.capacity = ByteCount(accumulatorRows * cols * 4)
  return a
}

/// Odd shapes: a 3 × 5 array with small memories, and memories so tight that every layer tiles.
let oddArchs: [ArchSpec] = [
  tinyArch("odd-3x5", rows: 3, cols: 5, ub: 2048, weights: 512, accumulatorRows: 24),
  tinyArch("tight-8x8", rows: 8, cols: 8, ub: 600, weights: 400, accumulatorRows: 6),
]

/// Seeded random int8 tensors for a model's inputs.
func randomInputs(_ model: Model, seed: UInt64, count: Int = 2) -> [[TensorData]] {
  var rng = SeededGenerator(seed: seed)
  return (0..<count).map { _ in
    model.main.inputs.map { id in
      let t = model.main[id]
      return randomTensor(t.elementType, t.shape, &rng)
    }
  }
}

func randomTensor(_ type: ElementType, _ shape: [Int], _ rng: inout SeededGenerator) -> TensorData {
  let n = shape.reduce(1, *)
  switch type {
  case .int8: return TensorData(shape: shape, storage: .int8((0..<n).map { _ in Int8(truncatingIfNeeded: rng.next()) }))
  case .int16:
    return TensorData(shape: shape, storage: .int16((0..<n).map { _ in Int16(truncatingIfNeeded: rng.next() >> 4) }))
  case .float32:
    return TensorData(shape: shape, storage: .float32((0..<n).map { _ in Float(rng.nextGaussian()) }))
  default: return TensorData(zeros: type, shape: shape)
  }
}

/// Whether slow cases were requested (`SYSTOLE_SLOW_TESTS=1`).
let slowTests = ProcessInfo.processInfo.environment["SYSTOLE_SLOW_TESTS"] == "1"

/// Bytes the program's DMA loads into the weight buffer.
func weightDMABytes(_ p: TileProgram) -> Int {
  p.instructions.reduce(0) { sum, i in
    if case .load(let d) = i.operation, d.memory == .weightBuffer { return sum + d.rows * d.rowBytes }
    return sum
  }
}

/// The program's `load_weights` instructions.
func weightLoads(_ p: TileProgram) -> [LoadWeights] {
  p.instructions.compactMap { i -> LoadWeights? in
    if case .loadWeights(let w) = i.operation { return w }
    return nil
  }
}

/// `model` with the int8 weight tensor (operand 1) of every CONV_2D, DEPTHWISE_CONV_2D and
/// FULLY_CONNECTED rewritten by `rewrite(tensor, values)` (it sets data and annotations).
func rewritingMatrixWeights(_ model: Model, _ rewrite: (inout Tensor, [Int8]) -> Void) -> Model {
  var m = model
  for op in m.main.operators {
    switch op.kind {
    case .conv2D, .depthwiseConv2D, .fullyConnected: break
    default: continue
    }
    guard let w = op.input(1), case .int8(let values)? = m.main[w].data?.storage else { continue }
    rewrite(&m.graphs[0].tensors[w.index], values)
  }
  return m
}
