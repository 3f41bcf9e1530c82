import Support
import TileISA

/// How much detail a trace holds.
public enum TraceLevel: String, CaseIterable, Sendable, Hashable, CustomStringConvertible {
  /// The layers track, the array-state track and the counter tracks only: small for any run.
  case layer
  /// Everything: also one slice per instruction on its unit's track.
  case instruction

  /// The name used on the command line and in `otherData.level`.
  public var description: String { rawValue }
}

/// Volume control for `PerfettoTraceWriter`: the level of detail, a cycle window and a layer
/// range.
///
/// A slice is written when it overlaps the window (`start < window.upperBound` and
/// `end > window.lowerBound`; zero-length slices when `start` is inside) and, with a layer
/// range, when its instruction's layer is in the range (untagged instructions are then left
/// out). Slices are written whole, never clipped. Counter samples cover the window only.
public struct TraceOptions: Sendable, Hashable {
  /// The level of detail.
  public var level: TraceLevel
  /// Only cycles in this window (nil: the whole run).
  public var cycleWindow: Range<Int64>?
  /// Only these layers (nil: all, and untagged instructions too).
  public var layerRange: ClosedRange<Int>?
  /// At most this many samples per counter track (consecutive equal samples are merged).
  public var maxCounterSamples: Int

  /// Creates options; the default is the whole run at instruction level.
  public init(
    level: TraceLevel = .instruction, cycleWindow: Range<Int64>? = nil, layerRange: ClosedRange<Int>? = nil,
    maxCounterSamples: Int = 500
  ) {
    self.level = level
    self.cycleWindow = cycleWindow
    self.layerRange = layerRange
    self.maxCounterSamples = max(1, maxCounterSamples)
  }

  /// True when nothing is filtered out: every instruction that ran is in the trace.
  public var isComplete: Bool { level == .instruction && cycleWindow == nil && layerRange == nil }

  /// Parses a level: `layer` or `instruction`.
  public static func parseLevel(_ text: String, option: String = "--trace-level") throws(TraceError) -> TraceLevel {
    guard let level = TraceLevel(rawValue: text) else {
      throw TraceError(.badOption, "\(option) '\(text)'", "expected 'layer' or 'instruction'")
    }
    return level
  }

  /// Parses a cycle window `START:END` (cycles, END exclusive and after START); either side may
  /// be empty (`:5000` from cycle 0, `1000:` to the end of the run).
  public static func parseCycleWindow(_ text: String, option: String = "--trace-window") throws(TraceError)
    -> Range<Int64>
  {
    let parts = text.split(separator: ":", omittingEmptySubsequences: false)
    let location = "\(option) '\(text)'"
    guard parts.count == 2 else { throw TraceError(.badOption, location, "expected START:END in cycles, e.g. 1000:5000") }
    func number(_ s: Substring, _ fallback: Int64) throws(TraceError) -> Int64 {
      if s.isEmpty { return fallback }
      guard let n = Int64(s), n >= 0 else {
        throw TraceError(.badOption, location, "'\(s)' is not a non-negative cycle count")
      }
      return n
    }
    let start = try number(parts[0], 0)
    let end = try number(parts[1], Int64.max)
    guard end > start else { throw TraceError(.badOption, location, "the end \(end) is not after the start \(start)") }
    return start..<end
  }

  /// Parses a layer range `FIRST-LAST` (inclusive, layer indices from 0) or a single index.
  public static func parseLayerRange(_ text: String, option: String = "--trace-layers") throws(TraceError)
    -> ClosedRange<Int>
  {
    let parts = text.split(separator: "-", omittingEmptySubsequences: false)
    let location = "\(option) '\(text)'"
    guard parts.count == 1 || parts.count == 2, let first = Int(parts[0]), first >= 0 else {
      throw TraceError(.badOption, location, "expected a layer index or FIRST-LAST, e.g. 3-7")
    }
    let last: Int
    if parts.count == 2 {
      guard let l = Int(parts[1]), l >= 0 else {
        throw TraceError(.badOption, location, "expected a layer index or FIRST-LAST, e.g. 3-7")
      }
      last = l
    } else {
      last = first
    }
    guard last >= first else { throw TraceError(.badOption, location, "the last layer \(last) is before the first \(first)") }
    return first...last
  }

  /// An estimate of the trace's size in bytes, before the run, for the CLI to print.
  ///
  /// Counts what the writer emits per instruction (≈ 450 bytes at instruction level: its slice
  /// with its args, and array-state slices), per layer (≈ 1,400 bytes: its slice and its
  /// `otherData` figures) and per sample of the five counters; with a cycle window it assumes
  /// every instruction is inside, so it is an upper bound then.
  public func estimatedBytes(program: TileProgram) -> Int {
    let layerCount = program.layers.count
    var instructions = 0
    for instruction in program.instructions {
      if let range = layerRange {
        guard let layer = instruction.layer?.value, range.contains(layer) else { continue }
      }
      instructions += 1
      if case .finish = instruction.operation { break }
    }
    let perInstruction = level == .instruction ? 450 : 40
    let counters = TraceCounter.allCases.count * min(maxCounterSamples + 1, 2 * instructions + 2) * 90
    return 3_000 + layerCount * 1_400 + instructions * perInstruction + counters
  }
}
