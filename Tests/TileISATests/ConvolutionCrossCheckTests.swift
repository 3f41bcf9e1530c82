import Support
import Testing

@testable import TileISA

/// A quantized convolution case and the tile program that computes it in one matmul + activate.
struct ConvCase {
  var height: Int, width: Int, inChannels: Int, outChannels: Int
  var kernelHeight: Int, kernelWidth: Int
  var stride: (h: Int, w: Int), dilation: (h: Int, w: Int), pad: (top: Int, left: Int)
  /// 1 for a normal convolution; inChannels = outChannels = groups for depthwise.
  var groups: Int
  var inputZeroPoint: Int8, outputZeroPoint: Int8
  var clamp: ClosedRange<Int8>
  var input: [Int8]  // NHWC, batch 1
  var weights: [Int8]  // [outChannels][kh][kw][inChannels / groups]
  var bias: [Int32]
  var multipliers: [(multiplier: Int32, shift: Int)]
  /// Entries of the K × N tile outside the groups' diagonal blocks (ignored by the array).
  var offBlockFill: [Int8]

  var outHeight: Int { (height + 2 * pad.top - dilation.h * (kernelHeight - 1) - 1) / stride.h + 1 }
  var outWidth: Int { (width + 2 * pad.left - dilation.w * (kernelWidth - 1) - 1) / stride.w + 1 }
  var groupIn: Int { inChannels / groups }
  var groupOut: Int { outChannels / groups }
  var k: Int { kernelHeight * kernelWidth * inChannels }

  static let limits = MemoryLimits(
    unifiedBuffer: ByteCount(4096), weightBuffer: ByteCount(8192), accumulatorRows: 256, arrayRows: 64, arrayColumns: 16)

  static func random(_ rng: inout SeededGenerator, depthwise: Bool) -> ConvCase {
    while true {
      let groups = depthwise ? Int.random(in: 1...4, using: &rng) : [1, 1, 2].randomElement(using: &rng)!
      let inChannels = depthwise ? groups : groups * Int.random(in: 1...3, using: &rng)
      let outChannels = depthwise ? groups : groups * Int.random(in: 1...(16 / groups), using: &rng)
      var c = ConvCase(
        height: .random(in: 1...7, using: &rng), width: .random(in: 1...7, using: &rng), inChannels: inChannels,
        outChannels: outChannels, kernelHeight: .random(in: 1...3, using: &rng), kernelWidth: .random(in: 1...3, using: &rng),
        stride: (.random(in: 1...2, using: &rng), .random(in: 1...2, using: &rng)),
        dilation: (.random(in: 1...2, using: &rng), .random(in: 1...2, using: &rng)),
        pad: (.random(in: 0...2, using: &rng), .random(in: 0...2, using: &rng)), groups: groups,
        inputZeroPoint: .random(in: -128...127, using: &rng), outputZeroPoint: .random(in: -128...127, using: &rng),
        clamp: [Int8(-128)...127, 0...127, -100...50].randomElement(using: &rng)!, input: [], weights: [], bias: [],
        multipliers: [], offBlockFill: [])
      guard c.k <= limits.arrayRows, c.outHeight >= 1, c.outWidth >= 1, c.outHeight * c.outWidth <= limits.accumulatorRows
      else { continue }
      c.input = (0..<c.height * c.width * inChannels).map { _ in .random(in: -128...127, using: &rng) }
      c.weights = (0..<outChannels * c.kernelHeight * c.kernelWidth * c.groupIn).map { _ in .random(in: -127...127, using: &rng) }
      c.bias = (0..<outChannels).map { _ in .random(in: -20_000...20_000, using: &rng) }
      c.multipliers = (0..<outChannels).map { _ in
        let q = FixedPoint.quantizeMultiplier(Double.random(in: 0.0002...0.02, using: &rng))
        return (q.multiplier, q.shift)
      }
      c.offBlockFill = (0..<c.k * outChannels).map { _ in .random(in: -127...127, using: &rng) }
      return c
    }
  }

