// Temporary stand-in until the reader lands; the reader branch deletes this file.
import Foundation
import GraphIR
import Support

public struct TFLiteImportError: SystoleError {
  public var description: String
}

public enum TFLiteImporter {
  public static func load(contentsOf url: URL) throws(TFLiteImportError) -> Model {
    throw TFLiteImportError(description: "\(url.path): reader not available")
  }
}
