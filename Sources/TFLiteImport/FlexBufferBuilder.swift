import GraphIR

/// Writes the one FlexBuffer shape Systole needs: a root map of scalars (a custom operator's
/// `custom_options`), every element 4 bytes wide, keys sorted as FlexBuffer lookups require.
///
/// Layout, front to back (what ``FlexBufferReader`` reads back): the keys as NUL-terminated
/// strings, the keys vector (length, then one backwards distance per key), the map header
/// (distance to the keys vector, its element width, the length), the values, one packed type byte
/// per value, then the root: the distance back to the map, the map's packed type and the root
/// width.
enum FlexBufferBuilder {
  /// A scalar value of the map.
  enum Scalar {
    case int(Int32)
    case float(Float)
    case bool(Bool)
  }

  static func map(_ entries: [(key: String, value: Scalar)]) -> [UInt8] {
    let sorted = entries.sorted { Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) }
    var out: [UInt8] = []
    func put32(_ v: UInt32) { for k in 0..<4 { out.append(UInt8(truncatingIfNeeded: v >> (8 * k))) } }
    func align4() { while out.count % 4 != 0 { out.append(0) } }
    var keyOffsets: [Int] = []
    for (key, _) in sorted {
      keyOffsets.append(out.count)
      out += Array(key.utf8) + [0]
    }
    align4()
    put32(UInt32(sorted.count))
    let keys = out.count
    for offset in keyOffsets { put32(UInt32(out.count - offset)) }
    let header = out.count
    put32(UInt32(header - keys))
    put32(4)
    put32(UInt32(sorted.count))
    let values = out.count
    var types: [UInt8] = []
    for (_, value) in sorted {
      switch value {
      case .int(let v):
        put32(UInt32(bitPattern: v))
        types.append(UInt8(FlexBufferReader.ValueType.int.rawValue << 2 | 2))
      case .float(let v):
        put32(v.bitPattern)
        types.append(UInt8(FlexBufferReader.ValueType.float.rawValue << 2 | 2))
      case .bool(let v):
        put32(v ? 1 : 0)
        types.append(UInt8(FlexBufferReader.ValueType.bool.rawValue << 2 | 2))
      }
    }
    out += types
    align4()
    put32(UInt32(out.count - values))
    out.append(UInt8(FlexBufferReader.ValueType.map.rawValue << 2 | 2))
    out.append(4)
    return out
  }

  /// TFLite_Detection_PostProcess's options map (every key `Init` reads).
  static func detectionOptions(_ o: DetectionPostProcessOptions) -> [UInt8] {
    map([
      ("max_detections", .int(Int32(clamping: o.maxDetections))),
      ("max_classes_per_detection", .int(Int32(clamping: o.maxClassesPerDetection))),
      ("detections_per_class", .int(Int32(clamping: o.detectionsPerClass))),
      ("use_regular_nms", .bool(o.useRegularNMS)),
      ("nms_score_threshold", .float(o.scoreThreshold)),
      ("nms_iou_threshold", .float(o.iouThreshold)),
      ("num_classes", .int(Int32(clamping: o.numClasses))),
      ("y_scale", .float(o.yScale)), ("x_scale", .float(o.xScale)),
      ("h_scale", .float(o.hScale)), ("w_scale", .float(o.wScale)),
    ])
  }
}