  /// TFLite's reference per-channel int8 convolution, written out directly.
  func reference() -> [Int8] {
    var out: [Int8] = []
    for oh in 0..<outHeight {
      for ow in 0..<outWidth {
        for co in 0..<outChannels {
          let g = co / groupOut
          var acc: Int32 = 0
          for kh in 0..<kernelHeight {
            for kw in 0..<kernelWidth {
              let ih = oh * stride.h - pad.top + kh * dilation.h
              let iw = ow * stride.w - pad.left + kw * dilation.w
              guard ih >= 0, ih < height, iw >= 0, iw < width else { continue }
              for ci in 0..<groupIn {
                let x = Int32(input[(ih * width + iw) * inChannels + g * groupIn + ci]) - Int32(inputZeroPoint)
                let w = Int32(weights[((co * kernelHeight + kh) * kernelWidth + kw) * groupIn + ci])
                acc += x * w
              }
            }
          }
          acc += bias[co]
          let scaled = FixedPoint.multiplyByQuantizedMultiplier(acc, multipliers[co].multiplier, multipliers[co].shift)
          let y = min(max(Int(scaled) + Int(outputZeroPoint), Int(clamp.lowerBound)), Int(clamp.upperBound))
          out.append(Int8(y))
        }
      }
    }
    return out
  }

  /// The K × N weight tile: k = (kh·kernelWidth + kw)·C + c; entries outside the group blocks are
  /// filled with noise the array must ignore.
  func tile() -> [Int8] {
    var t = offBlockFill
    for kh in 0..<kernelHeight {
      for kw in 0..<kernelWidth {
        for c in 0..<inChannels {
          let k = (kh * kernelWidth + kw) * inChannels + c
          let g = c / groupIn
          for n in g * groupOut..<(g + 1) * groupOut {
            t[k * outChannels + n] = weights[((n * kernelHeight + kh) * kernelWidth + kw) * groupIn + (c - g * groupIn)]
          }
        }
      }
    }
    return t
  }

  /// DRAM layout: input at 0, tile at 0x400, parameters at 0x800, output at 0x1000.
  func program() -> TileProgram {
    var image = DRAMImage()
    image.write(tile().map { UInt8(bitPattern: $0) }, at: 0x400)
    let table = ActivationParameters.table(
      (0..<outChannels).map { .fixedPoint(bias: bias[$0], multiplier: multipliers[$0].multiplier, shift: Int32(multipliers[$0].shift)) })
    image.write(table, at: 0x800)
    let inputBytes = height * width * inChannels
    let outputBytes = outHeight * outWidth * outChannels
    let instructions: [Instruction] = [
      Instruction(.load(DMA2D(memory: .unifiedBuffer, sramAddress: 0, dramAddress: 0, rows: 1, rowBytes: inputBytes)), layer: 0),
      Instruction(.load(DMA2D(memory: .weightBuffer, sramAddress: 0, dramAddress: 0x400, rows: k, rowBytes: outChannels)), layer: 0),
      Instruction(
        .load(DMA2D(memory: .weightBuffer, sramAddress: 0x1000, dramAddress: 0x800, rows: 1, rowBytes: table.count)),
        dependencies: .pushNext, layer: 0),
      Instruction(.loadWeights(LoadWeights(slot: .second, wbAddress: 0, rows: k, columns: outChannels)), dependencies: .popPrev, layer: 0),
      Instruction(
        .matmul(
          Matmul(
            input: FeatureMap(address: 0, height: height, width: width, pixelStrideBytes: inChannels, channelCount: inChannels),
            window: Window(
              outHeight: outHeight, outWidth: outWidth, kernelHeight: kernelHeight, kernelWidth: kernelWidth,
              strideHeight: stride.h, strideWidth: stride.w, dilationHeight: dilation.h, dilationWidth: dilation.w,
              padTop: pad.top, padLeft: pad.left),
            inputZeroPoint: inputZeroPoint, weightSlot: .second, columns: outChannels, groups: groups, accRow: 3)), layer: 0),
      Instruction(
        .activate(
          Activate(
            accRow: 3, height: outHeight, width: outWidth, columns: outChannels, paramAddress: 0x1000, mode: .fixedPoint,
            outputZeroPoint: outputZeroPoint, clamp: clamp,
            destination: PixelDestination(address: 0x800, pixelStrideBytes: outChannels, rowStrideBytes: outWidth * outChannels))),
        dependencies: .pushNext, layer: 0),
      Instruction(
        .store(DMA2D(memory: .unifiedBuffer, sramAddress: 0x800, dramAddress: 0x1000, rows: 1, rowBytes: outputBytes)),
        dependencies: .popPrev, layer: 0),
      Instruction(.finish),
    ]
    return TileProgram(
      limits: Self.limits, dramSize: 0x2000, dramImage: image,
      layers: [LayerInfo(name: "conv", opName: groups == inChannels && groups > 1 ? "DEPTHWISE_CONV_2D" : "CONV_2D")],
      inputs: [IOBinding(name: "x", elementType: .int8, shape: [1, height, width, inChannels], address: 0)],
      outputs: [IOBinding(name: "y", elementType: .int8, shape: [1, outHeight, outWidth, outChannels], address: 0x1000)],
      instructions: instructions)
  }
}

