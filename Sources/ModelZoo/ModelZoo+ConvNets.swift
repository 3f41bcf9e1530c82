import GraphIR

extension ModelZoo {
  /// Real range of the CNN image inputs: pixels scaled to [−1, 1] (scale 2/255, zero point −1).
  static let imageRange = RealRange(lower: -1, upper: 1)

  /// ResNet-50 v1.5: the torchvision/TF-slim v1.5 bottleneck (stride in the 3×3 conv), with the
  /// stem as Keras' TFLite conversion has it: PAD 3 + CONV_2D 7×7/2 VALID, PAD 1 + MAX_POOL 3×3/2
  /// VALID. Conv+BN folded into CONV_2D with bias, ReLU fused (into ADD for the residual sum),
  /// global average pool as MEAN over H and W, FULLY_CONNECTED 1000, SOFTMAX.
  static func resNet50(seed: UInt64, imageSize: Int) -> GraphBuilder {
    var b = GraphBuilder(name: "resnet50", seed: seed)
    let x = b.input("input_1", shape: [1, imageSize, imageSize, 3], range: imageRange)
    var h = b.pad(x, "conv1_pad", paddings: [[0, 0], [3, 3], [3, 3], [0, 0]])
    h = b.conv2D(h, "conv1_conv", filters: 64, kernel: 7, stride: 2, padding: .valid, activation: .relu)
    h = b.pad(h, "pool1_pad", paddings: [[0, 0], [1, 1], [1, 1], [0, 0]])
    h = b.maxPool(h, "pool1_pool", filter: 3, stride: 2, padding: .valid)
    // (blocks, bottleneck width, stride of the first block) per stage conv2…conv5.
    let stages = [(3, 64, 1), (4, 128, 2), (6, 256, 2), (3, 512, 2)]
    for (s, (blocks, width, firstStride)) in stages.enumerated() {
      for block in 0..<blocks {
        let name = "conv\(s + 2)_block\(block + 1)"
        let stride = block == 0 ? firstStride : 1
        let shortcut =
          block == 0
          ? b.conv2D(h, name + "_0_conv", filters: 4 * width, kernel: 1, stride: stride, activation: .none) : h
        var y = b.conv2D(h, name + "_1_conv", filters: width, kernel: 1, activation: .relu)
        y = b.conv2D(y, name + "_2_conv", filters: width, kernel: 3, stride: stride, padding: .same, activation: .relu)
        y = b.conv2D(y, name + "_3_conv", filters: 4 * width, kernel: 1, activation: .none)
        h = b.add(shortcut, y, name + "_out", activation: .relu)
      }
    }
    h = b.spatialMean(h, "avg_pool")
    h = b.fullyConnected(h, "predictions", units: 1000, activation: .none, target: .logits)
    let out = b.softmax(h, "predictions/Softmax")
    b.outputs = [out]
    return b
  }

  /// ResNet-18 (He et al. Table 1, torchvision layout): the ResNet-50 stem, then four stages of
  /// two basic blocks (two 3×3 convolutions; a 1×1 stride-2 projection on the first block of
  /// stages 3–5), ReLU fused into the residual ADD, MEAN, FULLY_CONNECTED 1000, SOFTMAX.
  static func resNet18(seed: UInt64, imageSize: Int) -> GraphBuilder {
    var b = GraphBuilder(name: "resnet18", seed: seed)
    let x = b.input("input_1", shape: [1, imageSize, imageSize, 3], range: imageRange)
    var h = b.pad(x, "conv1_pad", paddings: [[0, 0], [3, 3], [3, 3], [0, 0]])
    h = b.conv2D(h, "conv1", filters: 64, kernel: 7, stride: 2, padding: .valid, activation: .relu)
    h = b.pad(h, "pool1_pad", paddings: [[0, 0], [1, 1], [1, 1], [0, 0]])
    h = b.maxPool(h, "pool1", filter: 3, stride: 2, padding: .valid)
    var channels = 64
    for (s, width) in [64, 128, 256, 512].enumerated() {
      for block in 0..<2 {
        let name = "layer\(s + 1).\(block)"
        let stride = block == 0 && s > 0 ? 2 : 1
        let shortcut =
          stride != 1 || channels != width
          ? b.conv2D(h, name + ".downsample", filters: width, kernel: 1, stride: stride, activation: .none) : h
        var y = b.conv2D(h, name + ".conv1", filters: width, kernel: 3, stride: stride, activation: .relu)
        y = b.conv2D(y, name + ".conv2", filters: width, kernel: 3, activation: .none)
        h = b.add(shortcut, y, name + ".out", activation: .relu)
        channels = width
      }
    }
    h = b.spatialMean(h, "avgpool")
    h = b.fullyConnected(h, "fc", units: 1000, activation: .none, target: .logits)
    b.outputs = [b.softmax(h, "fc/Softmax")]
    return b
  }

