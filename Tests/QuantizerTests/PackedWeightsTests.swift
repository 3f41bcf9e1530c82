import GraphIR
import Quantizer
import Support
import TFLiteImport
import Testing

@Suite struct PackedWeightsTests {
  @Test(arguments: [2, 4, 8])
  func everyRepresentableValueRoundTrips(bits: Int) throws {
    let lo = -(1 << (bits - 1))
    let hi = (1 << (bits - 1)) - 1
    // Every value at every position within a byte: repeat the range with odd lengths.
    for count in [1, 3, 7, 8, 9, 31] {
      let values = (0..<count).map { Int8(lo + ($0 % (hi - lo + 1))) }
      let packed = try #require(PackedWeights(packing: values, bits: bits))
      #expect(packed.unpacked() == values)
      #expect(packed.bytes.count == (count * bits + 7) / 8)
      #expect(packed.byteCount == ByteCount((count * bits + 7) / 8))
    }
  }

  @Test func layoutIsLowBitsFirstTwosComplement() throws {
    // int4: first value in the low nibble. 1 → 0x1, −1 → 0xF: [1, −1] → 0xF1.
    #expect(try #require(PackedWeights(packing: [1, -1, 7], bits: 4)).bytes == [0xF1, 0x07])
    // 2 bits, four per byte: +1 → 01, 0 → 00, −1 → 11: [1, 0, −1, 1] → 01 11 00 01 = 0x71.
    #expect(try #require(PackedWeights(packing: [1, 0, -1, 1, -1], bits: 2)).bytes == [0x71, 0x03])
    #expect(try #require(PackedWeights(packing: [-128, 127], bits: 8)).bytes == [0x80, 0x7F])
  }

  @Test func valuesOutsideTheRangeAreRejected() {
    #expect(PackedWeights(packing: [8], bits: 4) == nil)
    #expect(PackedWeights(packing: [-9], bits: 4) == nil)
    #expect(PackedWeights(packing: [2], bits: 2) == nil)
    #expect(PackedWeights(packing: [0], bits: 3) == nil)
    #expect(PackedWeights(packing: [-2, 1], bits: 2) != nil)
  }

  @Test func byteCountsOfPackedTensors() {
    #expect(PackedWeights.byteCount(values: 0, bits: 4) == 0)
    #expect(PackedWeights.byteCount(values: 5, bits: 4) == 3)
    #expect(PackedWeights.byteCount(values: 5, bits: 2) == 2)
    #expect(PackedWeights.byteCount(values: 1000, bits: 2) == 250)
    #expect(PackedWeights.byteCount(values: 1000, bits: 8) == 1000)
  }

  /// Quantized weight tensors of every sub-byte format pack and unpack to the IR's int8 values.
  @Test(arguments: [
    WeightFormat.int4PerChannel, .ternaryPerChannel(threshold: 0.7), .ternaryPerGroup(groupSize: 4, threshold: 0.7),
    .ternaryPerGroup(groupSize: 3, threshold: 0.7), .int8PerChannel,
  ])
  func quantizedWeightsRoundTrip(format: WeightFormat) throws {
    for (shape, axis) in [([6, 3, 3, 5], 0), ([1, 3, 3, 7], 3), ([5, 12], 0)] {
      let count = shape.reduce(1, *)
      let q = WeightQuantizer.quantize(weights(count, seed: UInt64(count)), shape: shape, axis: axis, format: format)
      let packed = try #require(q.packed())
      #expect(packed.bits == format.bits)
      #expect(packed.bytes.count == (count * format.bits + 7) / 8)
      #expect(q.unpack(packed) == q.data.int8s, "\(format) \(shape)")
    }
  }

  @Test func modelSizeCountsPackedWeights() throws {
    let float = TestGraphs.mlp()
    let samples = try TestGraphs.samples(float)
    let int8 = try Quantizer.quantize(model: float, scheme: .int8PerChannel, calibration: .samples(samples))
    let int4 = try Quantizer.quantize(model: float, scheme: .int4, calibration: .samples(samples))
    let ternary = try Quantizer.quantize(model: float, scheme: .ternary, calibration: .samples(samples))
    // w1 4×8 and w2 3×4: 44 weights, 7 channel scales of 4 bytes.
    #expect(int8.size.weightBytes == ByteCount(44 + 7 * 4))
    #expect(int4.size.weightBytes == ByteCount(16 + 6 + 7 * 4))
    #expect(ternary.size.weightBytes == ByteCount(8 + 3 + 7 * 4))
    // Float: 44 weights × 4 bytes; the bias b1 is 4 × float32, then int32.
    #expect(int8.floatSize.weightBytes == ByteCount(44 * 4))
    #expect(int8.floatSize.biasBytes == ByteCount(16))
    #expect(int8.size.biasBytes == ByteCount(16))
    #expect(int4.packedBits.values.sorted() == [4, 4])
  }

  /// The IR carries the packed width (`Tensor.packedBits`) for int4 and ternary weights, and
  /// the group size (`Tensor.packedGroupSize`) for fine-grained ternary ones; the file keeps
  /// both (INT4, or the metadata entry for 2 bits, version 2 with group sizes), and a reload
  /// restores them.
  @Test(arguments: [
    (QuantizationScheme.int4, 4, nil), (.ternary, 2, nil), (.fineGrainedTernary, 2, 3), (.int8PerChannel, nil, nil),
  ] as [(QuantizationScheme, Int?, Int?)])
  func tensorsCarryTheirPackedWidthThroughTheFile(scheme: QuantizationScheme, bits: Int?, group: Int?) throws {
    let float = TestGraphs.mlp()
    var options = QuantizerOptions()
    options.ternaryGroupSize = 3
    let q = try Quantizer.quantize(
      model: float, scheme: scheme, calibration: .samples(try TestGraphs.samples(float)), options: options)
    #expect(!q.weights.isEmpty)
    for id in q.weights.keys {
      #expect(q.model.main[id].packedBits == bits, "\(scheme) \(q.model.main[id].name)")
      #expect(q.model.main[id].packedGroupSize == group, "\(scheme) \(q.model.main[id].name)")
    }
    // Only weights are packed.
    let packed = q.model.main.tensors.indices.filter { q.model.main.tensors[$0].packedBits != nil }
    #expect(Set(packed) == (bits == nil ? [] : Set(q.weights.keys.map(\.index))))
    #expect(GraphVerifier.verify(q.model).isEmpty)
    let reloaded = try TFLiteImporter.parse(try q.tfliteBytes(), source: "q.tflite")
    #expect(reloaded.main.tensors.map(\.packedBits) == q.model.main.tensors.map(\.packedBits))
    #expect(reloaded.main.tensors.map(\.packedGroupSize) == q.model.main.tensors.map(\.packedGroupSize))
    #expect(reloaded.main.tensors.map { $0.data?.littleEndianBytes() } == q.model.main.tensors.map { $0.data?.littleEndianBytes() })
    // The simulation model is float: no packed widths left.
    #expect(q.simulationModel().model.main.tensors.allSatisfy { $0.packedBits == nil })
  }
}
