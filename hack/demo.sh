#!/usr/bin/env bash
# The main job, on embedded defaults: start berthd in a temporary root, run a
# container from the busybox test image through it that prints a line, stop
# berthd, and check that nothing was left behind.
#
# The client is the berth CLI when it can run containers, else Debian's ctr
# (berthd speaks containerd 1.6's API, so both work).
#
# Usage: hack/demo.sh BIN_DIR IMAGE_OUT_DIR
set -euo pipefail

bin=$(cd "${1:?usage: demo.sh BIN_DIR IMAGE_OUT_DIR}" && pwd)
image_out=${2:?usage: demo.sh BIN_DIR IMAGE_OUT_DIR}
archive="$image_out/busybox.oci.tar"
image=localhost/berth/busybox:latest
ns=demo
id="berth-demo-$$"

# Short paths: unix socket paths are limited to 107 bytes.
work=$(mktemp -d /tmp/bdemo.XXXXXX)
address="$work/run/berth.sock"
berthd_pid=
cleanup() {
    if [ -n "$berthd_pid" ] && kill -0 "$berthd_pid" 2>/dev/null; then
        kill -TERM "$berthd_pid"; wait "$berthd_pid" 2>/dev/null || true
    fi
    grep -o " $work[^ ]*" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

say "starting berthd in $work"
"$bin/berthd" --root "$work/root" --state "$work/state" --address "$address" >"$work/berthd.log" 2>&1 &
berthd_pid=$!
for _ in $(seq 1 200); do
    [ -S "$address" ] && [ -S "$address.ttrpc" ] && break
    kill -0 "$berthd_pid" 2>/dev/null || { cat "$work/berthd.log" >&2; exit 1; }
    sleep 0.05
done

command='echo "Hello from a Berth container: $(id -un)@$(hostname), pid $$, kernel $(uname -r)"'
if "$bin/berth" --help 2>/dev/null | grep -qE '^ +run ' \
    && "$bin/berth" image --help 2>/dev/null | grep -qE '^ +import '; then
    berth() { BERTH_ADDRESS="$address" BERTH_NAMESPACE="$ns" BERTH_LOG_DIR="$work/logs" "$bin/berth" "$@"; }
    say "importing $image with berth"
    berth image import "$archive" >/dev/null
    say "berth run --rm $image"
    berth run --rm --name "$id" "$image" sh -c "$command" </dev/null
else
    ctr() { /usr/bin/ctr --address "$address" --namespace "$ns" "$@"; }
    say "importing $image with ctr"
    ctr images import "$archive" >/dev/null
    say "ctr run --rm $image (berthd → berth-shim → $(runc --version | head -1))"
    ctr run --rm "$image" "$id" sh -c "$command" </dev/null
fi

say "stopping berthd"
kill -TERM "$berthd_pid"
wait "$berthd_pid" || true
berthd_pid=
if grep -q "$work" /proc/self/mountinfo; then
    echo "demo: mounts left behind under $work" >&2
    exit 1
fi
if pgrep -f -- "-id $id" >/dev/null; then
    echo "demo: processes left behind for $id" >&2
    exit 1
fi
if [ -n "$(ls -A "$work/state/io.containerd.runtime.v2.task/$ns" 2>/dev/null)" ]; then
    echo "demo: bundles left behind" >&2
    exit 1
fi
cleanup
trap - EXIT
say "done: no mounts, processes or bundles left behind"
