import Architecture
import Foundation
import Support

/// Everything that defines a study: models, base architecture, what varies, which slice of it
/// this process runs, and how.
///
/// The points are either the cartesian product of `axes` (the last axis varies fastest) or the
/// rows of `pointsFile`; each point is evaluated for every model (models outermost). Row `k` of
/// that order has point index `k`; a shard `i/n` runs the rows with `k % n == i`.
public struct SweepSpec: Sendable {
  /// Model names, as the evaluator understands them (zoo names or file paths).
  public var models: [String]
  /// The architecture every point starts from (`--arch` with `--set` already applied).
  public var base: ArchSpec
  /// The varied axes (`--vary`), in the order given; ignored when `pointsFile` is set.
  public var axes: [SweepAxis]
  /// A CSV of explicit points (`--points`): a header of keys, one point a row.
  public var pointsFile: String?
  /// The slice of the points this process runs (`--shard I/N`); `nil` runs them all.
  public var shard: SweepShard?
  /// Points evaluated at once; results do not depend on it.
  public var jobs: Int
  /// An earlier output CSV whose rows are kept instead of recomputed (`--resume`); a missing file
  /// is an empty one.
  public var resumeFrom: String?
  /// The most rows (points × models) one process plans and evaluates: the whole study, or its
  /// shard with `shard`. Default 100,000 (a few hundred MB of plans and hours of evaluation);
  /// larger studies are refused up front with the counts, and run as shards.
  public var maxRows: Int

  /// A rough upper bound on the memory one planned row takes while a study runs (its settings,
  /// overrides and id, its architecture and its result), for the refusal message.
  public static let planBytesPerRow = 4096

  /// Creates a spec.
  public init(
    models: [String], base: ArchSpec, axes: [SweepAxis] = [], pointsFile: String? = nil,
    shard: SweepShard? = nil, jobs: Int = ProcessInfo.processInfo.activeProcessorCount,
    resumeFrom: String? = nil, maxRows: Int = 100_000
  ) {
    self.models = models
    self.base = base
    self.axes = axes
    self.pointsFile = pointsFile
    self.shard = shard
    self.jobs = jobs
    self.resumeFrom = resumeFrom
    self.maxRows = maxRows
  }

  /// Parses each `--vary` text against `base` (see `SweepAxis.parse`) and rejects a key given
  /// twice, or `array` together with `array.rows` or `array.cols`.
  public static func parseAxes(_ texts: [String], base: ArchSpec) throws(SweepError) -> [SweepAxis] {
    var axes: [SweepAxis] = []
    for text in texts {
      let axis = try SweepAxis.parse(text, base: base)
      if let clash = axes.first(where: { $0.key == axis.key }) {
        throw SweepError(.badAxis, "--vary \(text)", "\(clash.key) is already varied")
      }
      if let clash = axes.first(where: { !Set($0.parameterKeys).isDisjoint(with: axis.parameterKeys) }) {
        throw SweepError(.badAxis, "--vary \(text)", "\(axis.key) overlaps --vary \(clash.key)")
      }
      axes.append(axis)
    }
    return axes
  }
}

/// A deterministic slice of a study: rows whose index `k` has `k % count == index`.
public struct SweepShard: Sendable, Hashable, CustomStringConvertible {
  /// This slice, `0 ..< count` (Slurm's `SLURM_ARRAY_TASK_ID`, Kubernetes' `JOB_COMPLETION_INDEX`).
  public var index: Int
  /// How many slices.
  public var count: Int

  /// Creates a shard; `index` must be in `0 ..< count`.
  public init(index: Int, count: Int) {
    precondition(count > 0 && (0..<count).contains(index), "shard \(index)/\(count) out of range")
    self.index = index
    self.count = count
  }

  /// Parses `I/N` (`--shard 3/8`), with `0 ≤ I < N`.
  public static func parse(_ text: String) throws(SweepError) -> SweepShard {
    let parts = text.split(separator: "/", omittingEmptySubsequences: false)
    guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]) else {
      throw SweepError(.badShard, "--shard \(text)", "expected I/N such as 0/4")
    }
    guard n >= 1 else { throw SweepError(.badShard, "--shard \(text)", "N must be at least 1, got \(n)") }
    guard (0..<n).contains(i) else {
      throw SweepError(.badShard, "--shard \(text)", "I must be in 0..<\(n) (shards count from 0), got \(i)")
    }
    return SweepShard(index: i, count: n)
  }

  /// Whether row `rowIndex` belongs to this shard.
  public func contains(_ rowIndex: Int) -> Bool { rowIndex % count == index }

  /// `I/N`.
  public var description: String { "\(index)/\(count)" }
}

// MARK: - Planning

