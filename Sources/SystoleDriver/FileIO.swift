import Dispatch
import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// File access for the driver: every failure is a ``DriverError`` naming the path.
///
/// Outputs are written atomically: to a temporary file in the output's own directory, renamed
/// onto the final path once complete. A failed or interrupted command (an error, Ctrl-C,
/// `SIGTERM`) removes its temporary files, so no output path ever holds a partial file. A file
/// that exists is replaced only with `--overwrite`; commands with several outputs call
/// ``checkOverwrite(_:overwrite:)`` on all of them before writing any.
enum FileIO {
  static func read(_ path: String) throws(DriverError) -> [UInt8] {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
      throw DriverError(.cannotRead, "\(path): no such file")
    }
    guard !isDirectory.boolValue else { throw DriverError(.cannotRead, "\(path): is a directory; expected a file") }
    guard let data = FileManager.default.contents(atPath: path) else {
      throw DriverError(.cannotRead, "\(path): cannot be read")
    }
    return [UInt8](data)
  }

  /// Creates `path` as a directory if missing; fails if it is a file.
  static func makeDirectory(_ path: String) throws(DriverError) {
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
      guard isDirectory.boolValue else { throw DriverError(.cannotWrite, "\(path): exists and is not a directory") }
      return
    }
    do {
      try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    } catch {
      throw DriverError(.cannotWrite, "\(path): cannot create directory (\(error.localizedDescription))")
    }
  }

  /// Fails, naming every one of `paths` that already exists, unless `overwrite`; a path that is
  /// a directory fails either way. Commands call this with all their outputs before writing any.
  static func checkOverwrite(_ paths: [String], overwrite: Bool) throws(DriverError) {
    var existing: [String] = []
    for path in paths where !existing.contains(path) {
      var isDirectory: ObjCBool = false
      guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { continue }
      if isDirectory.boolValue { throw DriverError(.cannotWrite, "\(path): is a directory; expected a file name") }
      existing.append(path)
    }
    guard !existing.isEmpty, !overwrite else { return }
    if existing.count == 1 {
      throw DriverError(.cannotWrite, "\(existing[0]): already exists; pass --overwrite to replace it")
    }
    let shown = existing.prefix(3).joined(separator: ", ") + (existing.count > 3 ? ", … (\(existing.count) files)" : "")
    throw DriverError(.cannotWrite, "\(shown): already exist; pass --overwrite to replace them")
  }

  /// Writes `bytes` to `path` atomically; an existing file is replaced only when `overwrite` is
  /// true.
  static func write(_ bytes: [UInt8], to path: String, overwrite: Bool) throws(DriverError) {
    try checkOverwrite([path], overwrite: overwrite)
    let file = try PendingFile(finalPath: path)
    do {
      try file.handle.write(contentsOf: bytes)
    } catch {
      file.discard()
      throw DriverError(.cannotWrite, "\(path): cannot be written (\(error.localizedDescription))")
    }
    try file.commit(overwrite: overwrite)
  }

  static func write(_ text: String, to path: String, overwrite: Bool) throws(DriverError) {
    try write(Array(text.utf8), to: path, overwrite: overwrite)
  }
}

/// An output being written under a temporary name in its final directory
/// (`.NAME.systole-tmp-PID-RANDOM`); ``commit(overwrite:)`` renames it onto the final path,
/// ``discard()`` removes it. Until then it is registered with ``TemporaryFiles`` so that an
/// interrupt removes it too.
final class PendingFile {
  /// Where the file ends up.
  let finalPath: String
  /// Where it is written meanwhile.
  let temporaryPath: String
  /// The open temporary file.
  let handle: FileHandle
  private var finished = false

  /// Creates the temporary file next to `finalPath`.
  init(finalPath: String) throws(DriverError) {
    self.finalPath = finalPath
    let url = URL(fileURLWithPath: finalPath)
    let directory = url.deletingLastPathComponent().path
    let name = ".\(url.lastPathComponent).systole-tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    temporaryPath = (directory as NSString).appendingPathComponent(name)
    TemporaryFiles.shared.register(temporaryPath)
    guard FileManager.default.createFile(atPath: temporaryPath, contents: nil),
      let handle = FileHandle(forWritingAtPath: temporaryPath)
    else {
      TemporaryFiles.shared.remove(temporaryPath)
      throw DriverError(.cannotWrite, "\(finalPath): cannot be written")
    }
    self.handle = handle
  }

