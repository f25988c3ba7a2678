import BerthAPI
import BerthOCI
import BerthShimProto

extension Containerd_Types_Descriptor {
    /// The wire form of an OCI descriptor (media type, digest, size, annotations).
    init(_ descriptor: Descriptor) {
        self.init()
        mediaType = descriptor.mediaType.rawValue
        digest = descriptor.digest.string
        size = descriptor.size
        annotations = descriptor.annotations ?? [:]
    }

    /// The OCI descriptor this names.
    ///
    /// - Throws: `invalidArgument` for a malformed digest.
    func oci() throws -> Descriptor {
        Descriptor(
            mediaType: MediaType(rawValue: mediaType), digest: try Digest(parsing: digest), size: size,
            annotations: annotations.isEmpty ? nil : annotations)
    }
}
