import Support
import Testing

@testable import TileISA

@Suite("matmul semantics")
struct MatmulTests {
  @Test("a 1×1 GEMM: two pixels × three channels times a 3 × 2 tile")
  func plainGEMM() throws {
    var m = try makeMachine()
    m.putUB([1, 2, 3, -1, 0, 4], at: 0x100)
    try m.loadTile([[1, -2], [3, 0], [5, 1]])
    let (input, window) = gemmInput(address: 0x100, pixels: 2, channels: 3)
    try run(.matmul(Matmul(input: input, window: window, weightSlot: .first, columns: 2, accRow: 4)), on: &m)
    // pixel 0: [1,2,3]·[1,3,5] = 22, [1,2,3]·[-2,0,1] = 1; pixel 1: [-1,0,4]·[1,3,5] = 19, ·[-2,0,1] = 6
    #expect(m.accRow(4, 2) == [22, 1])
    #expect(m.accRow(5, 2) == [19, 6])
  }

  @Test("zero point: every in-image byte has it subtracted; a negative one adds")
  func negativeZeroPoint() throws {
    var m = try makeMachine()
    m.putUB([1, 2], at: 0)
    try m.loadTile([[1], [10]])
    let (input, window) = gemmInput(address: 0, pixels: 1, channels: 2)
    try run(.matmul(Matmul(input: input, window: window, inputZeroPoint: -3, weightSlot: .first, columns: 1, accRow: 0)), on: &m)
    // (1+3)·1 + (2+3)·10 = 54
    #expect(m.accRow(0, 1) == [54])
    try run(.matmul(Matmul(input: input, window: window, inputZeroPoint: 127, weightSlot: .first, columns: 1, accRow: 1)), on: &m)
    // (1−127)·1 + (2−127)·10 = −126 − 1250 = −1376
    #expect(m.accRow(1, 1) == [-1376])
  }

  @Test("3×3 convolution with padding: out-of-image taps contribute exactly zero, zero point or not")
  func paddingTaps() throws {
    var m = try makeMachine()
    // A 3×3 one-channel image 1...9, zero point 1, so in-image operands are 0...8.
    m.putUB((1...9).map { Int8($0) }, at: 0)
    // An all-ones 3×3 kernel: each output is the sum of (x − 1) over in-image taps.
    try m.loadTile(Array(repeating: [1], count: 9))
    let input = FeatureMap(address: 0, height: 3, width: 3, pixelStrideBytes: 1, channelCount: 1)
    let window = Window(outHeight: 3, outWidth: 3, kernelHeight: 3, kernelWidth: 3, padTop: 1, padLeft: 1)
    try run(.matmul(Matmul(input: input, window: window, inputZeroPoint: 1, weightSlot: .first, columns: 1, accRow: 0)), on: &m)
    // Operands (x−1): [0 1 2; 3 4 5; 6 7 8]. Corner (0,0): 0+1+3+4 = 8; edge (0,1): 0+1+2+3+4+5 = 15;
    // (0,2): 1+2+4+5 = 12; (1,0): 0+1+3+4+6+7 = 21; centre: 36; (1,2): 1+2+4+5+7+8 = 27;
    // (2,0): 3+4+6+7 = 20; (2,1): 3+4+5+6+7+8 = 33; (2,2): 4+5+7+8 = 24.
    #expect((0..<9).map { m.accRow($0, 1)[0] } == [8, 15, 12, 21, 36, 27, 20, 33, 24])
  }

  @Test("stride, dilation and a negative pad (window starting inside the tile)")
  func strideDilation() throws {
    var m = try makeMachine()
    m.putUB((0..<16).map { Int8($0) }, at: 0)  // 4×4 image, value = 4·row + col
    try m.loadTile([[1], [1], [1], [1]])  // 2×2 kernel of ones
    let input = FeatureMap(address: 0, height: 4, width: 4, pixelStrideBytes: 1, channelCount: 1)
    // dilation 2: taps (0,0),(0,2),(2,0),(2,2) of the window; stride 2 with pad −1 starts at (1,1).
    let window = Window(
      outHeight: 2, outWidth: 2, kernelHeight: 2, kernelWidth: 2, strideHeight: 2, strideWidth: 2, dilationHeight: 2,
      dilationWidth: 2, padTop: -1, padLeft: -1)
    try run(.matmul(Matmul(input: input, window: window, weightSlot: .first, columns: 1, accRow: 0)), on: &m)
    // (0,0): pixels (1,1),(1,3),(3,1),(3,3) = 5+7+13+15 = 40; (0,1): (1,3) = 7 and (3,3) = 15, the
    // others fall off the right edge: 22; (1,0): 13+15 = 28; (1,1): 15.
    #expect((0..<4).map { m.accRow($0, 1)[0] } == [40, 22, 28, 15])
  }

