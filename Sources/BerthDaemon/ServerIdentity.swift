import BerthSystem
import Foundation

/// The daemon's persistent UUID, as `Introspection.Server` reports it.
enum ServerIdentity {
    /// Reads the UUID at `path`, creating (and durably writing) a new one
    /// the first time.
    ///
    /// - Throws: `internal` if the file cannot be read or written.
    static func load(path: String) throws(DaemonError) -> String {
        let url = URL(fileURLWithPath: path)
        if let data = try? Data(contentsOf: url) {
            let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if UUID(uuidString: text) != nil { return text.lowercased() }
        }
        let uuid = UUID().uuidString.lowercased()
        do {
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o711])
            // A temporary file beside it, fsynced and renamed (Berth's one
            // durable atomic write).
            try FileSystem.writeAtomically(path, Array(uuid.utf8))
        } catch {
            throw .internal("write \(path): \(error)")
        }
        return uuid
    }
}
