import CBerthSys

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// A process started by `Spawn.launch`.
public struct SpawnedProcess: Sendable, Equatable {
    public let pid: Int32
    /// A pidfd for the process, or -1 where the kernel has none. Owned by the caller.
    public let pidfd: Int32
}

/// Fork and exec, done in C so no Swift code runs between the two.
public enum Spawn {
    /// How the child's stdio is wired.
    public struct Options: Sendable {
        /// Descriptors for the child's 0, 1 and 2; -1 means /dev/null.
        public var stdio: (Int32, Int32, Int32) = (-1, -1, -1)
        public var workingDirectory: String? = nil
        public var newSession = false
        public var parentDeathSignal: Int32 = 0
        public var resetSignals = true
        /// Descriptors installed as 3, 4, … in the child (at most 8).
        public var extraDescriptors: [Int32] = []
        /// Run the child in a new, private mount namespace.
        public var privateMountNamespace = false
        /// With ``privateMountNamespace``: a mount point detached in the
        /// child's namespace before exec (missing mounts are ignored).
        public var detachUnmount: String? = nil

        public init() {}
    }

    /// Starts `path` with `arguments` (argv[0] included) and `environment`
    /// (`KEY=value` strings). Throws the child's exec errno if exec fails.
    public static func launch(
        path: String,
        arguments: [String],
        environment: [String],
        options: Options = Options()
    ) throws(SystemError) -> SpawnedProcess {
        var pid: pid_t = 0
        var pidfd: Int32 = -1
        var attr = berth_spawn_attr()
        attr.stdio = options.stdio
        attr.setsid = options.newSession ? 1 : 0
        attr.pdeathsig = options.parentDeathSignal
        attr.reset_signals = options.resetSignals ? 1 : 0
        attr.private_mount_ns = options.privateMountNamespace ? 1 : 0
        let extra = options.extraDescriptors
        attr.extra_fd_count = Int32(extra.count)

        let rc: Int32 = withCStrings(arguments) { argv in
            withCStrings(environment) { envp in
                withOptionalCString(options.workingDirectory) { cwd in
                    withOptionalCString(options.detachUnmount) { unmount in
                        extra.withUnsafeBufferPointer { extraFDs in
                            attr.cwd = cwd
                            attr.detach_unmount = unmount
                            attr.extra_fds = extraFDs.isEmpty ? nil : extraFDs.baseAddress
                            return berth_spawn(path, argv, envp, &attr, &pid, &pidfd)
                        }
                    }
                }
            }
        }
        if rc < 0 {
            throw SystemError(call: "execve(\(path))", negatedErrno: rc)
        }
        return SpawnedProcess(pid: pid, pidfd: pidfd)
    }

    /// Blocks until `pid` ends and returns how it ended.
    public static func wait(pid: Int32) throws(SystemError) -> WaitStatus {
        while true {
            var raw: Int32 = 0
            _ = try check("waitpid", berth_waitpid(pid, &raw, 0))
            if let status = WaitStatus(raw: raw) {
                return status
            }
        }
    }
}

/// Calls `body` with a C string for `string`, or NULL.
func withOptionalCString<R>(_ string: String?, _ body: (UnsafePointer<CChar>?) -> R) -> R {
    guard let string else { return body(nil) }
    return string.withCString { body($0) }
}

/// Calls `body` with a NULL-terminated C array of copies of `strings`.
func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
    var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    pointers.append(nil)
    defer {
        for pointer in pointers { free(pointer) }
    }
    return body(pointers)
}
