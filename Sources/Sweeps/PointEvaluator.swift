import Architecture
import Foundation
import Support

/// Evaluates one point of a study: compiles the model for the architecture, simulates it, and
/// runs the float32 baseline.
///
/// The driver adapts its pipeline to this protocol; tests use analytic fakes. The runner calls
/// `evaluate` from several threads at once (`SweepSpec.jobs`), so implementations must be
/// thread-safe. It never calls it twice for the same (model, architecture, options): identical
/// points are evaluated once. To also share compiled programs between points whose programs are
/// the same, key a `ProgramCache` by what identifies a program.
public protocol PointEvaluator: Sendable {
  /// Evaluates one (model, architecture) point; throws for invalid points (recorded with their
  /// reason, the error's `description`).
  func evaluate(model: String, arch: ArchSpec, compilerOptions: [String: String]) throws -> PointMetrics

  /// The names of the energy components `PointMetrics.energyByComponent` reports, in column
  /// order (`mac`, `sram`, `dram`, …).
  ///
  /// Declaring them keeps the CSV header the same in every shard. The default, empty, means
  /// "the sorted union of the names the points report".
  var energyComponents: [String] { get }
}

extension PointEvaluator {
  /// No declared components: the CSV uses the sorted union of the names reported.
  public var energyComponents: [String] { [] }
}

/// What one evaluation measured: time, traffic, energy, and the float32 baseline's figures.
public struct PointMetrics: Sendable, Hashable {
  /// Accelerator cycles for one inference.
  public var cycles: Cycle
  /// Wall time of one inference at the architecture's clock, in µs (host fallbacks included).
  public var latencyMicroseconds: Double
  /// Inferences per second (batch 1: `10⁶ / latencyMicroseconds`, unless the evaluator knows
  /// better).
  public var inferencesPerSecond: Double
  /// Fraction of peak MACs used over the run, in `0...1`.
  public var utilization: Double
  /// Bytes moved to and from DRAM.
  public var dramBytes: ByteCount
  /// Bytes read and written in on-chip SRAMs (unified buffer, weights, accumulators).
  public var sramBytes: ByteCount
  /// Energy of one inference, in µJ.
  public var energyMicrojoules: Double
  /// Energy of one inference by component (`mac`, `sram`, `dram`, `vector`, `leakage`), in µJ.
  public var energyByComponent: [String: Double]
  /// Latency of the float32 baseline (`ArchSpec.baseline`), in µs.
  public var baselineLatencyMicroseconds: Double
  /// Energy of the float32 baseline, in µJ.
  public var baselineEnergyMicrojoules: Double

  /// Creates a metrics record.
  public init(
    cycles: Cycle, latencyMicroseconds: Double, inferencesPerSecond: Double, utilization: Double,
    dramBytes: ByteCount, sramBytes: ByteCount, energyMicrojoules: Double,
    energyByComponent: [String: Double], baselineLatencyMicroseconds: Double,
    baselineEnergyMicrojoules: Double
  ) {
    self.cycles = cycles
    self.latencyMicroseconds = latencyMicroseconds
    self.inferencesPerSecond = inferencesPerSecond
    self.utilization = utilization
    self.dramBytes = dramBytes
    self.sramBytes = sramBytes
    self.energyMicrojoules = energyMicrojoules
    self.energyByComponent = energyByComponent
    self.baselineLatencyMicroseconds = baselineLatencyMicroseconds
    self.baselineEnergyMicrojoules = baselineEnergyMicrojoules
  }

  /// How many times faster than the float32 baseline: `baseline latency / latency`.
  public var speedupOverBaseline: Double { baselineLatencyMicroseconds / latencyMicroseconds }

  /// How many times less energy than the float32 baseline: `baseline energy / energy`.
  public var energySavingOverBaseline: Double { baselineEnergyMicrojoules / energyMicrojoules }

  /// Energy-delay product in µJ·µs.
  public var energyDelayProduct: Double { energyMicrojoules * latencyMicroseconds }
}

// MARK: - Compiled-program caching

/// A thread-safe memo table: computes each key's value once, even when asked from several
/// threads at once; failures are remembered too.
///
/// An evaluator keeps one as a `let` and calls `value(for:compute:)` with a key that identifies
/// a compiled program (the driver's evaluator uses `Lowering.ProgramIdentity`), to compile each
/// distinct program once per study.
public final class ProgramCache<Key: Hashable & Sendable, Value: Sendable>: @unchecked Sendable {
  private enum Entry {
    case pending(NSCondition)
    case done(Result<Value, any Error>)
  }
  private let lock = NSLock()
  private var entries: [Key: Entry] = [:]
  /// Finished keys, oldest first, for eviction.
  private var finished: [Key] = []
  private var computations = 0
  /// How many finished values are kept; older ones are evicted (and recomputed if asked again).
  public let capacity: Int

  /// Creates an empty cache that keeps at most `capacity` finished values.
  ///
  /// Values can be large (a compiled ResNet-50 carries its 25 MB DRAM image), so the default keeps
  /// 8: an unbounded cache over a 1,000-point sweep held 22.7 GB before the kernel killed it.
  public init(capacity: Int = 8) { self.capacity = max(1, capacity) }

  /// How many times `compute` has run (one per distinct key).
  public var computeCount: Int { lock.withLock { computations } }

  /// The value for `key`, computed by `compute` the first time it is asked for; other threads
  /// asking for the same key meanwhile wait for that one computation.
  public func value(for key: Key, compute: () throws -> Value) throws -> Value {
    lock.lock()
    while true {
      switch entries[key] {
      case .done(let result)?:
        lock.unlock()
        return try result.get()
      case .pending(let condition)?:
        lock.unlock()
        condition.lock()
        condition.wait(until: Date(timeIntervalSinceNow: 0.01))
        condition.unlock()
        lock.lock()
      case nil:
        let condition = NSCondition()
        entries[key] = .pending(condition)
        computations += 1
        lock.unlock()
        let result = Result { try compute() }
        lock.lock()
        entries[key] = .done(result)
        finished.append(key)
        while finished.count > capacity {
          entries[finished.removeFirst()] = nil
        }
        lock.unlock()
        condition.broadcast()
        return try result.get()
      }
    }
  }
}
