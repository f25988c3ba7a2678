// CBerthSys: the few things Swift cannot do safely on its own.
//
// Convention: every function returns 0 (or a non-negative value such as a
// file descriptor or pid) on success and -errno on failure, so Swift never
// reads the thread-local errno after code that may have touched it.
#ifndef BERTH_SYS_H
#define BERTH_SYS_H

#include <stdint.h>
#include <sys/types.h>

#pragma clang assume_nonnull begin

/// Options for berth_spawn.
typedef struct berth_spawn_attr {
    /// Descriptors installed as 0, 1 and 2 in the child; -1 means /dev/null.
    int stdio[3];
    /// Working directory for the child, or NULL to inherit.
    const char *_Nullable cwd;
    /// Start a new session (setsid) in the child.
    int setsid;
    /// Signal delivered to the child when the spawning thread dies; 0 for none.
    int pdeathsig;
    /// Reset every signal disposition and unblock all signals in the child.
    int reset_signals;
} berth_spawn_attr;

/// Forks and execs `path` with `argv` and `envp` (both NULL-terminated).
///
/// No Swift code runs between fork and exec. The child closes every
/// descriptor above 2 except those it was given. An exec failure is reported
/// through a close-on-exec pipe, so the caller gets the child's errno.
/// On success stores the child's pid in *pid_out and returns 0; when
/// pidfd_out is not NULL it also opens a pidfd for the child (or stores -1
/// where the kernel has none).
int berth_spawn(const char *path,
                char *_Nullable const argv[_Nonnull],
                char *_Nullable const envp[_Nonnull],
                const berth_spawn_attr *attr,
                pid_t *pid_out,
                int *_Nullable pidfd_out);

/// pidfd_open(2). Returns the descriptor or -errno.
int berth_pidfd_open(pid_t pid, unsigned int flags);

/// pidfd_send_signal(2). Returns 0 or -errno.
int berth_pidfd_send_signal(int pidfd, int sig);

/// prctl(PR_SET_CHILD_SUBREAPER, on). Returns 0 or -errno.
int berth_set_child_subreaper(int on);

/// prctl(PR_GET_CHILD_SUBREAPER). Returns 0 or 1, or -errno.
int berth_get_child_subreaper(void);

/// prctl(PR_SET_PDEATHSIG, sig). Returns 0 or -errno.
int berth_set_pdeathsig(int sig);

/// prctl(PR_SET_NAME, name). Returns 0 or -errno.
int berth_set_process_name(const char *name);

/// waitpid(pid, &status, flags) with EINTR retried. Returns the pid, 0 when
/// WNOHANG found nothing, or -errno. *status receives the raw wait status.
pid_t berth_waitpid(pid_t pid, int *status, int flags);

/// Decodes a raw wait status as a shell would: the exit code for a normal
/// exit, 128 + signal for a killed process. Returns -1 for stop/continue.
int berth_wait_status_exit_code(int status);

/// 1 when the raw wait status says the process has ended (exited or killed).
int berth_wait_status_is_terminal(int status);

/// The signal that killed the process, or 0.
int berth_wait_status_signal(int status);

/// statfs(2) on `path`; stores the filesystem magic (f_type) in *type_out.
/// Returns 0 or -errno.
int berth_statfs_type(const char *path, int64_t *type_out);

/// Filesystem magic numbers from <linux/magic.h>.
extern const int64_t berth_CGROUP2_SUPER_MAGIC;
extern const int64_t berth_CGROUP_SUPER_MAGIC;
extern const int64_t berth_TMPFS_MAGIC;
extern const int64_t berth_OVERLAYFS_SUPER_MAGIC;

/// Constants that glibc defines as macros or enums Swift does not import.
extern const int berth_WNOHANG;
extern const int berth_SIGCHLD;
extern const int berth_O_CLOEXEC;
extern const int berth_RLIMIT_NOFILE;
extern const int berth_RLIMIT_NPROC;

#pragma clang assume_nonnull end

#endif
