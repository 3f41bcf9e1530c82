import Foundation
import GraphIR

// issue 14: detection

/// A box as corners: `(ymin, xmin, ymax, xmax)`.
struct CornerBox {
  var ymin: Float, xmin: Float, ymax: Float, xmax: Float
}

extension Kernels {
  /// TFLite_Detection_PostProcess (`tensorflow/lite/kernels/detection_postprocess.cc`), in
  /// float32 as TFLite runs it on the CPU.
  ///
  /// 1. Decode: for anchor `i` with centre-size encoding `(y, x, h, w)` and anchor `(ya, xa, ha,
  ///    wa)`, in double rounded to float: `yc = y / y_scale · ha + ya`, `xc = x / x_scale · wa + xa`,
  ///    `hh = 0.5 · exp(h / h_scale) · ha`, `hw = 0.5 · exp(w / w_scale) · wa`; the box is
  ///    `(yc − hh, xc − hw, yc + hh, xc + hw)` in float. Every box must have `ymin ≤ ymax` and
  ///    `xmin ≤ xmax`. uint8 encodings, anchors and scores are dequantized first
  ///    (`(float(q) − zp) · scale`).
  /// 2. Single-class NMS over a score vector: candidates are the scores `≥ nms_score_threshold`,
  ///    ordered by decreasing score (stable: ties keep anchor order); walking them in order, a
  ///    still-active candidate is kept and every later active candidate whose IoU with it is
  ///    `> nms_iou_threshold` is deactivated, until the limit is reached. IoU in float:
  ///    `inter / (area_i + area_j − inter)`, 0 when either area is ≤ 0.
  /// 3. Fast NMS (`use_regular_nms` false): each anchor's classes are ranked (the top
  ///    `min(max_classes_per_detection, num_classes)`, best first); NMS runs once over each anchor's best score with limit `max_detections`; each
  ///    kept anchor fills `max_classes_per_detection` output rows with its box and its ranked
  ///    classes and scores.
  /// 4. Regular NMS: NMS per class with limit `detections_per_class`; after each class the kept
  ///    (box, class) pairs so far are merged by decreasing score to the best
  ///    `max_detections`; the final list fills the first rows.
  ///
  /// Rows beyond the detections are zero (TFLite's regular NMS writes zeros; its fast NMS leaves
  /// them as they were). The count output is the number of filled detections.
  /// Equal scores keep index order (``Kernels/decreasingPartialArgSort(_:count:)``), which is
  /// how TFLite's build orders them, so classes and rows match its outputs.
  static func detectionPostProcess(_ c: KernelContext, _ o: DetectionPostProcessOptions) throws(GoldenModelError)
    -> [TensorData]
  {
    guard c.op.inputs.count == 3, c.op.outputs.count == 4 else {
      throw GoldenModelError(
        .invalidModel, c.location,
        "has \(c.op.inputs.count) inputs and \(c.op.outputs.count) outputs; expected 3 (box encodings, class predictions, anchors) and 4")
    }
    let encodings = try c.value(0)
    let predictions = try c.value(1)
    let anchorValues = try c.value(2)
    guard encodings.shape.count == 3, predictions.shape.count == 3, anchorValues.shape.count == 2 else {
      throw GoldenModelError(
        .invalidModel, c.location,
        "box encodings \(encodings.shape), class predictions \(predictions.shape), anchors \(anchorValues.shape); expected ranks 3, 3 and 2")
    }
    let boxCount = encodings.shape[1]
    let encodingLength = encodings.shape[2]
    let classesWithBackground = predictions.shape[2]
    guard encodings.shape[0] == 1, predictions.shape[0] == 1, encodingLength >= 4 else {
      throw GoldenModelError(
        .invalidModel, c.location, "box encodings \(encodings.shape) must be [1, boxes, ≥4] and class predictions batch 1")
    }
    guard predictions.shape[1] == boxCount, anchorValues.shape == [boxCount, 4] else {
      throw GoldenModelError(
        .invalidModel, c.location,
        "class predictions \(predictions.shape) and anchors \(anchorValues.shape) must have \(boxCount) boxes ([1, \(boxCount), classes], [\(boxCount), 4])")
    }
    let labelOffset = classesWithBackground - o.numClasses
    guard labelOffset == 0 || labelOffset == 1 else {
      throw GoldenModelError(
        .invalidModel, c.location,
        "class predictions have \(classesWithBackground) classes for num_classes \(o.numClasses); expected num_classes or num_classes + 1")
    }
    let enc = try detectionFloats(c, encodings, input: 0, "box encodings")
    let anchors = try detectionFloats(c, anchorValues, input: 2, "anchors")
    let scores = try detectionFloats(c, predictions, input: 1, "class predictions")
    guard (c.inputTensorType(0) == .uint8) == (c.inputTensorType(2) == .uint8) else {
      throw GoldenModelError(.unsupported, c.location, "box encodings and anchors must both be float32 or both uint8")
    }

    // 1. Decode.
    var boxes: [CornerBox] = []
    boxes.reserveCapacity(boxCount)
    let (ys, xs, hs, ws) = (Double(o.yScale), Double(o.xScale), Double(o.hScale), Double(o.wScale))
    for i in 0..<boxCount {
      let e = i * encodingLength
      let a = i * 4
      let (ay, ax, ah, aw) = (Double(anchors[a]), Double(anchors[a + 1]), Double(anchors[a + 2]), Double(anchors[a + 3]))
      let yc = Float(Double(enc[e]) / ys * ah + ay)
      let xc = Float(Double(enc[e + 1]) / xs * aw + ax)
      let hh = Float(0.5 * Foundation.exp(Double(enc[e + 2]) / hs) * ah)
      let hw = Float(0.5 * Foundation.exp(Double(enc[e + 3]) / ws) * aw)
      boxes.append(CornerBox(ymin: yc - hh, xmin: xc - hw, ymax: yc + hh, xmax: xc + hw))
    }
    if let bad = boxes.firstIndex(where: { $0.ymin > $0.ymax || $0.xmin > $0.xmax }) {
      let b = boxes[bad]
      throw GoldenModelError(
        .invalidModel, c.location,
        "decoded box \(bad) is (\(b.ymin), \(b.xmin), \(b.ymax), \(b.xmax)); TFLite refuses boxes with ymin > ymax or xmin > xmax (a negative anchor size?)")
    }

    let rows = o.detectedBoxes
    var outBoxes = [Float](repeating: 0, count: rows * 4)
    var outClasses = [Float](repeating: 0, count: rows)
    var outScores = [Float](repeating: 0, count: rows)
    var count = 0
    func put(_ row: Int, box: Int, classIndex: Int, score: Float) {
      let b = boxes[box]
      outBoxes.replaceSubrange(row * 4..<row * 4 + 4, with: [b.ymin, b.xmin, b.ymax, b.xmax])
      outClasses[row] = Float(classIndex)
      outScores[row] = score
    }

    if o.useRegularNMS {
      // 4. Regular NMS.
      var keptIndices: [Int] = []  // box · classesWithBackground + class + labelOffset
      var keptScores: [Float] = []
      var classScores = [Float](repeating: 0, count: boxCount)
      for cls in 0..<o.numClasses {
        for row in 0..<boxCount { classScores[row] = scores[row * classesWithBackground + cls + labelOffset] }
        let selected = nonMaxSuppression(boxes, classScores, o, limit: o.detectionsPerClass)
        var indices = Array(keptIndices)
        var values = Array(keptScores)
        for s in selected {
          indices.append(s * classesWithBackground + cls + labelOffset)
          values.append(classScores[s])
        }
        let n = min(values.count, o.maxDetections)
        let order = decreasingPartialArgSort(values, count: n)
        keptIndices = (0..<n).map { indices[order[$0]] }
        keptScores = (0..<n).map { values[order[$0]] }
      }
      for (row, (index, score)) in zip(keptIndices, keptScores).enumerated() {
        let box = index / classesWithBackground
        put(row, box: box, classIndex: index - box * classesWithBackground - labelOffset, score: score)
      }
      count = keptIndices.count
    } else {
      // 3. Fast NMS.
      let perAnchor = min(o.maxClassesPerDetection, o.numClasses)
      var ranked: [[Int]] = []
      ranked.reserveCapacity(boxCount)
      var best = [Float](repeating: 0, count: boxCount)
      for row in 0..<boxCount {
        let start = row * classesWithBackground + labelOffset
        let classScores = Array(scores[start..<start + o.numClasses])
        let order = decreasingPartialArgSort(classScores, count: perAnchor)
        ranked.append(order)
        best[row] = classScores[order[0]]
      }
      let selected = nonMaxSuppression(boxes, best, o, limit: o.maxDetections)
      for (k, box) in selected.enumerated() {
        let start = box * classesWithBackground + labelOffset
        for col in 0..<perAnchor {
          let cls = ranked[box][col]
          put(o.maxClassesPerDetection * k + col, box: box, classIndex: cls, score: scores[start + cls])
        }
      }
      count = selected.count
    }
    return [
      TensorData(shape: [1, rows, 4], storage: .float32(outBoxes)),
      TensorData(shape: [1, rows], storage: .float32(outClasses)),
      TensorData(shape: [1, rows], storage: .float32(outScores)),
      TensorData(shape: [1], storage: .float32([Float(count)])),
    ]
  }

