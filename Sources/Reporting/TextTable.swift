/// A plain-text table with aligned columns, for terminal reports.
public struct TextTable: Sendable {
  /// Column alignment.
  public enum Alignment: Sendable { case left, right }

  public var headers: [String]
  public var alignments: [Alignment]
  public var rows: [[String]] = []

  public init(headers: [String], alignments: [Alignment]) {
    precondition(headers.count == alignments.count, "one alignment per header")
    self.headers = headers
    self.alignments = alignments
  }

  /// Appends a row; it must have one cell per column.
  public mutating func append(_ row: [String]) {
    precondition(row.count == headers.count, "row has \(row.count) cells for \(headers.count) columns")
    rows.append(row)
  }

  /// Renders the table with a header rule, two spaces between columns, no trailing spaces.
  public func render() -> String {
    var widths = headers.map(\.count)
    for row in rows {
      for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) }
    }
    func line(_ cells: [String]) -> String {
      var parts: [String] = []
      for (i, cell) in cells.enumerated() {
        let padding = String(repeating: " ", count: widths[i] - cell.count)
        parts.append(alignments[i] == .right ? padding + cell : cell + padding)
      }
      return trimTrailing(parts.joined(separator: "  "))
    }
    var out = [line(headers), trimTrailing(widths.map { String(repeating: "-", count: $0) }.joined(separator: "  "))]
    out += rows.map(line)
    return out.joined(separator: "\n") + "\n"
  }

  private func trimTrailing(_ s: String) -> String {
    var s = s
    while s.last == " " { s.removeLast() }
    return s
  }
}

/// Formats an integer with thousands separators: `4,089,184,256`.
public func groupedDigits(_ n: Int) -> String {
  let digits = String(n.magnitude)
  var out = ""
  for (i, c) in digits.enumerated() {
    if i > 0 && (digits.count - i) % 3 == 0 { out += "," }
    out.append(c)
  }
  return n < 0 ? "-" + out : out
}
