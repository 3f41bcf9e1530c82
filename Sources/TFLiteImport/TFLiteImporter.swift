import Foundation
import GraphIR
import Support

/// Reads TFLite flatbuffer models (`.tflite`, schema version 3) into a GraphIR ``GraphIR/Model``.
///
/// The reader is bounds-checked throughout (see `FlatBufferReader`): any byte sequence either
/// imports or throws a ``TFLiteImportError``; none crashes. After building the model it runs
/// ``GraphIR/GraphVerifier`` and throws if the verifier reports problems, listing all of them.
///
/// Supported tensor types: FLOAT32, INT32, UINT8, INT64, BOOL, INT16, INT8 and RESOURCE, and
/// INT4 for constant data (read as int8 values with `packedBits` 4: the buffer must hold exactly
/// ⌈n / 2⌉ bytes, two values per byte, the first in the low nibble, each sign-extended). The
/// `systole_packed_bits` metadata entry (``PackedBitsMetadata``), when present, sets
/// `packedBits` on the INT8 tensors it lists.
/// Supported operators: the cases of ``GraphIR/OpKind``. A model using others is refused with
/// one error naming every unsupported kind with its count, e.g. `model.tflite: unsupported:
/// GATHER ×3 (builtin 36), GELU ×12 (builtin 150) (15 operators, the first op #36); …`, before
/// anything else is read; `parsePartially` imports the rest for `inspect`.
public enum TFLiteImporter {
  /// Reads and imports the model stored at `url`.
  ///
  /// Messages name the file by `url.relativePath` (the path as the caller gave it).
  public static func load(contentsOf url: URL) throws(TFLiteImportError) -> Model {
    let source = url.isFileURL ? url.relativePath : url.absoluteString
    var isDirectory: ObjCBool = false
    if url.isFileURL {
      guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
        throw TFLiteImportError(.unreadable, source: source, "file not found")
      }
      guard !isDirectory.boolValue else {
        throw TFLiteImportError(.unreadable, source: source, "is a directory; expected a .tflite file")
      }
    }
    let data: Data
    do {
      data = try Data(contentsOf: url, options: .mappedIfSafe)
    } catch {
      throw TFLiteImportError(.unreadable, source: source, "cannot read the file (\(error.localizedDescription))")
    }
    return try parse([UInt8](data), source: source)
  }

  /// Imports a model from the bytes of a `.tflite` file; `source` names it in messages.
  public static func parse(_ bytes: [UInt8], source: String) throws(TFLiteImportError) -> Model {
    try parse(bytes, source: source, verify: true)
  }

  /// Imports a model, running the graph verifier only when `verify` is true (tests use
  /// `false` to read back deliberately inconsistent models).
  static func parse(_ bytes: [UInt8], source: String, verify: Bool) throws(TFLiteImportError) -> Model {
    var reader = try ModelReader(bytes, source: source)
    let model = try reader.read()
    if verify {
      let problems = GraphVerifier.verify(model)
      guard problems.isEmpty else {
        throw .verification(problems, source: source, note: reader.dynamicShapeNote)
      }
    }
    return model
  }
}

/// Builds a ``Model`` from a checked FlatBuffer, one subgraph at a time.
struct ModelReader {
  typealias Schema = TFLiteSchema

  /// Largest element count of one tensor. Bounding it keeps every size computation downstream
  /// (byte counts, MAC counts, verifier shape arithmetic) far from `Int` overflow.
  static let maxElementCount = Int(Int32.max)

  let r: FlatBufferReader
  let source: String
  let root: FlatBufferTable
  let buffers: FlatBufferVector?
  let operatorCodes: [OperatorCodeInfo]

  /// Constant data already decoded, by buffer index and element type: tensors that share a
  /// buffer (converters deduplicate identical constants) share one copy-on-write array.
  var decoded: [BufferKey: TensorData.Storage] = [:]

  /// Leave out operators `supportedBuiltins` lacks instead of refusing the model
  /// (`TFLiteImporter.parsePartially`).
  var skipUnsupported = false

  /// The first tensor, other than a graph input, whose `shape_signature` has an unknown (−1)
  /// dimension: its stored shape is only a placeholder the TFLite runtime replaces.
  var firstDynamicTensor: (graph: Int, index: Int, name: String, signature: [Int])?