  /// Input `position` as float32 values: float32 as is, uint8 dequantized in float as TFLite's
  /// kernel does (`(float(q) − float(zp)) · scale`).
  static func detectionFloats(_ c: KernelContext, _ value: TensorData, input position: Int, _ what: String)
    throws(GoldenModelError) -> [Float]
  {
    switch value.storage {
    case .float32(let v): return v
    case .uint8(let v):
      let q = try c.quantization(of: try c.inputTensor(position))
      let zp = Float(q.zeroPoints.first ?? 0)
      let scale = q.scales[0]
      return v.map { (Float($0) - zp) * scale }
    default:
      throw GoldenModelError(.unsupported, c.location, "\(what) are \(value.elementType); TFLite's kernel reads float32 or uint8")
    }
  }

  /// `NonMaxSuppressionSingleClassHelper`: the indices of the boxes kept, best first.
  static func nonMaxSuppression(_ boxes: [CornerBox], _ scores: [Float], _ o: DetectionPostProcessOptions, limit: Int)
    -> [Int]
  {
    let candidates = scores.indices.filter { scores[$0] >= o.scoreThreshold }
    // Decreasing score, ties in index order (TFLite's std::stable_sort over the candidates).
    let order = candidates.indices.sorted { a, b in
      let (sa, sb) = (scores[candidates[a]], scores[candidates[b]])
      return sa > sb || (!(sb > sa) && a < b)
    }
    let outputSize = min(candidates.count, limit)
    var active = [Bool](repeating: true, count: candidates.count)
    var activeCount = candidates.count
    var selected: [Int] = []
    for i in 0..<candidates.count {
      if activeCount == 0 || selected.count >= outputSize { break }
      guard active[i] else { continue }
      let kept = candidates[order[i]]
      selected.append(kept)
      active[i] = false
      activeCount -= 1
      for j in (i + 1)..<candidates.count where active[j] {
        if intersectionOverUnion(boxes[kept], boxes[candidates[order[j]]]) > o.iouThreshold {
          active[j] = false
          activeCount -= 1
        }
      }
    }
    return selected
  }

