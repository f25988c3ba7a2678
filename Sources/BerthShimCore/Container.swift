import BerthErrors
import BerthExecutor
import BerthShimProto
import BerthSystem
import BerthTTRPC
import Logging
import SwiftProtobuf

/// The container a shim serves: its init, its execs and what they share.
final class Container {
    let id: String
    let bundle: String
    let executor: Executor
    let options: RuntimeOptions
    /// `<bundle>/rootfs` when the shim mounted it.
    let rootfs: String?
    let rootfsMounts: [(type: String, source: String, options: [String])]
    let initProcess: InitProcess
    var execs: [String: ExecProcess] = [:]
    var cgroup: CgroupLocation?
    var oomWatch: OOMWatch?
    /// The container shares the shim's pid namespace: its other processes
    /// must be killed when the init exits (the kernel does not).
    var sharesHostPIDNamespace = false

    init(
        id: String, bundle: String, executor: Executor, options: RuntimeOptions, rootfs: String?,
        rootfsMounts: [(type: String, source: String, options: [String])], initProcess: InitProcess
    ) {
        self.id = id
        self.bundle = bundle
        self.executor = executor
        self.options = options
        self.rootfs = rootfs
        self.rootfsMounts = rootfsMounts
        self.initProcess = initProcess
    }

    /// Execs whose exits have not been published yet.
    var hasLiveExecs: Bool { execs.values.contains { $0.state.isLive } }
}
