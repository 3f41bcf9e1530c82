import Foundation
import GraphIR
import Support
import SystoleTestSupport
import Testing

@testable import TFLiteImport

/// issue 14: detection. TFLite_Detection_PostProcess's FlexBuffer options: the blob TensorFlow's
/// Python flexbuffers wrote into `make_detection_models.py`'s detector reads back; every
/// truncation and seeded byte corruption of it reads or fails with one line, never traps; the
/// writer's own blob round-trips; malformed blobs get their full messages.
@Suite struct FlexBufferTests {
  static let model = SystoleTestSupport.Fixtures.models.appendingPathComponent("detection/ssd_tiny_int8.tflite")

  /// The custom options as stored in the file: the `[ubyte]` vector whose first key
  /// (`detections_per_class`, first in sorted order) starts the blob.
  static func storedBlob() throws -> (file: [UInt8], start: Int, blob: [UInt8]) {
    let file = [UInt8](try Data(contentsOf: model))
    let key = Array("detections_per_class\0".utf8)
    let start = try #require((4..<(file.count - key.count)).first { file[$0..<$0 + key.count].elementsEqual(key) })
    var length = 0
    for k in 0..<4 { length |= Int(file[start - 4 + k]) << (8 * k) }
    try #require(start + length <= file.count)
    return (file, start, Array(file[start..<start + length]))
  }

  static func read(_ blob: [UInt8]) throws(TFLiteImportError) -> DetectionPostProcessOptions {
    try OptionsReader.detectionOptions(blob) { kind, message in TFLiteImportError(kind, source: "t", message) }
  }

  static func imported() throws -> DetectionPostProcessOptions {
    for op in try TFLiteImporter.load(contentsOf: model).main.operators {
      if case .detectionPostProcess(let o) = op.kind { return o }
    }
    throw TFLiteImportError(.invalidModel, source: "test", "no TFLite_Detection_PostProcess op")
  }

  @Test func storedBlobAndWriterBlobReadTheSame() throws {
    let o = try Self.read(try Self.storedBlob().blob)
    #expect(o == (try Self.imported()))
    #expect(o.useRegularNMS == false && o.maxClassesPerDetection == 1)
    #expect(try Self.read(FlexBufferBuilder.detectionOptions(o)) == o)
    var changed = o
    changed.useRegularNMS = true
    changed.detectionsPerClass = 7
    changed.iouThreshold = 0.75
    #expect(try Self.read(FlexBufferBuilder.detectionOptions(changed)) == changed)
  }

  /// Every prefix and suffix, and three seeded corruptions of every byte: each reads or throws
  /// one line about the custom options.
  @Test func truncatedAndCorruptedBlobsNeverTrap() throws {
    let blob = try Self.storedBlob().blob
    var mutants: [[UInt8]] = []
    for n in 0..<blob.count {
      mutants.append(Array(blob[0..<n]))
      mutants.append(Array(blob[n...]))
    }
    var rng = SeededGenerator(seed: 14)
    for i in blob.indices {
      for _ in 0..<3 {
        var m = blob
        m[i] = UInt8.random(in: 0...255, using: &rng)
        mutants.append(m)
      }
    }
    var failed = 0
    for m in mutants {
      do {
        _ = try Self.read(m)
      } catch {
        failed += 1
        #expect(!error.description.contains("\n"), "\(error.description)")
        #expect(error.description.contains("custom option"), "\(error.description)")
      }
    }
    #expect(failed > mutants.count / 2, "only \(failed) of \(mutants.count) mutants failed")
  }

  @Test func malformedBlobsHaveOneLineMessages() throws {
    let o = try Self.imported()
    func without(_ key: String) -> [UInt8] {
      let full: [(key: String, value: FlexBufferBuilder.Scalar)] = [
        ("max_detections", .int(Int32(o.maxDetections))), ("max_classes_per_detection", .int(1)),
        ("nms_score_threshold", .float(0.5)), ("nms_iou_threshold", .float(0.5)), ("num_classes", .int(4)),
        ("y_scale", .float(10)), ("x_scale", .float(10)), ("h_scale", .float(5)), ("w_scale", .float(5)),
      ]
      return FlexBufferBuilder.map(full.filter { $0.key != key })
    }
    var zeroIoU = o
    zeroIoU.iouThreshold = 0
    var noDetections = o
    noDetections.maxDetections = 0
    let cases: [([UInt8], String)] = [
      ([], "t: custom options are empty; expected a FlexBuffer map"),
      ([5, 4, 1], "t: custom options: the root has type int; expected a map"),
      ([5, 4, 3], "t: custom options: root byte width 3; expected 1, 2, 4 or 8"),
      ([9, 0x24, 1], "t: custom options: the root map reference at byte 0 points 9 bytes back, before the start of the FlexBuffer"),
      ([0, 0x24, 1], "t: custom options: the root map at byte 0 with element width 1 has no room for its header"),
      (without("y_scale"), "t: custom options lack 'y_scale'"),
      (without("num_classes"), "t: custom options lack 'num_classes'"),
      (FlexBufferBuilder.detectionOptions(zeroIoU), "t: custom option 'nms_iou_threshold' is 0.0; expected a value in (0, 1]"),
      (FlexBufferBuilder.detectionOptions(noDetections), "t: custom option 'max_detections' is 0.0; expected an integer in 1...65535"),
    ]
    for (blob, message) in cases {
      #expect(throws: TFLiteImportError.self) { try Self.read(blob) }
      do {
        _ = try Self.read(blob)
      } catch {
        #expect(error.description == message)
      }
    }
  }

  /// Through the importer the message names the operator.
  @Test func importerNamesTheOperator() throws {
    var (file, start, blob) = try Self.storedBlob()
    file[start + blob.count - 1] = 3
    let count = try TFLiteImporter.load(contentsOf: Self.model).main.operators.count
    #expect(throws: TFLiteImportError.self) { try TFLiteImporter.parse(file, source: "ssd.tflite") }
    do {
      _ = try TFLiteImporter.parse(file, source: "ssd.tflite")
    } catch {
      #expect(
        error.description
          == "ssd.tflite: op #\(count - 1) TFLite_Detection_PostProcess 'TFLite_Detection_PostProcess': custom options: root byte width 3; expected 1, 2, 4 or 8"
      )
    }
    blob.removeAll()
  }
}
