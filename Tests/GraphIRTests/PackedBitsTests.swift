import GraphIR
import Testing

/// `Tensor.packedBits`: the verifier's checks and the dense packing helpers.
@Suite struct PackedBitsTests {
  /// The conv model with weights `values` (36 of them, a 4×3×3×1 filter over 1 channel).
  func model(_ values: [Int8], bits: Int?) -> Model {
    var m = convModel(input: [1, 5, 5, 1], filter: [4, 3, 3, 1])
    m.graphs[0].tensors[1].data = TensorData(shape: [4, 3, 3, 1], storage: .int8(values))
    m.graphs[0].tensors[1].packedBits = bits
    return m
  }

  @Test func valuesInsideTheWidthVerify() {
    let int4 = (0..<36).map { Int8($0 % 16 - 8) }  // −8…7, every int4 value
    #expect(GraphVerifier.verify(model(int4, bits: 4)).isEmpty)
    let ternary = (0..<36).map { Int8($0 % 3 - 1) }
    #expect(GraphVerifier.verify(model(ternary, bits: 2)).isEmpty)
    #expect(GraphVerifier.verify(model((0..<36).map { Int8($0 % 4 - 2) }, bits: 2)).isEmpty, "−2 is a 2-bit value")
  }

  @Test func verifierRejectsValuesOutsideTheWidthAndBadTensors() {
    var values = [Int8](repeating: 1, count: 36)
    values[7] = 8
    #expect(
      GraphVerifier.verify(model(values, bits: 4)).map(\.description) == [
        "graph: tensor #1 'w' has packedBits 4: element 7 is 8, outside the 4-bit range -8…7"
      ])
    values[7] = -3
    #expect(
      GraphVerifier.verify(model(values, bits: 2)).map(\.description) == [
        "graph: tensor #1 'w' has packedBits 2: element 7 is -3, outside the 2-bit range -2…1"
      ])
    #expect(
      GraphVerifier.verify(model([Int8](repeating: 0, count: 36), bits: 3)).map(\.description) == [
        "graph: tensor #1 'w' has packedBits 3: expected one of 2, 4 bits"
      ])
    var m = convModel()
    m.graphs[0].tensors[0].packedBits = 4
    m.graphs[0].tensors[2].packedBits = 4
    #expect(
      GraphVerifier.verify(m).map(\.description) == [
        "graph: tensor #0 'x' has packedBits 4: only constant int8 tensors can be packed; this one is non-constant int8",
        "graph: tensor #2 'b' has packedBits 4: only constant int8 tensors can be packed; this one is int32",
      ])
  }

  @Test func denseLayoutLowBitsFirst() throws {
    #expect(PackedIntegers.pack([1, -1, 7], bits: 4) == [0xF1, 0x07])
    #expect(PackedIntegers.pack([1, 0, -1, 1, -1], bits: 2) == [0x71, 0x03])
    #expect(PackedIntegers.pack([-128, 5], bits: 8) == [0x80, 0x05])
    #expect(PackedIntegers.unpack([0xF1, 0x07], count: 3, bits: 4) == [1, -1, 7])
    #expect(PackedIntegers.unpack([0x71, 0x03], count: 5, bits: 2) == [1, 0, -1, 1, -1])
    #expect(PackedIntegers.unpack([0xF1], count: 3, bits: 4) == nil, "3 int4 values need 2 bytes")
    #expect(PackedIntegers.unpack([0xF1, 0, 0], count: 3, bits: 4) == nil)
  }

  @Test func roundTripEveryWidthAndLength() throws {
    for bits in [2, 4, 8] {
      let range = Tensor.signedRange(bits: bits)
      for count in 0..<19 {
        let values = (0..<count).map { Int8(range.lowerBound + ($0 * 5) % (range.upperBound - range.lowerBound + 1)) }
        let packed = PackedIntegers.pack(values, bits: bits)
        #expect(packed.count == PackedIntegers.byteCount(values: count, bits: bits))
        #expect(packed.count == (count * bits + 7) / 8)
        #expect(PackedIntegers.unpack(packed, count: count, bits: bits) == values, "\(bits) bits × \(count)")
      }
    }
  }
}
