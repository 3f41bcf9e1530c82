import Architecture
import Testing
import TileISA

@testable import CycleSim

/// The `vector_mean` rule, `max(⌈(E + C) / vector_ops⌉, ⌈E·eb / port(ub)⌉)` with E = pixels ×
/// channels, as the engine applies it: the op-bound and the port-bound case, each exact.
@Suite struct MeanTimingTests {
  func vmean(pixels: Int, channels: Int) -> Operation {
    .vector(
      .mean(
        UnaryOperands(
          source: VectorView(address: 0, outerStrideBytes: channels),
          output: VectorView(address: SRAMAddress(pixels * channels), outerStrideBytes: channels), outer: pixels,
          inner: channels),
        RequantizeParameters(inputZeroPoint: 0, outputZeroPoint: 0, multiplier: 1 << 30, shift: -1)))
  }

  func cycles(_ arch: ArchSpec, pixels: Int, channels: Int) throws -> Int64 {
    var b = ProgramBuilder(arch: arch, dramSize: 0x1000)
    b.add(vmean(pixels: pixels, channels: channels))
    b.add(.finish)
    let (_, r) = try simulate(b.program, arch: arch)
    let s = span(r, 0)
    return s.end - s.start
  }

  @Test("vmean takes max(⌈(E + C) / vector_ops⌉, ⌈E·eb / port(ub)⌉) cycles")
  func formula() throws {
    for arch in [ArchSpec.toy4x4, .edgeTPU, .gemmini] {
      let ops = arch.vectorOpsPerCycle
      let port = arch.ub.portBytesPerCycle
      for (pixels, channels) in [(4, 8), (49, 16), (16, 3), (1, 1)] {
        let e = pixels * channels
        let want = max((e + channels + ops - 1) / ops, (e + port - 1) / port, 1)
        #expect(
          try cycles(arch, pixels: pixels, channels: channels) == Int64(want),
          "\(arch.name) \(pixels) × \(channels): ops \(ops), port \(port)")
      }
    }
  }
}
