import Foundation
import GoldenModel
import GraphIR
import Quantizer
import SystoleTestSupport
import TFLiteImport
import Testing

/// Quantizing float models with the vision operators of issue 14: the ops whose int8 kernels
/// only move or compare stored values become int8 with their operands sharing the input's
/// parameters; the ops with arithmetic of their own stay float32 (with `allowFallback`; without
/// it the quantizer refuses, naming the op). Either way the quantized model runs in the golden model and stays close to the
/// float one.
@Suite struct VisionQuantizerTests {
  static let passThrough: Set<String> = [
    "RESIZE_BILINEAR", "RESIZE_NEAREST_NEIGHBOR", "SPACE_TO_DEPTH", "DEPTH_TO_SPACE", "TILE", "UNPACK", "MAXIMUM",
    "MINIMUM",
  ]
  static let keptFloat: Set<String> = ["TRANSPOSE_CONV", "LEAKY_RELU", "PRELU", "ARG_MAX", "L2_NORMALIZATION"]
  static let floatSets: [ReferenceSet] =
    ((try? Fixtures.referenceSets(key: "vision_ops")) ?? []).filter { $0.stem.hasSuffix("_float") }

  @Test(arguments: floatSets)
  func quantizesOrKeepsFloat(_ set: ReferenceSet) throws {
    let float = try TFLiteImporter.load(contentsOf: set.model)
    let samples = try (0..<set.invocations).map { try set.inputs(invocation: $0) }
    let options = QuantizerOptions(io: .float, allowFallback: true)
    let q = try Quantizer.quantize(
      model: float, scheme: .int8PerChannel, calibration: .samples(samples), options: options)
    let graph = q.model.main
    let op = try #require(graph.operators.first { Self.passThrough.union(Self.keptFloat).contains($0.kind.tfliteName) })
    let name = op.kind.tfliteName
    let x = graph[try #require(op.input(op.kind.tfliteName == "TRANSPOSE_CONV" ? 2 : 0))]
    if Self.keptFloat.contains(name) {
      #expect(x.elementType == .float32, "\(set.stem): \(name) input is \(x.elementType)")
      // Without fallback the quantizer says which op has no int8 rule, as for any such op.
      #expect(throws: QuantizerError.self) {
        _ = try Quantizer.quantize(model: float, scheme: .int8PerChannel, calibration: .samples(samples))
      }
    } else {
      #expect(x.elementType == .int8, "\(set.stem): \(name) input is \(x.elementType)")
      for id in op.outputs + op.inputs.compactMap({ $0 }) where graph[id].elementType == .int8 {
        #expect(graph[id].quantization == x.quantization, "\(set.stem): '\(graph[id].name)' has its own parameters")
      }
    }
    // The quantized model runs and follows the float one within a few quantization steps.
    var reference = Interpreter(model: float)
    var quantized = Interpreter(model: q.model)
    let scale = Double(graph.tensors.compactMap { $0.quantization?.scale }.max() ?? 0)
    for inputs in samples {
      for (a, b) in zip(try reference.invoke(inputs), try quantized.invoke(inputs)) {
        guard case .float32(let u) = a.storage, case .float32(let v) = b.storage else {
          #expect(a.storage == b.storage, "\(set.stem): integer outputs differ")
          continue
        }
        let worst = zip(u, v).map { abs(Double($0) - Double($1)) }.max() ?? 0
        #expect(worst <= 3 * scale + 1e-6, "\(set.stem): max |float − quantized| \(worst), scale \(scale)")
      }
    }
  }
}
