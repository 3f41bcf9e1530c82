import Foundation
import Support
import SystoleTestSupport
import Testing

/// `--inputs` and `--labels` on `quantize` and `compare`, with the committed digits models
/// (`Programs/trained`): labelled top-1/top-5, the inputs each figure came from, and bad input.
@Suite struct LabelledAccuracyCLITests {
  static let trained = "Programs/trained"

  /// A temporary folder holding `files` (name → bytes).
  static func folder(_ files: [String: [UInt8]]) throws -> URL {
    let dir = try makeTemporaryDirectory()
    for (name, bytes) in files { try Data(bytes).write(to: dir.appendingPathComponent(name)) }
    return dir
  }

  @Test func compareReportsTopOneOfBothModelsOnTheLabelledInputs() throws {
    let r = try runSystole([
      "compare", "\(Self.trained)/mlp_float.tflite", "\(Self.trained)/mlp_tf_int8.tflite",
      "--inputs", "\(Self.trained)/test", "--labels", "\(Self.trained)/test/labels.txt", "--json",
    ])
    #expect(r.status == 0, "\(r.stderr)")
    let json = try JSONValue.parse(r.stdout)
    #expect(json["inputs"]?["source"] == .string("inputs"))
    #expect(json["inputs"]?["count"] == .int(450))
    func number(_ v: JSONValue?) -> Double? {
      switch v {
      case .double(let d)?: d
      case .int(let i)?: Double(i)
      default: nil
      }
    }
    guard let q = number(json["labelled"]?["top1_accuracy"]), let f = number(json["labelled"]?["float_top1_accuracy"]),
      let drop = number(json["labelled"]?["top1_drop_points"])
    else {
      Issue.record("no labelled accuracy in \(r.stdout)")
      return
    }
    // results.json: TFLite's BUILTIN_REF gives 98.44 % for both files.
    #expect(abs(100 * q - 98.44) < 0.01 && abs(100 * f - 98.44) < 0.01, "float \(f), quantized \(q)")
    #expect(abs(drop - 100 * (f - q)) < 1e-9)
    #expect(json["labelled"]?["top5_accuracy"] != nil)
  }

  @Test func quantizeMeasuresOnTheCalibrationFolderWhenNoInputsAndSaysSo() throws {
    let dir = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let r = try runSystole([
      "quantize", "\(Self.trained)/mlp_float.tflite", "-o", dir.appendingPathComponent("q.tflite").path,
      "--calibration", "\(Self.trained)/calibration",
    ])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("inputs: 100 inputs from the calibration folder 'Programs/trained/calibration' (no --inputs given)\n"))
    let labelled = try runSystole([
      "quantize", "\(Self.trained)/mlp_float.tflite", "-o", dir.appendingPathComponent("q2.tflite").path,
      "--calibration", "\(Self.trained)/calibration", "--inputs", "\(Self.trained)/test", "--labels",
      "\(Self.trained)/test/labels.txt",
    ])
    #expect(labelled.status == 0, "\(labelled.stderr)")
    #expect(labelled.stdout.contains("inputs: 450 inputs from the --inputs folder 'Programs/trained/test'\n"))
    #expect(labelled.stdout.contains("  top-1: float 98.44 % (443/450), quantized 98.44 % (443/450), drop 0.00 points\n"))
  }

  @Test func badLabelsAndInputsAreOneLineErrors() throws {
    let zeros = [UInt8](repeating: 0, count: 256)
    let two = try Self.folder(["0000.bin": zeros, "0001.bin": zeros])
    let empty = try Self.folder([:])
    let labels = try Self.folder([
      "three.txt": Array("1\n2\n3\n".utf8), "text.txt": Array("1\nseven\n".utf8), "range.txt": Array("1\n10\n".utf8),
      "ok.txt": Array("1\n2\n".utf8),
    ])
    let attention = try Self.folder(["0000.bin": [UInt8](repeating: 0, count: 512)])
    let one = try Self.folder(["l.txt": Array("1\n".utf8)])
    defer { for d in [two, empty, labels, attention, one] { try? FileManager.default.removeItem(at: d) } }
    let mlp = ["compare", "\(Self.trained)/mlp_float.tflite", "\(Self.trained)/mlp_tf_int8.tflite"]
    let cases: [([String], Int32, String)] = [
      (mlp + ["--inputs", two.path, "--labels", labels.appendingPathComponent("three.txt").path], 65,
       "error: \(Self.trained)/mlp_float.tflite: labels '\(labels.path)/three.txt': 3 labels for 2 inputs; expected one label per input file, in sorted file-name order\n"),
      (mlp + ["--inputs", two.path, "--labels", labels.appendingPathComponent("text.txt").path], 65,
       "error: \(Self.trained)/mlp_float.tflite: labels '\(labels.path)/text.txt' line 2: 'seven' is not a class number; expected one non-negative integer per line\n"),
      (mlp + ["--inputs", two.path, "--labels", labels.appendingPathComponent("range.txt").path], 65,
       "error: \(Self.trained)/mlp_float.tflite: labels '\(labels.path)/range.txt' line 2: class 10 is out of range; the output has 10 classes (0…9)\n"),
      (mlp + ["--inputs", empty.path, "--labels", labels.appendingPathComponent("ok.txt").path], 65,
       "error: \(Self.trained)/mlp_float.tflite: inputs folder '\(empty.path)': holds no .bin files; expected one raw input file per sample (e.g. 0000.bin)\n"),
      (mlp + ["--inputs", two.path, "--labels", labels.appendingPathComponent("missing.txt").path], 66,
       "error: \(labels.path)/missing.txt: no such file\n"),
      (mlp + ["--labels", labels.appendingPathComponent("ok.txt").path], 64,
       "error: --labels \(labels.path)/ok.txt needs the labelled inputs: pass --inputs DIR (the files the labels describe)\n"),
      (["compare", "Programs/models/attention_float.tflite", "Programs/models/attention_int8.tflite", "--inputs", attention.path,
        "--labels", one.appendingPathComponent("l.txt").path], 65,
       "error: Programs/models/attention_float.tflite: output 0 'PartitionedCall:0': has shape [1, 8, 16]; labels need a classification output of shape [1, C]: one row of C ≥ 2 class scores per input\n"),
      (["quantize", "\(Self.trained)/mlp_float.tflite", "-o", two.appendingPathComponent("never.tflite").path,
        "--calibration", two.path, "--inputs", two.path, "--labels", labels.appendingPathComponent("range.txt").path], 65,
       "error: \(Self.trained)/mlp_float.tflite: labels '\(labels.path)/range.txt' line 2: class 10 is out of range; the output has 10 classes (0…9)\n"),
    ]
    for (args, status, stderr) in cases {
      let r = try runSystole(args)
      #expect(r.status == status, "\(args): \(r.stderr)")
      #expect(r.stderrMessage.hasPrefix(stderr), "\(args)")
      // One line; a usage error ends it with the `--help` pointer.
      #expect(r.stderr.split(separator: "\n").count == 1, "\(args): \(r.stderr)")
    }
    // Labels are checked before anything is written.
    #expect(!FileManager.default.fileExists(atPath: two.appendingPathComponent("never.tflite").path))
  }
}
