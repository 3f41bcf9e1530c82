import GraphIR
import Testing

@testable import GoldenModel

/// 0, 1, 2, … as int32 values of a tensor of `shape` (each element names its own flat index).
private func iota(_ shape: [Int]) -> [Int32] { (0..<shape.reduce(1, *)).map { Int32($0) } }

/// Runs STRIDED_SLICE on an iota tensor of `shape`; returns the output shape and values.
private func slice(
  _ shape: [Int], begin: [Int32], end: [Int32], strides: [Int32], _ o: StridedSliceOptions = StridedSliceOptions(),
  outputShape: [Int]
) throws -> (shape: [Int], values: [Int32]) {
  var g = ElementwiseOpGraph()
  let x = g.tensor("x", shape, .int32)
  let b = g.tensor("begin", [begin.count], .int32, data: .int32(begin))
  let e = g.tensor("end", [end.count], .int32, data: .int32(end))
  let s = g.tensor("strides", [strides.count], .int32, data: .int32(strides))
  let out = g.tensor("y", outputShape, .int32)
  let op = Operator(kind: .stridedSlice(o), inputs: [x, b, e, s], outputs: [out])
  let graph = Graph(name: "t", tensors: g.tensors, operators: [op], inputs: [x], outputs: [out])
  // Run the kernel directly to see the shape it computes (the interpreter re-applies the
  // tensor's static shape).
  let context = KernelContext(
    graph: graph, op: op, index: 0,
    values: [TensorData(shape: shape, storage: .int32(iota(shape)))] + [b, e, s].map { g.tensors[$0.index].data })
  let r = try Kernels.run(context)[0]
  guard case .int32(let v) = r.storage else { return (r.shape, []) }
  return (r.shape, v)
}

@Suite struct ShapeKernelTests {
  // MARK: STRIDED_SLICE, one mask at a time

  @Test func sliceWithStridesAndNegativeIndices() throws {
    // [4, 5]: rows 1..<3, columns 0, 2, 4.
    let a = try slice([4, 5], begin: [1, 0], end: [3, 5], strides: [1, 2], outputShape: [2, 3])
    #expect(a.shape == [2, 3] && a.values == [5, 7, 9, 10, 12, 14])
    // Negative indices count from the end; a negative stride walks backwards.
    let b = try slice([6], begin: [-1], end: [-5], strides: [-2], outputShape: [2])
    #expect(b.shape == [2] && b.values == [5, 3])
    // Out-of-range indices clamp.
    let c = try slice([5], begin: [-10], end: [100], strides: [3], outputShape: [2])
    #expect(c.values == [0, 3])
    // begin past end gives an empty slice.
    let d = try slice([5], begin: [4], end: [1], strides: [1], outputShape: [0])
    #expect(d.shape == [0] && d.values.isEmpty)
  }

  @Test func sliceBeginAndEndMasks() throws {
    // Bit 0 of begin_mask ignores begin[0]; bit 1 of end_mask ignores end[1].
    let a = try slice(
      [3, 4], begin: [2, 1], end: [3, 2], strides: [1, 1], StridedSliceOptions(beginMask: 0b01, endMask: 0b10),
      outputShape: [3, 3])
    #expect(a.values == [1, 2, 3, 5, 6, 7, 9, 10, 11])
    // With a negative stride the masks mean "from the last" and "through the first".
    let b = try slice(
      [4], begin: [0], end: [0], strides: [-1], StridedSliceOptions(beginMask: 1, endMask: 1), outputShape: [4])
    #expect(b.values == [3, 2, 1, 0])
  }

  @Test func sliceShrinkAxis() throws {
    // Shrinking dimension 0 at index −1 keeps only the last row and drops the dimension.
    let a = try slice(
      [3, 4], begin: [-1, 1], end: [0, 3], strides: [1, 1], StridedSliceOptions(shrinkAxisMask: 0b01), outputShape: [2])
    #expect(a.shape == [2] && a.values == [9, 10])
    // Both dimensions shrunk: a scalar.
    let b = try slice(
      [3, 4], begin: [1, 2], end: [2, 3], strides: [1, 1], StridedSliceOptions(shrinkAxisMask: 0b11), outputShape: [])
    #expect(b.shape == [] && b.values == [6])
  }

