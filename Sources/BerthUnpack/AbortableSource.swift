import BerthErrors
import BerthArchive

/// Wraps a source so that reads fail once the unpack is abandoned.
final class AbortableSource: ByteSource {
    let base: any ByteSource
    let abort: AbortFlag

    init(_ base: any ByteSource, abort: AbortFlag) {
        self.base = base
        self.abort = abort
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if abort.isSet {
            throw UnpackError(.cancelled, "unpack abandoned")
        }
        return try base.read(into: buffer)
    }

    func close() {
        base.close()
    }
}
