import Foundation
import Lowering

/// `--max-memory SIZE` of every command that compiles (`compile`, `run`, `sweep`, `demo`,
/// `validate`): the memory a compiled program and what runs it may take, checked against the
/// compiler's estimate before anything is allocated in proportion to the program
/// (`MemoryBudget`, `docs/cli.md` § Guarantees).
enum MemoryLimitOption {
  /// The option's declaration.
  static let spec = OptionSpec(
    name: "max-memory", kind: .value(placeholder: "SIZE", repeats: false),
    help: "Refuse programs estimated above SIZE (e.g. 8G, 512M, bytes; default half of physical memory).")

  /// The default limit: half of physical memory.
  static var defaultBytes: Int { Int(clamping: ProcessInfo.processInfo.physicalMemory / 2) }

  /// The largest accepted value (1 EiB: beyond any machine, far from overflow).
  static let maximumBytes = 1 << 60

  /// The budget `--max-memory` (or its default) sets.
  static func budget(_ args: ParsedArguments, command: String) throws(UsageError) -> MemoryBudget {
    guard let text = args.value("max-memory") else { return MemoryBudget(limitBytes: defaultBytes) }
    guard let bytes = parseSize(text) else {
      let shown = text.count > 40 ? String(text.prefix(40)) + "…" : text
      throw UsageError(
        "option '--max-memory' expects a size from 1 byte to 1E, as bytes or with a K, M, G or T suffix (powers of 1024, e.g. 8G, 512M); got '\(shown)'",
        command: command)
    }
    return MemoryBudget(limitBytes: bytes)
  }

  /// `8G` → 8 × 2³⁰, `512M`, `1.5G`, `4096`, `64KiB`, `2GB`: a positive number of bytes with an
  /// optional binary suffix; nil for anything else, zero, or more than `maximumBytes`.
  static func parseSize(_ text: String) -> Int? {
    var digits = Substring(text)
    var scale = 1.0
    let suffixes: [(String, Double)] = [
      ("KIB", 0x1p10), ("MIB", 0x1p20), ("GIB", 0x1p30), ("TIB", 0x1p40), ("EIB", 0x1p60),
      ("KB", 0x1p10), ("MB", 0x1p20), ("GB", 0x1p30), ("TB", 0x1p40), ("EB", 0x1p60),
      ("K", 0x1p10), ("M", 0x1p20), ("G", 0x1p30), ("T", 0x1p40), ("E", 0x1p60), ("B", 1),
    ]
    for (suffix, value) in suffixes where digits.uppercased().hasSuffix(suffix) {
      digits = digits.dropLast(suffix.count)
      scale = value
      break
    }
    guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
      digits.filter({ $0 == "." }).count <= 1, let number = Double(digits), number.isFinite
    else { return nil }
    let bytes = (number * scale).rounded(.down)
    guard bytes >= 1, bytes <= Double(maximumBytes) else { return nil }
    return Int(bytes)
  }
}
