#!/usr/bin/env bash
# The main job, on embedded defaults: run a container from the busybox test
# image that prints a line, then clean up everything it started.
#
# Path today: the image's layers are unpacked into a temporary rootfs, the
# bundle generator (`berth spec`) writes config.json, and runc runs it with a
# private --root. Once berthd lands, this starts berthd in a temporary root and
# uses `berth run` instead.
#
# Usage: hack/demo.sh BIN_DIR IMAGE_OUT_DIR
set -euo pipefail

bin=${1:?usage: demo.sh BIN_DIR IMAGE_OUT_DIR}
image_out=${2:?usage: demo.sh BIN_DIR IMAGE_OUT_DIR}
layout="$image_out/busybox"
runc=$(command -v runc || echo /usr/sbin/runc)
id="berth-demo-$$"

work=$(mktemp -d /tmp/berth-demo.XXXXXX)
state="$work/runc-state"
cleanup() {
    "$runc" --root "$state" delete --force "$id" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

say "image: $(jq -r '.manifests[0].annotations["io.containerd.image.name"]' "$layout/index.json")"
manifest=$(jq -r '.manifests[0].digest' "$layout/index.json")
bundle="$work/bundle"
mkdir -p "$bundle/rootfs"
for layer in $(jq -r '.layers[].digest' "$layout/blobs/sha256/${manifest#sha256:}"); do
    say "unpacking layer $layer"
    tar -xzf "$layout/blobs/sha256/${layer#sha256:}" -C "$bundle/rootfs"
done

say "generating config.json with the bundle generator"
"$bin/berth" spec --image "$layout" --id "$id" --bundle "$bundle" \
    -- sh -c 'echo "Hello from a Berth container: $(id -un)@$(hostname), pid $$, kernel $(uname -r)"'

say "running with $("$runc" --version | head -1)"
"$runc" --root "$state" run --bundle "$bundle" "$id" </dev/null

say "cleaning up"
cleanup
trap - EXIT
if grep -q "$work" /proc/self/mountinfo; then
    echo "demo: mounts left behind under $work" >&2
    exit 1
fi
if pgrep -f "$id" >/dev/null; then
    echo "demo: processes left behind for $id" >&2
    exit 1
fi
say "done: no mounts or processes left behind"
