// Extended attributes and copy_file_range, which Swift's Glibc module does not export.
#define _GNU_SOURCE
#include "berth_sys.h"

#include <errno.h>
#include <sys/xattr.h>
#include <unistd.h>

ssize_t berth_flistxattr(int fd, char *_Nullable list, size_t size) {
    ssize_t n = flistxattr(fd, list, size);
    return n < 0 ? -errno : n;
}

ssize_t berth_llistxattr(const char *path, char *_Nullable list, size_t size) {
    ssize_t n = llistxattr(path, list, size);
    return n < 0 ? -errno : n;
}

ssize_t berth_fgetxattr(int fd, const char *name, void *_Nullable value, size_t size) {
    ssize_t n = fgetxattr(fd, name, value, size);
    return n < 0 ? -errno : n;
}

ssize_t berth_lgetxattr(const char *path, const char *name, void *_Nullable value, size_t size) {
    ssize_t n = lgetxattr(path, name, value, size);
    return n < 0 ? -errno : n;
}

int berth_fsetxattr(int fd, const char *name, const void *_Nullable value, size_t size) {
    return fsetxattr(fd, name, value, size, 0) < 0 ? -errno : 0;
}

int berth_lsetxattr(const char *path, const char *name, const void *_Nullable value, size_t size) {
    return lsetxattr(path, name, value, size, 0) < 0 ? -errno : 0;
}

ssize_t berth_copy_file_range(int fd_in, int fd_out, size_t length) {
    ssize_t n;
    do {
        n = copy_file_range(fd_in, NULL, fd_out, NULL, length, 0);
    } while (n < 0 && errno == EINTR);
    return n < 0 ? -errno : n;
}
