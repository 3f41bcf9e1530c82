import CycleSim
import Foundation
import GoldenModel
import GraphIR
import ModelZoo
import TFLiteImport

/// Resolves a model argument to a graph with static shapes.
///
/// `zoo:NAME[@SIZE]` builds a zoo model (SIZE is the image side, sequence length or batch, per
/// `docs/model-zoo.md`); a file is recognised by its content: a TFLite flatbuffer (identifier
/// `TFL3`), or a SCALE-Sim convolution topology CSV (header starting `Layer name`) or GEMM CSV
/// (header `Layer, M, N, K`), which becomes an int8 graph with seeded synthetic weights. Every
/// model then goes through ``ShapeResolver`` once: a dynamic batch becomes `--batch` (default 1),
/// other run-time dimensions take `--input-shape`, and a batch given for a static model
/// re-batches it, so every command sees the same resolved shapes.
enum ModelLoader {
  /// What kind of file a model argument is.
  enum Kind: Equatable {
    case tflite
    case convolutionTopology
    case gemmTopology
  }

  static func load(_ argument: String, shapes: ShapeRequest = ShapeRequest(), seed: UInt64 = 0) throws -> Model {
    let model = try loadUnresolved(argument, shapes: shapes, seed: seed)
    return try ShapeResolver.resolve(model, shapes, maxTensorBytes: tensorBudget)
  }

  /// A `.tflite` file imported as far as it can be (for `inspect`, which shows the rest of a
  /// model with unsupported operators): a whole model with its shapes resolved as `load`
  /// resolves them, or one without its unsupported operators, resolved where resolution
  /// succeeds; nil for every argument that is not a `.tflite` file (load those with `load`).
  static func loadPartially(_ argument: String, shapes: ShapeRequest) throws -> PartialImport? {
    var isDirectory: ObjCBool = false
    guard !argument.hasPrefix("zoo:"), FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory),
      !isDirectory.boolValue
    else { return nil }
    let bytes = try FileIO.read(argument)
    guard try kind(of: bytes, path: argument) == .tflite else { return nil }
    var partial = try TFLiteImporter.parsePartially(bytes, source: argument)
    if partial.unsupported.isEmpty {
      partial.model = try ShapeResolver.resolve(partial.model, shapes, maxTensorBytes: tensorBudget)
    } else if let resolved = try? ShapeResolver.resolve(partial.model, shapes, maxTensorBytes: tensorBudget) {
      // Shapes are shown as resolved when the rest of the graph allows it, else as stored.
      partial.model = resolved
    }
    return partial
  }

  /// The largest single tensor shape resolution accepts: a quarter of physical memory, at most
  /// 4 GiB (a batch whose buffers would not fit is refused before anything is allocated).
  static var tensorBudget: Int {
    min(ShapeResolver.defaultMaxTensorBytes, Int(clamping: ProcessInfo.processInfo.physicalMemory / 4))
  }

  static func loadUnresolved(_ argument: String, shapes: ShapeRequest, seed: UInt64) throws -> Model {
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
      // mlp0's size is its batch: build it at the batch asked instead of re-batching.
      if name == "mlp0", size == nil, let batch = shapes.batch, batch <= 4096 { size = batch }
      return try ModelZoo.model(named: name, seed: seed, inputSize: size)
    }
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory) else {
      throw DriverError(.cannotRead, "\(argument): no such file")
    }
    guard !isDirectory.boolValue else {
      throw DriverError(.cannotRead, "\(argument): is a directory; expected a .tflite file or a topology CSV")
    }
    let bytes = try FileIO.read(argument)
    let fileKind = try kind(of: bytes, path: argument)
    switch fileKind {
    case .tflite:
      return try TFLiteImporter.parse(bytes, source: argument)
    case .convolutionTopology, .gemmTopology:
      let text = String(decoding: bytes, as: UTF8.self)
      let isGEMM = fileKind == .gemmTopology
      let layers = isGEMM
        ? try ScaleSimTopology.parseGEMM(text, file: argument) : try ScaleSimTopology.parseConvolution(text, file: argument)
      // SCALE-Sim splits depthwise rows per channel; Systole keeps one depthwise operator.
      var merged: [TopologyLayer] = []
      var lastDepthwise: String?
      for l in layers {
        if isGEMM {
          merged.append(TopologyLayer(name: l.name, kind: .gemm(m: l.ifmapHeight, n: l.numFilters, k: l.ifmapWidth)))
          continue
        }
        if let r = l.name.range(of: "Channel_", options: .backwards), l.name[..<r.lowerBound].contains("DP") {
          let base = String(l.name[..<r.lowerBound])
          if lastDepthwise == base, var last = merged.popLast() {
            last.channels += 1
            merged.append(last)
          } else {
            merged.append(
              TopologyLayer(
                name: base, kind: .depthwise, ifmapHeight: l.ifmapHeight, ifmapWidth: l.ifmapWidth,
                filterHeight: l.filterHeight, filterWidth: l.filterWidth, channels: 1, filters: l.numFilters,
                strideHeight: l.strideHeight, strideWidth: l.strideWidth))
            lastDepthwise = base
          }
          continue
        }
        lastDepthwise = nil
        merged.append(
          TopologyLayer(
            name: l.name, kind: .convolution, ifmapHeight: l.ifmapHeight, ifmapWidth: l.ifmapWidth,
            filterHeight: l.filterHeight, filterWidth: l.filterWidth, channels: l.channels, filters: l.numFilters,
            strideHeight: l.strideHeight, strideWidth: l.strideWidth))
      }
      // A depthwise row keeps one filter per channel (SCALE-Sim's Num Filter there is per channel).
      for i in merged.indices where merged[i].kind == .depthwise { merged[i].filters = merged[i].channels }
      do {
        return try ModelZoo.model(topology: merged, source: argument, seed: seed)
      } catch {
        // A bad row is bad input data (65), not a usage error as a zoo name is.
        throw DriverError(.badData, error.message)
      }
    }
  }

  /// The kind of a model file, by content: the TFLite identifier at byte 4, else a CSV header.
  static func kind(of bytes: [UInt8], path: String) throws -> Kind {
    if bytes.count >= 8, Array(bytes[4..<8]) == Array("TFL3".utf8) { return .tflite }
    let head = String(decoding: bytes.prefix(512), as: UTF8.self)
    let firstLine = head.split(whereSeparator: { $0 == "\n" || $0 == "\r" }).first.map(String.init) ?? ""
    let fields = firstLine.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
    if fields.first == "layer name", fields.count >= 8 { return .convolutionTopology }
    if fields.count >= 4, fields.first == "layer", fields[1] == "m", fields[2] == "n", fields[3] == "k" {
      return .gemmTopology
    }
    if bytes.count >= 8, bytes[0..<8].contains(0) || path.hasSuffix(".tflite") {
      // Binary: hand it to the TFLite reader, whose message says what the identifier was.
      return .tflite
    }
    let shown = firstLine.prefix(40).unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7f ? "?" : String($0) }.joined()
    throw DriverError(
      .badData,
      "\(path): not a model this tool reads (first line '\(shown)'); expected a .tflite file (identifier TFL3), a SCALE-Sim topology CSV (header 'Layer name, IFMAP Height, …') or a GEMM CSV (header 'Layer, M, N, K')"
    )
  }
}

