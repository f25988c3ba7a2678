// Descriptor I/O with EINTR retried and -errno returns, so Swift never reads
// errno itself; plus clocks, terminals and signals.
#define _GNU_SOURCE
#include "berth_sys.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

ssize_t berth_read(int fd, void *buf, size_t count) {
    ssize_t n;
    do {
        n = read(fd, buf, count);
    } while (n < 0 && errno == EINTR);
    return n < 0 ? -errno : n;
}

ssize_t berth_write(int fd, const void *buf, size_t count) {
    ssize_t n;
    do {
        n = write(fd, buf, count);
    } while (n < 0 && errno == EINTR);
    return n < 0 ? -errno : n;
}

int berth_open(const char *path, int flags, unsigned int mode) {
    int fd;
    do {
        fd = open(path, flags | O_CLOEXEC, (mode_t)mode);
    } while (fd < 0 && errno == EINTR);
    return fd < 0 ? -errno : fd;
}

int berth_close(int fd) {
    // Linux always releases the descriptor, even when close reports EINTR.
    return close(fd) < 0 && errno != EINTR ? -errno : 0;
}

int berth_pipe(int fds[2]) {
    return pipe2(fds, O_CLOEXEC) < 0 ? -errno : 0;
}

int berth_set_nonblocking(int fd, int on) {
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0) {
        return -errno;
    }
    flags = on ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK);
    return fcntl(fd, F_SETFL, flags) < 0 ? -errno : 0;
}

int berth_set_cloexec(int fd, int on) {
    int flags = fcntl(fd, F_GETFD);
    if (flags < 0) {
        return -errno;
    }
    flags = on ? (flags | FD_CLOEXEC) : (flags & ~FD_CLOEXEC);
    return fcntl(fd, F_SETFD, flags) < 0 ? -errno : 0;
}

int berth_fsync(int fd) {
    return fsync(fd) < 0 ? -errno : 0;
}

int berth_rename(const char *from, const char *to) {
    return rename(from, to) < 0 ? -errno : 0;
}

int berth_unlink(const char *path) {
    return unlink(path) < 0 ? -errno : 0;
}

int berth_rmdir(const char *path) {
    return rmdir(path) < 0 ? -errno : 0;
}

int berth_mkdir(const char *path, unsigned int mode) {
    return mkdir(path, (mode_t)mode) < 0 ? -errno : 0;
}

int berth_mkfifo(const char *path, unsigned int mode) {
    return mkfifo(path, (mode_t)mode) < 0 ? -errno : 0;
}

int berth_file_kind(const char *path) {
    struct stat st;
    if (stat(path, &st) < 0) {
        return -errno;
    }
    if (S_ISFIFO(st.st_mode)) {
        return BERTH_KIND_FIFO;
    }
    if (S_ISDIR(st.st_mode)) {
        return BERTH_KIND_DIRECTORY;
    }
    if (S_ISREG(st.st_mode)) {
        return BERTH_KIND_REGULAR;
    }
    return BERTH_KIND_OTHER;
}

int berth_set_winsize(int fd, uint16_t rows, uint16_t cols) {
    struct winsize ws = {.ws_row = rows, .ws_col = cols, .ws_xpixel = 0, .ws_ypixel = 0};
    return ioctl(fd, TIOCSWINSZ, &ws) < 0 ? -errno : 0;
}

int berth_get_winsize(int fd, uint16_t *rows, uint16_t *cols) {
    struct winsize ws;
    if (ioctl(fd, TIOCGWINSZ, &ws) < 0) {
        return -errno;
    }
    *rows = ws.ws_row;
    *cols = ws.ws_col;
    return 0;
}

int berth_openpty(int *master_out, int *slave_out) {
    int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0) {
        return -errno;
    }
    char name[128];
    if (grantpt(master) < 0 || unlockpt(master) < 0 || ptsname_r(master, name, sizeof(name)) != 0) {
        int err = errno;
        close(master);
        return -err;
    }
    int slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (slave < 0) {
        int err = errno;
        close(master);
        return -err;
    }
    *master_out = master;
    *slave_out = slave;
    return 0;
}

int berth_kill(pid_t pid, int sig) {
    return kill(pid, sig) < 0 ? -errno : 0;
}

int berth_clock_realtime(int64_t *seconds, int32_t *nanoseconds) {
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) < 0) {
        return -errno;
    }
    *seconds = (int64_t)ts.tv_sec;
    *nanoseconds = (int32_t)ts.tv_nsec;
    return 0;
}

int64_t berth_clock_monotonic_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t berth_clock_monotonic_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int berth_gmtime(int64_t seconds, int *fields) {
    time_t t = (time_t)seconds;
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL) {
        return -EOVERFLOW;
    }
    fields[0] = tm.tm_year + 1900;
    fields[1] = tm.tm_mon + 1;
    fields[2] = tm.tm_mday;
    fields[3] = tm.tm_hour;
    fields[4] = tm.tm_min;
    fields[5] = tm.tm_sec;
    return 0;
}

int berth_release_free_memory(void) {
    return malloc_trim(0);
}
