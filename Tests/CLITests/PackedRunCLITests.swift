import Foundation
import GraphIR
import Support
import SystoleTestSupport
import TFLiteImport
import Testing

/// `systole run FLOAT --quantize int4|ternary` end to end: the committed float MLP quantized
/// in the test, compiled with packed weight tiles, simulated functionally and compared byte for
/// byte with the golden model by the CLI itself; the JSON counts the packed weight bytes.
@Suite struct PackedRunCLITests {
  struct Figures {
    var weightBytes: Int64
    var unpacked: Int64
    var weightPathPJ: Double
    var totalPJ: Double
  }

  func run(_ scheme: String, _ arch: String) throws -> Figures {
    let dir = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let json = dir.appendingPathComponent("run.json").path
    let r = try runSystole([
      "run", "Programs/models/mlp_float.tflite", "--quantize", scheme, "--arch", arch, "--functional", "--seed", "3",
      "--baseline", "none", "--json", json,
      // A cold inference: edge-tpu keeps cached parameters resident across inferences, which
      // would hide the weight traffic this test compares.
      "--set", "memory.parameters_resident=false",
    ])
    #expect(r.status == 0, "\(scheme) on \(arch): \(r.stderr)")
    #expect(r.stdout.contains("simulator outputs equal the golden model's"), "\(scheme) on \(arch)")
    let v = try JSONValue.parse(String(decoding: try Data(contentsOf: URL(fileURLWithPath: json)), as: UTF8.self))
    func int(_ value: JSONValue?) -> Int64 {
      if case .int(let n)? = value { return n }
      return -1
    }
    func double(_ value: JSONValue?) -> Double {
      switch value {
      case .double(let x)?: return x
      case .int(let n)?: return Double(n)
      default: return -1
      }
    }
    let counters = v["total"]?["counters"]
    let energy = v["total"]?["energy"]
    return Figures(
      weightBytes: int(counters?["dram_weight_bytes"]), unpacked: int(counters?["unpacked_weights"]),
      weightPathPJ: double(energy?["dram_pj"]) + double(energy?["weights_pj"]) + double(energy?["unpack_pj"]),
      totalPJ: double(energy?["total_pj"]))
  }

  @Test(arguments: ["edge-tpu", "gemmini"])
  func subByteSchemesRunBitExactWithFewerWeightBytes(_ arch: String) throws {
    let float = try TFLiteImporter.load(contentsOf: Fixtures.model("mlp_float.tflite"))
    // The FULLY_CONNECTED weights, from the graph.
    let elements = float.main.operators.reduce(0) { sum, op in
      guard case .fullyConnected = op.kind, let w = op.input(1) else { return sum }
      return sum + float.main[w].elementCount
    }
    #expect(elements > 0)
    let int8 = try run("int8-per-channel", arch)
    let int4 = try run("int4", arch)
    let ternary = try run("ternary", arch)
    #expect(int8.unpacked == 0)
    // One spatial tile per layer: every weight passes the unpacker exactly once.
    #expect(int4.unpacked == Int64(elements) && ternary.unpacked == Int64(elements))
    // The weights are loaded once (cached), every n-tile is even: int4 saves exactly half.
    #expect(int8.weightBytes - int4.weightBytes == Int64(elements / 2), "\(arch)")
    #expect(ternary.weightBytes < int4.weightBytes)
    #expect(int8.weightBytes - ternary.weightBytes >= Int64(elements / 2))
    #expect(int4.weightPathPJ < int8.weightPathPJ && ternary.weightPathPJ < int4.weightPathPJ)
    #expect(int4.totalPJ < int8.totalPJ)
  }
}
