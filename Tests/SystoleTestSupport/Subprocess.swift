import Foundation

/// The result of running the `systole` executable.
public struct ProcessResult: Sendable {
  public var status: Int32
  public var stdout: String
  public var stderr: String

  public init(status: Int32, stdout: String, stderr: String) {
    self.status = status
    self.stdout = stdout
    self.stderr = stderr
  }
}

/// Runs the built `systole` executable (next to the test bundle in `.build/<config>/`) with
/// `arguments`, from `directory` (default: the package root), and captures its output.
public func runSystole(_ arguments: [String], in directory: URL? = nil) throws -> ProcessResult {
  let process = Process()
  process.executableURL = try systoleExecutable()
  process.arguments = arguments
  process.currentDirectoryURL = directory ?? Fixtures.root
  let out = Pipe()
  let err = Pipe()
  process.standardOutput = out
  process.standardError = err
  try process.run()
  // Read both pipes concurrently so a large output cannot block the child.
  nonisolated(unsafe) var errData = Data()
  let group = DispatchGroup()
  group.enter()
  DispatchQueue.global().async {
    errData = err.fileHandleForReading.readDataToEndOfFile()
    group.leave()
  }
  let outData = out.fileHandleForReading.readDataToEndOfFile()
  group.wait()
  process.waitUntilExit()
  return ProcessResult(
    status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
    stderr: String(decoding: errData, as: UTF8.self))
}

/// The built `systole` executable: next to the test bundle in `.build/<config>/`, else
/// `.build/debug/systole` under the package root.
public func systoleExecutable() throws -> URL {
  let candidates = [
    Bundle.main.executableURL?.deletingLastPathComponent().appendingPathComponent("systole"),
    Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("systole"),
    Fixtures.root.appendingPathComponent(".build/debug/systole"),
  ].compactMap { $0 }
  guard let executable = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
    throw FixtureError("systole executable not found; looked in \(candidates.map(\.path))")
  }
  return executable
}

/// A fresh temporary directory, unique per call.
public func makeTemporaryDirectory() throws -> URL {
  let url = FileManager.default.temporaryDirectory.appendingPathComponent("systole-test-\(UUID().uuidString)")
  try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  return url
}

/// `n` with a comma every three digits (`4,089,184,256`), written independently of the product's
/// formatter so tests can check its output; locale-free.
public func thousandsSeparated(_ n: Int) -> String {
  var s = String(n.magnitude)
  var i = s.count - 3
  while i > 0 {
    s.insert(",", at: s.index(s.startIndex, offsetBy: i))
    i -= 3
  }
  return n < 0 ? "-" + s : s
}

extension ProcessResult {
  /// stderr without the `--help` pointer a usage error (exit 64) ends its one line with
  /// (`error: <what>; see 'systole CMD --help'`), so tests can compare the message itself.
  public var stderrMessage: String {
    stderr.replacingOccurrences(of: #"; see 'systole [a-z]+ --help'\n"#, with: "\n", options: .regularExpression)
  }
}
