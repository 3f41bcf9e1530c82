import Foundation
import GraphIR
import ModelZoo
import TFLiteImport

/// Resolves a model argument to a graph: `zoo:NAME[@SIZE]` builds a zoo model (SIZE is the
/// image side, sequence length or batch, per `docs/model-zoo.md`); anything else is a `.tflite`
/// path.
enum ModelLoader {
  static func load(_ argument: String, seed: UInt64 = 0) throws -> Model {
    if argument.hasPrefix("zoo:") {
      var name = String(argument.dropFirst(4))
      var size: Int?
      if let at = name.firstIndex(of: "@") {
        let text = name[name.index(after: at)...]
        guard let s = Int(text) else {
          throw UsageError("'\(argument)': expected zoo:NAME or zoo:NAME@SIZE with an integer SIZE")
        }
        size = s
        name = String(name[..<at])
      }
      return try ModelZoo.model(named: name, seed: seed, inputSize: size)
    }
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory) else {
      throw DriverError(.cannotRead, "\(argument): no such file")
    }
    guard !isDirectory.boolValue else {
      throw DriverError(.cannotRead, "\(argument): is a directory; expected a .tflite file")
    }
    return try TFLiteImporter.load(contentsOf: URL(fileURLWithPath: argument))
  }
}
