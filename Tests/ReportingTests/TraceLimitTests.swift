import Foundation
import Reporting
import Support
import Testing

/// Issue 15: trace files with huge or non-finite numbers are `.malformed`, one line each, in
/// every tool (they all read through `SystoleTrace`), never a trap.
@Suite struct TraceLimitTests {
  /// The trace text with the first match of `pattern` (a regular expression) replaced.
  static func mutated(_ json: String, _ pattern: String, _ replacement: String) -> String {
    guard let range = json.range(of: pattern, options: .regularExpression) else {
      Issue.record("no \(pattern) in the trace")
      return json
    }
    return json.replacingCharacters(in: range, with: replacement)
  }

  @Test(arguments: [
    (#""clock_mhz":[0-9.]+"#, #""clock_mhz":1e308"#, "otherData.clock_mhz is 1e+308; at most 100000 MHz"),
    (#""clock_mhz":[0-9.]+"#, #""clock_mhz":-5"#, "otherData.clock_mhz is not a positive number"),
    (#""ts":[0-9.]+,"dur""#, #""ts":1e308,"dur""#, "event #19 ts 1e+308 µs is outside the run (0 to 2^50 cycles at 100.0 MHz)"),
    (#""ts":[0-9.]+,"dur""#, #""ts":-1,"dur""#, "event #19 ts -1.0 µs is outside the run (0 to 2^50 cycles at 100.0 MHz)"),
    (#""dur":[0-9.]+"#, #""dur":1e308"#, "event #19 ts + dur 1e+308 µs is outside the run (0 to 2^50 cycles at 100.0 MHz)"),
    (#""dur":[0-9.]+"#, #""dur":-3"#, "event #19 dur -3.0 µs is negative"),
    (#""wait_cycles":[0-9]+"#, #""wait_cycles":9000000000000000000"#, "event #19 wait_cycles is 9000000000000000000; expected 0 to 2^50"),
    (#""run":\{"arch":"[^"]*","cycles":[0-9]+"#, #""run":{"arch":"x","cycles":1e300"#, "otherData.run.cycles is missing or not a whole number"),
    (#""run":\{"arch":"[^"]*","cycles":[0-9]+"#, #""run":{"arch":"x","cycles":4611686018427387904"#, "otherData.run.cycles is 4611686018427387904; expected 0 to 2^50"),
  ])
  func hugeNumbersAreMalformed(pattern: String, replacement: String, message: String) throws {
    let run = try TracedRun()
    let text = Self.mutated(run.json, pattern, replacement)
    let error = #expect(throws: TraceError.self) { _ = try SystoleTrace(bytes: Array(text.utf8), fileName: "t.json") }
    #expect(error?.description == "t.json: malformed Systole trace: \(message)")
  }

  /// Counters at the limit are accepted and every tool runs: sums stay inside `Int64`.
  @Test func countersAtTheLimitWork() throws {
    let run = try TracedRun()
    var text = run.json
    let limit = String(SystoleTrace.maximumCount)
    for counter in ["weight_shift_cycles", "idle_cycles", "dram_weight_bytes", "dram_host_read_bytes"] {
      text = text.replacingOccurrences(
        of: #""\#(counter)":[0-9]+"#, with: "\"\(counter)\":\(limit)", options: .regularExpression)
    }
    text = text.replacingOccurrences(of: #""wait_cycles":[0-9]+"#, with: "\"wait_cycles\":\(limit)", options: .regularExpression)
    let trace = try SystoleTrace(bytes: Array(text.utf8), fileName: "t.json")
    _ = trace.summary()
    _ = trace.layersTable()
    _ = trace.diff(trace)
    _ = try trace.show(width: Int.max)
  }
}
