import Foundation
import GraphIR
import ModelZoo
import Support

/// Builds each zoo model once per test process (ResNet-50 draws 25 M weights; debug builds take
/// about two seconds), shared by the tests that only read it.
final class ZooModels: @unchecked Sendable {
  static let shared = ZooModels()
  private let lock = NSLock()
  private var slots: [String: Slot] = [:]

  /// One model, built by the first test that asks for it while later askers wait on its lock.
  private final class Slot: @unchecked Sendable {
    let lock = NSLock()
    var model: Model?
  }

  /// The model `name` at `inputSize` (nil: the published size), seed 0.
  func model(_ name: String, inputSize: Int? = nil) throws -> Model {
    let key = "\(name)@\(inputSize.map(String.init) ?? "default")"
    lock.lock()
    let slot = slots[key] ?? Slot()
    slots[key] = slot
    lock.unlock()
    slot.lock.lock()
    defer { slot.lock.unlock() }
    if let m = slot.model { return m }
    let m = try ModelZoo.model(named: name, inputSize: inputSize)
    slot.model = m
    return m
  }
}

/// Whether the slow cases (full-size golden and float runs) are enabled: `SYSTOLE_SLOW_TESTS=1`.
let slowTestsEnabled = ProcessInfo.processInfo.environment["SYSTOLE_SLOW_TESTS"] == "1"

/// Counts written from the papers' layer tables, independently of the zoo's builders.
///
/// Conventions: a MAC is one multiply-accumulate of a CONV_2D, DEPTHWISE_CONV_2D,
/// FULLY_CONNECTED or BATCH_MATMUL; parameters are weights plus one bias per output channel
/// (batch norm folded), plus the layer-norm γ and β of BERT.
enum ClosedForm {
  struct Counts: Equatable, CustomStringConvertible {
    var macs: Int
    var parameters: Int
    var description: String { "\(macs) MACs, \(parameters) parameters" }
  }

  /// ResNet-50 v1.5 (He et al. Table 1, stride in the 3×3 conv) at image side `s`.
  static func resNet50(imageSize s: Int) -> Counts {
    var macs = 0
    var params = 0
    func conv(_ out: Int, _ k: Int, _ cin: Int, _ cout: Int) {
      macs += out * out * k * k * cin * cout
      params += k * k * cin * cout + cout
    }
    conv(s / 2, 7, 3, 64)
    var side = s / 4  // after the 3×3/2 max pool
    var cin = 64
    for (stage, (blocks, width)) in [(3, 64), (4, 128), (6, 256), (3, 512)].enumerated() {
      let out = stage == 0 ? side : side / 2
      for block in 0..<blocks {
        conv(block == 0 ? side : out, 1, cin, width)  // 1×1 reduce, at the block's input size
        conv(out, 3, width, width)  // 3×3, carries the stride
        conv(out, 1, width, 4 * width)  // 1×1 expand
        if block == 0 { conv(out, 1, cin, 4 * width) }  // projection shortcut
        cin = 4 * width
      }
      side = out
    }
    macs += 2048 * 1000
    params += 2048 * 1000 + 1000
    return Counts(macs: macs, parameters: params)
  }

