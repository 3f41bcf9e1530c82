import Dispatch
import Foundation
import Synchronization

/// Work over a range of items that `ExecutionParallelism` may split into parts run on several
/// threads; each part must touch only state owned by its items.
protocol RangeKernel: Sendable {
  /// Processes items `range`.
  func run(range: Range<Int>)
}

/// A fork-join pool of persistent threads that spin briefly between jobs.
///
/// The functional simulator forks once per large `matmul` or `activate`, every 50–100 µs, and
/// each part runs for tens of microseconds. Dispatch parks its worker threads between such calls,
/// and waking one takes about as long as the part itself, so the calling thread usually ends up
/// running every part. This pool's threads keep polling for the next job for
/// ``spinNanoseconds`` after finishing one (then sleep on a condition variable), so consecutive
/// instructions find them awake.
///
/// Participant `i` (the caller is 0, the pool's threads 1, 2, …) runs parts `i`, `i + n`, … first,
/// so the same core keeps computing the same accumulator rows across consecutive instructions
/// (moving them between cores' caches costs more than the split saves), and then claims any part
/// still unclaimed: a job never waits for a thread that is asleep or descheduled. The caller returns once every part has finished. One job runs at a time; a caller
/// that finds the pool busy (another thread's job, or a kernel forking inside a part) gets
/// `false` and uses Dispatch instead.
@available(macOS 15.0, iOS 18.0, watchOS 11.0, tvOS 18.0, visionOS 2.0, *)
final class WorkerPool: Sendable {
  /// The process's pool (threads are started on first use, at most one per extra core).
  static let shared = WorkerPool(maximumThreads: ProcessInfo.processInfo.activeProcessorCount - 1)

  /// How long an idle thread keeps polling for the next job before it sleeps.
  static let spinNanoseconds: UInt64 = 200_000

  /// One forked job: `parts` contiguous ranges of `0..<items`.
  private final class Job: Sendable {
    let kernel: any RangeKernel
    let items: Int
    let parts: Int
    let participants: Int
    /// Bit `i` set: part `i` is claimed.
    let claimed = Atomic<UInt64>(0)
    let finished = Atomic<Int>(0)

    init(kernel: any RangeKernel, items: Int, parts: Int, participants: Int) {
      precondition(parts <= 64, "a pool job has at most 64 parts, got \(parts)")
      self.kernel = kernel
      self.items = items
      self.parts = parts
      self.participants = max(1, participants)
    }

    /// Runs parts until none is left: first `participant`'s own (`participant`, `participant +
    /// participants`, …), so consecutive instructions over the same accumulator rows keep them
    /// in the same core's cache, then any other part still unclaimed.
    func participate(as participant: Int) {
      var part = participant
      while part < parts {
        run(part)
        part += participants
      }
      for other in 0..<parts { run(other) }
    }

    /// Runs `part` unless another participant claimed it first.
    private func run(_ part: Int) {
      let bit = UInt64(1) << UInt64(part)
      if claimed.bitwiseOr(bit, ordering: .relaxed).oldValue & bit != 0 { return }
      kernel.run(range: items * part / parts..<items * (part + 1) / parts)
      finished.add(1, ordering: .releasing)
    }
  }

  private struct State {
    var job: Job?
    var threads = 0
  }

  private let maximumThreads: Int
  /// Bumped (sequentially consistent) when a job is published.
  private let generation = Atomic<Int>(0)
  /// Threads asleep on `condition` (or about to be).
  private let parked = Atomic<Int>(0)
  private let busy = Atomic<Bool>(false)
  private let condition = NSCondition()
  private let state = Mutex(State())

  init(maximumThreads: Int) {
    self.maximumThreads = max(0, maximumThreads)
  }

  /// Runs `kernel` over `parts` contiguous ranges of `0..<items` on the calling thread and up to
  /// `parts − 1` pool threads; returns false, having run nothing, when the pool is busy.
  func run(items: Int, parts: Int, kernel: some RangeKernel) -> Bool {
    guard parts <= 64, busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
      return false
    }
    let wanted = min(parts - 1, maximumThreads)
    let job = Job(kernel: kernel, items: items, parts: parts, participants: wanted + 1)
    let first = state.withLock { s -> Int in
      s.job = job
      let first = s.threads
      s.threads = max(s.threads, wanted)
      return first
    }
    for index in first..<max(first, wanted) {
      let thread = Thread { [self] in workerLoop(participant: index + 1) }
      thread.name = "systole.executor"
      thread.start()
    }
    generation.add(1, ordering: .sequentiallyConsistent)
    if parked.load(ordering: .sequentiallyConsistent) > 0 {
      condition.lock()
      condition.broadcast()
      condition.unlock()
    }
    job.participate(as: 0)
    // The remaining parts are running on awake threads: wait for them.
    var spins = 0
    while job.finished.load(ordering: .acquiring) < parts {
      spins += 1
      if spins & 0x3FF == 0 { sched_yield() }
    }
    state.withLock { $0.job = nil }
    busy.store(false, ordering: .releasing)
    return true
  }

  /// Thread `participant − 1` of the pool: joins every job that has a part for it.
  private func workerLoop(participant: Int) {
    var seen = 0
    while true {
      seen = waitForGeneration(after: seen)
      if let job = state.withLock({ $0.job }), participant < job.participants { job.participate(as: participant) }
    }
  }

  /// Polls for a generation other than `seen` for `spinNanoseconds`, then sleeps until one is
  /// published; returns it.
  private func waitForGeneration(after seen: Int) -> Int {
    let deadline = DispatchTime.now().uptimeNanoseconds + Self.spinNanoseconds
    var spins = 0
    while true {
      let current = generation.load(ordering: .acquiring)
      if current != seen { return current }
      spins += 1
      if spins & 0x3FF == 0 {
        if DispatchTime.now().uptimeNanoseconds > deadline { break }
        sched_yield()  // let other runnable threads have the core
      }
    }
    // Register as parked before the final check, so a publisher either sees the registration
    // (and broadcasts under the lock) or published before the check (which then sees it).
    condition.lock()
    parked.add(1, ordering: .sequentiallyConsistent)
    var current = generation.load(ordering: .sequentiallyConsistent)
    while current == seen {
      condition.wait()
      current = generation.load(ordering: .sequentiallyConsistent)
    }
    parked.subtract(1, ordering: .sequentiallyConsistent)
    condition.unlock()
    return current
  }
}
