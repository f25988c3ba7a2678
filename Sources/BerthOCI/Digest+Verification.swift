internal import Crypto

/// Computes a digest incrementally: call `update(_:)` with each chunk of
/// content, then `finalize()`.
///
/// `finalize()` does not consume the digester; it reports the digest of
/// everything written so far, and more bytes may be written afterwards.
public struct Digester: Sendable {
    private enum State: Sendable {
        case sha256(SHA256)
        case sha512(SHA512)
    }

    /// The algorithm being computed.
    public let algorithm: Digest.Algorithm
    /// The number of bytes written so far.
    public private(set) var count: Int64 = 0
    private var state: State

    /// Starts a new digest computation.
    public init(algorithm: Digest.Algorithm = .canonical) {
        self.algorithm = algorithm
        switch algorithm.kind {
        case .sha256: state = .sha256(SHA256())
        case .sha512: state = .sha512(SHA512())
        }
    }

    /// Feeds raw bytes into the digest.
    public mutating func update(_ buffer: UnsafeRawBufferPointer) {
        guard !buffer.isEmpty else { return }
        count += Int64(buffer.count)
        switch state {
        case .sha256(var hasher):
            hasher.update(bufferPointer: buffer)
            state = .sha256(hasher)
        case .sha512(var hasher):
            hasher.update(bufferPointer: buffer)
            state = .sha512(hasher)
        }
    }

    /// Feeds bytes into the digest. Contiguous collections (`[UInt8]`,
    /// `ArraySlice`, `String.UTF8View` of a native string) are hashed in place;
    /// other sequences are copied in chunks.
    public mutating func update(_ bytes: some Sequence<UInt8>) {
        let handled: Void? = bytes.withContiguousStorageIfAvailable { buffer in
            update(UnsafeRawBufferPointer(buffer))
        }
        guard handled == nil else { return }
        var chunk: [UInt8] = []
        chunk.reserveCapacity(4096)
        for byte in bytes {
            chunk.append(byte)
            if chunk.count == 4096 {
                chunk.withUnsafeBytes { update($0) }
                chunk.removeAll(keepingCapacity: true)
            }
        }
        chunk.withUnsafeBytes { update($0) }
    }

    /// The digest of every byte written so far.
    public func finalize() -> Digest {
        switch state {
        case .sha256(let hasher):
            Digest(trustedAlgorithm: algorithm, hashBytes: hasher.finalize())
        case .sha512(let hasher):
            Digest(trustedAlgorithm: algorithm, hashBytes: hasher.finalize())
        }
    }
}

/// Checks streamed content against an expected digest (and optionally size).
///
///     var verifier = DigestVerifier(expected: descriptor.digest, expectedSize: descriptor.size)
///     for chunk in chunks { verifier.update(chunk) }
///     try verifier.verify()
public struct DigestVerifier: Sendable {
    /// The digest the content must have.
    public let expected: Digest
    /// The size the content must have, if known.
    public let expectedSize: Int64?
    private var digester: Digester

    /// Starts verifying content against `expected`, hashing with its algorithm.
    public init(expected: Digest, expectedSize: Int64? = nil) {
        self.expected = expected
        self.expectedSize = expectedSize
        self.digester = Digester(algorithm: expected.algorithm)
    }

    /// Starts verifying content against a descriptor's digest and size.
    public init(descriptor: Descriptor) {
        self.init(expected: descriptor.digest, expectedSize: descriptor.size)
    }

    /// The number of bytes written so far.
    public var count: Int64 { digester.count }

    /// Feeds raw bytes into the verifier.
    public mutating func update(_ buffer: UnsafeRawBufferPointer) {
        digester.update(buffer)
    }

    /// Feeds bytes into the verifier.
    public mutating func update(_ bytes: some Sequence<UInt8>) {
        digester.update(bytes)
    }

    /// The digest of the bytes written so far.
    public var actual: Digest { digester.finalize() }

    /// True if the bytes written so far match the expected digest and size.
    public var isVerified: Bool {
        (expectedSize.map { $0 == count } ?? true) && actual == expected
    }

    /// Throws unless the bytes written so far match the expected size and digest.
    ///
    /// - Throws: `OCIError.sizeMismatch` or `OCIError.digestMismatch`
    ///   (code `.failedPrecondition`), naming the expected and actual values.
    public func verify() throws {
        if let expectedSize, expectedSize != count {
            throw OCIError.sizeMismatch(expected: expectedSize, actual: count)
        }
        let actual = self.actual
        guard actual == expected else {
            throw OCIError.digestMismatch(expected: expected, actual: actual)
        }
    }
}

extension Digest {
    /// Computes the digest of `bytes` with `algorithm`.
    public static func compute(_ algorithm: Algorithm = .canonical, of bytes: some Sequence<UInt8>) -> Digest {
        var digester = Digester(algorithm: algorithm)
        digester.update(bytes)
        return digester.finalize()
    }

    /// The SHA-256 digest of `bytes`.
    public static func sha256(of bytes: some Sequence<UInt8>) -> Digest {
        compute(.sha256, of: bytes)
    }

    /// The SHA-512 digest of `bytes`.
    public static func sha512(of bytes: some Sequence<UInt8>) -> Digest {
        compute(.sha512, of: bytes)
    }

    /// Throws unless `bytes` hash to this digest.
    ///
    /// - Throws: `OCIError.digestMismatch` naming the expected and actual digests.
    public func verify(_ bytes: some Sequence<UInt8>) throws {
        var verifier = DigestVerifier(expected: self)
        verifier.update(bytes)
        try verifier.verify()
    }
}
