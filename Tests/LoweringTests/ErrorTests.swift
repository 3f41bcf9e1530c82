import Architecture
import GraphIR
import Lowering
import Support
import Testing

/// Table-driven error tests with the full expected message: an architecture too small for one
/// tile fails with a one-line `LoweringError`, never a trap.
@Suite struct ErrorTests {
  /// FULLY_CONNECTED 10 → 3 on a 4 × 4 array: its smallest tile is one input element and one
  /// output pixel of 3 channels (4 B, single-buffered); its smallest weight tile is 1 row × 1
  /// column (1 B) beside a 1-entry activation table (12 B).
  static let fc = TestModels.fullyConnected(m: 2, k: 10, n: 3)

  struct Case: Sendable, CustomStringConvertible {
    var description: String
    var arch: ArchSpec
    var kind: LoweringError.Kind
    var message: String
  }

  static let cases: [Case] = [
    Case(
      description: "unified buffer", arch: tinyArch("tiny", rows: 4, cols: 4, ub: 3, weights: 256, accumulatorRows: 4),
      kind: .doesNotFit, message: "op #0 FULLY_CONNECTED 'y': smallest tile needs 4 B of unified buffer; tiny has 3 B"),
    Case(
      description: "weight buffer", arch: tinyArch("tiny", rows: 4, cols: 4, ub: 256, weights: 12, accumulatorRows: 4),
      kind: .doesNotFit,
      message: "op #0 FULLY_CONNECTED 'y': smallest weight tile needs 13 B of weight buffer; tiny has 12 B"),
    Case(
      description: "no array", arch: tinyArch("broken", rows: 0, cols: 4, ub: 256, weights: 256, accumulatorRows: 4),
      kind: .unsupported, message: "architecture 'broken': the array is 0×4; it needs at least 1×1"),
  ]

  @Test(arguments: cases)
  func tooSmall(_ c: Case) {
    #expect(
      throws: LoweringError(
        c.kind, String(c.message.split(separator: ":")[0]), String(c.message.split(separator: ": ", maxSplits: 1)[1]))
    ) {
      try LoweringPipeline(arch: c.arch).compile(Self.fc)
    }
    do {
      _ = try LoweringPipeline(arch: c.arch).compile(Self.fc)
    } catch {
      #expect(error.description == c.message)
    }
  }

  @Test func justEnoughMemoryCompiles() throws {
    // Exactly each minimum: the layer compiles (single-buffered, 1 × 1 weight tiles streamed)
    // and is exact.
    let arch = tinyArch("just", rows: 4, cols: 4, ub: 4, weights: 13, accumulatorRows: 1)
    let (problems, compiled) = try compileAndCompare(Self.fc, on: arch, inputs: randomInputs(Self.fc, seed: 5))
    #expect(problems.isEmpty, "\(problems)")
    #expect(compiled.report.operators[0].weightBytesCached == 0)
    #expect(compiled.report.operators[0].weightBytesStreamed > 0)
  }

  @Test func convolutionTooBigForTheUnifiedBuffer() {
    // A 3 × 3 kernel over 8 channels: the smallest slice is one channel's 3 × 3 window (9 B)
    // plus one output pixel of the 4 columns of one n-tile (4 B).
    let model = TestModels.conv(h: 6, w: 6, c: 8, n: 4)
    let arch = tinyArch("toy", rows: 4, cols: 4, ub: 12, weights: 1024, accumulatorRows: 16)
    do {
      _ = try LoweringPipeline(arch: arch).compile(model)
      Issue.record("expected an error")
    } catch {
      #expect(error.kind == .doesNotFit)
      #expect(error.description == "op #0 CONV_2D 'y': smallest tile needs 13 B of unified buffer; toy has 12 B")
    }
  }

  @Test func invalidModelReportsTheGraphVerifier() {
    var g = GraphBuilder(seed: 1)
    let x = g.activation("x", [1, 4, 4, 3])
    let f = g.weights("f", [2, 3, 3, 3], scales: [0.1])
    let y = g.activation("y", [1, 9, 9, 2])
    g.op(.conv2D(Conv2DOptions(padding: .same)), [x, f, nil], [y])
    let model = g.model("bad.tflite", inputs: [x], outputs: [y])
    let first = GraphVerifier.verify(model).first.map { "\($0)" } ?? "?"
    do {
      _ = try LoweringPipeline(arch: .toy4x4).compile(model)
      Issue.record("expected an error")
    } catch {
      #expect(error.kind == .invalidModel)
      #expect(error.description == "bad.tflite: \(first)")
      #expect(
        first == "op #0 CONV_2D 'y': output shape [1, 9, 9, 2]; expected [1, 4, 4, 2] from the input shapes and options"
      )
    }
  }
}
