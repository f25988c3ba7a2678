import BerthErrors

extension OCIError {
    /// The error thrown when content does not hash to the digest it was expected to have.
    ///
    /// Uses `.failedPrecondition`, as containerd's content store does for a
    /// commit whose digest does not match.
    public static func digestMismatch(expected: Digest, actual: Digest) -> OCIError {
        OCIError(.failedPrecondition, "digest mismatch: expected \(expected), actual \(actual)")
    }

    /// The error thrown when content is not the size its descriptor declares.
    public static func sizeMismatch(expected: Int64, actual: Int64) -> OCIError {
        OCIError(.failedPrecondition, "size mismatch: expected \(expected) bytes, actual \(actual) bytes")
    }

    /// Returns this error with the JSON coding path prepended to its message, so a
    /// validation failure deep inside a decoded document says where it happened.
    func at(_ codingPath: [any CodingKey]) -> OCIError {
        guard !codingPath.isEmpty else { return self }
        var path = ""
        for key in codingPath {
            if let index = key.intValue {
                path += "[\(index)]"
            } else {
                path += path.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return OCIError(code, "\(path): \(message)")
    }
}
