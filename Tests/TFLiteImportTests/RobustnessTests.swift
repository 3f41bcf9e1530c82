import Foundation
import GraphIR
import Support
import SystoleTestSupport
import Testing

@testable import TFLiteImport

/// Truncated and corrupted files either import or throw a ``TFLiteImportError``; none crashes.
///
/// A crash would kill the test process, so completing is the main assertion. Each case also
/// checks the error's shape (names the file, one line unless it lists verifier problems) and
/// that every mutant that does import survives a write → read round trip unchanged.
/// `SYSTOLE_SLOW_TESTS=1` runs twenty times as many random mutants.
@Suite struct RobustnessTests {
  static let slow = ProcessInfo.processInfo.environment["SYSTOLE_SLOW_TESTS"] == "1"
  static let randomCases = slow ? 40_000 : 2_000

  struct Fixture: CustomTestStringConvertible, Sendable {
    var name: String
    var bytes: [UInt8]
    var verify: Bool
    var testDescription: String { name }
  }

  static let fixtures: [Fixture] = {
    var list: [Fixture] = []
    if let conv = try? TFLiteWriter.serialize(Fixtures.conv()) {
      list.append(Fixture(name: "conv (writer)", bytes: conv, verify: true))
    }
    if let all = try? TFLiteWriter.serialize(Fixtures.allKinds()) {
      list.append(Fixture(name: "all kinds (writer, unverified)", bytes: all, verify: false))
      list.append(Fixture(name: "all kinds (writer, verified)", bytes: all, verify: true))
    }
    if let packed = try? TFLiteWriter.serialize(Fixtures.packedConv()) {
      list.append(Fixture(name: "INT4 + packed-bits metadata (writer)", bytes: packed, verify: true))
    }
    if let grouped = try? TFLiteWriter.serialize(Fixtures.groupedConv()) {
      list.append(Fixture(name: "fine-grained ternary, metadata version 2 (writer)", bytes: grouped, verify: true))
    }
    if let smallest = TFLiteTestModels.smallest() {
      list.append(Fixture(name: TFLiteTestModels.relativePath(smallest.url), bytes: smallest.bytes, verify: true))
    }
    return list
  }()

  /// Outcome counts of one batch of mutants.
  struct Tally {
    var accepted = 0
    var rejected = 0
  }

  /// Parses one mutant and checks the outcome.
  static func check(_ bytes: [UInt8], _ fixture: Fixture, _ what: @autoclosure () -> String, _ tally: inout Tally) {
    let source = "mutant.tflite"
    do {
      let model = try TFLiteImporter.parse(bytes, source: source, verify: fixture.verify)
      tally.accepted += 1
      do {
        let again = try TFLiteImporter.parse(TFLiteWriter.serialize(model), source: source, verify: fixture.verify)
        let differences = ModelComparison.differences(model, again)
        if !differences.isEmpty { Issue.record("\(what()): round trip differs: \(differences.prefix(3))") }
      } catch {
        Issue.record("\(what()): accepted, but its rewrite fails: \(error)")
      }
    } catch {
      tally.rejected += 1
      let text = error.description
      if !text.hasPrefix(source) { Issue.record("\(what()): message does not name the file: \(text)") }
      if text.contains("\n") && !text.contains("problems found by the graph verifier") {
        Issue.record("\(what()): message is not one line: \(text)")
      }
    }
  }

  @Test(arguments: fixtures)
  func truncations(_ fixture: Fixture) {
    var tally = Tally()
    let n = fixture.bytes.count
    // Every length up to 2 KiB, then evenly spaced lengths.
    let step = max(1, n / 2048)
    for length in stride(from: 0, to: n, by: step) {
      Self.check(Array(fixture.bytes[0..<length]), fixture, "truncated to \(length) bytes", &tally)
    }
    #expect(tally.rejected > 0)
    #expect(tally.accepted + tally.rejected == (n + step - 1) / step)
  }

