import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Receives progress of a sweep. The runner serializes the calls (never two at once), but they
/// come from worker threads.
public protocol SweepProgress: Sendable {
  /// The sweep will run `evaluations` distinct evaluations for `rows` rows (after resume and
  /// deduplication).
  func sweepStarted(evaluations: Int, rows: Int)
  /// One more evaluation finished (`completed` of `total`); `label` names its model.
  func evaluationFinished(completed: Int, total: Int, label: String)
  /// Every evaluation finished.
  func sweepFinished()
}

/// A progress bar with ETA, redrawn in place on a terminal:
/// `[##########··········] 12/40  30%  ETA 1m05s  mobilenet-v1`.
///
/// Writes through `write` (stderr by default). The ETA is wall-clock time (elapsed × remaining
/// ÷ completed); it is a display, never a result. `TerminalProgressBar.standardError()` returns
/// `nil` when stderr is not a terminal.
public final class TerminalProgressBar: SweepProgress, @unchecked Sendable {
  private let lock = NSLock()
  private let width: Int
  private let write: @Sendable (String) -> Void
  private let now: @Sendable () -> Double
  private var start = 0.0

  /// Creates a bar of `width` cells writing with `write`, reading seconds from `now`.
  public init(
    width: Int = 30, write: @escaping @Sendable (String) -> Void,
    now: @escaping @Sendable () -> Double = { Date().timeIntervalSinceReferenceDate }
  ) {
    self.width = width
    self.write = write
    self.now = now
  }

  /// A bar on stderr if stderr is a terminal, else `nil`.
  public static func standardError() -> TerminalProgressBar? {
    guard isatty(2) != 0 else { return nil }
    return TerminalProgressBar(write: { FileHandle.standardError.write(Data($0.utf8)) })
  }

  /// Starts the clock and draws an empty bar.
  public func sweepStarted(evaluations: Int, rows: Int) {
    lock.withLock { start = now() }
    write(TerminalProgressBar.line(completed: 0, total: evaluations, elapsed: 0, label: "", width: width))
  }

  /// Redraws the bar.
  public func evaluationFinished(completed: Int, total: Int, label: String) {
    let elapsed = lock.withLock { now() - start }
    write(TerminalProgressBar.line(completed: completed, total: total, elapsed: elapsed, label: label, width: width))
  }

  /// Ends the line.
  public func sweepFinished() { write("\n") }

  /// One frame: `\r[###···] 3/10  30%  ETA 7s  label`, cleared to the end of the line.
  public static func line(completed: Int, total: Int, elapsed: Double, label: String, width: Int) -> String {
    let fraction = total > 0 ? Double(completed) / Double(total) : 1
    let filled = min(width, Int((fraction * Double(width)).rounded(.down)))
    let bar = String(repeating: "#", count: filled) + String(repeating: "·", count: width - filled)
    var eta = "ETA --"
    if completed > 0 && completed < total {
      eta = "ETA " + duration(elapsed * Double(total - completed) / Double(completed))
    } else if completed >= total {
      eta = "done in " + duration(elapsed)
    }
    let percent = Int((fraction * 100).rounded(.down))
    return "\r[\(bar)] \(completed)/\(total) \(percent)%  \(eta)  \(label)\u{1B}[K"
  }

  /// `7s`, `1m05s`, `2h03m`.
  static func duration(_ seconds: Double) -> String {
    let s = max(0, Int(seconds.rounded()))
    if s < 60 { return "\(s)s" }
    if s < 3600 { return "\(s / 60)m" + String(format: "%02ds", s % 60) }
    return "\(s / 3600)h" + String(format: "%02dm", (s % 3600) / 60)
  }
}