  @Test func sliceNewAxis() throws {
    // A new axis in front: begin/end/stride of that entry are ignored.
    let a = try slice(
      [2, 3], begin: [0, 1, 0], end: [0, 2, 3], strides: [1, 1, 2], StridedSliceOptions(newAxisMask: 0b001),
      outputShape: [1, 1, 2])
    #expect(a.shape == [1, 1, 2] && a.values == [3, 5])
    // A new axis in the middle.
    let b = try slice(
      [2, 3], begin: [1, 0, 0], end: [2, 0, 2], strides: [1, 1, 1], StridedSliceOptions(newAxisMask: 0b010),
      outputShape: [1, 1, 2])
    #expect(b.shape == [1, 1, 2] && b.values == [3, 4])
  }

  @Test func sliceEllipsis() throws {
    // [2, 3, 4] with "..., 1:3": the ellipsis stands for the first two dimensions.
    let a = try slice(
      [2, 3, 4], begin: [0, 1], end: [0, 3], strides: [1, 1], StridedSliceOptions(ellipsisMask: 0b01),
      outputShape: [2, 3, 2])
    #expect(a.shape == [2, 3, 2] && a.values == [1, 2, 5, 6, 9, 10, 13, 14, 17, 18, 21, 22])
    // "1, ..., 2" (shrink the first and last): the ellipsis covers the middle dimension.
    let b = try slice(
      [2, 3, 4], begin: [1, 0, 2], end: [2, 0, 3], strides: [1, 1, 1],
      StridedSliceOptions(ellipsisMask: 0b010, shrinkAxisMask: 0b101), outputShape: [3])
    #expect(b.shape == [3] && b.values == [14, 18, 22])
    // "..., new axis": the ellipsis covers everything, a unit dimension is appended.
    let c = try slice(
      [2, 2], begin: [0, 0], end: [0, 0], strides: [1, 1], StridedSliceOptions(ellipsisMask: 0b01, newAxisMask: 0b10),
      outputShape: [2, 2, 1])
    #expect(c.shape == [2, 2, 1] && c.values == [0, 1, 2, 3])
  }

  @Test func sliceOffsetMeansEndIsALength() throws {
    // offset: end = begin + end[i]; [4, 5] from (1, 2), sizes (2, 3).
    let a = try slice(
      [4, 5], begin: [1, 2], end: [2, 3], strides: [1, 1], StridedSliceOptions(offset: true), outputShape: [2, 3])
    #expect(a.shape == [2, 3] && a.values == [7, 8, 9, 12, 13, 14])
  }

  @Test func sliceKeepsQuantizedBytes() throws {
    var g = ElementwiseOpGraph()
    let x = g.tensor("x", [4], .int8, scale: 0.1, zeroPoint: 3)
    let b = g.tensor("b", [1], .int32, data: .int32([1]))
    let e = g.tensor("e", [1], .int32, data: .int32([4]))
    let s = g.tensor("s", [1], .int32, data: .int32([2]))
    let o = g.tensor("y", [2], .int8, scale: 0.1, zeroPoint: 3)
    let r = try g.run1(.stridedSlice(StridedSliceOptions()), [x, b, e, s], o, feeds: [.int8([-128, 5, 7, 127])])
    #expect(r.storage == .int8([5, 127]))
  }

