import Support
import Testing

@Suite struct JSONValueTests {
  @Test func roundTripKeepsKeyOrder() throws {
    let v = JSONValue.object([
      ("z", .int(1)), ("a", .array([.double(1.5), .string("x\"y\n"), .null, .bool(true)])),
      ("m", .object([("k", .int(-3))])),
    ])
    for pretty in [true, false] {
      let text = v.serialized(pretty: pretty)
      #expect(try JSONValue.parse(text) == v)
    }
    #expect(v.serialized(pretty: false) == #"{"z":1,"a":[1.5,"x\"y\n",null,true],"m":{"k":-3}}"#)
  }

  @Test(arguments: [
    ("{", 1, 2, "expected a key in double quotes, found the end of the file"),
    ("[1,", 1, 4, "expected a value, found the end of the file"),
    ("{\"a\" 1}", 1, 6, "expected ':' after the key \"a\", found '1'"),
    ("[1] x", 1, 5, "unexpected text after the JSON value"),
    ("\"abc", 1, 1, "unterminated string"),
    ("{\"a\": 1,\n \"a\": 2}", 2, 2, "duplicate key \"a\""),
  ])
  func errorsNameLineAndColumn(_ text: String, _ line: Int, _ column: Int, _ message: String) {
    do {
      _ = try JSONValue.parse(text)
      Issue.record("parsed invalid JSON \(text)")
    } catch {
      #expect(error.line == line && error.column == column && error.message == message, "\(error)")
    }
  }

  @Test func seededGeneratorIsDeterministic() {
    var a = SeededGenerator(seed: 42)
    var b = SeededGenerator(seed: 42)
    let xs = (0..<100).map { _ in a.next() }
    #expect(xs == (0..<100).map { _ in b.next() })
    #expect(Set(xs).count == 100)
  }
}
