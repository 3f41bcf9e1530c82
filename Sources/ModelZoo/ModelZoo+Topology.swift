import GraphIR
import Support

/// One layer of a SCALE-Sim topology (convolution or GEMM), independent of the CSV reader.
public struct TopologyLayer: Sendable, Hashable {
  /// What the layer computes.
  public enum Kind: Sendable, Hashable {
    /// A convolution over an input the user already padded (`IFMAP` sizes), VALID padding.
    case convolution
    /// A depthwise convolution (SCALE-Sim: a name containing `DP`), depth multiplier 1.
    case depthwise
    /// `M × K` times `K × N`.
    case gemm(m: Int, n: Int, k: Int)
  }
  public var name: String
  public var kind: Kind
  public var ifmapHeight: Int, ifmapWidth: Int
  public var filterHeight: Int, filterWidth: Int
  public var channels: Int, filters: Int
  public var strideHeight: Int, strideWidth: Int

  public init(
    name: String, kind: Kind, ifmapHeight: Int = 1, ifmapWidth: Int = 1, filterHeight: Int = 1, filterWidth: Int = 1,
    channels: Int = 1, filters: Int = 1, strideHeight: Int = 1, strideWidth: Int = 1
  ) {
    self.name = name
    self.kind = kind
    self.ifmapHeight = ifmapHeight
    self.ifmapWidth = ifmapWidth
    self.filterHeight = filterHeight
    self.filterWidth = filterWidth
    self.channels = channels
    self.filters = filters
    self.strideHeight = strideHeight
    self.strideWidth = strideWidth
  }
}

extension ModelZoo {
  /// Largest weight tensor a topology layer may ask for (64 MiB of int8; BERT-large's largest
  /// GEMM is 4 MiB), the most weights a whole topology may ask for (256 MiB), and the largest
  /// activation (TFLite's element bound): a CSV with absurd sizes is an error, not a
  /// multi-second weight generation or an allocation.
  public static let maxTopologyWeightBytes = 64 << 20
  public static let maxTopologyTotalWeightBytes = 256 << 20
  public static let maxTopologyActivationElements = Int(Int32.max)

  /// Builds an int8 graph from a SCALE-Sim topology, as the zoo builds its networks: per-channel
  /// int8 weights from a seeded generator, int32 biases, analytic activation quantization.
  ///
  /// SCALE-Sim simulates each layer in isolation on an input the user has already padded, so
  /// every row becomes its own graph input → operator → graph output: a convolution row a
  /// VALID CONV_2D on `[batch, H, W, C]` with `[N, R, S, C]` weights and stride `(s, s)` (or the
  /// ninth column's column stride), a `DP` row a DEPTHWISE_CONV_2D (its channels, multiplier 1),
  /// a GEMM row a FULLY_CONNECTED (keep_num_dims) of `[batch, M, K]` by `[N, K]`.
  ///
  /// - Throws: ``ModelZooError`` `.invalidInputSize` naming the row when a layer's weights or
  ///   activations exceed the bounds above, or a depthwise row asks for a depth multiplier other
  ///   than 1.
  public static func model(topology layers: [TopologyLayer], source: String, seed: UInt64 = 0, batch: Int = 1)
    throws(ModelZooError) -> Model
  {
    func fail(_ layer: TopologyLayer, _ why: String) -> ModelZooError {
      ModelZooError(.invalidInputSize, name: source, message: "\(source): layer '\(shortName(layer.name))': \(why)")
    }
    func product(_ xs: [Int]) -> Int? {
      var p = 1
      for x in xs {
        let r = p.multipliedReportingOverflow(by: x)
        if r.overflow { return nil }
        p = r.partialValue
      }
      return p
    }
    guard !layers.isEmpty else {
      throw ModelZooError(.invalidInputSize, name: source, message: "\(source): the topology has no layers")
    }
    var totalWeights = 0
    for layer in layers {
      let count: Int?
      switch layer.kind {
      case .gemm(_, let n, let k): count = product([n, k])
      case .depthwise: count = product([layer.filterHeight, layer.filterWidth, layer.channels])
      case .convolution: count = product([layer.filters, layer.filterHeight, layer.filterWidth, layer.channels])
      }
      guard let c = count, c <= maxTopologyWeightBytes else { continue }  // reported per layer below
      totalWeights += c
      guard totalWeights <= maxTopologyTotalWeightBytes else {
        throw ModelZooError(
          .invalidInputSize, name: source,
          message: "\(source): the topology's weights exceed \(maxTopologyTotalWeightBytes >> 20) MiB (at layer '\(shortName(layer.name))')")
      }
    }
    var b = GraphBuilder(name: source, seed: seed)
    var outputs: [TensorID] = []
    let range = RealRange(lower: -3, upper: 3)
    for (i, layer) in layers.enumerated() {
      let name = layer.name.isEmpty ? "layer\(i)" : layer.name
      switch layer.kind {
      case .gemm(let m, let n, let k):
        guard let w = product([n, k]), w <= maxTopologyWeightBytes else {
          throw fail(layer, "weights N × K = \(n) × \(k) exceed \(maxTopologyWeightBytes >> 20) MiB")
        }
        guard let x = product([batch, m, k]), x <= maxTopologyActivationElements,
          let y = product([batch, m, n]), y <= maxTopologyActivationElements
        else { throw fail(layer, "activations M × K or M × N exceed 2^31 - 1 elements") }
        let input = b.input(name + "/input", shape: [batch, m, k], range: range)
        outputs.append(b.fullyConnected(input, name, units: n, activation: .none, keepNumDims: true))
      case .convolution, .depthwise:
        let depthwise = layer.kind == .depthwise
        if depthwise, layer.filters != 1, layer.filters != layer.channels {
          throw fail(layer, "depthwise row with \(layer.filters) filters; only depth multiplier 1 is supported")
        }
        let weights = depthwise ? [layer.filterHeight, layer.filterWidth, layer.channels]
          : [layer.filters, layer.filterHeight, layer.filterWidth, layer.channels]
        guard let w = product(weights), w <= maxTopologyWeightBytes else {
          throw fail(layer, "weights \(weights) exceed \(maxTopologyWeightBytes >> 20) MiB")
        }
        let inShape = [batch, layer.ifmapHeight, layer.ifmapWidth, layer.channels]
        let oh = (layer.ifmapHeight - layer.filterHeight) / layer.strideHeight + 1
        let ow = (layer.ifmapWidth - layer.filterWidth) / layer.strideWidth + 1
        guard layer.filterHeight <= layer.ifmapHeight, layer.filterWidth <= layer.ifmapWidth else {
          throw fail(layer, "filter larger than its input")
        }
        guard let x = product(inShape), x <= maxTopologyActivationElements,
          let y = product([batch, oh, ow, depthwise ? layer.channels : layer.filters]),
          y <= maxTopologyActivationElements
        else { throw fail(layer, "activations exceed 2^31 - 1 elements") }
        let input = b.input(name + "/input", shape: inShape, range: range)
        if depthwise {
          outputs.append(
            b.depthwiseConv2D(
              input, name, filterH: layer.filterHeight, filterW: layer.filterWidth, strideH: layer.strideHeight,
              strideW: layer.strideWidth, padding: .valid, activation: .none))
        } else {
          outputs.append(
            b.conv2D(
              input, name, filters: layer.filters, filterH: layer.filterHeight, filterW: layer.filterWidth,
              strideH: layer.strideHeight, strideW: layer.strideWidth, padding: .valid, activation: .none))
        }
      }
    }
    b.outputs = outputs
    var model = b.finished
    model.source = source
    return model
  }
}
