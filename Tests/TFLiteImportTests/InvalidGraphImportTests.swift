import GraphIR
import Testing

@testable import TFLiteImport

/// Issue 15, part 5: invalid graphs are refused at import with one line naming the file, the op
/// and the tensor (they used to import with exit 0 and fail later in the compiler).
@Suite struct InvalidGraphImportTests {
  /// x → RELU → a → RELU → y (int8 [1, 4]); `edit` breaks it.
  static func file(_ edit: (inout Graph) -> Void) throws -> [UInt8] {
    let tensors = ["x", "a", "y"].map {
      Tensor(name: $0, shape: [1, 4], elementType: .int8, quantization: .init(scale: 0.1, zeroPoint: 0))
    }
    var graph = Graph(
      name: "main", tensors: tensors,
      operators: [
        Operator(kind: .relu, inputs: [TensorID(0)], outputs: [TensorID(1)]),
        Operator(kind: .relu, inputs: [TensorID(1)], outputs: [TensorID(2)]),
      ],
      inputs: [TensorID(0)], outputs: [TensorID(2)])
    edit(&graph)
    return try TFLiteWriter.serialize(Model(source: "bad.tflite", graphs: [graph]))
  }

  @Test func theUnbrokenChainImports() throws {
    _ = try TFLiteImporter.parse(try Self.file { _ in }, source: "good.tflite")
  }

  @Test(arguments: [
    ("zero point 2^62", "bad.tflite: graph: tensor #0 'x' has zero point 4611686018427387904; int8 zero points must lie in -128…127"),
    ("zero point -1000", "bad.tflite: graph: tensor #0 'x' has zero point -1000; int8 zero points must lie in -128…127"),
    ("cycle", "bad.tflite: op #0 RELU 'a': reads tensor #2 'y' before op #1 RELU writes it; operators must be in execution order (a cycle?)"),
    ("two producers", "bad.tflite: op #1 RELU 'a': writes tensor #1 'a', which op #0 RELU also writes; a tensor has one producer"),
    ("no operators", "bad.tflite: graph: the graph has no operators"),
  ])
  func refusedAtImport(name: String, message: String) throws {
    let bytes = try Self.file { g in
      switch name {
      case "zero point 2^62": g.tensors[0].quantization = .init(scale: 0.1, zeroPoint: 1 << 62)
      case "zero point -1000": g.tensors[0].quantization = .init(scale: 0.1, zeroPoint: -1000)
      case "cycle": g.operators[0].inputs = [TensorID(2)]
      case "two producers": g.operators[1].outputs = [TensorID(1)]
      default: g.operators = []
      }
    }
    let error = #expect(throws: TFLiteImportError.self) { _ = try TFLiteImporter.parse(bytes, source: "bad.tflite") }
    // The problem, naming the file, op and tensor (with other consequences listed after it).
    let text = error?.description ?? ""
    #expect(text.hasPrefix(message) || (text.hasPrefix("bad.tflite: ") && text.contains(message.dropFirst(12))), "\(text)")
  }
}
