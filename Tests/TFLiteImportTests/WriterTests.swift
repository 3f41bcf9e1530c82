import GraphIR
import SystoleTestSupport
import Testing

@testable import TFLiteImport

/// The writer produces files the reader reads back to the same model.
@Suite struct WriterTests {
  @Test func everyOpKindRoundTrips() throws {
    let model = Fixtures.allKinds()
    let bytes = try TFLiteWriter.serialize(model)
    let again = try TFLiteImporter.parse(bytes, source: "all.tflite", verify: false)
    #expect(ModelComparison.differences(model, again) == [])
    // Every OpKind case appears, so a new case without writer/reader support fails here.
    let names = Set(again.graphs.flatMap { $0.operators.map(\.kind.tfliteName) })
    #expect(names.count == 69)  // issue 14: + recurrent 4, detection and transformer ops 7, vision 12 (UNPACK is shared), space-batch 2
  }

  @Test func externalBuffersRoundTrip() throws {
    let model = Fixtures.allKinds()
    let inline = try TFLiteWriter.serialize(model, externalData: false)
    let external = try TFLiteWriter.serialize(model, externalData: true)
    #expect(inline != external)
    let again = try TFLiteImporter.parse(external, source: "ext.tflite", verify: false)
    #expect(ModelComparison.differences(model, again) == [])
  }

  @Test func externalBufferPastTheEndIsAnError() throws {
    var bytes = try TFLiteWriter.serialize(Fixtures.conv(), externalData: true)
    bytes.removeLast(2)
    #expect(throws: TFLiteImportError.self) { try TFLiteImporter.parse(bytes, source: "x.tflite") }
    do {
      _ = try TFLiteImporter.parse(bytes, source: "x.tflite")
    } catch {
      #expect(error.kind == .malformed)
      #expect(error.message.hasPrefix("buffer 2 data at offset 0x"))
      #expect(error.message.hasSuffix("lies past the end of the file at 0x\(String(bytes.count, radix: 16)) (truncated?)"))
    }
  }

  @Test func fileLayoutFollowsTheSchema() throws {
    let bytes = try TFLiteWriter.serialize(Fixtures.conv())
    #expect(Array(bytes[4..<8]) == Array("TFL3".utf8))
    // Each constant buffer's data starts 16-byte aligned, as TFLite's converter writes them.
    let r = FlatBufferReader(bytes, source: "x")
    let root = try r.rootTable("Model")
    let buffers = try #require(try r.vector(root, TFLiteSchema.Model.buffers, "buffers", elementSize: 4))
    #expect(buffers.count == 3)
    for i in 1..<buffers.count {
      let data = try #require(try r.vector(r.table(in: buffers, at: i, "Buffer"), 0, "data", elementSize: 1))
      #expect(data.start % 16 == 0)
    }
  }

  @Test func sharedBuffersDecodeOnceAndStayEqual() throws {
    // Two tensors pointing at one buffer (converters deduplicate constants) both get the data.
    var p = FieldPatcher(bytes: try TFLiteWriter.serialize(Fixtures.allKinds()))
    try p.set(["subgraphs", 0, "tensors", 3], field: TFLiteSchema.Tensor.buffer, to: UInt32(2))
    try p.setVectorElement(["subgraphs", 0, "tensors", 3], field: TFLiteSchema.Tensor.shape, element: 1, to: 2)
    try p.set(["subgraphs", 0, "tensors", 3], field: TFLiteSchema.Tensor.type, to: Int8(9))
    let model = try TFLiteImporter.parse(p.bytes, source: "shared.tflite", verify: false)
    #expect(model.main.tensors[3].data == model.main.tensors[1].data)
  }

  @Test func unrepresentableValuesAreErrors() {
    var model = Fixtures.conv()
    model.graphs[0].tensors[0].shape[1] = Int(Int32.max) + 1
    #expect(throws: TFLiteImportError.self) { try TFLiteWriter.serialize(model) }
    do {
      _ = try TFLiteWriter.serialize(model)
    } catch {
      #expect(error.description == "conv.tflite: tensor #0 'x': dimension 2147483648 does not fit in a TFLite int32")
    }
  }
}
