import GoldenModel
import GraphIR
import Quantizer
import SystoleTestSupport
import TFLiteImport
import Testing

/// `QuantizerOptions.layerSchemes`: one layer quantized with another scheme than the model's,
/// as the `--target-drop` search assigns them. Each layer must come out exactly as the whole-model
/// scheme would have made it.
@Suite struct LayerSchemeTests {
  static func weights(_ q: QuantizedModel, op: Int) throws -> QuantizedWeights {
    let g = q.model.main
    let index = try #require(q.operatorMap[op])
    let id = try #require(g.operators[index].input(1))
    return try #require(q.weights[id])
  }

  @Test(arguments: [QuantizationScheme.int4, .ternary, .fineGrainedTernary, .int8PerTensor])
  func aLayerSchemeQuantizesThatLayersWeightsAsTheWholeModelSchemeDoes(_ scheme: QuantizationScheme) throws {
    let float = TestGraphs.mlp()
    let samples = try TestGraphs.samples(float)
    let mixed = try Quantizer.quantize(
      model: float, calibration: .samples(samples), options: QuantizerOptions(layerSchemes: [1: scheme]))
    let whole = try Quantizer.quantize(model: float, scheme: scheme, calibration: .samples(samples))
    let int8 = try Quantizer.quantize(model: float, calibration: .samples(samples))
    // Layer 1 is the scheme's, layer 0 stays int8 per channel.
    #expect(try Self.weights(mixed, op: 1) == Self.weights(whole, op: 1))
    #expect(try Self.weights(mixed, op: 0) == Self.weights(int8, op: 0))
    #expect(mixed.precisions == [0: .int8, 1: .int8])
    let g = mixed.model.main
    let index = try #require(mixed.operatorMap[1])
    let w1 = g[try #require(g.operators[index].input(1))]
    #expect(w1.packedBits == (scheme.weightBits < 8 ? scheme.weightBits : nil))
    // Packed sizes count each layer at its own width.
    #expect(mixed.size.weightBytes < int8.size.weightBytes || scheme.weightBits == 8)
    // It runs, and round-trips through the file with its per-layer widths.
    let reread = try TFLiteImporter.parse(try mixed.tfliteBytes(), source: "mixed.tflite")
    #expect(reread.main.tensors.map(\.packedBits) == g.tensors.map(\.packedBits))
    var interpreter = Interpreter(model: mixed.model)
    _ = try interpreter.invoke(AccuracyReport.prepare(samples[0], for: g))
  }

  @Test func anInt16x8LayerSchemeIsTheInt16Override() throws {
    let float = TestGraphs.mlp()
    let samples = try TestGraphs.samples(float)
    let scheme = try Quantizer.quantize(
      model: float, calibration: .samples(samples), options: QuantizerOptions(layerSchemes: ["h": .int16x8]))
    let override = try Quantizer.quantize(model: float, calibration: .samples(samples), options: QuantizerOptions(int16: [0]))
    #expect(try scheme.tfliteBytes() == override.tfliteBytes())
    #expect(scheme.precisions == [0: .int16, 1: .int8])
  }
}
