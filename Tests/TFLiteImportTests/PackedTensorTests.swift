import GraphIR
import Support
import SystoleTestSupport
import Testing

@testable import TFLiteImport

/// INT4 tensors and the `systole_packed_bits` metadata entry: written, read back, and every
/// malformed variant rejected with a message naming the place.
@Suite struct PackedTensorTests {
  let model = Fixtures.packedConv()

  /// Positions inside a written file, found with the bounds-checked reader.
  struct Layout {
    let r: FlatBufferReader
    let root: FlatBufferTable

    init(_ bytes: [UInt8]) throws {
      r = FlatBufferReader(bytes, source: "x")
      root = try r.rootTable("Model")
    }

    func tensor(_ i: Int) throws -> FlatBufferTable {
      let graphs = try #require(try r.vector(root, TFLiteSchema.Model.subgraphs, "subgraphs", elementSize: 4))
      let tensors = try #require(
        try r.vector(r.table(in: graphs, at: 0, "SubGraph"), TFLiteSchema.SubGraph.tensors, "tensors", elementSize: 4))
      return try r.table(in: tensors, at: i, "Tensor")
    }

    /// The data vector of buffer `index`.
    func buffer(_ index: Int) throws -> FlatBufferVector {
      let buffers = try #require(try r.vector(root, TFLiteSchema.Model.buffers, "buffers", elementSize: 4))
      return try #require(try r.vector(r.table(in: buffers, at: index, "Buffer"), 0, "data", elementSize: 1))
    }

    func tensorBuffer(_ i: Int) throws -> FlatBufferVector {
      try buffer(Int(try r.scalar(tensor(i), TFLiteSchema.Tensor.buffer, "buffer", default: UInt32(0))))
    }

