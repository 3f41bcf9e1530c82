/// Pareto fronts: which points no other point beats on every objective.
public enum Pareto {
  /// For each point, whether it is on the front when every coordinate is minimized.
  ///
  /// A point is dominated when another is no worse on both coordinates and strictly better on
  /// at least one; points with equal coordinates are both on the front. NaN coordinates are never
  /// on the front and dominate nothing. O(n log n): sort by x then y, sweep keeping the best y.
  public static func mark(_ points: [(x: Double, y: Double)]) -> [Bool] {
    var front = Array(repeating: false, count: points.count)
    let order = points.indices.filter { !points[$0].x.isNaN && !points[$0].y.isNaN }
      .sorted { (points[$0].x, points[$0].y) < (points[$1].x, points[$1].y) }
    var bestY = Double.infinity
    var groupStart = 0
    // Walk groups of equal x; within a group only the smallest y can be on the front.
    while groupStart < order.count {
      let x = points[order[groupStart]].x
      var groupEnd = groupStart
      while groupEnd < order.count && points[order[groupEnd]].x == x { groupEnd += 1 }
      let minY = points[order[groupStart]].y
      if minY < bestY || (bestY == .infinity && minY == .infinity) {
        for k in groupStart..<groupEnd where points[order[k]].y == minY { front[order[k]] = true }
        bestY = minY
      }
      groupStart = groupEnd
    }
    return front
  }
}
