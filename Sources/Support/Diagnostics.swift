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
