// openat2(2) for safe path resolution inside a directory, device numbers,
// and the new mount API for overlay mounts with many layers.
#define _GNU_SOURCE
#include "berth_sys.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
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

// The new mount API, for overlay mounts whose options do not fit mount(2)'s
// one-page data string (many layers): each lowerdir is its own fsconfig call.

#ifndef SYS_fsopen
#define SYS_fsopen 430
#endif
#ifndef SYS_fsconfig
#define SYS_fsconfig 431
#endif
#ifndef SYS_fsmount
#define SYS_fsmount 432
#endif
#ifndef SYS_move_mount
#define SYS_move_mount 429
#endif

int berth_fsmount(const char *fstype, const char *target, const char *const _Nonnull *_Nonnull keys,
                  const char *_Nullable const *_Nonnull values, int count, unsigned int attributes) {
    int fs = (int)syscall(SYS_fsopen, fstype, FSOPEN_CLOEXEC);
    if (fs < 0) {
        return -errno;
    }
    int rc = 0;
    for (int i = 0; i < count && rc == 0; i++) {
        long r = values[i] == NULL ? syscall(SYS_fsconfig, fs, FSCONFIG_SET_FLAG, keys[i], NULL, 0)
                                   : syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, keys[i], values[i], 0);
        if (r < 0) {
            rc = -errno;
        }
    }
    if (rc == 0 && syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) {
        rc = -errno;
    }
    int mnt = -1;
    if (rc == 0) {
        mnt = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, attributes);
        if (mnt < 0) {
            rc = -errno;
        }
    }
    if (rc == 0 && syscall(SYS_move_mount, mnt, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) < 0) {
        rc = -errno;
    }
    if (mnt >= 0) {
        close(mnt);
    }
    close(fs);
    return rc;
}

const unsigned int berth_MOUNT_ATTR_RDONLY = MOUNT_ATTR_RDONLY;
const unsigned int berth_MOUNT_ATTR_NOSUID = MOUNT_ATTR_NOSUID;
const unsigned int berth_MOUNT_ATTR_NODEV = MOUNT_ATTR_NODEV;
const unsigned int berth_MOUNT_ATTR_NOEXEC = MOUNT_ATTR_NOEXEC;
