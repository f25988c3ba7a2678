#define _GNU_SOURCE
#include "berth_sys.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sched.h>
#include <unistd.h>

#ifndef SYS_close_range
#define SYS_close_range 436
#endif

// Writes err to fd; used only in the child after fork, so it must be
// async-signal-safe.
static void report_and_exit(int fd, int err) {
    ssize_t ignored = write(fd, &err, sizeof(err));
    (void)ignored;
    _exit(127);
}

static int child_null_fd(void) {
    return open("/dev/null", O_RDWR | O_CLOEXEC);
}

int berth_spawn(const char *path, char *const argv[], char *const envp[],
                const berth_spawn_attr *attr, pid_t *pid_out, int *pidfd_out) {
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) < 0) {
        return -errno;
    }

    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);

    pid_t pid = fork();
    if (pid < 0) {
        int err = errno;
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        close(pipefd[0]);
        close(pipefd[1]);
        return -err;
    }

    if (pid == 0) {
        // Child. Only async-signal-safe calls from here to exec.
        if (attr->reset_signals) {
            for (int sig = 1; sig < NSIG; sig++) {
                signal(sig, SIG_DFL);
            }
        }
        if (attr->pdeathsig != 0 && prctl(PR_SET_PDEATHSIG, attr->pdeathsig) < 0) {
            report_and_exit(pipefd[1], errno);
        }
        if (attr->setsid && setsid() < 0) {
            report_and_exit(pipefd[1], errno);
        }
        // Descriptors 0..2 and 3..3+n-1 (the extra ones) are the targets.
        // Keep the error pipe, and every descriptor to be installed, above
        // them first, so a mapping such as {1, 0, 2} cannot clobber itself.
        int extra = attr->extra_fd_count > 0 ? attr->extra_fd_count : 0;
        if (extra > BERTH_SPAWN_MAX_EXTRA_FDS) {
            report_and_exit(pipefd[1], EINVAL);
        }
        int base = 3 + extra;
        int errfd = fcntl(pipefd[1], F_DUPFD_CLOEXEC, base);
        if (errfd < 0) {
            report_and_exit(pipefd[1], errno);
        }
        int moved[3 + BERTH_SPAWN_MAX_EXTRA_FDS];
        for (int i = 0; i < 3 + extra; i++) {
            int fd = i < 3 ? attr->stdio[i] : attr->extra_fds[i - 3];
            if (fd < 0) {
                fd = child_null_fd();
                if (fd < 0) {
                    report_and_exit(errfd, errno);
                }
            }
            moved[i] = fcntl(fd, F_DUPFD_CLOEXEC, base);
            if (moved[i] < 0) {
                report_and_exit(errfd, errno);
            }
        }
        for (int i = 0; i < 3 + extra; i++) {
            if (dup2(moved[i], i) < 0) {
                report_and_exit(errfd, errno);
            }
        }
        // Close everything from `base` up except the error pipe (close-on-exec).
        if (errfd > base) {
            syscall(SYS_close_range, base, errfd - 1, 0);
        }
        syscall(SYS_close_range, errfd + 1, ~0U, 0);
        if (attr->private_mount_ns) {
            // A private mount namespace: mounts and unmounts made here never
            // reach the host (the crun quirk hides /sys/fs/cgroup/unified).
            if (unshare(CLONE_NEWNS) < 0) {
                report_and_exit(errfd, errno);
            }
            if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0) {
                report_and_exit(errfd, errno);
            }
            if (attr->detach_unmount != NULL && umount2(attr->detach_unmount, MNT_DETACH) < 0 &&
                errno != EINVAL && errno != ENOENT) {
                report_and_exit(errfd, errno);
            }
        }
        if (attr->cwd != NULL && chdir(attr->cwd) < 0) {
            report_and_exit(errfd, errno);
        }
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        if (attr->reset_signals) {
            sigset_t none;
            sigemptyset(&none);
            pthread_sigmask(SIG_SETMASK, &none, NULL);
        }
        execve(path, argv, envp);
        report_and_exit(errfd, errno);
    }

    // Parent.
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    close(pipefd[1]);
    int child_err = 0;
    ssize_t n;
    do {
        n = read(pipefd[0], &child_err, sizeof(child_err));
    } while (n < 0 && errno == EINTR);
    close(pipefd[0]);
    if (n == (ssize_t)sizeof(child_err)) {
        // exec failed: reap the child we just made and report its errno.
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        return -child_err;
    }
    *pid_out = pid;
    if (pidfd_out != NULL) {
        int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
        *pidfd_out = pfd < 0 ? -1 : pfd;
    }
    return 0;
}
