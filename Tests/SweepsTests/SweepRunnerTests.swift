import Architecture
import Foundation
import Support
import Sweeps
import Testing

/// A study with two models, three axes (one a compiler option), one architecture that fails
/// validation (a 1024×1024 int8 weight tile is 1 MiB; the buffer holds 256 KiB) and one
/// compiler option the evaluator rejects (`broken`: built directly, since `--vary` parsing would
/// refuse it; it stands for any point whose evaluation fails).
func exampleSpec(jobs: Int = 1, shard: SweepShard? = nil, resumeFrom: String? = nil) throws -> SweepSpec {
  let base = try smallBase()
  let axes =
    try SweepSpec.parseAxes(["array=32x32,64x64,1024x1024", "dataflow=ws,os"], base: base)
    + [SweepAxis(key: "double-buffering", values: ["on", "off", "broken"], kind: .compilerOption)]
  return SweepSpec(models: ["small", "big"], base: base, axes: axes, shard: shard, jobs: jobs, resumeFrom: resumeFrom)
}

func temporaryPath(_ name: String) -> String {
  FileManager.default.temporaryDirectory.appendingPathComponent("sweeps-\(UUID().uuidString)-\(name)").path
}

@Suite struct SweepRunnerTests {
  @Test func rowsAreInPointOrderAndCoverTheProduct() throws {
    let study = try SweepRunner.run(spec: try exampleSpec(), evaluator: FakeEvaluator())
    #expect(study.rows.count == 2 * 3 * 2 * 3)
    #expect(study.rows.map(\.index) == Array(0..<36))
    #expect(study.columns == ["array", "dataflow", "double-buffering"])
    // The last axis varies fastest, models outermost.
    #expect(study.rows[0].settings == ["32x32", "ws", "on"])
    #expect(study.rows[1].settings == ["32x32", "ws", "off"])
    #expect(study.rows[3].settings == ["32x32", "os", "on"])
    #expect(study.rows[18].model == "big")
    #expect(Set(study.rows.map(\.id)).count == 36)
  }

  @Test func resultsDoNotDependOnJobs() throws {
    let one = try SweepRunner.run(spec: try exampleSpec(jobs: 1), evaluator: FakeEvaluator())
    let two = try SweepRunner.run(spec: try exampleSpec(jobs: 2), evaluator: FakeEvaluator())
    let eight = try SweepRunner.run(spec: try exampleSpec(jobs: 8), evaluator: FakeEvaluator())
    #expect(one == two)
    #expect(one.csv() == two.csv())
    #expect(one.csv() == eight.csv())
    #expect(one.json().serialized() == two.json().serialized())
  }

  @Test func invalidPointsAreRecordedWithTheirReasons() throws {
    let study = try SweepRunner.run(spec: try exampleSpec(), evaluator: FakeEvaluator())
    let big = study.rows.filter { $0.settings[0] == "1024x1024" }
    #expect(big.count == 12)
    let expected = try smallBase().applying(overrides: ["array=1024x1024"]).validate()
    #expect(!expected.isEmpty)
    for row in big {
      #expect(row.metrics == nil)
      #expect(row.invalidReason == "architecture: " + expected.map(\.description).joined(separator: "; "))
      #expect(row.area.map(\.peCount) == Optional(Int64(1_048_576)))
      #expect(!row.paretoLatencyEnergy)
    }
    #expect(big[0].status.hasPrefix("invalid: architecture: weights.kib: "))
    let broken = study.rows.filter { $0.settings[2] == "broken" && $0.settings[0] != "1024x1024" }
    #expect(broken.count == 8)
    for row in broken {
      #expect(row.status == "invalid: compiler: double-buffering must be on or off, got broken")
    }
    let ok = study.rows.filter { $0.metrics != nil }
    #expect(ok.count == 36 - 12 - 8)
    // The CSV carries the reason in the status column, quoted when it holds a comma.
    #expect(study.csv().contains("invalid: compiler: double-buffering must be on or off, got broken"))
  }

  @Test func identicalPointsAreEvaluatedOnce() throws {
    let base = try smallBase()
    // array.rows=64 is the base value: both points are the same architecture.
    let axes = try SweepSpec.parseAxes(["array.rows=64,32", "clock.mhz=700,700.0"], base: base)
    let evaluator = FakeEvaluator()
    let progress = RecordingProgress()
    let study = try SweepRunner.run(
      spec: SweepSpec(models: ["small"], base: base, axes: axes, jobs: 2), evaluator: evaluator, progress: progress)
    #expect(study.rows.count == 4)
    #expect(evaluator.callCount == 2)
    #expect(study.rows[0].metrics == study.rows[1].metrics)
    #expect(study.rows[0].id != study.rows[1].id)
    #expect(progress.events == ["start 2 4", "done 1/2", "done 2/2", "end"])
  }

  @Test func shardsMergedEqualTheUnshardedRunByteForByte() throws {
    let whole = try SweepRunner.run(spec: try exampleSpec(), evaluator: FakeEvaluator()).csv()
    for n in [1, 2, 3, 5] {
      var parts: [(file: String, text: String)] = []
      for i in 0..<n {
        let part = try SweepRunner.run(spec: try exampleSpec(shard: SweepShard(index: i, count: n)), evaluator: FakeEvaluator())
        #expect(part.rows.allSatisfy { $0.index % n == i })
        parts.append(("part-\(i).csv", part.csv()))
      }
      let merged = try SweepCSV.merge(parts.reversed())
      #expect(merged.csv() == whole, "shards of \(n)")
    }
  }

