/// Options of the `TFLite_Detection_PostProcess` custom operator (an SSD detector's box
/// decoding and non-maximum suppression), as its FlexBuffer `custom_options` map holds them.
///
/// Names follow the map's keys (`tensorflow/lite/kernels/detection_postprocess.cc`, `Init`).
public struct DetectionPostProcessOptions: Sendable, Hashable {
  /// `max_detections`: boxes kept after non-maximum suppression.
  public var maxDetections: Int
  /// `max_classes_per_detection`: classes reported per kept box by the fast NMS.
  public var maxClassesPerDetection: Int
  /// `detections_per_class`: boxes kept per class by the regular NMS (TFLite's default 100).
  public var detectionsPerClass: Int
  /// `use_regular_nms`: NMS per class (true) or the fast class-agnostic NMS (false, the default).
  public var useRegularNMS: Bool
  /// `nms_score_threshold`: a box is a candidate when its score is at least this.
  public var scoreThreshold: Float
  /// `nms_iou_threshold`: a candidate is suppressed when its IoU with a kept box exceeds this.
  public var iouThreshold: Float
  /// `num_classes`: classes without the background class.
  public var numClasses: Int
  /// `y_scale`, `x_scale`, `h_scale`, `w_scale`: the box coder's scales.
  public var yScale: Float, xScale: Float, hScale: Float, wScale: Float

  public init(
    maxDetections: Int, maxClassesPerDetection: Int, detectionsPerClass: Int = 100, useRegularNMS: Bool = false,
    scoreThreshold: Float, iouThreshold: Float, numClasses: Int, yScale: Float, xScale: Float, hScale: Float,
    wScale: Float
  ) {
    self.maxDetections = maxDetections
    self.maxClassesPerDetection = maxClassesPerDetection
    self.detectionsPerClass = detectionsPerClass
    self.useRegularNMS = useRegularNMS
    self.scoreThreshold = scoreThreshold
    self.iouThreshold = iouThreshold
    self.numClasses = numClasses
    self.yScale = yScale
    self.xScale = xScale
    self.hScale = hScale
    self.wScale = wScale
  }

  /// Rows of the boxes, classes and scores outputs: `maxDetections × maxClassesPerDetection`.
  public var detectedBoxes: Int { maxDetections * maxClassesPerDetection }
}
