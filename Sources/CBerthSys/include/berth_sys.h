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
    /// Descriptors installed as 3, 4, … in the child (at most
    /// BERTH_SPAWN_MAX_EXTRA_FDS); NULL when extra_fd_count is 0.
    const int *_Nullable extra_fds;
    /// The number of entries in extra_fds.
    int extra_fd_count;
    /// Run the child in a new, private mount namespace (unshare(CLONE_NEWNS),
    /// then make every mount a slave so nothing propagates back).
    int private_mount_ns;
    /// With private_mount_ns: a mount point detached (umount2 MNT_DETACH) in
    /// the child's namespace before exec, or NULL. Missing mounts are ignored.
    const char *_Nullable detach_unmount;
} berth_spawn_attr;

/// The most descriptors berth_spawn installs above 2.
#define BERTH_SPAWN_MAX_EXTRA_FDS 8

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

// MARK: event loop (eventloop.c)

/// Event bits for berth_epoll_ctl / berth_epoll_wait (the epoll values).
#define BERTH_EV_IN 0x001
#define BERTH_EV_OUT 0x004
#define BERTH_EV_ERR 0x008
#define BERTH_EV_HUP 0x010
#define BERTH_EV_RDHUP 0x2000
/// Operations for berth_epoll_ctl.
#define BERTH_EPOLL_ADD 1
#define BERTH_EPOLL_MOD 2
#define BERTH_EPOLL_DEL 3
/// Event bits for berth_poll (the poll values).
#define BERTH_POLL_IN 0x001
#define BERTH_POLL_OUT 0x004
#define BERTH_POLL_ERR 0x008
#define BERTH_POLL_HUP 0x010

/// epoll_create1(EPOLL_CLOEXEC). Returns the descriptor or -errno.
int berth_epoll_create(void);

/// epoll_ctl with op one of BERTH_EPOLL_*; `data` comes back from
/// berth_epoll_wait. Returns 0 or -errno.
int berth_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t data);

/// epoll_wait with EINTR retried; fills up to max_events (at most 64) data
/// words and event masks. Returns the number of events or -errno.
int berth_epoll_wait(int epfd, uint64_t *data_out, uint32_t *events_out, int max_events, int timeout_ms);

/// Blocks SIGCHLD for the calling thread and returns a non-blocking,
/// close-on-exec signalfd for it, or -errno.
int berth_signalfd_sigchld(void);

/// Reads every pending siginfo from a non-blocking signalfd. Returns how
/// many were read, or -errno.
int berth_signalfd_drain(int fd);

/// Ignores SIGPIPE, so writes to a closed pipe or socket return EPIPE.
int berth_ignore_sigpipe(void);

/// eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK). Returns the descriptor or -errno.
int berth_eventfd(void);

/// A non-blocking inotify descriptor watching `path` for IN_MODIFY; stores
/// the watch descriptor in *wd_out. Returns the inotify descriptor or -errno.
int berth_inotify_watch(const char *path, int *wd_out);

/// poll(2) over `count` (at most 16) descriptors with BERTH_POLL_* masks.
/// Returns the number of ready descriptors (0 on timeout) or -errno
/// (including -EINTR, which callers retry).
int berth_poll(const int *fds, const int16_t *events, int16_t *revents, int count, int timeout_ms);

// MARK: unix sockets (socket.c)

/// A close-on-exec, blocking unix stream socket bound to `path` and
/// listening. Returns the descriptor or -errno (-EADDRINUSE when taken).
int berth_unix_listen(const char *path, int backlog);

/// A close-on-exec, blocking unix stream socket connected to `path`.
/// Returns the descriptor or -errno.
int berth_unix_connect(const char *path);

/// accept4 with SOCK_CLOEXEC | SOCK_NONBLOCK. Returns the descriptor or -errno.
int berth_accept(int fd);

/// The uid of the peer of a connected unix socket (SO_PEERCRED).
int berth_peer_uid(int fd, uint32_t *uid_out);

/// Receives one message and returns the first descriptor passed with
/// SCM_RIGHTS (close-on-exec), closing any others, or -errno.
int berth_recv_fd(int sock);

