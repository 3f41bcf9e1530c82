import Foundation

/// Entry point placeholder; replaced by the command table.
public enum Driver {
  public static func main() {}
}
