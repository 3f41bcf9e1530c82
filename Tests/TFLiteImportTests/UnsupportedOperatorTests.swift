import Foundation
import GraphIR
import Testing

@testable import TFLiteImport

/// Issue 14 part 4: a model with operators Systole does not support is refused with every
/// unsupported kind and its count in one line, and `parsePartially` still imports the rest.
@Suite struct UnsupportedOperatorTests {
  typealias S = TFLiteSchema

  /// A chain of unary int8 operators over one [1, 8] tensor, in `kinds` order.
  static func chain(_ kinds: [OpKind]) -> Model {
    let q = QuantizationParameters(scale: 0.1, zeroPoint: 0)
    let tensors = (0...kinds.count).map { Tensor(name: "t\($0)", shape: [1, 8], elementType: .int8, quantization: q) }
    let operators = kinds.enumerated().map { i, k in Operator(kind: k, inputs: [TensorID(i)], outputs: [TensorID(i + 1)]) }
    return Model(
      source: "chain",
      graphs: [
        Graph(
          name: "main", tensors: tensors, operators: operators, inputs: [TensorID(0)],
          outputs: [TensorID(kinds.count)])
      ])
  }

  /// RELU, RELU6 and LOGISTIC ops (operator codes 0, 1, 2 in first-use order) whose codes are
  /// then patched to REDUCE_MIN, a nameless custom op and CUMSUM (a code above 127): the expected counts are those of
  /// the kinds built, computed here, and the first unsupported op is the first op.
  @Test func everyUnsupportedKindIsCountedInOneLine() throws {
    let kinds: [OpKind] = [.relu, .relu6, .relu, .logistic, .relu6, .relu, .logistic, .relu]
    let model = Self.chain(kinds)
    var patcher = FieldPatcher(bytes: try TFLiteWriter.serialize(model))
    let replacements: [(OpKind, Int32)] = [(.relu, 89), (.relu6, S.Builtin.custom), (.logistic, 128)]
    for (code, (_, builtin)) in replacements.enumerated() {
      try patcher.set(["operator_codes", .element(code)], field: S.OperatorCode.builtinCode, to: builtin)
      try patcher.set(["operator_codes", .element(code)], field: S.OperatorCode.deprecatedBuiltinCode, to: Int8(min(builtin, 127)))
    }
    do {
      _ = try TFLiteImporter.parse(patcher.bytes, source: "gap.tflite")
      Issue.record("a model with unsupported operators imported")
    } catch {
      #expect(error.kind == .unsupported)
      let expected = replacements.map { kind, builtin in
        let count = kinds.filter { $0.tfliteName == kind.tfliteName }.count
        let positions = kinds.indices.filter { kinds[$0].tfliteName == kind.tfliteName }
        return (builtin, count, positions)
      }
      #expect(error.unsupportedOperators.map(\.builtin) == expected.map(\.0))
      #expect(error.unsupportedOperators.map(\.count) == expected.map(\.1))
      #expect(error.unsupportedOperators.map { $0.operators.map(\.index) } == expected.map(\.2))
      let listed = expected.map { builtin, count, _ in
        builtin == S.Builtin.custom
          ? "a custom op without a name ×\(count)" : "\(S.builtinNames[Int(builtin)]) ×\(count) (builtin \(builtin))"
      }
      #expect(
        error.description
          == "gap.tflite: unsupported: \(listed.joined(separator: ", ")) (\(kinds.count) operators, the first op #0); docs/tflite-import.md lists the operators Systole supports"
      )
      #expect(!error.description.contains("\n"))
    }
  }

  /// With only some operators unsupported, the partial import keeps every tensor and every
  /// supported operator, and maps each kept operator to its index in the file.
  @Test func partialImportKeepsTheRest() throws {
    let kinds: [OpKind] = [.relu, .relu6, .logistic, .relu6, .relu]
    var patcher = FieldPatcher(bytes: try TFLiteWriter.serialize(Self.chain(kinds)))
    // Operator code 1 is RELU6 (first used by op #1): make it REDUCE_MIN.
    try patcher.set(["operator_codes", .element(1)], field: S.OperatorCode.builtinCode, to: Int32(89))
    try patcher.set(["operator_codes", .element(1)], field: S.OperatorCode.deprecatedBuiltinCode, to: Int8(89))
    let partial = try TFLiteImporter.parsePartially(patcher.bytes, source: "gap.tflite")
    let gathers = kinds.indices.filter { kinds[$0].tfliteName == "RELU6" }
    #expect(partial.unsupported.map(\.name) == ["REDUCE_MIN"])
    #expect(partial.unsupported.first?.operators.map(\.index) == gathers)
    #expect(partial.mainOperatorIndices == kinds.indices.filter { !gathers.contains($0) })
    #expect(partial.model.main.operators.map(\.kind.tfliteName) == kinds.map(\.tfliteName).filter { $0 != "RELU6" })
    #expect(partial.model.main.tensors.count == kinds.count + 1)
    // A model without unsupported operators imports whole, verified, as `parse` does.
    let whole = try TFLiteImporter.parsePartially(try TFLiteWriter.serialize(Self.chain(kinds)), source: "ok.tflite")
    #expect(whole.unsupported.isEmpty)
    #expect(whole.mainOperatorIndices == Array(kinds.indices))
  }
}