/// Sends one byte with `fd` attached (SCM_RIGHTS). Returns 0 or -errno.
int berth_send_fd(int sock, int fd);

// MARK: descriptors, files, terminals, clocks (io.c)

/// File kinds returned by berth_file_kind.
#define BERTH_KIND_REGULAR 1
#define BERTH_KIND_DIRECTORY 2
#define BERTH_KIND_FIFO 3
#define BERTH_KIND_OTHER 4

/// read(2) with EINTR retried. Returns the byte count or -errno.
ssize_t berth_read(int fd, void *buf, size_t count);
/// write(2) with EINTR retried. Returns the byte count or -errno.
ssize_t berth_write(int fd, const void *buf, size_t count);
/// open(2) with O_CLOEXEC added and EINTR retried. Returns the descriptor or -errno.
int berth_open(const char *path, int flags, unsigned int mode);
/// close(2). Returns 0 or -errno.
int berth_close(int fd);
/// pipe2(O_CLOEXEC): fds[0] reads, fds[1] writes. Returns 0 or -errno.
int berth_pipe(int fds[_Nonnull 2]);
/// Sets or clears O_NONBLOCK. Returns 0 or -errno.
int berth_set_nonblocking(int fd, int on);
/// Sets or clears FD_CLOEXEC. Returns 0 or -errno.
int berth_set_cloexec(int fd, int on);
/// fsync(2). Returns 0 or -errno.
int berth_fsync(int fd);
/// rename(2). Returns 0 or -errno.
int berth_rename(const char *from, const char *to);
/// unlink(2). Returns 0 or -errno.
int berth_unlink(const char *path);
/// rmdir(2). Returns 0 or -errno.
int berth_rmdir(const char *path);
/// mkdir(2). Returns 0 or -errno.
int berth_mkdir(const char *path, unsigned int mode);
/// mkfifo(3). Returns 0 or -errno.
int berth_mkfifo(const char *path, unsigned int mode);
/// stat(2) of `path` as a BERTH_KIND_* value, or -errno.
int berth_file_kind(const char *path);
/// ioctl(TIOCSWINSZ). Returns 0 or -errno.
int berth_set_winsize(int fd, uint16_t rows, uint16_t cols);
/// ioctl(TIOCGWINSZ). Returns 0 or -errno.
int berth_get_winsize(int fd, uint16_t *rows, uint16_t *cols);
/// A new pseudo-terminal pair (both close-on-exec). Returns 0 or -errno.
int berth_openpty(int *master_out, int *slave_out);
/// kill(2). Returns 0 or -errno.
int berth_kill(pid_t pid, int sig);
/// malloc_trim(0): returns freed heap memory to the kernel, so a long-lived
/// process's private memory does not keep its high-water mark. Returns 1 if
/// memory was released, else 0.
int berth_release_free_memory(void);
/// clock_gettime(CLOCK_REALTIME). Returns 0 or -errno.
int berth_clock_realtime(int64_t *seconds, int32_t *nanoseconds);
/// clock_gettime(CLOCK_MONOTONIC) in milliseconds.
int64_t berth_clock_monotonic_ms(void);
/* CLOCK_MONOTONIC in microseconds. */
int64_t berth_clock_monotonic_us(void);
/// gmtime_r: fills fields with year, month (1-12), day, hour, minute,
/// second. Returns 0 or -errno.
int berth_gmtime(int64_t seconds, int fields[_Nonnull 6]);

// MARK: mounts (mount.c)

/// mount(2). Returns 0 or -errno.
int berth_mount(const char *_Nullable source, const char *target, const char *_Nullable fstype,
                unsigned long flags, const char *_Nullable data);
/// umount2(2). Returns 0 or -errno.
int berth_umount(const char *target, int flags);

