import Foundation
import GoldenModel
import TFLiteImport
import GraphIR
import Support

/// Locates the repository's committed fixtures (models, reference outputs, architectures).
public enum Fixtures {
  /// The package root, found from this file's path (tests run from any directory).
  public static let root: URL = {
    var url = URL(fileURLWithPath: #filePath)
    // Tests/SystoleTestSupport/Fixtures.swift → package root
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url
  }()

  /// `Programs/models`.
  public static var models: URL { root.appendingPathComponent("Programs/models") }

  /// The path of a committed model, relative to `Programs/models`.
  public static func model(_ relative: String) -> URL { models.appendingPathComponent(relative) }

  /// Every reference set listed in `Programs/models/reference/index.json`.
  public static func referenceSets() throws -> [ReferenceSet] {
    let indexURL = models.appendingPathComponent("reference/index.json")
    let index = try JSONValue.parse(String(decoding: try Data(contentsOf: indexURL), as: UTF8.self))
    var stems: [String] = []
    switch index {
    case .object(let pairs):
      if case .array(let items)? = index["models"] {
        stems = items.compactMap { item in
          if case .string(let s)? = item["stem"] { return s }
          if case .string(let s) = item { return s }
          return nil
        }
      } else {
        stems = pairs.map(\.0)
      }
    case .array(let items):
      stems = items.compactMap { item in
        if case .string(let s)? = item["stem"] { return s }
        if case .string(let s) = item { return s }
        return nil
      }
    default: break
    }
    return try stems.sorted().map { try ReferenceSet(stem: $0) }
  }
}

extension Fixtures {
  /// The reference sets listed under `key` in `Programs/models/reference/index.json` (keys other
  /// than `models`, written by generators other than `make_models.py`: `transformers`,
  /// `transformer_ops`, …), in file order; empty when the key is absent.
  public static func referenceSets(key: String) throws -> [ReferenceSet] {
    let indexURL = models.appendingPathComponent("reference/index.json")
    let index = try JSONValue.parse(String(decoding: try Data(contentsOf: indexURL), as: UTF8.self))
    guard case .array(let items)? = index[key] else { return [] }
    return try items.compactMap { item in
      guard case .string(let stem)? = item["stem"] else { return nil }
      return try ReferenceSet(stem: stem)
    }
  }
}

/// Inputs and TFLite reference-kernel outputs for one committed model.
public struct ReferenceSet: Sendable, CustomStringConvertible {
  /// One tensor's description from the manifest.
  public struct TensorInfo: Sendable {
    public var name: String
    public var shape: [Int]
    public var dtype: ElementType
  }
  public var stem: String
  /// The directory holding `reference/<stem>/` and the manifest's relative model path.
  public var base: URL
  /// The model file.
  public var model: URL
  public var invocations: Int
  /// The quantization scheme, for the quantizer's reference sets (`nil` elsewhere).
  public var scheme: String?
  public var stateful: Bool
  public var ops: [String]
  public var inputs: [TensorInfo]
  public var outputs: [TensorInfo]

  public var description: String { stem }

