import GraphIR

extension TensorData.Storage {
  /// Decodes the little-endian elements in `bytes[range]` as `type` with one bulk copy (no
  /// per-element closure); `range.count` must be a multiple of the element width.
  ///
  /// RESOURCE data decodes as int32, as in `TensorData(littleEndianBytes:type:shape:)`.
  static func decoding(_ bytes: [UInt8], _ range: Range<Int>, as type: ElementType) -> TensorData.Storage {
    precondition(range.count % type.byteWidth == 0, "\(range.count) bytes is not a whole number of \(type)")
    precondition(range.lowerBound >= 0 && range.upperBound <= bytes.count, "decode range \(range) out of bounds")
    #if _endian(little)
      switch type {
      case .bool: return .bool(bytes[range].map { $0 != 0 })
      case .int8: return .int8(copy(bytes, range, as: Int8.self))
      case .uint8: return .uint8(Array(bytes[range]))
      case .int16: return .int16(copy(bytes, range, as: Int16.self))
      case .int32, .resource: return .int32(copy(bytes, range, as: Int32.self))
      case .int64: return .int64(copy(bytes, range, as: Int64.self))
      case .float32: return .float32(copy(bytes, range, as: Float.self))
      }
    #else
      let count = range.count / type.byteWidth
      guard let data = TensorData(littleEndianBytes: Array(bytes[range]), type: type, shape: [count]) else {
        preconditionFailure("\(range.count) bytes do not decode as \(count) × \(type)")
      }
      return data.storage
    #endif
  }

  /// Copies `bytes[range]` into a new array of `T` (little-endian hosts only).
  private static func copy<T>(_ bytes: [UInt8], _ range: Range<Int>, as _: T.Type) -> [T] {
    let n = range.count / MemoryLayout<T>.stride
    return [T](unsafeUninitializedCapacity: n) { buffer, initialized in
      bytes.withUnsafeBytes { raw in
        UnsafeMutableRawBufferPointer(buffer).copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[range]))
      }
      initialized = n
    }
  }
}

extension TensorData {
  /// The elements as little-endian bytes, with one bulk copy on little-endian hosts.
  var rawLittleEndianBytes: [UInt8] {
    #if _endian(little)
      func raw<T>(_ values: [T]) -> [UInt8] { values.withUnsafeBytes { Array($0) } }
      switch storage {
      case .bool(let v): return v.map { $0 ? 1 : 0 }
      case .int8(let v): return raw(v)
      case .uint8(let v): return v
      case .int16(let v): return raw(v)
      case .int32(let v): return raw(v)
      case .int64(let v): return raw(v)
      case .float32(let v): return raw(v)
      }
    #else
      return littleEndianBytes()
    #endif
  }
}
