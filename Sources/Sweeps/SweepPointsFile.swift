import Architecture
import Foundation

/// An explicit list of points (`--points FILE.csv`): a header of keys (the same keys as
/// `--vary`: dotted parameter keys, `array`, compiler options), then one point per row. An empty
/// cell leaves that key at the base value.
///
/// ```
/// array,dataflow,ub.kib
/// 32x32,ws,256
/// 64x64,os,
/// ```
public enum SweepPointsFile {
  /// Reads and parses the file at `path`.
  public static func load(path: String, base: ArchSpec) throws(SweepError) -> (axes: [SweepAxis], points: [[String]]) {
    let text: String
    do {
      text = try String(contentsOfFile: path, encoding: .utf8)
    } catch {
      throw SweepError(.badPointsFile, path, "cannot read the points file")
    }
    return try parse(text, file: path, base: base)
  }

  /// Parses points-file text; errors are located at `file:line`. Each axis of the result lists
  /// the distinct values of its column in order of appearance.
  public static func parse(_ text: String, file: String, base: ArchSpec) throws(SweepError) -> (axes: [SweepAxis], points: [[String]]) {
    let records = try CSVText.records(text, file: file, kind: .badPointsFile)
    guard let header = records.first else {
      throw SweepError(.badPointsFile, "\(file):1", "empty file; expected a header of keys such as array,dataflow")
    }
    var keys: [String] = []
    for (column, raw) in header.cells.enumerated() {
      let key = raw.trimmingCharacters(in: " ")
      if key.isEmpty {
        throw SweepError(.badPointsFile, "\(file):\(header.line)", "column \(column + 1) has an empty key")
      }
      if keys.contains(key) {
        throw SweepError(.badPointsFile, "\(file):\(header.line)", "key '\(key)' appears twice")
      }
      if SweepAxis.kind(ofKey: key) == .compilerOption && SweepCompilerOption.option(forKey: key) == nil,
        let problem = SweepCompilerOption.check(key: key, value: "")
      {
        throw SweepError(.badPointsFile, "\(file):\(header.line)", problem)
      }
      keys.append(key)
    }
    var values = Array(repeating: [String](), count: keys.count)
    var points: [[String]] = []
    for record in records.dropFirst() {
      guard record.cells.count == keys.count else {
        throw SweepError(
          .badPointsFile, "\(file):\(record.line)", "expected \(keys.count) cells, got \(record.cells.count)")
      }
      let cells = record.cells.map { $0.trimmingCharacters(in: " ") }
      var probe = base
      for (key, value) in zip(keys, cells) where !value.isEmpty && SweepAxis.kind(ofKey: key) == .compilerOption {
        if let problem = SweepCompilerOption.check(key: key, value: value) {
          throw SweepError(.badPointsFile, "\(file):\(record.line)", problem)
        }
      }
      for (key, value) in zip(keys, cells) where !value.isEmpty && SweepAxis.kind(ofKey: key) != .compilerOption {
        do {
          try probe.apply(override: "\(key)=\(value)")
        } catch {
          throw SweepError(.badPointsFile, "\(file):\(record.line)", archMessage(error, override: "\(key)=\(value)"))
        }
      }
      for (column, value) in cells.enumerated() where !value.isEmpty && !values[column].contains(value) {
        values[column].append(value)
      }
      points.append(cells)
    }
    if points.isEmpty {
      throw SweepError(.badPointsFile, "\(file):\(header.line)", "no points after the header")
    }
    let axes = zip(keys, values).map { SweepAxis(key: $0, values: $1, kind: SweepAxis.kind(ofKey: $0)) }
    return (axes, points)
  }
}
