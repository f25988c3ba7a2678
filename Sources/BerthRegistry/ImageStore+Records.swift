import BerthErrors
public import BerthMetadata

extension ImageStore {
    /// Stores image records as `ctr` does after a pull or import: create each
    /// image, or, if the name exists, replace its target (keeping its labels).
    ///
    /// - Returns: the stored images.
    /// - Throws: `MetadataError` from the image store.
    @discardableResult
    public func put(_ records: [ImageRecord], namespace: String) throws -> [Image] {
        try records.map { record in
            let image = Image(name: record.name, target: record.target)
            do {
                return try create(namespace: namespace, image)
            } catch let error as any BerthError where error.code == .alreadyExists {
                return try update(namespace: namespace, image, fieldPaths: ["target"])
            }
        }
    }
}

extension ImageRecord {
    /// The record of a stored image.
    public init(_ image: Image) {
        self.init(name: image.name, target: image.target)
    }
}

extension PullResult {
    /// The image record a pull produces: the reference's full name and the root descriptor.
    public var record: ImageRecord { ImageRecord(name: name, target: target) }
}
