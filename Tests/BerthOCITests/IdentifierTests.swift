import BerthErrors
import BerthOCI
import Testing

@Suite("Identifier")
struct IdentifierTests {
    static let valid = [
        "a", "Z", "0", "abc", "ABC-def", "a.b", "a_b", "a-b", "a.b_c-d", "0123456789", "a1.b2-c3_d4",
        "my-container.1", "default", "k8s.io", "moby",
        String(repeating: "a", count: 76),
        String(repeating: "a-", count: 37) + "ab",  // 76 characters with separators
    ]

    @Test("valid identifiers", arguments: valid)
    func acceptsValid(_ identifier: String) throws {
        try Identifier.validate(identifier)
        #expect(Identifier.isValid(identifier))
    }

    /// (identifier, a fragment the error message must contain).
    static let invalid: [(String, String)] = [
        ("", "must not be empty"),
        (String(repeating: "a", count: 77), "greater than maximum length (76 characters)"),
        (String(repeating: "a.", count: 38) + "a", "greater than maximum length"),
        (String(repeating: "é", count: 39), "greater than maximum length"),  // 78 bytes
        ("a..b", "consecutive separators at offset 1"),
        ("a__b", "consecutive separators"),
        ("a.-b", "consecutive separators"),
        ("-a", "must start with a letter or digit, not '-'"),
        (".a", "must start with a letter or digit, not '.'"),
        ("_a", "must start with a letter or digit, not '_'"),
        ("..", "must start with a letter or digit"),
        (".", "must start with a letter or digit"),
        ("a-", "must end with a letter or digit"),
        ("a.", "must end with a letter or digit"),
        ("a/b", "invalid character '/' at offset 1"),
        ("../etc", "must start with a letter or digit"),
        ("a b", "invalid character ' ' at offset 1"),
        ("a:b", "invalid character ':'"),
        ("a+b", "invalid character '+'"),
        ("a*", "invalid character '*'"),
        ("café", "invalid character 'é' at offset 3"),
        ("日本", "invalid character '日' at offset 0"),
        ("a\u{1F600}", "invalid character '\u{1F600}'"),
        ("a\nb", "control character U+000A at offset 1"),
        ("a\u{0}b", "control character U+0000"),
    ]

    @Test("invalid identifiers are rejected with a clear message", arguments: invalid)
    func rejectsInvalid(_ identifier: String, _ fragment: String) throws {
        let error = try #require(throws: OCIError.self) { try Identifier.validate(identifier) }
        #expect(error.code == .invalidArgument)
        #expect(error.message.contains(fragment), "message: \(error.message)")
        if !identifier.isEmpty {
            #expect(error.message.hasPrefix("identifier \"\(identifier)\" "), "message: \(error.message)")
        }
        #expect(!Identifier.isValid(identifier))
    }

    @Test("the length limit is 76")
    func lengthLimit() {
        #expect(Identifier.maxLength == 76)
        #expect(Identifier.isValid(String(repeating: "x", count: 76)))
        #expect(!Identifier.isValid(String(repeating: "x", count: 77)))
    }
}
