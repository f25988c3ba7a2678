internal import FoundationEssentials

extension SeccompProfile {
    /// Decodes a profile file (`--security-opt seccomp=FILE`): Docker's
    /// profile format or a runtime-spec `linux.seccomp` object.
    public init(json bytes: [UInt8]) throws(BundleError) {
        do {
            self = try JSONDecoder().decode(SeccompProfile.self, from: Data(bytes))
        } catch {
            throw BundleError.invalid("the seccomp profile does not decode: \(error)")
        }
    }
}
