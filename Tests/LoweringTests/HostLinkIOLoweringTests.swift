import Architecture
import GraphIR
import Lowering
import ModelZoo
import Testing
import TileISA

/// Network inputs and outputs across the host link (`memory.io_over_host_link`, docs/isa.md
/// §3.1): on `tpu-v1` the loads of network inputs and the stores of network outputs are
/// `host_link` transfers, every other transfer is not, results stay bit-exact with the golden
/// model, and the report counts the bytes as host-link traffic instead of DRAM traffic.
@Suite struct HostLinkIOLoweringTests {
  /// Bytes of unified-buffer loads and stores with and without `host_link`.
  func transfers(_ p: TileProgram) -> (hostLoads: Int, hostStores: Int, other: Int) {
    var (loads, stores, other) = (0, 0, 0)
    for instruction in p.instructions {
      switch instruction.operation {
      case .load(let d) where d.hostLink: loads += d.totalBytes
      case .store(let d) where d.hostLink: stores += d.totalBytes
      case .load(let d), .store(let d): other += d.hostLink ? 0 : d.totalBytes
      default: break
      }
    }
    return (loads, stores, other)
  }

  /// MobileNet v2 at 32 × 32, one seeded input set and the golden model's outputs, built once
  /// for both cases.
  static let mobileNet = Result { () throws -> (model: Model, inputs: [[TensorData]], expected: [[TensorData]]) in
    let model = try ModelZoo.model(named: "mobilenet_v2", inputSize: 32)
    let inputs = randomInputs(model, seed: 5, count: 1)
    return (model, inputs, try goldenOutputs(model, inputs))
  }

  @Test(arguments: [true, false])
  func tpuV1InputsAndOutputsCrossTheHostLink(_ hostLink: Bool) throws {
    let (model, inputs, expected) = try Self.mobileNet.get()
    var arch = ArchSpec.tpuV1
    arch.memory.ioOverHostLink = hostLink
    let (problems, compiled) = try compileAndCompare(
      model, on: arch, inputs: inputs, expected: expected, label: "host link \(hostLink)")
    #expect(problems.isEmpty, "\(problems.prefix(3))")
    let t = transfers(compiled.program)
    let graph = model.main
    let inputBytes = graph.inputs.reduce(0) { $0 + graph[$1].elementCount }
    let outputBytes = graph.outputs.reduce(0) { $0 + graph[$1].elementCount }
    let totals = compiled.report.totals
    if hostLink {
      // Every input byte is loaded at least once across the link (tiles may read a halo twice);
      // every output byte is stored exactly once.
      #expect(t.hostLoads >= inputBytes)
      #expect(t.hostStores == outputBytes)
      #expect(totals.hostLinkBytesRead == t.hostLoads)
      #expect(totals.hostLinkBytesWritten == t.hostStores)
      #expect(compiled.report.rendered().contains("host link: inputs"))
    } else {
      #expect(t.hostLoads == 0 && t.hostStores == 0)
      #expect(totals.hostLinkBytesRead == 0 && totals.hostLinkBytesWritten == 0)
      #expect(!compiled.report.rendered().contains("host link:"))
    }
  }
}
