import Support

/// An error from the compiler: a model it cannot compile for an architecture, or a program that
/// failed verification.
///
/// `description` is one line naming the operator and the numbers, e.g.
/// `op #3 CONV_2D 'conv1': smallest tile needs 9,216 B of unified buffer; toy-4x4 has 1,024 B`.
/// Operators the accelerator cannot run are not errors: they go to the host, with a reason in
/// the mapping report.
public struct LoweringError: SystoleError, Equatable {
  /// What kind of failure this is.
  public enum Kind: String, Sendable, Equatable {
    /// The graph verifier found problems, or an operator's shapes or quantization cannot be
    /// interpreted (the message says which).
    case invalidModel
    /// A single minimal tile needs more of a memory than the architecture has.
    case doesNotFit
    /// The architecture or options cannot host the model at all (e.g. an array with no rows).
    case unsupported
    /// The program the plan would emit, with the buffers its caller allocates for it, needs
    /// more memory than `MemoryBudget.limitBytes` (the message gives the estimate, the limit and
    /// what to change).
    case exceedsMemoryLimit
    /// The produced program failed `ProgramVerifier` (a compiler bug; the message lists the
    /// problems).
    case verification
  }

  /// What kind of failure this is.
  public var kind: Kind
  /// Where: `op #3 CONV_2D 'conv1'`, `model`, `program`.
  public var location: String
  /// What went wrong, with the numbers.
  public var message: String

  /// Creates an error.
  public init(_ kind: Kind, _ location: String, _ message: String) {
    self.kind = kind
    self.location = location
    self.message = message
  }

  /// `location: message`.
  public var description: String { location.isEmpty ? message : "\(location): \(message)" }
}

/// `9,216 B`: a byte count with thousands separators, for messages and reports.
func formatBytes(_ bytes: Int) -> String { "\(formatCount(bytes)) B" }

/// `9,216`: an integer with comma thousands separators.
func formatCount(_ value: Int) -> String {
  let digits = String(value.magnitude)
  var out = ""
  for (i, ch) in digits.enumerated() {
    if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
    out.append(ch)
  }
  return value < 0 ? "-" + out : out
}