  /// A note for verifier errors on models with dynamic shapes.
  var dynamicShapeNote: String? {
    firstDynamicTensor.map {
      "the model has dynamic shapes, e.g. \(TFLiteImportError.subgraphPrefix($0.graph))tensor #\($0.index) '\($0.name)' with shape signature \($0.signature), whose stored shape is a placeholder; Systole needs static shapes"
    }
  }

  struct BufferKey: Hashable {
    var buffer: Int
    var type: ElementType
    /// Bits per stored value: the type's width, or 4 for INT4 buffers.
    var bits: Int = 8
  }

  /// One entry of `Model.operator_codes`.
  struct OperatorCodeInfo {
    /// `max(builtin_code, deprecated_builtin_code)`.
    var builtin: Int32
    /// `custom_code`, for CUSTOM ops.
    var customName: String?
  }

  init(_ bytes: [UInt8], source: String) throws(TFLiteImportError) {
    self.source = source
    let r = FlatBufferReader(bytes, source: source)
    self.r = r
    guard bytes.count >= 8 else {
      throw r.error(
        .notTFLite, at: 0,
        bytes.isEmpty ? "file is empty; expected a TFLite model" : "file is \(bytes.count) bytes; a TFLite model needs at least 8 (truncated?)")
    }
    let identifier = Array(bytes[4..<8])
    guard identifier == Schema.fileIdentifier else {
      throw r.error(
        .notTFLite, at: 4, "file identifier is \(Self.quoted(identifier)); expected \"TFL3\" (not a TFLite model?)")
    }
    root = try r.rootTable("Model")
    let version = try r.scalar(root, Schema.Model.version, "version", default: UInt32(0))
    guard version == Schema.version else {
      let at = try r.field(root, Schema.Model.version, size: 4, "version") ?? root.position
      throw r.error(.notTFLite, at: at, "schema version \(version); expected \(Schema.version)")
    }
    buffers = try r.vector(root, Schema.Model.buffers, "buffers", elementSize: 4)
    var codes: [OperatorCodeInfo] = []
    if let v = try r.vector(root, Schema.Model.operatorCodes, "operator_codes", elementSize: 4) {
      codes.reserveCapacity(v.count)
      for i in 0..<v.count {
        let t = try r.table(in: v, at: i, "OperatorCode")
        let deprecated = try r.scalar(t, Schema.OperatorCode.deprecatedBuiltinCode, "deprecated_builtin_code", default: Int8(0))
        let builtin = try r.scalar(t, Schema.OperatorCode.builtinCode, "builtin_code", default: Int32(0))
        let custom = try r.string(t, Schema.OperatorCode.customCode, "custom_code")
        codes.append(OperatorCodeInfo(builtin: max(Int32(deprecated), builtin), customName: custom))
      }
    }
    operatorCodes = codes
  }

  /// `"ABCD"`, with non-printable bytes as `\xNN`.
  static func quoted(_ bytes: [UInt8]) -> String {
    var s = "\""
    for b in bytes {
      if b >= 0x20 && b < 0x7f && b != UInt8(ascii: "\"") && b != UInt8(ascii: "\\") {
        s.unicodeScalars.append(Unicode.Scalar(b))
      } else {
        s += "\\x" + (b < 16 ? "0" : "") + String(b, radix: 16)
      }
    }
    return s + "\""
  }

  mutating func read() throws(TFLiteImportError) -> Model {
    guard let subgraphs = try r.vector(root, Schema.Model.subgraphs, "subgraphs", elementSize: 4), subgraphs.count > 0
    else {
      throw TFLiteImportError(.invalidModel, source: source, "model has no subgraphs; expected at least one")
    }
    if !skipUnsupported {
      // Every unsupported operator at once, before anything else is read.
      let unsupported = try unsupportedOperators()
      if !unsupported.isEmpty { throw .forUnsupportedOperators(unsupported, source: source) }
    }
    var graphs: [Graph] = []
    graphs.reserveCapacity(subgraphs.count)
    for g in 0..<subgraphs.count {
      graphs.append(try readGraph(r.table(in: subgraphs, at: g, "SubGraph"), index: g))
    }
    try applyPackedBitsMetadata(&graphs)
    return Model(source: source, graphs: graphs)
  }

  // MARK: Metadata

