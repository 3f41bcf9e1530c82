import Foundation
import GoldenModel
import Support
import TFLiteImport
import Architecture
import CycleSim
import Lowering
import ModelZoo
import Pipeline
import Quantizer
import Reporting
import Sweeps

/// The `systole` command: a table of subcommands, argument parsing, and the one place where
/// errors become text on stderr and exit codes.
///
/// Exit codes follow BSD `sysexits.h`, documented in `docs/cli.md`: 0 success, 64 usage error,
/// 65 bad input data (a corrupt model, an unsupported op, an input of the wrong size),
/// 66 an input file missing or unreadable, 73 an output that cannot be written or would be
/// overwritten without `--overwrite`.
public enum Driver {
  /// A subcommand.
  struct Command: Sendable {
    var name: String
    var abstract: String
    var usage: String
    var discussion: String
    var options: [OptionSpec]
    var run: @Sendable (ParsedArguments, inout Console) throws -> Void
  }

  /// Where a command writes its results (stdout) and notes (stderr).
  struct Console {
    var out: (String) -> Void
    var err: (String) -> Void
  }

  static let commands: [Command] = [
    DemoCommand.command, InspectCommand.command, EvalCommand.command, CompileCommand.command, RunCommand.command, TraceCommand.command, SweepCommand.command, ArchCommand.command,
    BenchCommand.command,
    QuantizeCommand.command,
    CompareCommand.command,
    ValidateCommand.command,
  ]

  /// Runs the command line and exits the process with the resulting status.
  public static func main() -> Never {
    let status = run(Array(CommandLine.arguments.dropFirst()))
    exit(status)
  }

  /// Runs `arguments` (without the program name) and returns the exit status.
  public static func run(_ arguments: [String]) -> Int32 {
    var console = Console(
      out: { FileHandle.standardOutput.write(Data($0.utf8)) },
      err: { FileHandle.standardError.write(Data($0.utf8)) })
    return run(arguments, console: &console)
  }

  static func run(_ arguments: [String], console: inout Console) -> Int32 {
    guard let first = arguments.first else {
      console.err(topLevelHelp())
      return 64
    }
    if first == "--help" || first == "-h" || first == "help" {
      if arguments.count > 1, let c = commands.first(where: { $0.name == arguments[1] }) {
        console.out(help(for: c))
      } else {
        console.out(topLevelHelp())
      }
      return 0
    }
    if first == "--version" {
      console.out("systole \(version)\n")
      return 0
    }
    guard let command = commands.first(where: { $0.name == first }) else {
      console.err("error: unknown command '\(first)'; commands: \(commands.map(\.name).joined(separator: ", "))\n")
      return 64
    }
    let rest = Array(arguments.dropFirst())
    if rest.contains("--help") || rest.contains("-h") {
      console.out(help(for: command))
      return 0
    }
    do {
      let parsed = try ParsedArguments.parse(rest, options: command.options, command: command.name)
      try command.run(parsed, &console)
      return 0
    } catch let e as UsageError {
      // One line, as every other error: the message, then where the usage is.
      console.err("error: \(e.message); see 'systole \(command.name) --help'\n")
      return 64
    } catch {
      console.err("error: \(error)\n")
      return exitCode(for: error)
    }
  }

  /// Maps an error to its exit status (see the type's documentation).
  static func exitCode(for error: any Error) -> Int32 {
    switch error {
    case is UsageError: return 64
    case let e as DriverError:
      switch e.kind {
      case .cannotRead: return 66
      case .cannotWrite: return 73
      case .badData: return 65
      }
    case is TFLiteImportError, is GoldenModelError, is ArchError: return 65
    case is ModelZooError: return 64
    case let e as SweepError:
      // A bad --vary, --shard or an oversized product is a usage problem; bad files are data.
      switch e.kind {
      case .badAxis, .badShard, .tooManyPoints: return 64
      case .badPointsFile, .badCSV, .mismatchedParts: return 65
      }
    case is LoweringError, is SimulatorError, is PipelineError, is TraceError: return 65
    case let e as QuantizerError:
      switch e.kind {
      case .calibrationUnreadable: return 66
      case .invalidOption: return 64
      default: return 65
      }
    default: return 70
    }
  }

  static let version = "0.1.0"

  static func topLevelHelp() -> String {
    var s = """
      OVERVIEW: Systole — a simulator of a TPU-style int8 systolic-array accelerator and its compiler.

      USAGE: systole <command> [options]

      COMMANDS:

      """
    let width = (commands.map(\.name.count).max() ?? 0) + 2
    for c in commands {
      s += "  " + c.name.padding(toLength: width, withPad: " ", startingAt: 0) + c.abstract + "\n"
    }
    s += "\n  See 'systole <command> --help' for a command's options.\n"
    return s
  }

  static func help(for c: Command) -> String {
    var s = "OVERVIEW: \(c.abstract)\n\nUSAGE: \(c.usage)\n"
    if !c.discussion.isEmpty { s += "\n" + c.discussion + "\n" }
    var labels = c.options.map { o -> String in
      switch o.kind {
      case .flag: "--\(o.name)"
      case .value(let p, _): "--\(o.name) <\(p)>"
      }
    }
    var helps = c.options.map(\.help)
    labels.append("--help")
    helps.append("Show help for this command.")
    s += "\nOPTIONS:\n"
    let width = (labels.map(\.count).max() ?? 0) + 2
    for (label, text) in zip(labels, helps) {
      s += "  " + label.padding(toLength: width, withPad: " ", startingAt: 0) + text + "\n"
    }
    return s
  }
}