  @Test(arguments: fixtures)
  func randomCorruptions(_ fixture: Fixture) {
    var rng = SeededGenerator(seed: 0x5EED_0000 &+ UInt64(fixture.bytes.count))
    var tally = Tally()
    let interesting: [UInt32] = [0, 1, 0x7f, 0x80, 0xff, 0xffff, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff, 0xffff_fffe]
    for c in 0..<Self.randomCases {
      var bytes = fixture.bytes
      let edits = 1 + Int(rng.next() % 4)
      for _ in 0..<edits {
        let at = Int(rng.next() % UInt64(bytes.count))
        switch rng.next() % 3 {
        case 0:  // flip one bit
          bytes[at] ^= UInt8(1 << (rng.next() % 8))
        case 1:  // random byte
          bytes[at] = UInt8(truncatingIfNeeded: rng.next())
        default:  // an interesting 32-bit word at an aligned offset
          let word = interesting[Int(rng.next() % UInt64(interesting.count))]
          let base = at & ~3
          for k in 0..<4 where base + k < bytes.count { bytes[base + k] = UInt8(truncatingIfNeeded: word >> (8 * k)) }
        }
      }
      Self.check(bytes, fixture, "mutant \(c)", &tally)
    }
    #expect(tally.accepted + tally.rejected == Self.randomCases)
    #expect(tally.rejected > 0)
  }

  /// Names come from the file: control characters in them are escaped, so a message stays on
  /// one line (the slow random-corruption run found names with line breaks).
  @Test func controlCharactersInNamesAreEscaped() {
    let e = TFLiteImportError(.malformed, source: "x.tflite", at: .tensor(graph: 0, index: 1, name: "w\nx\r\u{1B}"), "bad")
    #expect(e.description == "x.tflite: tensor #1 'w\\nx\\r\\u{1B}': bad")
    let plain = TFLiteImportError(.malformed, source: "x.tflite", at: .tensor(graph: 0, index: 1, name: "w"), "bad")
    #expect(plain.description == "x.tflite: tensor #1 'w': bad")
  }

  /// A file whose tensors all share one vector and one quantization table cannot make the
  /// reader decode more than its element budget.
  @Test func sharedDataCannotBlowUp() throws {
    var tensors: [Tensor] = []
    let q = QuantizationParameters(scales: [Float](repeating: 0.5, count: 4096), zeroPoints: [Int64](repeating: 0, count: 4096))
    tensors.append(Tensor(name: "t", shape: [4096], elementType: .int8, quantization: q))
    for i in 1..<2048 { tensors.append(Tensor(name: "t\(i)", shape: [1], elementType: .int8)) }
    let graph = Graph(name: "g", tensors: tensors, operators: [], inputs: [], outputs: [])
    var bytes = try TFLiteWriter.serialize(Model(source: "", graphs: [graph]))
    // Point every tensor's table entry at tensor 0's table.
    let r = FlatBufferReader(bytes, source: "x")
    let sub = try r.table(in: #require(try r.vector(r.rootTable("M"), TFLiteSchema.Model.subgraphs, "s", elementSize: 4)), at: 0, "S")
    let vector = try #require(try r.vector(sub, TFLiteSchema.SubGraph.tensors, "t", elementSize: 4))
    let target = vector.start + Int(r.load(UInt32.self, at: vector.start))
    for i in 1..<vector.count {
      let at = vector.start + 4 * i
      let offset = UInt32(target - at)
      for k in 0..<4 { bytes[at + k] = UInt8(truncatingIfNeeded: offset >> (8 * k)) }
    }
    do {
      _ = try TFLiteImporter.parse(bytes, source: "dag.tflite")
      Issue.record("a 2048-fold shared quantization table was accepted")
    } catch {
      #expect(error.kind == .malformed)
      #expect(error.message.hasPrefix("the file references shared data too often"))
    }
  }
}
