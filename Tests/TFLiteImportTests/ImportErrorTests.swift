import Foundation
import GraphIR
import Testing

@testable import TFLiteImport

/// Bad inputs and the full message each one produces.
@Suite struct ImportErrorTests {
  typealias S = TFLiteSchema

  /// A valid serialized conv model to mutate.
  static func convBytes() throws -> [UInt8] { try TFLiteWriter.serialize(Fixtures.conv()) }

  /// Parses `bytes` and returns the error's kind and description (`nil` when it parses).
  static func failure(_ bytes: [UInt8], source: String = "bad.tflite") -> (TFLiteImportError.Kind, String)? {
    do {
      _ = try TFLiteImporter.parse(bytes, source: source)
      return nil
    } catch {
      return (error.kind, error.description)
    }
  }

  struct Case: CustomTestStringConvertible, Sendable {
    var name: String
    var mutate: @Sendable ([UInt8]) throws -> [UInt8]
    var kind: TFLiteImportError.Kind
    var message: String
    var testDescription: String { name }
  }

  static func patched(_ body: @escaping @Sendable (inout FieldPatcher) throws -> Void) -> @Sendable ([UInt8]) throws -> [UInt8] {
    { bytes in
      var p = FieldPatcher(bytes: bytes)
      try body(&p)
      return p.bytes
    }
  }

