import Foundation
import GraphIR
import Support
import SystoleTestSupport
import TFLiteImport
import Testing

/// `systole quantize` and `systole compare` as a user runs them.
@Suite struct QuantizeCLITests {
  @Test func quantizeWritesALoadableInt8ModelAndReportsAccuracy() throws {
    let dir = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let out = dir.appendingPathComponent("mlp.tflite").path
    let r = try runSystole(["quantize", "Programs/models/mlp_float.tflite", "-o", out, "--samples", "16", "--json"])
    #expect(r.status == 0, "\(r.stderr)")
    let model = try TFLiteImporter.load(contentsOf: URL(fileURLWithPath: out))
    #expect(model.main.inputs.allSatisfy { model.main[$0].elementType == .int8 })
    let json = try JSONValue.parse(r.stdout)
    #expect(json["scheme"] == .string("int8-per-channel"))
    // Asking again without --overwrite must not replace the file.
    let again = try runSystole(["quantize", "Programs/models/mlp_float.tflite", "-o", out])
    #expect(again.status == 73)
    #expect(again.stderr == "error: \(out): already exists; pass --overwrite to replace it\n")
  }

  @Test func compareMeasuresTheCommittedInt8ModelAgainstItsFloatModel() throws {
    let r = try runSystole([
      "compare", "Programs/models/mlp_float.tflite", "Programs/models/mlp_int8.tflite", "--samples", "8", "--json",
    ])
    #expect(r.status == 0, "\(r.stderr)")
    let json = try JSONValue.parse(r.stdout)
    guard case .array(let outputs)? = json["outputs"], case .double(let sqnr)? = outputs.first?["sqnr_db"] else {
      Issue.record("no outputs[0].sqnr_db in \(r.stdout)")
      return
    }
    // TensorFlow's own int8 conversion of this MLP is ~34 dB (docs/quantizer.md); far below
    // would mean the two models were run on mismatched inputs.
    #expect(sqnr > 20, "output SQNR \(sqnr) dB")
  }

  @Test(arguments: [
    (["quantize", "Programs/models/mlp_float.tflite", "-o", "/tmp/never.tflite", "--scheme", "int3"], Int32(64),
     "error: unknown scheme 'int3'; known: int8-per-channel, int8-per-tensor, uint8-affine, int16x8, weights-only, int4, ternary, ternary-fine-grained\n"),
    (["quantize", "Programs/models/mlp_float.tflite"], Int32(64), "error: missing -o <out.tflite>\n"),
  ])
  func usageErrors(_ args: [String], _ status: Int32, _ firstLine: String) throws {
    let r = try runSystole(args)
    #expect(r.status == status)
    #expect(r.stderrMessage.hasPrefix(firstLine), "\(r.stderr)")
    #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
  }

  @Test func alreadyQuantizedModelIsRefusedInOneLine() throws {
    let r = try runSystole(["quantize", "Programs/models/mlp_int8.tflite", "-o", "/tmp/systole-never-written.tflite"])
    #expect(r.status == 65)
    #expect(r.stderr.hasPrefix("error: Programs/models/mlp_int8.tflite: op #0 FULLY_CONNECTED"))
    #expect(r.stderr.hasSuffix("the model is already quantized (expected float32 activations)\n"))
    #expect(!FileManager.default.fileExists(atPath: "/tmp/systole-never-written.tflite"))
  }
}