  @Test("groups: a depthwise tile multiplies only in-group products")
  func depthwiseGroups() throws {
    var m = try makeMachine()
    m.putUB([2, 3], at: 0)  // one pixel, two channels
    // K × N = 2 × 2 tile; the off-diagonal entries must be ignored with groups = 2.
    try m.loadTile([[5, 100], [100, 7]])
    let (input, window) = gemmInput(address: 0, pixels: 1, channels: 2)
    try run(.matmul(Matmul(input: input, window: window, weightSlot: .first, columns: 2, groups: 2, accRow: 0)), on: &m)
    #expect(m.accRow(0, 2) == [10, 21])
    try run(.matmul(Matmul(input: input, window: window, weightSlot: .first, columns: 2, groups: 1, accRow: 1)), on: &m)
    #expect(m.accRow(1, 2) == [310, 221])
  }

  @Test("groups over a 2×1 kernel: k = tap·C + c interleaves the groups")
  func groupsAcrossTaps() throws {
    var m = try makeMachine()
    m.putUB([1, 2, 3, 4], at: 0)  // 2×1 image, 2 channels: pixel 0 = (1,2), pixel 1 = (3,4)
    // k = 0: tap 0 ch 0, 1: tap 0 ch 1, 2: tap 1 ch 0, 3: tap 1 ch 1.
    try m.loadTile([[1, 50], [50, 1], [10, 50], [50, 10]])
    let input = FeatureMap(address: 0, height: 2, width: 1, pixelStrideBytes: 2, channelCount: 2)
    let window = Window(outHeight: 1, outWidth: 1, kernelHeight: 2, kernelWidth: 1)
    try run(.matmul(Matmul(input: input, window: window, weightSlot: .first, columns: 2, groups: 2, accRow: 0)), on: &m)
    // channel 0: 1·1 + 3·10 = 31; channel 1: 2·1 + 4·10 = 42
    #expect(m.accRow(0, 2) == [31, 42])
  }

  @Test("accumulate adds to the rows; without it they are overwritten")
  func accumulate() throws {
    var m = try makeMachine()
    m.putUB([3], at: 0)
    try m.loadTile([[2]])
    let (input, window) = gemmInput(address: 0, pixels: 1, channels: 1)
    let base = Matmul(input: input, window: window, weightSlot: .first, columns: 1, accRow: 7)
    try run(.matmul(base), on: &m)
    var again = base
    again.accumulate = true
    try run(.matmul(again), on: &m)
    try run(.matmul(again), on: &m)
    #expect(m.accRow(7, 1) == [18])
    try run(.matmul(base), on: &m)
    #expect(m.accRow(7, 1) == [6])
  }

  @Test("channel offset and pixel stride select a slice of wider pixels; the second slot is independent")
  func channelSliceAndSlots() throws {
    var m = try makeMachine()
    m.putUB([9, 9, 1, 2, 9, 9, 9, 9, 3, 4, 9, 9], at: 0)  // 2 pixels of 6 channels; we read channels 2..<4
    try m.loadTile([[1], [1]], slot: .first, at: 0)
    try m.loadTile([[1], [-1]], slot: .second, at: 16)
    let input = FeatureMap(address: 0, height: 1, width: 2, pixelStrideBytes: 6, channelOffset: 2, channelCount: 2)
    let window = Window(outHeight: 1, outWidth: 2)
    try run(.matmul(Matmul(input: input, window: window, weightSlot: .first, columns: 1, accRow: 0)), on: &m)
    try run(.matmul(Matmul(input: input, window: window, weightSlot: .second, columns: 1, accRow: 2)), on: &m)
    #expect([m.accRow(0, 1)[0], m.accRow(1, 1)[0]] == [3, 7])
    #expect([m.accRow(2, 1)[0], m.accRow(3, 1)[0]] == [-1, -1])
  }

  @Test("dataflow changes nothing functionally")
  func dataflowIsTimingOnly() throws {
    var results: [[Int32]] = []
    for dataflow in Matmul.Dataflow.allCases {
      var m = try makeMachine()
      m.putUB([1, -2, 3, 4], at: 0)
      try m.loadTile([[1, 2], [3, 4]])
      let (input, window) = gemmInput(address: 0, pixels: 2, channels: 2)
      try run(.matmul(Matmul(input: input, window: window, weightSlot: .first, columns: 2, accRow: 0, dataflow: dataflow)), on: &m)
      results.append(m.accRow(0, 2) + m.accRow(1, 2))
    }
    #expect(results.count == 3 && Set(results.map { $0.description }).count == 1)
  }

  @Test("reading beyond the loaded tile is an error")
  func beyondTile() throws {
    var m = try makeMachine()
    try m.loadTile([[1, 2]])  // 1 × 2
    let (input, window) = gemmInput(address: 0, pixels: 1, channels: 2)  // K = 2
    #expect(throws: ISAError(.execution, "matmul", "uses 2×2 weights but slot 0 holds a 1×2 tile")) {
      try run(.matmul(Matmul(input: input, window: window, weightSlot: .first, columns: 2, accRow: 0)), on: &m)
    }
  }
}
