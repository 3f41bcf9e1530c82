import Dispatch
import Foundation

/// How the functional executor splits its heaviest instructions (`matmul`, `activate`) across
/// cores.
///
/// An instruction's output pixels are cut into `workers` contiguous ranges, computed
/// concurrently by the calling thread and `WorkerPool`'s threads (at most one per core); every pixel writes only its own accumulator row (or unified-buffer bytes), so the
/// result is byte-identical to the serial loop whatever the worker count. Instructions whose
/// work per range would fall under ``minimumWorkPerWorker`` run serially: handing a few
/// microseconds of work to another thread costs more than it saves.
///
/// ```swift
/// var state = try MachineState(program: program)
/// state.parallelism = ExecutionParallelism(workers: 2)
/// ```
public struct ExecutionParallelism: Hashable, Sendable, CustomStringConvertible {
  /// Ranges an instruction is cut into at most (1: always serial). They run on at most one
  /// thread per core.
  public var workers: Int
  /// The least work per range worth another thread, in multiply-accumulates (an `activate`
  /// element counts as ``activateElementWork``).
  public var minimumWorkPerWorker: Int

  /// The default threshold: 16 Ki multiply-accumulates, about 8 µs of one core's work (a fork
  /// to awake `WorkerPool` threads costs about a microsecond).
  public static let defaultMinimumWorkPerWorker = 1 << 14
  /// The work one `activate` element (bias, rescale, clamp) counts as, in multiply-accumulates.
  public static let activateElementWork = 8

  /// A policy of `workers` ranges (clamped to at least 1) and the given threshold (at least 1).
  public init(workers: Int, minimumWorkPerWorker: Int = Self.defaultMinimumWorkPerWorker) {
    self.workers = max(1, workers)
    self.minimumWorkPerWorker = max(1, minimumWorkPerWorker)
  }

  /// One range: every instruction on the calling thread.
  public static let serial = ExecutionParallelism(workers: 1)

  /// One range per active processor of this machine.
  public static var automatic: ExecutionParallelism {
    ExecutionParallelism(workers: ProcessInfo.processInfo.activeProcessorCount)
  }

  /// `"2 workers"`, or `"serial"`.
  public var description: String { workers == 1 ? "serial" : "\(workers) workers" }

  /// How many ranges `items` items of `workPerItem` each are cut into: at most ``workers``,
  /// at most `items`, and few enough that each range has ``minimumWorkPerWorker``.
  public func parts(items: Int, workPerItem: Int) -> Int {
    guard workers > 1, items > 1 else { return 1 }
    let total = items.multipliedReportingOverflow(by: max(workPerItem, 1))
    let byWork = total.overflow ? Int.max : total.partialValue / minimumWorkPerWorker
    return max(1, min(workers, items, byWork))
  }

  /// Runs `kernel` over contiguous ranges covering `0..<items` exactly once each: one range on
  /// the calling thread when ``parts(items:workPerItem:)`` is 1, otherwise the ranges run
  /// concurrently on the calling thread and `WorkerPool`'s threads (Dispatch's when the pool is
  /// busy or unavailable).
  func forEachRange(items: Int, workPerItem: Int, kernel: some RangeKernel) {
    let n = parts(items: items, workPerItem: workPerItem)
    if n == 1 {
      kernel.run(range: 0..<items)
      return
    }
    if #available(macOS 15.0, iOS 18.0, watchOS 11.0, tvOS 18.0, visionOS 2.0, *),
      WorkerPool.shared.run(items: items, parts: n, kernel: kernel)
    {
      return
    }
    DispatchQueue.concurrentPerform(iterations: n) { part in
      kernel.run(range: items * part / n..<items * (part + 1) / n)
    }
  }
}
