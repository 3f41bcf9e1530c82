import Foundation
import GraphIR
import Quantizer
import SystoleTestSupport
import TFLiteImport
import Testing

/// Every error is one line naming the model, the place and what was expected.
@Suite struct ErrorMessageTests {
  /// Runs `body`, which must throw a ``QuantizerError``; returns it.
  func error(_ body: () throws -> Void) -> QuantizerError? {
    do {
      try body()
      return nil
    } catch {
      return error as? QuantizerError
    }
  }

  static func quantizedGraph() -> Model {
    var b = GraphBuilder()
    b.tensors.append(
      Tensor(
        name: "x", shape: [1, 4], elementType: .int8, quantization: QuantizationParameters(scale: 0.1, zeroPoint: 0)))
    let y = b.tensor("y", [1, 4])
    b.op(.dequantize, [TensorID(0)], [y])
    return b.model("already.tflite", inputs: [TensorID(0)], outputs: [y])
  }

  static func int8Activations() -> Model {
    var b = GraphBuilder()
    let x = b.tensor("x", [1, 4])
    b.tensors.append(
      Tensor(
        name: "h", shape: [1, 4], elementType: .int8, quantization: QuantizationParameters(scale: 0.1, zeroPoint: 0)))
    b.op(.relu, [x], [TensorID(1)])
    return b.model("int8act.tflite", inputs: [x], outputs: [TensorID(1)])
  }

