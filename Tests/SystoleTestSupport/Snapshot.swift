import Foundation
import Testing

/// Compares `text` with the committed snapshot `Tests/Snapshots/<name>`.
///
/// With `SYSTOLE_RECORD_SNAPSHOTS=1` in the environment the snapshot is (re)written instead and
/// the test records an issue so a recording run is never mistaken for a passing one.
public func assertSnapshot(_ text: String, named name: String, sourceLocation: SourceLocation = #_sourceLocation) {
  let url = Fixtures.root.appendingPathComponent("Tests/Snapshots/\(name)")
  if ProcessInfo.processInfo.environment["SYSTOLE_RECORD_SNAPSHOTS"] == "1" {
    try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try? Data(text.utf8).write(to: url)
    Issue.record("recorded snapshot \(name); run again without SYSTOLE_RECORD_SNAPSHOTS", sourceLocation: sourceLocation)
    return
  }
  guard let data = FileManager.default.contents(atPath: url.path) else {
    Issue.record("missing snapshot Tests/Snapshots/\(name); record it with SYSTOLE_RECORD_SNAPSHOTS=1", sourceLocation: sourceLocation)
    return
  }
  let expected = String(decoding: data, as: UTF8.self)
  if expected != text {
    let e = expected.split(separator: "\n", omittingEmptySubsequences: false)
    let t = text.split(separator: "\n", omittingEmptySubsequences: false)
    let line = Array(zip(e, t)).firstIndex { $0.0 != $0.1 } ?? min(e.count, t.count)
    let want = line < e.count ? String(e[line]) : "<end>"
    let got = line < t.count ? String(t[line]) : "<end>"
    Issue.record(
      "snapshot \(name) differs at line \(line + 1):\n  expected: \(want)\n  actual:   \(got)", sourceLocation: sourceLocation)
  }
}