  /// `ComputeIntersectionOverUnion`, in float.
  static func intersectionOverUnion(_ a: CornerBox, _ b: CornerBox) -> Float {
    let areaA = (a.ymax - a.ymin) * (a.xmax - a.xmin)
    let areaB = (b.ymax - b.ymin) * (b.xmax - b.xmin)
    if areaA <= 0 || areaB <= 0 { return 0 }
    let ymin = Swift.max(a.ymin, b.ymin)
    let xmin = Swift.max(a.xmin, b.xmin)
    let ymax = Swift.min(a.ymax, b.ymax)
    let xmax = Swift.min(a.xmax, b.xmax)
    let intersection = Swift.max(ymax - ymin, 0) * Swift.max(xmax - xmin, 0)
    return intersection / (areaA + areaB - intersection)
  }

  /// `DecreasingPartialArgSort`: the indices of the `count` largest of `values`, largest first,
  /// equal values in index order.
  ///
  /// The source calls `std::partial_sort` (the first maximum when `count` is 1), which leaves
  /// the order of equal values to the library. TFLite 2.21's BUILTIN_REF build orders them as a
  /// stable sort does: on the regular-NMS reference sets (scores from an int8 LOGISTIC, so ties
  /// are common) a step-for-step emulation of libstdc++'s heap-based `partial_sort` put tied
  /// detections in another order than TFLite, while the stable order matches every recorded
  /// output. Stable it is, here and in the fast NMS's class ranking.
  static func decreasingPartialArgSort(_ values: [Float], count: Int) -> [Int] {
    let order = values.indices.sorted { a, b in
      values[a] > values[b] || (!(values[b] > values[a]) && a < b)
    }
    return Array(order.prefix(count))
  }
}

extension KernelContext {
  /// The element type of input `position`'s tensor, nil when absent.
  func inputTensorType(_ position: Int) -> ElementType? {
    op.input(position).map { graph[$0].elementType }
  }
}
