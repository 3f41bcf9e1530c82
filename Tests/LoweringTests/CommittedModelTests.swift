import Architecture
import Foundation
import GoldenModel
import GraphIR
import Lowering
import Pipeline
import SystoleTestSupport
import TFLiteImport
import Testing
import TileISA

/// The real acceptance test: every committed model (int8, int16×8 and float: the compiler sends
/// what the datapath cannot run to the host), on every preset and on odd shapes, compiled,
/// verified, executed functionally (host tasks by the golden kernels) and compared byte for byte
/// with the golden model and with TFLite's committed reference outputs.
///
/// The default run covers every model on every preset and the small models also on the odd
/// shapes (float models, which run wholly on the host, on two architectures);
/// `SYSTOLE_SLOW_TESTS=1` adds the networks on the odd shapes (tens of thousands of instructions
/// each) and the float models everywhere.
@Suite struct CommittedModelTests {
  static let sets: [ReferenceSet] = (try? Fixtures.referenceSets()) ?? []
  static let bigPresets: [ArchSpec] = [.tpuV1, .edgeTPU, .gemmini, .vta]
  static let tinyArchs: [ArchSpec] = [.toy4x4] + oddArchs
  static let networks: Set<String> = ["mobilenet_v2", "resnet_small", "kws_dscnn"]

  static func isNetwork(_ set: ReferenceSet) -> Bool {
    networks.contains { set.stem.hasPrefix($0) }
  }

  @Test func referenceSetsArePresent() throws {
    #expect(Self.sets.count >= 20, "expected the committed reference sets; found \(Self.sets.count)")
    let stems = Set(Self.sets.map(\.stem))
    for required in [
      "mobilenet_v2_int8", "resnet_small_int8", "kws_dscnn_int8", "mlp_int8", "convpool_int8", "attention_int8",
      "streaming_int8",
    ] {
      #expect(stems.contains(required), "missing reference set \(required)")
    }
  }

  @Test(arguments: sets)
  func matchesGoldenModelAndTFLite(_ set: ReferenceSet) throws {
    let model = try set.loadResolved()
    // Every preset always; the odd shapes on the networks only when slow tests are requested.
    var archs = Self.bigPresets + (slowTests || !Self.isNetwork(set) ? Self.tinyArchs : [.toy4x4])
    if set.stem.hasSuffix("_float") && !slowTests {
      // Entirely on the host on an int8 datapath: the architecture only moves the DRAM layout.
      archs = [.edgeTPU, .toy4x4]
    }
    // The golden model's outputs and the committed files do not depend on the architecture:
    // computed and read once per set.
    let invocations = try set.goldenInvocations(model)
    for arch in archs {
      try check(set, model, arch, invocations)
    }
  }

  func check(_ set: ReferenceSet, _ model: Model, _ arch: ArchSpec, _ invocations: [ReferenceInvocation]) throws {
    let compiled = try LoweringPipeline(arch: arch, options: LoweringOptions(verifyProgram: false)).compile(model)
    let problems = ProgramVerifier.verify(compiled.program)
    #expect(problems.isEmpty, "\(set.stem) on \(arch.name): \(problems.prefix(3))")
    let host = GoldenHostExecutor(model: model, compiled: compiled)
    for (n, invocation) in invocations.enumerated() {
      let (inputs, golden, reference) = (invocation.inputs, invocation.golden, invocation.reference)
      let raw = try compiled.program.run(inputs: inputs.map { $0.littleEndianBytes() }, host: host)
      #expect(raw.count == reference.count)
      for (o, bytes) in raw.enumerated() {
        let want = reference[o]
        guard let got = TensorData(littleEndianBytes: bytes, type: want.elementType, shape: want.shape) else {
          Issue.record("\(set.stem) on \(arch.name) output \(o): \(bytes.count) bytes")
          continue
        }
        let vsGolden = mismatchCount(got, golden[o], relativeTolerance: 0)
        let vsTFLite = mismatchCount(got, want)
        #expect(
          vsGolden == 0,
          "\(set.stem) on \(arch.name) invocation \(n) output \(o): \(vsGolden) elements differ from the golden model")
        #expect(
          vsTFLite == 0,
          "\(set.stem) on \(arch.name) invocation \(n) output \(o): \(vsTFLite) elements differ from TFLite")
      }
    }
  }

  /// The networks map their matrix work to the array and SOFTMAX, MEAN, SQUARED_DIFFERENCE and
  /// the int8 unary ops (`vlut`) to the vector unit: only what has no accelerator implementation
  /// (and resource-variable bookkeeping) runs on the host.
  @Test func networksKeepMatrixWorkOnTheArray() throws {
    for stem in [
      "mobilenet_v2_int8", "resnet_small_int8", "kws_dscnn_int8", "convpool_int8", "attention_int8", "mlp_int8",
    ] {
      let model = try loadResolvedModel(Fixtures.model("\(stem).tflite"))
      let report = try LoweringPipeline(arch: .tpuV1, options: LoweringOptions(depthwise: .array)).compile(model).report
      for op in report.operators {
        switch op.opName {
        case "CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "BATCH_MATMUL":
          #expect(op.placement == .systolicArray, "\(stem) #\(op.index) \(op.opName): \(op.reason)")
        case "ADD", "SUB", "MUL", "MAX_POOL_2D", "AVERAGE_POOL_2D", "CONCATENATION", "PAD", "SOFTMAX":
          #expect(op.placement == .vectorUnit, "\(stem) #\(op.index) \(op.opName): \(op.reason)")
        case "MEAN", "SQUARED_DIFFERENCE":
          // Global average pooling and attention's layer norms (means over the last axis, one
          // row per lane; the squared deviation through vbinary) go to the vector unit.
          #expect(op.placement == .vectorUnit, "\(stem) #\(op.index) \(op.opName): \(op.reason)")
        case "LOGISTIC", "HARD_SWISH", "TANH", "GELU", "EXP", "NEG", "RSQRT":
          // int8 in these networks (attention's layer-norm RSQRT, convpool's gates).
          #expect(op.placement == .vectorUnit, "\(stem) #\(op.index) \(op.opName): \(op.reason)")
        case "TRANSPOSE":
          // Attention's head transposes: strided DMA copies.
          #expect(op.placement == .vectorUnit, "\(stem) #\(op.index) \(op.opName): \(op.reason)")
        case "RESHAPE":
          #expect(op.placement == .alias)
        case "SHAPE", "STRIDED_SLICE", "PACK":
          // The converter's run-time flatten (dynamic batch): shape arithmetic, folded.
          #expect(op.placement == .folded, "\(stem) #\(op.index) \(op.opName): \(op.reason)")
        default:
          #expect(op.placement == .host, "\(stem) #\(op.index) \(op.opName): \(op.reason)")
        }
      }
    }
  }
}
