/// An error about something the user gave (a file, a flag, a configuration).
///
/// Every module has one error type conforming to this protocol. Its `description` is one line
/// that names the place (file, byte offset, operator, field) and what was expected. Only the
/// driver turns these into text on stderr and an exit code.
public protocol SystoleError: Error, CustomStringConvertible, Sendable {}

/// Formats a byte offset the way every message in Systole does: `@0x3f20`.
public func formatOffset(_ offset: Int) -> String {
  "@0x" + String(offset, radix: 16)
}

/// Shortens a name for a one-line message: names up to `limit` characters are kept; longer ones
/// (converters fuse many layer names into one, 300+ characters) become `head…tail`, keeping the
/// first and last parts, which carry the layer and the op. Full names go to `--json` and `inspect`.
public func shortName(_ name: String, limit: Int = 48) -> String {
  guard name.count > limit, limit >= 8 else { return name }
  let head = (limit - 1) * 2 / 3
  let tail = limit - 1 - head
  return String(name.prefix(head)) + "…" + String(name.suffix(tail))
}