  /// Sets `packedBits` on the tensors the `systole_packed_bits` metadata entry lists (see
  /// ``PackedBitsMetadata`` for the format). Other metadata entries are ignored.
  func applyPackedBitsMetadata(_ graphs: inout [Graph]) throws(TFLiteImportError) {
    guard let list = try r.vector(root, Schema.Model.metadata, "metadata", elementSize: 4) else { return }
    for m in 0..<list.count {
      let entry = try r.table(in: list, at: m, "Metadata")
      guard try r.string(entry, Schema.Metadata.name, "name") == PackedBitsMetadata.name else { continue }
      let what = "metadata '\(PackedBitsMetadata.name)'"
      let bufferIndex = Int(try r.scalar(entry, Schema.Metadata.buffer, "buffer", default: UInt32(0)))
      let bufferCount = buffers?.count ?? 0
      guard bufferIndex > 0, bufferIndex < bufferCount else {
        throw r.error(
          .indexOutOfRange, at: entry.position,
          "\(what) names buffer \(bufferIndex); the model has buffers 1..<\(bufferCount)")
      }
      let range = try bufferBytes(bufferIndex) ?? 0..<0
      let start = range.lowerBound
      func word(_ offset: Int) -> Int { Int(r.load(UInt32.self, at: start + offset)) }
      let header = PackedBitsMetadata.headerBytes
      guard range.count >= header else {
        throw r.error(
          .invalidModel, at: start,
          "\(what) (buffer \(bufferIndex)) has \(range.count) bytes; expected at least \(header) (version, entry count)")
      }
      let versions = PackedBitsMetadata.versions
      guard versions.contains(UInt32(word(0))) else {
        throw r.error(
          .unsupported, at: start,
          "\(what) has format version \(word(0)); expected \(versions.lowerBound)…\(versions.upperBound)")
      }
      let count = word(4)
      let size = PackedBitsMetadata.entryBytes(version: UInt32(word(0)))
      guard count <= (range.count - header) / size, range.count == header + count * size else {
        throw r.error(
          .invalidModel, at: start,
          "\(what) (buffer \(bufferIndex)) has \(range.count) bytes; \(count) entries need \(header) + \(count) × \(size) = \(header + count * size)")
      }
      var seen = Set<[Int]>()
      for i in 0..<count {
        let at = start + header + i * size
        let g = word(header + i * size)
        let t = word(header + i * size + 4)
        let bits = word(header + i * size + 8)
        let group = size >= 16 ? word(header + i * size + 12) : 0
        func fail(_ kind: TFLiteImportError.Kind, _ message: String) -> TFLiteImportError {
          r.error(kind, at: at, "\(what) entry \(i): \(message)")
        }
        guard g < graphs.count else {
          throw fail(
            .indexOutOfRange,
            "subgraph \(g) out of range; the model has \(graphs.count) subgraph\(graphs.count == 1 ? "" : "s")")
        }
        guard t < graphs[g].tensors.count else {
          throw fail(
            .indexOutOfRange,
            "tensor #\(t) out of range; \(g == 0 ? "the main graph" : "subgraph \(g)") has \(graphs[g].tensors.count) tensors")
        }
        guard seen.insert([g, t]).inserted, graphs[g].tensors[t].packedBits == nil else {
          throw fail(.invalidModel, "tensor #\(t) '\(graphs[g].tensors[t].name)' is already packed (listed twice, or INT4)")
        }
        var tensor = graphs[g].tensors[t]
        tensor.packedGroupSize = group > 0 ? group : nil
        if let problem = GraphVerifier.packingProblem(tensor, bits: bits) {
          throw fail(
            .invalidModel,
            "tensor #\(t) '\(tensor.name)' cannot be stored in \(bits) bits\(group > 0 ? " with groups of \(group)" : ""): \(problem)")
        }
        tensor.packedBits = bits
        graphs[g].tensors[t] = tensor
      }
    }
  }

  // MARK: Subgraphs

