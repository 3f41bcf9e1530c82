import Foundation
import Support

/// Markdown tables for `docs/architecture.md`, generated from the parameter and preset tables so
/// the docs cannot drift from the code (`DocsTests` compares them and rewrites them when run with
/// `SYSTOLE_RECORD_DOCS=1`).
extension ArchSpec {
  /// Every parameter: key, unit, accepted range, default, meaning, source.
  public static func parameterTableMarkdown() -> String {
    var lines = ["| key | unit | range | default | meaning | source |", "|---|---|---|---|---|---|"]
    for p in parameters {
      let unit = p.unit.isEmpty ? kindNote(p.kind) : p.unit
      lines.append(
        "| `\(p.key)` | \(cell(unit)) | \(cell(p.kind.rangeText)) | \(cell(p.defaultValue.description)) | \(cell(p.summary)) | \(cell(p.source.description)) |")
    }
    return lines.joined(separator: "\n") + "\n"
  }

  /// The presets side by side: one column per preset, one row per parameter a preset sets.
  public static func presetComparisonMarkdown() -> String {
    var lines = ["| key | " + presets.map { "`\($0.name)`" }.joined(separator: " | ") + " |"]
    lines.append("|---|" + String(repeating: "---|", count: presets.count))
    for key in PresetRow.keys where key != "name" {
      let values = presets.map { cell($0.spec.value(forKey: key)?.description ?? "") }
      lines.append("| `\(key)` | " + values.joined(separator: " | ") + " |")
    }
    for figure in ["peak_tops", "ridge_point_macs_per_dram_byte", "accumulator_entries", "weight_tiles_in_buffer"] {
      let values = presets.map { preset in
        preset.spec.derivedFigures.first { $0.key == figure }.map { formatSignificant($0.value) } ?? ""
      }
      lines.append("| *\(figure)* | " + values.joined(separator: " | ") + " |")
    }
    return lines.joined(separator: "\n") + "\n"
  }

  /// For each preset: its title and main source, then where each of its values comes from,
  /// assumptions marked.
  public static func presetSourcesMarkdown() -> String {
    var out: [String] = []
    for preset in presets {
      out.append("#### `\(preset.name)`: \(preset.title)")
      out.append("")
      out.append("Main source: \(preset.citation).")
      out.append("")
      out.append("| key | value | source |")
      out.append("|---|---|---|")
      for key in PresetRow.keys where key != "name" {
        let value = preset.spec.value(forKey: key)?.description ?? ""
        let origin = preset.spec.origin(of: key)
        let text: String
        switch origin {
        case .assumed(let note)?: text = "**assumption:** \(note)"
        case let other?: text = other.description
        case nil: text = ""
        }
        out.append("| `\(key)` | \(cell(value)) | \(cell(text)) |")
      }
      out.append("")
    }
    return out.joined(separator: "\n")
  }

  /// Every derived figure: key, unit, formula, and its value for TPU v1.
  public static func derivedFiguresMarkdown() -> String {
    var lines = ["| key | unit | formula | `tpu-v1` |", "|---|---|---|---|"]
    for figure in ArchSpec.tpuV1.derivedFigures {
      lines.append(
        "| `\(figure.key)` | \(cell(figure.unit)) | \(cell(figure.formula)) | \(formatSignificant(figure.value)) |")
    }
    return lines.joined(separator: "\n") + "\n"
  }

  private static func kindNote(_ kind: ArchParameter.Kind) -> String {
    switch kind {
    case .choice(let names): names.joined(separator: " | ")
    case .flag: "true | false"
    case .text: "text"
    default: ""
    }
  }

  private static func cell(_ text: String) -> String {
    text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
  }
}