/// The rows of a study before evaluation: for each (model, point), its index, id, settings and
/// the overrides and compiler options it stands for.
public struct SweepPlan: Sendable {
  /// One (model, point) row to evaluate.
  public struct Row: Sendable, Hashable {
    /// Position in the study: `modelIndex × pointCount + pointIndex`.
    public var index: Int
    /// Content hash of base architecture, model and settings (16 hex digits); stable across
    /// runs, shards and machines, so `--resume` and merge can match rows.
    public var id: String
    /// The model name.
    public var model: String
    /// The value of each column (empty: the base value), aligned with `SweepPlan.columns`.
    public var settings: [String]
    /// Architecture overrides in `--set` syntax.
    public var overrides: [String]
    /// Compiler options of the point.
    public var compilerOptions: [String: String]
  }

  /// The varied keys, in column order.
  public var columns: [String]
  /// The value each column has in the base architecture (`nil` for compiler options).
  public var baseValues: [String?]
  /// Every row of the study, in index order.
  public var rows: [Row]

  /// Expands `spec` into rows: the cartesian product of its axes, or its points file.
  ///
  /// Only the rows of `spec.shard` are built (all of them without a shard), one at a time from
  /// their index, so memory grows with this process's rows, not with the whole product. More
  /// than `spec.maxRows` of them is refused before anything is allocated, with the counts and
  /// what to change.
  public static func make(_ spec: SweepSpec) throws(SweepError) -> SweepPlan {
    let axes: [SweepAxis]
    let filePoints: [[String]]?
    if let path = spec.pointsFile {
      let loaded = try SweepPointsFile.load(path: path, base: spec.base)
      (axes, filePoints) = (loaded.axes, loaded.points)
    } else {
      (axes, filePoints) = (spec.axes, nil)
    }
    let models = spec.models.count
    var pointCount = filePoints?.count ?? 1
    var overflow = false
    if filePoints == nil {
      for axis in axes {
        let (product, o) = pointCount.multipliedReportingOverflow(by: axis.values.count)
        overflow = overflow || o
        pointCount = product
      }
    }
    let (totalRows, o) = pointCount.multipliedReportingOverflow(by: models)
    overflow = overflow || o
    // Rows k with k % n == i among 0..<total.
    let selectedRows = overflow ? Int.max : spec.shard.map { (totalRows - $0.index + $0.count - 1) / $0.count } ?? totalRows
    if overflow || selectedRows > spec.maxRows {
      let shape =
        filePoints == nil
        ? axes.map { "\($0.key): \($0.values.count)" }.joined(separator: " × ") : "\(pointCount) points"
      let total = overflow ? "more than 2^63" : "\(totalRows)"
      let shardNote = spec.shard.map { ", \(selectedRows) of them in shard \($0)" } ?? ""
      let neededShards = overflow ? "more" : "\((totalRows + spec.maxRows - 1) / spec.maxRows)"
      throw SweepError(
        .tooManyPoints, "",
        "the sweep has \(total) rows (\(shape) × \(models) model\(models == 1 ? "" : "s"))\(shardNote); "
          + "one process plans at most \(spec.maxRows) (about \(SweepSpec.planBytesPerRow / 1024) KiB and one "
          + "evaluation each); vary fewer values or split the study with --shard I/N, N ≥ \(neededShards)")
    }
    let radices = axes.map(\.values.count)
    /// The settings of point `p`: one value per axis, the last axis varying fastest.
    func settings(ofPoint p: Int) -> [String] {
      if let filePoints { return filePoints[p] }
      var rest = p
      var values = [String](repeating: "", count: axes.count)
      for a in axes.indices.reversed() {
        values[a] = axes[a].values[rest % radices[a]]
        rest /= radices[a]
      }
      return values
    }
    let baseText = spec.base.jsonString()
    var rows: [Row] = []
    rows.reserveCapacity(selectedRows)
    let first = spec.shard?.index ?? 0
    let step = spec.shard?.count ?? 1
    for index in stride(from: first, to: totalRows, by: step) {
      let model = spec.models[index / pointCount]
      let point = settings(ofPoint: index % pointCount)
      var overrides: [String] = []
      var options: [String: String] = [:]
      var idText = baseText + "\u{1F}" + model
      for (axis, value) in zip(axes, point) where !value.isEmpty {
        overrides += axis.overrides(at: value)
        if axis.kind == .compilerOption { options[axis.key] = value }
        idText += "\u{1F}\(axis.key)=\(value)"
      }
      rows.append(
        Row(
          index: index, id: fnv1a64Hex(idText), model: model, settings: point, overrides: overrides,
          compilerOptions: options))
    }
    return SweepPlan(columns: axes.map(\.key), baseValues: axes.map { $0.baseValue(in: spec.base) }, rows: rows)
  }
}

/// FNV-1a 64-bit hash of the UTF-8 bytes, as 16 lowercase hex digits (stable across processes,
/// unlike `Hasher`).
func fnv1a64Hex(_ text: String) -> String {
  var hash: UInt64 = 0xcbf2_9ce4_8422_2325
  for byte in text.utf8 {
    hash ^= UInt64(byte)
    hash &*= 0x0000_0100_0000_01b3
  }
  let hex = String(hash, radix: 16)
  return String(repeating: "0", count: 16 - hex.count) + hex
}
