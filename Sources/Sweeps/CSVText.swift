/// RFC 4180 CSV: quoting on write, records with their line numbers on read.
enum CSVText {
  /// One cell as written: quoted (with `"` doubled) when it holds a comma, quote, CR or LF.
  static func cell(_ text: String) -> String {
    if text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) {
      return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
    return text
  }

  /// One record: cells joined with commas, ended by `\n`.
  static func line(_ cells: [String]) -> String { cells.map(cell).joined(separator: ",") + "\n" }

  /// The records of `text` with the 1-based line each starts on; blank lines are skipped.
  ///
  /// Throws `SweepError` located at `file:line` for a quote left open or text after a closing
  /// quote.
  static func records(_ text: String, file: String, kind: SweepError.Kind) throws(SweepError) -> [(line: Int, cells: [String])] {
    var records: [(line: Int, cells: [String])] = []
    var cells: [String] = []
    var cell = ""
    var line = 1
    var recordLine = 1
    var quoted = false
    var afterQuote = false
    var recordHasContent = false
    var chars = Array(text.unicodeScalars)
    if chars.last != "\n" { chars.append("\n") }
    var i = 0
    while i < chars.count {
      let c = chars[i]
      if quoted {
        if c == "\"" {
          if i + 1 < chars.count, chars[i + 1] == "\"" {
            cell.unicodeScalars.append("\"")
            i += 1
          } else {
            quoted = false
            afterQuote = true
          }
        } else {
          if c == "\n" { line += 1 }
          cell.unicodeScalars.append(c)
        }
      } else if c == "," {
        cells.append(cell)
        cell = ""
        afterQuote = false
        recordHasContent = true
      } else if c == "\n" || c == "\r" {
        if c == "\r", i + 1 < chars.count, chars[i + 1] == "\n" { i += 1 }
        if recordHasContent || !cell.isEmpty || afterQuote {
          cells.append(cell)
          records.append((recordLine, cells))
        }
        cells = []
        cell = ""
        afterQuote = false
        recordHasContent = false
        line += 1
        recordLine = line
      } else if afterQuote {
        throw SweepError(kind, "\(file):\(line)", "unexpected text after a closing quote")
      } else if c == "\"" && cell.isEmpty {
        quoted = true
        recordHasContent = true
      } else {
        cell.unicodeScalars.append(c)
      }
      i += 1
    }
    if quoted { throw SweepError(kind, "\(file):\(recordLine)", "a quoted cell is never closed") }
    return records
  }
}
