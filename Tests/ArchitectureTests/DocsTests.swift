import Foundation
import Testing

@testable import Architecture

/// `docs/architecture.md` embeds tables generated from the code between
/// `<!-- BEGIN name -->` and `<!-- END name -->` markers. This test fails when they drift;
/// `SYSTOLE_RECORD_DOCS=1 swift test --filter DocsTests` rewrites them.
@Suite(.serialized) struct DocsTests {
  static let sections: [(name: String, text: @Sendable () -> String)] = [
    ("parameter-table", { ArchSpec.parameterTableMarkdown() }),
    ("preset-comparison", { ArchSpec.presetComparisonMarkdown() }),
    ("preset-sources", { ArchSpec.presetSourcesMarkdown() }),
    ("derived-figures", { ArchSpec.derivedFiguresMarkdown() }),
  ]

  @Test func generatedSectionsAreCurrent() throws {
    let url = repositoryRoot.appendingPathComponent("docs/architecture.md")
    var doc = try String(contentsOf: url, encoding: .utf8)
    let record = ProcessInfo.processInfo.environment["SYSTOLE_RECORD_DOCS"] == "1"
    for (name, generate) in DocsTests.sections {
      let begin = "<!-- BEGIN \(name) -->\n"
      let end = "<!-- END \(name) -->"
      guard let b = doc.range(of: begin), let e = doc.range(of: end, range: b.upperBound..<doc.endIndex) else {
        Issue.record("docs/architecture.md has no \(name) markers")
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

  /// Every parameter key appears in the docs, so `--set` users can find it.
  @Test func docsMentionEveryKeyAndPreset() throws {
    let doc = try String(
      contentsOf: repositoryRoot.appendingPathComponent("docs/architecture.md"), encoding: .utf8)
    for p in ArchSpec.parameters { #expect(doc.contains("`\(p.key)`"), "\(p.key)") }
    for name in ArchSpec.presetNames { #expect(doc.contains("`\(name)`"), "\(name)") }
  }
}
