import Foundation
import GraphIR
import Support

/// Where the quantizer gets the inputs it runs the float model on to observe activation ranges.
public enum Calibration: Sendable {
  /// A folder of raw input files, one per sample and model input.
  ///
  /// Every `*.bin` file in the folder (not its subfolders) is read; other files are ignored.
  /// A file holds one input tensor's raw bytes: little-endian, row-major, in the input's own
  /// element type and shape (a 1×64 float32 input is exactly 256 bytes), as written by
  /// `numpy.ndarray.tofile`. For a one-input model each file is a sample (`0000.bin`,
  /// `0001.bin`, …). For a model with several inputs, name files `<sample>.<input>.bin` where
  /// `<input>` is the input's position in the model's input list (`0000.0.bin`,
  /// `0000.1.bin`, …). Samples are used in file-name order (byte-wise), which matters for
  /// stateful models and the moving-average estimator.
  case folder(URL)
  /// `count` inputs drawn from `distribution` with a ``Support/SeededGenerator`` seeded by `seed`.
  case random(count: Int, seed: UInt64, distribution: InputDistribution)
  /// Samples given in memory: one array of input tensors (in model input order) per sample.
  case samples([[TensorData]])
  /// No calibration: only valid when no activation is quantized (`weights-only`).
  case none
}

/// A distribution of synthetic float inputs, reproducible bit for bit from a seed.
///
/// Every draw uses only exact IEEE arithmetic on SplitMix64 outputs (no `log`, `cos`, `exp`),
/// so a Python port (`Programs/quantizer/check_with_tflite.py`) produces identical floats:
/// `u = (next() >> 11) · 2^−53`; a normal draw is the Irwin–Hall sum
/// `z = ((u₁ + u₂) + … + u₁₂) − 6` (mean 0, variance 1, support ±6).
public enum InputDistribution: Sendable, Hashable {
  /// `lower + (upper − lower) · u`.
  case uniform(lower: Double, upper: Double)
  /// `mean + standardDeviation · z`.
  case normal(mean: Double, standardDeviation: Double)
  /// A synthetic NHWC image, per sample: `gain = 0.5 + u`; a channel offset `0.8 · z` per
  /// channel; a piecewise-constant pattern `z` per 4×4 block and channel; per element
  /// `gain · (offset[c] + block[h/4][w/4][c] + 0.5 · z)`. Draws are taken in that order
  /// (offsets by channel, blocks row-major, elements row-major). Inputs of other ranks fall back
  /// to `normal(0, 1)`.
  case image
}

/// Loading and generating calibration samples.
public enum CalibrationData {
  /// The samples `calibration` describes for `model`, validated against its inputs.
  public static func samples(_ calibration: Calibration, for model: Model) throws(QuantizerError) -> [[TensorData]] {
    switch calibration {
    case .folder(let url): return try load(folder: url, for: model)
    case .random(let count, let seed, let distribution):
      return try generate(for: model, count: count, seed: seed, distribution: distribution)
    case .samples(let s):
      guard !s.isEmpty else {
        throw QuantizerError(.calibrationEmpty, model: model.source, "calibration", "no calibration samples given")
      }
      for (k, sample) in s.enumerated() { try validate(sample, sample: "sample \(k)", model: model) }
      return s
    case .none:
      return []
    }
  }

