import GraphIR
import Support
import Testing

@testable import TFLiteImport

/// int16 ADD/SUB and TFLite's `pot_scale_int16` (default true): with three power-of-two scales
/// TFLite runs a different kernel, which Systole does not implement, so such a file is an
/// unsupported-operator error; Systole's writer stores `pot_scale_int16 = false` for int16
/// ADD/SUB, so its own files always ask for the general kernel the golden model computes.
@Suite struct PowerOfTwoScaleTests {
  /// `out = a + b` (or `−`) in int16 with the given scales.
  func model(_ kind: OpKind, scales: (Float, Float, Float)) -> Model {
    func t(_ name: String, _ s: Float) -> Tensor {
      Tensor(name: name, shape: [1, 4], elementType: .int16, quantization: QuantizationParameters(scale: s, zeroPoint: 0))
    }
    let graph = Graph(
      name: "main", tensors: [t("a", scales.0), t("b", scales.1), t("out", scales.2)],
      operators: [Operator(kind: kind, inputs: [TensorID(0), TensorID(1)], outputs: [TensorID(2)])],
      inputs: [TensorID(0), TensorID(1)], outputs: [TensorID(2)])
    return Model(source: "pot.tflite", graphs: [graph])
  }

  /// The byte offset of operator 0's `pot_scale_int16` field in a written file.
  func potField(_ bytes: [UInt8]) throws -> Int {
    let r = FlatBufferReader(bytes, source: "x")
    let root = try r.rootTable("Model")
    let graphs = try #require(try r.vector(root, TFLiteSchema.Model.subgraphs, "subgraphs", elementSize: 4))
    let ops = try #require(
      try r.vector(r.table(in: graphs, at: 0, "SubGraph"), TFLiteSchema.SubGraph.operators, "operators", elementSize: 4))
    let op = try r.table(in: ops, at: 0, "Operator")
    let options = try #require(try r.table(op, TFLiteSchema.Operator.builtinOptions, "builtin_options", as: "AddOptions"))
    return try #require(try r.field(options, 1, size: 1, "pot_scale_int16"))
  }

  @Test(arguments: [OpKind.add(activation: .none), .sub(activation: .none)])
  func writerAsksForTheGeneralKernelAndTheReaderRejectsThePowerOfTwoOne(_ kind: OpKind) throws {
    let m = model(kind, scales: (0.5, 0.25, 1))
    var bytes = try TFLiteWriter.serialize(m)
    let at = try potField(bytes)
    #expect(bytes[at] == 0, "pot_scale_int16 = false")
    #expect(try TFLiteImporter.parse(bytes, source: "pot.tflite").main.operators.count == 1)
    bytes[at] = 1
    let error = #expect(throws: TFLiteImportError.self) { try TFLiteImporter.parse(bytes, source: "pot.tflite") }
    let name = kind.tfliteName
    #expect(
      error?.description
        == "pot.tflite: op #0 \(name) 'out': int16 \(name) with pot_scale_int16 = true and power-of-two scales (TFLite's power-of-two kernel) is not supported; expected pot_scale_int16 = false or other scales")
    // Any scale that is not a power of two keeps TFLite on the general kernel: accepted.
    var general = try TFLiteWriter.serialize(model(kind, scales: (0.5, 0.3, 1)))
    general[try potField(general)] = 1
    #expect(try TFLiteImporter.parse(general, source: "pot.tflite").main.operators.count == 1)
  }
}
