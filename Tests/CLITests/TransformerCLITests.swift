import Foundation
import SystoleTestSupport
import Testing

/// `systole eval` and `systole run --functional` on the tiny ViT and BERT blocks, as a user runs
/// them: outputs equal TFLite's reference outputs byte for byte, and BERT's GATHER reports an
/// out-of-range token id (random int32 inputs) as one error line with exit 65, not a crash.
@Suite struct TransformerCLITests {
  static let stems = ["vit_tiny_int8", "bert_tiny_int8"]

  @Test(arguments: stems)
  func evalAndFunctionalRunMatchTFLite(_ stem: String) throws {
    let dir = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let set = try ReferenceSet(stem: stem)
    let inputs = (0..<set.invocations).flatMap { ["--input", "Programs/models/reference/\(stem)/in.\($0).0.bin"] }
    let model = "Programs/models/transformers/\(stem).tflite"
    for (command, extra) in [("eval", [String]()), ("run", ["--arch", "edge-tpu", "--functional"])] {
      let out = dir.appendingPathComponent(command).path
      let r = try runSystole([command, model] + extra + inputs + ["--output-dir", out])
      #expect(r.status == 0, "\(command): \(r.stderr)")
      if command == "run" { #expect(r.stdout.contains("simulator outputs equal the golden model's")) }
      for n in 0..<set.invocations {
        let got = try Data(contentsOf: URL(fileURLWithPath: "\(out)/\(n).0.bin"))
        let want = try Data(contentsOf: Fixtures.models.appendingPathComponent("reference/\(stem)/out.\(n).0.bin"))
        #expect(got == want, "\(command) \(stem) invocation \(n)")
      }
    }
  }

  @Test func outOfRangeTokenIsOneErrorLine() throws {
    let r = try runSystole(["run", "Programs/models/transformers/bert_tiny_int8.tflite", "--arch", "edge-tpu", "--functional"])
    #expect(r.status == 65)
    #expect(r.stderr.contains("GATHER") && r.stderr.contains("out of range 0..<32"), "\(r.stderr)")
  }
}