  /// MobileNet v1 1.0 (Howard et al. Table 1) with a 1001-way 1×1 classifier.
  static func mobileNetV1(imageSize s: Int) -> Counts {
    var side = s / 2
    var macs = side * side * 27 * 32
    var params = 27 * 32 + 32
    var cin = 32
    let table =
      [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)] + Array(repeating: (512, 1), count: 5) + [
        (1024, 2), (1024, 1),
      ]
    for (cout, stride) in table {
      side /= stride
      macs += side * side * 9 * cin + side * side * cin * cout
      params += 9 * cin + cin + cin * cout + cout
      cin = cout
    }
    macs += 1024 * 1001
    params += 1024 * 1001 + 1001
    return Counts(macs: macs, parameters: params)
  }

  /// MobileNet v2 1.0 (Sandler et al. Table 2) with a 1001-way 1×1 classifier.
  static func mobileNetV2(imageSize s: Int) -> Counts {
    var side = s / 2
    var macs = side * side * 27 * 32
    var params = 27 * 32 + 32
    var cin = 32
    for (t, c, n, stride) in [
      (1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1),
    ] {
      for r in 0..<n {
        let hidden = cin * t
        if t != 1 {
          macs += side * side * cin * hidden
          params += cin * hidden + hidden
        }
        if r == 0 { side /= stride }
        macs += side * side * 9 * hidden + side * side * hidden * c
        params += 9 * hidden + hidden + hidden * c + c
        cin = c
      }
    }
    macs += side * side * 320 * 1280 + 1280 * 1001
    params += 320 * 1280 + 1280 + 1280 * 1001 + 1001
    return Counts(macs: macs, parameters: params)
  }

  /// One BERT encoder layer: `4·S·H² + 2·S²·H + 2·S·H·F` MACs; Q, K, V, output and both FFN
  /// weights and biases plus two layer norms' γ and β.
  static func bertLayer(sequence s: Int, hidden h: Int = 768, feedForward f: Int = 3072) -> Counts {
    Counts(macs: 4 * s * h * h + 2 * s * s * h + 2 * s * h * f, parameters: 4 * (h * h + h) + 2 * h * f + f + h + 4 * h)
  }

  /// BERT-base parameters outside the encoder layers: WordPiece (30,522), position (512) and
  /// segment (2) embeddings with their layer norm, and the pooler.
  static let bertEmbeddingsAndPooler = 30_522 * 768 + 512 * 768 + 2 * 768 + 2 * 768 + (768 * 768 + 768)

  /// MLP0: five 2048×2048 layers over `batch` rows.
  static func mlp0(batch b: Int) -> Counts {
    Counts(macs: b * 5 * 2048 * 2048, parameters: 5 * (2048 * 2048 + 2048))
  }

  /// The closed form for zoo model `name` at its published size.
  /// ResNet-18 (He et al. Table 1, basic blocks) at image side `s`.
  static func resNet18(imageSize s: Int) -> Counts {
    var macs = 0
    var params = 0
    func conv(_ out: Int, _ k: Int, _ cin: Int, _ cout: Int) {
      macs += out * out * k * k * cin * cout
      params += k * k * cin * cout + cout
    }
    conv(s / 2, 7, 3, 64)
    var side = s / 4
    var cin = 64
    for (stage, width) in [64, 128, 256, 512].enumerated() {
      let out = stage == 0 ? side : side / 2
      conv(out, 3, cin, width)  // block 1: 3×3 with the stride
      conv(out, 3, width, width)
      if stage > 0 { conv(out, 1, cin, width) }  // projection
      conv(out, 3, width, width)  // block 2
      conv(out, 3, width, width)
      cin = width
      side = out
    }
    macs += 512 * 1000
    params += 512 * 1000 + 1000
    return Counts(macs: macs, parameters: params)
  }

  /// Inception v1 (Szegedy et al. Table 1) as TF-slim builds it: 3×3 in the "5×5" branch.
  static func inceptionV1(imageSize s: Int) -> Counts {
    var macs = 0
    var params = 0
    func conv(_ side: Int, _ k: Int, _ cin: Int, _ cout: Int) {
      macs += side * side * k * k * cin * cout
      params += k * k * cin * cout + cout
    }
    var side = s / 2
    conv(side, 7, 3, 64)
    side /= 2
    conv(side, 1, 64, 64)
    conv(side, 3, 64, 192)
    side /= 2
    var cin = 192
    func mixed(_ f: (Int, Int, Int, Int, Int, Int)) {
      conv(side, 1, cin, f.0)
      conv(side, 1, cin, f.1)
      conv(side, 3, f.1, f.2)
      conv(side, 1, cin, f.3)
      conv(side, 3, f.3, f.4)
      conv(side, 1, cin, f.5)
      cin = f.0 + f.2 + f.4 + f.5
    }
    mixed((64, 96, 128, 16, 32, 32))
    mixed((128, 128, 192, 32, 96, 64))
    side /= 2
    for f in [(192, 96, 208, 16, 48, 64), (160, 112, 224, 24, 64, 64), (128, 128, 256, 24, 64, 64), (112, 144, 288, 32, 64, 64), (256, 160, 320, 32, 128, 128)] {
      mixed(f)
    }
    side /= 2
    mixed((256, 160, 320, 32, 128, 128))
    mixed((384, 192, 384, 48, 128, 128))
    conv(1, 1, cin, 1001)
    return Counts(macs: macs, parameters: params)
  }

  /// EfficientNet-EdgeTPU-S from its block table (tensorflow/tpu efficientnet_edgetpu_builder.py).
  static func efficientNetEdgeTPUSmall(imageSize s: Int) -> Counts {
    var macs = 0
    var params = 0
    var side = s / 2
    macs += side * side * 27 * 32
    params += 27 * 32 + 32
    var cin = 32
    for (repeats, k, firstStride, e, i, o, fused) in [
      (1, 3, 1, 4, 24, 24, true), (2, 3, 2, 8, 24, 32, true), (4, 3, 2, 8, 32, 48, true),
      (5, 5, 2, 8, 48, 96, false), (4, 5, 1, 8, 96, 144, false), (2, 5, 2, 8, 144, 192, false),
    ] {
      for r in 0..<repeats {
        let stride = r == 0 ? firstStride : 1
        let expanded = (r == 0 ? i : o) * e
        let out = side / stride
        if fused {
          macs += out * out * k * k * cin * expanded
          params += k * k * cin * expanded + expanded
        } else {
          macs += side * side * cin * expanded + out * out * k * k * expanded
          params += cin * expanded + expanded + k * k * expanded + expanded
        }
        macs += out * out * expanded * o
        params += expanded * o + o
        side = out
        cin = o
      }
    }
    macs += side * side * cin * 1280 + 1280 * 1001
    params += cin * 1280 + 1280 + 1280 * 1001 + 1001
    return Counts(macs: macs, parameters: params)
  }

  static func published(_ name: String) -> Counts? {
    switch name {
    case "resnet50": resNet50(imageSize: 224)
    case "mobilenet_v1": mobileNetV1(imageSize: 224)
    case "mobilenet_v2": mobileNetV2(imageSize: 224)
    case "bert-base-layer": bertLayer(sequence: 128)
    case "mlp0": mlp0(batch: 200)
    case "resnet18": resNet18(imageSize: 224)
    case "inception_v1": inceptionV1(imageSize: 224)
    case "efficientnet_edgetpu_s": efficientNetEdgeTPUSmall(imageSize: 224)
    default: nil
    }
  }
}

