import Foundation
import GraphIR
@testable import Quantizer
import Support
import SystoleTestSupport
import TFLiteImport
import Testing

/// Compares `text` with `Tests/QuantizerTests/Snapshots/<name>`; `SYSTOLE_RECORD_SNAPSHOTS=1`
/// rewrites it (and records an issue so a recording run never passes silently).
func assertQuantizerSnapshot(_ text: String, named name: String, sourceLocation: SourceLocation = #_sourceLocation) {
  let url = Fixtures.root.appendingPathComponent("Tests/QuantizerTests/Snapshots/\(name)")
  if ProcessInfo.processInfo.environment["SYSTOLE_RECORD_SNAPSHOTS"] == "1" {
    try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try? Data(text.utf8).write(to: url)
    Issue.record(
      "recorded snapshot \(name); run again without SYSTOLE_RECORD_SNAPSHOTS", sourceLocation: sourceLocation)
    return
  }
  guard let data = FileManager.default.contents(atPath: url.path) else {
    Issue.record("missing snapshot \(name); record it with SYSTOLE_RECORD_SNAPSHOTS=1", sourceLocation: sourceLocation)
    return
  }
  let expected = String(decoding: data, as: UTF8.self)
  if expected != text {
    let e = expected.split(separator: "\n", omittingEmptySubsequences: false)
    let t = text.split(separator: "\n", omittingEmptySubsequences: false)
    let line = Array(zip(e, t)).firstIndex { $0.0 != $0.1 } ?? min(e.count, t.count)
    Issue.record(
      "snapshot \(name) differs at line \(line + 1):\n  expected: \(line < e.count ? String(e[line]) : "<end>")\n  actual:   \(line < t.count ? String(t[line]) : "<end>")",
      sourceLocation: sourceLocation)
  }
}

@Suite struct AccuracyReportTests {
  static func tinyComparison() throws -> SchemeComparison {
    let float = TestGraphs.mlp()
    return try SchemeComparison.run(
      float: float, schemes: [.int8PerChannel, .int16x8, .weightsOnly, .ternary],
      calibration: .samples(try TestGraphs.samples(float)),
      inputs: Array(try TestGraphs.samples(float).prefix(4)))
  }

  @Test func layersAndOutputsAreMeasured() throws {
    let c = try Self.tinyComparison()
    #expect(c.reports.map(\.scheme) == [.int8PerChannel, .int16x8, .weightsOnly, .ternary])
    #expect(c.failures.isEmpty)
    let int8 = c.reports[0]
    #expect(int8.layers.map(\.operatorIndex) == [0, 1])
    #expect(int8.layers.map(\.operatorName) == ["FULLY_CONNECTED", "FULLY_CONNECTED"])
    #expect(int8.layers.map(\.tensorName) == ["h", "y"])
    #expect(int8.sampleCount == 4)
    #expect(int8.outputs.count == 1 && int8.outputs[0].rows == 4)
    #expect(int8.outputs[0].top1Agreements <= 4)
    #expect(int8.outputSQNR.isFinite && int8.outputSQNR > 20)
    // More bits, better: 16×8 beats int8; ternary is far worse.
    #expect(c.reports[1].outputSQNR > int8.outputSQNR)
    #expect(c.reports[3].outputSQNR < int8.outputSQNR - 10)
    #expect(c.reports[2].simulated && !int8.simulated)
    #expect(c.reports[3].size.weightBytes < int8.size.weightBytes)
    #expect(int8.fileBytes > 0)
  }

  @Test func failingSchemesAreListedNotThrown() throws {
    let model = TestGraphs.neg()
    let c = try SchemeComparison.run(
      float: model, schemes: [.weightsOnly, .int8PerChannel], calibration: .samples(try TestGraphs.samples(model)),
      inputs: try TestGraphs.samples(model, count: 2))
    #expect(c.reports.map(\.scheme) == [.weightsOnly])
    #expect(c.failures.map(\.scheme) == [.int8PerChannel])
    #expect(c.renderText().contains("int8-per-channel: not applicable: no int8 kernel for NEG"))
  }

  @Test func textAndJSONRenderings() throws {
    let c = try Self.tinyComparison()
    assertQuantizerSnapshot(c.reports[0].renderText(), named: "tiny-mlp-int8.txt")
    assertQuantizerSnapshot(c.renderText(), named: "tiny-mlp-schemes.txt")
    assertQuantizerSnapshot(c.json.serialized() + "\n", named: "tiny-mlp-schemes.json")
    // Stable snake_case keys.
    let json = c.reports[0].json
    for key in [
      "model", "scheme", "simulated", "samples", "size", "float_size", "tflite_file_bytes", "compression", "outputs",
      "layers",
    ] {
      #expect(json[key] != nil, "\(key)")
    }
    guard case .array(let layers)? = json["layers"], case .object(let first)? = layers.first else {
      Issue.record("no layers")
      return
    }
    #expect(first.map(\.0) == ["op", "op_name", "tensor", "precision", "sqnr_db"])
  }

  @Test func htmlIsSelfContainedWithLabelledCharts() throws {
    let c = try Self.tinyComparison()
    let html = AccuracyHTMLReport.render([c], title: "Tiny <MLP> & co")
    #expect(html.hasPrefix("<!DOCTYPE html>"))
    #expect(html.contains("<title>Tiny &lt;MLP&gt; &amp; co</title>"))
    #expect(!html.contains("<script"))
    #expect(!html.contains("src="))
    #expect(!html.replacingOccurrences(of: "xmlns=\"http://www.w3.org/2000/svg\"", with: "").contains("http"))
    // One size-versus-error chart plus one per-layer chart per scheme.
    #expect(html.components(separatedBy: "<svg ").count - 1 == 1 + c.reports.count)
    #expect(html.contains(">SQNR (dB)</text>"))
    #expect(html.contains(">layer (operator index in the float model)</text>"))
    #expect(html.contains(">model constants (KiB, weights packed)</text>"))
    #expect(html.contains(">output SQNR (dB)</text>"))
    #expect(html.contains("#1 FULLY_CONNECTED 'y' (int8)"))
    #expect(html.hasSuffix("</html>\n"))
  }

  @Test func chartTicksAreRoundNumbersCoveringTheRange() {
    #expect(AccuracyHTMLReport.ticks(0, 37) == [0, 10, 20, 30, 40])
    #expect(AccuracyHTMLReport.ticks(-3, 41) == [-10, 0, 10, 20, 30, 40, 50])
    #expect(AccuracyHTMLReport.ticks(0, 1.2) == [0, 0.5, 1, 1.5])
    #expect(AccuracyHTMLReport.ticks(5, 5) == [5])
    #expect(AccuracyHTMLReport.render([]).contains("<h1>Systole quantization report</h1>"))
  }

  @Test func inputsAreQuantizedLikeTFLiteCallersDo() throws {
    let float = TestGraphs.mlp()
    let q = try Quantizer.quantize(model: float, calibration: .samples(try TestGraphs.samples(float)))
    let g = q.model.main
    let params = try #require(g[g.inputs[0]].quantization)
    let x = TensorData(shape: [1, 8], storage: .float32([0, 0.5, -0.5, 1, -1, 2, -2, 100]))
    let prepared = AccuracyReport.prepare([x], for: g)[0]
    let expected = x.floats.map {
      Int8(AffineQuantization.quantize($0, scale: params.scale, zeroPoint: params.zeroPoint, range: -128...127))
    }
    #expect(prepared.int8s == expected)
    #expect(prepared.int8s.last == 127)
  }
}
