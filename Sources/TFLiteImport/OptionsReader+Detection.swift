import GraphIR

// issue 14: detection — the TFLite_Detection_PostProcess custom operator's options.

extension TFLiteSchema {
  /// The custom operators Systole reads, by `custom_code`.
  enum Custom {
    static let detectionPostProcess = "TFLite_Detection_PostProcess"
  }
  /// `enum CustomOptionsFormat`: FLEXBUFFERS is the only value.
  static let flexBuffersFormat: Int8 = 0
}

extension TFLiteSchema.Operator {
  /// `custom_options_format` (after `custom_options`).
  static let customOptionsFormat = 6
}

extension ModelReader {
  /// Whether Systole reads operator code `code`: a supported builtin, or a custom operator whose
  /// `custom_code` it knows.
  static func isSupported(_ code: OperatorCodeInfo) -> Bool {
    if code.builtin == TFLiteSchema.Builtin.custom {
      return code.customName == TFLiteSchema.Custom.detectionPostProcess
    }
    return supportedBuiltins.contains(code.builtin)
  }
}

extension OptionsReader {
  /// The `OpKind` of a custom operator Systole supports (``ModelReader/isSupported(_:)``).
  func customKind(_ name: String) throws(TFLiteImportError) -> OpKind {
    switch name {
    case TFLiteSchema.Custom.detectionPostProcess:
      return .detectionPostProcess(try detectionOptions(customOptions()))
    default:
      preconditionFailure("custom op '\(name)' is supported but not mapped")
    }
  }

  /// The operator's `custom_options` bytes (empty when absent); the format must be FLEXBUFFERS.
  func customOptions() throws(TFLiteImportError) -> [UInt8] {
    let format = try r.scalar(op, Schema.Operator.customOptionsFormat, "custom_options_format", default: Int8(0))
    guard format == Schema.flexBuffersFormat else {
      throw fail(.unsupported, "custom options format \(format); expected 0 (FLEXBUFFERS)")
    }
    guard let v = try r.vector(op, Schema.Operator.customOptions, "custom_options", elementSize: 1) else { return [] }
    try r.charge(v.count, at: v.position)
    return Array(r.bytes[v.start..<v.start + v.count])
  }

  /// TFLite_Detection_PostProcess's FlexBuffer map (`detection_postprocess.cc`, `Init`), checked:
  /// `detections_per_class` defaults to 100 and `use_regular_nms` to false as in TFLite; every
  /// other key is required (TFLite would read a missing one as 0, which no exported detector
  /// has); counts must be positive and small enough for the outputs to be allocated, the IoU
  /// threshold in (0, 1] (TFLite checks that at run time), the score threshold finite and the
  /// box coder's scales finite and non-zero.
  func detectionOptions(_ blob: [UInt8]) throws(TFLiteImportError) -> DetectionPostProcessOptions {
    try Self.detectionOptions(blob, fail: fail)
  }

  /// ``detectionOptions(_:)`` with the error maker given (for tests of malformed blobs).
  static func detectionOptions(
    _ blob: [UInt8], fail: @escaping (TFLiteImportError.Kind, String) -> TFLiteImportError
  ) throws(TFLiteImportError) -> DetectionPostProcessOptions {
    let flex = FlexBufferReader(blob) { (message: String) -> TFLiteImportError in
      fail(.malformed, "custom options: \(message)")
    }
    guard !blob.isEmpty else { throw fail(.malformed, "custom options are empty; expected a FlexBuffer map") }
    let map = try flex.rootMap()
    func number(_ key: String, default d: Double? = nil) throws(TFLiteImportError) -> Double {
      let value = try map[key].flatMap { (v) throws(TFLiteImportError) in try flex.number(v, key) } ?? d
      guard let value else { throw fail(.invalidModel, "custom options lack '\(key)'") }
      return value
    }
    func count(_ key: String, default d: Double? = nil, atLeast low: Int) throws(TFLiteImportError) -> Int {
      let v = try number(key, default: d)
      guard v.isFinite, v.rounded(.towardZero) >= Double(low), v < 65_536 else {
        throw fail(.invalidModel, "custom option '\(key)' is \(v); expected an integer in \(low)...65535")
      }
      return Int(v.rounded(.towardZero))
    }
    func real(_ key: String) throws(TFLiteImportError) -> Float {
      let v = try number(key)
      guard v.isFinite, Float(v).isFinite else {
        throw fail(.invalidModel, "custom option '\(key)' is \(v); expected a finite number")
      }
      return Float(v)
    }
    let o = DetectionPostProcessOptions(
      maxDetections: try count("max_detections", atLeast: 1),
      maxClassesPerDetection: try count("max_classes_per_detection", atLeast: 1),
      detectionsPerClass: try count("detections_per_class", default: 100, atLeast: 1),
      useRegularNMS: try number("use_regular_nms", default: 0) != 0,
      scoreThreshold: try real("nms_score_threshold"), iouThreshold: try real("nms_iou_threshold"),
      numClasses: try count("num_classes", atLeast: 1), yScale: try real("y_scale"), xScale: try real("x_scale"),
      hScale: try real("h_scale"), wScale: try real("w_scale"))
    guard o.iouThreshold > 0 && o.iouThreshold <= 1 else {
      throw fail(.invalidModel, "custom option 'nms_iou_threshold' is \(o.iouThreshold); expected a value in (0, 1]")
    }
    for (key, s) in [("y_scale", o.yScale), ("x_scale", o.xScale), ("h_scale", o.hScale), ("w_scale", o.wScale)] where s == 0 {
      throw fail(.invalidModel, "custom option '\(key)' is 0; the box coder divides by it")
    }
    guard o.detectedBoxes <= 1 << 20 else {
      throw fail(
        .invalidModel,
        "custom options: max_detections \(o.maxDetections) × max_classes_per_detection \(o.maxClassesPerDetection) output rows; expected at most 1,048,576")
    }
    return o
  }
}
