/// Which tile of its layer an instruction works on, for reports only (traces, disassembly): the
/// compiler records it in `TileProgram.tiles`; nothing executes it.
///
/// The coordinates are block indices of the layer's output seen as a matrix (rows = output
/// pixels, columns = output channels) and of its reduction, counted from 0 in the order the
/// compiler visits them:
///
/// - `m`: the output row block — the spatial tile (batch element, tile row, tile column,
///   flattened), or for elementwise and copy layers the block of elements;
/// - `n`: the output column block — the tile of output channels (a pool's channel block);
/// - `k`: the reduction slice — which K chunk of the n-tile's weights a `load_weights` or
///   `matmul` uses.
///
/// A component is nil where it does not apply: an input load serves every n-tile of its
/// spatial tile (`m` only), a weight load or `matmul` has all three, an `activate` has `m` and
/// `n`.
public struct TileCoordinate: Hashable, Sendable, CustomStringConvertible {
  /// The output row block.
  public var m: Int?
  /// The output column block.
  public var n: Int?
  /// The reduction slice.
  public var k: Int?

  /// Creates a coordinate.
  public init(m: Int? = nil, n: Int? = nil, k: Int? = nil) {
    self.m = m
    self.n = n
    self.k = k
  }

  /// The present components with their names, in `m`, `n`, `k` order.
  public var components: [(name: String, value: Int)] {
    [("m", m), ("n", n), ("k", k)].compactMap { name, value in value.map { (name, $0) } }
  }

  /// `m=2 n=1 k=0` (absent components left out).
  public var description: String { components.map { "\($0.name)=\($0.value)" }.joined(separator: " ") }
}
