import Foundation
import Support
import Testing

@testable import Architecture

@Suite struct ParameterTableTests {
  @Test func keysAreUniqueDottedSnakeCase() {
    let keys = ArchSpec.parameters.map(\.key)
    #expect(Set(keys).count == keys.count)
    for key in keys {
      #expect(key.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "_" || $0 == "." }, "\(key)")
      #expect(key.split(separator: ".").count <= 2, "\(key)")
    }
    // A group name is never also a leaf key, so the JSON nesting is unambiguous.
    for group in ArchSpec.parameterGroups { #expect(ArchSpec.parameter(forKey: group) == nil) }
  }

  @Test func everyParameterIsDocumented() {
    for p in ArchSpec.parameters {
      #expect(!p.summary.isEmpty, "\(p.key)")
      #expect(!p.source.description.isEmpty, "\(p.key)")
      // The default is a legal value of the parameter's own kind.
      #expect((try? p.kind.accept(p.defaultValue).get()) == p.defaultValue, "\(p.key)")
      #expect(p.value(in: .defaults) == p.defaultValue, "\(p.key)")
      // Numbers carry a unit; names and switches do not.
      switch p.kind {
      case .count, .positiveNumber, .nonNegativeNumber, .kibibytes: #expect(!p.unit.isEmpty, "\(p.key)")
      case .flag, .choice, .text: #expect(p.unit.isEmpty, "\(p.key)")
      }
    }
  }

  /// Each parameter's setter writes its own field and no other: setting a fresh value through
  /// the table changes exactly that key's reading.
  @Test func everySetterWritesItsOwnField() throws {
    for p in ArchSpec.parameters {
      let fresh: ArchValue
      switch p.defaultValue {
      case .integer(let n): fresh = .integer(n + 1)
      case .number(let x): fresh = .number(x + 0.5)
      case .flag(let b): fresh = .flag(!b)
      case .text(let s):
        if case .choice(let names) = p.kind { fresh = .text(names.first { $0 != s }!) } else { fresh = .text(s + "x") }
      }
      var spec = ArchSpec.defaults
      try spec.set(p.key, to: fresh)
      for other in ArchSpec.parameters {
        let expected = other.key == p.key ? fresh : other.defaultValue
        #expect(other.value(in: spec) == expected, "setting \(p.key) changed \(other.key)")
      }
    }
  }
}

@Suite struct JSONFormatTests {
  @Test(arguments: ArchSpec.presets.map(\.name))
  func roundTripsThroughJSONText(name: String) throws {
    let spec = try ArchSpec.preset(named: name)
    let text = spec.jsonString()
    let back = try ArchSpec.parse(json: text, source: "round-trip.json")
    #expect(back == spec)
    #expect(back.jsonString() == text)
    // Every parameter was read from the file.
    for p in ArchSpec.parameters { #expect(back.origins[p.key] == .file("round-trip.json")) }
  }

  @Test(arguments: ArchSpec.presets.map(\.name))
  func roundTripsThroughCodable(name: String) throws {
    let spec = try ArchSpec.preset(named: name).baseline
    let data = try JSONEncoder().encode(spec)
    #expect(try JSONDecoder().decode(ArchSpec.self, from: data) == spec)
  }

  @Test func oddValuesRoundTrip() throws {
    var spec = ArchSpec.toy4x4
    spec.name = "odd \"name\" \\ with\tescapes é"
    spec.clock = 333.333
    spec.ub.capacity = ByteCount(Int64(3))  // 3 bytes = 0.0029296875 KiB: exact in binary
    spec.dram.latencyNanoseconds = 0.1 + 0.2
    let back = try ArchSpec.parse(json: spec.jsonString(), source: "odd.json")
    #expect(back == spec)
  }

  @Test func partialFileStartsFromBase() throws {
    let text = #"{"base": "gemmini", "array": {"rows": 32}, "dram": {"gbps": 8}, "dataflow": "os"}"#
    let spec = try ArchSpec.parse(json: text, source: "Programs/arch/wide.json")
    var expected = ArchSpec.gemmini
    expected.array.rows = 32
    expected.dram.bandwidth = 8
    expected.dataflow = .outputStationary
    expected.name = "wide"
    #expect(spec == expected)
    #expect(spec.origins["array.rows"] == .file("Programs/arch/wide.json"))
    #expect(spec.origin(of: "acc.banks") == ArchSpec.gemmini.origin(of: "acc.banks"))
  }

  @Test func fileWithoutBaseStartsFromDefaults() throws {
    let spec = try ArchSpec.parse(json: #"{"name": "n", "clock": {"mhz": 1000}}"#, source: "x.json")
    var expected = ArchSpec.defaults
    expected.name = "n"
    expected.clock = 1000
    #expect(spec == expected)
  }

  @Test func derivedBlockIsWrittenButNotAccepted() throws {
    let text = ArchSpec.vta.jsonString(includeDerived: true)
    #expect(text.contains("\"peak_tops\": 0.0512"))
    #expect(throws: ArchError.self) { try ArchSpec.parse(json: text, source: "vta.json") }
  }

  /// Every prefix of a valid file either parses or throws an `ArchError`; none crashes.
  @Test func truncatedFilesNeverCrash() {
    let bytes = Array(ArchSpec.edgeTPU.jsonString().utf8)
    var failures = 0
    for length in 0..<bytes.count {
      do {
        _ = try ArchSpec.parse(json: Data(bytes[..<length]), source: "cut.json")
      } catch {
        #expect(error.kind == .malformedJSON, "\(length): \(error)")
        failures += 1
      }
    }
    #expect(failures == bytes.count - 1)  // only the prefix missing just the final newline parses
  }

  @Test func randomBytesNeverCrash() {
    var rng = SeededGenerator(seed: 7)
    let alphabet = Array(#"{}[]":,0123456789.eE+-truefalsnl \ abc"#.utf8)
    for _ in 0..<300 {
      let length = Int.random(in: 0..<40, using: &rng)
      let bytes = (0..<length).map { _ in alphabet.randomElement(using: &rng)! }
      _ = try? ArchSpec.parse(json: Data(bytes), source: "fuzz.json")
    }
  }
}

@Suite struct OverrideTests {
  @Test func setsTheDocumentedExamples() throws {
    let spec = try ArchSpec.tpuV1.applying(overrides: [
      "array.rows=32", "array.cols=32", "ub.kib=256", "dram.gbps=8", "dataflow=os", "clock.mhz=1000",
      "array.weight_double_buffered=false", "acc.kib=0.25", "name=small",
    ])
    #expect(spec.array.rows == 32 && spec.array.cols == 32)
    #expect(spec.ub.capacity == .kibibytes(256))
    #expect(spec.dram.bandwidth == 8)
    #expect(spec.dataflow == .outputStationary)
    #expect(spec.clock == 1000)
    #expect(spec.array.weightDoubleBuffered == false)
    #expect(spec.acc.capacity == 256)
    #expect(spec.name == "small")
    #expect(spec.origins["clock.mhz"] == .commandLine("clock.mhz=1000"))
  }

  @Test func arrayShorthandSetsBothDimensions() throws {
    let spec = try ArchSpec.tpuV1.applying(overrides: ["array=32x16"])
    #expect(spec.array.rows == 32 && spec.array.cols == 16)
    #expect(spec.origins["array.cols"] == .commandLine("array=32x16"))
  }

  @Test func laterOverridesWinAndSpacesAreTrimmed() throws {
    let spec = try ArchSpec.gemmini.applying(overrides: ["clock.mhz=500", " clock.mhz = 250 "])
    #expect(spec.clock == 250)
  }

  @Test func resolveTakesPresetsFilesAndOverrides() throws {
    #expect(try ArchSpec.resolve("vta") == .vta)
    let path = repositoryRoot.appendingPathComponent("Programs/arch/my-arch.json").path
    let spec = try ArchSpec.resolve(path, overrides: ["array.rows=64"])
    #expect(spec.array.rows == 64 && spec.name == "my-arch")
  }
}
