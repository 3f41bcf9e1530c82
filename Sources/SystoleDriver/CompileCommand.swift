import Architecture
import Foundation
import Lowering
import TileISA

/// `systole compile`: lower a model to a tile program and print the mapping report.
enum CompileCommand {
  static let command = Driver.Command(
    name: "compile",
    abstract: "Compile a model to a tile program and report where each operator runs.",
    usage: "systole compile <model.tflite|zoo:NAME> --arch <preset|file.json> [--set K=V]... [-o prog.sasm] [--binary prog.bin] [--dump-after PASS] [--json] [--max-memory SIZE] [--batch N] [--input-shape INPUT=DIMS]...",
    discussion: """
      Runs the compiler's passes (legalize → fuse → tiling → allocate → schedule → emit; see
      docs/compiler.md) and prints the mapping report: per operator where it runs (systolic array,
      vector unit, host fallback, alias) and why, dataflow, tile shape and count, instruction
      count, weight bytes cached on chip versus streamed from DRAM each inference; the SRAM
      high-water mark per memory; and totals. -o writes the program as text assembly
      (docs/isa.md), --binary as the fixed-width binary encoding. --dump-after PASS prints the
      compiler's state after that pass (\(PassName.allCases.map(\.rawValue).joined(separator: ", "))).
      """,
    options: [
      OptionSpec(name: "arch", kind: .value(placeholder: "A", repeats: false), help: "Preset name or architecture JSON (default edge-tpu)."),
      OptionSpec(name: "set", kind: .value(placeholder: "KEY=VALUE", repeats: true), help: "Override an architecture parameter."),
      OptionSpec(name: "dataflow", kind: .value(placeholder: "auto|arch|ws|os|is", repeats: false), help: "Per-layer dataflow choice (default auto)."),
      OptionSpec(name: "o", kind: .value(placeholder: "FILE", repeats: false), help: "Write the program as text assembly."),
      OptionSpec(name: "binary", kind: .value(placeholder: "FILE", repeats: false), help: "Write the program's binary encoding."),
      OptionSpec(name: "dump-after", kind: .value(placeholder: "PASS", repeats: false), help: "Print the compiler state after PASS."),
      OptionSpec(name: "json", kind: .flag, help: "Print the mapping report as JSON."),
      OptionSpec(name: "overwrite", kind: .flag, help: "Replace existing output files."),
      MemoryLimitOption.spec,
    ] + ShapeOptions.specs,
    run: { args, console in
      guard args.positionals.count == 1 else {
        throw UsageError("expected exactly one model; got \(args.positionals.count) arguments", command: "compile")
      }
      let arch = try RunCommand.resolveArch(args.value("arch") ?? "edge-tpu", overrides: args.all("set"))
      let model = try ModelLoader.load(args.positionals[0], shapes: ShapeOptions.parse(args, command: "compile"))
      var options = LoweringOptions()
      options.memoryBudget = try MemoryLimitOption.budget(args, command: "compile")
      options.dataflow = try RunCommand.parseDataflow(args.value("dataflow") ?? "auto")
      let pipeline = LoweringPipeline(arch: arch, options: options)
      if let passName = args.value("dump-after") {
        guard let pass = PassName(rawValue: passName) else {
          throw UsageError(
            "unknown pass '\(passName)'; passes: \(PassName.allCases.map(\.rawValue).joined(separator: ", "))", command: "compile")
        }
        console.out(try pipeline.dump(model, after: pass))
        return
      }
      try FileIO.checkOverwrite(["o", "binary"].compactMap { args.value($0) }, overwrite: args.flag("overwrite"))
      let compiled = try TerminalActivity.run("\(args.positionals[0]) for \(arch.name)", phase: "compiling") { _ in
        try pipeline.compile(model)
      }
      console.out(args.flag("json") ? compiled.report.json.serialized() + "\n" : compiled.report.rendered())
      if let path = args.value("o") {
        try FileIO.write(compiled.program.assembly(), to: path, overwrite: args.flag("overwrite"))
        console.err("wrote \(path) (\(compiled.program.instructions.count) instructions)\n")
      }
      if let path = args.value("binary") {
        try FileIO.write(try compiled.program.encoded(), to: path, overwrite: args.flag("overwrite"))
        console.err("wrote \(path)\n")
      }
    })
}
