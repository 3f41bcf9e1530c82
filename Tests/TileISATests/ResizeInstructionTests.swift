import Support
import Testing

@testable import TileISA

/// `vresize` (issue 14: resize) on hand-checked interpolations, blocks of output rows against the
/// whole image, its assembly text, encoding and static checks. (Compiled resizes are compared with
/// the golden model and TFLite in `LoweringTests/ResizeTests.swift`.)
@Suite("vresize")
struct ResizeInstructionTests {
  /// A resize of a `height × width × channels` tile at UB 0 (rows `firstInputRow...` of an
  /// `inputHeight`-row image) into `rows` output rows at `output`.
  func resize(
    height: Int, width: Int, channels: Int, firstInputRow: Int = 0, inputHeight: Int? = nil, out: (Int, Int),
    rows: Range<Int>? = nil, mode: ResizeMode, output: Int
  ) -> Resize {
    let r = rows ?? 0..<out.0
    return Resize(
      input: FeatureMap(
        address: SRAMAddress(0), height: height, width: width, pixelStrideBytes: channels, channelCount: channels),
      firstInputRow: firstInputRow, inputHeight: inputHeight ?? height, outputHeight: out.0, outputWidth: out.1,
      firstOutputRow: r.lowerBound, outputRows: r.count, mode: mode,
      destination: PixelDestination(
        address: SRAMAddress(output), pixelStrideBytes: channels, rowStrideBytes: out.1 * channels))
  }

  @Test("align_corners 1×2 → 1×3: the middle tap weighs ½ each, rounded half away from zero")
  func handChecked() throws {
    var m = try makeMachine()
    // Scale (1024·1 + 1) / 2 = 512: output 1 reads inputs 0 and 1 at weight 512 each.
    // 101·512·1024 = 101·2¹⁹ → (101·2¹⁹ + 2¹⁹) / 2²⁰ = 51; −101 → −51 (the nudge follows the sign).
    m.putUB([-101, 101, 0, 0], at: 0)  // 1×2 pixels × 2 channels
    try run(
      .vector(.resize(resize(height: 1, width: 2, channels: 2, out: (1, 3), mode: .alignCorners, output: 64))), on: &m)
    #expect(m.ub(64, 6) == [-101, 101, -51, 51, 0, 0])
    // Asymmetric 1×2 → 1×4: scale 512, positions 0, ½, 1, 3/2 (the last clamps its upper tap to 1).
    m.putUB([0, 100], at: 0)
    try run(
      .vector(.resize(resize(height: 1, width: 2, channels: 1, out: (1, 4), mode: .asymmetric, output: 64))), on: &m)
    #expect(m.ub(64, 4) == [0, 50, 100, 100])
  }

  @Test("blocks of output rows from the input rows their taps read equal the whole image, every mode")
  func blocksEqualWholeImage() throws {
    var rng = SeededGenerator(seed: 14)
    for mode in ResizeMode.allCases {
      for (inH, outH) in [(5, 9), (9, 4), (4, 4), (3, 1)] {
        let (inW, outW, channels) = (3, 5, 2)
        let image = (0..<(inH * inW * channels)).map { _ in Int8(truncatingIfNeeded: rng.next()) }
        var whole = try makeMachine()
        whole.putUB(image, at: 0)
        try run(
          .vector(
            .resize(resize(height: inH, width: inW, channels: channels, out: (outH, outW), mode: mode, output: 512))),
          on: &whole)
        let want = whole.ub(512, outH * outW * channels)
        var got: [Int8] = []
        for r0 in stride(from: 0, to: outH, by: 2) {
          let rows = r0..<min(r0 + 2, outH)
          let taps = try #require(Resize.inputRows(rows, inputHeight: inH, outputHeight: outH, mode: mode))
          var m = try makeMachine()
          m.putUB(Array(image[(taps.lowerBound * inW * channels)..<((taps.upperBound + 1) * inW * channels)]), at: 0)
          try run(
            .vector(
              .resize(
                resize(
                  height: taps.count, width: inW, channels: channels, firstInputRow: taps.lowerBound, inputHeight: inH,
                  out: (outH, outW), rows: rows, mode: mode, output: 512))), on: &m)
          got += m.ub(512, rows.count * outW * channels)
        }
        #expect(got == want, "\(mode) \(inH) → \(outH)")
      }
    }
  }

  @Test("assembly text, encoding, opcode 20, static checks and footprint")
  func textAndChecks() throws {
    let z = resize(
      height: 3, width: 5, channels: 8, firstInputRow: 2, inputHeight: 7, out: (9, 11), rows: 4..<6,
      mode: .halfPixelCenters, output: 0x100)
    let i = Instruction(.vector(.resize(z)))
    let text = "vresize ub=0x0 h=3 w=5 ps=8 c=0+8 in=2/7 out=9x11 rows=4+2 mode=half_pixel dst=0x100 dst_ps=8 dst_rs=88"
    #expect(i.assembly() == text)
    #expect(try Instruction(parsingAssembly: text) == i)
    #expect(try Instruction(decoding: i.encoded(), at: 0) == i)
    #expect(try i.encoded()[0] == 20)  // issue 14's resize opcodes are 20–23
    for mode in ResizeMode.allCases {
      var other = z
      other.mode = mode
      let encoded = Instruction(.vector(.resize(other)), dependencies: [.popPrev, .pushNext], layer: LayerIndex(3))
      #expect(try Instruction(decoding: encoded.encoded(), at: 0) == encoded)
    }
    #expect(z.geometryProblems() == [])
    // Output rows 0...1 read image rows 0...1 (half-pixel), outside a tile of rows 2..<5.
    var early = z
    early.firstOutputRow = 0
    let problems = Instruction(.vector(.resize(early))).operation.staticProblems(
      CheckContext(limits: smallLimits, datapath: .int8, hostTaskCount: 0, arenaBytes: 0))
    #expect(problems == ["the taps read image rows 0...1; the tile holds 2..<5"])
    var huge = z
    huge.inputHeight = Int.max
    #expect(huge.geometryProblems() == ["vresize sizes and rows must be ≤ 65535 (its 16-bit fields)"])
    let accesses = i.uncheckedMemoryAccesses(limits: smallLimits, datapath: .int8, hostTasks: [])
    #expect(accesses.map(\.space) == [.unifiedBuffer, .unifiedBuffer])
    #expect(accesses.map(\.kind) == [.read, .write])
  }
}
