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
    ("{", 1, "expected a string key"), ("[1,", 3, "unexpected end of input; expected a value"),
    ("{\"a\" 1}", 5, "expected ':'"), ("[1] x", 4, "unexpected text after the value"), ("\"abc", 4, "unterminated string"),
  ])
  func errorsNameTheOffset(_ text: String, _ offset: Int, _ message: String) {
    #expect(throws: JSONParseError(offset: offset, message: message)) { try JSONValue.parse(text) }
  }

  @Test func seededGeneratorIsDeterministic() {
    var a = SeededGenerator(seed: 42)
    var b = SeededGenerator(seed: 42)
    let xs = (0..<100).map { _ in a.next() }
    #expect(xs == (0..<100).map { _ in b.next() })
    #expect(Set(xs).count == 100)
  }
}