@Suite("matmul + activate against a reference convolution")
struct ConvolutionCrossCheckTests {
  @Test("random convolutions: matmul + activate equal the reference, and the program verifies clean", arguments: [false, true])
  func randomConvolutions(depthwise: Bool) throws {
    var rng = SeededGenerator(seed: depthwise ? 11 : 5)
    let cases = ProcessInfoFlag.slow ? 400 : 60
    for _ in 0..<cases {
      let c = ConvCase.random(&rng, depthwise: depthwise)
      let program = c.program()
      #expect(ProgramVerifier.verify(program) == [])
      let outputs = try program.run(inputs: [c.input.map { UInt8(bitPattern: $0) }])
      let got = outputs[0].map { Int8(bitPattern: $0) }
      let want = c.reference()
      #expect(got == want, "case \(c.height)×\(c.width)×\(c.inChannels) → \(c.outChannels), k \(c.kernelHeight)×\(c.kernelWidth), groups \(c.groups)")
    }
  }

  @Test("FULLY_CONNECTED in float-scale mode: round_half_away_from_zero(Double(acc) · scale)")
  func fullyConnectedFloatScale() throws {
    var rng = SeededGenerator(seed: 3)
    for _ in 0..<40 {
      let batch = Int.random(in: 1...5, using: &rng)
      let depth = Int.random(in: 1...16, using: &rng)
      let units = Int.random(in: 1...8, using: &rng)
      let zp = Int8.random(in: -128...127, using: &rng)
      let outZp = Int8.random(in: -128...127, using: &rng)
      let x = (0..<batch * depth).map { _ in Int8.random(in: -128...127, using: &rng) }
      let w = (0..<units * depth).map { _ in Int8.random(in: -127...127, using: &rng) }  // [units][depth]
      let bias = (0..<units).map { _ in Int32.random(in: -5000...5000, using: &rng) }
      let scale = (0..<units).map { _ in Double.random(in: 0.001...0.05, using: &rng) }
      var m = try MachineState(limits: ConvCase.limits, dramSize: 0)
      m.putUB(x, at: 0)
      try m.loadTile((0..<depth).map { d in (0..<units).map { u in w[u * depth + d] } })
      let table = ActivationParameters.table((0..<units).map { .floatScale(bias: bias[$0], scale: scale[$0]) })
      for (i, b) in table.enumerated() { m.weightBuffer[0x1000 + i] = b }
      let (input, window) = gemmInput(address: 0, pixels: batch, channels: depth)
      try run(.matmul(Matmul(input: input, window: window, inputZeroPoint: zp, weightSlot: .first, columns: units, accRow: 0)), on: &m)
      try run(
        .activate(
          Activate(
            accRow: 0, height: 1, width: batch, columns: units, paramAddress: 0x1000, mode: .floatScale, outputZeroPoint: outZp,
            destination: PixelDestination(address: 0x400, pixelStrideBytes: units, rowStrideBytes: 0))), on: &m)
      var want: [Int8] = []
      for b in 0..<batch {
        for u in 0..<units {
          var acc = bias[u]
          for d in 0..<depth { acc += (Int32(x[b * depth + d]) - Int32(zp)) * Int32(w[u * depth + d]) }
          let y = Int((Double(acc) * scale[u]).rounded(.toNearestOrAwayFromZero)) + Int(outZp)
          want.append(Int8(min(max(y, -128), 127)))
        }
      }
      #expect(m.ub(0x400, batch * units) == want)
    }
  }
}

/// `SYSTOLE_SLOW_TESTS=1` enables the long variants.
enum ProcessInfoFlag {
  static var slow: Bool { getenv("SYSTOLE_SLOW_TESTS").map { String(cString: $0) == "1" } ?? false }
}

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif
