/// A dense, row-major tensor value: a shape and typed elements.
///
/// Used for constant data in the graph, for model inputs and outputs, and for every
/// intermediate tensor the golden model computes.
public struct TensorData: Sendable, Equatable {
  /// Typed element storage.
  public enum Storage: Sendable, Equatable {
    case bool([Bool])
    case int8([Int8])
    case uint8([UInt8])
    case int16([Int16])
    case int32([Int32])
    case int64([Int64])
    case float32([Float])
  }

  /// Dimensions, outermost first (NHWC for images).
  public var shape: [Int]
  /// The elements, row-major.
  public var storage: Storage

  /// Creates a tensor; the element count must equal the product of `shape`.
  public init(shape: [Int], storage: Storage) {
    self.shape = shape
    self.storage = storage
    precondition(
      Self.elementCount(of: shape) == storage.count,
      "tensor data has \(storage.count) elements for shape \(shape)")
  }

  /// A tensor of zeros.
  public init(zeros type: ElementType, shape: [Int]) {
    let n = Self.elementCount(of: shape)
    let storage: Storage =
      switch type {
      case .bool: .bool(Array(repeating: false, count: n))
      case .int8: .int8(Array(repeating: 0, count: n))
      case .uint8: .uint8(Array(repeating: 0, count: n))
      case .int16: .int16(Array(repeating: 0, count: n))
      case .int32, .resource: .int32(Array(repeating: 0, count: n))
      case .int64: .int64(Array(repeating: 0, count: n))
      case .float32: .float32(Array(repeating: 0, count: n))
      }
    self.init(shape: shape, storage: storage)
  }

  /// Decodes little-endian row-major bytes; `nil` when the byte count does not match.
  public init?(littleEndianBytes bytes: [UInt8], type: ElementType, shape: [Int]) {
    let n = Self.elementCount(of: shape)
    guard bytes.count == n * type.byteWidth else { return nil }
    func read<T: FixedWidthInteger>(_: T.Type) -> [T] {
      bytes.withUnsafeBytes { raw in
        (0..<n).map { T(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * T.bitWidth / 8, as: T.self)) }
      }
    }
    let storage: Storage =
      switch type {
      case .bool: .bool(bytes.map { $0 != 0 })
      case .int8: .int8(bytes.map { Int8(bitPattern: $0) })
      case .uint8: .uint8(bytes)
      case .int16: .int16(read(Int16.self))
      case .int32, .resource: .int32(read(Int32.self))
      case .int64: .int64(read(Int64.self))
      case .float32: .float32(read(UInt32.self).map { Float(bitPattern: $0) })
      }
    self.init(shape: shape, storage: storage)
  }

  /// The element type.
  public var elementType: ElementType { storage.elementType }

  /// Number of elements.
  public var count: Int { storage.count }

  /// The elements as little-endian row-major bytes.
  public func littleEndianBytes() -> [UInt8] {
    func bytes<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
      var out = [UInt8]()
      out.reserveCapacity(values.count * T.bitWidth / 8)
      for v in values {
        withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) }
      }
      return out
    }
    switch storage {
    case .bool(let v): return v.map { $0 ? 1 : 0 }
    case .int8(let v): return v.map { UInt8(bitPattern: $0) }
    case .uint8(let v): return v
    case .int16(let v): return bytes(v)
    case .int32(let v): return bytes(v)
    case .int64(let v): return bytes(v)
    case .float32(let v): return bytes(v.map(\.bitPattern))
    }
  }

  /// Every element widened to `Int64` (floats truncated toward zero); for shape-like tensors.
  public var integerValues: [Int64] {
    switch storage {
    case .bool(let v): v.map { $0 ? 1 : 0 }
    case .int8(let v): v.map(Int64.init)
    case .uint8(let v): v.map(Int64.init)
    case .int16(let v): v.map(Int64.init)
    case .int32(let v): v.map(Int64.init)
    case .int64(let v): v
    case .float32(let v): v.map { Int64($0) }
    }
  }

  /// The product of the dimensions (1 for a scalar).
  public static func elementCount(of shape: [Int]) -> Int {
    shape.reduce(1, *)
  }
}

extension TensorData.Storage {
  /// The element type of this storage.
  public var elementType: ElementType {
    switch self {
    case .bool: .bool
    case .int8: .int8
    case .uint8: .uint8
    case .int16: .int16
    case .int32: .int32
    case .int64: .int64
    case .float32: .float32
    }
  }

  /// Number of elements.
  public var count: Int {
    switch self {
    case .bool(let v): v.count
    case .int8(let v): v.count
    case .uint8(let v): v.count
    case .int16(let v): v.count
    case .int32(let v): v.count
    case .int64(let v): v.count
    case .float32(let v): v.count
    }
  }
}
