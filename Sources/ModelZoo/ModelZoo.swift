import GraphIR
import Support

/// Published network shapes built as int8 ``Model``s with seeded synthetic weights.
///
/// Each model has the operators, shapes, options and quantization layout a TFLite int8
/// converter produces for that network (per-channel int8 weights with zero point 0, int32
/// biases, per-tensor int8 activations), so timing studies need no model file:
/// `systole run zoo:resnet50 --arch tpu-v1`. Weights are drawn from ``SeededGenerator``; every
/// activation's scale and zero point come from an analytic calibration for uniformly random
/// int8 inputs (`docs/model-zoo.md`), so the models also run sensibly in the golden model.
///
/// ```swift
/// let model = try ModelZoo.model(named: "mobilenet_v2")            // 224×224, seed 0
/// let small = try ModelZoo.model(named: "mobilenet_v2", inputSize: 32)
/// ```
public enum ModelZoo {
  /// Every zoo model name, sorted.
  public static let names: [String] = entries.map(\.name).sorted()

  /// The entry for `name`, `nil` when there is none.
  public static func entry(named name: String) -> ZooEntry? {
    entries.first { $0.name == name }
  }

  /// Builds the zoo model `name`.
  ///
  /// - Parameters:
  ///   - seed: selects the synthetic weights; the same seed always gives the same model.
  ///   - inputSize: the model's scalable input extent (``ZooEntry/inputSizeMeaning``): image
  ///     side for the CNNs (a multiple of 32), sequence length for `bert-base-layer`, batch rows
  ///     for `mlp0`. `nil` builds the published size.
  /// - Throws: ``ModelZooError`` for an unknown name or an input size the model cannot take.
  public static func model(named name: String, seed: UInt64 = 0, inputSize: Int? = nil) throws(ModelZooError) -> Model {
    try builder(named: name, seed: seed, inputSize: inputSize).finished
  }

  /// The builder of a zoo model after building it (tests read its analytic statistics).
  static func builder(named name: String, seed: UInt64 = 0, inputSize: Int? = nil) throws(ModelZooError) -> GraphBuilder
  {
    guard let entry = entry(named: name) else { throw ModelZooError.unknown(name) }
    let size = inputSize ?? entry.defaultInputSize
    switch name {
    case "resnet50":
      try requireImageSize(size, name)
      return resNet50(seed: seed, imageSize: size)
    case "mobilenet_v1":
      try requireImageSize(size, name)
      return mobileNetV1(seed: seed, imageSize: size)
    case "resnet18":
      try requireImageSize(size, name)
      return resNet18(seed: seed, imageSize: size)
    case "efficientnet_edgetpu_s":
      try requireImageSize(size, name)
      return efficientNetEdgeTPUSmall(seed: seed, imageSize: size)
    case "inception_v1":
      try requireImageSize(size, name)
      return inceptionV1(seed: seed, imageSize: size)
    case "mobilenet_v2":
      try requireImageSize(size, name)
      return mobileNetV2(seed: seed, imageSize: size)
    case "bert-base-layer":
      try requireRange(size, 1...512, name, "sequence length")
      return bertBaseLayer(seed: seed, sequenceLength: size)
    case "mlp0":
      try requireRange(size, 1...4096, name, "batch")
      return mlp0(seed: seed, batch: size)
    default:
      preconditionFailure("zoo entry '\(name)' has no builder")
    }
  }

  private static func requireImageSize(_ size: Int, _ name: String) throws(ModelZooError) {
    guard size >= 32, size <= 1024, size % 32 == 0 else {
      throw ModelZooError(
        .invalidInputSize, name: name,
        message: "zoo model '\(name)': input size \(size); expected an image side that is a multiple of 32 in 32...1024"
      )
    }
  }

  private static func requireRange(_ size: Int, _ range: ClosedRange<Int>, _ name: String, _ what: String)
    throws(ModelZooError)
  {
    guard range.contains(size) else {
      throw ModelZooError(
        .invalidInputSize, name: name,
        message:
          "zoo model '\(name)': input size \(size); expected a \(what) in \(range.lowerBound)...\(range.upperBound)")
    }
  }

