import GraphIR
import Quantizer
import Testing

/// Issue 15, part 3: `compare` on two models that do not correspond is one line, not a trap.
@Suite struct OutputComparisonErrorTests {
  @Test func mismatchedInputShapesAreAnError() throws {
    let float = TestGraphs.mlp()
    let other = try Quantizer.quantize(
      model: TestGraphs.poolReshapeLogistic(), calibration: .samples(try TestGraphs.samples(TestGraphs.poolReshapeLogistic())))
    let error = #expect(throws: QuantizerError.self) {
      _ = try OutputComparison.run(float: float, quantized: other.model, inputs: try TestGraphs.samples(float, count: 2))
    }
    #expect(
      error?.description
        == "pool_reshape_logistic.tflite: input 0 'x' has shape [1, 6, 6, 2] (72 elements); tiny_mlp.tflite's input 0 'x' has [1, 8] (8); the two models do not match"
    )
    #expect(error?.kind == .invalidModel)
  }

  @Test func mismatchedOutputsAreAnError() throws {
    // Same input size (8 = 1×8), different output size (3 vs 2).
    var b = GraphBuilder()
    let x = b.tensor("x", [1, 8])
    let w = b.tensor("w", [2, 8], data: weights(16, seed: 9))
    let y = b.tensor("y", [1, 2])
    b.op(.fullyConnected(FullyConnectedOptions()), [x, w, nil], [y])
    let narrow = b.model("narrow.tflite", inputs: [x], outputs: [y])
    let quantized = try Quantizer.quantize(model: narrow, calibration: .samples(try TestGraphs.samples(narrow)))
    let float = TestGraphs.mlp()
    let error = #expect(throws: QuantizerError.self) {
      _ = try OutputComparison.run(float: float, quantized: quantized.model, inputs: try TestGraphs.samples(float, count: 2))
    }
    #expect(
      error?.description
        == "narrow.tflite: output 0 'y' has shape [1, 2] (2 elements); tiny_mlp.tflite's output 0 'y' has [1, 3] (3); the two models do not match"
    )
  }

  @Test func samplesOfTheWrongSizeAreAnError() throws {
    let float = TestGraphs.mlp()
    let quantized = try Quantizer.quantize(model: float, calibration: .samples(try TestGraphs.samples(float)))
    let wrong = try TestGraphs.samples(TestGraphs.twoInputs(), count: 1).map { [$0[0]] }
    let error = #expect(throws: QuantizerError.self) {
      _ = try OutputComparison.run(float: float, quantized: quantized.model, inputs: wrong)
    }
    #expect(error?.description == "tiny_mlp.tflite: sample 0 input 0 has 6 elements; 'x' needs 8")
  }
}
