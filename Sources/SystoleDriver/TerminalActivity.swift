import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A one-line progress indicator on stderr for long compiles and runs:
/// `compiling zoo:resnet50 for tpu-v1: simulating… 3s`, redrawn in place twice a second from
/// one second after the start, and erased when the work ends.
///
/// Only when stderr is a terminal (`standardError(_:)` returns nil otherwise), so pipes, files
/// and tests never see it. Elapsed time is wall-clock time, a display only.
final class TerminalActivity: @unchecked Sendable {
  private let lock = NSLock()
  private let label: String
  private var phase: String
  private let start = Date()
  private var drawn = false
  private var timer: (any DispatchSourceTimer)?

  private init(label: String, phase: String) {
    self.label = label
    self.phase = phase
  }

  /// An indicator for `label` (starting in `phase`) if stderr is a terminal, else nil.
  static func standardError(_ label: String, phase: String) -> TerminalActivity? {
    guard isatty(2) != 0 else { return nil }
    let activity = TerminalActivity(label: label, phase: phase)
    let timer = DispatchSource.makeTimerSource(queue: DispatchQueue.global(qos: .utility))
    timer.schedule(deadline: .now() + 1, repeating: 0.5)
    timer.setEventHandler { [weak activity] in activity?.draw() }
    activity.timer = timer
    timer.resume()
    return activity
  }

  /// Names what is being done now (`simulating`).
  func update(_ phase: String) { lock.withLock { self.phase = phase } }

  /// Stops redrawing and erases the line if it was drawn.
  func finish() {
    lock.withLock {
      timer?.cancel()
      timer = nil
      if drawn { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
      drawn = false
    }
  }

  private func draw() {
    lock.withLock {
      guard timer != nil else { return }
      let seconds = Int(Date().timeIntervalSince(start))
      FileHandle.standardError.write(Data("\r\(label): \(phase)… \(seconds)s\u{1B}[K".utf8))
      drawn = true
    }
  }

  /// Runs `body` with an indicator (when stderr is a terminal), erasing it however `body` ends.
  static func run<T>(
    _ label: String, phase: String, _ body: ((@Sendable (String) -> Void)?) throws -> T
  ) rethrows -> T {
    let activity = standardError(label, phase: phase)
    defer { activity?.finish() }
    var progress: (@Sendable (String) -> Void)?
    if let activity { progress = { activity.update($0) } }
    return try body(progress)
  }
}