extension Graph {
  /// Total MACs over all operators (`Graph.macs(ofOperator:)`).
  var totalMACs: Int { operators.indices.reduce(0) { $0 + macs(ofOperator: $1) } }

  /// Weights and biases of the weighted ops plus the multi-element constant operands of
  /// elementwise ops (layer-norm γ and β); shape operands and scalar constants are not parameters.
  var parameterCount: Int {
    var ids = Set<TensorID>()
    for op in operators {
      switch op.kind {
      case .conv2D, .depthwiseConv2D, .fullyConnected:
        for id in op.inputs.dropFirst().compactMap({ $0 }) where self[id].isConstant { ids.insert(id) }
      case .add, .sub, .mul:
        for id in op.inputs.compactMap({ $0 }) where self[id].isConstant && self[id].elementCount > 1 { ids.insert(id) }
      default:
        break
      }
    }
    return ids.reduce(0) { $0 + self[$1].elementCount }
  }

  /// Operator counts by TFLite name.
  var operatorCounts: [String: Int] {
    operators.reduce(into: [:]) { $0[$1.kind.tfliteName, default: 0] += 1 }
  }
}

/// Uniformly random int8 codes for every graph input (the zoo's calibration distribution).
func randomInputs(_ graph: Graph, seed: UInt64) -> [TensorData] {
  var rng = SeededGenerator(seed: seed)
  return graph.inputs.map { id in
    let n = graph[id].elementCount
    var codes = [Int8](repeating: 0, count: n)
    for i in 0..<n { codes[i] = Int8(truncatingIfNeeded: rng.next()) }
    return TensorData(shape: graph[id].shape, storage: .int8(codes))
  }
}

/// How often each int8 code occurs.
func histogram(_ codes: [Int8]) -> [Int] {
  var h = [Int](repeating: 0, count: 256)
  codes.withUnsafeBufferPointer { p in
    for c in p { h[Int(c) &+ 128] &+= 1 }
  }
  return h
}

/// Fraction of int8 codes pinned at the range ends: 127, or −128 unless −128 is the zero point
/// (then −128 is the real 0 of a rectified or probability output, not a clamp).
func clampedFraction(_ h: [Int], zeroPoint: Int64) -> Double {
  let n = h[255] + (zeroPoint != -128 ? h[0] : 0)
  return Double(n) / Double(max(h.reduce(0, +), 1))
}