  static let cases: [Case] = [
    Case(
      name: "wrong file identifier",
      mutate: { b in Array(b[0..<4]) + Array("ABCD".utf8) + Array(b[8...]) }, kind: .notTFLite,
      message: #"bad.tflite@0x4: file identifier is "ABCD"; expected "TFL3" (not a TFLite model?)"#),
    Case(
      name: "binary file identifier",
      mutate: { b in Array(b[0..<4]) + [0x00, 0x22, 0xff, 0x41] + Array(b[8...]) }, kind: .notTFLite,
      message: #"bad.tflite@0x4: file identifier is "\x00\x22\xffA"; expected "TFL3" (not a TFLite model?)"#),
    Case(
      name: "empty file", mutate: { _ in [] }, kind: .notTFLite,
      message: "bad.tflite@0x0: file is empty; expected a TFLite model"),
    Case(
      name: "three bytes", mutate: { b in Array(b[0..<3]) }, kind: .notTFLite,
      message: "bad.tflite@0x0: file is 3 bytes; a TFLite model needs at least 8 (truncated?)"),
    Case(
      name: "truncated inside the root table", mutate: { b in Array(b[0..<20]) }, kind: .malformed,
      message: "bad.tflite@0x18: Model table (4 bytes) runs past the end of the file at 0x14 (truncated?)"),
    Case(
      name: "truncated inside constant data", mutate: { b in Array(b[0..<(b.count - 3)]) }, kind: .malformed,
      message:
        "bad.tflite@0x3b0: Buffer.data vector of 8 × 1-byte elements (8 bytes) runs past the end of the file at 0x3b5 (truncated?)"),
    Case(
      name: "root offset past the end", mutate: { b in [0xff, 0xff, 0, 0] + Array(b[4...]) }, kind: .malformed,
      message: "bad.tflite@0xffff: Model table (4 bytes) runs past the end of the file at 0x3b8 (truncated?)"),
    Case(
      name: "schema version 2",
      mutate: patched { p in try p.set([], field: S.Model.version, to: UInt32(2)) }, kind: .notTFLite,
      message: "bad.tflite@0x1c: schema version 2; expected 3"),
    Case(
      name: "buffer index out of range",
      mutate: patched { p in try p.set(["subgraphs", 0, "tensors", 1], field: S.Tensor.buffer, to: UInt32(99)) },
      kind: .indexOutOfRange,
      message: "bad.tflite: tensor #1 'w': buffer index 99 out of range; the model has 3 buffers"),
    Case(
      name: "operator input tensor index out of range",
      mutate: patched { p in
        try p.setVectorElement(["subgraphs", 0, "operators", 0], field: S.Operator.inputs, element: 1, to: 42)
      },
      kind: .indexOutOfRange,
      message: "bad.tflite: op #0 CONV_2D 'y': input 1 is tensor #42; the subgraph has 4 tensors"),
    Case(
      name: "operator output tensor index −1",
      mutate: patched { p in
        try p.setVectorElement(["subgraphs", 0, "operators", 0], field: S.Operator.outputs, element: 0, to: -1)
      },
      kind: .indexOutOfRange,
      message: "bad.tflite: op #0 CONV_2D: output 0 is tensor #-1; the subgraph has 4 tensors"),
    Case(
      name: "graph input tensor index out of range",
      mutate: patched { p in try p.setVectorElement(["subgraphs", 0], field: S.SubGraph.inputs, element: 0, to: 4) },
      kind: .indexOutOfRange,
      message: "bad.tflite: graph input 0 is tensor #4; the subgraph has 4 tensors"),
    Case(
      name: "unsupported builtin op",
      mutate: patched { p in
        try p.set(["operator_codes", 0], field: S.OperatorCode.builtinCode, to: Int32(89))
        try p.set(["operator_codes", 0], field: S.OperatorCode.deprecatedBuiltinCode, to: Int8(89))
      },
      kind: .unsupported,
      message: "bad.tflite: unsupported: REDUCE_MIN ×1 (builtin 89) (1 operator, the first op #0); docs/tflite-import.md lists the operators Systole supports"),
    Case(
      name: "custom op",
      mutate: patched { p in
        try p.set(["operator_codes", 0], field: S.OperatorCode.builtinCode, to: Int32(32))
        try p.set(["operator_codes", 0], field: S.OperatorCode.deprecatedBuiltinCode, to: Int8(32))
      },
      kind: .unsupported,
      message: "bad.tflite: unsupported: a custom op without a name ×1 (1 operator, the first op #0); docs/tflite-import.md lists the operators Systole supports"),
    Case(
      name: "builtin code above 126 read from builtin_code",
      mutate: patched { p in
        try p.set(["operator_codes", 0], field: S.OperatorCode.builtinCode, to: Int32(128))
        try p.set(["operator_codes", 0], field: S.OperatorCode.deprecatedBuiltinCode, to: Int8(127))
      },
      kind: .unsupported,
      message: "bad.tflite: unsupported: CUMSUM ×1 (builtin 128) (1 operator, the first op #0); docs/tflite-import.md lists the operators Systole supports"),
    Case(
      name: "unknown builtin code",
      mutate: patched { p in
        try p.set(["operator_codes", 0], field: S.OperatorCode.builtinCode, to: Int32(1000))
      },
      kind: .unsupported,
      message: "bad.tflite: unsupported: builtin 1000 ×1 (1 operator, the first op #0); docs/tflite-import.md lists the operators Systole supports"),
    Case(
      name: "operator code index out of range",
      mutate: patched { p in try p.set(["subgraphs", 0, "operators", 0], field: S.Operator.opcodeIndex, to: UInt32(5)) },
      kind: .indexOutOfRange,
      message: "bad.tflite: op #0 uses operator code 5, but the model has 1 operator codes"),
    Case(
      name: "unsupported tensor type",
      mutate: patched { p in try p.set(["subgraphs", 0, "tensors", 3], field: S.Tensor.type, to: Int8(1)) },
      kind: .unsupported,
      message:
        "bad.tflite: tensor #3 'y': type FLOAT16 (1) is not supported; expected FLOAT32, INT32, UINT8, INT64, BOOL, INT16, INT8, RESOURCE or (constant) INT4"
    ),
    Case(
      name: "tensor type outside the schema",
      mutate: patched { p in try p.set(["subgraphs", 0, "tensors", 0], field: S.Tensor.type, to: Int8(-3)) },
      kind: .unsupported,
      message:
        "bad.tflite: tensor #0 'x': type type -3 is not supported; expected FLOAT32, INT32, UINT8, INT64, BOOL, INT16, INT8, RESOURCE or (constant) INT4"
    ),
    Case(
      name: "negative dimension",
      mutate: patched { p in try p.setVectorElement(["subgraphs", 0, "tensors", 3], field: S.Tensor.shape, element: 0, to: -1) },
      kind: .unsupported,
      message:
        "bad.tflite: tensor #3 'y': dimension -1 in shape [-1, 3, 3, 2]; expected sizes ≥ 0 (dynamic shapes are not supported)"
    ),
    Case(
      name: "huge shape",
      mutate: patched { p in
        for k in 0..<4 {
          try p.setVectorElement(["subgraphs", 0, "tensors", 0], field: S.Tensor.shape, element: k, to: 65536)
        }
      },
      kind: .unsupported,
      message: "bad.tflite: tensor #0 'x': shape [65536, 65536, 65536, 65536] has more than 2147483647 elements"),
    Case(
      name: "constant data size does not match the shape",
      mutate: patched { p in try p.setVectorElement(["subgraphs", 0, "tensors", 2], field: S.Tensor.shape, element: 0, to: 3) },
      kind: .invalidModel,
      message: "bad.tflite: tensor #2 'b': buffer 2 has 8 bytes; shape [3] of int32 needs 12"),
    Case(
      name: "padding outside the enum",
      mutate: patched { p in try p.set(["subgraphs", 0, "operators", 0, "builtin_options"], field: 0, to: Int8(2)) },
      kind: .malformed,
      message: "bad.tflite: op #0 CONV_2D 'y': padding 2; expected 0 (SAME) or 1 (VALID)"),
    Case(
      name: "activation outside the enum",
      mutate: patched { p in try p.set(["subgraphs", 0, "operators", 0, "builtin_options"], field: 3, to: Int8(9)) },
      kind: .malformed,
      message: "bad.tflite: op #0 CONV_2D 'y': fused activation 9; expected 0...5"),
    Case(
      name: "options of another op",
      mutate: patched { p in
        try p.set(["subgraphs", 0, "operators", 0], field: S.Operator.builtinOptionsType, to: UInt8(11))
      },
      kind: .malformed,
      message: "bad.tflite: op #0 CONV_2D 'y': builtin options have type 11 (AddOptions); expected 1 (Conv2DOptions)"),
    Case(
      name: "int8 weights with a non-zero zero point (from the verifier)",
      mutate: { _ in try TFLiteWriter.serialize(Fixtures.conv(weightZeroPoint: 3)) }, kind: .invalidModel,
      message: "bad.tflite: op #0 CONV_2D 'y': weight zero point 3; int8 weights must have zero point 0"),
    Case(
      name: "output shape mismatch (from the verifier)",
      mutate: { _ in try TFLiteWriter.serialize(Fixtures.conv(outputShape: [1, 4, 4, 2])) }, kind: .invalidModel,
      message:
        "bad.tflite: op #0 CONV_2D 'y': output shape [1, 4, 4, 2]; expected [1, 3, 3, 2] from the input shapes and options"),
    Case(
      name: "several verifier problems, one per line",
      mutate: { _ in try TFLiteWriter.serialize(Fixtures.conv(weightZeroPoint: 3, outputShape: [1, 4, 4, 2])) },
      kind: .invalidModel,
      message: """
        bad.tflite: 2 problems found by the graph verifier:
          op #0 CONV_2D 'y': output shape [1, 4, 4, 2]; expected [1, 3, 3, 2] from the input shapes and options
          op #0 CONV_2D 'y': weight zero point 3; int8 weights must have zero point 0
        """),
    Case(
      name: "no subgraphs",
      mutate: { _ in try TFLiteWriter.serialize(Model(source: "", graphs: [])) }, kind: .invalidModel,
      message: "bad.tflite: model has no subgraphs; expected at least one"),
  ]

  @Test(arguments: cases)
  func badInput(_ c: Case) throws {
    let bytes = try c.mutate(Self.convBytes())
    let result = try #require(Self.failure(bytes), "\(c.name): parsed without error")
    #expect(result.1 == c.message)
    #expect(result.0 == c.kind)
  }

  @Test func theUnmutatedFixtureParses() throws {
    #expect(Self.failure(try Self.convBytes()) == nil)
  }

  @Test func verifierErrorsCarryEveryProblem() throws {
    let bytes = try TFLiteWriter.serialize(Fixtures.conv(weightZeroPoint: 3, outputShape: [1, 4, 4, 2]))
    #expect(throws: TFLiteImportError.self) { try TFLiteImporter.parse(bytes, source: "m.tflite") }
    do {
      _ = try TFLiteImporter.parse(bytes, source: "m.tflite")
    } catch {
      #expect(error.problems.count == 2)
      #expect(error.problems.map(\.operatorIndex) == [0, 0])
    }
  }

  @Test func fileNotFound() {
    let url = URL(fileURLWithPath: "/nonexistent/dir/model.tflite")
    #expect(Self.loadFailure(url) == "/nonexistent/dir/model.tflite: file not found")
  }

  @Test func directoryInsteadOfFile() {
    let url = URL(fileURLWithPath: NSTemporaryDirectory())
    #expect(Self.loadFailure(url) == "\(url.relativePath): is a directory; expected a .tflite file")
  }

  @Test func unreadableFile() throws {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("systole-unreadable-\(UInt64.random(in: 0...UInt64.max)).tflite")
    try Self.convBytes().withUnsafeBufferPointer { try Data(buffer: $0).write(to: url) }
    defer { try? FileManager.default.removeItem(at: url) }
    try FileManager.default.setAttributes([.posixPermissions: 0o000], ofItemAtPath: url.path)
    guard !FileManager.default.isReadableFile(atPath: url.path) else {
      // Running as root: permissions do not apply, so the file loads.
      #expect(try TFLiteImporter.load(contentsOf: url).main.operators.count == 1)
      return
    }
    let message = try #require(Self.loadFailure(url))
    #expect(message.hasPrefix("\(url.relativePath): cannot read the file ("))
  }

  @Test func loadReadsAFile() throws {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("systole-load-\(UInt64.random(in: 0...UInt64.max)).tflite")
    try Self.convBytes().withUnsafeBufferPointer { try Data(buffer: $0).write(to: url) }
    defer { try? FileManager.default.removeItem(at: url) }
    let model = try TFLiteImporter.load(contentsOf: url)
    #expect(model.source == url.relativePath)
    #expect(model.main.operators.map(\.kind.tfliteName) == ["CONV_2D"])
  }

  static func loadFailure(_ url: URL) -> String? {
    do {
      _ = try TFLiteImporter.load(contentsOf: url)
      return nil
    } catch {
      #expect(error.kind == .unreadable)
      return error.description
    }
  }
}
