import Foundation
import Support
import Testing

@testable import Architecture

/// Table-driven error tests with the full expected message (argument-parser's
/// `ErrorMessageTests` style).
@Suite struct ErrorMessageTests {
  struct FileCase: CustomTestStringConvertible, Sendable {
    let json: String
    let kind: ArchError.Kind
    let message: String
    var testDescription: String { message }
  }

  static let fileCases: [FileCase] = [
    FileCase(
      json: #"{"array": {"rows": "abc"}}"#, kind: .badValue,
      message: #"my-arch.json: array.rows: expected a positive integer, got "abc""#),
    FileCase(
      json: #"{"array": {"rows": 0}}"#, kind: .badValue,
      message: "my-arch.json: array.rows: expected a positive integer, got 0"),
    FileCase(
      json: #"{"array": {"rows": 1.5}}"#, kind: .badValue,
      message: "my-arch.json: array.rows: expected a positive integer, got 1.5"),
    FileCase(
      json: #"{"array": {"rows": 20000}}"#, kind: .badValue,
      message: "my-arch.json: array.rows: expected a positive integer ≤ 16384, got 20000"),
    FileCase(
      json: #"{"ub": {"kib": 0}}"#, kind: .badValue,
      message: "my-arch.json: ub.kib: expected a positive size in KiB (whole bytes), got 0"),
    FileCase(
      json: #"{"ub": {"kib": -256}}"#, kind: .badValue,
      message: "my-arch.json: ub.kib: expected a positive size in KiB (whole bytes), got -256"),
    FileCase(
      json: #"{"ub": {"kib": 0.1}}"#, kind: .badValue,
      message: "my-arch.json: ub.kib: expected a positive size in KiB (whole bytes), got 0.1 (102.4 bytes)"),
    FileCase(
      json: #"{"dram": {"gbps": 0}}"#, kind: .badValue,
      message: "my-arch.json: dram.gbps: expected a positive number, got 0"),
    FileCase(
      json: #"{"dram": {"latency_ns": -1}}"#, kind: .badValue,
      message: "my-arch.json: dram.latency_ns: expected a number ≥ 0, got -1"),
    FileCase(
      json: #"{"clock": {"mhz": null}}"#, kind: .badValue,
      message: "my-arch.json: clock.mhz: expected a positive number, got null"),
    FileCase(
      json: #"{"dataflow": "xs"}"#, kind: .badValue,
      message: #"my-arch.json: dataflow: expected one of ws, os, is, got "xs""#),
    FileCase(
      json: #"{"datapath": 8}"#, kind: .badValue,
      message: "my-arch.json: datapath: expected one of int8, float32, got 8"),
    FileCase(
      json: #"{"array": {"weight_double_buffered": "yes"}}"#, kind: .badValue,
      message: #"my-arch.json: array.weight_double_buffered: expected true or false, got "yes""#),
    FileCase(
      json: #"{"name": ""}"#, kind: .badValue,
      message: #"my-arch.json: name: expected a non-empty string, got """#),
    FileCase(
      json: #"{"array": "32x32"}"#, kind: .badValue,
      message: #"my-arch.json: array: expected an object with keys rows, cols, weight_load_rows_per_cycle, weight_double_buffered, weight_unpack_latency_cycles, row_interval_cycles, got "32x32""#
    ),
    FileCase(
      json: #"{"array": {"rowz": 32}}"#, kind: .unknownKey,
      message: "my-arch.json: array.rowz: unknown key (did you mean 'array.rows'?)"),
    FileCase(
      json: #"{"array": {"height": 32}}"#, kind: .unknownKey,
      message:
        "my-arch.json: array.height: unknown key; known keys here: array.rows, array.cols, array.weight_load_rows_per_cycle, array.weight_double_buffered, array.weight_unpack_latency_cycles, array.row_interval_cycles"
    ),
    FileCase(
      json: #"{"frequency": 700}"#, kind: .unknownKey,
      message:
        "my-arch.json: frequency: unknown key; known keys here: base, name, dataflow, datapath, array, clock, ub, weights, acc, dram, memory, vector, host, energy"
    ),
    FileCase(
      json: #"{"derived": {}}"#, kind: .unknownKey,
      message: "my-arch.json: derived: derived figures are computed from the parameters and cannot be set"),
    FileCase(
      json: #"{"base": "tpu-v9"}"#, kind: .unknownPreset,
      message:
        "my-arch.json: base: unknown architecture preset 'tpu-v9'; known presets: tpu-v1, edge-tpu, gemmini, vta, toy-4x4"
    ),
    FileCase(
      json: #"{"base": 1}"#, kind: .badValue,
      message: "my-arch.json: base: expected a preset name (one of tpu-v1, edge-tpu, gemmini, vta, toy-4x4), got 1"),
    FileCase(
      json: "[256, 256]", kind: .malformedJSON,
      message: "my-arch.json: expected a JSON object at the top level, got an array"),
    FileCase(
      json: "{\n  \"array\": {\n    \"rows\" 32\n  }\n}", kind: .malformedJSON,
      message: #"my-arch.json: not valid JSON at line 3, column 12: expected ':' after the key "rows", found '3'"#),
    FileCase(
      json: "{\"a\": 1,}", kind: .malformedJSON,
      message: "my-arch.json: not valid JSON at line 1, column 9: expected a key in double quotes, found '}'"),
    FileCase(
      json: "{\"ub\": {\"kib\": 1, \"kib\": 2}}", kind: .malformedJSON,
      message: #"my-arch.json: not valid JSON at line 1, column 19: duplicate key "kib""#),
    FileCase(
      json: "", kind: .malformedJSON,
      message: "my-arch.json: not valid JSON at line 1, column 1: expected a value, found the end of the file"),
    FileCase(
      json: "{\"name\": \"x\"} x", kind: .malformedJSON,
      message: "my-arch.json: not valid JSON at line 1, column 15: unexpected text after the JSON value"),
  ]

  @Test(arguments: fileCases)
  func fileErrors(_ c: FileCase) {
    do {
      let spec = try ArchSpec.parse(json: c.json, source: "my-arch.json")
      Issue.record("parsed without error: \(spec.name)")
    } catch {
      #expect(error.description == c.message)
      #expect(error.kind == c.kind)
    }
  }

  struct OverrideCase: CustomTestStringConvertible, Sendable {
    let text: String
    let kind: ArchError.Kind
    let message: String
    var testDescription: String { message }
  }

  static let overrideCases: [OverrideCase] = [
    OverrideCase(
      text: "array.rows=abc", kind: .badValue,
      message: #"--set array.rows=abc: array.rows: expected a positive integer, got "abc""#),
    OverrideCase(
      text: "array.rows=-4", kind: .badValue,
      message: "--set array.rows=-4: array.rows: expected a positive integer, got -4"),
    OverrideCase(
      text: "ub.kib=0", kind: .badValue,
      message: "--set ub.kib=0: ub.kib: expected a positive size in KiB (whole bytes), got 0"),
    OverrideCase(
      text: "clock.mhz=fast", kind: .badValue,
      message: #"--set clock.mhz=fast: clock.mhz: expected a positive number, got "fast""#),
    OverrideCase(
      text: "clock.mhz=nan", kind: .badValue,
      message: "--set clock.mhz=nan: clock.mhz: expected a positive number, got nan"),
    OverrideCase(
      text: "dataflow=rs", kind: .badValue,
      message: #"--set dataflow=rs: dataflow: expected one of ws, os, is, got "rs""#),
    OverrideCase(
      text: "array.weight_double_buffered=1", kind: .badValue,
      message: #"--set array.weight_double_buffered=1: array.weight_double_buffered: expected true or false, got "1""#),
    OverrideCase(
      text: "array=32", kind: .badValue,
      message: #"--set array=32: array: expected ROWSxCOLS such as 32x32, got "32""#),
    OverrideCase(
      text: "array=0x8", kind: .badValue,
      message: "--set array=0x8: array.rows: expected a positive integer, got 0"),
    OverrideCase(
      text: "array.rows", kind: .badOverride,
      message: "--set array.rows: expected KEY=VALUE, such as array.rows=32"),
    OverrideCase(
      text: "=32", kind: .badOverride,
      message: "--set =32: expected KEY=VALUE, such as array.rows=32; the key is empty"),
    OverrideCase(
      text: "arary.rows=32", kind: .unknownKey,
      message: "--set arary.rows=32: arary.rows: unknown key (did you mean 'array.rows'?)"),
    OverrideCase(
      text: "sram.size=1", kind: .unknownKey,
      message:
        "--set sram.size=1: sram.size: unknown key; known keys here: base, name, dataflow, datapath, array, clock, ub, weights, acc, dram, memory, vector, host, energy"
    ),
  ]

  @Test(arguments: overrideCases)
  func overrideErrors(_ c: OverrideCase) {
    do {
      let spec = try ArchSpec.tpuV1.applying(overrides: [c.text])
      Issue.record("applied without error: \(spec.name)")
    } catch {
      #expect(error.description == c.message)
      #expect(error.kind == c.kind)
    }
  }

  @Test func unreadableFileNamesThePath() {
    do {
      _ = try ArchSpec.load(path: "Programs/arch/no-such-file.json")
      Issue.record("loaded a missing file")
    } catch {
      #expect(error.kind == .unreadableFile)
      #expect(error.description == "Programs/arch/no-such-file.json: cannot read the architecture file")
    }
  }

  @Test func resolveRejectsUnknownNames() {
    do {
      _ = try ArchSpec.resolve("tpu-v9")
      Issue.record("resolved an unknown preset")
    } catch {
      #expect(
        error.description
          == "unknown architecture preset 'tpu-v9'; known presets: tpu-v1, edge-tpu, gemmini, vta, toy-4x4 (or give a .json file)"
      )
    }
  }

  @Test func codableReportsTheSameMessage() {
    let data = Data(#"{"array": {"rows": "abc"}}"#.utf8)
    do {
      _ = try JSONDecoder().decode(ArchSpec.self, from: data)
      Issue.record("decoded a bad spec")
    } catch DecodingError.dataCorrupted(let context) {
      #expect(context.debugDescription == #"JSON: array.rows: expected a positive integer, got "abc""#)
    } catch {
      Issue.record("unexpected error \(error)")
    }
  }
}