/// `--batch N` and `--input-shape INPUT=DIMS`, shared by every command that loads a model.
enum ShapeOptions {
  static let specs: [OptionSpec] = [
    OptionSpec(
      name: "batch", kind: .value(placeholder: "N", repeats: false),
      help: "Batch: the leading dimension of every input (a dynamic -1 batch resolves to 1 without it)."),
    OptionSpec(
      name: "input-shape", kind: .value(placeholder: "INPUT=D,D,...", repeats: true),
      help: "Shape of an input (by name or index) with run-time dimensions other than the batch."),
  ]

  /// Largest batch accepted at the flag (2^24); memory is checked per tensor after shapes resolve.
  static let maxBatch = 1 << 24

  static func parse(_ args: ParsedArguments, command: String) throws(UsageError) -> ShapeRequest {
    var request = ShapeRequest()
    if let text = args.value("batch") {
      guard let b = Int(text), b >= 1, b <= maxBatch else {
        throw UsageError("option '--batch' expects an integer in 1...\(maxBatch); got '\(text.prefix(40))'", command: command)
      }
      request.batch = b
    }
    for entry in args.all("input-shape") {
      guard let eq = entry.lastIndex(of: "=") else {
        throw UsageError("option '--input-shape' expects INPUT=D,D,... (e.g. 0=1,224,224,3); got '\(entry.prefix(60))'", command: command)
      }
      let key = String(entry[..<eq])
      let dims = entry[entry.index(after: eq)...].split(separator: ",", omittingEmptySubsequences: false)
      var shape: [Int] = []
      for d in dims {
        guard let v = Int(d.trimmingCharacters(in: .whitespaces)), v >= 1, v <= Int(Int32.max) else {
          throw UsageError(
            "option '--input-shape' for '\(key.prefix(40))': dimension '\(d.prefix(20))' is not an integer in 1...2147483647", command: command)
        }
        shape.append(v)
      }
      guard !key.isEmpty else { throw UsageError("option '--input-shape' needs an input name or index before '='", command: command) }
      request.inputShapes.append(.init(key: key, shape: shape))
    }
    return request
  }
}
