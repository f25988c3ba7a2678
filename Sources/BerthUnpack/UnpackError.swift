public import BerthErrors
public import BerthOCI

/// The one error type of BerthUnpack. Its message names the layer and,
/// when one is to blame, the tar entry:
///
///     layer sha256:4f…: entry "etc/../../x": path has a ".." component
public struct UnpackError: BerthError {
    public var code: ErrorCode
    /// The compressed layer blob's digest, when known.
    public var layer: Digest?
    /// The offending entry's name as stored in the tar, when one is to blame.
    public var entry: String?
    /// What went wrong, without the layer and entry.
    public var reason: String

    public init(_ code: ErrorCode, layer: Digest? = nil, entry: String? = nil, _ reason: String) {
        self.code = code
        self.layer = layer
        self.entry = entry
        self.reason = reason
    }

    public var message: String {
        var parts: [String] = []
        if let layer {
            parts.append("layer \(layer)")
        }
        if let entry {
            parts.append("entry \"\(entry)\"")
        }
        parts.append(reason)
        return parts.joined(separator: ": ")
    }

    /// Wraps any error, keeping a Berth error's code.
    static func wrapping(_ error: any Error, layer: Digest?, entry: String? = nil, _ context: String? = nil)
        -> UnpackError
    {
        if var unpack = error as? UnpackError {
            unpack.layer = unpack.layer ?? layer
            unpack.entry = unpack.entry ?? entry
            return unpack
        }
        let prefix = context.map { "\($0): " } ?? ""
        if let entryError = error as? EntryProblem {
            return UnpackError(entryError.code, layer: layer, entry: entry, prefix + entryError.reason)
        }
        if let berth = error as? any BerthError {
            return UnpackError(berth.code, layer: layer, entry: entry, prefix + berth.message)
        }
        return UnpackError(.unknown, layer: layer, entry: entry, prefix + "\(error)")
    }
}

/// What is wrong with one entry; the applier adds the layer and entry name.
struct EntryProblem: Error {
    var code: ErrorCode
    var reason: String

    init(_ code: ErrorCode, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    /// A hostile or malformed entry (`.invalidArgument`).
    init(_ reason: String) {
        self.init(.invalidArgument, reason)
    }
}

/// Limits a layer must stay within.
public struct UnpackLimits: Sendable, Hashable {
    /// The most tar entries per layer (default one million).
    public var maxEntries: Int
    /// The most bytes per layer, both decompressed (the tar stream) and
    /// declared by entries (sparse files included). Default 64 GiB.
    public var maxBytes: Int64

    public init(maxEntries: Int = 1_000_000, maxBytes: Int64 = 64 << 30) {
        self.maxEntries = maxEntries
        self.maxBytes = maxBytes
    }
}