extern const unsigned long berth_MS_RDONLY;
extern const unsigned long berth_MS_NOSUID;
extern const unsigned long berth_MS_NODEV;
extern const unsigned long berth_MS_NOEXEC;
extern const unsigned long berth_MS_SYNCHRONOUS;
extern const unsigned long berth_MS_REMOUNT;
extern const unsigned long berth_MS_MANDLOCK;
extern const unsigned long berth_MS_DIRSYNC;
extern const unsigned long berth_MS_NOATIME;
extern const unsigned long berth_MS_NODIRATIME;
extern const unsigned long berth_MS_BIND;
extern const unsigned long berth_MS_REC;
extern const unsigned long berth_MS_PRIVATE;
extern const unsigned long berth_MS_SLAVE;
extern const unsigned long berth_MS_SHARED;
extern const unsigned long berth_MS_UNBINDABLE;
extern const unsigned long berth_MS_RELATIME;
extern const unsigned long berth_MS_STRICTATIME;
extern const int berth_MNT_DETACH;

// MARK: path resolution and device numbers (openat2.c)

/// openat2(2) relative to `dirfd` with O_CLOEXEC added and EINTR/EAGAIN
/// retried; `resolve` is a mask of berth_RESOLVE_* values. Returns the
/// descriptor or -errno (-ENOSYS on kernels before 5.6, -EXDEV or -ELOOP
/// when resolution would leave the directory or cross a refused link).
int berth_openat2(int dirfd, const char *path, uint64_t flags, uint64_t mode, uint64_t resolve);

/// makedev(3): a device number from major and minor numbers.
uint64_t berth_makedev(uint32_t major_number, uint32_t minor_number);
/// major(3) of a device number.
uint32_t berth_major(uint64_t device);
/// minor(3) of a device number.
uint32_t berth_minor(uint64_t device);

extern const uint64_t berth_RESOLVE_NO_XDEV;
extern const uint64_t berth_RESOLVE_NO_MAGICLINKS;
extern const uint64_t berth_RESOLVE_NO_SYMLINKS;
extern const uint64_t berth_RESOLVE_BENEATH;
extern const uint64_t berth_RESOLVE_IN_ROOT;

/// Mounts a `fstype` filesystem at `target` with the new mount API (fsopen,
/// fsconfig per parameter, fsmount, move_mount): `keys[i]` is set to
/// `values[i]`, or set as a flag when that is NULL; `attributes` is a mask of
/// berth_MOUNT_ATTR_* values. For overlay mounts whose lowerdir list is
/// longer than mount(2)'s one-page data (repeat `lowerdir+`, Linux 6.8+).
/// Returns 0 or -errno.
int berth_fsmount(const char *fstype, const char *target, const char *const _Nonnull *_Nonnull keys,
                  const char *_Nullable const *_Nonnull values, int count, unsigned int attributes);

extern const unsigned int berth_MOUNT_ATTR_RDONLY;
extern const unsigned int berth_MOUNT_ATTR_NOSUID;
extern const unsigned int berth_MOUNT_ATTR_NODEV;
extern const unsigned int berth_MOUNT_ATTR_NOEXEC;

// MARK: extended attributes and file copies (xattr.c)

/// flistxattr(2) / llistxattr(2): NUL-separated names. Return the size or -errno.
ssize_t berth_flistxattr(int fd, char *_Nullable list, size_t size);
ssize_t berth_llistxattr(const char *path, char *_Nullable list, size_t size);
/// fgetxattr(2) / lgetxattr(2). Return the value size or -errno.
ssize_t berth_fgetxattr(int fd, const char *name, void *_Nullable value, size_t size);
ssize_t berth_lgetxattr(const char *path, const char *name, void *_Nullable value, size_t size);
/// fsetxattr(2) / lsetxattr(2) with flags 0. Return 0 or -errno.
int berth_fsetxattr(int fd, const char *name, const void *_Nullable value, size_t size);
int berth_lsetxattr(const char *path, const char *name, const void *_Nullable value, size_t size);
/// copy_file_range(2) from the current offsets, EINTR retried. Returns the
/// bytes copied (0 at end of input) or -errno.
ssize_t berth_copy_file_range(int fd_in, int fd_out, size_t length);

#pragma clang assume_nonnull end

#endif
