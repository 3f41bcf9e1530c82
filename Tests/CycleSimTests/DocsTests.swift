import Foundation
import SystoleTestSupport
import Testing

@testable import CycleSim

/// `docs/cost-model.md` embeds tables generated from the code between `<!-- BEGIN name -->` and
/// `<!-- END name -->` markers. This test fails when they drift;
/// `SYSTOLE_RECORD_DOCS=1 swift test --filter CostModelDocsTests` rewrites them.
@Suite("cost-model docs", .serialized)
struct CostModelDocsTests {
  static let sections: [(name: String, text: @Sendable () -> String)] = [
    ("timing-table", { TimingRule.markdownTable() }),
    ("counter-table", { CounterKey.markdownTable() }),
  ]

  @Test("generated sections of docs/cost-model.md are current")
  func generatedSectionsAreCurrent() throws {
    let url = Fixtures.root.appendingPathComponent("docs/cost-model.md")
    var doc = try String(contentsOf: url, encoding: .utf8)
    let record = ProcessInfo.processInfo.environment["SYSTOLE_RECORD_DOCS"] == "1"
    for (name, generate) in Self.sections {
      let begin = "<!-- BEGIN \(name) -->\n"
      let end = "<!-- END \(name) -->"
      guard let b = doc.range(of: begin), let e = doc.range(of: end, range: b.upperBound..<doc.endIndex) else {
        Issue.record("docs/cost-model.md has no \(name) markers")
        continue
      }
      let expected = generate()
      if record {
        doc.replaceSubrange(b.upperBound..<e.lowerBound, with: expected)
      } else {
        #expect(String(doc[b.upperBound..<e.lowerBound]) == expected, "section \(name) is stale")
      }
    }
    if record { try doc.write(to: url, atomically: true, encoding: .utf8) }
  }

  @Test("the docs name every cycle class and energy component")
  func docsMentionEveryKey() throws {
    let doc = try String(contentsOf: Fixtures.root.appendingPathComponent("docs/cost-model.md"), encoding: .utf8)
    for c in CycleClass.allCases { #expect(doc.contains("`\(c.rawValue)`"), "\(c)") }
    for e in EnergyComponent.allCases { #expect(doc.contains("`\(e.rawValue)`"), "\(e)") }
  }
}
