import BerthErrors
import BerthOCI
import Foundation
import Testing

@Suite("Digest")
struct DigestTests {
    static let emptySHA256 = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    static let abcSHA256 = "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    static let emptySHA512 =
        "sha512:cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
        + "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"
    static let abcSHA512 =
        "sha512:ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
        + "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"

    /// 100 000 bytes of a simple pattern; digest computed independently with Python's hashlib.
    static let pattern = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 * 7 + 3) }
    static let patternSHA256 = "sha256:d96bab6a55ee326ba206dd4a85a6e95e14360d7fabbf448f03e689c24382b7d0"

    // MARK: Known vectors

    @Test("known SHA-256 and SHA-512 vectors")
    func knownVectors() throws {
        #expect(Digest.sha256(of: [UInt8]()).description == Self.emptySHA256)
        #expect(Digest.sha256(of: Array("abc".utf8)).description == Self.abcSHA256)
        #expect(Digest.sha256(of: "abc".utf8).description == Self.abcSHA256)
        #expect(Digest.sha512(of: [UInt8]()).description == Self.emptySHA512)
        #expect(Digest.sha512(of: "abc".utf8).description == Self.abcSHA512)
        #expect(Digest.compute(of: "abc".utf8) == (try Digest(parsing: Self.abcSHA256)))
        #expect(Digest.sha256(of: Self.pattern).description == Self.patternSHA256)
    }

    // MARK: Parsing

    @Test(
        "valid digests parse and print back unchanged",
        arguments: [emptySHA256, abcSHA256, emptySHA512, abcSHA512])
    func parsesValid(_ string: String) throws {
        let digest = try Digest(parsing: string)
        #expect(digest.description == string)
        #expect(Digest(string) == digest)
        #expect(Digest.isValid(string))
        let (algorithm, encoded) = try #require(
            string.split(separator: ":", maxSplits: 1).map(String.init).splitPair())
        #expect(digest.algorithm.name == algorithm)
        #expect(digest.encoded == encoded)
        #expect(digest.hashBytes.count == digest.algorithm.byteCount)
        #expect(try Digest(algorithm: digest.algorithm, hashBytes: digest.hashBytes) == digest)
    }

    static let hex64 = String(repeating: "a", count: 64)

    /// (input, a fragment the error message must contain).
    static let invalid: [(String, String)] = [
        ("", "empty"),
        ("sha256", "missing ':'"),
        ("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "missing ':'"),
        (":" + hex64, "empty algorithm"),
        ("sha256:", "empty encoded"),
        ("sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855", "lowercase hex"),
        ("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85G", "lowercase hex"),
        ("sha256:abc", "must be 64 characters, got 3"),
        ("sha256:" + String(repeating: "a", count: 63), "must be 64 characters, got 63"),
        ("sha256:" + String(repeating: "a", count: 65), "must be 64 characters, got 65"),
        ("sha512:" + hex64, "must be 128 characters, got 64"),
        ("md5:d41d8cd98f00b204e9800998ecf8427e", "unsupported algorithm \"md5\""),
        ("sha384:" + hex64, "unsupported algorithm"),
        ("sha256+b64u:LCa0a2j_xo_5m0U8HTBBNBNCLXBkg7-g-YpeiGJm564", "unsupported algorithm"),
        ("SHA256:" + hex64, "must match [a-z0-9]+"),
        ("sha 256:" + hex64, "must match [a-z0-9]+"),
        ("-sha256:" + hex64, "misplaced separator"),
        ("sha__256:" + hex64, "misplaced separator"),
        ("sha256-:" + hex64, "must not end with a separator"),
        ("sha256:" + hex64 + ":", "encoded portion must match"),
        ("sha256:" + String(repeating: "a", count: 63) + " ", "encoded portion must match"),
        ("sha256:" + String(repeating: "a", count: 63) + "é", "encoded portion must match"),
    ]

    @Test("invalid digests are rejected with a message naming the input", arguments: invalid)
    func rejectsInvalid(_ input: String, _ fragment: String) throws {
        let error = try #require(throws: OCIError.self) { try Digest(parsing: input) }
        #expect(error.code == .invalidArgument)
        #expect(error.message.contains("\"\(input)\""), "message: \(error.message)")
        #expect(error.message.contains(fragment), "message: \(error.message)")
        #expect(Digest(input) == nil)
        #expect(!Digest.isValid(input))
    }

    @Test("algorithms: only sha256 and sha512 are supported")
    func algorithms() throws {
        #expect(try Digest.Algorithm("sha256") == .sha256)
        #expect(try Digest.Algorithm("sha512") == .sha512)
        #expect(Digest.Algorithm.canonical == .sha256)
        #expect(Digest.Algorithm.sha256.encodedLength == 64)
        #expect(Digest.Algorithm.sha512.encodedLength == 128)
        let error = try #require(throws: OCIError.self) { try Digest.Algorithm("md5") }
        #expect(error.message.contains("\"md5\""))
        #expect(throws: OCIError.self) { try Digest(algorithm: .sha256, hashBytes: [1, 2, 3]) }
        #expect(throws: OCIError.self) { try Digest(algorithm: .sha512, encoded: Self.hex64) }
    }

    @Test("digests order and hash by their string form")
    func ordering() throws {
        let a = try Digest(parsing: Self.abcSHA256)
        let b = try Digest(parsing: Self.emptySHA256)
        #expect(a < b)
        #expect(Set([a, b, a]).count == 2)
    }

    // MARK: Codable

    @Test("encodes as a JSON string and decodes back")
    func codable() throws {
        let digest = try Digest(parsing: Self.abcSHA256)
        let data = try JSONEncoder().encode([digest])
        #expect(String(decoding: data, as: UTF8.self) == "[\"\(Self.abcSHA256)\"]")
        #expect(try JSONDecoder().decode([Digest].self, from: data) == [digest])
    }

    @Test("decoding an invalid digest throws OCIError naming the JSON path")
    func decodingInvalid() throws {
        struct Wrapper: Decodable { var digest: Digest }
        let error = try #require(throws: OCIError.self) {
            try JSONDecoder().decode(Wrapper.self, from: Data(#"{"digest": "sha256:ABC"}"#.utf8))
        }
        #expect(error.code == .invalidArgument)
        #expect(error.message.hasPrefix("digest: "), "message: \(error.message)")
        #expect(error.message.contains("sha256:ABC"))
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(Wrapper.self, from: Data(#"{"digest": 42}"#.utf8))
        }
    }

    // MARK: Streaming

    @Test("streaming in odd chunk sizes equals one-shot", arguments: [1, 3, 7, 61, 64, 65, 127, 4097, 99_999, 100_000])
    func streaming(chunkSize: Int) {
        for algorithm in Digest.Algorithm.all {
            var digester = Digester(algorithm: algorithm)
            var offset = 0
            while offset < Self.pattern.count {
                let end = min(offset + chunkSize, Self.pattern.count)
                digester.update(Self.pattern[offset..<end])
                offset = end
            }
            #expect(digester.count == Int64(Self.pattern.count))
            #expect(digester.finalize() == Digest.compute(algorithm, of: Self.pattern))
        }
    }

    @Test("raw buffers, non-contiguous sequences and arrays hash the same")
    func inputForms() {
        let bytes = Array(Self.pattern.prefix(10_000))
        var fromBuffer = Digester()
        bytes.withUnsafeBytes { fromBuffer.update($0) }
        var fromLazy = Digester()
        fromLazy.update(bytes.lazy.map { $0 })  // not contiguous: copied in chunks
        var fromStride = Digester()
        fromStride.update(stride(from: 0, to: 10_000, by: 1).map { UInt8(truncatingIfNeeded: $0 * 7 + 3) })
        let expected = Digest.sha256(of: bytes)
        #expect(fromBuffer.finalize() == expected)
        #expect(fromLazy.finalize() == expected)
        #expect(fromStride.finalize() == expected)
    }

    @Test("finalize does not consume the digester")
    func finalizeIsRepeatable() throws {
        var digester = Digester()
        #expect(digester.finalize().description == Self.emptySHA256)
        digester.update("ab".utf8)
        _ = digester.finalize()
        digester.update("c".utf8)
        #expect(digester.finalize().description == Self.abcSHA256)
        #expect(digester.finalize().description == Self.abcSHA256)
    }

    // MARK: Verification

    @Test("verifier accepts matching content streamed in pieces")
    func verifierAccepts() throws {
        var verifier = DigestVerifier(
            expected: try Digest(parsing: Self.patternSHA256), expectedSize: Int64(Self.pattern.count))
        for chunk in stride(from: 0, to: Self.pattern.count, by: 333) {
            verifier.update(Self.pattern[chunk..<min(chunk + 333, Self.pattern.count)])
        }
        #expect(verifier.isVerified)
        try verifier.verify()
        try Digest(parsing: Self.abcSHA512).verify("abc".utf8)
    }

    @Test("a digest mismatch names the expected and actual digests")
    func mismatch() throws {
        let expected = try Digest(parsing: Self.abcSHA256)
        var verifier = DigestVerifier(expected: expected)
        verifier.update("abd".utf8)
        #expect(!verifier.isVerified)
        let error = try #require(throws: OCIError.self) { try verifier.verify() }
        #expect(error.code == .failedPrecondition)
        #expect(error.message.contains("expected \(Self.abcSHA256)"), "message: \(error.message)")
        #expect(error.message.contains("actual \(Digest.sha256(of: "abd".utf8))"), "message: \(error.message)")
        #expect(throws: OCIError.self) { try expected.verify("ab".utf8) }
    }

    @Test("a size mismatch is reported before the digest")
    func sizeMismatch() throws {
        let descriptor = Descriptor(mediaType: .ociLayer, content: Array("abc".utf8))
        #expect(descriptor.size == 3)
        var verifier = DigestVerifier(descriptor: descriptor)
        verifier.update("abcd".utf8)
        let error = try #require(throws: OCIError.self) { try verifier.verify() }
        #expect(error.code == .failedPrecondition)
        #expect(error.message.contains("expected 3 bytes, actual 4 bytes"), "message: \(error.message)")
    }

    // MARK: ChainID

    static let diffIDs = [
        "sha256:3b55273ed22bd34a637ebc79376c4aac932c3e656bbbc3c9c1e3f0cad685e0cb",
        "sha256:2d5f0360a7fc23cf47886de36c8dc28200ff43989e8f7c55ade6d3b480cb1848",
        "sha256:a0f01f93288e540d8714b93bfb77be5d33c7894242bf87290642636dd317da36",
    ]
    /// Computed independently: sha256("<parent chain ID> <diff ID>").
    static let chainIDs = [
        "sha256:3b55273ed22bd34a637ebc79376c4aac932c3e656bbbc3c9c1e3f0cad685e0cb",
        "sha256:359c1534440251f71208ac096b0ad15a1f6326011f2dba3c2c06eee6b34a83b0",
        "sha256:a4ba84192a7cdddd1986d5449481936fb482d9a6cb82a62e8acb5ab061cf248b",
    ]

    @Test("chain IDs follow the image-spec recurrence")
    func chainID() throws {
        let diffIDs = try Self.diffIDs.map(Digest.init(parsing:))
        #expect(Digest.chainIDs(diffIDs: diffIDs).map(\.description) == Self.chainIDs)
        #expect(Digest.chainID(diffIDs: diffIDs)?.description == Self.chainIDs[2])
        #expect(Digest.chainID(diffIDs: [diffIDs[0]]) == diffIDs[0])
        #expect(Digest.chainID(diffIDs: []) == nil)
        #expect(Digest.chainIDs(diffIDs: []).isEmpty)
        let rootfs = ImageConfig.RootFS(diffIDs: diffIDs)
        #expect(rootfs.chainID?.description == Self.chainIDs[2])
    }
}

extension Array {
    fileprivate func splitPair() -> (Element, Element)? {
        count == 2 ? (self[0], self[1]) : nil
    }
}