  /// Closes the file and moves it onto `finalPath`. Without `overwrite` an existing file there
  /// is never replaced, even one created meanwhile (the move is a hard link, which fails when
  /// the name exists).
  func commit(overwrite: Bool) throws(DriverError) {
    precondition(!finished, "\(finalPath): committed twice")
    finished = true
    do {
      try handle.close()
    } catch {
      TemporaryFiles.shared.remove(temporaryPath)
      throw DriverError(.cannotWrite, "\(finalPath): cannot be written (\(error.localizedDescription))")
    }
    let moved = TemporaryFiles.shared.commit(temporaryPath) { () -> Int32 in
      if overwrite { return rename(temporaryPath, finalPath) == 0 ? 0 : errno }
      if link(temporaryPath, finalPath) == 0 {
        unlink(temporaryPath)
        return 0
      }
      let error = errno
      // File systems without hard links: check, then rename (a small race, never a partial file).
      if error == EPERM || error == ENOTSUP || error == EXDEV {
        if FileManager.default.fileExists(atPath: finalPath) { return EEXIST }
        return rename(temporaryPath, finalPath) == 0 ? 0 : errno
      }
      return error
    }
    switch moved {
    case 0:
      return
    case EEXIST:
      throw DriverError(.cannotWrite, "\(finalPath): already exists; pass --overwrite to replace it")
    case let code:
      throw DriverError(.cannotWrite, "\(finalPath): cannot be written (\(String(cString: strerror(code))))")
    }
  }

  /// Closes and removes the temporary file (after an error).
  func discard() {
    guard !finished else { return }
    finished = true
    try? handle.close()
    TemporaryFiles.shared.remove(temporaryPath)
  }

  deinit { discard() }
}

/// The temporary files of this process, removed if it is interrupted.
///
/// Process-wide by nature (a signal is): the first registration installs handlers for `SIGINT`,
/// `SIGTERM` and `SIGHUP` that remove every registered file and then end the process with the
/// signal's default action (so the exit status still says "interrupted").
final class TemporaryFiles: @unchecked Sendable {
  static let shared = TemporaryFiles()

  private let lock = NSLock()
  private var paths: Set<String> = []
  private var interrupted = false
  private var sources: [any DispatchSourceSignal] = []
  private var installed = false

  /// Tracks `path` until it is committed or removed.
  func register(_ path: String) {
    lock.withLock {
      paths.insert(path)
      if !installed {
        installed = true
        installHandlers()
      }
    }
  }

  /// Removes `path` from disk and from the registry.
  func remove(_ path: String) {
    lock.withLock {
      paths.remove(path)
      unlink(path)
    }
  }

  /// Runs `move` (which takes the file away from `path`) unless an interrupt is being handled,
  /// then forgets `path`; returns `move`'s errno (`EINTR` if interrupted).
  func commit(_ path: String, move: () -> Int32) -> Int32 {
    lock.withLock {
      guard !interrupted else { return EINTR }
      let result = move()
      if result == 0 { paths.remove(path) } else { unlink(path); paths.remove(path) }
      return result
    }
  }

  /// Must be called with the lock held.
  private func installHandlers() {
    for signalNumber in [SIGINT, SIGTERM, SIGHUP] {
      signal(signalNumber, SIG_IGN)
      let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
      source.setEventHandler { [self] in
        lock.withLock {
          interrupted = true
          for path in paths { unlink(path) }
          paths.removeAll()
        }
        // End with the signal's default action. Dispatch may keep the signal blocked in its
        // threads, so unblock it here; should it still not end the process, exit as a shell
        // reports a signal (128 + n).
        signal(signalNumber, SIG_DFL)
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, signalNumber)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        raise(signalNumber)
        _exit(128 + signalNumber)
      }
      source.resume()
      sources.append(source)
    }
  }
}
