/// Identifies a tensor within one ``Graph``.
public struct TensorID: Hashable, Comparable, Sendable, CustomStringConvertible {
  /// The tensor's index in ``Graph/tensors``.
  public var index: Int
  public init(_ index: Int) { self.index = index }
  public static func < (a: TensorID, b: TensorID) -> Bool { a.index < b.index }
  public var description: String { "tensor #\(index)" }
}

/// Affine quantization parameters: `real = scale × (q − zeroPoint)`.
///
/// Per-tensor when there is one scale; per-axis (per-channel) when there is one scale per
/// index of ``quantizedDimension``.
public struct QuantizationParameters: Sendable, Equatable {
  /// Scales, one per tensor or one per channel. Kept as `Float` exactly as stored in the model:
  /// TFLite widens them to `Double` only when deriving multipliers.
  public var scales: [Float]
  /// Zero points, the same count as ``scales``.
  public var zeroPoints: [Int64]
  /// The axis indexed by per-channel parameters.
  public var quantizedDimension: Int

  public init(scales: [Float], zeroPoints: [Int64], quantizedDimension: Int = 0) {
    self.scales = scales
    self.zeroPoints = zeroPoints
    self.quantizedDimension = quantizedDimension
  }

  /// Convenience for per-tensor parameters.
  public init(scale: Float, zeroPoint: Int64) {
    self.init(scales: [scale], zeroPoints: [zeroPoint])
  }

  /// True when there is more than one scale.
  public var isPerChannel: Bool { scales.count > 1 }

  /// The per-tensor scale (the first one).
  public var scale: Float { scales.first ?? 0 }
  /// The per-tensor zero point (the first one).
  public var zeroPoint: Int64 { zeroPoints.first ?? 0 }
}

/// A tensor of a graph: its type, shape, quantization, and constant data if it has any.
public struct Tensor: Sendable {
  /// The name in the source model (used in messages).
  public var name: String
  /// Static shape, outermost first.
  public var shape: [Int]
  /// Element type.
  public var elementType: ElementType
  /// Quantization parameters, `nil` for unquantized tensors.
  public var quantization: QuantizationParameters?
  /// Constant contents (weights, biases, shape operands), `nil` for activations.
  public var data: TensorData?
  /// Whether the tensor is a variable (state) tensor.
  public var isVariable: Bool
  /// The shape with −1 for dimensions only known at run time, when the model has any;
  /// `nil` for static tensors. ``shape`` then holds the file's placeholder (e.g. `[1, 1]`), and
  /// the golden model takes the shape its kernel computes.
  public var shapeSignature: [Int]? = nil
  /// The file's `shape_signature` when it has a −1, for every tensor including graph inputs,
  /// kept after ``shapeSignature`` is cleared by shape resolution so reports can show what the
  /// file declared next to what it was resolved to; `nil` for tensors stored fully static.
  public var declaredSignature: [Int]? = nil
  /// The storage width of a constant int8 tensor whose values fit in fewer bits: 4 (int4,
  /// −8…7) or 2 (−2…1, which holds ternary −1/0/1); `nil` for the natural width.
  ///
  /// The values stay `Int8` in ``data``; the annotation says how they may be stored: the
  /// compiler packs such weights `packedBits` per value in DRAM and the weight buffer, and the
  /// TFLite writer stores int4 tensors as TFLite's INT4 (two per byte) and records 2-bit ones in
  /// the file's metadata. ``GraphVerifier`` checks that every value fits.
  public var packedBits: Int? = nil
  /// Fine-grained ternary weights (Mellempudi et al. 2017): the weights per group, N. With
  /// ``packedBits`` 2, every group of N consecutive elements of one channel (the channel axis is
  /// the quantization's `quantizedDimension`, elements in row-major order; the last group of a
  /// channel may be shorter) holds values in {−a_g, 0, +a_g} for one level a_g in 0…127. The
  /// compiler stores them as 2-bit sign codes plus a level table (`load_weights
  /// packing=ternary-grouped`). `nil` for ordinary packed or unpacked tensors.
  public var packedGroupSize: Int? = nil

  /// The storage widths ``packedBits`` may take.
  public static let packableBits: [Int] = [2, 4]

  /// The signed range of a `bits`-bit two's-complement value: −2^(bits−1) … 2^(bits−1) − 1.
  public static func signedRange(bits: Int) -> ClosedRange<Int> { -(1 << (bits - 1))...((1 << (bits - 1)) - 1) }

  public init(
    name: String, shape: [Int], elementType: ElementType,
    quantization: QuantizationParameters? = nil, data: TensorData? = nil, isVariable: Bool = false
  ) {
    self.name = name
    self.shape = shape
    self.elementType = elementType
    self.quantization = quantization
    self.data = data
    self.isVariable = isVariable
  }

  /// Number of elements.
  public var elementCount: Int { TensorData.elementCount(of: shape) }
  /// Bytes as stored.
  public var byteCount: Int { elementCount * elementType.byteWidth }
  /// Whether the tensor holds constant data.
  public var isConstant: Bool { data != nil }
  /// Whether some dimension is only known at run time (see ``shapeSignature``).
  public var isDynamic: Bool { shapeSignature?.contains(-1) ?? false }
}

/// Maps a flat row-major index of a tensor to its channel along one axis (per-channel
/// quantization, fine-grained ternary groups).
public struct ChannelLayout: Sendable {
  /// Channels along the axis.
  public let channels: Int
  /// Elements after the channel axis (the stride of the channel index).
  public let inner: Int

  /// `nil` when `axis` is outside `shape` or the axis is empty.
  public init?(shape: [Int], axis: Int) {
    guard axis >= 0, axis < shape.count, shape[axis] > 0 else { return nil }
    channels = shape[axis]
    inner = shape[(axis + 1)...].reduce(1, *)
  }

  /// The channel of flat index `index`.
  public func channel(of index: Int) -> Int { (index / Swift.max(inner, 1)) % channels }

  /// The flat indices of channel `c` in a tensor of `count` elements, in row-major order:
  /// `(outer · channels + c) · inner + k`.
  public func indices(ofChannel c: Int, count: Int) -> [Int] {
    let outer = count / (channels * Swift.max(inner, 1))
    var out: [Int] = []
    out.reserveCapacity(outer * inner)
    for o in 0..<outer {
      let base = (o * channels + c) * inner
      for k in 0..<inner { out.append(base + k) }
    }
    return out
  }
}
