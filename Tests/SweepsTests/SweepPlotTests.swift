import Sweeps
import Testing

@Suite struct SweepPlotTests {
  @Test func pageHasEveryChart() throws {
    let base = try smallBase()
    let axes = try SweepSpec.parseAxes(["array=32x32,64x64", "dataflow=ws,os"], base: base)
    let study = try SweepRunner.run(spec: SweepSpec(models: ["small"], base: base, axes: axes), evaluator: FakeEvaluator())
    let html = SweepPlot.html(study)
    #expect(html.hasPrefix("<!DOCTYPE html>"))
    #expect(!html.contains("<script"))
    // scatter + one line chart per axis + heatmap
    #expect(html.components(separatedBy: "<svg ").count - 1 == 1 + 2 + 1)
    #expect(html.contains("latency per inference (µs)"))
    #expect(html.contains("energy per inference (µJ)"))
    // The array chart holds dataflow at the base value, ws.
    #expect(html.contains("Latency vs array (dataflow=ws)"))
    #expect(html.contains("Latency vs dataflow (array=64x64)"))
    #expect(html.components(separatedBy: "<rect ").count - 1 == 4)
  }

  @Test func progressBarFrames() {
    #expect(TerminalProgressBar.line(completed: 3, total: 10, elapsed: 6, label: "m", width: 10)
      == "\r[###·······] 3/10 30%  ETA 14s  m\u{1B}[K")
    #expect(TerminalProgressBar.line(completed: 10, total: 10, elapsed: 125, label: "", width: 4)
      == "\r[####] 10/10 100%  done in 2m05s  \u{1B}[K")
  }

  @Test func programCacheComputesEachKeyOnce() throws {
    let cache = ProgramCache<String, Int>()
    for key in ["a", "b", "a", "a", "b"] { _ = try cache.value(for: key) { key.count } }
    #expect(cache.computeCount == 2)
  }

  @Test func programCacheKeepsOnlyItsCapacity() throws {
    let cache = ProgramCache<Int, Int>(capacity: 2)
    for key in [1, 2, 1, 3, 1, 2] { _ = try cache.value(for: key) { key * 10 } }
    // 1, 2 computed; 1 cached; 3 evicts 1; 1 recomputed (evicts 2); 2 recomputed.
    #expect(cache.computeCount == 5)
    #expect(try cache.value(for: 2) { -1 } == 20)
  }
}