  @Test func table() throws {
    let mlp = TestGraphs.mlp()
    let samples = try TestGraphs.samples(mlp)
    let cases: [(String, QuantizerError.Kind, () throws -> Void)] = [
      (
        "already.tflite: op #0 DEQUANTIZE 'y': the model is already quantized (it has DEQUANTIZE); expected a float32 model",
        .alreadyQuantized, { _ = try Quantizer.quantize(model: Self.quantizedGraph(), calibration: .none) }
      ),
      (
        "int8act.tflite: op #0 RELU 'h': output 0 'h' is int8 with quantization parameters; the model is already quantized (expected float32 activations)",
        .alreadyQuantized, { _ = try Quantizer.quantize(model: Self.int8Activations(), calibration: .none) }
      ),
      (
        "neg.tflite: op #0 NEG 'n': no int8 kernel for NEG (scheme int8-per-channel); keep the op float (keepFloat) or allow fallback",
        .unsupportedOperator,
        { _ = try Quantizer.quantize(model: TestGraphs.neg(), calibration: .samples(samples)) }
      ),
      (
        "neg.tflite: op #0 NEG 'n': no int16 kernel for NEG (scheme int16x8); keep the op float (keepFloat) or allow fallback",
        .unsupportedOperator,
        {
          _ = try Quantizer.quantize(model: TestGraphs.neg(), scheme: .int16x8, calibration: .samples(samples))
        }
      ),
      (
        "tiny_mlp.tflite: calibration: scheme int8-per-channel quantizes activations and needs calibration samples; got none",
        .calibrationEmpty, { _ = try Quantizer.quantize(model: mlp, calibration: .none) }
      ),
      (
        "tiny_mlp.tflite: calibration: no calibration samples given", .calibrationEmpty,
        { _ = try Quantizer.quantize(model: mlp, calibration: .samples([])) }
      ),
      (
        "tiny_mlp.tflite: calibration sample 0: input 0 'x' is 4 × float32; expected 8 × float32", .calibrationMismatch,
        {
          _ = try Quantizer.quantize(
            model: mlp, calibration: .samples([[TensorData(shape: [1, 4], storage: .float32([0, 0, 0, 0]))]]))
        }
      ),
      (
        "tiny_mlp.tflite: calibration: random calibration needs at least 1 sample; got 0", .calibrationEmpty,
        {
          _ = try Quantizer.quantize(model: mlp, calibration: .random(count: 0, seed: 1, distribution: .image))
        }
      ),
      (
        "tiny_mlp.tflite: option keepFloat: no operator #5; the main graph has 2 (#0…#1)", .invalidOption,
        {
          _ = try Quantizer.quantize(
            model: mlp, calibration: .samples(samples), options: QuantizerOptions(keepFloat: [5]))
        }
      ),
      (
        "tiny_mlp.tflite: option int16: no operator writes a tensor named 'nope'", .invalidOption,
        {
          _ = try Quantizer.quantize(
            model: mlp, calibration: .samples(samples), options: QuantizerOptions(int16: ["nope"]))
        }
      ),
      (
        "tiny_mlp.tflite: option int16: op #1 FULLY_CONNECTED 'y' is also in keepFloat; choose one precision per layer",
        .invalidOption,
        {
          _ = try Quantizer.quantize(
            model: mlp, calibration: .samples(samples), options: QuantizerOptions(keepFloat: ["y"], int16: [1]))
        }
      ),
      (
        "tiny_mlp.tflite: option layerSchemes: #0: scheme weights-only is a whole-model choice; a layer can be ternary, ternary-fine-grained, int4, int8-per-channel, int8-per-tensor or int16x8",
        .invalidOption,
        {
          _ = try Quantizer.quantize(
            model: mlp, calibration: .samples(samples), options: QuantizerOptions(layerSchemes: [0: .weightsOnly]))
        }
      ),
      (
        "tiny_mlp.tflite: option layerSchemes: op #1 FULLY_CONNECTED 'y' is also in keepFloat; choose one precision per layer",
        .invalidOption,
        {
          _ = try Quantizer.quantize(
            model: mlp, calibration: .samples(samples), options: QuantizerOptions(keepFloat: [1], layerSchemes: ["y": .int4]))
        }
      ),
      (
        "tiny_mlp.tflite: option layerSchemes: op #1 FULLY_CONNECTED 'y' is selected twice, as int4 and ternary; choose one scheme per layer",
        .invalidOption,
        {
          _ = try Quantizer.quantize(
            model: mlp, calibration: .samples(samples), options: QuantizerOptions(layerSchemes: [1: .int4, "y": .ternary]))
        }
      ),
      (
        "tiny_mlp.tflite: option ternaryGroupSize: group size 0 must be at least 1", .invalidOption,
        {
          _ = try Quantizer.quantize(
            model: mlp, scheme: .fineGrainedTernary, calibration: .samples(samples),
            options: QuantizerOptions(ternaryGroupSize: 0))
        }
      ),
      (
        "tiny_mlp.tflite: option rangeEstimator: percentile 40.0 must lie in (50, 100]", .invalidOption,
        {
          _ = try Quantizer.quantize(
            model: mlp, calibration: .samples(samples), options: QuantizerOptions(rangeEstimator: .percentile(40)))
        }
      ),
      (
        "tiny_mlp.tflite: option rangeEstimator: moving-average momentum 1.0 must lie in [0, 1)", .invalidOption,
        {
          _ = try Quantizer.quantize(
            model: mlp, calibration: .samples(samples),
            options: QuantizerOptions(rangeEstimator: .movingAverage(momentum: 1)))
        }
      ),
      (
        "two_inputs.tflite: input 1 'c': is int32; random calibration generates float32 inputs only (use a calibration folder)",
        .calibrationMismatch,
        {
          var m = TestGraphs.twoInputs()
          m.graphs[0].tensors[1].elementType = .int32
          _ = try CalibrationData.generate(for: m, count: 1, seed: 1, distribution: .image)
        }
      ),
      (
        "bad_bias.tflite: the float model fails verification: op #0 FULLY_CONNECTED 'h': bias has 3 elements; expected 4 (one per output channel)",
        .invalidModel,
        {
          var m = TestGraphs.mlp()
          m.source = "bad_bias.tflite"
          m.graphs[0].tensors[2] = Tensor(
            name: "b1", shape: [3], elementType: .float32, data: TensorData(shape: [3], storage: .float32([0, 0, 0])))
          _ = try Quantizer.quantize(model: m, calibration: .samples(samples))
        }
      ),
      (
        "neg.tflite: the quantized model was made from 'tiny_mlp.tflite' (6 tensors, 2 operators); this model has 4 tensors, 2 operators",
        .invalidModel,
        {
          let q = try Quantizer.quantize(model: mlp, calibration: .samples(samples))
          _ = try AccuracyReport.compare(
            float: TestGraphs.neg(), quantized: q, inputs: try TestGraphs.samples(TestGraphs.neg()))
        }
      ),
    ]
    for (expected, kind, body) in cases {
      let e = error(body)
      let text = e?.description ?? "no error"
      #expect(text == expected)
      #expect(e?.kind == kind, "\(expected)")
      #expect(!text.contains("\n"))
    }
  }