  /// The set `base/reference/<stem>/` (base: `Programs/models`, or `Programs/quantizer` for
  /// the quantizer's files).
  public init(stem: String, base: URL = Fixtures.models) throws {
    self.stem = stem
    self.base = base
    let dir = base.appendingPathComponent("reference/\(stem)")
    let m = try JSONValue.parse(String(decoding: try Data(contentsOf: dir.appendingPathComponent("manifest.json")), as: UTF8.self))
    guard case .string(let rel)? = m["model"], case .int(let n)? = m["invocations"] else {
      throw FixtureError("reference/\(stem)/manifest.json: missing 'model' or 'invocations'")
    }
    model = base.appendingPathComponent(rel)
    invocations = Int(n)
    if case .string(let name)? = m["scheme"] { scheme = name } else { scheme = nil }
    if case .bool(let s)? = m["stateful"] { stateful = s } else { stateful = false }
    if case .array(let o)? = m["ops"] { ops = o.compactMap { if case .string(let s) = $0 { s } else { nil } } } else { ops = [] }
    func infos(_ key: String) throws -> [TensorInfo] {
      guard case .array(let items)? = m[key] else { throw FixtureError("reference/\(stem)/manifest.json: missing '\(key)'") }
      return try items.map { item in
        guard case .string(let name)? = item["name"], case .array(let dims)? = item["shape"],
          case .string(let dt)? = item["dtype"], let type = ElementType(rawValue: dt)
        else { throw FixtureError("reference/\(stem)/manifest.json: malformed '\(key)' entry") }
        return TensorInfo(name: name, shape: dims.compactMap { if case .int(let d) = $0 { Int(d) } else { nil } }, dtype: type)
      }
    }
    inputs = try infos("inputs")
    outputs = try infos("outputs")
  }

  private var directory: URL { base.appendingPathComponent("reference/\(stem)") }

  /// The inputs of invocation `n`.
  public func inputs(invocation n: Int) throws -> [TensorData] {
    try inputs.enumerated().map { i, info in try load("in.\(n).\(i).bin", info) }
  }

  /// TFLite's outputs for invocation `n`.
  public func outputs(invocation n: Int) throws -> [TensorData] {
    try outputs.enumerated().map { i, info in try load("out.\(n).\(i).bin", info) }
  }

  private func load(_ file: String, _ info: TensorInfo) throws -> TensorData {
    let bytes = [UInt8](try Data(contentsOf: directory.appendingPathComponent(file)))
    guard let v = TensorData(littleEndianBytes: bytes, type: info.dtype, shape: info.shape) else {
      throw FixtureError("reference/\(stem)/\(file): \(bytes.count) bytes do not fit \(info.shape) \(info.dtype)")
    }
    return v
  }
}

/// A problem with the committed fixtures themselves.
public struct FixtureError: Error, CustomStringConvertible {
  public var description: String
  public init(_ d: String) { description = d }
}

/// Compares two tensors: byte-exact for integer types; for float32, within `relativeTolerance`
/// of the larger magnitude (with an absolute floor of `relativeTolerance` for values near 0).
/// Returns the number of mismatching elements.
public func mismatchCount(_ a: TensorData, _ b: TensorData, relativeTolerance: Float = 1e-5) -> Int {
  guard a.elementType == b.elementType, a.count == b.count else { return max(a.count, b.count, 1) }
  if case .float32(let x) = a.storage, case .float32(let y) = b.storage {
    var bad = 0
    for i in 0..<x.count {
      let scale = max(abs(x[i]), abs(y[i]), 1)
      if abs(x[i] - y[i]) > relativeTolerance * scale { bad += 1 }
    }
    return bad
  }
  let x = a.littleEndianBytes()
  let y = b.littleEndianBytes()
  let w = a.elementType.byteWidth
  var bad = 0
  for i in 0..<a.count where x[i * w..<(i + 1) * w] != y[i * w..<(i + 1) * w] { bad += 1 }
  return bad
}

/// A committed `.tflite` file as every command sees it: imported, then its run-time shapes
/// resolved once (`ShapeResolver`: a dynamic batch becomes 1, or `request`'s batch).
public func loadResolvedModel(_ url: URL, _ request: ShapeRequest = ShapeRequest()) throws -> Model {
  try ShapeResolver.resolve(TFLiteImporter.load(contentsOf: url), request)
}

extension ReferenceSet {
  /// The set's model with its inputs resolved to the manifest's shapes (the shapes the
  /// reference inputs were recorded at), as `--input-shape` would give them.
  public func loadResolved() throws -> Model {
    let request = ShapeRequest(inputShapes: inputs.enumerated().map { .init(key: String($0.offset), shape: $0.element.shape) })
    return try loadResolvedModel(model, request)
  }
}