  /// Inception v1 (GoogLeNet, Szegedy et al. Table 1) as TF-slim's `inception_v1` builds it for
  /// the hosted TFLite model: the "5×5" branch uses a 3×3 convolution, the last pool before
  /// Mixed_5b is 2×2/2, every branch output is concatenated along channels, 1001 classes via a
  /// 1×1 CONV_2D after AVERAGE_POOL_2D, RESHAPE, SOFTMAX.
  static func inceptionV1(seed: UInt64, imageSize: Int) -> GraphBuilder {
    var b = GraphBuilder(name: "inception_v1", seed: seed)
    let x = b.input("input", shape: [1, imageSize, imageSize, 3], range: imageRange)
    let scope = "InceptionV1"
    var h = b.conv2D(x, scope + "/Conv2d_1a_7x7", filters: 64, kernel: 7, stride: 2, activation: .relu6)
    h = b.maxPool(h, scope + "/MaxPool_2a_3x3", filter: 3, stride: 2, padding: .same)
    h = b.conv2D(h, scope + "/Conv2d_2b_1x1", filters: 64, kernel: 1, activation: .relu6)
    h = b.conv2D(h, scope + "/Conv2d_2c_3x3", filters: 192, kernel: 3, activation: .relu6)
    h = b.maxPool(h, scope + "/MaxPool_3a_3x3", filter: 3, stride: 2, padding: .same)
    // (1×1, 3×3 reduce, 3×3, "5×5" reduce, "5×5" (3×3 in slim), pool projection) per module.
    func mixed(_ h: TensorID, _ name: String, _ f: (Int, Int, Int, Int, Int, Int)) -> TensorID {
      let n = scope + "/" + name
      let b0 = b.conv2D(h, n + "/Branch_0/Conv2d_0a_1x1", filters: f.0, kernel: 1, activation: .relu6)
      var b1 = b.conv2D(h, n + "/Branch_1/Conv2d_0a_1x1", filters: f.1, kernel: 1, activation: .relu6)
      b1 = b.conv2D(b1, n + "/Branch_1/Conv2d_0b_3x3", filters: f.2, kernel: 3, activation: .relu6)
      var b2 = b.conv2D(h, n + "/Branch_2/Conv2d_0a_1x1", filters: f.3, kernel: 1, activation: .relu6)
      b2 = b.conv2D(b2, n + "/Branch_2/Conv2d_0b_3x3", filters: f.4, kernel: 3, activation: .relu6)
      var b3 = b.maxPool(h, n + "/Branch_3/MaxPool_0a_3x3", filter: 3, stride: 1, padding: .same)
      b3 = b.conv2D(b3, n + "/Branch_3/Conv2d_0b_1x1", filters: f.5, kernel: 1, activation: .relu6)
      return b.concatenation([b0, b1, b2, b3], n + "/concat")
    }
    h = mixed(h, "Mixed_3b", (64, 96, 128, 16, 32, 32))
    h = mixed(h, "Mixed_3c", (128, 128, 192, 32, 96, 64))
    h = b.maxPool(h, scope + "/MaxPool_4a_3x3", filter: 3, stride: 2, padding: .same)
    h = mixed(h, "Mixed_4b", (192, 96, 208, 16, 48, 64))
    h = mixed(h, "Mixed_4c", (160, 112, 224, 24, 64, 64))
    h = mixed(h, "Mixed_4d", (128, 128, 256, 24, 64, 64))
    h = mixed(h, "Mixed_4e", (112, 144, 288, 32, 64, 64))
    h = mixed(h, "Mixed_4f", (256, 160, 320, 32, 128, 128))
    h = b.maxPool(h, scope + "/MaxPool_5a_2x2", filter: 2, stride: 2, padding: .same)
    h = mixed(h, "Mixed_5b", (256, 160, 320, 32, 128, 128))
    h = mixed(h, "Mixed_5c", (384, 192, 384, 48, 128, 128))
    b.outputs = [mobileNetHead(&b, h, scope: scope, classes: 1001)]
    return b
  }

