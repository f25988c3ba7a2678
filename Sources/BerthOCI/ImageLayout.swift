import BerthErrors

/// The `oci-layout` marker file at the root of an OCI image layout directory.
public struct ImageLayout: Hashable, Sendable, Codable {
    /// The name of the marker file.
    public static let fileName = "oci-layout"
    /// The name of the layout's entry-point index.
    public static let indexFileName = "index.json"
    /// The directory holding content-addressed blobs.
    public static let blobsDirectory = "blobs"
    /// The layout version this build writes and reads.
    public static let currentVersion = "1.0.0"

    /// The layout version, `1.0.0`.
    public var imageLayoutVersion: String

    public init(imageLayoutVersion: String = ImageLayout.currentVersion) {
        self.imageLayoutVersion = imageLayoutVersion
    }

    /// Throws unless the layout version is one this build supports.
    ///
    /// - Throws: `OCIError(.notImplemented)` naming the unsupported version.
    public func validate() throws {
        guard imageLayoutVersion == Self.currentVersion else {
            throw OCIError(
                .notImplemented,
                "unsupported image layout version \"\(imageLayoutVersion)\" (supported: \(Self.currentVersion))")
        }
    }

    /// The path of a blob relative to the layout root: `blobs/<algorithm>/<encoded>`.
    public static func blobPath(for digest: Digest) -> String {
        "\(blobsDirectory)/\(digest.algorithm.name)/\(digest.encoded)"
    }
}
