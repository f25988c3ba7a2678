#!/usr/bin/env bash
# The pull benchmark of the images issue, on the product path: builds a
# ~190 MB three-layer image (hack/bench-pull-image.py: 6,000 small files,
# 150 MB of random data, compressible text, a whiteout), pushes it to a
# loopback docker-registry, then pulls and unpacks it cold, alternating:
#
#   berth      `berth pull --plain-http` through a fresh berthd (server-side
#              pull: download streamed into the overlayfs unpack)
#   containerd `ctr images pull --plain-http` against a fresh private
#              containerd 1.6 (pull and unpack into overlayfs)
#
# RUNS times each; prints every time, the medians and the ratio. Nothing is
# deleted until the end: ext4 avoids reusing inodes deleted in the last
# minutes, and the inode search after a mass delete (the previous run's
# files) costs more than the unpack itself (seen with perf: most of the
# time in `recently_deleted`), which would measure the benchmark, not the
# runtimes.
#
# Usage: hack/bench-pull.sh [RUNS]      (root; default 5 runs)
# BIN_DIR: a directory with release berthd, berth-shim and berth (default:
# built here with `swift build -c release`).
set -euo pipefail

runs=${1:-5}
cd "$(dirname "$0")/.."
repo=$(pwd)
if [ "$(id -u)" -ne 0 ]; then
    echo "bench-pull: run as root (containerd and overlay snapshots need it)" >&2
    exit 1
fi
bin=${BIN_DIR:-}
if [ -z "$bin" ]; then
    swift build -c release --product berthd >&2
    swift build -c release --product berth >&2
    bin=$(swift build -c release --show-bin-path)
fi

work=$(mktemp -d /tmp/bpull.XXXXXX)
registry_pid=
berthd_pid=
cleanup() {
    [ -n "$berthd_pid" ] && kill -TERM "$berthd_pid" 2>/dev/null && wait "$berthd_pid" 2>/dev/null
    [ -n "$registry_pid" ] && kill -TERM "$registry_pid" 2>/dev/null && wait "$registry_pid" 2>/dev/null
    for dir in "$work"/c*; do
        [ -d "$dir" ] && "$repo/hack/containerd-private.sh" stop "$dir" >/dev/null 2>&1
    done
    grep -o " $work[^ ]*" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

python3 "$repo/hack/bench-pull-image.py" "$work/image"

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$work/registry.yml" <<YAML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $work/registry
http:
  addr: 127.0.0.1:$port
YAML
docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
registry_pid=$!
for _ in $(seq 1 100); do
    python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/v2/')" 2>/dev/null && break
    sleep 0.1
done
reference=127.0.0.1:$port/bench/image:latest
skopeo copy --quiet --dest-tls-verify=false "oci:$work/image/layout:latest" "docker://$reference"

now() { date +%s%N; }
seconds() { echo "scale=3; ($2 - $1) / 1000000000" | bc; }

pull_containerd() {
    local dir=$work/c$1 start end
    eval "$("$repo/hack/containerd-private.sh" start "$dir")"
    sync
    start=$(now)
    ctr --address "$CONTAINERD_ADDRESS" images pull --plain-http "$reference" >/dev/null
    end=$(now)
    KEEP_DIR=1 "$repo/hack/containerd-private.sh" stop "$dir" >/dev/null
    seconds "$start" "$end"
}

pull_berth() {
    local dir=$work/b$1 start end
    "$bin/berthd" --root "$dir/root" --state "$dir/state" --address "$dir/b.sock" >"$dir.log" 2>&1 &
    berthd_pid=$!
    for _ in $(seq 1 200); do
        [ -S "$dir/b.sock" ] && BERTH_ADDRESS=$dir/b.sock "$bin/berth" version >/dev/null 2>&1 && break
        sleep 0.05
    done
    sync
    start=$(now)
    BERTH_ADDRESS=$dir/b.sock "$bin/berth" pull --plain-http --quiet "$reference" >/dev/null
    end=$(now)
    kill -TERM "$berthd_pid"
    wait "$berthd_pid" 2>/dev/null || true
    berthd_pid=
    grep -o " $dir[^ ]*" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
    seconds "$start" "$end"
}

median() { sort -n | awk '{a[NR] = $1} END {print (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2)}'; }

: >"$work/berth.times"
: >"$work/containerd.times"
for i in $(seq 1 "$runs"); do
    pull_containerd "$i" >>"$work/containerd.times"
    pull_berth "$i" >>"$work/berth.times"
done
berth=$(median <"$work/berth.times")
containerd=$(median <"$work/containerd.times")
echo "berth pull (berthd, server-side):   median ${berth} s of $(tr '\n' ' ' <"$work/berth.times")"
echo "containerd 1.6 ctr images pull:     median ${containerd} s of $(tr '\n' ' ' <"$work/containerd.times")"
echo "ratio berth/containerd: $(echo "scale=3; $berth / $containerd" | bc) (target <= 0.5)"
