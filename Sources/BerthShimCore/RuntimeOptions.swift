import BerthErrors
import BerthExecutor
import BerthShimProto
import BerthSystem
import BerthTTRPC
import Logging
import SwiftProtobuf

/// The executor a task runs with, chosen by containerd's runc `Options`
/// (`binary_name`, `root`, `systemd_cgroup`) from the Create request.
///
/// The choice is saved in the bundle as `options.json` (containerd's runc
/// shim writes the same file, with the same field names) so `delete` can
/// clean up with the same executor after the shim is gone.
struct RuntimeOptions: Equatable {
    var options: Containerd_Runc_V1_Options

    static let fileName = "options.json"

    init(_ options: Containerd_Runc_V1_Options = .init()) {
        self.options = options
    }

    /// Reads the options from a Create request's `Any`; an empty or absent
    /// `Any` means defaults.
    init(any: Google_Protobuf_Any?) throws(ShimError) {
        guard let any, !any.typeURL.isEmpty else {
            self.init()
            return
        }
        guard any.holds(Containerd_Runc_V1_Options.self) else {
            throw .invalid("unsupported runtime options type \(any.typeURL.debugDescription)")
        }
        do {
            self.init(try any.unpack(Containerd_Runc_V1_Options.self))
        } catch {
            throw ShimError("runtime options", error)
        }
    }

    /// Reads `options.json` from `bundle`; defaults when absent or unreadable.
    init(bundle: String) {
        guard let text = FileSystem.readText(FileSystem.join(bundle, Self.fileName), limit: 64 << 10),
            let options = try? Containerd_Runc_V1_Options(jsonString: text)
        else {
            self.init()
            return
        }
        self.init(options)
    }

    /// Writes `options.json` (and containerd's `runtime` file) into `bundle`.
    func save(bundle: String) throws(ShimError) {
        var encoding = JSONEncodingOptions()
        encoding.preserveProtoFieldNames = true
        let text: String
        do {
            text = try options.jsonString(options: encoding)
        } catch {
            throw ShimError(code: .internal, message: "encode runtime options: \(error)")
        }
        do {
            try FileSystem.write(FileSystem.join(bundle, Self.fileName), Array(text.utf8))
            try FileSystem.write(FileSystem.join(bundle, "runtime"), Array(options.binaryName.utf8))
        } catch {
            throw ShimError("write runtime options", error)
        }
    }

    /// The executor configuration for a task in `namespace`: the root is
    /// `<options.root or defaultRoot>/<namespace>`, as containerd's shim does.
    func executorConfiguration(namespace: String, defaultRoot: String, bundle: String) -> ExecutorConfiguration {
        let root = options.root.isEmpty ? defaultRoot : options.root
        return ExecutorConfiguration(
            dialect: ExecutorDialect(binaryName: options.binaryName),
            binary: options.binaryName,
            root: FileSystem.join(root, namespace),
            systemdCgroup: options.systemdCgroup,
            logPath: FileSystem.join(bundle, "log.json"))
    }
}