  mutating func readGraph(_ t: FlatBufferTable, index g: Int) throws(TFLiteImportError) -> Graph {
    var tensors: [Tensor] = []
    var dynamic: [(index: Int, signature: [Int])] = []
    if let v = try r.vector(t, Schema.SubGraph.tensors, "tensors", elementSize: 4) {
      tensors.reserveCapacity(v.count)
      for i in 0..<v.count {
        let table = try r.table(in: v, at: i, "Tensor")
        tensors.append(try readTensor(table, graph: g, index: i))
        if let signature = try r.int32s(table, Schema.Tensor.shapeSignature, "shape_signature"), signature.contains(-1) {
          dynamic.append((i, signature.map(Int.init)))
        }
      }
    }
    func ids(_ id: Int, _ name: StaticString) throws(TFLiteImportError) -> [TensorID] {
      let raw = try r.int32s(t, id, name) ?? []
      var out: [TensorID] = []
      out.reserveCapacity(raw.count)
      for (k, value) in raw.enumerated() {
        guard value >= 0 && Int(value) < tensors.count else {
          throw TFLiteImportError(
            .indexOutOfRange, source: source,
            "\(g == 0 ? "graph" : "subgraph \(g)") \(name) \(k) is tensor #\(value); the subgraph has \(tensors.count) tensors")
        }
        out.append(TensorID(Int(value)))
      }
      return out
    }
    let inputs = try ids(Schema.SubGraph.inputs, "input")
    for d in dynamic {
      tensors[d.index].declaredSignature = d.signature
      // Graph inputs keep their stored shape (the placeholder TFLite's runtime starts from) until
      // shape resolution gives them one; every other run-time-sized tensor is marked dynamic.
      if !inputs.contains(TensorID(d.index)) { tensors[d.index].shapeSignature = d.signature }
    }
    if firstDynamicTensor == nil, let d = dynamic.first(where: { !inputs.contains(TensorID($0.index)) }) {
      firstDynamicTensor = (g, d.index, tensors[d.index].name, d.signature)
    }
    let outputs = try ids(Schema.SubGraph.outputs, "output")
    var operators: [Operator] = []
    if let v = try r.vector(t, Schema.SubGraph.operators, "operators", elementSize: 4) {
      operators.reserveCapacity(v.count)
      for i in 0..<v.count {
        let table = try r.table(in: v, at: i, "Operator")
        if skipUnsupported {
          let codeIndex = Int(try r.scalar(table, Schema.Operator.opcodeIndex, "opcode_index", default: UInt32(0)))
          if codeIndex < operatorCodes.count, !Self.isSupported(operatorCodes[codeIndex]) {
            continue
          }
        }
        operators.append(try readOperator(table, graph: g, index: i, tensors: tensors))
      }
    }
    let name = try r.string(t, Schema.SubGraph.name, "name") ?? ""
    return Graph(name: name, tensors: tensors, operators: operators, inputs: inputs, outputs: outputs)
  }

  // MARK: Tensors

