import Support

/// One thing wrong with an architecture: the parameter key it concerns and what is wrong.
public struct ArchProblem: Sendable, Hashable, CustomStringConvertible {
  /// The dotted key of the parameter at fault (`ub.banks`).
  public var key: String
  /// What is wrong, with the numbers: `3 banks do not divide 256 KiB (262144 bytes) evenly`.
  public var message: String

  /// Creates a problem.
  public init(key: String, message: String) {
    self.key = key
    self.message = message
  }

  /// `key: message`.
  public var description: String { "\(key): \(message)" }
}

extension ArchSpec {
  /// Every problem with this spec, all at once, in parameter-table order (empty when valid).
  ///
  /// First each parameter is checked against its kind and range (positive counts up to their
  /// maximum, finite numbers within the physically plausible ranges of `ArchRange`, whole-byte
  /// capacities, known names, a name of at most `maximumNameLength` characters). Then the cross-parameter rules,
  /// skipping any whose inputs already failed:
  /// - `array.weight_load_rows_per_cycle ≤ array.rows`;
  /// - each memory's banks divide its capacity in bytes;
  /// - the unified buffer holds one input row (`rows × elementBytes`);
  /// - the weight buffer holds one weight tile (`rows × cols × elementBytes`);
  /// - the accumulator holds one row of `cols` 4-byte partial sums;
  /// - SRAM energy does not fall as capacity grows (8 KiB ≤ 32 KiB ≤ 1 MiB points).
  public func validate() -> [ArchProblem] {
    var problems: [ArchProblem] = []
    var failed: Set<String> = []
    for parameter in ArchSpec.parameters {
      let value = parameter.read(self)
      if case .failure(let mismatch) = parameter.kind.accept(value) {
        problems.append(
          ArchProblem(key: parameter.key, message: mismatch.message(got: quotedIfText(value))))
        failed.insert(parameter.key)
      }
    }
    func ok(_ keys: String...) -> Bool { keys.allSatisfy { !failed.contains($0) } }
    let datapathName = datapath.rawValue

    if ok("array.rows", "array.weight_load_rows_per_cycle"), array.weightLoadRowsPerCycle > array.rows {
      problems.append(
        ArchProblem(
          key: "array.weight_load_rows_per_cycle",
          message: "\(array.weightLoadRowsPerCycle) exceeds array.rows (\(array.rows))"))
    }
    for (name, memory) in [("ub", ub), ("weights", weights), ("acc", acc)] {
      guard ok("\(name).kib", "\(name).banks") else { continue }
      if memory.capacity.count % Int64(memory.banks) != 0 {
        problems.append(
          ArchProblem(
            key: "\(name).banks",
            message: "\(memory.banks) banks do not divide \(kib(memory.capacity.count)) "
              + "(\(memory.capacity.count) bytes) evenly"))
      }
    }
    if ok("ub.kib", "array.rows") {
      let rowBytes = Int64(array.rows * elementBytes)
      if ub.capacity.count < rowBytes {
        problems.append(
          ArchProblem(
            key: "ub.kib",
            message: "\(kib(ub.capacity.count)) is smaller than one \(array.rows)-element "
              + "\(datapathName) input row (\(kib(rowBytes)))"))
      }
    }
    if ok("weights.kib", "array.rows", "array.cols") {
      let tileBytes = Int64(weightTileBytes)
      if weights.capacity.count < tileBytes {
        problems.append(
          ArchProblem(
            key: "weights.kib",
            message: "\(kib(weights.capacity.count)) is smaller than one \(array.rows)×\(array.cols) "
              + "\(datapathName) weight tile (\(kib(tileBytes)))"))
      }
    }
    if ok("acc.kib", "array.cols") {
      let rowBytes = Int64(array.cols * datapath.accumulatorElementBytes)
      if acc.capacity.count < rowBytes {
        problems.append(
          ArchProblem(
            key: "acc.kib",
            message: "\(kib(acc.capacity.count)) holds no full accumulator row "
              + "(array.cols \(array.cols) × 4 bytes = \(kib(rowBytes)))"))
      }
    }
    let curve = [
      ("energy.sram_8kib_pj_per_64b", energy.sram8KiBAccess.value),
      ("energy.sram_32kib_pj_per_64b", energy.sram32KiBAccess.value),
      ("energy.sram_1mib_pj_per_64b", energy.sram1MiBAccess.value),
    ]
    for i in 1..<curve.count where ok(curve[i - 1].0, curve[i].0) && curve[i].1 < curve[i - 1].1 {
      problems.append(
        ArchProblem(
          key: curve[i].0,
          message: "\(ArchValue.numberText(curve[i].1)) pJ is less than \(curve[i - 1].0) "
            + "(\(ArchValue.numberText(curve[i - 1].1)) pJ); SRAM energy must not fall as capacity grows"))
    }
    return problems
  }

  /// This spec if `validate()` finds nothing; otherwise throws `ArchError` of kind
  /// `.invalidSpec` carrying every problem.
  ///
  /// The message lists the problems separated by `; `, each followed by where its value came
  /// from when that was a file or `--set`.
  public func validated() throws(ArchError) -> ArchSpec {
    let problems = validate()
    if problems.isEmpty { return self }
    let text = problems.map { problem -> String in
      switch origins[problem.key] {
      case .file(let path)?: "\(problem) (from \(path))"
      case .commandLine(let text)?: "\(problem) (from --set \(text))"
      default: problem.description
      }
    }
    throw ArchError(
      .invalidSpec, "architecture '\(name)'",
      "\(problems.count) problem\(problems.count == 1 ? "" : "s"): " + text.joined(separator: "; "),
      problems: problems)
  }
}

/// `256 KiB`, `0.25 KiB`: a byte count in KiB, exact.
func kib(_ bytes: Int64) -> String { "\(ArchValue.numberText(Double(bytes) / 1024)) KiB" }

/// A value as messages show it: text in double quotes (cut to 40 characters, so a huge value
/// cannot flood a one-line message), everything else bare.
func quotedIfText(_ value: ArchValue) -> String {
  if case .text(let s) = value { return JSONValue.string(s).shortDescription }
  return value.description
}
