import Foundation
import GraphIR

/// The committed TFLite test models (`Programs/models`) and their reference manifests.
public enum TFLiteTestModels {
  /// The repository root, found from this file's path (`Tests/SystoleTestSupport/…`).
  public static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

  /// `Programs/models` under the repository root, or `$SYSTOLE_MODELS_DIR` when set.
  public static var directory: URL {
    if let custom = ProcessInfo.processInfo.environment["SYSTOLE_MODELS_DIR"], !custom.isEmpty {
      return URL(fileURLWithPath: custom)
    }
    return repositoryRoot.appendingPathComponent("Programs/models")
  }

  /// Every `.tflite` file under ``directory`` (recursively), sorted by path, except those in
  /// `unsupported/`: models made to use operators Systole does not support, which the tests of
  /// that error name explicitly.
  public static func all() -> [URL] {
    guard let walker = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil) else {
      return []
    }
    var urls: [URL] = []
    for case let url as URL in walker where url.pathExtension == "tflite" {
      if url.deletingLastPathComponent().lastPathComponent == "unsupported" { continue }
      urls.append(url)
    }
    return urls.sorted { $0.path < $1.path }
  }

  /// The path of `url` relative to ``directory`` (`ops/conv2d_s1_valid_relu6_int8.tflite`).
  public static func relativePath(_ url: URL) -> String {
    let base = directory.standardizedFileURL.path + "/"
    let path = url.standardizedFileURL.path
    return path.hasPrefix(base) ? String(path.dropFirst(base.count)) : url.lastPathComponent
  }

  /// The bytes of the smallest committed model, or `nil` when there are none.
  public static func smallest() -> (url: URL, bytes: [UInt8])? {
    all().compactMap { url in (try? Data(contentsOf: url)).map { (url, [UInt8]($0)) } }
      .min { $0.1.count < $1.1.count }
  }

  /// `reference/<stem>/manifest.json` as written by `make_models.py`.
  public struct Manifest: Decodable, Sendable {
    /// One model input or output.
    public struct TensorInfo: Decodable, Sendable {
      public var name: String
      public var shape: [Int]
      public var dtype: String
      public var scale: [Double]?
      public var zero_point: [Int64]?
    }
    /// The model path relative to `Programs/models`.
    public var model: String
    /// How many reference invocations were recorded.
    public var invocations: Int
    /// Whether the model keeps state between invocations.
    public var stateful: Bool
    /// The sorted, distinct TFLite names of the operators of all subgraphs.
    public var ops: [String]
    public var inputs: [TensorInfo]
    public var outputs: [TensorInfo]
  }

  /// The manifest for the model at `url`, if the reference directory has one.
  public static func manifest(for url: URL) throws -> Manifest? {
    let stem = url.deletingPathExtension().lastPathComponent
    let path = directory.appendingPathComponent("reference/\(stem)/manifest.json")
    guard FileManager.default.fileExists(atPath: path.path) else { return nil }
    return try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: path))
  }
}