  mutating func readTensor(_ t: FlatBufferTable, graph g: Int, index i: Int) throws(TFLiteImportError) -> Tensor {
    let name = try r.string(t, Schema.Tensor.name, "name") ?? ""
    func fail(_ kind: TFLiteImportError.Kind, _ message: String) -> TFLiteImportError {
      TFLiteImportError(kind, source: source, at: .tensor(graph: g, index: i, name: name), message)
    }
    let rawShape = try r.int32s(t, Schema.Tensor.shape, "shape") ?? []
    let shape = rawShape.map(Int.init)
    var elements = 1
    for d in shape {
      guard d >= 0 else {
        throw fail(.unsupported, "dimension \(d) in shape \(shape); expected sizes ≥ 0 (dynamic shapes are not supported)")
      }
      let (product, overflow) = elements.multipliedReportingOverflow(by: d)
      guard !overflow, product <= Self.maxElementCount else {
        throw fail(.unsupported, "shape \(shape) has more than \(Self.maxElementCount) elements")
      }
      elements = product
    }
    let typeCode = try r.scalar(t, Schema.Tensor.type, "type", default: Int8(0))
    let isInt4 = typeCode == Schema.int4TypeCode
    guard let type = isInt4 ? .int8 : Schema.elementType(forTensorType: typeCode) else {
      throw fail(
        .unsupported,
        "type \(Schema.tensorTypeDescription(typeCode)) is not supported; expected FLOAT32, INT32, UINT8, INT64, BOOL, INT16, INT8, RESOURCE or (constant) INT4")
    }
    if try r.field(t, Schema.Tensor.sparsity, size: 4, "sparsity") != nil {
      throw fail(.unsupported, "sparse tensors are not supported")
    }
    let quantization = try readQuantization(t, fail: fail)
    let isVariable = try r.bool(t, Schema.Tensor.isVariable, "is_variable")
    let bufferIndex = Int(try r.scalar(t, Schema.Tensor.buffer, "buffer", default: UInt32(0)))
    var data: TensorData?
    if bufferIndex != 0 {
      let bufferCount = buffers?.count ?? 0
      guard bufferIndex < bufferCount else {
        throw fail(.indexOutOfRange, "buffer index \(bufferIndex) out of range; the model has \(bufferCount) buffers")
      }
      if let bytes = try bufferBytes(bufferIndex), !bytes.isEmpty {
        guard type != .resource else { throw fail(.invalidModel, "RESOURCE tensor has constant data (buffer \(bufferIndex))") }
        let needed = isInt4 ? PackedIntegers.byteCount(values: elements, bits: 4) : elements * type.byteWidth
        guard bytes.count == needed else {
          let what = isInt4 ? "INT4 (two values per byte)" : "\(type)"
          throw fail(.invalidModel, "buffer \(bufferIndex) has \(bytes.count) bytes; shape \(shape) of \(what) needs \(needed)")
        }
        // Shared buffers decode once, but each use counts against the budget, so a small file
        // cannot describe a model many times its size.
        try r.charge(elements, at: t.position)
        let key = BufferKey(buffer: bufferIndex, type: type, bits: isInt4 ? 4 : 8)
        let storage: TensorData.Storage
        if let cached = decoded[key] {
          storage = cached
        } else if isInt4 {
          guard let values = PackedIntegers.unpack(r.bytes[bytes], count: elements, bits: 4) else {
            preconditionFailure("INT4 buffer size was checked")
          }
          storage = .int8(values)
          decoded[key] = storage
        } else {
          storage = TensorData.Storage.decoding(r.bytes, bytes, as: type)
          decoded[key] = storage
        }
        data = TensorData(shape: shape, storage: storage)
      }
    }
    if isInt4 && data == nil {
      throw fail(.unsupported, "INT4 tensors are supported only as constant data (weights); this one has no buffer")
    }
    var tensor = Tensor(
      name: name, shape: shape, elementType: type, quantization: quantization, data: data, isVariable: isVariable)
    if isInt4 { tensor.packedBits = 4 }
    return tensor
  }

  func readQuantization(
    _ t: FlatBufferTable, fail: (TFLiteImportError.Kind, String) -> TFLiteImportError
  ) throws(TFLiteImportError) -> QuantizationParameters? {
    guard let q = try r.table(t, Schema.Tensor.quantization, "quantization", as: "QuantizationParameters") else {
      return nil
    }
    let details = try r.scalar(q, Schema.Quantization.detailsType, "details_type", default: UInt8(0))
    guard details == 0 else {
      throw fail(.unsupported, "custom quantization (details type \(details)) is not supported; expected scale and zero_point")
    }
    let scales = try r.float32s(q, Schema.Quantization.scale, "scale") ?? []
    let zeroPoints = try r.int64s(q, Schema.Quantization.zeroPoint, "zero_point") ?? []
    guard !(scales.isEmpty && zeroPoints.isEmpty) else { return nil }
    let dimension = try r.scalar(q, Schema.Quantization.quantizedDimension, "quantized_dimension", default: Int32(0))
    return QuantizationParameters(scales: scales, zeroPoints: zeroPoints, quantizedDimension: Int(dimension))
  }

  /// The byte range of buffer `index`'s data: the inline `data` vector, or for models over
  /// 2 GB the `offset`/`size` pair pointing past the FlatBuffer (an offset ≤ 1 means unused).
  func bufferBytes(_ index: Int) throws(TFLiteImportError) -> Range<Int>? {
    guard let buffers else { return nil }
    let b = try r.table(in: buffers, at: index, "Buffer")
    if let v = try r.vector(b, Schema.Buffer.data, "data", elementSize: 1), v.count > 0 {
      return v.start..<v.start + v.count
    }
    let offset = try r.scalar(b, Schema.Buffer.offset, "offset", default: UInt64(0))
    let size = try r.scalar(b, Schema.Buffer.size, "size", default: UInt64(0))
    guard offset > 1 else { return nil }
    guard offset <= UInt64(r.count), size <= UInt64(r.count) - offset else {
      throw r.error(
        .malformed, at: b.position,
        "buffer \(index) data at offset 0x\(String(offset, radix: 16)) (\(size) bytes) lies past the end of the file at \(FlatBufferReader.hex(r.count)) (truncated?)")
    }
    return Int(offset)..<Int(offset + size)
  }
}
