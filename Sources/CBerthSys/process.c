#define _GNU_SOURCE
#include "berth_sys.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

int berth_pidfd_open(pid_t pid, unsigned int flags) {
    long fd = syscall(SYS_pidfd_open, pid, flags);
    return fd < 0 ? -errno : (int)fd;
}

int berth_pidfd_send_signal(int pidfd, int sig) {
    long rc = syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
    return rc < 0 ? -errno : 0;
}

int berth_set_child_subreaper(int on) {
    return prctl(PR_SET_CHILD_SUBREAPER, on ? 1 : 0, 0, 0, 0) < 0 ? -errno : 0;
}

int berth_get_child_subreaper(void) {
    int value = 0;
    if (prctl(PR_GET_CHILD_SUBREAPER, &value, 0, 0, 0) < 0) {
        return -errno;
    }
    return value ? 1 : 0;
}

int berth_set_pdeathsig(int sig) {
    return prctl(PR_SET_PDEATHSIG, sig, 0, 0, 0) < 0 ? -errno : 0;
}

int berth_set_process_name(const char *name) {
    return prctl(PR_SET_NAME, name, 0, 0, 0) < 0 ? -errno : 0;
}

pid_t berth_waitpid(pid_t pid, int *status, int flags) {
    pid_t rc;
    do {
        rc = waitpid(pid, status, flags);
    } while (rc < 0 && errno == EINTR);
    return rc < 0 ? -errno : rc;
}

int berth_wait_status_exit_code(int status) {
    if (WIFEXITED(status)) {
        return WEXITSTATUS(status);
    }
    if (WIFSIGNALED(status)) {
        return 128 + WTERMSIG(status);
    }
    return -1;
}

int berth_wait_status_is_terminal(int status) {
    return WIFEXITED(status) || WIFSIGNALED(status);
}

int berth_wait_status_signal(int status) {
    return WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

const int berth_WNOHANG = WNOHANG;
const int berth_SIGCHLD = SIGCHLD;
const int berth_O_CLOEXEC = O_CLOEXEC;
const int berth_RLIMIT_NOFILE = RLIMIT_NOFILE;
const int berth_RLIMIT_NPROC = RLIMIT_NPROC;
