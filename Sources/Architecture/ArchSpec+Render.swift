import Support

extension ArchSpec: CustomStringConvertible {
  /// The same text as `render()`.
  public var description: String { render() }

  /// A readable table of every parameter (key, value, unit, source), then every derived figure
  /// (key, value, unit, formula), then the assumptions behind values marked `assumption [n]`.
  ///
  /// This is `systole arch show NAME`. No timestamps or absolute paths beyond what the user gave.
  public func render() -> String {
    var notes: [String] = []
    var parameterRows: [[String]] = [["parameter", "value", "unit", "source"]]
    for parameter in ArchSpec.parameters {
      let sourceText: String
      switch origin(of: parameter.key) {
      case .assumed(let text)?:
        notes.append("[\(notes.count + 1)] \(parameter.key): \(text)")
        sourceText = "assumption [\(notes.count)]"
      case let other?:
        sourceText = other.description
      case nil:
        sourceText = ""
      }
      parameterRows.append([parameter.key, parameter.read(self).description, parameter.unit, sourceText])
    }
    var derivedRows: [[String]] = [["derived", "value", "unit", "formula"]]
    for figure in derivedFigures {
      derivedRows.append([figure.key, formatSignificant(figure.value), figure.unit, figure.formula])
    }
    // One set of column widths for both tables, so they line up.
    let widths = (0..<3).map { column in
      (parameterRows + derivedRows).map { $0[column].count }.max() ?? 0
    }
    func line(_ row: [String]) -> String {
      var text = ""
      for column in 0..<3 { text += row[column].padding(toLength: widths[column] + 2, withPad: " ", startingAt: 0) }
      text += row[3]
      while text.last == " " { text.removeLast() }
      return text
    }
    var out = ["architecture \(name) (\(datapath.rawValue) datapath, \(dataflow.longName))", ""]
    out += parameterRows.map(line)
    out.append("")
    out += derivedRows.map(line)
    if !notes.isEmpty {
      out.append("")
      out.append("assumptions")
      out += notes.map { "  " + $0 }
    }
    return out.joined(separator: "\n") + "\n"
  }
}
