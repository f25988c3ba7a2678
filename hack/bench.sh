#!/usr/bin/env bash
# Container lifecycle benchmarks, side by side with Debian's containerd 1.6 in
# the same run. Prints medians and ratios; `BENCH_RUNS` sets the repetitions.
#
# What is measured (busybox test image, runc as executor, `true` as command):
#   containerd       ctr run --rm against a private containerd 1.6, with its own
#                    shim (containerd-shim-runc-v2): the reference
#   containerd+berth-shim  the same, with berth-shim as the runtime
#                    (--runtime io.containerd.berth.v2)
#   berthd           ctr run --rm against berthd (berth-shim, runc): Berth's
#                    whole stack with containerd's own client
#   berth-spec+runc  the bundle generator (berth spec) + runc run
#   runc             raw runc run of a prepared bundle: the floor
# Then hack/bench-vs-containerd.sh: berthd and containerd alternating
# (latency, a burst of 50 concurrent detached starts and deletes, memory).
# Then the idle memory of 10 shims of each kind (Private_Dirty and PSS).
#
# Usage: hack/bench.sh BIN_DIR IMAGE_OUT_DIR
set -euo pipefail

bin=$(cd "${1:?usage: bench.sh BIN_DIR IMAGE_OUT_DIR}" && pwd)
image_out=$(cd "${2:?usage: bench.sh BIN_DIR IMAGE_OUT_DIR}" && pwd)
runs=${BENCH_RUNS:-30}
hack=$(cd "$(dirname "$0")" && pwd)
runc=$(command -v runc || echo /usr/sbin/runc)
image=localhost/berth/busybox:latest

# Short paths: unix socket paths are limited to 107 bytes.
work=$(mktemp -d /tmp/bbench.XXXXXX)
berthd_pid=
cleanup() {
    if [ -n "$berthd_pid" ]; then
        for id in $(ctr --address "$work/b/b.sock" tasks ls -q 2>/dev/null); do
            ctr --address "$work/b/b.sock" tasks kill -s KILL "$id" >/dev/null 2>&1 || true
        done
        kill -TERM "$berthd_pid" 2>/dev/null || true
        wait "$berthd_pid" 2>/dev/null || true
    fi
    "$hack/containerd-private.sh" stop "$work/containerd" >/dev/null 2>&1 || true
    grep -o " $work[^ ]*" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

eval "$(CONTAINERD_EXTRA_PATH="$bin" "$hack/containerd-private.sh" start "$work/containerd")"
ctr --address "$CONTAINERD_ADDRESS" images import --base-name localhost/berth/busybox \
    "$image_out/busybox.oci.tar" >/dev/null

"$bin/berthd" --root "$work/b/root" --state "$work/b/state" --address "$work/b/b.sock" >"$work/berthd.log" 2>&1 &
berthd_pid=$!
BERTHD_ADDRESS="$work/b/b.sock"
for _ in $(seq 1 200); do
    ctr --address "$BERTHD_ADDRESS" version >/dev/null 2>&1 && break
    sleep 0.05
done
ctr --address "$BERTHD_ADDRESS" images import "$image_out/busybox.oci.tar" >/dev/null

bundle="$work/bundle"
mkdir -p "$bundle"
cp -a "$image_out/busybox.rootfs" "$bundle/rootfs"
"$bin/berth" spec --image "$image_out/busybox" --id bench --bundle "$bundle" -- true

export CONTAINERD_ADDRESS BERTHD_ADDRESS bin bundle runc work image
hyperfine --style basic --runs "$runs" --warmup 3 --export-json "$work/results.json" \
    -n containerd "ctr --address \$CONTAINERD_ADDRESS run --rm --runc-root $work/runc-ctr $image bench-ctr true" \
    -n containerd+berth-shim "ctr --address \$CONTAINERD_ADDRESS run --rm --runtime io.containerd.berth.v2 $image bench-bsh true" \
    -n berthd "ctr --address \$BERTHD_ADDRESS run --rm $image bench-bd true" \
    -n berth-spec+runc "$bin/berth spec --image $image_out/busybox --id bench --bundle $bundle -- true && $runc --root $work/runc-berth run --bundle $bundle bench-berth" \
    -n runc "$runc --root $work/runc-raw run --bundle $bundle bench-runc" \
    >"$work/hyperfine.log"

echo
echo "Container lifecycle, busybox 'true', runc; $runs runs each; $(date -u +%Y-%m-%d); $(nproc) cores, $(uname -r)"
jq -r '
  (.results[] | select(.command == "containerd") | .median) as $base
  | ["case", "median ms", "vs containerd"],
    (.results[] | [.command, ((.median * 1000 * 10 | round) / 10 | tostring), (((.median / $base) * 100 | round) / 100 | tostring) + "x"])
  | @tsv' "$work/results.json" | column -t -s $'\t'

# berthd against containerd, alternating: latency, burst throughput, memory.
echo
"$hack/bench-vs-containerd.sh" "$bin" "$image_out"

# Idle shim memory: 10 detached sleeping containers per shim kind.
shim_memory() { # runtime label
    local runtime=$1 label=$2 pids=() i
    for i in $(seq 1 10); do
        ctr --address "$CONTAINERD_ADDRESS" run -d --runtime "$runtime" "$image" "mem-$label-$i" sleep 600 >/dev/null
    done
    sleep 2
    sync
    for i in $(seq 1 10); do
        pids+=("$(pgrep -f -- "-id mem-$label-$i " | head -1)")
    done
    local priv=0 pss=0 p
    for p in "${pids[@]}"; do
        priv=$(( priv + $(awk '/^Private_Dirty:/ {print $2}' "/proc/$p/smaps_rollup") ))
        pss=$(( pss + $(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup") ))
    done
    printf '%s\t%s\t%s\n' "$label" "$(( priv / 10 ))" "$(( pss / 10 ))"
    for i in $(seq 1 10); do
        ctr --address "$CONTAINERD_ADDRESS" tasks kill -s KILL "mem-$label-$i" >/dev/null 2>&1 || true
    done
    sleep 1
    for i in $(seq 1 10); do
        ctr --address "$CONTAINERD_ADDRESS" tasks rm "mem-$label-$i" >/dev/null 2>&1 || true
        ctr --address "$CONTAINERD_ADDRESS" containers rm "mem-$label-$i" >/dev/null 2>&1 || true
    done
}
echo
echo "Idle shim memory, mean of 10 shims (KiB)"
{
    printf 'shim\tPrivate_Dirty\tPSS\n'
    shim_memory io.containerd.runc.v2 containerd-shim-runc-v2
    shim_memory io.containerd.berth.v2 berth-shim
} | column -t -s $'\t'
