import Foundation
import GraphIR
import TFLiteImport

/// Resolves a model argument (a `.tflite` path) to a graph.
enum ModelLoader {
  static func load(_ argument: String) throws -> Model {
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
