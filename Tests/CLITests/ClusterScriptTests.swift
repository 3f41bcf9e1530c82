import Foundation
import SystoleTestSupport
import Testing

/// The example cluster scripts in `Programs/sweeps/` run as written, with a fake array index.
///
/// Each script's study has 2 models × 3 × 3 × 3 × 2 settings = 108 points; the tests ask for 108
/// shards (the scripts' own shard count is 16) so that one task or pod evaluates one point, and
/// put the built `systole` and a fake `sbatch` that records its arguments first on `PATH`.
@Suite struct ClusterScriptTests {
  static let points = 108

  /// A directory with `bin/systole` (the built executable) and `bin/sbatch` (appends its
  /// arguments, one call per line, to `sbatch.log`).
  func workspace() throws -> URL {
    let dir = try makeTemporaryDirectory()
    let bin = dir.appendingPathComponent("bin")
    try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
    try FileManager.default.createSymbolicLink(
      at: bin.appendingPathComponent("systole"), withDestinationURL: try systoleExecutable())
    let sbatch = bin.appendingPathComponent("sbatch")
    try Data("#!/bin/sh\nprintf '%s\\n' \"$*\" >> \"$SBATCH_LOG\"\n".utf8).write(to: sbatch)
    try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: sbatch.path)
    return dir
  }

  /// Runs `arguments` (through `/bin/sh` or `/bin/bash`) in `dir` with `environment` added.
  func shell(_ launcher: String, _ arguments: [String], in dir: URL, environment: [String: String]) throws -> ProcessResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: launcher)
    process.arguments = arguments
    process.currentDirectoryURL = dir
    var env = ProcessInfo.processInfo.environment
    env["PATH"] = dir.appendingPathComponent("bin").path + ":" + (env["PATH"] ?? "/usr/bin:/bin")
    for (k, v) in environment { env[k] = v }
    process.environment = env
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return ProcessResult(
      status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
      stderr: String(decoding: errData, as: UTF8.self))
  }

  func rows(_ url: URL) throws -> [String] {
    String(decoding: try Data(contentsOf: url), as: UTF8.self).split(separator: "\n").dropFirst().map(String.init)
  }

  @Test func slurmArrayTasksRunTheirShardAndTaskZeroQueuesTheMerge() throws {
    let dir = try workspace()
    defer { try? FileManager.default.removeItem(at: dir) }
    let script = Fixtures.root.appendingPathComponent("Programs/sweeps/slurm.sh").path
    for task in 0..<2 {
      let r = try shell(
        "/bin/bash", [script], in: dir,
        environment: [
          "SLURM_ARRAY_TASK_COUNT": "\(Self.points)", "SLURM_ARRAY_TASK_ID": "\(task)", "SLURM_ARRAY_JOB_ID": "42",
          "SLURM_CPUS_PER_TASK": "1", "SBATCH_LOG": dir.appendingPathComponent("sbatch.log").path,
        ])
      #expect(r.status == 0, "task \(task): \(r.stderr)")
      let part = try rows(dir.appendingPathComponent("parts/part-\(task).csv"))
      #expect(part.count == 1 && part[0].contains(",ok,"), "task \(task): \(part)")
    }
    // Only task 0 submits the merge, after the whole array.
    let calls = String(decoding: try Data(contentsOf: dir.appendingPathComponent("sbatch.log")), as: UTF8.self)
      .split(separator: "\n").map(String.init)
    #expect(calls.count == 1)
    let call = try #require(calls.first)
    #expect(call.hasPrefix("--dependency=afterok:42 --job-name=systole-sweep-merge --wrap "))
    // The queued merge command works on the parts.
    let wrapped = String(call.dropFirst("--dependency=afterok:42 --job-name=systole-sweep-merge --wrap ".count))
    let merge = try shell("/bin/sh", ["-c", wrapped], in: dir, environment: [:])
    #expect(merge.status == 0, "\(merge.stderr)")
    #expect(try rows(dir.appendingPathComponent("study.csv")).count == 2)
    #expect(merge.stdout.hasPrefix("best by edp:"))
  }

  /// The pod command of the first Job and the merge Job's command, unfolded (`>-` joins lines
  /// with spaces).
  func kubernetesCommands() throws -> [String] {
    let text = String(
      decoding: try Data(contentsOf: Fixtures.root.appendingPathComponent("Programs/sweeps/k8s-indexed-job.yaml")),
      as: UTF8.self)
    var commands: [String] = []
    var current: [String]?
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
      let trimmed = line.trimmingCharacters(in: .whitespaces)
      if trimmed == "- >-" {
        current = []
      } else if var c = current {
        if trimmed.hasSuffix(":") || trimmed.hasPrefix("volumeMounts") || trimmed.isEmpty {
          commands.append(c.joined(separator: " "))
          current = nil
        } else {
          c.append(trimmed)
          current = c
        }
      }
    }
    return commands
  }

  @Test func kubernetesIndexedPodsRunTheirShardAndTheMergeJobJoinsThem() throws {
    let dir = try workspace()
    defer { try? FileManager.default.removeItem(at: dir) }
    let commands = try kubernetesCommands()
    try #require(commands.count == 2, "\(commands)")
    #expect(commands[0].contains("--shard \"${JOB_COMPLETION_INDEX}/16\""))
    // The shared volume is a temporary directory; 108 shards so that each pod runs one point.
    func local(_ command: String) -> String {
      command.replacingOccurrences(of: "/data", with: dir.path)
        .replacingOccurrences(of: "${JOB_COMPLETION_INDEX}/16", with: "${JOB_COMPLETION_INDEX}/\(Self.points)")
        .replacingOccurrences(of: "--jobs 8", with: "--jobs 1")
    }
    for index in [0, 5] {
      let r = try shell("/bin/sh", ["-c", local(commands[0])], in: dir, environment: ["JOB_COMPLETION_INDEX": "\(index)"])
      #expect(r.status == 0, "pod \(index): \(r.stderr)")
      let part = try rows(dir.appendingPathComponent("parts/part-\(index).csv"))
      #expect(part.count == 1 && part[0].contains(",ok,"), "pod \(index): \(part)")
    }
    let merge = try shell("/bin/sh", ["-c", local(commands[1])], in: dir, environment: [:])
    #expect(merge.status == 0, "\(merge.stderr)")
    #expect(try rows(dir.appendingPathComponent("study.csv")).count == 2)
  }
}
