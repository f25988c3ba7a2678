// openat2(2) for safe path resolution inside a directory, and device numbers.
#define _GNU_SOURCE
#include "berth_sys.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

int berth_openat2(int dirfd, const char *path, uint64_t flags, uint64_t mode, uint64_t resolve) {
    struct open_how how = {.flags = flags | O_CLOEXEC, .mode = mode, .resolve = resolve};
    long fd;
    do {
        fd = syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
    } while (fd < 0 && (errno == EINTR || errno == EAGAIN));
    return fd < 0 ? -errno : (int)fd;
}

uint64_t berth_makedev(uint32_t major_number, uint32_t minor_number) {
    return (uint64_t)makedev(major_number, minor_number);
}

uint32_t berth_major(uint64_t device) {
    return (uint32_t)major((dev_t)device);
}

uint32_t berth_minor(uint64_t device) {
    return (uint32_t)minor((dev_t)device);
}

const uint64_t berth_RESOLVE_NO_XDEV = RESOLVE_NO_XDEV;
const uint64_t berth_RESOLVE_NO_MAGICLINKS = RESOLVE_NO_MAGICLINKS;
const uint64_t berth_RESOLVE_NO_SYMLINKS = RESOLVE_NO_SYMLINKS;
const uint64_t berth_RESOLVE_BENEATH = RESOLVE_BENEATH;
const uint64_t berth_RESOLVE_IN_ROOT = RESOLVE_IN_ROOT;
