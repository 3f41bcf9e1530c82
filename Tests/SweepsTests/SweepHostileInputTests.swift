import Architecture
import Foundation
import Support
import Sweeps
import Testing

/// Issue 15: typos in compiler options are refused when parsed, a study too large for one
/// process is refused before it is planned, and shards plan only their own rows.
@Suite struct SweepHostileInputTests {
  @Test(arguments: [
    (
      "double-buffering=on,maybe",
      "--vary double-buffering=on,maybe: double-buffering: expected on, off, true or false, got \"maybe\""
    ),
    ("cache-weights=yes", "--vary cache-weights=yes: cache-weights: expected on, off, true or false, got \"yes\""),
    ("dataflow-policy=arch,fast", "--vary dataflow-policy=arch,fast: dataflow-policy: expected arch or auto, got \"fast\""),
    ("batch=1,0", "--vary batch=1,0: batch: expected an integer from 1 to 16777216, got \"0\""),
    ("batch=1,x", "--vary batch=1,x: batch: expected an integer from 1 to 16777216, got \"x\""),
    (
      "double-bufering=on",
      "--vary double-bufering=on: unknown key 'double-bufering'; expected an architecture parameter (docs/architecture.md), array, or a compiler option: double-buffering, cache-weights, dataflow-policy, batch"
    ),
  ])
  func compilerOptionErrors(text: String, message: String) throws {
    let error = #expect(throws: SweepError.self) { try SweepAxis.parse(text, base: try smallBase()) }
    #expect(error?.description == message)
    #expect(error?.kind == .badAxis)
  }

  @Test func knownCompilerOptionsParse() throws {
    let axes = try SweepSpec.parseAxes(
      ["double-buffering=on,off,true,false", "cache-weights=on", "dataflow-policy=arch,auto", "batch=1,8"],
      base: try smallBase())
    #expect(axes.allSatisfy { $0.kind == .compilerOption })
  }

  @Test func pointsFileChecksCompilerOptions() throws {
    let base = try smallBase()
    let bad = #expect(throws: SweepError.self) {
      _ = try SweepPointsFile.parse("array,double-buffering\n32x32,on\n64x64,maybe\n", file: "p.csv", base: base)
    }
    #expect(bad?.description == "p.csv:3: double-buffering: expected on, off, true or false, got \"maybe\"")
    let unknown = #expect(throws: SweepError.self) {
      _ = try SweepPointsFile.parse("array,turbo\n32x32,\n", file: "p.csv", base: base)
    }
    #expect(unknown?.description.hasPrefix("p.csv:1: unknown key 'turbo'; expected an architecture parameter") == true)
  }

  /// A 10⁶-row product is refused before anything is allocated, with the counts and the fix.
  @Test func hugeProductIsRefusedUpFront() throws {
    let base = try smallBase()
    let values = (1...100).map(String.init).joined(separator: ",")
    let axes = try SweepSpec.parseAxes(
      ["array.rows=\(values)", "array.cols=\(values)", "vector.lanes=\(values)"], base: base)
    let spec = SweepSpec(models: ["m"], base: base, axes: axes)
    let start = ContinuousClock.now
    let error = #expect(throws: SweepError.self) { _ = try SweepPlan.make(spec) }
    #expect(ContinuousClock.now - start < .seconds(2))
    #expect(error?.kind == .tooManyPoints)
    #expect(
      error?.description
        == "the sweep has 1000000 rows (array.rows: 100 × array.cols: 100 × vector.lanes: 100 × 1 model); one process plans at most 100000 (about 4 KiB and one evaluation each); vary fewer values or split the study with --shard I/N, N ≥ 10"
    )
    // A product that overflows Int is refused the same way.
    let many = (1...10_000).map(String.init)
    let huge = (0..<5).map { SweepAxis(key: "k\($0)", values: many, kind: .compilerOption) }
    let overflow = #expect(throws: SweepError.self) { _ = try SweepPlan.make(SweepSpec(models: ["m"], base: base, axes: huge)) }
    #expect(overflow?.description.hasPrefix("the sweep has more than 2^63 rows") == true)
  }

  /// Each shard plans only its rows, with the same indices and ids the whole study has, so a
  /// product too large for one process runs as shards.
  @Test func shardsPlanOnlyTheirRows() throws {
    let whole = try SweepPlan.make(try exampleSpec())
    for i in 0..<4 {
      let part = try SweepPlan.make(try exampleSpec(shard: SweepShard(index: i, count: 4)))
      #expect(part.rows == whole.rows.filter { $0.index % 4 == i })
    }
    // 10,000 rows, at most 1,000 per process: refused whole, fine in tenths.
    let base = try smallBase()
    let values = (1...100).map(String.init).joined(separator: ",")
    let axes = try SweepSpec.parseAxes(["array.rows=\(values)", "vector.lanes=\(values)"], base: base)
    #expect(throws: SweepError.self) { _ = try SweepPlan.make(SweepSpec(models: ["m"], base: base, axes: axes, maxRows: 1000)) }
    let shard = try SweepPlan.make(
      SweepSpec(models: ["m"], base: base, axes: axes, shard: SweepShard(index: 3, count: 10), maxRows: 1000))
    #expect(shard.rows.count == 1000)
    #expect(shard.rows.first?.index == 3)
    #expect(shard.rows.first?.settings == ["1", "4"])
    #expect(shard.rows.last?.index == 9993)
    #expect(shard.rows.last?.settings == ["100", "94"])
  }

  /// A point that fails (an invalid architecture, an evaluator error) becomes its `invalid:`
  /// row; the other rows are written.
  @Test func failingPointsBecomeInvalidRows() throws {
    let study = try SweepRunner.run(spec: try exampleSpec(), evaluator: FakeEvaluator())
    let invalid = study.rows.filter { $0.metrics == nil }
    let ok = study.rows.filter { $0.metrics != nil }
    #expect(!invalid.isEmpty && !ok.isEmpty)
    #expect(invalid.allSatisfy { $0.status.hasPrefix("invalid: ") })
    #expect(study.csv().split(separator: "\n").count == study.rows.count + 1)
  }
}
