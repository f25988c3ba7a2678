// mount(2) and umount2(2) with -errno returns.
#define _GNU_SOURCE
#include "berth_sys.h"

#include <errno.h>
#include <sys/mount.h>

int berth_mount(const char *_Nullable source, const char *target, const char *_Nullable fstype,
                unsigned long flags, const char *_Nullable data) {
    return mount(source, target, fstype, flags, data) < 0 ? -errno : 0;
}

int berth_umount(const char *target, int flags) {
    return umount2(target, flags) < 0 ? -errno : 0;
}

const unsigned long berth_MS_RDONLY = MS_RDONLY;
const unsigned long berth_MS_NOSUID = MS_NOSUID;
const unsigned long berth_MS_NODEV = MS_NODEV;
const unsigned long berth_MS_NOEXEC = MS_NOEXEC;
const unsigned long berth_MS_SYNCHRONOUS = MS_SYNCHRONOUS;
const unsigned long berth_MS_REMOUNT = MS_REMOUNT;
const unsigned long berth_MS_MANDLOCK = MS_MANDLOCK;
const unsigned long berth_MS_DIRSYNC = MS_DIRSYNC;
const unsigned long berth_MS_NOATIME = MS_NOATIME;
const unsigned long berth_MS_NODIRATIME = MS_NODIRATIME;
const unsigned long berth_MS_BIND = MS_BIND;
const unsigned long berth_MS_REC = MS_REC;
const unsigned long berth_MS_PRIVATE = MS_PRIVATE;
const unsigned long berth_MS_SLAVE = MS_SLAVE;
const unsigned long berth_MS_SHARED = MS_SHARED;
const unsigned long berth_MS_UNBINDABLE = MS_UNBINDABLE;
const unsigned long berth_MS_RELATIME = MS_RELATIME;
const unsigned long berth_MS_STRICTATIME = MS_STRICTATIME;
const int berth_MNT_DETACH = MNT_DETACH;
