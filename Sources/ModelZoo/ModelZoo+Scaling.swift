import GraphIR
import Support

extension ModelZoo {
  /// A synthetic chain of `layers` identical FULLY_CONNECTED layers (`width` → `width` units,
  /// ReLU, `batch` rows), for measuring how compile and simulation cost grow with the number of
  /// tiles: every layer has the same shape, so a compiler that tiles each layer the same way
  /// emits exactly `layers` times one layer's tiles.
  ///
  /// Not a zoo entry (no published network has this shape); `systole bench --scaling` builds it.
  ///
  /// ```swift
  /// let eight = try ModelZoo.fullyConnectedChain(layers: 8, width: 1024, batch: 256)
  /// ```
  ///
  /// - Throws: ``ModelZooError`` `.invalidInputSize` when `layers` is outside 1...4096 or
  ///   `width` or `batch` outside 1...65536.
  public static func fullyConnectedChain(layers: Int, width: Int, batch: Int, seed: UInt64 = 0) throws(ModelZooError)
    -> Model
  {
    let name = "fc-chain"
    for (value, range, what) in [(layers, 1...4096, "layer count"), (width, 1...65536, "width"), (batch, 1...65536, "batch")]
    where !range.contains(value) {
      throw ModelZooError(
        .invalidInputSize, name: name,
        message: "synthetic model '\(name)': \(what) \(value); expected \(range.lowerBound)...\(range.upperBound)")
    }
    var b = GraphBuilder(name: name, seed: seed)
    var h = b.input("input", shape: [batch, width], range: RealRange(lower: -3, upper: 3))
    for layer in 1...layers {
      h = b.fullyConnected(h, "\(name)/fc\(layer)", units: width, activation: .relu)
    }
    b.outputs = [h]
    return b.finished
  }
}