  /// The error of loading calibration folder `dir` for `model`.
  func folderError(_ dir: URL, _ model: Model) -> QuantizerError? {
    do {
      _ = try CalibrationData.load(folder: dir, for: model)
      return nil
    } catch {
      return error
    }
  }

  @Test func calibrationFolderErrors() throws {
    let mlp = TestGraphs.mlp()
    let two = TestGraphs.twoInputs()
    try withTemporaryDirectory { dir in
      let place = "calibration folder '\(dir.relativePath)'"
      let empty = folderError(dir, mlp)?.description
      #expect(
        empty
          == "tiny_mlp.tflite: \(place): holds no .bin files; expected one raw input file per sample (e.g. 0000.bin)")
      try write(Array(repeating: 0, count: 7), to: dir.appendingPathComponent("0000.bin"))
      let size = folderError(dir, mlp)
      #expect(
        size?.description
          == "tiny_mlp.tflite: calibration file '0000.bin': 28 bytes; input 0 'x' needs 32 (1×8 × float32)")
      #expect(size?.kind == .calibrationMismatch)
      // The same folder through quantize().
      var viaQuantize: QuantizerError?
      do {
        _ = try Quantizer.quantize(model: mlp, calibration: .folder(dir))
      } catch {
        viaQuantize = error as? QuantizerError
      }
      #expect(viaQuantize == size)
      let naming = folderError(dir, two)?.description
      #expect(
        naming
          == "two_inputs.tflite: calibration file '0000.bin': the model has 2 inputs; name files <sample>.<input>.bin (e.g. 0000.0.bin)"
      )
    }
    try withTemporaryDirectory { dir in
      try write(Array(repeating: 0, count: 6), to: dir.appendingPathComponent("s0.0.bin"))
      let missing = folderError(dir, two)?.description
      #expect(missing == "two_inputs.tflite: calibration sample 's0': has no file for input 1 'c'; expected s0.1.bin")
      try write(Array(repeating: 0, count: 6), to: dir.appendingPathComponent("s0.2.bin"))
      let range = folderError(dir, two)?.description
      #expect(
        range == "two_inputs.tflite: calibration file 's0.2.bin': input index 2 out of range; the model has 2 inputs")
    }
    let e = folderError(URL(fileURLWithPath: "/nonexistent/systole-calibration"), mlp)
    #expect(e?.kind == .calibrationUnreadable)
    let text = e?.description ?? ""
    #expect(
      text.hasPrefix("tiny_mlp.tflite: calibration folder '/nonexistent/systole-calibration': cannot list the folder"))
  }

  /// A committed int8 model is rejected as already quantized, naming its first operator.
  @Test func committedInt8ModelIsAlreadyQuantized() throws {
    let model = try TFLiteImporter.load(contentsOf: Fixtures.model("mlp_int8.tflite"))
    var e: QuantizerError?
    do {
      _ = try Quantizer.quantize(model: model, calibration: .none)
    } catch {
      e = error
    }
    #expect(e?.kind == .alreadyQuantized)
    let text = e?.description ?? ""
    #expect(text.contains(": op #0 FULLY_CONNECTED '"))
    #expect(
      text.hasSuffix(
        "is int8 with quantization parameters; the model is already quantized (expected float32 activations)"))
  }
}
