import GraphIR
import Support

/// One kind of operator a model uses that Systole does not support, with how often and where it
/// first occurs: the whole gap of a model at once (issue 14), not one operator per attempt.
public struct UnsupportedOperator: Sendable, Hashable, CustomStringConvertible {
  /// The TFLite builtin code (`BuiltinOperator`; 32 for custom operators).
  public var builtin: Int32
  /// A custom operator's `custom_code` (`TFLite_Detection_PostProcess`); nil for builtins.
  public var customCode: String?
  /// How many operators of the model (all subgraphs) use it.
  public var count: Int
  /// The first such operator: its subgraph and index.
  public var firstGraph: Int
  public var firstIndex: Int
  /// The operator indices (subgraph, index) that use it, in model order.
  public var operators: [OperatorPosition]

  /// An operator's place in the model.
  public struct OperatorPosition: Sendable, Hashable {
    public var graph: Int
    public var index: Int
  }

  /// The name a user knows it by: `GATHER`, the custom code, or `builtin 1000` for a code
  /// beyond the schema Systole reads.
  public var name: String {
    if builtin == TFLiteSchema.Builtin.custom { return customCode ?? "a custom op without a name" }
    return builtin >= 0 && Int(builtin) < TFLiteSchema.builtinNames.count
      ? TFLiteSchema.builtinNames[Int(builtin)] : "builtin \(builtin)"
  }

  /// `GATHER ×3 (builtin 36)`, `custom op 'TFLite_Detection_PostProcess' ×1`, `builtin 1000 ×2`.
  public var description: String {
    if builtin == TFLiteSchema.Builtin.custom {
      let shown = customCode.map { "custom op '\(shortName($0))'" } ?? "a custom op without a name"
      return "\(shown) ×\(count)"
    }
    let known = builtin >= 0 && Int(builtin) < TFLiteSchema.builtinNames.count
    return known ? "\(name) ×\(count) (builtin \(builtin))" : "\(name) ×\(count)"
  }

  /// `GATHER ×3 (builtin 36), GELU ×12 (builtin 150), …; first at op #36`: every entry of
  /// `list` (in order of first use) and where the first unsupported operator is.
  public static func summary(_ list: [UnsupportedOperator]) -> String {
    guard let first = list.min(by: { ($0.firstGraph, $0.firstIndex) < ($1.firstGraph, $1.firstIndex) }) else {
      return ""
    }
    let total = list.reduce(0) { $0 + $1.count }
    let place = "\(TFLiteImportError.subgraphPrefix(first.firstGraph))op #\(first.firstIndex)"
    return list.map(\.description).joined(separator: ", ")
      + " (\(total) operator\(total == 1 ? "" : "s"), the first \(place))"
  }
}

extension ModelReader {
  /// Every operator kind of the model (all subgraphs) that `supportedBuiltins` lacks, in order of
  /// first use, with counts. Reads only each operator's `opcode_index`; an index out of range is
  /// left for `readOperator` to report.
  func unsupportedOperators() throws(TFLiteImportError) -> [UnsupportedOperator] {
    guard let subgraphs = try r.vector(root, Schema.Model.subgraphs, "subgraphs", elementSize: 4) else { return [] }
    var found: [UnsupportedOperator] = []
    var slot: [Int: Int] = [:]  // operator-code index → entry of `found`
    var byKind: [String: Int] = [:]  // distinct codes with the same builtin/custom name share an entry
    for g in 0..<subgraphs.count {
      let graph = try r.table(in: subgraphs, at: g, "SubGraph")
      guard let ops = try r.vector(graph, Schema.SubGraph.operators, "operators", elementSize: 4) else { continue }
      for i in 0..<ops.count {
        let op = try r.table(in: ops, at: i, "Operator")
        let codeIndex = Int(try r.scalar(op, Schema.Operator.opcodeIndex, "opcode_index", default: UInt32(0)))
        guard codeIndex < operatorCodes.count else { continue }
        let code = operatorCodes[codeIndex]
        guard !Self.isSupported(code) else { continue }  // issue 14: detection (custom codes)
        let position = UnsupportedOperator.OperatorPosition(graph: g, index: i)
        if let k = slot[codeIndex] {
          found[k].count += 1
          found[k].operators.append(position)
          continue
        }
        let key = code.builtin == Schema.Builtin.custom ? "custom:\(code.customName ?? "")" : "builtin:\(code.builtin)"
        if let k = byKind[key] {
          slot[codeIndex] = k
          found[k].count += 1
          found[k].operators.append(position)
          continue
        }
        byKind[key] = found.count
        slot[codeIndex] = found.count
        found.append(
          UnsupportedOperator(
            builtin: code.builtin, customCode: code.builtin == Schema.Builtin.custom ? code.customName : nil, count: 1,
            firstGraph: g, firstIndex: i, operators: [position]))
      }
    }
    return found
  }
}

extension TFLiteImportError {
  /// The error for a model that uses operators Systole does not support: one line naming every
  /// kind with its count, the list in `unsupportedOperators`.
  public static func forUnsupportedOperators(_ list: [UnsupportedOperator], source: String) -> TFLiteImportError {
    var error = TFLiteImportError(
      .unsupported, source: source,
      "unsupported: \(UnsupportedOperator.summary(list)); docs/tflite-import.md lists the operators Systole supports"
    )
    error.unsupportedOperators = list
    return error
  }
}

/// A model imported with its unsupported operators left out, for `inspect`: every tensor and
/// every supported operator, and what was left out.
public struct PartialImport: Sendable {
  /// The model without the unsupported operators (not verified: their outputs have no producer).
  public var model: Model
  /// What was left out, in order of first use (empty when the whole model imported).
  public var unsupported: [UnsupportedOperator]
  /// For each operator of `model.main`, its index in the file's main graph (the indices of the
  /// operators left out are missing).
  public var mainOperatorIndices: [Int]
}

extension TFLiteImporter {
  /// Imports what can be imported of a model: every tensor and supported operator, leaving out
  /// the operators Systole does not support (listed in the result). Other problems (a malformed
  /// file, a bad tensor, a supported operator with bad options) throw as `parse` does; a model
  /// without unsupported operators is verified as `parse` verifies it.
  public static func parsePartially(_ bytes: [UInt8], source: String) throws(TFLiteImportError) -> PartialImport {
    var reader = try ModelReader(bytes, source: source)
    reader.skipUnsupported = true
    let unsupported = try reader.unsupportedOperators()
    let model = try reader.read()
    if unsupported.isEmpty {
      let problems = GraphVerifier.verify(model)
      guard problems.isEmpty else { throw .verification(problems, source: source, note: reader.dynamicShapeNote) }
    }
    let skipped = Set(unsupported.flatMap(\.operators).filter { $0.graph == 0 }.map(\.index))
    var kept: [Int] = []
    var index = 0
    while kept.count < model.main.operators.count {
      if !skipped.contains(index) { kept.append(index) }
      index += 1
    }
    return PartialImport(model: model, unsupported: unsupported, mainOperatorIndices: kept)
  }
}