  @Test func shardsMergedEqualTheUnshardedRunWithDeclaredComponents() throws {
    let evaluator = FakeEvaluator(declaring: ["mac", "dram", "leakage"])
    let whole = try SweepRunner.run(spec: try exampleSpec(), evaluator: evaluator).csv()
    #expect(whole.hasPrefix("point,id,model,array,dataflow,double-buffering,cycles,latency_us,inferences_per_s,utilization,dram_bytes,sram_bytes,energy_uj,energy_mac_uj,energy_dram_uj,energy_leakage_uj,baseline_latency_us,"))
    let parts = try (0..<4).map { i in
      ("p\(i)", try SweepRunner.run(spec: try exampleSpec(shard: SweepShard(index: i, count: 4)), evaluator: evaluator).csv())
    }
    #expect(try SweepCSV.merge(parts).csv() == whole)
  }

  @Test func resumeSkipsPointsAlreadyInTheOutput() throws {
    let path = temporaryPath("resume.csv")
    defer { try? FileManager.default.removeItem(atPath: path) }
    let full = try SweepRunner.run(spec: try exampleSpec(), evaluator: FakeEvaluator())

    // A missing file is an empty one.
    let first = FakeEvaluator()
    let fresh = try SweepRunner.run(spec: try exampleSpec(shard: SweepShard(index: 0, count: 2), resumeFrom: path), evaluator: first)
    #expect(first.callCount > 0)
    try fresh.csv().write(toFile: path, atomically: true, encoding: .utf8)

    // Half done: only the other half's distinct valid points are evaluated.
    let second = FakeEvaluator()
    let resumed = try SweepRunner.run(spec: try exampleSpec(resumeFrom: path), evaluator: second)
    let counting = FakeEvaluator()
    _ = try SweepRunner.run(spec: try exampleSpec(shard: SweepShard(index: 1, count: 2)), evaluator: counting)
    #expect(second.callCount == counting.callCount)
    #expect(resumed.csv() == full.csv())

    // All done: nothing is evaluated.
    try resumed.csv().write(toFile: path, atomically: true, encoding: .utf8)
    let third = FakeEvaluator()
    let again = try SweepRunner.run(spec: try exampleSpec(resumeFrom: path), evaluator: third)
    #expect(third.callCount == 0)
    #expect(again.csv() == full.csv())
  }

  @Test func resumeRejectsAFileWithOtherColumns() throws {
    let path = temporaryPath("other.csv")
    defer { try? FileManager.default.removeItem(atPath: path) }
    let base = try smallBase()
    let other = try SweepRunner.run(
      spec: SweepSpec(models: ["small"], base: base, axes: try SweepSpec.parseAxes(["ub.kib=512,1024"], base: base)),
      evaluator: FakeEvaluator())
    try other.csv().write(toFile: path, atomically: true, encoding: .utf8)
    #expect(throws: SweepError.self) { try SweepRunner.run(spec: try exampleSpec(resumeFrom: path), evaluator: FakeEvaluator()) }
    do {
      _ = try SweepRunner.run(spec: try exampleSpec(resumeFrom: path), evaluator: FakeEvaluator())
    } catch let error as SweepError {
      #expect(error.description == "\(path): cannot resume: its varied columns ub.kib differ from this sweep's array,dataflow,double-buffering")
    }
  }

  @Test func pointsFileDrivesTheStudy() throws {
    let base = try smallBase()
    let path = temporaryPath("points.csv")
    defer { try? FileManager.default.removeItem(atPath: path) }
    try "array,dataflow,double-buffering\n32x32,ws,on\n\n64x64,os,\n32x32,ws,on\n".write(toFile: path, atomically: true, encoding: .utf8)
    let evaluator = FakeEvaluator()
    let study = try SweepRunner.run(spec: SweepSpec(models: ["small"], base: base, pointsFile: path), evaluator: evaluator)
    #expect(study.columns == ["array", "dataflow", "double-buffering"])
    #expect(study.rows.map(\.settings) == [["32x32", "ws", "on"], ["64x64", "os", ""], ["32x32", "ws", "on"]])
    #expect(evaluator.callCount == 2)
    #expect(study.rows[0].id == study.rows[2].id)
  }

  @Test func bestPicksTheMinimumPerModel() throws {
    let study = try SweepRunner.run(spec: try exampleSpec(), evaluator: FakeEvaluator())
    for objective in SweepStudy.Objective.allCases {
      let best = study.best(objective: objective)
      #expect(best.map(\.model) == ["small", "big"])
      for row in best {
        let value = objective.value(try #require(row.metrics))
        let others = study.rows.filter { $0.model == row.model }.compactMap(\.metrics).map(objective.value)
        #expect(value == others.min())
      }
    }
  }

  @Test func paretoFlagsMarkNonDominatedRowsPerModel() throws {
    let study = try SweepRunner.run(spec: try exampleSpec(), evaluator: FakeEvaluator())
    for model in study.models {
      let ok = study.rows.filter { $0.model == model && $0.metrics != nil }
      for row in ok {
        let m = try #require(row.metrics)
        let dominated = ok.contains { other in
          let o = other.metrics!
          return o.latencyMicroseconds <= m.latencyMicroseconds && o.energyMicrojoules <= m.energyMicrojoules
            && (o.latencyMicroseconds < m.latencyMicroseconds || o.energyMicrojoules < m.energyMicrojoules)
        }
        #expect(row.paretoLatencyEnergy == !dominated)
      }
      #expect(ok.contains { $0.paretoLatencyEnergy })
      #expect(ok.contains { $0.paretoLatencyArea })
    }
  }
}
