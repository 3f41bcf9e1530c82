import Foundation
import Reporting

#if canImport(Glibc)
  import Glibc
#endif

/// `systole trace summary|layers|show|diff`: read back a trace written by `run --trace`.
enum TraceCommand {
  static let command = Driver.Command(
    name: "trace",
    abstract: "Summarize, tabulate, chart or diff traces written by 'run --trace'.",
    usage:
      "systole trace summary FILE | layers FILE [--sort S] [--json] | show FILE [--layer N | --cycles A:B] | diff A B [--json] [--width W]",
    discussion: """
      summary: busy % per unit, cycles, utilization, top stall reasons and energy — the same
      figures 'run' printed. layers: the per-layer table (--sort index|cycles|name|energy|dram).
      show: a text Gantt chart of the hardware units over a cycle window or one layer, fitted to
      --width columns (default: the terminal's, or 100). diff: per-layer and total deltas
      between two runs (cycles, stalls, DRAM bytes, energy). Tables shorten long layer names in
      the middle to fit --width (default: COLUMNS or the terminal's width; not shortened when
      the output is not a terminal); --json prints layers or diff as JSON with full names.
      Traces open in ui.perfetto.dev too (Traces/README.md).
      """,
    options: [
      OptionSpec(name: "sort", kind: .value(placeholder: "S", repeats: false), help: "layers: sort by index, cycles, name, energy or dram."),
      OptionSpec(name: "layer", kind: .value(placeholder: "N", repeats: false), help: "show: chart this layer."),
      OptionSpec(name: "cycles", kind: .value(placeholder: "A:B", repeats: false), help: "show: chart this cycle window."),
      OptionSpec(name: "width", kind: .value(placeholder: "W", repeats: false), help: "show, layers, diff: width in columns."),
      OptionSpec(name: "json", kind: .flag, help: "layers, diff: print JSON (full layer names)."),
    ],
    run: { args, console in
      guard let verb = args.positionals.first else {
        throw UsageError("expected summary, layers, show or diff", command: "trace")
      }
      let files = Array(args.positionals.dropFirst())
      let width = try args.value("width").map { v throws(UsageError) in try parseInteger(v, option: "width", command: "trace") }
      if args.flag("json") && verb != "layers" && verb != "diff" {
        throw UsageError("--json applies to 'trace layers' and 'trace diff'", command: "trace")
      }
      func load(_ path: String) throws -> SystoleTrace {
        guard FileManager.default.fileExists(atPath: path) else { throw DriverError(.cannotRead, "\(path): no such file") }
        return try SystoleTrace(contentsOf: path)
      }
      switch verb {
      case "summary", "layers", "show":
        guard files.count == 1 else { throw UsageError("'trace \(verb)' takes one trace file", command: "trace") }
        let trace = try load(files[0])
        if verb == "summary" {
          console.out(trace.summary())
        } else if verb == "layers" {
          let sortText = args.value("sort") ?? "index"
          guard let sort = TraceLayerSort(rawValue: sortText) else {
            throw UsageError("unknown --sort '\(sortText)'; expected index, cycles, name, energy or dram", command: "trace")
          }
          if args.flag("json") {
            console.out(trace.layersJSON(sortedBy: sort).serialized(pretty: true) + "\n")
          } else {
            console.out(trace.layersTable(sortedBy: sort, width: width ?? terminalColumns()))
          }
        } else {
          let layer = try args.value("layer").map { v throws(UsageError) in try parseInteger(v, option: "layer", command: "trace") }
          let window = try args.value("cycles").map { v throws(TraceError) in try TraceOptions.parseCycleWindow(v, option: "--cycles") }
          console.out(try trace.show(window: window, layer: layer, width: max(width ?? terminalColumns() ?? 100, 40)))
        }
      case "diff":
        guard files.count == 2 else { throw UsageError("'trace diff' takes two trace files", command: "trace") }
        let (a, b) = (try load(files[0]), try load(files[1]))
        if args.flag("json") {
          console.out(a.diffJSON(b).serialized(pretty: true) + "\n")
        } else {
          console.out(a.diff(b, width: width ?? terminalColumns()))
        }
      default:
        throw UsageError("unknown trace subcommand '\(verb)'; expected summary, layers, show or diff", command: "trace")
      }
    })
}

/// The width to fit terminal output to: `COLUMNS` when set, else the terminal's width when
/// standard output is a terminal, else nil (no limit: output to a file or pipe is not cut).
func terminalColumns() -> Int? {
  if let columns = ProcessInfo.processInfo.environment["COLUMNS"].flatMap(Int.init), columns > 0 { return columns }
  #if canImport(Glibc)
    guard isatty(STDOUT_FILENO) == 1 else { return nil }
    var size = winsize()
    guard ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return nil }
    return Int(size.ws_col)
  #else
    return nil
  #endif
}