  /// EfficientNet-EdgeTPU-S (the AutoML Edge TPU variant of EfficientNet, tensorflow/tpu
  /// `models/official/efficientnet/edgetpu/efficientnet_edgetpu_builder.py`): CONV_2D 3×3/2 with
  /// 32 filters, then six stages of blocks `r{repeats}_k{kernel}_s{stride}_e{expansion}_i{in}_o{out}`
  /// — the first three *fused* (a k×k expansion convolution carrying the stride, then a 1×1
  /// projection), the last three ordinary inverted residuals (1×1 expansion, k×k depthwise, 1×1
  /// projection) — ReLU everywhere, no squeeze-excitation, a residual ADD when the stride is 1
  /// and the widths match (not in the first block, `noskip`), then CONV_2D 1×1 to 1280,
  /// AVERAGE_POOL_2D, 1×1 classifier with 1001 classes, RESHAPE, SOFTMAX.
  static func efficientNetEdgeTPUSmall(seed: UInt64, imageSize: Int) -> GraphBuilder {
    var b = GraphBuilder(name: "efficientnet_edgetpu_s", seed: seed)
    let x = b.input("images", shape: [1, imageSize, imageSize, 3], range: imageRange)
    let scope = "efficientnet-edgetpu-S"
    var h = b.conv2D(x, scope + "/stem/conv2d", filters: 32, kernel: 3, stride: 2, activation: .relu)
    var channels = 32
    // (repeats, kernel, stride, expansion, input filters, output filters, fused, skip allowed)
    let stages = [
      (1, 3, 1, 4, 24, 24, true, false), (2, 3, 2, 8, 24, 32, true, true), (4, 3, 2, 8, 32, 48, true, true),
      (5, 5, 2, 8, 48, 96, false, true), (4, 5, 1, 8, 96, 144, false, true), (2, 5, 2, 8, 144, 192, false, true),
    ]
    var index = 0
    for (repeats, kernel, firstStride, expansion, inputFilters, output, fused, skip) in stages {
      for r in 0..<repeats {
        let name = scope + "/blocks_\(index)"
        let stride = r == 0 ? firstStride : 1
        // The block's expansion width follows its nominal input filters (the builder's rule).
        let expanded = (r == 0 ? inputFilters : output) * expansion
        var y: TensorID
        if fused {
          y = b.conv2D(h, name + "/fused_conv", filters: expanded, kernel: kernel, stride: stride, activation: .relu)
        } else {
          y = b.conv2D(h, name + "/expand_conv", filters: expanded, kernel: 1, activation: .relu)
          y = b.depthwiseConv2D(y, name + "/depthwise_conv", kernel: kernel, stride: stride, activation: .relu)
        }
        y = b.conv2D(y, name + "/project_conv", filters: output, kernel: 1, activation: .none)
        h = skip && stride == 1 && channels == output ? b.add(h, y, name + "/add", activation: .none) : y
        channels = output
        index += 1
      }
    }
    h = b.conv2D(h, scope + "/head/conv2d", filters: 1280, kernel: 1, activation: .relu)
    b.outputs = [mobileNetHead(&b, h, scope: scope + "/head", classes: 1001)]
    return b
  }

