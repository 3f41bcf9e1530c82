import GraphIR
import Support
import TFLiteImport

/// The result of ``Quantizer/quantize(model:scheme:calibration:options:)``: the quantized
/// GraphIR model plus what a compiler and an accuracy report need to know about it.
public struct QuantizedModel: Sendable {
  /// The quantized model (GraphIR), ready for ``tfliteBytes()`` or the golden model.
  public var model: Model
  /// The scheme used.
  public var scheme: QuantizationScheme
  /// The options used.
  public var options: QuantizerOptions
  /// The float model it came from.
  public var floatModel: Model
  /// For every tensor of the float model's main graph, the quantized-graph tensor that holds
  /// its value as produced (the op output itself, not a QUANTIZE/DEQUANTIZE conversion of it).
  /// Constants (weights, biases) are not listed.
  public var tensorMap: [TensorID: TensorID]
  /// For every operator of the float model's main graph, its index in the quantized graph.
  public var operatorMap: [Int: Int]
  /// The precision each operator of the float model's main graph runs in (ops without float
  /// data are not listed).
  public var precisions: [Int: ActivationPrecision]
  /// The quantized weight tensors of CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED, by
  /// quantized-graph tensor: how they pack (``WeightQuantizer``). int4 and ternary weights are
  /// int8 tensors in the IR whose values fit in 4 or 2 bits, annotated with `Tensor.packedBits`
  /// (which the TFLite writer, the compiler and the simulator honour); fine-grained ternary
  /// weights (int8 levels ±a_g) are annotated with `packedBits` 2 and `packedGroupSize` N.
  public var weights: [TensorID: QuantizedWeights]
  /// How many requantizing QUANTIZE ops were inserted because a shared-scale operand already
  /// had different fixed parameters.
  public var requantizeCount: Int

  /// The packed-storage bits of each weight tensor (8, 4 or 2), by quantized-graph tensor, as
  /// ``ModelSize`` counts them (fine-grained ternary: 2, plus its group levels).
  public var packedBits: [TensorID: Int] { weights.mapValues(\.bits) }

  /// Whether Systole's golden model (and the int8 array) runs ``model`` as it is.
  ///
  /// `false` for `uint8-affine` (no uint8 matrix kernels) and `weights-only` (float
  /// activations with int8 weights, a hybrid the array cannot run natively); those are measured
  /// on ``simulationModel()``.
  public var runsNatively: Bool { scheme.runsNatively }

  /// What the accelerator cannot run natively in this model, one line per reason.
  public var arrayLimitations: [String] {
    var notes: [String] = []
    switch scheme {
    case .weightsOnly:
      notes.append(
        "weights-only: activations stay float32; the int8 array cannot run hybrid layers (weights would be dequantized on the host, or activations quantized at run time)"
      )
    case .uint8Affine:
      notes.append(
        "uint8-affine: uint8 activations and asymmetric uint8 weights; the array computes signed int8 × int8")
    default: break
    }
    let float = floatModel.main
    for (i, p) in precisions.sorted(by: { $0.key < $1.key }) where p == .float32 && scheme != .weightsOnly {
      notes.append("\(float.operators[i].location(index: i, in: float)) stays float32: runs on the host, not the array")
    }
    return notes
  }

  /// The model as the bytes of a `.tflite` file (``TFLiteImport/TFLiteWriter``).
  public func tfliteBytes() throws(QuantizerError) -> [UInt8] {
    do {
      return try TFLiteWriter.serialize(model)
    } catch {
      throw QuantizerError(.serialization, model: model.source, "cannot write the quantized model: \(error)")
    }
  }

  /// The bytes of constant data with weights at their packed width (see ``ModelSize``).
  public var size: ModelSize { ModelSize(model, weights: weights) }

  /// The same count for the float model.
  public var floatSize: ModelSize { ModelSize(floatModel, weights: [:]) }
}

/// Bytes of constant data in a model, split by role.
///
/// Weights (operand 1 of CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED) count at their packed
/// width, `ceil(n · bits / 8)`, plus 4 bytes per scale, 1 per non-zero zero point and 1 per
/// fine-grained ternary group level; biases (operand 2) and every other constant count as
/// stored. Bias scales and activation parameters are derivable or negligible and not counted.
public struct ModelSize: Sendable, Hashable, CustomStringConvertible {
  /// Weights, packed, with their scales.
  public var weightBytes: ByteCount
  /// Biases as stored (int32, int64 or float32).
  public var biasBytes: ByteCount
  /// Other constants (quantized operands of elementwise ops, shapes, paddings, …).
  public var otherBytes: ByteCount

  /// All constant bytes.
  public var totalBytes: ByteCount { weightBytes + biasBytes + otherBytes }

  /// Counts `model`'s constants; `weights` gives the packed form of quantized weight tensors.
  public init(_ model: Model, weights: [TensorID: QuantizedWeights]) {
    var w = 0
    var b = 0
    var o = 0
    for (g, graph) in model.graphs.enumerated() {
      var role: [Int: Int] = [:]  // tensor → 1 weight, 2 bias
      for op in graph.operators {
        switch op.kind {
        case .conv2D, .depthwiseConv2D, .fullyConnected:
          if let x = op.input(1) { role[x.index] = 1 }
          if let x = op.input(2) { role[x.index] = 2 }
        default: break
        }
      }
      for (t, tensor) in graph.tensors.enumerated() where tensor.isConstant {
        switch role[t] {
        case 1:
          if g == 0, let q = weights[TensorID(t)] {
            w += PackedWeights.byteCount(values: tensor.elementCount, bits: q.bits)
            w += 4 * q.parameters.scales.count + q.parameters.zeroPoints.filter { $0 != 0 }.count
            w += q.groupLevels.count
          } else {
            w += tensor.byteCount + 4 * (tensor.quantization?.scales.count ?? 0)
          }
        case 2: b += tensor.byteCount
        default: o += tensor.byteCount
        }
      }
    }
    weightBytes = ByteCount(w)
    biasBytes = ByteCount(b)
    otherBytes = ByteCount(o)
  }

  /// `12.3 KiB (weights 10.1 KiB, biases 1.2 KiB, other 1.0 KiB)`.
  public var description: String {
    "\(totalBytes) (weights \(weightBytes), biases \(biasBytes), other \(otherBytes))"
  }
}

extension QuantizedWeights {
  /// The weights in packed storage: the int8/int4 values themselves, or for ternary weights
  /// the sign codes (with ``groupLevels`` alongside for the fine-grained form). `nil` for
  /// uint8 weights, which are stored as is.
  public func packed() -> PackedWeights? {
    guard case .int8(let q) = data.storage else { return nil }
    if bits == 2 { return PackedWeights(packing: q.map { $0.signum() }, bits: 2) }
    return PackedWeights(packing: q, bits: bits)
  }

  /// Rebuilds the int8 values from packed storage: `sign × level` for fine-grained ternary
  /// (one level per group, channel by channel), the unpacked values otherwise.
  public func unpack(_ packed: PackedWeights) -> [Int8] {
    let values = packed.unpacked()
    guard bits == 2, let n = groupSize, !groupLevels.isEmpty,
      let layout = ChannelLayout(shape: data.shape, axis: parameters.quantizedDimension)
    else { return values }
    var out = values
    var g = 0
    for c in 0..<layout.channels {
      let idx = layout.indices(ofChannel: c, count: values.count)
      var start = 0
      while start < idx.count {
        let level = g < groupLevels.count ? groupLevels[g] : 0
        for i in idx[start..<min(start + n, idx.count)] { out[i] = values[i] * level }
        g += 1
        start += n
      }
    }
    return out
  }
}