  @Test func sliceRejectsZeroStride() throws {
    #expect(
      throws: GoldenModelError(
        .invalidModel, "op #0 STRIDED_SLICE 'y'", "STRIDED_SLICE stride 0 on axis 0 is not a non-zero int32")
    ) {
      try slice([4], begin: [0], end: [4], strides: [0], outputShape: [4])
    }
  }

  // MARK: TRANSPOSE, PACK, SPLIT_V, SHAPE, RESHAPE

  @Test func transposes() throws {
    var g = ElementwiseOpGraph()
    let x = g.tensor("x", [2, 3], .int8, scale: 1)
    let p = g.tensor("perm", [2], .int32, data: .int32([1, 0]))
    let o = g.tensor("y", [3, 2], .int8, scale: 1)
    let r = try g.run1(.transpose, [x, p], o, feeds: [.int8([0, 1, 2, 3, 4, 5])])
    #expect(r.storage == .int8([0, 3, 1, 4, 2, 5]))

    var h = ElementwiseOpGraph()
    let y = h.tensor("x", [2, 2], .float32)
    let q = h.tensor("perm", [2], .int32, data: .int32([0, 0]))
    let z = h.tensor("t", [2, 2], .float32)
    #expect(throws: GoldenModelError(.invalidModel, "op #0 TRANSPOSE 't'", "[0, 0] is not a permutation of 0..<2")) {
      try h.run1(.transpose, [y, q], z, feeds: [.float32([1, 2, 3, 4])])
    }
  }

  @Test func packsAlongEveryAxis() throws {
    for (axis, shape, expected) in [
      (0, [2, 2], [1, 2, 3, 4] as [Float]), (1, [2, 2], [1, 3, 2, 4]), (-1, [2, 2], [1, 3, 2, 4]),
    ] {
      var g = ElementwiseOpGraph()
      let a = g.tensor("a", [2], .float32)
      let b = g.tensor("b", [2], .float32)
      let o = g.tensor("y", shape, .float32)
      let r = try g.run1(.pack(count: 2, axis: axis), [a, b], o, feeds: [.float32([1, 2]), .float32([3, 4])])
      #expect(r.storage == .float32(expected), "axis \(axis)")
    }
  }

  @Test func splitsWithAnInferredSize() throws {
    var g = ElementwiseOpGraph()
    let x = g.tensor("x", [2, 4], .int16, scale: 1)
    let sizes = g.tensor("sizes", [2], .int32, data: .int32([1, -1]))
    let axis = g.tensor("axis", [], .int32, data: .int32([-1]))
    let o1 = g.tensor("y1", [2, 1], .int16, scale: 1)
    let o2 = g.tensor("y2", [2, 3], .int16, scale: 1)
    let r = try g.run(.splitV(count: 2), [x, sizes, axis], [o1, o2], feeds: [.int16([0, 1, 2, 3, 4, 5, 6, 7])])
    #expect(r[0].storage == .int16([0, 4]))
    #expect(r[1].storage == .int16([1, 2, 3, 5, 6, 7]))
  }

  @Test func shapeAndReshape() throws {
    var g = ElementwiseOpGraph()
    let x = g.tensor("x", [2, 3, 5], .int8, scale: 1)
    let o = g.tensor("s", [3], .int64)
    #expect(
      try g.run1(.shape(outputType: .int64), [x], o, feeds: [.int8(Array(repeating: 0, count: 30))]).storage
        == .int64([2, 3, 5]))

    var h = ElementwiseOpGraph()
    let y = h.tensor("x", [1, 2, 1, 2], .int8, scale: 1)
    let z = h.tensor("y", [2, 2], .int8, scale: 1)
    let r = try h.run1(.squeeze(dims: [0, 2]), [y], z, feeds: [.int8([1, 2, 3, 4])])
    #expect(r.shape == [2, 2] && r.storage == .int8([1, 2, 3, 4]))
  }

  // MARK: CONCATENATION

  @Test func concatenatesAlongAnAxis() throws {
    var g = ElementwiseOpGraph()
    let a = g.tensor("a", [2, 1], .int32)
    let b = g.tensor("b", [2, 2], .int32)
    let o = g.tensor("y", [2, 3], .int32)
    let r = try g.run1(
      .concatenation(axis: -1, activation: .none), [a, b], o, feeds: [.int32([1, 2]), .int32([3, 4, 5, 6])])
    #expect(r.storage == .int32([1, 3, 4, 2, 5, 6]))
  }

  @Test func concatenationRescalesInputsWithOtherParameters() throws {
    // Input 0 shares the output's parameters and is copied; input 1 (scale 0.5, zero point 0)
    // is rescaled to the output's scale 1, zero point 10: roundf(q × 0.5) + 10, ties away.
    for type in [ElementType.int8, .uint8] {
      var g = ElementwiseOpGraph()
      let a = g.tensor("a", [2], type, scale: 1, zeroPoint: 10)
      let b = g.tensor("b", [4], type, scale: 0.5, zeroPoint: 0)
      let o = g.tensor("y", [6], type, scale: 1, zeroPoint: 10)
      let inputs: (TensorData.Storage, TensorData.Storage) =
        type == .int8 ? (.int8([-128, 127]), .int8([1, 3, 5, 127])) : (.uint8([0, 255]), .uint8([1, 3, 5, 255]))
      let r = try g.run1(.concatenation(axis: 0, activation: .none), [a, b], o, feeds: [inputs.0, inputs.1])
      let expected: TensorData.Storage =
        type == .int8 ? .int8([-128, 127, 11, 12, 13, 74]) : .uint8([0, 255, 11, 12, 13, 138])
      #expect(r.storage == expected, "\(type)")
    }
  }

  @Test func concatenationCopiesInt16WhateverTheScales() throws {
    // TFLite 2.21 copies int16 values unchanged even when the scales differ.
    var g = ElementwiseOpGraph()
    let a = g.tensor("a", [1], .int16, scale: 0.5)
    let b = g.tensor("b", [2], .int16, scale: 0.25)
    let o = g.tensor("y", [3], .int16, scale: 1)
    let r = try g.run1(
      .concatenation(axis: 0, activation: .none), [a, b], o, feeds: [.int16([300]), .int16([-7, 1000])])
    #expect(r.storage == .int16([300, -7, 1000]))
  }

  @Test func shapeOpsReportBadOperands() throws {
    var g = ElementwiseOpGraph()
    let x = g.tensor("x", [5], .float32)
    let sizes = g.tensor("sizes", [2], .int32, data: .int32([2, 2]))
    let axis = g.tensor("axis", [], .int32, data: .int32([0]))
    let y1 = g.tensor("y1", [2], .float32)
    let y2 = g.tensor("y2", [2], .float32)
    #expect(
      throws: GoldenModelError(.invalidModel, "op #0 SPLIT_V 'y1'", "SPLIT_V sizes [2, 2] do not sum to dimension 5")
    ) {
      try g.run(.splitV(count: 2), [x, sizes, axis], [y1, y2], feeds: [.float32([1, 2, 3, 4, 5])])
    }

    var h = ElementwiseOpGraph()
    let p = h.tensor("x", [2], .int8, scale: 1)
    let pads = h.tensor("paddings", [1, 2], .int32, data: .int32([-1, 0]))
    let z = h.tensor("y", [1], .int8, scale: 1)
    #expect(throws: GoldenModelError(.invalidModel, "op #0 PAD 'y'", "padding -1 is negative or too large")) {
      try h.run1(.pad, [p, pads], z, feeds: [.int8([1, 2])])
    }

    var k = ElementwiseOpGraph()
    let a = k.tensor("a", [2], .int32)
    let b = k.tensor("b", [3], .int32)
    let c = k.tensor("y", [2, 2], .int32)
    #expect(
      throws: GoldenModelError(.invalidModel, "op #0 PACK 'y'", "PACK input 1 is [3] × int32; input 0 is [2] × int32")
    ) {
      try k.run1(.pack(count: 2, axis: 0), [a, b], c, feeds: [.int32([1, 2]), .int32([3, 4, 5])])
    }
  }

  // MARK: PAD, PADV2

  @Test func padFillsWithTheOutputZeroPoint() throws {
    var g = ElementwiseOpGraph()
    let x = g.tensor("x", [1, 2], .int8, scale: 0.1, zeroPoint: -5)
    let p = g.tensor("paddings", [2, 2], .int32, data: .int32([1, 0, 0, 1]))
    let o = g.tensor("y", [2, 3], .int8, scale: 0.1, zeroPoint: -5)
    let r = try g.run1(.pad, [x, p], o, feeds: [.int8([7, 8])])
    #expect(r.storage == .int8([-5, -5, -5, 7, 8, -5]))

    var h = ElementwiseOpGraph()
    let y = h.tensor("x", [2], .float32)
    let q = h.tensor("paddings", [1, 2], .int64, data: .int64([2, 1]))
    let z = h.tensor("y", [5], .float32)
    #expect(try h.run1(.pad, [y, q], z, feeds: [.float32([1, 2])]).storage == .float32([0, 0, 1, 2, 0]))
  }

  @Test func padV2FillsWithTheConstant() throws {
    var g = ElementwiseOpGraph()
    let x = g.tensor("x", [2], .int8, scale: 0.1, zeroPoint: -5)
    let p = g.tensor("paddings", [1, 2], .int32, data: .int32([1, 2]))
    let v = g.tensor("value", [], .int8, scale: 0.1, zeroPoint: -5, data: .int8([42]))
    let o = g.tensor("y", [5], .int8, scale: 0.1, zeroPoint: -5)
    let r = try g.run1(.padV2, [x, p, v], o, feeds: [.int8([1, 2])])
    #expect(r.storage == .int8([42, 1, 2, 42, 42]))
  }
}