  /// The zoo table. Published counts are what the tests compare the built graphs against.
  static let entries: [ZooEntry] = [
    ZooEntry(
      name: "bert-base-layer",
      description: "one BERT-base encoder layer (hidden 768, 12 heads, FFN 3072), sequence 128, as TFLite int8 GEMMs",
      citation: ZooCitation(
        source:
          "Devlin et al., \"BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding\", NAACL 2019, §3 (BERT-base: L=12, H=768, A=12, 110M parameters)",
        publishedMACs: nil, publishedParameters: 110_000_000, tolerance: 0.01,
        note:
          "the paper publishes 110M parameters for the whole model; 12 of these layers plus the token/position/segment embeddings (23,837,184) and the pooler (590,592) come to 109,482,240. MACs per layer: 4·S·H² + 2·S²·H + 2·S·H·F by formula"
      ),
      inputShape: [1, 128, 768], defaultInputSize: 128,
      inputSizeMeaning: "sequence length S, 1...512 (MACs 4·S·768² + 2·S²·768 + 2·S·768·3072)"),
    ZooEntry(
      name: "efficientnet_edgetpu_s",
      description:
        "EfficientNet-EdgeTPU-S 224 (fused expansion convolutions in the first three stages, ReLU, no squeeze-excitation, 1001 classes)",
      citation: ZooCitation(
        source:
          "Gupta & Tan, \"EfficientNet-EdgeTPU: Creating Accelerator-Optimized Neural Networks with AutoML\", Google AI blog, 2019; block table from tensorflow/tpu models/official/efficientnet/edgetpu/efficientnet_edgetpu_builder.py (efficientnet-edgetpu-S: width 1.0, depth 1.0, 224)",
        publishedMACs: nil, publishedParameters: nil, tolerance: 0.03,
        note:
          "no MAC or parameter count is published with the block table; the counts are tested against a closed form of that table only"
      ),
      inputShape: [1, 224, 224, 3], defaultInputSize: 224,
      inputSizeMeaning: "image side (multiple of 32, 32...1024)"),
    ZooEntry(
      name: "inception_v1",
      description:
        "Inception v1 (GoogLeNet) 224 as TF-slim builds it for the hosted TFLite model (3×3 in the \"5×5\" branch, 1001 classes)",
      citation: ZooCitation(
        source:
          "Szegedy et al., \"Going Deeper with Convolutions\", CVPR 2015, Table 1 (GoogLeNet: 6.8M parameters, ~1.5G multiply-adds); layout from tensorflow/models research/slim/nets/inception_v1.py",
        publishedMACs: 1_500_000_000, publishedParameters: 6_800_000, tolerance: 0.05,
        note:
          "slim replaces the paper's 5×5 convolutions with 3×3 (fewer MACs and parameters), has no auxiliary classifiers and a 1001-way classifier; the paper's counts are rounded"
      ),
      inputShape: [1, 224, 224, 3], defaultInputSize: 224,
      inputSizeMeaning: "image side (multiple of 32, 32...1024)"),
    ZooEntry(
      name: "mlp0",
      description: "TPU v1 paper's MLP0: 5 FULLY_CONNECTED layers of 2048×2048 (ReLU on the first four), batch 200",
      citation: ZooCitation(
        source:
          "Jouppi et al., \"In-Datacenter Performance Analysis of a Tensor Processing Unit\", ISCA 2017, Table 1 (MLP0: 5 FC layers, 20M weights, batch 200, 200 ops per weight byte); layer widths 2K×2K as assumed by Hennessy & Patterson, Computer Architecture 6th ed., chapter 7 exercises on MLP0 (its Figure 7.5)",
        publishedMACs: 4_000_000_000, publishedParameters: 20_000_000, tolerance: 0.05,
        note:
          "widths are not published; 5 × 2048² = 20,971,520 = 20 Mi weights (the paper's \"20M\"); MACs per batch = batch × weights (the paper's 200 ops per weight byte at batch 200 counts a MAC as one op)"
      ),
      inputShape: [200, 2048], defaultInputSize: 200,
      inputSizeMeaning: "batch rows fed to FULLY_CONNECTED, 1...4096"),
    ZooEntry(
      name: "mobilenet_v1",
      description:
        "MobileNet v1 1.0/224 (TF-slim layout as in the hosted TFLite model: SAME padding, ReLU6, 1001 classes)",
      citation: ZooCitation(
        source:
          "Howard et al., \"MobileNets: Efficient Convolutional Neural Networks for Mobile Vision Applications\", arXiv:1704.04861, 2017, Tables 1 and 8 (1.0 MobileNet-224: 569M mult-adds, 4.2M parameters)",
        publishedMACs: 569_000_000, publishedParameters: 4_200_000, tolerance: 0.03,
        note:
          "the TF-slim checkpoint has a 1001-way classifier (background class); the last depthwise layer has stride 1 (Table 1 prints s2)"
      ),
      inputShape: [1, 224, 224, 3], defaultInputSize: 224,
      inputSizeMeaning: "image side (multiple of 32, 32...1024)"),
    ZooEntry(
      name: "mobilenet_v2",
      description:
        "MobileNet v2 1.0/224 (TF-slim layout as in the hosted TFLite model: SAME padding, ReLU6, 1001 classes)",
      citation: ZooCitation(
        source:
          "Sandler et al., \"MobileNetV2: Inverted Residuals and Linear Bottlenecks\", CVPR 2018, Tables 2 and 4 (MobileNetV2 1.0/224: 300M MACs, 3.4M parameters)",
        publishedMACs: 300_000_000, publishedParameters: 3_400_000, tolerance: 0.03,
        note: "1001-way classifier as in the TF-slim checkpoint; conv+BN folded into conv with bias"),
      inputShape: [1, 224, 224, 3], defaultInputSize: 224,
      inputSizeMeaning: "image side (multiple of 32, 32...1024)"),
    ZooEntry(
      name: "resnet18",
      description: "ResNet-18 (basic blocks, torchvision layout), 224×224, Keras-style explicit PAD before conv1 and the max pool",
      citation: ZooCitation(
        source:
          "He et al., \"Deep Residual Learning for Image Recognition\", CVPR 2016, Table 1 (18-layer: 1.8×10⁹ FLOPs counted as multiply-adds); torchvision `resnet18` (IMAGENET1K_V1: 1.81 GFLOPS, 11,689,512 parameters)",
        publishedMACs: 1_810_000_000, publishedParameters: 11_689_512, tolerance: 0.03,
        note: "torchvision counts batch-norm γ and β and convolutions without bias; folded, each convolution has a bias instead"
      ),
      inputShape: [1, 224, 224, 3], defaultInputSize: 224,
      inputSizeMeaning: "image side (multiple of 32, 32...1024)"),
    ZooEntry(
      name: "resnet50",
      description:
        "ResNet-50 v1.5 (stride in the 3×3 conv), 224×224, Keras-style explicit PAD before conv1 and the max pool",
      citation: ZooCitation(
        source:
          "He et al., \"Deep Residual Learning for Image Recognition\", CVPR 2016, Table 1; v1.5 stride placement and counts from torchvision `resnet50` (IMAGENET1K_V1: 4.09 GFLOPS counted as MACs, 25,557,032 parameters)",
        publishedMACs: 4_090_000_000, publishedParameters: 25_557_032, tolerance: 0.03,
        note:
          "torchvision counts batch-norm γ and β as parameters and convolutions without bias; folded, each convolution has a bias instead (26,560 fewer parameters)"
      ),
      inputShape: [1, 224, 224, 3], defaultInputSize: 224,
      inputSizeMeaning: "image side (multiple of 32, 32...1024)"),
  ]
}
