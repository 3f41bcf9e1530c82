/// A set of byte addresses, as a sparse paged bitmap: which bytes of a memory have been written.
struct ByteCoverage {
  private static let pageShift = 15
  private static let wordsPerPage = (1 << pageShift) / 64
  private var pages: [Int: [UInt64]] = [:]

  /// Adds every byte of `range`.
  mutating func insert(_ range: Range<Int>) {
    var i = range.lowerBound
    while i < range.upperBound {
      let page = i >> Self.pageShift
      let pageEnd = min((page + 1) << Self.pageShift, range.upperBound)
      Self.mark(&pages[page, default: [UInt64](repeating: 0, count: Self.wordsPerPage)], from: i, to: pageEnd)
      i = pageEnd
    }
  }

  private static func mark(_ words: inout [UInt64], from start: Int, to end: Int) {
    var j = start
    while j < end {
      let bit = j & 63
      let n = min(64 - bit, end - j)
      let mask: UInt64 = n == 64 ? ~0 : ((1 << UInt64(n)) - 1) << UInt64(bit)
      words[(j >> 6) & (wordsPerPage - 1)] |= mask
      j += n
    }
  }

  /// The first byte of `range` not in the set, or nil when all are.
  func firstMissing(in range: Range<Int>) -> Int? {
    var j = range.lowerBound
    while j < range.upperBound {
      let page = j >> Self.pageShift
      guard let words = pages[page] else { return j }
      let pageEnd = min((page + 1) << Self.pageShift, range.upperBound)
      while j < pageEnd {
        let bit = j & 63
        let n = min(64 - bit, pageEnd - j)
        let mask: UInt64 = n == 64 ? ~0 : ((1 << UInt64(n)) - 1) << UInt64(bit)
        let missing = ~words[(j >> 6) & (Self.wordsPerPage - 1)] & mask
        if missing != 0 { return (j & ~63) + missing.trailingZeroBitCount }
        j += n
      }
    }
    return nil
  }
}
