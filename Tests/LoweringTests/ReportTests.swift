import Architecture
import Foundation
import GraphIR
import Lowering
import Pipeline
import SystoleTestSupport
import TFLiteImport
import Testing
import TileISA

/// The mapping report, the host-task table, the dumps, weight residence, double buffering and
/// the float32 baseline.
@Suite struct ReportTests {
  /// conv → reshape → fully connected → softmax (vector unit), plus a MEAN off the conv (vector
  /// unit), a LOGISTIC of the mean (vector unit, `vlut`) and a DEQUANTIZE of that to float32
  /// (host).
  static func mixedModel() -> Model {
    var g = GraphBuilder(seed: 21)
    let x = g.activation("x", [1, 6, 6, 3], scale: 0.04, zeroPoint: 1)
    let f = g.weights("f", [8, 3, 3, 3], scales: g.scales(8, base: 0.01))
    let b = g.bias("b", 8)
    let y = g.activation("conv", [1, 3, 3, 8], scale: 0.02, zeroPoint: -5)
    g.op(.conv2D(Conv2DOptions(padding: .same, strideH: 2, strideW: 2, activation: .relu)), [x, f, b], [y])
    let shape = g.int32("shape", [2], [1, 72])
    let r = g.activation("flat", [1, 72], scale: 0.02, zeroPoint: -5)
    g.op(.reshape(newShape: [1, 72]), [y, shape], [r])
    let w = g.weights("w", [10, 72], scales: g.scales(10, base: 0.01))
    let z = g.activation("logits", [1, 10], scale: 0.4, zeroPoint: 0)
    g.op(.fullyConnected(FullyConnectedOptions()), [r, w, nil], [z])
    let s = g.activation("probs", [1, 10], scale: 1.0 / 256, zeroPoint: -128)
    g.op(.softmax(beta: 1), [z], [s])
    let axes = g.int32("axes", [2], [1, 2])
    let m = g.activation("mean", [1, 8], scale: 0.02, zeroPoint: -5)
    g.op(.mean(keepDims: false), [y, axes], [m])
    let l = g.activation("gate", [1, 8], scale: 1.0 / 256, zeroPoint: -128)
    g.op(.logistic, [m], [l])
    g.tensors.append(Tensor(name: "gate_f", shape: [1, 8], elementType: .float32))
    let lf = TensorID(g.tensors.count - 1)
    g.op(.dequantize, [l], [lf])
    return g.model("mixed", inputs: [x], outputs: [s, m, l, lf])
  }

