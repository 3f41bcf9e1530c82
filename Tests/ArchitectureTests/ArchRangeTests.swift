import Foundation
import Support
import Testing

@testable import Architecture

/// Issue 15 (hostile input): every real-valued parameter has a physically plausible range,
/// checked where values enter (`--set`, JSON) and by `validate()`, so no derived figure can trap.
@Suite struct ArchRangeTests {
  struct Case: CustomTestStringConvertible, Sendable {
    let text: String
    let message: String
    var testDescription: String { text }
  }

  /// The reproducers of issue 15, part 1, and their neighbours: one line each, the range named.
  static let overrideCases: [Case] = [
    Case(
      text: "dram.latency_ns=1e18",
      message: "--set dram.latency_ns=1e18: dram.latency_ns: expected a number from 0 to 1000000, got 1e+18"),
    Case(
      text: "dram.gbps=1e-300",
      message: "--set dram.gbps=1e-300: dram.gbps: expected a positive number from 0.001 to 100000, got 1e-300"),
    Case(
      text: "host.gops=1e-300",
      message: "--set host.gops=1e-300: host.gops: expected a positive number from 0.001 to 1000000, got 1e-300"),
    Case(
      text: "host.latency_us=1e300",
      message: "--set host.latency_us=1e300: host.latency_us: expected a number from 0 to 1000000, got 1e+300"),
    Case(
      text: "host.link_gbps=1e-300",
      message: "--set host.link_gbps=1e-300: host.link_gbps: expected a positive number from 0.001 to 100000, got 1e-300"),
    Case(
      text: "clock.mhz=1e300",
      message: "--set clock.mhz=1e300: clock.mhz: expected a positive number from 1 to 100000, got 1e+300"),
    Case(
      text: "clock.mhz=0.5",
      message: "--set clock.mhz=0.5: clock.mhz: expected a positive number from 1 to 100000, got 0.5"),
    Case(
      text: "clock.mhz=inf",
      message: "--set clock.mhz=inf: clock.mhz: expected a positive number, got inf"),
    Case(
      text: "dram.pj_per_bit=1e9",
      message: "--set dram.pj_per_bit=1e9: dram.pj_per_bit: expected a number from 0 to 10000, got 1000000000"),
    Case(
      text: "energy.leakage_mw=1e300",
      message: "--set energy.leakage_mw=1e300: energy.leakage_mw: expected a number from 0 to 10000000, got 1e+300"),
    Case(
      text: "energy.sram_8kib_pj_per_64b=1e-9",
      message:
        "--set energy.sram_8kib_pj_per_64b=1e-9: energy.sram_8kib_pj_per_64b: expected a positive number from 0.001 to 1000000, got 1e-09"
    ),
    Case(
      text: "energy.int8_mac_pj=-0.1",
      message: "--set energy.int8_mac_pj=-0.1: energy.int8_mac_pj: expected a number ≥ 0, got -0.1"),
    Case(
      text: "name=\(String(repeating: "n", count: 300))",
      message:
        "--set name=\(String(repeating: "n", count: 300)): name: expected a non-empty string of at most 256 characters, got \"\(String(repeating: "n", count: 40))…\" (300 characters)"
    ),
  ]

  @Test(arguments: overrideCases)
  func overridesOutOfRange(_ c: Case) {
    var spec = ArchSpec.edgeTPU
    let error = #expect(throws: ArchError.self) { try spec.apply(override: c.text) }
    #expect(error?.description == c.message)
    #expect(error?.kind == .badValue)
    #expect(error?.description.contains("\n") == false)
  }

