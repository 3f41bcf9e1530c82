import Architecture
import Testing
import TileISA

@testable import CycleSim

/// The `vector_resize` rule (issue 14: resize),
/// `max(⌈4E / vector_ops⌉, ⌈4E·eb / port(ub)⌉, ⌈E·eb / port(ub)⌉)`, as the engine applies it.
@Suite struct ResizeTimingTests {
  func vresize(rows: Int, width: Int, channels: Int) -> Operation {
    .vector(
      .resize(
        Resize(
          input: FeatureMap(address: 0, height: 2, width: 3, pixelStrideBytes: channels, channelCount: channels),
          firstInputRow: 0, inputHeight: 2, outputHeight: rows, outputWidth: width, firstOutputRow: 0, outputRows: rows,
          mode: .alignCorners,
          destination: PixelDestination(
            address: SRAMAddress(6 * channels), pixelStrideBytes: channels, rowStrideBytes: width * channels))))
  }

  func cycles(_ arch: ArchSpec, rows: Int, width: Int, channels: Int) throws -> Int64 {
    var b = ProgramBuilder(arch: arch, dramSize: 0x1000)
    b.add(vresize(rows: rows, width: width, channels: channels))
    b.add(.finish)
    let (_, r) = try simulate(b.program, arch: arch)
    let s = span(r, 0)
    return s.end - s.start
  }

  @Test("vresize takes max(⌈4E / vector_ops⌉, ⌈4E·eb / port(ub)⌉, ⌈E·eb / port(ub)⌉) cycles")
  func formula() throws {
    for arch in [ArchSpec.toy4x4, .edgeTPU, .gemmini] {
      let ops = arch.vectorOpsPerCycle
      let port = arch.ub.portBytesPerCycle
      for (rows, width, channels) in [(1, 1, 1), (2, 5, 3), (4, 8, 48)] {
        let e = rows * width * channels
        let want = max((4 * e + ops - 1) / ops, (4 * e + port - 1) / port, 1)
        #expect(
          try cycles(arch, rows: rows, width: width, channels: channels) == Int64(want),
          "\(arch.name) \(rows)×\(width)×\(channels): ops \(ops), port \(port)")
      }
    }
  }

  @Test("exact counts from the preset parameters")
  func exactCounts() throws {
    // toy-4x4: 4 vector ops per cycle, a 4-byte UB port: 4 × 8 × 3 = 96 outputs → 384 taps → 96.
    let toy = ArchSpec.toy4x4
    #expect(toy.vectorOpsPerCycle == 4 && toy.ub.portBytesPerCycle == 4)
    #expect(try cycles(toy, rows: 4, width: 8, channels: 3) == 96)
    #expect(try cycles(toy, rows: 1, width: 1, channels: 1) == 1)
  }
}
