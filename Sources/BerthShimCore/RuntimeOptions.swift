import BerthErrors
import BerthExecutor
import BerthShimProto
import BerthSystem
import BerthTTRPC
import Logging
import SwiftProtobuf

/// The executor a task runs with, chosen from the Create request's options:
/// containerd's runc `Options` (`binary_name`, `root`, `systemd_cgroup`,
/// `no_pivot_root`, `no_new_keyring`) or Berth's own `berth.shim.v1.Options`
/// (the same, plus extra global executor arguments).
///
/// The choice is saved in the bundle as `options.json` (containerd's runc
/// shim writes the same file, with the same field names; Berth's options are
/// saved in their own JSON form) so `delete` can clean up with the same
/// executor after the shim is gone.
struct RuntimeOptions: Equatable {
    var options: Containerd_Runc_V1_Options
    /// Global arguments before the executor's verb (Berth options only).
    var executorArguments: [String] = []

    static let fileName = "options.json"

    init(_ options: Containerd_Runc_V1_Options = .init()) {
        self.options = options
    }

    /// Berth's options, as the runc options they extend.
    init(berth: Berth_Shim_V1_Options) {
        var options = Containerd_Runc_V1_Options()
        options.binaryName = berth.executor
        options.root = berth.root
        options.systemdCgroup = berth.systemdCgroup
        options.noPivotRoot = berth.noPivotRoot
        options.noNewKeyring = berth.noNewKeyring
        self.init(options)
        executorArguments = berth.executorArgs
    }

    /// The options in Berth's form (what `options.json` holds when they
    /// carry executor arguments).
    var berth: Berth_Shim_V1_Options {
        var berth = Berth_Shim_V1_Options()
        berth.executor = options.binaryName
        berth.root = options.root
        berth.executorArgs = executorArguments
        berth.systemdCgroup = options.systemdCgroup
        berth.noPivotRoot = options.noPivotRoot
        berth.noNewKeyring = options.noNewKeyring
        return berth
    }

    /// Reads the options from a Create request's `Any`; an empty or absent
    /// `Any` means defaults.
    init(any: Google_Protobuf_Any?) throws(ShimError) {
        guard let any, !any.typeURL.isEmpty else {
            self.init()
            return
        }
        if any.holds(Containerd_Runc_V1_Options.self) {
            do {
                self.init(try any.unpack(Containerd_Runc_V1_Options.self))
            } catch {
                throw ShimError("runtime options", error)
            }
        } else if any.holds(Berth_Shim_V1_Options.self) {
            do {
                self.init(berth: try any.unpack(Berth_Shim_V1_Options.self))
            } catch {
                throw ShimError("runtime options", error)
            }
        } else {
            throw .invalid("unsupported runtime options type \(any.typeURL.debugDescription)")
        }
    }

    /// Reads `options.json` from `bundle`; defaults when absent or unreadable.
    init(bundle: String) {
        guard let text = FileSystem.readText(FileSystem.join(bundle, Self.fileName), limit: 64 << 10) else {
            self.init()
            return
        }
        if let options = try? Containerd_Runc_V1_Options(jsonString: text) {
            self.init(options)
        } else if let berth = try? Berth_Shim_V1_Options(jsonString: text) {
            self.init(berth: berth)
        } else {
            self.init()
        }
    }

    /// Writes `options.json` (and containerd's `runtime` file) into `bundle`.
    func save(bundle: String) throws(ShimError) {
        var encoding = JSONEncodingOptions()
        encoding.preserveProtoFieldNames = true
        let text: String
        do {
            // Plain runc options stay in containerd's form; executor
            // arguments need Berth's.
            text =
                executorArguments.isEmpty
                ? try options.jsonString(options: encoding) : try berth.jsonString(options: encoding)
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
            extraGlobalArguments: executorArguments,
            systemdCgroup: options.systemdCgroup,
            logPath: FileSystem.join(bundle, "log.json"))
    }
}