  static let fileCases: [Case] = [
    Case(
      text: #"{"base": "toy-4x4", "clock": {"mhz": 1e300}}"#,
      message: "my-arch.json: clock.mhz: expected a positive number from 1 to 100000, got 1e+300"),
    Case(
      text: #"{"dram": {"latency_ns": 1e18}}"#,
      message: "my-arch.json: dram.latency_ns: expected a number from 0 to 1000000, got 1e+18"),
    Case(
      text: #"{"name": "two\nlines"}"#,
      message: #"my-arch.json: name: expected a non-empty string without control characters, got "two\nlines""#),
    Case(
      text: #"{"array": {"rows": 1e300}}"#,
      message: "my-arch.json: array.rows: expected a positive integer ≤ 16384, got 1e+300"),
  ]

  @Test(arguments: fileCases)
  func fileValuesOutOfRange(_ c: Case) {
    let error = #expect(throws: ArchError.self) { _ = try ArchSpec.parse(json: c.text, source: "my-arch.json") }
    #expect(error?.description == c.message)
  }

  /// A 50 MB name is refused quickly, with its size, and the message stays short.
  @Test func hugeNameIsRefusedQuickly() {
    let name = String(repeating: "a", count: 50_000_000)
    let start = ContinuousClock.now
    let result = ArchParameter.Kind.text(maxLength: ArchSpec.maximumNameLength).accept(.text(name))
    #expect(ContinuousClock.now - start < .seconds(5))
    guard case .failure(let mismatch) = result else {
      Issue.record("a 50 MB name was accepted")
      return
    }
    #expect(mismatch.message(got: "x") == "expected a non-empty string of at most 256 characters, got x (50000000 bytes)")
  }

  /// A file far larger than any architecture is refused before it is read.
  @Test func oversizedFileIsRefused() throws {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("systole-big-arch-\(UUID().uuidString).json")
    defer { try? FileManager.default.removeItem(at: url) }
    try Data(repeating: 0x20, count: ArchSpec.maximumFileBytes + 1).write(to: url)
    let error = #expect(throws: ArchError.self) { _ = try ArchSpec.load(path: url.path) }
    #expect(error?.message == "the architecture file is 1048577 bytes; at most 1048576 (1 MiB) is accepted")
  }

  /// Validation catches values set directly on the struct, which skip `--set`.
  @Test func validateChecksRanges() {
    var spec = ArchSpec.toy4x4
    spec.clock = Megahertz(1e300)
    spec.host.latencyMicroseconds = 1e300
    spec.dram.bandwidth = GigabytesPerSecond(1e-300)
    #expect(
      spec.validate().map(\.description) == [
        "clock.mhz: expected a positive number from 1 to 100000, got 1e+300",
        "dram.gbps: expected a positive number from 0.001 to 100000, got 1e-300",
        "host.latency_us: expected a number from 0 to 1000000, got 1e+300",
      ])
  }

  /// Every default and every preset lies inside the ranges; the range table is in the docs.
  @Test func defaultsAndPresetsAreInRange() {
    #expect(ArchSpec.defaults.validate() == [])
    for preset in ArchSpec.presets { #expect(preset.spec.validate() == [], "\(preset.name)") }
    for p in ArchSpec.parameters {
      if case .failure = p.kind.accept(p.defaultValue) { Issue.record("\(p.key) default outside its range") }
    }
  }

  /// At the edges of every range the derived cycle figures stay far inside `Int`.
  @Test func extremeValidSpecsGiveFiniteFigures() throws {
    let corners: [[String]] = [
      ["clock.mhz=100000", "dram.latency_ns=1000000", "host.latency_us=1000000", "dram.gbps=0.001",
       "host.link_gbps=0.001", "host.gops=0.001"],
      ["clock.mhz=1", "dram.latency_ns=0", "host.latency_us=0", "dram.gbps=100000", "host.link_gbps=100000",
       "host.gops=1000000"],
    ]
    for overrides in corners {
      let spec = try ArchSpec.edgeTPU.applying(overrides: overrides).validated()
      #expect(spec.dramLatencyCycles <= 100_000_000)
      #expect(spec.hostLatencyCycles <= 100_000_000_000)
      for figure in spec.derivedFigures { #expect(figure.value.isFinite, "\(figure.key) with \(overrides)") }
    }
  }
}
