// epoll, signalfd, eventfd and poll for the shim's single-threaded event loop.
#define _GNU_SOURCE
#include "berth_sys.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <unistd.h>

int berth_epoll_create(void) {
    int fd = epoll_create1(EPOLL_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

int berth_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t data) {
    struct epoll_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.events = events;
    ev.data.u64 = data;
    int kop = op == BERTH_EPOLL_ADD ? EPOLL_CTL_ADD : op == BERTH_EPOLL_MOD ? EPOLL_CTL_MOD : EPOLL_CTL_DEL;
    return epoll_ctl(epfd, kop, fd, &ev) < 0 ? -errno : 0;
}

int berth_epoll_wait(int epfd, uint64_t *data_out, uint32_t *events_out, int max_events, int timeout_ms) {
    struct epoll_event evs[64];
    if (max_events > 64) {
        max_events = 64;
    }
    int n;
    do {
        n = epoll_wait(epfd, evs, max_events, timeout_ms);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        return -errno;
    }
    for (int i = 0; i < n; i++) {
        data_out[i] = evs[i].data.u64;
        events_out[i] = evs[i].events;
    }
    return n;
}

int berth_signalfd_sigchld(void) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    if (sigprocmask(SIG_BLOCK, &set, NULL) < 0) {
        return -errno;
    }
    int fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    return fd < 0 ? -errno : fd;
}

int berth_signalfd_drain(int fd) {
    struct signalfd_siginfo info[8];
    int count = 0;
    for (;;) {
        ssize_t n = read(fd, info, sizeof(info));
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno == EAGAIN) {
                return count;
            }
            return -errno;
        }
        if (n == 0) {
            return count;
        }
        count += (int)(n / (ssize_t)sizeof(info[0]));
    }
}

int berth_ignore_sigpipe(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = SIG_IGN;
    return sigaction(SIGPIPE, &sa, NULL) < 0 ? -errno : 0;
}

int berth_eventfd(void) {
    int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    return fd < 0 ? -errno : fd;
}

int berth_inotify_watch(const char *path, int *wd_out) {
    int fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (fd < 0) {
        return -errno;
    }
    int wd = inotify_add_watch(fd, path, IN_MODIFY);
    if (wd < 0) {
        int err = errno;
        close(fd);
        return -err;
    }
    *wd_out = wd;
    return fd;
}

int berth_poll(const int *fds, const int16_t *events, int16_t *revents, int count, int timeout_ms) {
    struct pollfd pfds[16];
    if (count > 16) {
        return -EINVAL;
    }
    for (int i = 0; i < count; i++) {
        pfds[i].fd = fds[i];
        pfds[i].events = events[i];
        pfds[i].revents = 0;
    }
    int n = poll(pfds, (nfds_t)count, timeout_ms);
    if (n < 0) {
        return -errno;
    }
    for (int i = 0; i < count; i++) {
        revents[i] = pfds[i].revents;
    }
    return n;
}