  /// Reads a calibration folder (see ``Calibration/folder(_:)`` for the file naming).
  ///
  /// `role` names the folder in error messages: `calibration` (the default) or `inputs` for the
  /// evaluation inputs of `quantize --inputs` and `compare --inputs`, which use the same naming.
  public static func load(folder url: URL, for model: Model, role: String = "calibration")
    throws(QuantizerError) -> [[TensorData]]
  {
    let source = model.source
    let inputs = model.main.inputs.map { model.main[$0] }
    let names: [String]
    do {
      names = try FileManager.default.contentsOfDirectory(atPath: url.path)
    } catch {
      throw QuantizerError(
        .calibrationUnreadable, model: source, "\(role) folder '\(url.relativePath)'",
        "cannot list the folder (\(error.localizedDescription))")
    }
    let files = names.filter { $0.hasSuffix(".bin") }.sorted {
      Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8))
    }
    guard !files.isEmpty else {
      throw QuantizerError(
        .calibrationEmpty, model: source, "\(role) folder '\(url.relativePath)'",
        "holds no .bin files; expected one raw input file per sample (e.g. 0000.bin)")
    }
    // Group files into samples.
    var order: [String] = []
    var bySample: [String: [Int: String]] = [:]
    for file in files {
      let stem = String(file.dropLast(4))
      let sample: String
      let position: Int
      if inputs.count == 1 {
        (sample, position) = (stem, 0)
      } else {
        guard let dot = stem.lastIndex(of: "."), let p = Int(stem[stem.index(after: dot)...]), p >= 0 else {
          throw QuantizerError(
            .calibrationMismatch, model: source, "\(role) file '\(file)'",
            "the model has \(inputs.count) inputs; name files <sample>.<input>.bin (e.g. 0000.0.bin)")
        }
        (sample, position) = (String(stem[..<dot]), p)
      }
      guard position < inputs.count else {
        throw QuantizerError(
          .calibrationMismatch, model: source, "\(role) file '\(file)'",
          "input index \(position) out of range; the model has \(inputs.count) inputs")
      }
      if bySample[sample] == nil { order.append(sample) }
      bySample[sample, default: [:]][position] = file
    }
    var samples: [[TensorData]] = []
    for sample in order {
      var tensors: [TensorData] = []
      for (i, t) in inputs.enumerated() {
        guard let file = bySample[sample]?[i] else {
          throw QuantizerError(
            .calibrationMismatch, model: source, "\(role) sample '\(sample)'",
            "has no file for input \(i) '\(t.name)'; expected \(sample).\(i).bin")
        }
        let path = url.appendingPathComponent(file)
        let bytes: [UInt8]
        do {
          bytes = [UInt8](try Data(contentsOf: path))
        } catch {
          throw QuantizerError(
            .calibrationUnreadable, model: source, "\(role) file '\(file)'",
            "cannot read (\(error.localizedDescription))")
        }
        let needed = t.elementCount * t.elementType.byteWidth
        guard let value = TensorData(littleEndianBytes: bytes, type: t.elementType, shape: t.shape) else {
          throw QuantizerError(
            .calibrationMismatch, model: source, "\(role) file '\(file)'",
            "\(bytes.count) bytes; input \(i) '\(t.name)' needs \(needed) (\(t.shape.map(String.init).joined(separator: "×")) × \(t.elementType))"
          )
        }
        tensors.append(value)
      }
      samples.append(tensors)
    }
    return samples
  }

  /// `count` seeded samples from `distribution` for every float32 input of `model`.
  public static func generate(for model: Model, count: Int, seed: UInt64, distribution: InputDistribution)
    throws(QuantizerError) -> [[TensorData]]
  {
    guard count > 0 else {
      throw QuantizerError(
        .calibrationEmpty, model: model.source, "calibration",
        "random calibration needs at least 1 sample; got \(count)")
    }
    let inputs = model.main.inputs.map { model.main[$0] }
    for (i, t) in inputs.enumerated() where t.elementType != .float32 {
      throw QuantizerError(
        .calibrationMismatch, model: model.source, "input \(i) '\(t.name)'",
        "is \(t.elementType); random calibration generates float32 inputs only (use a calibration folder)")
    }
    var rng = SeededGenerator(seed: seed)
    return (0..<count).map { _ in
      inputs.map { t in TensorData(shape: t.shape, storage: .float32(draw(distribution, shape: t.shape, &rng))) }
    }
  }

  /// Values of one tensor drawn from `distribution` (see ``InputDistribution`` for the order).
  static func draw(_ distribution: InputDistribution, shape: [Int], _ rng: inout SeededGenerator) -> [Float] {
    let n = TensorData.elementCount(of: shape)
    switch distribution {
    case .uniform(let lo, let hi):
      return (0..<n).map { _ in Float(lo + (hi - lo) * uniform(&rng)) }
    case .normal(let mean, let std):
      return (0..<n).map { _ in Float(mean + std * irwinHall(&rng)) }
    case .image:
      guard shape.count == 4 else { return draw(.normal(mean: 0, standardDeviation: 1), shape: shape, &rng) }
      let (batch, h, w, c) = (shape[0], shape[1], shape[2], shape[3])
      var out = [Float](repeating: 0, count: n)
      let bh = (h + 3) / 4
      let bw = (w + 3) / 4
      for b in 0..<batch {
        let gain = 0.5 + uniform(&rng)
        let offset = (0..<c).map { _ in 0.8 * irwinHall(&rng) }
        let blocks = (0..<(bh * bw * c)).map { _ in irwinHall(&rng) }
        for y in 0..<h {
          for x in 0..<w {
            for k in 0..<c {
              let noise = irwinHall(&rng)
              let block = blocks[((y / 4) * bw + x / 4) * c + k]
              out[((b * h + y) * w + x) * c + k] = Float(gain * (offset[k] + block + 0.5 * noise))
            }
          }
        }
      }
      return out
    }
  }

  /// `(next() >> 11) · 2^−53`, uniform in [0, 1).
  static func uniform(_ rng: inout SeededGenerator) -> Double {
    Double(rng.next() >> 11) * 0x1p-53
  }

  /// The Irwin–Hall approximation of a standard normal: twelve uniforms summed left to right, minus 6.
  static func irwinHall(_ rng: inout SeededGenerator) -> Double {
    var s = uniform(&rng)
    for _ in 1..<12 { s += uniform(&rng) }
    return s - 6
  }

  static func validate(_ sample: [TensorData], sample name: String, model: Model) throws(QuantizerError) {
    let inputs = model.main.inputs.map { model.main[$0] }
    guard sample.count == inputs.count else {
      throw QuantizerError(
        .calibrationMismatch, model: model.source, "calibration \(name)",
        "has \(sample.count) tensors; the model has \(inputs.count) inputs")
    }
    for (i, (value, t)) in zip(sample, inputs).enumerated() {
      guard value.elementType == t.elementType, value.count == t.elementCount else {
        throw QuantizerError(
          .calibrationMismatch, model: model.source, "calibration \(name)",
          "input \(i) '\(t.name)' is \(value.count) × \(value.elementType); expected \(t.elementCount) × \(t.elementType)"
        )
      }
    }
  }
}
