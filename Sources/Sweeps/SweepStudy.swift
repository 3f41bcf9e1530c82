import Support

/// The result of a sweep: one row per (model, point), in point order, with Pareto flags.
///
/// Built by `SweepRunner.run`, or read back from its CSV with `SweepCSV.parse`. The Pareto flags
/// are computed here, per model, over the rows with status `ok`: a shard's flags describe its
/// slice only; `SweepCSV.merge` recomputes them over the whole study.
public struct SweepStudy: Sendable, Hashable {
  /// The varied keys (CSV columns between `model` and `cycles`).
  public var columns: [String]
  /// The value of each column in the base architecture, when known (`nil` for compiler options,
  /// and for every column of a study read from CSV).
  public var baseValues: [String?]
  /// The energy components, in column order.
  public var energyComponents: [String]
  /// The rows, in index order.
  public private(set) var rows: [SweepRow]

  /// Creates a study; sorts `rows` by index and computes their Pareto flags.
  public init(columns: [String], baseValues: [String?]? = nil, energyComponents: [String], rows: [SweepRow]) {
    self.columns = columns
    self.baseValues = baseValues ?? Array(repeating: nil, count: columns.count)
    self.energyComponents = energyComponents
    self.rows = rows.sorted { $0.index < $1.index }
    markPareto()
  }

  /// The model names in order of first appearance.
  public var models: [String] {
    var seen: [String] = []
    for row in rows where !seen.contains(row.model) { seen.append(row.model) }
    return seen
  }

  private mutating func markPareto() {
    for model in models {
      let indices = rows.indices.filter { rows[$0].model == model && rows[$0].metrics != nil }
      let latency = indices.map { rows[$0].metrics?.latencyMicroseconds ?? .nan }
      let energy = Pareto.mark(zip(latency, indices.map { rows[$0].metrics?.energyMicrojoules ?? .nan }).map { ($0, $1) })
      let area = Pareto.mark(zip(latency, indices.map { rows[$0].area?.squareMillimeters ?? .nan }).map { ($0, $1) })
      for (k, i) in indices.enumerated() {
        rows[i].paretoLatencyEnergy = energy[k]
        rows[i].paretoLatencyArea = area[k]
      }
    }
    for i in rows.indices where rows[i].metrics == nil {
      rows[i].paretoLatencyEnergy = false
      rows[i].paretoLatencyArea = false
    }
  }

  /// What `best(objective:)` minimizes.
  public enum Objective: String, Sendable, Hashable, CaseIterable {
    /// Energy per inference (µJ).
    case energy
    /// Latency per inference (µs).
    case latency
    /// Energy-delay product (µJ·µs).
    case edp

    /// The objective's value for `metrics`.
    public func value(_ metrics: PointMetrics) -> Double {
      switch self {
      case .energy: metrics.energyMicrojoules
      case .latency: metrics.latencyMicroseconds
      case .edp: metrics.energyDelayProduct
      }
    }
  }

  /// The best `ok` row of each model (in model order) for `objective`; ties go to the lower
  /// index. Models with no `ok` row are left out.
  public func best(objective: Objective) -> [SweepRow] {
    models.compactMap { model in
      var best: (value: Double, row: SweepRow)?
      for row in rows where row.model == model {
        guard let metrics = row.metrics else { continue }
        let value = objective.value(metrics)
        if value.isNaN { continue }
        if let current = best, value >= current.value { continue }
        best = (value, row)
      }
      return best?.row
    }
  }

  /// The setting of `column` in `row` (empty when the point leaves it at the base value).
  public func setting(_ column: String, in row: SweepRow) -> String? {
    columns.firstIndex(of: column).map { row.settings[$0] }
  }
}

/// One (model, point) row of a study.
public struct SweepRow: Sendable, Hashable {
  /// Position in the study (see `SweepSpec`).
  public var index: Int
  /// Content hash identifying the point (see `SweepPlan.Row.id`).
  public var id: String
  /// The model name.
  public var model: String
  /// The value of each varied column (empty: base value), aligned with `SweepStudy.columns`.
  public var settings: [String]
  /// The measurements, or `nil` when the point is invalid.
  public var metrics: PointMetrics?
  /// Why the point is invalid (architecture validation or the evaluator's error); `nil` if ok.
  public var invalidReason: String?
  /// The area proxies of the point's architecture (present for invalid points too when the
  /// architecture could be built).
  public var area: AreaEstimate?
  /// On the latency–energy Pareto front of its model.
  public var paretoLatencyEnergy: Bool
  /// On the latency–area Pareto front of its model.
  public var paretoLatencyArea: Bool

  /// Creates a row; Pareto flags start `false` (`SweepStudy` computes them).
  public init(
    index: Int, id: String, model: String, settings: [String], metrics: PointMetrics?,
    invalidReason: String?, area: AreaEstimate?
  ) {
    precondition((metrics == nil) != (invalidReason == nil), "a row is either measured or invalid")
    self.index = index
    self.id = id
    self.model = model
    self.settings = settings
    self.metrics = metrics
    self.invalidReason = invalidReason
    self.area = area
    self.paretoLatencyEnergy = false
    self.paretoLatencyArea = false
  }

  /// `ok`, or `invalid: <reason>`: the CSV `status` column.
  public var status: String { invalidReason.map { "invalid: \($0)" } ?? "ok" }
}
