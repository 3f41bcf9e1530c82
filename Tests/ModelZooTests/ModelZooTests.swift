import Foundation
import GraphIR
import ModelZoo
import Testing

@Suite struct ModelZooTests {
  static let names = ["bert-base-layer", "efficientnet_edgetpu_s", "inception_v1", "mlp0", "mobilenet_v1", "mobilenet_v2", "resnet18", "resnet50"]

  @Test func namesAndEntries() throws {
    #expect(ModelZoo.names == Self.names)
    for name in Self.names {
      let entry = try #require(ModelZoo.entry(named: name))
      #expect(entry.name == name)
      #expect(!entry.description.isEmpty && !entry.citation.source.isEmpty && !entry.inputSizeMeaning.isEmpty)
      #expect(entry.citation.tolerance > 0 && entry.citation.tolerance <= 0.05)
    }
    #expect(ModelZoo.entry(named: "resnet-50") == nil)
  }

  struct BadRequest: Sendable, CustomStringConvertible {
    var name: String
    var inputSize: Int?
    var kind: ModelZooError.Kind
    var message: String
    var description: String { "\(name)@\(inputSize.map(String.init) ?? "default")" }
  }

  static let badRequests: [BadRequest] = [
    BadRequest(
      name: "foo", inputSize: nil, kind: .unknownModel,
      message: "unknown zoo model 'foo'; known: bert-base-layer, efficientnet_edgetpu_s, inception_v1, mlp0, mobilenet_v1, mobilenet_v2, resnet18, resnet50"),
    BadRequest(
      name: "", inputSize: 32, kind: .unknownModel,
      message: "unknown zoo model ''; known: bert-base-layer, efficientnet_edgetpu_s, inception_v1, mlp0, mobilenet_v1, mobilenet_v2, resnet18, resnet50"),
    BadRequest(
      name: "resnet50", inputSize: 100, kind: .invalidInputSize,
      message: "zoo model 'resnet50': input size 100; expected an image side that is a multiple of 32 in 32...1024"),
    BadRequest(
      name: "mobilenet_v2", inputSize: 0, kind: .invalidInputSize,
      message: "zoo model 'mobilenet_v2': input size 0; expected an image side that is a multiple of 32 in 32...1024"),
    BadRequest(
      name: "mobilenet_v1", inputSize: 2048, kind: .invalidInputSize,
      message: "zoo model 'mobilenet_v1': input size 2048; expected an image side that is a multiple of 32 in 32...1024"
    ),
    BadRequest(
      name: "bert-base-layer", inputSize: 0, kind: .invalidInputSize,
      message: "zoo model 'bert-base-layer': input size 0; expected a sequence length in 1...512"),
    BadRequest(
      name: "mlp0", inputSize: 5000, kind: .invalidInputSize,
      message: "zoo model 'mlp0': input size 5000; expected a batch in 1...4096"),
  ]