  @Test func placementsAndReasons() throws {
    let model = Self.mixedModel()
    let (problems, compiled) = try compileAndCompare(model, on: .gemmini, inputs: randomInputs(model, seed: 4))
    #expect(problems.isEmpty, "\(problems)")
    let ops = compiled.report.operators
    #expect(
      ops.map(\.placement) == [.systolicArray, .alias, .systolicArray, .vectorUnit, .vectorUnit, .vectorUnit, .host])
    #expect(ops[0].reason == "CONV_2D: 3×3 kernel, 3 → 8 channels through the im2col address generator")
    #expect(ops[1].reason == "RESHAPE: same bytes, new shape; no work")
    #expect(ops[2].reason == "FULLY_CONNECTED: 1 × 72 by 72 × 10 GEMM (1 × 1 image, 1 × 1 kernel)")
    #expect(ops[3].reason == "SOFTMAX: vsoftmax on the vector unit (1 row of 10)")
    #expect(ops[4].reason == "MEAN: vmean on the vector unit (3×3 pixels × 8 channels)")
    #expect(
      ops[5].reason
        == "LOGISTIC: vlut on the vector unit (256-entry table from the golden model's int8 kernel, scales 0.02 → 0.00390625)")
    #expect(ops[6].reason == "DEQUANTIZE: float32 tensors; the int8 datapath has no float arithmetic; runs on the host")
    #expect(ops[5].weightBytes == 256)
    #expect(ops[1].instructionCount == 0)
    #expect(ops[0].dataflow != nil && ops[3].dataflow == nil && ops[4].dataflow == nil && ops[5].dataflow == nil)
    #expect(ops[0].macs == model.main.macs(ofOperator: 0))
    // Totals add up.
    let t = compiled.report.totals
    #expect(t.operatorsOnArray == 2 && t.operatorsOnHost == 1 && t.aliases == 1 && t.operatorsOnVectorUnit == 3)
    #expect(t.instructions == compiled.program.instructions.count)
    #expect(ops.reduce(0) { $0 + $1.instructionCount } == t.instructions - 1)  // + finish
    #expect(t.arrayMACs == ops[0].macs + ops[2].macs)
    #expect(t.estimatedCycles == ops.reduce(0) { $0 + $1.estimatedCycles })
    // The text and JSON renderings carry the same facts.
    let text = compiled.report.rendered()
    #expect(
      text.contains("mapping on gemmini (int8): 2 ops on the array, 3 on the vector unit, 1 on the host, 1 alias"))
    #expect(text.contains("host: #6 DEQUANTIZE: float32 tensors; the int8 datapath has no float arithmetic; runs on the host"))
    #expect(compiled.report.json["totals"]?["instructions"] == .int(t.instructions))
  }

  @Test func hostTaskDescriptorsNameTheOperatorAndItsTensors() throws {
    let model = Self.mixedModel()
    let compiled = try LoweringPipeline(arch: .tpuV1).compile(model)
    #expect(compiled.hostTasks.count == compiled.program.hostTasks.count)
    // SOFTMAX, MEAN and LOGISTIC run on the vector unit; DEQUANTIZE is the host task.
    #expect(!compiled.hostTasks.contains { ["SOFTMAX", "MEAN", "LOGISTIC"].contains($0.opName) })
    let dequantize = try #require(compiled.hostTasks.first { $0.opName == "DEQUANTIZE" })
    #expect(dequantize.operatorIndex == 6)
    #expect(dequantize.inputs.count == 1 && dequantize.outputs.count == 1)
    #expect(dequantize.inputs[0]?.name == "gate" && dequantize.outputs[0].name == "gate_f")
    #expect(dequantize.outputs[0].shape == [1, 8] && dequantize.outputs[0].elementType == .float32)
    let task = compiled.program.hostTasks[dequantize.task.value]
    #expect(task.name == "op #6 DEQUANTIZE 'gate_f'")
    #expect(task.reads == dequantize.inputs.compactMap { $0?.range })
    #expect(task.writes == dequantize.outputs.map(\.range))
    // The model's outputs are bound where the report says.
    #expect(compiled.program.outputs.map(\.address) == compiled.outputs.map(\.address))
    #expect(compiled.program.inputs.map(\.name) == ["x"])
  }

  @Test func floatAndInt16OperatorsRunOnTheHost() throws {
    for (stem, reason) in [
      ("mlp_float", "FULLY_CONNECTED: float32 tensors; the int8 datapath has no float arithmetic; runs on the host"),
      (
        "int16x8_net_int16x8",
        "CONV_2D: int16 activations (16×8 quantization); the array multiplies int8 × int8 only; runs on the host"
      ),
    ] {
      let model = try loadResolvedModel(Fixtures.model("\(stem).tflite"))
      let report = try LoweringPipeline(arch: .edgeTPU).compile(model).report
      let first = try #require(report.operators.first { $0.opName == reason.split(separator: ":")[0] })
      #expect(first.placement == .host)
      #expect(first.reason == reason)
    }
  }

  @Test func weightsCachedWhenTheyFitStreamedWhenNot() throws {
    let model = TestModels.conv(h: 8, w: 8, c: 8, n: 8)
    // Parameters: 8 activation-table entries of 12 B plus 3·3·8·8 weights.
    let blob = 8 * 12 + 3 * 3 * 8 * 8
    let roomy = tinyArch("roomy", rows: 8, cols: 8, ub: 256, weights: 2048, accumulatorRows: 16)
    let cramped = tinyArch("cramped", rows: 8, cols: 8, ub: 256, weights: 400, accumulatorRows: 16)
    let cached = try compileAndCompare(model, on: roomy, inputs: randomInputs(model, seed: 8))
    let streamed = try compileAndCompare(model, on: cramped, inputs: randomInputs(model, seed: 8))
    #expect(cached.problems.isEmpty && streamed.problems.isEmpty, "\(cached.problems + streamed.problems)")
    let c = cached.compiled.report.operators[0]
    let s = streamed.compiled.report.operators[0]
    #expect(c.weightBytes == blob && c.weightBytesCached == blob && c.weightBytesStreamed == 0)
    #expect(s.weightBytes == blob && s.weightBytesCached == 0)
    // Streamed tiles are reloaded for every spatial tile.
    #expect(s.weightBytesStreamed > blob)
    #expect(streamed.compiled.report.totals.parameterBytesStreamed == s.weightBytesStreamed)
    #expect(cached.compiled.report.sramHighWater.weightBufferBytes <= 2048)
    #expect(streamed.compiled.report.sramHighWater.weightBufferBytes <= 400)
  }

  @Test func doubleBufferingAlternatesBuffersAndTokensOrderThem() throws {
    let model = TestModels.conv(h: 12, w: 6, c: 4, n: 4, kh: 3, kw: 3)
    let arch = tinyArch("small", rows: 8, cols: 8, ub: 512, weights: 1024, accumulatorRows: 12)
    func inputLoads(_ options: LoweringOptions) throws -> (addresses: [Int], program: TileProgram) {
      let program = try LoweringPipeline(arch: arch, options: options).compile(model).program
      var addresses: [Int] = []
      for instruction in program.instructions {
        if case .load(let d) = instruction.operation, d.memory == .unifiedBuffer {
          addresses.append(d.sramAddress.byteOffset)
        }
      }
      return (addresses, program)
    }
    let double = try inputLoads(LoweringOptions())
    let single = try inputLoads(LoweringOptions(doubleBuffering: false))
    #expect(double.addresses.count >= 3)
    #expect(Set(double.addresses).count == 2, "\(double.addresses)")
    #expect(zip(double.addresses, double.addresses.dropFirst()).allSatisfy { $0 != $1 })
    #expect(Set(single.addresses).count == 1)
    for program in [double.program, single.program] {
      #expect(ProgramVerifier.verify(program).isEmpty)
      let flags = program.instructions.map(\.dependencies)
      #expect(flags.contains { $0.contains(.pushNext) } && flags.contains { $0.contains(.popPrev) })
      #expect(flags.contains { $0.contains(.pushPrev) } && flags.contains { $0.contains(.popNext) })
    }
    // With one buffer each tile's load must wait for the previous tile's matmuls (a
    // compute → load token before every reload); with two it waits for the tile before that.
    func popsBeforeLoads(_ p: TileProgram) -> Int {
      p.instructions.filter {
        if case .load(let d) = $0.operation, d.memory == .unifiedBuffer { return $0.dependencies.contains(.popNext) }
        return false
      }.count
    }
    #expect(popsBeforeLoads(single.program) >= popsBeforeLoads(double.program))
  }

  @Test func depthwiseUtilizationAndPolicy() throws {
    let model = TestModels.depthwise(h: 8, w: 8, c: 16)
    let onArray = try LoweringPipeline(arch: .tpuV1, options: LoweringOptions(depthwise: .array)).compile(model).report
    let op = onArray.operators[0]
    #expect(op.placement == .systolicArray)
    // 16 channels × 9 taps useful per pixel on a 256 × 256 array: one block-diagonal matmul.
    #expect(op.arrayUtilization == Double(16 * 9) / Double(256 * 256))
    #expect(op.reason.contains("array utilization"))
    let onHost = try LoweringPipeline(arch: .tpuV1, options: LoweringOptions(depthwise: .host)).compile(model).report
    #expect(onHost.operators[0].placement == .host)
    #expect(onHost.operators[0].reason == "DEPTHWISE_CONV_2D: the depthwise policy is 'host'; runs on the host")
    // The cost model's choice is one of the two, with its numbers in the reason.
    let chosen = try LoweringPipeline(arch: .tpuV1).compile(model).report.operators[0]
    #expect(chosen.reason.contains("cycles"))
  }

  @Test func dumpsAfterEachPass() throws {
    let model = Self.mixedModel()
    let pipeline = LoweringPipeline(arch: .toy4x4)
    let expectations: [PassName: String] = [
      .legalize: "#0 CONV_2D 'conv' → array:", .fuse: "epilogue fixed, 8 channels", .tiling: "df ",
      .allocate: "weight buffer:", .schedule: "matmul ", .emit: ".program datapath=int8",
    ]
    for pass in PassName.allCases {
      let text = try pipeline.dump(model, after: pass)
      #expect(text.hasPrefix("; after \(pass.rawValue): mixed on toy-4x4 (int8)"))
      #expect(text.contains(expectations[pass] ?? "?"), "\(pass): \(text.prefix(300))")
      let compiled = try LoweringPipeline(arch: .toy4x4, options: LoweringOptions(dumpAfter: pass)).compile(model)
      #expect(compiled.dump == text)
    }
    #expect(try LoweringPipeline(arch: .toy4x4).compile(model).dump == nil)
  }

  @Test func streamedWeightTilesShrinkToTheWeightBuffer() throws {
    // 600 × 600 float32 weights (1.4 MB) cannot be cached in TPU v1's 256 KiB weight buffer, and
    // a full 256 × 256 float32 tile is the whole buffer: K shrinks until two tiles and two
    // 256-entry tables fit.
    let model = TestModels.fullyConnected(m: 4, k: 600, n: 600)
    let arch = ArchSpec.tpuV1.baseline
    let compiled = try LoweringPipeline(arch: arch).compile(model)
    #expect(ProgramVerifier.verify(compiled.program).isEmpty)
    let op = compiled.report.operators[0]
    let capacity = Int(arch.weights.capacity.count)
    let expectedK = (capacity / 2 - 12 * 256) / (256 * 4)
    #expect(op.tile?.reduction == expectedK)
    #expect(op.tile?.columns == 256)
    #expect(op.weightBytesCached == 0 && op.weightBytesStreamed > 0)
    #expect(compiled.report.sramHighWater.weightBufferBytes <= capacity)
  }

  @Test func float32BaselineUsesFourByteElements() throws {
    let model = try loadResolvedModel(Fixtures.model("resnet_small_int8.tflite"))
    let small = tinyArch("small", rows: 16, cols: 16, ub: 16 * 1024, weights: 16 * 1024, accumulatorRows: 256)
    for arch in [ArchSpec.tpuV1, small] {
      let int8 = try LoweringPipeline(arch: arch).compile(model)
      // Verified once, below (the pipeline's own verifier pass off).
      let fp32 = try LoweringPipeline(arch: arch.baseline, options: LoweringOptions(verifyProgram: false)).compile(model)
      #expect(fp32.program.datapath == .float32)
      #expect(ProgramVerifier.verify(fp32.program).isEmpty)
      #expect(fp32.program.inputs[0].elementType == .float32)
      #expect(fp32.inputs[0].byteCount == 4 * int8.inputs[0].byteCount)
      #expect(fp32.report.datapath == .float32)
      for (a, b) in zip(int8.report.operators, fp32.report.operators) {
        #expect(a.placement == b.placement)
        guard a.opName == "CONV_2D" || a.opName == "FULLY_CONNECTED" else { continue }
        // Weights take 4 bytes; the 12-byte activation tables do not grow.
        let n = model.main[model.main.operators[a.index].inputs[1]!].shape[0]
        #expect(b.weightBytes - 12 * n == 4 * (a.weightBytes - 12 * n))
        #expect(b.tileCount >= a.tileCount)
      }
      // Compute on a float32 machine is for timing only.
      do {
        _ = try fp32.program.run(
          inputs: [[UInt8](repeating: 0, count: fp32.inputs[0].byteCount)],
          host: GoldenHostExecutor(model: model, compiled: fp32))
        Issue.record("float32 program executed")
      } catch {
        #expect(error.kind == .unsupported)
      }
    }
  }
}
