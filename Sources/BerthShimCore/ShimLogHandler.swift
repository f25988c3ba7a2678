import BerthErrors
import BerthExecutor
import BerthShimProto
import BerthSystem
import BerthTTRPC
public import Logging
import SwiftProtobuf

/// A swift-log handler writing logfmt lines (`time=… level=… msg=… key=value`)
/// to a descriptor: the bundle's `log` FIFO, which the daemon copies.
///
/// Writes never block: the descriptor is non-blocking and a line that does
/// not fit (nobody is reading) is dropped.
public struct ShimLogHandler: LogHandler {
    private let descriptor: Int32
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?

    /// A handler writing to `descriptor` at `level` and above.
    public init(descriptor: Int32, level: Logger.Level) {
        self.descriptor = descriptor
        self.logLevel = level
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        guard descriptor >= 0 else { return }
        var line =
            "time=\"\(WallTime.now().rfc3339)\" level=\(Self.name(event.level)) msg=\(Self.quote("\(event.message)"))"
        var all = metadata
        if let extra = event.metadata { all.merge(extra) { $1 } }
        for key in all.keys.sorted() {
            line += " \(key)=\(Self.quote("\(all[key].map { "\($0)" } ?? "")"))"
        }
        if let error = event.error { line += " error=\(Self.quote("\(error)"))" }
        line += "\n"
        var bytes = Array(line.utf8)
        _ = bytes.withUnsafeMutableBytes { raw in
            try? Descriptor.write(descriptor, UnsafeRawBufferPointer(raw))
        }
    }

    private static func name(_ level: Logger.Level) -> String {
        switch level {
        case .trace: "trace"
        case .debug: "debug"
        case .info: "info"
        case .notice: "info"
        case .warning: "warning"
        case .error: "error"
        case .critical: "fatal"
        }
    }

    private static func quote(_ text: String) -> String {
        var out = "\""
        for character in text {
            switch character {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default: out.append(character)
            }
        }
        return out + "\""
    }
}
