import Foundation
import GoldenModel
import GraphIR
import Quantizer
import SystoleTestSupport
import TFLiteImport
import Testing

@Suite struct QuantizerTests {
  func kinds(_ q: QuantizedModel) -> [String] { q.model.main.operators.map(\.kind.tfliteName) }

  @Test func int8PerChannelStructureWeightsAndBiases() throws {
    let float = TestGraphs.mlp()
    let samples = try TestGraphs.samples(float)
    let q = try Quantizer.quantize(model: float, scheme: .int8PerChannel, calibration: .samples(samples))
    let g = q.model.main
    #expect(kinds(q) == ["FULLY_CONNECTED", "FULLY_CONNECTED"])
    #expect(g[g.inputs[0]].elementType == .int8)
    #expect(g[g.outputs[0]].elementType == .int8)
    #expect(q.runsNatively)
    #expect(GraphVerifier.verify(q.model).isEmpty)

    let fc = g.operators[0]
    let xID = try #require(fc.input(0))
    let x = try #require(g[xID].quantization)
    let w = g[try #require(fc.input(1))]
    let b = g[try #require(fc.input(2))]
    let wq = try #require(w.quantization)
    // One scale per output channel, max|w_c| / 127, zero point 0, axis 0.
    let w1 = try #require(float.main.tensors[1].data).floats
    for c in 0..<4 {
      let maxAbs = w1[(c * 8)..<(c * 8 + 8)].map { abs($0) }.max() ?? 0
      #expect(wq.scales[c] == Float(Double(maxAbs) / 127))
    }
    #expect(wq.zeroPoints == [0, 0, 0, 0] && wq.quantizedDimension == 0)
    #expect(w.data?.int8s.allSatisfy { (-127...127).contains($0) } == true)
    // Bias: int32, scale = input scale × weight scale[c], value round(b / scale).
    #expect(b.elementType == .int32)
    let biasFloat: [Float] = [0.1, -0.2, 0.05, 0]
    guard case .int32(let bq)? = b.data?.storage else {
      Issue.record("bias is not int32")
      return
    }
    for c in 0..<4 {
      let scale = Double(x.scale) * Double(wq.scales[c])
      #expect(b.quantization?.scales[c] == Float(scale))
      #expect(Int64(bq[c]) == Int64((Double(biasFloat[c]) / scale).rounded(.toNearestOrAwayFromZero)))
    }
    // Activations: asymmetric int8 from the calibrated range.
    let stats = try ActivationStatistics.collect(model: float, samples: samples, estimator: .minMax)
    let y = try #require(stats.ranges[float.main.outputs[0].index])
    #expect(
      g[g.outputs[0]].quantization
        == AffineQuantization.asymmetric(min: y.lowerBound, max: y.upperBound, range: -128...127))
    // The map points at the op outputs.
    #expect(q.tensorMap[float.main.outputs[0]] == g.outputs[0])
    #expect(q.operatorMap == [0: 0, 1: 1])
  }

  /// Weight quantization does not depend on calibration: Systole's int8 weights for the committed
  /// mlp equal the ones TensorFlow's converter wrote into mlp_int8.tflite.
  @Test func weightsEqualTensorFlowsConverter() throws {
    let float = try TFLiteImporter.load(contentsOf: Fixtures.model("mlp_float.tflite"))
    let tf = try TFLiteImporter.load(contentsOf: Fixtures.model("mlp_int8.tflite"))
    let q = try Quantizer.quantize(
      model: float, calibration: .random(count: 2, seed: 1, distribution: .normal(mean: 0, standardDeviation: 1)))
    let ours = q.model.main.operators.compactMap { $0.input(1).map { q.model.main[$0] } }
    let theirs = tf.main.operators.compactMap { $0.input(1).map { tf.main[$0] } }
    #expect(ours.count == 3 && theirs.count == 3)
    for (a, b) in zip(ours, theirs) {
      #expect(a.data == b.data, "\(a.name)")
      #expect(a.quantization == b.quantization, "\(a.name)")
    }
  }

  @Test func floatIOAddsQuantizeAndDequantizeAtTheEdges() throws {
    let float = TestGraphs.mlp()
    let q = try Quantizer.quantize(
      model: float, calibration: .samples(try TestGraphs.samples(float)), options: QuantizerOptions(io: .float))
    #expect(kinds(q) == ["QUANTIZE", "FULLY_CONNECTED", "FULLY_CONNECTED", "DEQUANTIZE"])
    let g = q.model.main
    #expect(g[g.inputs[0]].elementType == .float32)
    #expect(g[g.outputs[0]].elementType == .float32)
  }

  @Test(arguments: [LayerSelector.index(1), .name("y")])
  func keepFloatLeavesALayerInFloat(selector: LayerSelector) throws {
    let float = TestGraphs.mlp()
    let q = try Quantizer.quantize(
      model: float, calibration: .samples(try TestGraphs.samples(float)),
      options: QuantizerOptions(keepFloat: [selector]))
    #expect(kinds(q) == ["FULLY_CONNECTED", "DEQUANTIZE", "FULLY_CONNECTED", "QUANTIZE"])
    let g = q.model.main
    let kept = g.operators[2]
    #expect(g[try #require(kept.input(0))].elementType == .float32)
    #expect(g[try #require(kept.input(1))].elementType == .float32)
    #expect(g[try #require(kept.input(1))].data == float.main.tensors[4].data)
    #expect(q.precisions == [0: .int8, 1: .float32])
    #expect(q.arrayLimitations == ["op #1 FULLY_CONNECTED 'y' stays float32: runs on the host, not the array"])
    // It still runs, and the float layer's output is close to the float model's.
    // Measured on calibration inputs, so no value falls outside the calibrated ranges.
    let inputs = Array(try TestGraphs.samples(float).prefix(4))
    let r = try AccuracyReport.compare(float: float, quantized: q, inputs: inputs)
    let all = try AccuracyReport.compare(
      float: float,
      quantized: try Quantizer.quantize(model: float, calibration: .samples(try TestGraphs.samples(float))),
      inputs: inputs)
    // The float layer is exact given its input, so its output error is no worse than int8's.
    #expect(r.layers[1].sqnrDB >= all.layers[1].sqnrDB - 0.5)
    #expect(r.outputSQNR > 20)
  }

  @Test func int16LayerGetsInt64BiasAndConversions() throws {
    let float = TestGraphs.mlp()
    let q = try Quantizer.quantize(
      model: float, calibration: .samples(try TestGraphs.samples(float)), options: QuantizerOptions(int16: [0]))
    // int8 input → (DEQUANTIZE, QUANTIZE: TFLite cannot requantize int8 to int16) → 16×8 FC →
    // QUANTIZE int16 → int8 → int8 FC.
    #expect(kinds(q) == ["DEQUANTIZE", "QUANTIZE", "FULLY_CONNECTED", "QUANTIZE", "FULLY_CONNECTED"])
    let g = q.model.main
    let fc = g.operators[2]
    let x = g[try #require(fc.input(0))]
    #expect(x.elementType == .int16 && x.quantization?.zeroPoint == 0)
    #expect(g[try #require(fc.input(2))].elementType == .int64)
    #expect(g[fc.outputs[0]].elementType == .int16)
    #expect(q.precisions == [0: .int16, 1: .int8])
    var interpreter = Interpreter(model: q.model)
    let input = AccuracyReport.prepare(try TestGraphs.samples(float, count: 1)[0], for: g)
    #expect(try interpreter.invoke(input)[0].elementType == .int8)
  }

  @Test func weightsOnlyKeepsFloatActivations() throws {
    let float = TestGraphs.mlp()
    let q = try Quantizer.quantize(model: float, scheme: .weightsOnly, calibration: .none)
    let g = q.model.main
    #expect(kinds(q) == ["FULLY_CONNECTED", "FULLY_CONNECTED"])
    #expect(g[g.inputs[0]].elementType == .float32)
    #expect(g[try #require(g.operators[0].input(1))].elementType == .int8)
    #expect(g[try #require(g.operators[0].input(2))].elementType == .float32)
    #expect(!q.runsNatively)
    #expect(q.arrayLimitations.first?.hasPrefix("weights-only: activations stay float32") == true)
    let r = try AccuracyReport.compare(float: float, quantized: q, inputs: try TestGraphs.samples(float, count: 4))
    #expect(r.simulated)
    #expect(r.outputSQNR > 30)
  }

  @Test func softmaxAndLogisticOutputsAreFixed() throws {
    let model = TestGraphs.poolReshapeLogistic()
    let q = try Quantizer.quantize(model: model, calibration: .samples(try TestGraphs.samples(model)))
    let g = q.model.main
    let pool = g.operators[0]
    let reshape = g.operators[1]
    let logistic = g.operators[2]
    // MAX_POOL and RESHAPE keep their input's parameters.
    #expect(g[pool.outputs[0]].quantization == g[try #require(pool.input(0))].quantization)
    #expect(g[reshape.outputs[0]].quantization == g[pool.outputs[0]].quantization)
    #expect(g[logistic.outputs[0]].quantization == QuantizationParameters(scale: 1.0 / 256, zeroPoint: -128))

    let s = try Quantizer.quantize(
      model: TestGraphs.softmaxConcat(), scheme: .int16x8,
      calibration: .samples(try TestGraphs.samples(TestGraphs.softmaxConcat())))
    let softmax = s.model.main.operators.first { $0.kind.tfliteName == "SOFTMAX" }
    #expect(
      s.model.main[try #require(softmax?.outputs[0])].quantization
        == QuantizationParameters(scale: 1.0 / 32768, zeroPoint: 0))
  }

  @Test func concatenationInputsShareOneScaleAndAFixedInputIsRequantized() throws {
    let model = TestGraphs.softmaxConcat()
    let q = try Quantizer.quantize(model: model, calibration: .samples(try TestGraphs.samples(model)))
    let g = q.model.main
    // SOFTMAX's output [0, 1) cannot hold the FULLY_CONNECTED output: it is requantized into the
    // concatenation's shared parameters.
    #expect(q.requantizeCount == 1)
    #expect(kinds(q) == ["SOFTMAX", "FULLY_CONNECTED", "QUANTIZE", "CONCATENATION"])
    let concat = g.operators[3]
    let shared = g[concat.outputs[0]].quantization
    #expect(concat.inputs.allSatisfy { $0.flatMap { g[$0].quantization } == shared })
    #expect(g[g.operators[0].outputs[0]].quantization == QuantizationParameters(scale: 1.0 / 256, zeroPoint: -128))
    #expect(shared != QuantizationParameters(scale: 1.0 / 256, zeroPoint: -128))
  }

  @Test func committedConvpoolSharesScalesAcrossPoolsAndConcatenation() throws {
    let float = try TFLiteImporter.load(contentsOf: Fixtures.model("convpool_float.tflite"))
    let q = try Quantizer.quantize(
      model: float, calibration: .random(count: 2, seed: 5, distribution: .image))
    let g = q.model.main
    for op in g.operators {
      let out = g[op.outputs[0]].quantization
      switch op.kind {
      case .maxPool2D, .averagePool2D, .pad, .reshape:
        #expect(out == op.input(0).flatMap { g[$0].quantization }, "\(op.kind.tfliteName)")
      case .concatenation:
        #expect(op.inputs.allSatisfy { $0.flatMap { g[$0].quantization } == out })
      case .logistic:
        #expect(out == QuantizationParameters(scale: 1.0 / 256, zeroPoint: -128))
      default: break
      }
    }
  }

  @Test func streamingVariableIsQuantizedWithItsInitializer() throws {
    let float = try TFLiteImporter.load(contentsOf: Fixtures.model("streaming_float.tflite"))
    let q = try Quantizer.quantize(
      model: float, calibration: .random(count: 4, seed: 5, distribution: .normal(mean: 0, standardDeviation: 1)))
    let g = q.model.main
    let read = try #require(g.operators.first { $0.kind == .readVariable })
    let assign = try #require(g.operators.first { $0.kind == .assignVariable })
    let params = try #require(g[read.outputs[0]].quantization)
    #expect(g[read.outputs[0]].elementType == .int8)
    #expect(g[try #require(assign.input(1))].quantization == params)
    let initializer = q.model.graphs[1]
    let initialAssign = try #require(initializer.operators.first { $0.kind == .assignVariable })
    let initial = initializer[try #require(initialAssign.input(1))]
    #expect(initial.elementType == .int8 && initial.quantization == params)
    #expect(initial.data?.int8s.allSatisfy { Int64($0) == params.zeroPoint } == true)
    // Stateful: several invocations on one interpreter run.
    var interpreter = Interpreter(model: q.model)
    for sample in try TestGraphs.samples(float, count: 3) {
      _ = try interpreter.invoke(AccuracyReport.prepare(sample, for: g))
    }
  }

  @Test func unsupportedOpFallsBackToFloatWhenAllowed() throws {
    let model = TestGraphs.neg()
    let samples = try TestGraphs.samples(model)
    let q = try Quantizer.quantize(
      model: model, calibration: .samples(samples), options: QuantizerOptions(allowFallback: true))
    #expect(kinds(q) == ["DEQUANTIZE", "NEG", "QUANTIZE", "FULLY_CONNECTED"])
    #expect(q.precisions[0] == .float32)
    // int16x8 falls back int16 → int8 → float32 for NEG; the FC stays 16×8.
    let w = try Quantizer.quantize(
      model: model, scheme: .int16x8, calibration: .samples(samples), options: QuantizerOptions(allowFallback: true))
    #expect(w.precisions == [0: .float32, 1: .int16])
  }

  @Test(arguments: QuantizationScheme.allCases)
  func everySchemeQuantizesAndRoundTripsThroughTheWriter(scheme: QuantizationScheme) throws {
    let float = TestGraphs.mlp()
    let q = try Quantizer.quantize(model: float, scheme: scheme, calibration: .samples(try TestGraphs.samples(float)))
    let bytes = try q.tfliteBytes()
    let back = try TFLiteImporter.parse(bytes, source: "roundtrip.tflite")
    #expect(back.main.operators.count == q.model.main.operators.count)
    for (a, b) in zip(back.main.tensors, q.model.main.tensors) {
      #expect(a.elementType == b.elementType && a.quantization == b.quantization && a.data == b.data, "\(a.name)")
    }
    let input = q.model.main[q.model.main.inputs[0]]
    #expect(input.elementType == scheme.activationPrecision.elementType)
    if scheme.weightBits < 8 {
      #expect(q.packedBits.values.allSatisfy { $0 == scheme.weightBits })
    }
  }

  /// On an int8 model the simulation (float with rounding to each grid) tracks native integer
  /// execution closely; this is what makes simulated uint8 and hybrid numbers comparable.
  @Test func simulationTracksNativeInt8() throws {
    let float = try TFLiteImporter.load(contentsOf: Fixtures.model("mlp_float.tflite"))
    let normal = InputDistribution.normal(mean: 0, standardDeviation: 1)
    let q = try Quantizer.quantize(model: float, calibration: .random(count: 16, seed: 3, distribution: normal))
    let inputs = try CalibrationData.generate(for: float, count: 16, seed: 4, distribution: normal)
    let native = try AccuracyReport.compare(float: float, quantized: q, inputs: inputs)
    var forced = q
    forced.scheme = .uint8Affine  // any non-native scheme: measured by simulation
    let simulated = try AccuracyReport.compare(float: float, quantized: forced, inputs: inputs)
    #expect(simulated.simulated && !native.simulated)
    #expect(abs(native.outputSQNR - simulated.outputSQNR) < 1.5)
    #expect(native.layers.count == 3 && simulated.layers.count == 3)
  }
}
