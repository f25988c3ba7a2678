#define _GNU_SOURCE
#include "berth_sys.h"

#include <errno.h>
#include <linux/magic.h>
#include <sys/vfs.h>

int berth_statfs_type(const char *path, int64_t *type_out) {
    struct statfs buf;
    if (statfs(path, &buf) < 0) {
        return -errno;
    }
    *type_out = (int64_t)buf.f_type;
    return 0;
}

const int64_t berth_CGROUP2_SUPER_MAGIC = CGROUP2_SUPER_MAGIC;
const int64_t berth_CGROUP_SUPER_MAGIC = CGROUP_SUPER_MAGIC;
const int64_t berth_TMPFS_MAGIC = TMPFS_MAGIC;
const int64_t berth_OVERLAYFS_SUPER_MAGIC = OVERLAYFS_SUPER_MAGIC;
