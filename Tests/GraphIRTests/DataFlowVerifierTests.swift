import GraphIR
import Testing

/// Issue 15, part 5: graphs TFLite would refuse — zero points out of range, cycles, tensors read
/// but never written, two writers, no operators — are reported with the op and tensor named.
@Suite struct DataFlowVerifierTests {
  /// x → RELU → a → RELU → y, int8 [1, 4]; `ops` replaces the operators.
  static func chain(_ ops: [(inputs: [Int], outputs: [Int])]? = nil, extraTensors: Int = 0) -> Model {
    var tensors = ["x", "a", "y"].map {
      Tensor(name: $0, shape: [1, 4], elementType: .int8, quantization: .init(scale: 0.1, zeroPoint: 0))
    }
    for i in 0..<extraTensors {
      tensors.append(Tensor(name: "t\(i)", shape: [1, 4], elementType: .int8, quantization: .init(scale: 0.1, zeroPoint: 0)))
    }
    let pairs = ops ?? [([0], [1]), ([1], [2])]
    let operators = pairs.map { Operator(kind: .relu, inputs: $0.inputs.map { TensorID($0) }, outputs: $0.outputs.map { TensorID($0) }) }
    return Model(
      source: "m.tflite",
      graphs: [Graph(name: "main", tensors: tensors, operators: operators, inputs: [TensorID(0)], outputs: [TensorID(2)])])
  }

  @Test func aChainIsFine() {
    #expect(GraphVerifier.verify(Self.chain()).isEmpty)
  }

  struct Case: CustomTestStringConvertible, Sendable {
    let name: String
    let model: Model
    let problems: [String]
    var testDescription: String { name }
  }

  static let cases: [Case] = [
    Case(
      name: "a cycle", model: chain([([2], [1]), ([1], [2])]),
      problems: [
        "op #0 RELU 'a': reads tensor #2 'y' before op #1 RELU writes it; operators must be in execution order (a cycle?)"
      ]),
    Case(
      name: "reads its own output", model: chain([([0], [1]), ([2], [2])]),
      problems: ["op #1 RELU 'y': reads tensor #2 'y', which it writes itself (a cycle)"]),
    Case(
      name: "never produced", model: chain([([0], [1]), ([3], [2])], extraTensors: 1),
      problems: [
        "op #1 RELU 'y': reads tensor #3 't0', which is not a graph input, a constant or a variable, and no operator writes it"
      ]),
    Case(
      name: "two producers", model: chain([([0], [1]), ([0], [1]), ([1], [2])]),
      problems: ["op #1 RELU 'a': writes tensor #1 'a', which op #0 RELU also writes; a tensor has one producer"]),
    Case(
      name: "writes a graph input", model: chain([([1], [0]), ([0], [2])]),
      problems: [
        "op #0 RELU 'x': writes tensor #0 'x', which is a graph input",
        "op #0 RELU 'x': reads tensor #1 'a', which is not a graph input, a constant or a variable, and no operator writes it",
      ]),
    Case(
      name: "output never written", model: chain([([0], [1])]),
      problems: ["graph: graph output tensor #2 'y' is not an input or a constant, and no operator writes it"]),
    Case(name: "no operators", model: chain([]), problems: ["graph: the graph has no operators"]),
  ]

  @Test(arguments: cases)
  func dataFlowProblems(_ c: Case) {
    #expect(GraphVerifier.verify(c.model).map(\.description) == c.problems)
  }

  @Test(arguments: [
    (ElementType.int8, Int64(1) << 62, "graph: tensor #0 'x' has zero point 4611686018427387904; int8 zero points must lie in -128…127"),
    (.int8, -1000, "graph: tensor #0 'x' has zero point -1000; int8 zero points must lie in -128…127"),
    (.uint8, 256, "graph: tensor #0 'x' has zero point 256; uint8 zero points must lie in 0…255"),
    (.int16, 40000, "graph: tensor #0 'x' has zero point 40000; int16 zero points must lie in -32768…32767"),
  ])
  func zeroPointsInRange(type: ElementType, zeroPoint: Int64, message: String) {
    var m = Self.chain()
    m.graphs[0].tensors[0].elementType = type
    m.graphs[0].tensors[0].quantization = .init(scale: 0.1, zeroPoint: zeroPoint)
    #expect(GraphVerifier.verify(m).map(\.description).contains(message))
  }

  /// Constants, variables and graph inputs count as provided.
  @Test func constantsAndVariablesAreProvided() {
    var m = Self.chain([([0], [1]), ([3], [2])], extraTensors: 1)
    m.graphs[0].tensors[3].isVariable = true
    #expect(GraphVerifier.verify(m).isEmpty)
    m.graphs[0].tensors[3].isVariable = false
    m.graphs[0].tensors[3].data = TensorData(zeros: .int8, shape: [1, 4])
    #expect(GraphVerifier.verify(m).isEmpty)
  }
}