  @Test(arguments: badRequests)
  func badRequestsThrowOneLineErrors(_ r: BadRequest) {
    #expect {
      _ = try ModelZoo.model(named: r.name, inputSize: r.inputSize)
    } throws: { error in
      guard let e = error as? ModelZooError else { return false }
      return e.kind == r.kind && e.description == r.message && e.name == r.name
    }
  }

  @Test(arguments: names)
  func verifiesAndMatchesTheEntry(_ name: String) throws {
    let model = try ZooModels.shared.model(name)
    let problems = GraphVerifier.verify(model)
    #expect(problems.isEmpty, "\(problems.prefix(5).map(\.description))")
    let entry = try #require(ModelZoo.entry(named: name))
    let g = model.main
    #expect(model.graphs.count == 1)
    #expect(model.source == "zoo:\(name)")
    #expect(g.inputs.count == 1 && g.outputs.count == 1)
    #expect(g.inputs.first.map { g[$0].shape } == entry.inputShape)
    #expect(g.inputs.first.map { g[$0].elementType } == .int8)
  }

  @Test(arguments: names)
  func macsAndParametersMatchTheClosedFormAndThePaper(_ name: String) throws {
    let g = try ZooModels.shared.model(name).main
    let expected = try #require(ClosedForm.published(name))
    #expect(g.totalMACs == expected.macs)
    #expect(g.parameterCount == expected.parameters)
    let citation = try #require(ModelZoo.entry(named: name)).citation
    if let published = citation.publishedMACs {
      let error = abs(Double(g.totalMACs) / Double(published) - 1)
      #expect(error <= citation.tolerance, "\(name): \(g.totalMACs) MACs vs published \(published)")
    }
    if let published = citation.publishedParameters {
      // BERT's published count is for the whole model: 12 layers plus embeddings and pooler.
      let ours =
        name == "bert-base-layer" ? 12 * g.parameterCount + ClosedForm.bertEmbeddingsAndPooler : g.parameterCount
      let error = abs(Double(ours) / Double(published) - 1)
      #expect(error <= citation.tolerance, "\(name): \(ours) parameters vs published \(published)")
    }
  }

  struct Scaled: Sendable, CustomStringConvertible {
    var name: String
    var size: Int
    var counts: ClosedForm.Counts
    var outputShape: [Int]
    var description: String { "\(name)@\(size)" }
  }

  static let scaled: [Scaled] = [
    Scaled(name: "mobilenet_v1", size: 32, counts: ClosedForm.mobileNetV1(imageSize: 32), outputShape: [1, 1001]),
    Scaled(name: "mobilenet_v1", size: 96, counts: ClosedForm.mobileNetV1(imageSize: 96), outputShape: [1, 1001]),
    Scaled(name: "mobilenet_v2", size: 32, counts: ClosedForm.mobileNetV2(imageSize: 32), outputShape: [1, 1001]),
    Scaled(name: "mobilenet_v2", size: 160, counts: ClosedForm.mobileNetV2(imageSize: 160), outputShape: [1, 1001]),
    Scaled(name: "bert-base-layer", size: 8, counts: ClosedForm.bertLayer(sequence: 8), outputShape: [1, 8, 768]),
    Scaled(name: "bert-base-layer", size: 40, counts: ClosedForm.bertLayer(sequence: 40), outputShape: [1, 40, 768]),
    Scaled(name: "mlp0", size: 1, counts: ClosedForm.mlp0(batch: 1), outputShape: [1, 2048]),
  ]

  @Test(arguments: scaled)
  func inputSizeScalesTheGraph(_ s: Scaled) throws {
    let model = try ZooModels.shared.model(s.name, inputSize: s.size)
    #expect(GraphVerifier.verify(model).isEmpty)
    let g = model.main
    #expect(g.totalMACs == s.counts.macs)
    #expect(g.parameterCount == s.counts.parameters)
    #expect(g.outputs.first.map { g[$0].shape } == s.outputShape)
  }

  @Test func publishedOutputShapes() throws {
    let expected: [String: [Int]] = [
      "resnet50": [1, 1000], "mobilenet_v1": [1, 1001], "mobilenet_v2": [1, 1001], "resnet18": [1, 1000],
      "inception_v1": [1, 1001], "efficientnet_edgetpu_s": [1, 1001],
      "bert-base-layer": [1, 128, 768], "mlp0": [200, 2048],
    ]
    for name in Self.names {
      let g = try ZooModels.shared.model(name).main
      #expect(g.outputs.first.map { g[$0].shape } == expected[name], "\(name)")
    }
  }

  /// The operator inventory each paper's layer table implies.
  @Test func operatorInventories() throws {
    // ResNet-50: stem conv, 16 bottlenecks × 3 convs, 4 projections; Keras-style PADs.
    let resnet: [String: Int] = [
      "PAD": 2, "CONV_2D": 1 + 16 * 3 + 4, "MAX_POOL_2D": 1, "ADD": 16, "MEAN": 1, "FULLY_CONNECTED": 1, "SOFTMAX": 1,
    ]
    // MobileNet v1: stem, 13 depthwise-separable pairs, 1×1 classifier.
    let v1: [String: Int] = [
      "CONV_2D": 1 + 13 + 1, "DEPTHWISE_CONV_2D": 13, "AVERAGE_POOL_2D": 1, "RESHAPE": 1, "SOFTMAX": 1,
    ]
    // MobileNet v2: 17 bottlenecks (16 with expansion), 10 residual adds, Conv_1, classifier.
    let v2: [String: Int] = [
      "CONV_2D": 1 + 16 + 17 + 1 + 1, "DEPTHWISE_CONV_2D": 17, "ADD": 10, "AVERAGE_POOL_2D": 1, "RESHAPE": 1,
      "SOFTMAX": 1,
    ]
    // BERT layer: 6 GEMMs, heads split/merged, 2 attention matmuls, 2 layer norms of 9 ops, GELU.
    let bert: [String: Int] = [
      "FULLY_CONNECTED": 6, "RESHAPE": 4, "TRANSPOSE": 4, "BATCH_MATMUL": 2, "SOFTMAX": 1, "LOGISTIC": 1,
      "MUL": 1 + 2 + 2 * 2, "ADD": 2 + 2 * 2, "MEAN": 2 * 2, "SQUARED_DIFFERENCE": 2, "RSQRT": 2, "SUB": 2,
    ]
    // ResNet-18: stem conv, 8 basic blocks × 2 convs, 3 projections; Keras-style PADs.
    let resnet18: [String: Int] = [
      "PAD": 2, "CONV_2D": 1 + 8 * 2 + 3, "MAX_POOL_2D": 1, "ADD": 8, "MEAN": 1, "FULLY_CONNECTED": 1, "SOFTMAX": 1,
    ]
    // Inception v1: 3 stem convs, 9 modules of 6 convs + a pool + a concat, 4 max pools, head.
    let inception: [String: Int] = [
      "CONV_2D": 3 + 9 * 6 + 1, "MAX_POOL_2D": 4 + 9, "CONCATENATION": 9, "AVERAGE_POOL_2D": 1, "RESHAPE": 1,
      "SOFTMAX": 1,
    ]
    // EfficientNet-EdgeTPU-S: stem, 7 fused blocks × 2 convs, 11 inverted residuals × 2 convs
    // (+ depthwise), head and classifier convs; 12 residual adds (stride 1, equal widths).
    let edgeTPU: [String: Int] = [
      "CONV_2D": 1 + 7 * 2 + 11 * 2 + 2, "DEPTHWISE_CONV_2D": 11, "ADD": 12, "AVERAGE_POOL_2D": 1, "RESHAPE": 1,
      "SOFTMAX": 1,
    ]
    let expected = [
      "resnet18": resnet18, "inception_v1": inception, "efficientnet_edgetpu_s": edgeTPU,
      "resnet50": resnet, "mobilenet_v1": v1, "mobilenet_v2": v2, "bert-base-layer": bert,
      "mlp0": ["FULLY_CONNECTED": 5],
    ]
    for name in Self.names {
      #expect(try ZooModels.shared.model(name).main.operatorCounts == expected[name], "\(name)")
    }
  }

  /// What a TFLite int8 converter produces: per-channel int8 weights with zero point 0 and a
  /// full-scale channel maximum, int32 biases at input × weight scale, per-tensor int8
  /// activations, fixed softmax/logistic output parameters, pass-through ops keeping their input's.
  @Test(arguments: names)
  func quantizationLayout(_ name: String) throws {
    let g = try ZooModels.shared.model(name).main
    for (i, op) in g.operators.enumerated() {
      let place = "\(name) op #\(i) \(op.kind.tfliteName)"
      let out = g[op.outputs[0]]
      let outQ = try #require(out.quantization, "\(place): output has no quantization")
      #expect(out.elementType == .int8 && outQ.scales.count == 1, "\(place)")
      let weightAxis: Int?
      switch op.kind {
      case .conv2D, .fullyConnected: weightAxis = 0
      case .depthwiseConv2D: weightAxis = 3
      default: weightAxis = nil
      }
      if let axis = weightAxis {
        let x = g[try #require(op.inputs[0])]
        let w = g[try #require(op.inputs[1])]
        let b = g[try #require(op.inputs[2])]
        let wq = try #require(w.quantization)
        let channels = w.shape[axis]
        #expect(w.elementType == .int8 && wq.quantizedDimension == axis && wq.scales.count == channels, "\(place)")
        #expect(wq.zeroPoints.allSatisfy { $0 == 0 }, "\(place)")
        guard case .int8(let codes)? = w.data?.storage else {
          Issue.record("\(place): weights are not int8 data")
          continue
        }
        // Every channel's largest magnitude is 127 and −128 never occurs.
        var peak = [Int](repeating: 0, count: channels)
        let inner = w.shape[(axis + 1)...].reduce(1, *)
        var sawMinus128 = false
        codes.withUnsafeBufferPointer { p in
          for k in 0..<p.count {
            let c = (k / inner) % channels
            let m = Int(p[k].magnitude)
            if m > peak[c] { peak[c] = m }
            if p[k] == -128 { sawMinus128 = true }
          }
        }
        #expect(peak.allSatisfy { $0 == 127 } && !sawMinus128, "\(place)")
        let bq = try #require(b.quantization)
        #expect(b.elementType == .int32 && b.shape == [channels] && bq.zeroPoints.allSatisfy { $0 == 0 }, "\(place)")
        let inScale = try #require(x.quantization).scale
        let badBiasScale = (0..<channels).first { c in
          let want = inScale * wq.scales[c]
          return abs(bq.scales[c] - want) > want * 1e-6
        }
        #expect(
          badBiasScale == nil, "\(place): bias scale of channel \(badBiasScale ?? -1) is not input × weight scale")
      }
      switch op.kind {
      case .pad, .reshape, .transpose, .maxPool2D, .averagePool2D, .concatenation:
        #expect(g[try #require(op.inputs[0])].quantization == outQ, "\(place): must keep its input's quantization")
      case .softmax, .logistic:
        #expect(outQ.scale == 1.0 / 256 && outQ.zeroPoint == -128, "\(place)")
      default:
        break
      }
      switch op.kind.fusedActivation {
      case .relu?: #expect(outQ.zeroPoint == -128, "\(place)")
      case .relu6?: #expect(outQ.zeroPoint == -128 && outQ.scale <= Float(6.0 / 255) * (1 + 1e-6), "\(place)")
      default: break
      }
      if case .fullyConnected(let o) = op.kind, name == "bert-base-layer" {
        #expect(o.keepNumDims && out.shape.count == 3, "\(place): 3-D FULLY_CONNECTED keeps its dims")
      }
    }
  }

  @Test func seedSelectsTheWeights() throws {
    func constants(_ seed: UInt64) throws -> [TensorData] {
      try ModelZoo.model(named: "mobilenet_v2", seed: seed, inputSize: 32).main.tensors.compactMap(\.data)
    }
    let cached = try ZooModels.shared.model("mobilenet_v2", inputSize: 32).main.tensors.compactMap(\.data)
    #expect(try constants(0) == cached)
    let other = try constants(1)
    #expect(cached.count == other.count && cached != other)
    // Different models get different weights for the same seed.
    let v1 = try ZooModels.shared.model("mobilenet_v1", inputSize: 32).main
    let v2 = try ZooModels.shared.model("mobilenet_v2", inputSize: 32).main
    #expect(v1.tensors[2].data != v2.tensors[2].data)
  }

  @Test func weightsLookBellShaped() throws {
    // Synthetic weights spread like trained ones: most small, few near ±127.
    let g = try ZooModels.shared.model("mlp0", inputSize: 1).main
    guard case .int8(let codes)? = g.tensors.first(where: { $0.name == "mlp0/fc1/weights" })?.data?.storage else {
      Issue.record("mlp0/fc1/weights missing")
      return
    }
    let h = histogram(codes)
    let n = Double(codes.count)
    let mean = (0..<256).reduce(0.0) { $0 + Double(($1 - 128) * h[$1]) } / n
    let sd = ((0..<256).reduce(0.0) { $0 + Double(h[$1]) * (Double($1 - 128) - mean) * (Double($1 - 128) - mean) } / n)
      .squareRoot()
    #expect(abs(mean) < 0.5)
    #expect(sd > 30 && sd < 45)
  }
}
