import Foundation

/// File access for the driver: every failure is a ``DriverError`` naming the path.
enum FileIO {
  static func read(_ path: String) throws(DriverError) -> [UInt8] {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
      throw DriverError(.cannotRead, "\(path): no such file")
    }
    guard !isDirectory.boolValue else { throw DriverError(.cannotRead, "\(path): is a directory; expected a file") }
    guard let data = FileManager.default.contents(atPath: path) else {
      throw DriverError(.cannotRead, "\(path): cannot be read")
    }
    return [UInt8](data)
  }

  /// Creates `path` as a directory if missing; fails if it is a file.
  static func makeDirectory(_ path: String) throws(DriverError) {
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
      guard isDirectory.boolValue else { throw DriverError(.cannotWrite, "\(path): exists and is not a directory") }
      return
    }
    do {
      try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    } catch {
      throw DriverError(.cannotWrite, "\(path): cannot create directory (\(error.localizedDescription))")
    }
  }

  /// Writes `bytes` to `path`; an existing file is replaced only when `overwrite` is true.
  static func write(_ bytes: [UInt8], to path: String, overwrite: Bool) throws(DriverError) {
    if FileManager.default.fileExists(atPath: path) && !overwrite {
      throw DriverError(.cannotWrite, "\(path): already exists; pass --overwrite to replace it")
    }
    guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
      throw DriverError(.cannotWrite, "\(path): cannot be written")
    }
  }

  static func write(_ text: String, to path: String, overwrite: Bool) throws(DriverError) {
    try write(Array(text.utf8), to: path, overwrite: overwrite)
  }
}
