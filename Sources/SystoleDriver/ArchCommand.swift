import Architecture
import Reporting

/// `systole arch list` and `systole arch show NAME|FILE [--set k=v]... [--json]`.
enum ArchCommand {
  static let command = Driver.Command(
    name: "arch",
    abstract: "List architecture presets or show one architecture's parameters.",
    usage: "systole arch list | systole arch show <preset|file.json> [--set KEY=VALUE]... [--json]",
    discussion: """
      'arch list' prints the presets with their sources. 'arch show' prints every parameter of a
      preset or an architecture JSON file (after --set overrides) with its unit and source, and
      the derived figures (peak MACs/cycle, TOPS, DRAM bytes/cycle, roofline ridge). --json
      prints the architecture in the JSON file format of docs/architecture.md, with the
      derived figures under "derived".
      """,
    options: [
      OptionSpec(name: "set", kind: .value(placeholder: "KEY=VALUE", repeats: true), help: "Override a parameter (dotted key from docs/architecture.md)."),
      OptionSpec(name: "json", kind: .flag, help: "Print JSON instead of text."),
    ],
    run: { args, console in
      guard let verb = args.positionals.first else {
        throw UsageError("expected 'list' or 'show <preset|file.json>'", command: "arch")
      }
      switch verb {
      case "list":
        guard args.positionals.count == 1 else { throw UsageError("'arch list' takes no further arguments", command: "arch") }
        var table = TextTable(headers: ["preset", "array", "clock", "peak", "description"], alignments: [.left, .left, .right, .right, .left])
        for p in ArchSpec.presets {
          let s = p.spec
          table.append([
            p.name, "\(s.array.rows)x\(s.array.cols)", s.clock.description,
            String(format: "%.2f TOPS", s.peakTOPS), p.title,
          ])
        }
        console.out(table.render())
        console.out("\nSources and assumptions: systole arch show <preset>; docs/architecture.md\n")
      case "show":
        guard args.positionals.count == 2 else {
          throw UsageError("'arch show' takes one preset name or JSON file", command: "arch")
        }
        let spec = try ArchSpec.resolve(args.positionals[1], overrides: args.all("set"))
        console.out(args.flag("json") ? spec.jsonString(includeDerived: true) + "\n" : spec.render())
      default:
        throw UsageError("unknown arch subcommand '\(verb)'; expected 'list' or 'show'", command: "arch")
      }
    })
}
