/// The element type of a tensor.
public enum ElementType: String, Sendable, CaseIterable, Hashable, CustomStringConvertible {
  case bool
  case int8
  case uint8
  case int16
  case int32
  case int64
  case float32
  /// A resource handle (resource-variable ops); not a numeric type.
  case resource

  /// Bytes per element as stored.
  public var byteWidth: Int {
    switch self {
    case .bool, .int8, .uint8: 1
    case .int16: 2
    case .int32, .float32, .resource: 4
    case .int64: 8
    }
  }

  /// Whether this is one of the quantized integer activation types (int8, uint8, int16).
  public var isQuantizedInteger: Bool { self == .int8 || self == .uint8 || self == .int16 }

  /// The representable range of an integer type, as `Int32` (used for clamping).
  public var integerRange: ClosedRange<Int32>? {
    switch self {
    case .int8: -128...127
    case .uint8: 0...255
    case .int16: -32768...32767
    default: nil
    }
  }

  public var description: String { rawValue }
}
