import CBerthSys

/// Process-wide controls the shim and daemon need (prctl and friends).
public enum ProcessControl {
    /// Marks this process as a child subreaper, so orphaned descendants
    /// (such as a container's init after the executor exits) are re-parented
    /// to it and it can reap them. The corresponding C call is
    /// `prctl(PR_SET_CHILD_SUBREAPER)`.
    public static func setChildSubreaper(_ on: Bool = true) throws(SystemError) {
        _ = try check("prctl(PR_SET_CHILD_SUBREAPER)", berth_set_child_subreaper(on ? 1 : 0))
    }

    /// Whether this process is a child subreaper.
    public static func isChildSubreaper() throws(SystemError) -> Bool {
        try check("prctl(PR_GET_CHILD_SUBREAPER)", berth_get_child_subreaper()) == 1
    }

    /// Sets the signal this process receives when its parent thread dies.
    public static func setParentDeathSignal(_ signal: Int32) throws(SystemError) {
        _ = try check("prctl(PR_SET_PDEATHSIG)", berth_set_pdeathsig(signal))
    }

    /// Sets the process name shown in `ps` (at most 15 bytes are kept).
    public static func setName(_ name: String) throws(SystemError) {
        _ = try check("prctl(PR_SET_NAME)", berth_set_process_name(name))
    }

    /// Returns freed heap memory to the kernel (glibc `malloc_trim(0)`), so
    /// a long-lived process does not keep its high-water mark.
    public static func releaseFreeMemory() {
        _ = berth_release_free_memory()
    }
}