    /// The `systole_packed_bits` entry: its table and its buffer's data.
    func metadata() throws -> (entry: FlatBufferTable, data: FlatBufferVector) {
      let list = try #require(try r.vector(root, TFLiteSchema.Model.metadata, "metadata", elementSize: 4))
      #expect(list.count == 1)
      let entry = try r.table(in: list, at: 0, "Metadata")
      #expect(try r.string(entry, TFLiteSchema.Metadata.name, "name") == "systole_packed_bits")
      let index = try r.scalar(entry, TFLiteSchema.Metadata.buffer, "buffer", default: UInt32(0))
      return (entry, try buffer(Int(index)))
    }
  }

  func parse(_ bytes: [UInt8]) throws(TFLiteImportError) -> Model { try TFLiteImporter.parse(bytes, source: "x.tflite") }

  func message(_ bytes: [UInt8]) -> String? {
    do {
      _ = try parse(bytes)
      return nil
    } catch {
      return error.description
    }
  }

  func put(_ value: UInt32, at offset: Int, in bytes: inout [UInt8]) {
    for k in 0..<4 { bytes[offset + k] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(k))) }
  }

  @Test func int4WeightsAreWrittenAsTFLiteINT4AndReadBack() throws {
    let bytes = try TFLiteWriter.serialize(model)
    let layout = try Layout(bytes)
    #expect(try layout.r.scalar(layout.tensor(1), TFLiteSchema.Tensor.type, "type", default: Int8(0)) == 17)
    let data = try layout.tensorBuffer(1)
    #expect(data.count == 27, "54 int4 values, two per byte")
    guard case .int8(let values)? = model.main.tensors[1].data?.storage else { throw FixtureError("no weights") }
    // First value in the low nibble: byte 0 holds values 0 and 1.
    #expect(bytes[data.start] == (UInt8(bitPattern: values[0]) & 0x0F) | (UInt8(bitPattern: values[1]) << 4))
    let again = try parse(bytes)
    #expect(ModelComparison.differences(model, again) == [])
    #expect(again.main.tensors[1].packedBits == 4 && again.main.tensors[1].elementType == .int8)
  }

  @Test func twoBitTensorsKeepINT8AndAreListedInTheMetadata() throws {
    let bytes = try TFLiteWriter.serialize(model)
    let layout = try Layout(bytes)
    #expect(try layout.r.scalar(layout.tensor(4), TFLiteSchema.Tensor.type, "type", default: Int8(0)) == 9)
    #expect(try layout.tensorBuffer(4).count == 5)
    let data = try layout.metadata().data
    #expect(Array(bytes[data.start..<data.start + data.count]) == [1, 0, 0, 0, 1, 0, 0, 0] + [0, 0, 0, 0, 4, 0, 0, 0, 2, 0, 0, 0])
    #expect(try parse(bytes).main.tensors[4].packedBits == 2)
    // A model without packed tensors has no metadata at all (byte-identical to before).
    var plain = model
    for t in plain.main.tensors.indices { plain.graphs[0].tensors[t].packedBits = nil }
    let plainLayout = try Layout(try TFLiteWriter.serialize(plain))
    #expect(try plainLayout.r.vector(plainLayout.root, TFLiteSchema.Model.metadata, "metadata", elementSize: 4) == nil)
  }

  @Test func writerRejectsValuesThatDoNotFitTheirWidth() {
    var m = model
    guard case .int8(var values)? = m.main.tensors[1].data?.storage else { return }
    values[3] = 9
    m.graphs[0].tensors[1].data = TensorData(shape: [2, 3, 3, 3], storage: .int8(values))
    let error = #expect(throws: TFLiteImportError.self) { try TFLiteWriter.serialize(m) }
    #expect(error?.description == "conv.tflite: tensor #1 'w': packedBits 4: element 3 is 9, outside the 4-bit range -8…7")
  }

  @Test func malformedINT4TensorsAreErrors() throws {
    let bytes = try TFLiteWriter.serialize(model)
    let layout = try Layout(bytes)
    // A buffer one byte short: the length prefix says 26.
    var short = bytes
    put(26, at: try layout.tensorBuffer(1).position, in: &short)
    #expect(
      message(short) == "x.tflite: tensor #1 'w': buffer 1 has 26 bytes; shape [2, 3, 3, 3] of INT4 (two values per byte) needs 27")
    // An INT4 activation (no buffer).
    var activation = bytes
    let typeAt = try #require(try layout.r.field(layout.tensor(0), TFLiteSchema.Tensor.type, size: 1, "type"))
    activation[typeAt] = 17
    #expect(
      message(activation)
        == "x.tflite: tensor #0 'x': INT4 tensors are supported only as constant data (weights); this one has no buffer")
  }

  @Test func malformedMetadataIsAnErrorNamingTheEntry() throws {
    let bytes = try TFLiteWriter.serialize(model)
    let layout = try Layout(bytes)
    let (entry, data) = try layout.metadata()
    let start = data.start
    func hex(_ v: Int) -> String { "0x" + String(v, radix: 16) }
    func variant(_ edit: (inout [UInt8]) -> Void) -> String? {
      var b = bytes
      edit(&b)
      return message(b)
    }
    #expect(
      variant { put(3, at: start, in: &$0) }
        == "x.tflite@\(hex(start)): metadata 'systole_packed_bits' has format version 3; expected 1…2")
    #expect(
      variant { put(2, at: start, in: &$0) }
        == "x.tflite@\(hex(start)): metadata 'systole_packed_bits' (buffer 4) has 20 bytes; 1 entries need 8 + 1 × 16 = 24")
    #expect(
      variant { put(3, at: start + 4, in: &$0) }
        == "x.tflite@\(hex(start)): metadata 'systole_packed_bits' (buffer 4) has 20 bytes; 3 entries need 8 + 3 × 12 = 44")
    #expect(
      variant { put(4, at: data.position, in: &$0) }
        == "x.tflite@\(hex(start)): metadata 'systole_packed_bits' (buffer 4) has 4 bytes; expected at least 8 (version, entry count)")
    #expect(
      variant { put(1, at: start + 8, in: &$0) }
        == "x.tflite@\(hex(start + 8)): metadata 'systole_packed_bits' entry 0: subgraph 1 out of range; the model has 1 subgraph")
    #expect(
      variant { put(99, at: start + 12, in: &$0) }
        == "x.tflite@\(hex(start + 8)): metadata 'systole_packed_bits' entry 0: tensor #99 out of range; the main graph has 5 tensors")
    #expect(
      variant { put(1, at: start + 12, in: &$0) }
        == "x.tflite@\(hex(start + 8)): metadata 'systole_packed_bits' entry 0: tensor #1 'w' is already packed (listed twice, or INT4)")
    #expect(
      variant { put(3, at: start + 16, in: &$0) }
        == "x.tflite@\(hex(start + 8)): metadata 'systole_packed_bits' entry 0: tensor #4 't2' cannot be stored in 3 bits: expected one of 2, 4 bits")
    #expect(
      variant { put(0, at: start + 12, in: &$0) }
        == "x.tflite@\(hex(start + 8)): metadata 'systole_packed_bits' entry 0: tensor #0 'x' cannot be stored in 2 bits: only constant int8 tensors can be packed; this one is non-constant int8")
    let valuesAt = try layout.tensorBuffer(4).start
    #expect(
      variant { $0[valuesAt + 2] = 5 }
        == "x.tflite@\(hex(start + 8)): metadata 'systole_packed_bits' entry 0: tensor #4 't2' cannot be stored in 2 bits: element 2 is 5, outside the 2-bit range -2…1")
    let bufferField = try #require(try layout.r.field(entry, TFLiteSchema.Metadata.buffer, size: 4, "buffer"))
    #expect(
      variant { put(99, at: bufferField, in: &$0) }
        == "x.tflite@\(hex(entry.position)): metadata 'systole_packed_bits' names buffer 99; the model has buffers 1..<5")
    // Other metadata names are ignored.
    let nameVector = try #require(try layout.r.vector(entry, TFLiteSchema.Metadata.name, "name", elementSize: 1))
    #expect(try parse(variant2(bytes) { $0[nameVector.start] = UInt8(ascii: "X") }).main.tensors[4].packedBits == nil)
  }

  /// `Fixtures.groupedConv()`: weight tensor #1 ([2, 3, 3, 3], channel axis 0) fine-grained
  /// ternary, groups of 4 along each channel's 27 elements, `sign × level` with levels 1…127.
  func groupedModel() throws -> Model {
    let m = Fixtures.groupedConv()
    #expect(GraphVerifier.verify(m).isEmpty)
    return m
  }

  @Test func groupSizesAreWrittenAsMetadataVersion2AndReadBack() throws {
    let m = try groupedModel()
    let bytes = try TFLiteWriter.serialize(m)
    let layout = try Layout(bytes)
    #expect(try layout.r.scalar(layout.tensor(1), TFLiteSchema.Tensor.type, "type", default: Int8(0)) == 9, "INT8")
    let data = try layout.metadata().data
    #expect(
      Array(bytes[data.start..<data.start + data.count])
        == [2, 0, 0, 0, 2, 0, 0, 0] + [0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 4, 0, 0, 0]
        + [0, 0, 0, 0, 4, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0])
    let again = try parse(bytes)
    #expect(ModelComparison.differences(m, again) == [])
    #expect(again.main.tensors.map(\.packedGroupSize) == m.main.tensors.map(\.packedGroupSize))
    #expect(again.main.tensors[1].packedBits == 2 && again.main.tensors[4].packedGroupSize == nil)
    // A group holding two magnitudes is an error naming the entry, the element and the group.
    let valuesAt = try layout.tensorBuffer(1).start
    var bad = bytes
    bad[valuesAt + 5] = bad[valuesAt + 5] == 0 ? 1 : 0x7F
    let message = message(bad) ?? ""
    #expect(message.hasPrefix("x.tflite@0x\(String(data.start + 8, radix: 16)): metadata 'systole_packed_bits' entry 0: tensor #1 'w' cannot be stored in 2 bits with groups of 4: element 5 is "))
    #expect(message.contains("channel 0 group 1 holds ±"))
  }

  @Test func verifierChecksOneMagnitudePerGroup() throws {
    var m = try groupedModel()
    m.graphs[0].tensors[1].packedBits = 4
    #expect(
      GraphVerifier.verify(m).map(\.description) == [
        "graph: tensor #1 'w' has packedBits 4: a group size needs 2-bit storage (ternary codes)"
      ])
    m.graphs[0].tensors[1].packedBits = 2
    m.graphs[0].tensors[1].packedGroupSize = 0
    #expect(GraphVerifier.verify(m).map(\.description) == ["graph: tensor #1 'w' has packedBits 2: group size 0 must be ≥ 1"])
    m.graphs[0].tensors[1].packedGroupSize = 27
    #expect(GraphVerifier.verify(m).first?.description.contains("channel 0 group 0 holds ±") == true, "27 weights, several levels")
    var minimum = try groupedModel()
    guard case .int8(var values)? = minimum.main.tensors[1].data?.storage else { throw FixtureError("no weights") }
    values[30] = -128
    minimum.graphs[0].tensors[1].data = TensorData(shape: [2, 3, 3, 3], storage: .int8(values))
    #expect(GraphVerifier.verify(minimum).first?.description.contains("element 30 is -128") == true)
  }

  func variant2(_ bytes: [UInt8], _ edit: (inout [UInt8]) -> Void) -> [UInt8] {
    var b = bytes
    edit(&b)
    return b
  }
}
