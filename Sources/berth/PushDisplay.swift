import BerthOCI
import BerthRegistry
import Foundation
import Synchronization

/// Prints a push's progress: one line per blob each time its status changes
/// (`exists`, `mounted`, `uploading`, `pushed`), and one per manifest. The
/// pusher reports from several tasks at once, so lines are written whole,
/// under a lock. Plain lines only: no terminal escapes.
final class PushDisplay: Sendable {
    private let silent: Bool
    /// Blobs whose upload has been announced.
    private let started = Mutex<Set<Digest>>([])

    init(silent: Bool) {
        self.silent = silent
    }

    func update(_ event: PushProgress) {
        guard !silent else { return }
        let line: String?
        switch event {
        case .exists(let blob):
            line = Self.line(blob.digest, "exists", ByteFormat.size(blob.size))
        case .mounted(let blob, let source):
            line = Self.line(blob.digest, "mounted", "\(ByteFormat.size(blob.size)) from \(source)")
        case .uploaded(let digest, let bytes, let total):
            let first = started.withLock { $0.insert(digest).inserted }
            line = first && bytes < total ? Self.line(digest, "uploading", ByteFormat.size(total)) : nil
        case .done(let descriptor):
            let kind = descriptor.isManifest || descriptor.isIndex ? "manifest" : "pushed"
            line = Self.line(descriptor.digest, kind, ByteFormat.size(descriptor.size))
        }
        guard let line else { return }
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    static func line(_ digest: Digest, _ status: String, _ detail: String) -> String {
        let text = digest.description
        let short = text.hasPrefix("sha256:") ? String(text.dropFirst(7).prefix(12)) : text
        return "\(short)  \(status.padding(toLength: 9, withPad: " ", startingAt: 0))  \(detail)"
    }
}