  /// The TF-slim classifier head of the MobileNets: AVERAGE_POOL_2D over the map, 1×1 CONV_2D
  /// logits, RESHAPE to `[1, classes]`, SOFTMAX.
  private static func mobileNetHead(_ b: inout GraphBuilder, _ h: TensorID, scope: String, classes: Int) -> TensorID {
    var h = b.globalAveragePool(h, scope + "/Logits/AvgPool")
    h = b.conv2D(h, scope + "/Logits/Conv2d_1c_1x1", filters: classes, kernel: 1, activation: .none, target: .logits)
    h = b.reshape(h, scope + "/Logits/SpatialSqueeze", to: [1, classes])
    return b.softmax(h, scope + "/Predictions/Softmax")
  }

  /// MobileNet v1 1.0: CONV_2D 3×3/2 then 13 depthwise-separable pairs (Howard et al. Table 1),
  /// ReLU6 fused everywhere, SAME padding, 1001 classes.
  static func mobileNetV1(seed: UInt64, imageSize: Int) -> GraphBuilder {
    var b = GraphBuilder(name: "mobilenet_v1", seed: seed)
    let x = b.input("input", shape: [1, imageSize, imageSize, 3], range: imageRange)
    var h = b.conv2D(x, "MobilenetV1/Conv2d_0", filters: 32, kernel: 3, stride: 2, activation: .relu6)
    // (pointwise filters, depthwise stride) for Conv2d_1 … Conv2d_13.
    let layers = [
      (64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2),
      (512, 1), (512, 1), (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1),
    ]
    for (i, (filters, stride)) in layers.enumerated() {
      let name = "MobilenetV1/Conv2d_\(i + 1)"
      h = b.depthwiseConv2D(h, name + "_depthwise", kernel: 3, stride: stride, activation: .relu6)
      h = b.conv2D(h, name + "_pointwise", filters: filters, kernel: 1, activation: .relu6)
    }
    b.outputs = [mobileNetHead(&b, h, scope: "MobilenetV1", classes: 1001)]
    return b
  }

  /// MobileNet v2 1.0: inverted residual bottlenecks (Sandler et al. Table 2): 1×1 expansion
  /// (ReLU6), 3×3 depthwise (ReLU6), linear 1×1 projection, ADD when stride 1 and the widths match.
  static func mobileNetV2(seed: UInt64, imageSize: Int) -> GraphBuilder {
    var b = GraphBuilder(name: "mobilenet_v2", seed: seed)
    let x = b.input("input", shape: [1, imageSize, imageSize, 3], range: imageRange)
    var h = b.conv2D(x, "MobilenetV2/Conv", filters: 32, kernel: 3, stride: 2, activation: .relu6)
    // (expansion t, output channels c, repeats n, first stride s) per Table 2 row.
    let rows = [
      (1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1),
    ]
    var index = 0
    var channels = 32
    for (t, c, n, s) in rows {
      for r in 0..<n {
        let name = index == 0 ? "MobilenetV2/expanded_conv" : "MobilenetV2/expanded_conv_\(index)"
        let stride = r == 0 ? s : 1
        var y = h
        if t != 1 {
          y = b.conv2D(y, name + "/expand", filters: channels * t, kernel: 1, activation: .relu6)
        }
        y = b.depthwiseConv2D(y, name + "/depthwise", kernel: 3, stride: stride, activation: .relu6)
        y = b.conv2D(y, name + "/project", filters: c, kernel: 1, activation: .none)
        h = stride == 1 && channels == c ? b.add(h, y, name + "/add", activation: .none) : y
        channels = c
        index += 1
      }
    }
    h = b.conv2D(h, "MobilenetV2/Conv_1", filters: 1280, kernel: 1, activation: .relu6)
    b.outputs = [mobileNetHead(&b, h, scope: "MobilenetV2", classes: 1001)]
    return b
  }

  /// MLP0 of the TPU v1 paper: five 2048-wide FULLY_CONNECTED layers over `batch` rows, ReLU
  /// on the first four, the last one linear.
  static func mlp0(seed: UInt64, batch: Int) -> GraphBuilder {
    var b = GraphBuilder(name: "mlp0", seed: seed)
    var h = b.input("input", shape: [batch, 2048], range: RealRange(lower: -3, upper: 3))
    for layer in 1...5 {
      h = b.fullyConnected(h, "mlp0/fc\(layer)", units: 2048, activation: layer < 5 ? .relu : .none)
    }
    b.outputs = [h]
    return b
  }
}
