import Support
import TileISA

/// Checks a Chrome Trace Event Format file, and a Systole trace's own invariants.
///
/// Every trace: valid JSON; an object with a `traceEvents` array; every event an object with a
/// known phase (`X B E i I C M s t f`), numeric `pid`/`ts` where the phase needs them, `X` with
/// `dur ≥ 0`, `C` with only numeric `args`; on each (pid, tid) the `X` slices, sorted by start,
/// follow one another or nest (never partly overlap). A Systole trace (`otherData.generator ==
/// "systole"`) is checked in cycles (`round(ts × clock_mhz)`), and also:
///
/// - when `otherData.complete` (instruction level, no window or layer filter): every instruction
///   that ran — pcs `0 ..< counters.instructions` — appears exactly once;
/// - when no window or layer filter: for each layer `i`, the layers track's slices with
///   `args.layer == i` have durations (in cycles) summing to `run.layers[i].counters.cycles`,
///   and all layer slices plus `run.unattributed.counters.cycles` sum to `run.cycles`;
/// - every occupancy counter (`TraceCounter.memory`) lies in `0 … capacity`, the capacity from
///   `otherData.memory_capacity_bytes`.
public enum TraceValidator {
  /// All problems found, one line each; empty when the trace is valid.
  public static func validate(bytes: [UInt8]) -> [String] {
    let json: JSONValue
    do {
      json = try JSONValue.parse(bytes: bytes)
    } catch {
      return ["invalid JSON: \(error)"]
    }
    guard case .array(let events) = json["traceEvents"] else { return ["no traceEvents array"] }
    var problems: [String] = []
    let other = json["otherData"]
    let isSystole = SystoleTrace.string(other?["generator"]) == "systole"
    let mhz = SystoleTrace.double(other?["clock_mhz"]) ?? 1
    // Slices per track, as (start, end, event index), in the trace's time unit scaled to cycles.
    var tracks: [String: [(start: Int64, end: Int64, index: Int)]] = [:]
    var floatTracks: [String: [(start: Double, end: Double, index: Int)]] = [:]
    var pcs: [Int: Int] = [:]
    var capacities: [String: Double] = [:]
    for memory in OnChipMemory.allCases {
      let counter = TraceCounter.occupancy(of: memory)
      if isSystole, let c = SystoleTrace.double(other?["memory_capacity_bytes"]?[TraceCounter.capacityKey(of: memory)]) {
        capacities[counter.rawValue] = c
      }
    }
    let known: Set<String> = ["X", "B", "E", "i", "I", "C", "M", "s", "t", "f"]
    for (i, event) in events.enumerated() {
      guard case .object = event else {
        problems.append("event #\(i) is not an object")
        continue
      }
      guard let ph = SystoleTrace.string(event["ph"]), known.contains(ph) else {
        problems.append("event #\(i) has an unknown phase \(event["ph"]?.serialized(pretty: false) ?? "(none)")")
        continue
      }
      if ph == "M" { continue }
      guard SystoleTrace.int(event["pid"]) != nil, let ts = SystoleTrace.double(event["ts"]) else {
        problems.append("event #\(i) (\(ph)) needs a numeric pid and ts")
        continue
      }
      if ph == "C" {
        let args = SystoleTrace.pairs(event["args"])
        if args.isEmpty || !args.allSatisfy({ SystoleTrace.double($0.value) != nil }) {
          problems.append("counter event #\(i) needs numeric args")
        } else if let name = SystoleTrace.string(event["name"]), let capacity = capacities[name] {
          for (key, value) in args {
            guard let v = SystoleTrace.double(value), v < 0 || v > capacity else { continue }
            problems.append("counter event #\(i) '\(name)' \(key) = \(v) is outside 0…\(Int64(capacity))")
          }
        }
        continue
      }
      if (ph == "X" || ph == "i"), SystoleTrace.string(event["cat"]) == "instruction",
        let pc = SystoleTrace.int(event["args"]?["pc"])
      {
        pcs[Int(pc), default: 0] += 1
      }
      guard ph == "X" else { continue }
      guard let dur = SystoleTrace.double(event["dur"]), dur >= 0 else {
        problems.append("slice #\(i) needs a non-negative dur")
        continue
      }
      let key = "\(SystoleTrace.int(event["pid"]) ?? 0)/\(SystoleTrace.int(event["tid"]) ?? 0)"
      if isSystole {
        tracks[key, default: []].append((Int64((ts * mhz).rounded()), Int64(((ts + dur) * mhz).rounded()), i))
      } else {
        floatTracks[key, default: []].append((ts, ts + dur, i))
      }
    }
    func checkNesting<T: Comparable>(_ slices: [(start: T, end: T, index: Int)], track: String) {
      let sorted = slices.sorted { $0.start < $1.start || ($0.start == $1.start && $0.end > $1.end) }
      var stack: [(start: T, end: T, index: Int)] = []
      for s in sorted {
        while let top = stack.last, top.end <= s.start { stack.removeLast() }
        if let top = stack.last, s.end > top.end {
          problems.append("track \(track): slice #\(s.index) overlaps slice #\(top.index) without nesting")
          continue
        }
        stack.append(s)
      }
    }
    for (track, slices) in tracks.sorted(by: { $0.key < $1.key }) { checkNesting(slices, track: track) }
    for (track, slices) in floatTracks.sorted(by: { $0.key < $1.key }) { checkNesting(slices, track: track) }
    guard isSystole, let other, let run = other["run"] else { return problems }

    let filtered = other["cycle_window"] != .null || other["layer_range"] != .null
    if other["complete"] == .bool(true) {
      let count = Int(SystoleTrace.int(run["counters"]?["instructions"]) ?? 0)
      let missing = (0..<count).filter { pcs[$0] == nil }
      if !missing.isEmpty {
        problems.append("\(missing.count) instructions missing, first pc \(missing[0])")
      }
      for (pc, n) in pcs.sorted(by: { $0.key < $1.key }) where n != 1 || pc < 0 || pc >= count {
        problems.append("instruction pc \(pc) appears \(n) times (expected once, pcs 0..<\(count))")
      }
    }
    if !filtered {
      var perLayer: [Int: Int64] = [:]
      for event in events where SystoleTrace.string(event["cat"]) == "layer" {
        guard let layer = SystoleTrace.int(event["args"]?["layer"]), let ts = SystoleTrace.double(event["ts"]),
          let dur = SystoleTrace.double(event["dur"])
        else {
          problems.append("a layer slice lacks args.layer, ts or dur")
          continue
        }
        perLayer[Int(layer), default: 0] += Int64(((ts + dur) * mhz).rounded()) - Int64((ts * mhz).rounded())
      }
      let layers = SystoleTrace.array(run["layers"]) ?? []
      var sum: Int64 = 0
      for (i, layer) in layers.enumerated() {
        let reported = SystoleTrace.int(layer["counters"]?["cycles"]) ?? 0
        let traced = perLayer[i] ?? 0
        sum += traced
        if reported != traced {
          problems.append("layer \(i): layer slices sum to \(traced) cycles, the run reports \(reported)")
        }
      }
      let rest = SystoleTrace.int(run["unattributed"]?["counters"]?["cycles"]) ?? 0
      let total = SystoleTrace.int(run["cycles"]) ?? 0
      if sum + rest != total {
        problems.append("layer slices (\(sum)) plus unattributed (\(rest)) cycles are not the run's \(total)")
      }
    }
    return problems
  }
}
