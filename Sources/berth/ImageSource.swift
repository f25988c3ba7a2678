import BerthErrors
import BerthOCI
import Foundation

/// Reads an image config for `berth spec --image`, until the content store lands.
///
/// Accepted forms:
/// - an image config JSON file;
/// - an OCI image layout directory (`oci-layout`, `index.json`, `blobs/`):
///   the manifest for the host platform is chosen, following nested indexes;
/// - `DIR:NAME`: the manifest of that layout whose
///   `org.opencontainers.image.ref.name` is `NAME` (for example `latest`).
///
/// Every blob read from a layout is checked against its descriptor's digest and size.
enum ImageSource {
    static func load(_ reference: String) throws -> ImageConfig {
        let files = FileManager.default
        var isDirectory: ObjCBool = false
        if files.fileExists(atPath: reference, isDirectory: &isDirectory) {
            if isDirectory.boolValue {
                return try loadLayout(reference, referenceName: nil)
            }
            return try decode(ImageConfig.self, Data(contentsOf: URL(fileURLWithPath: reference)), what: reference)
        }
        if let colon = reference.lastIndex(of: ":") {
            let directory = String(reference[..<colon])
            let name = String(reference[reference.index(after: colon)...])
            if !name.isEmpty, files.fileExists(atPath: directory + "/" + ImageLayout.indexFileName) {
                return try loadLayout(directory, referenceName: name)
            }
        }
        throw OCIError(.notFound, "image \"\(reference)\": no such file or OCI layout directory")
    }

    static func loadLayout(_ directory: String, referenceName: String?) throws -> ImageConfig {
        let layoutData = try read(directory + "/" + ImageLayout.fileName)
        try decode(ImageLayout.self, layoutData, what: ImageLayout.fileName).validate()
        let index = try decode(Index.self, try read(directory + "/" + ImageLayout.indexFileName), what: "index.json")
        var descriptor: Descriptor
        if let referenceName {
            guard let named = index.manifests(referenceName: referenceName).first else {
                throw OCIError(.notFound, "\(directory): no manifest is named \"\(referenceName)\"")
            }
            descriptor = named
        } else {
            descriptor = try pick(from: index, in: directory)
        }
        for _ in 0..<8 where descriptor.isIndex {
            let nested = try decode(Index.self, try blob(descriptor, in: directory), what: "\(descriptor.digest)")
            descriptor = try pick(from: nested, in: directory)
        }
        guard descriptor.isManifest else {
            throw OCIError(.invalidArgument, "\(descriptor.digest) is a \(descriptor.mediaType), not an image manifest")
        }
        let manifest = try decode(Manifest.self, try blob(descriptor, in: directory), what: "\(descriptor.digest)")
        return try decode(ImageConfig.self, try blob(manifest.config, in: directory), what: "\(manifest.config.digest)")
    }

    private static func pick(from index: Index, in directory: String) throws -> Descriptor {
        if let best = index.manifest(for: .host) { return best }
        if index.manifests.count == 1, let only = index.manifests.first { return only }
        throw OCIError(.notFound, "\(directory): no manifest for \(Platform.host)")
    }

    private static func blob(_ descriptor: Descriptor, in directory: String) throws -> Data {
        let data = try read(directory + "/" + ImageLayout.blobPath(for: descriptor.digest))
        var verifier = DigestVerifier(descriptor: descriptor)
        verifier.update(data)
        try verifier.verify()
        return data
    }

    private static func read(_ path: String) throws -> Data {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw OCIError(.notFound, "cannot read \(path)")
        }
        return data
    }

    private static func decode<T: Decodable>(_ type: T.Type, _ data: Data, what: String) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch {
            throw OCIError(.invalidArgument, "\(what) does not decode as \(T.self): \(error)")
        }
    }
}
