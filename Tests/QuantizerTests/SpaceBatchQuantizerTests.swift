import Foundation
import GoldenModel
import GraphIR
import Quantizer
import SystoleTestSupport
import TFLiteImport
import Testing

/// Quantizing the float32 SPACE_TO_BATCH_ND and BATCH_TO_SPACE_ND fixtures: both become int8 with
/// input and output in one parameter group (the padding is the zero point, real 0), and the
/// quantized model follows the float one within a few quantization steps.
@Suite struct SpaceBatchQuantizerTests {
  static let floatSets: [ReferenceSet] =
    ((try? Fixtures.referenceSets(key: "space_batch_ops")) ?? []).filter { $0.stem.hasSuffix("_float") }

  @Test(arguments: floatSets)
  func passesThroughInt8(_ set: ReferenceSet) throws {
    let float = try TFLiteImporter.load(contentsOf: set.model)
    let samples = try (0..<set.invocations).map { try set.inputs(invocation: $0) }
    let q = try Quantizer.quantize(
      model: float, scheme: .int8PerChannel, calibration: .samples(samples), options: QuantizerOptions(io: .float))
    let graph = q.model.main
    let op = try #require(
      graph.operators.first { ["SPACE_TO_BATCH_ND", "BATCH_TO_SPACE_ND"].contains($0.kind.tfliteName) })
    let x = graph[try #require(op.input(0))]
    let y = graph[op.outputs[0]]
    #expect(x.elementType == .int8 && y.elementType == .int8, "\(set.stem): \(x.elementType) → \(y.elementType)")
    #expect(x.quantization == y.quantization, "\(set.stem): input and output parameters differ")
    #expect(graph[try #require(op.input(1))].elementType == .int32)
    var reference = Interpreter(model: float)
    var quantized = Interpreter(model: q.model)
    let scale = Double(y.quantization?.scale ?? 0)
    for inputs in samples {
      for (a, b) in zip(try reference.invoke(inputs), try quantized.invoke(inputs)) {
        guard case .float32(let u) = a.storage, case .float32(let v) = b.storage else {
          Issue.record("\(set.stem): outputs are not float32")
          continue
        }
        let worst = zip(u, v).map { abs(Double($0) - Double($1)) }.max() ?? 0
        #expect(worst <= scale + 1e-6, "\(set.stem): max |float − quantized| \(worst), scale \(scale)")
      }
    }
  }
}
