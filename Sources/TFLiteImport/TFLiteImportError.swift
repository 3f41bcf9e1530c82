import GraphIR
import Support

/// An error raised while reading or writing a `.tflite` file.
///
/// The description is one line naming the file, then the place — a byte offset, a tensor or an
/// operator — and what was expected:
///
/// ```
/// mobilenet.tflite@0x3f20: Tensor.shape vector of 9 × 4 bytes at 0x3f20 ends at 0x3f48, past the end of the file at 0x3f30 (truncated?)
/// mobilenet.tflite: tensor #5 'conv/weights': buffer 9 has 12 bytes; shape [2, 3] of int8 needs 6
/// mobilenet.tflite: unsupported: RESIZE_BILINEAR ×3 (builtin 23), LEAKY_RELU ×12 (builtin 98) (15 operators, the first op #36); docs/tflite-import.md lists the operators Systole supports
/// ```
///
/// When the graph verifier finds problems, all of them are listed: one problem stays on one
/// line; several follow a first line that names the file and the count, one per line.
public struct TFLiteImportError: SystoleError, Equatable {
  /// What kind of problem this is.
  public enum Kind: Sendable, Hashable {
    /// The file does not exist or cannot be read.
    case unreadable
    /// The bytes are not a TFLite model (wrong file identifier, unsupported schema version).
    case notTFLite
    /// The FlatBuffer structure is broken: an offset, vtable or vector runs outside the file.
    case malformed
    /// An index (buffer, tensor, operator code, subgraph) is out of range.
    case indexOutOfRange
    /// A tensor type, operator, option value or feature that Systole does not support.
    case unsupported
    /// The model is well formed but inconsistent (shapes, data sizes, quantization): the
    /// problems found by `GraphVerifier` or by the importer's own tensor checks.
    case invalidModel
  }

  /// Where in the model the problem is.
  public enum Location: Sendable, Hashable {
    /// The file as a whole.
    case file
    /// A byte offset from the start of the file.
    case byteOffset(Int)
    /// A tensor of subgraph `graph`.
    case tensor(graph: Int, index: Int, name: String)
    /// An operator of subgraph `graph`; `name` is its TFLite name when known, `output` the name
    /// of its first output tensor when known.
    case `operator`(graph: Int, index: Int, name: String?, output: String?)
  }

  /// What kind of problem this is.
  public var kind: Kind
  /// The file (or other source) the model came from, as given by the caller.
  public var source: String
  /// Where in the model.
  public var location: Location
  /// What is wrong and what was expected.
  public var message: String
  /// For ``Kind/invalidModel`` errors from the verifier: every problem it found.
  public var problems: [GraphProblem]
  /// For a model with operators Systole does not support: every kind, with counts (the
  /// message lists them all on one line).
  public var unsupportedOperators: [UnsupportedOperator] = []

  /// Creates an error.
  public init(
    _ kind: Kind, source: String, at location: Location = .file, _ message: String,
    problems: [GraphProblem] = []
  ) {
    self.kind = kind
    self.source = source
    self.location = location
    self.message = message
    self.problems = problems
  }

  /// `file@0xOFFSET: message`, `file: tensor #5 'w': message`, `file: op #3 CONV_2D 'y': message`.
  /// The one-line message (a verifier listing keeps its line breaks between problems). Names
  /// come from the file and may hold control characters; they are escaped (`\n`, `\u{1B}`), so
  /// a corrupt name cannot break the message over lines.
  public var description: String {
    let text = unescapedDescription
    guard text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else { return text }
    let listing = problems.count > 1
    return text.split(separator: "\n", omittingEmptySubsequences: false)
      .map { Self.escapingControlCharacters(String($0)) }
      .joined(separator: listing ? "\n" : "\\n")
  }

  /// `s` with every control character written as a Swift escape.
  static func escapingControlCharacters(_ s: String) -> String {
    var out = ""
    for scalar in s.unicodeScalars {
      switch scalar {
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      case _ where scalar.properties.generalCategory == .control:
        out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
      default: out.unicodeScalars.append(scalar)
      }
    }
    return out
  }

  private var unescapedDescription: String {
    switch location {
    case .file:
      return "\(source): \(message)"
    case .byteOffset(let offset):
      return "\(source)\(formatOffset(offset)): \(message)"
    case .tensor(let graph, let index, let name):
      return "\(source): \(Self.subgraphPrefix(graph))tensor #\(index) '\(shortName(name))': \(message)"
    case .operator(let graph, let index, let name, let output):
      var place = "\(Self.subgraphPrefix(graph))op #\(index)"
      // An operator whose kind is unknown reads as a sentence: `op #12 uses SPLIT ...`.
      guard let name else { return "\(source): \(place) \(message)" }
      place += " \(name)"
      if let output { place += " '\(shortName(output))'" }
      return "\(source): \(place): \(message)"
    }
  }

  static func subgraphPrefix(_ graph: Int) -> String { graph == 0 ? "" : "subgraph \(graph) " }
}

extension TFLiteImportError {
  /// The error for the problems the graph verifier found (at least one).
  /// `note`, when given, follows the problem (or the first line) in parentheses.
  static func verification(_ problems: [GraphProblem], source: String, note: String? = nil) -> TFLiteImportError {
    precondition(!problems.isEmpty, "verification error without problems")
    let suffix = note.map { " (\($0))" } ?? ""
    let message =
      problems.count == 1
      ? problems[0].description + suffix
      : "\(problems.count) problems found by the graph verifier\(suffix):\n"
        + problems.map { "  \($0.description)" }.joined(separator: "\n")
    return TFLiteImportError(.invalidModel, source: source, message, problems: problems)
  }
}
