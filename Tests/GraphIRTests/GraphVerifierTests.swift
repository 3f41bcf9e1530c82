import GraphIR
import Testing

/// Builds a one-conv graph; parameters let each test break one thing.
func convModel(
  input: [Int] = [1, 5, 5, 3], filter: [Int] = [4, 3, 3, 3], output: [Int] = [1, 5, 5, 4],
  weightZeroPoint: Int64 = 0, biasCount: Int = 4, padding: Padding = .same
) -> Model {
  let wq = QuantizationParameters(scales: Array(repeating: 0.01, count: filter[0]), zeroPoints: Array(repeating: weightZeroPoint, count: filter[0]), quantizedDimension: 0)
  let tensors = [
    Tensor(name: "x", shape: input, elementType: .int8, quantization: .init(scale: 0.1, zeroPoint: -3)),
    Tensor(
      name: "w", shape: filter, elementType: .int8, quantization: wq,
      data: TensorData(zeros: .int8, shape: filter)),
    Tensor(name: "b", shape: [biasCount], elementType: .int32, data: TensorData(zeros: .int32, shape: [biasCount])),
    Tensor(name: "y", shape: output, elementType: .int8, quantization: .init(scale: 0.2, zeroPoint: 5)),
  ]
  let op = Operator(
    kind: .conv2D(Conv2DOptions(padding: padding)), inputs: [TensorID(0), TensorID(1), TensorID(2)], outputs: [TensorID(3)])
  return Model(source: "test", graphs: [Graph(name: "main", tensors: tensors, operators: [op], inputs: [TensorID(0)], outputs: [TensorID(3)])])
}

@Suite struct GraphVerifierTests {
  @Test func consistentConvHasNoProblems() {
    #expect(GraphVerifier.verify(convModel()).isEmpty)
    #expect(GraphVerifier.verify(convModel(output: [1, 3, 3, 4], padding: .valid)).isEmpty)
  }

  @Test func reportsEveryProblemAtOnce() {
    let problems = GraphVerifier.verify(convModel(output: [1, 4, 5, 4], weightZeroPoint: 3, biasCount: 2)).map(\.description)
    #expect(
      problems == [
        "op #0 CONV_2D 'y': output shape [1, 4, 5, 4]; expected [1, 5, 5, 4] from the input shapes and options",
        "op #0 CONV_2D 'y': weight zero point 3; int8 weights must have zero point 0",
        "op #0 CONV_2D 'y': bias has 2 elements; expected 4 (one per output channel)",
      ])
  }

  @Test func tensorIndexOutOfRange() {
    var m = convModel()
    m.graphs[0].operators[0].inputs[1] = TensorID(9)
    m.graphs[0].outputs = [TensorID(-1)]
    #expect(
      GraphVerifier.verify(m).map(\.description) == [
        "graph: graph input/output tensor index -1 out of range 0..<4",
        "op #0 CONV_2D 'y': tensor index 9 out of range 0..<4",
      ])
  }

  @Test func perChannelCountMustMatchTheAxis() {
    var m = convModel()
    m.graphs[0].tensors[1].quantization = QuantizationParameters(scales: [0.1, 0.2], zeroPoints: [0, 0], quantizedDimension: 0)
    #expect(
      GraphVerifier.verify(m).map(\.description) == ["graph: tensor #1 'w' has 2 per-channel scales; dimension 0 has 4 channels"])
  }

  @Test func broadcastRules() {
    #expect(Broadcast.shape([1, 4, 4, 8], [8]) == [1, 4, 4, 8])
    #expect(Broadcast.shape([2, 1, 3], [1, 5, 1]) == [2, 5, 3])
    #expect(Broadcast.shape([], [3]) == [3])
    #expect(Broadcast.shape([2, 3], [3, 3]) == nil)
  }
}

@Suite struct GeometryTests {
  /// SAME: output = ⌈in / stride⌉; VALID: output = ⌈(in − effective + 1) / stride⌉; the taps of
  /// the last output must end inside the padded input, and padding is split with the extra
  /// element at the end.
  @Test func outputSizesMatchTheirDefinitions() {
    for input in 1...12 {
      for filter in 1...5 {
        for stride in 1...3 {
          for dilation in 1...2 {
            let effective = (filter - 1) * dilation + 1
            let same = Padding.same.geometry(input: input, filter: filter, stride: stride, dilation: dilation)
            #expect(same.output == (input + stride - 1) / stride)
            #expect(same.padAfter - same.padBefore == 0 || same.padAfter - same.padBefore == 1)
            #expect((same.output - 1) * stride + effective <= input + same.padBefore + same.padAfter)
            guard input >= effective else { continue }
            let valid = Padding.valid.geometry(input: input, filter: filter, stride: stride, dilation: dilation)
            #expect(valid.output == Int((Double(input - effective + 1) / Double(stride)).rounded(.up)))
            #expect(valid.padBefore == 0 && valid.padAfter == 0)
          }
        }
      }
    }
  }

  @Test func activationRanges() {
    // scale 0.05, zp −10: 0 → −10, 6 → 110, −1 → −30, 1 → 10.
    #expect(FusedActivation.relu6.quantizedRange(scale: 0.05, zeroPoint: -10, type: .int8) == -10...110)
    #expect(FusedActivation.relu.quantizedRange(scale: 0.05, zeroPoint: -10, type: .int8) == -10...127)
    #expect(FusedActivation.reluN1To1.quantizedRange(scale: 0.05, zeroPoint: -10, type: .int8) == -30...10)
    #expect(FusedActivation.none.quantizedRange(scale: 0.05, zeroPoint: -10, type: .int16) == -32768...32767)
  }

  @Test func macCounts() {
    let m = convModel()
    #expect(m.main.macs(ofOperator: 0) == 1 * 5 * 5 * 4 * 3 * 3 * 3)
  }
}
