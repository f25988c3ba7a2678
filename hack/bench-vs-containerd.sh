#!/usr/bin/env bash
# The same workload against Debian's containerd 1.6 (a private instance) and
# against berthd, both driven through ctr, alternating the two so that load
# drifts hit both alike. Prints medians and berthd/containerd ratios.
#
#   latency     `ctr run --rm IMAGE true`, ROUNDS times each, alternating
#   throughput  BURST concurrent `ctr run -d` then concurrent kills and
#               deletes, 3 bursts each, alternating (median)
#   memory      each daemon's VmRSS afterwards
#
# Usage: hack/bench-vs-containerd.sh BIN_DIR IMAGE_OUT_DIR
#        (BIN_DIR holds berthd and berth-shim; ROUNDS=20, BURST=50)
set -euo pipefail

bin=$(cd "${1:?usage: bench-vs-containerd.sh BIN_DIR IMAGE_OUT_DIR}" && pwd)
image_out=$(cd "${2:?usage: bench-vs-containerd.sh BIN_DIR IMAGE_OUT_DIR}" && pwd)
rounds=${ROUNDS:-20}
burst=${BURST:-50}
hack=$(cd "$(dirname "$0")" && pwd)
image=localhost/berth/busybox:latest

# Short paths: unix socket paths are limited to 107 bytes.
work=$(mktemp -d /tmp/bvc.XXXXXX)
berthd_pid=
cleanup() {
    if [ -n "$berthd_pid" ]; then
        kill -TERM "$berthd_pid" 2>/dev/null || true
        wait "$berthd_pid" 2>/dev/null || true
    fi
    "$hack/containerd-private.sh" stop "$work/containerd" >/dev/null 2>&1 || true
    grep -o " $work[^ ]*" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

eval "$("$hack/containerd-private.sh" start "$work/containerd")"
containerd=$CONTAINERD_ADDRESS
"$bin/berthd" --root "$work/b/root" --state "$work/b/state" --address "$work/b/b.sock" >"$work/berthd.log" 2>&1 &
berthd_pid=$!
berthd=$work/b/b.sock
for _ in $(seq 1 200); do
    ctr --address "$berthd" version >/dev/null 2>&1 && break
    sleep 0.05
done
for address in "$containerd" "$berthd"; do
    ctr --address "$address" images import "$image_out/busybox.oci.tar" >/dev/null
    ctr --address "$address" run --rm "$image" warm true  # warm caches
done

now() { date +%s%N; }
# run_once ADDRESS ID: milliseconds for one `ctr run --rm`.
run_once() {
    local start end
    start=$(now)
    ctr --address "$1" run --rm "$image" "$2" true
    end=$(now)
    echo $(( (end - start) / 1000000 ))
}
# burst_once ADDRESS LABEL: seconds for a burst of detached starts, then deletes.
burst_once() {
    local address=$1 label=$2 start end
    start=$(now)
    seq 1 "$burst" | xargs -P "$burst" -I{} ctr --address "$address" run -d "$image" "$label-{}" sleep 600 >/dev/null
    seq 1 "$burst" | xargs -P "$burst" -I{} ctr --address "$address" tasks kill -s KILL "$label-{}" >/dev/null
    seq 1 "$burst" | xargs -P "$burst" -I{} sh -c \
        "until ctr --address $address tasks rm $label-{} >/dev/null 2>&1; do sleep 0.02; done;
         ctr --address $address containers rm $label-{} >/dev/null"
    end=$(now)
    echo "scale=3; ($end - $start) / 1000000000" | bc
}
median() { sort -n | awk '{a[NR] = $1} END {print (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2)}'; }

: >"$work/c.lat"
: >"$work/b.lat"
for i in $(seq 1 "$rounds"); do
    run_once "$containerd" "c$i" >>"$work/c.lat"
    run_once "$berthd" "b$i" >>"$work/b.lat"
done
: >"$work/c.burst"
: >"$work/b.burst"
for i in 1 2 3; do
    burst_once "$containerd" "cb$i" >>"$work/c.burst"
    burst_once "$berthd" "bb$i" >>"$work/b.burst"
done

c_lat=$(median <"$work/c.lat")
b_lat=$(median <"$work/b.lat")
c_burst=$(median <"$work/c.burst")
b_burst=$(median <"$work/b.burst")
rss() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

echo "berthd vs containerd 1.6, alternating; $(date -u +%Y-%m-%d); $(nproc) cores, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
{
    printf 'measure\tcontainerd\tberthd\tratio (berthd/containerd)\n'
    printf 'ctr run --rm true, median of %s (ms)\t%s\t%s\t%s\n' "$rounds" "$c_lat" "$b_lat" "$(echo "scale=2; $b_lat / $c_lat" | bc)"
    printf '%s detached starts + deletes, median of 3 (s)\t%s\t%s\t%s\n' "$burst" "$c_burst" "$b_burst" "$(echo "scale=2; $b_burst / $c_burst" | bc)"
    printf 'throughput (containers/s)\t%s\t%s\t%s\n' "$(echo "scale=1; $burst / $c_burst" | bc)" \
        "$(echo "scale=1; $burst / $b_burst" | bc)" "$(echo "scale=2; $c_burst / $b_burst" | bc)"
    printf 'daemon VmRSS afterwards (KiB)\t%s\t%s\t%s\n' "$(rss "$(cat "$work/containerd/containerd.pid")")" \
        "$(rss "$berthd_pid")" "$(echo "scale=2; $(rss "$berthd_pid") / $(rss "$(cat "$work/containerd/containerd.pid")")" | bc)"
} | column -t -s $'\t'
