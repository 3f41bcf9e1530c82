import Architecture
import Dispatch
import Foundation
import Support

/// Runs a study: plans the rows, evaluates each distinct point once on `jobs` threads, and
/// assembles the rows in point order.
///
/// Steps:
/// 1. Expand the spec into this shard's rows (`SweepPlan.make`; too many is refused up front).
/// 2. Keep rows found in the `resumeFrom` file (same id) as they are.
/// 3. Build each remaining row's architecture: base + overrides, then `validate()`; a spec with
///    problems makes the row invalid with those problems as its reason.
/// 4. Group the valid rows by (model, architecture, compiler options) and evaluate each group
///    once, `jobs` at a time; an evaluator error makes the group's rows invalid.
/// 5. Assemble every row in index order; `SweepStudy` marks the Pareto fronts.
///
/// The result does not depend on `jobs`: each evaluation is a pure function of its point, and
/// rows are placed by index, never by completion order.
public enum SweepRunner {
  /// Runs `spec` with `evaluator`, reporting to `progress` (calls are serialized).
  public static func run(
    spec: SweepSpec, evaluator: some PointEvaluator, progress: (any SweepProgress)? = nil
  ) throws(SweepError) -> SweepStudy {
    let plan = try SweepPlan.make(spec)
    let selected = plan.rows  // `make` builds this shard's rows only

    var previous: [String: SweepRow] = [:]
    var previousComponents: [String] = []
    if let path = spec.resumeFrom, FileManager.default.fileExists(atPath: path) {
      let earlier = try SweepCSV.load(path: path)
      guard earlier.columns == plan.columns else {
        throw SweepError(
          .mismatchedParts, path,
          "cannot resume: its varied columns \(earlier.columns.joined(separator: ",")) differ from this sweep's \(plan.columns.joined(separator: ","))")
      }
      for row in earlier.rows { previous[row.id] = row }
      previousComponents = earlier.energyComponents
    }

    var keys: [EvaluationKey] = []
    var keyIndex: [EvaluationKey: Int] = [:]
    var pending: [(row: SweepPlan.Row, state: PendingRow)] = []
    for row in selected {
      if var kept = previous[row.id] {
        kept.index = row.index
        pending.append((row, .done(kept)))
        continue
      }
      let arch: ArchSpec
      do {
        arch = try spec.base.applying(overrides: row.overrides)
      } catch {
        pending.append((row, .invalid(error.description, nil)))
        continue
      }
      let area = AreaModel.nm45.estimate(arch)
      let problems = arch.validate()
      if !problems.isEmpty {
        pending.append((row, .invalid("architecture: " + problems.map(\.description).joined(separator: "; "), area)))
        continue
      }
      let key = EvaluationKey(model: row.model, arch: arch, options: row.compilerOptions)
      let k: Int
      if let existing = keyIndex[key] {
        k = existing
      } else {
        k = keys.count
        keys.append(key)
        keyIndex[key] = k
      }
      pending.append((row, .evaluate(k, area)))
    }

    let results = ResultBox(count: keys.count)
    let total = keys.count
    progress?.sweepStarted(evaluations: total, rows: selected.count)
    let workers = max(1, min(spec.jobs, total))
    let labels = keys.map(\.model)
    let evaluations = keys
    DispatchQueue.concurrentPerform(iterations: workers) { _ in
      while let k = results.claim() {
        let key = evaluations[k]
        let outcome: Result<PointMetrics, FailureReason>
        do {
          outcome = .success(try evaluator.evaluate(model: key.model, arch: key.arch, compilerOptions: key.options))
        } catch {
          outcome = .failure(FailureReason(text: reason(error)))
        }
        results.store(outcome, at: k) { completed in
          progress?.evaluationFinished(completed: completed, total: total, label: labels[k])
        }
      }
    }
    progress?.sweepFinished()

    let outcomes = results.outcomes
    var rows: [SweepRow] = []
    var seenComponents: Set<String> = Set(previousComponents)
    for (plan, state) in pending {
      switch state {
      case .done(let row):
        rows.append(row)
      case .invalid(let why, let area):
        rows.append(
          SweepRow(
            index: plan.index, id: plan.id, model: plan.model, settings: plan.settings, metrics: nil,
            invalidReason: why, area: area))
      case .evaluate(let k, let area):
        switch outcomes[k] {
        case .success(let metrics)?:
          seenComponents.formUnion(metrics.energyByComponent.keys)
          rows.append(
            SweepRow(
              index: plan.index, id: plan.id, model: plan.model, settings: plan.settings, metrics: metrics,
              invalidReason: nil, area: area))
        case .failure(let why)?:
          rows.append(
            SweepRow(
              index: plan.index, id: plan.id, model: plan.model, settings: plan.settings, metrics: nil,
              invalidReason: why.text, area: area))
        case nil:
          preconditionFailure("evaluation \(k) never ran")
        }
      }
    }
    let declared = evaluator.energyComponents
    let components = declared.isEmpty ? seenComponents.sorted() : declared
    return SweepStudy(columns: plan.columns, baseValues: plan.baseValues, energyComponents: components, rows: rows)
  }

  /// An error as one line: its `description` when it has one.
  static func reason(_ error: any Error) -> String {
    let text = String(describing: error)
    return text.replacingOccurrences(of: "\n", with: " ")
  }
}

/// One distinct evaluation: rows with equal keys share it.
private struct EvaluationKey: Hashable, Sendable {
  var model: String
  var arch: ArchSpec
  var options: [String: String]
}

/// What remains to be done for one row.
private enum PendingRow {
  case done(SweepRow)
  case invalid(String, AreaEstimate?)
  case evaluate(Int, AreaEstimate)
}

/// Hands out evaluation indices and collects results across threads.
private final class ResultBox: @unchecked Sendable {
  private let lock = NSLock()
  private var next = 0
  private var completed = 0
  private var results: [Result<PointMetrics, FailureReason>?]

  init(count: Int) { results = Array(repeating: nil, count: count) }

  func claim() -> Int? {
    lock.withLock {
      guard next < results.count else { return nil }
      defer { next += 1 }
      return next
    }
  }

  func store(_ result: Result<PointMetrics, FailureReason>, at index: Int, then report: (Int) -> Void) {
    lock.withLock {
      results[index] = result
      completed += 1
      report(completed)
    }
  }

  var outcomes: [Result<PointMetrics, FailureReason>?] { lock.withLock { results } }
}

/// An evaluator's failure as text (the row's invalid reason).
private struct FailureReason: Error {
  let text: String
}
