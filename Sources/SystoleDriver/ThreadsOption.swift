import TileISA

/// `--threads N` of `run` and `bench`: how many cores functional simulation splits its `matmul`
/// and `activate` instructions across (outputs never depend on it).
enum ThreadsOption {
  /// The option's declaration.
  static let spec = OptionSpec(
    name: "threads", kind: .value(placeholder: "N", repeats: false),
    help: "Cores for functional execution (default: every active processor).")

  /// The largest accepted value.
  static let maximum = 1024

  /// The parallelism `--threads` asks for, nil when it is absent.
  static func parse(_ args: ParsedArguments, command: String) throws(UsageError) -> ExecutionParallelism? {
    guard let text = args.value("threads") else { return nil }
    guard let n = Int(text), (1...maximum).contains(n) else {
      throw UsageError("option '--threads' expects an integer in 1...\(maximum); got '\(text)'", command: command)
    }
    return ExecutionParallelism(workers: n)
  }
}
