#!/usr/bin/env bash
# Idle daemon memory, side by side: berthd and a private containerd 1.6
# (hack/containerd-private.sh), each on its own temporary root. Both get the
# same few API calls from ctr (version, namespaces, images, content,
# snapshots, leases; three rounds), then sit idle for BENCH_IDLE seconds
# (default 3) before their memory is read from /proc: VmRSS (status) and
# Rss, Pss, Private_Clean, Private_Dirty, Anonymous (smaps_rollup), in KiB.
# Prints one row per daemon and berthd/containerd ratios.
# Pss and Private_Clean count pages shared with other processes running the
# same binary (another containerd, another berthd) as shared: compare VmRSS.
#
# Usage: hack/bench-daemon.sh BIN_DIR     (BIN_DIR holds berthd, e.g. .build/release)
# BERTHD=/path/to/berthd measures another build of berthd instead.
set -euo pipefail

bin=$(cd "${1:?usage: bench-daemon.sh BIN_DIR}" && pwd)
berthd=${BERTHD:-$bin/berthd}
idle=${BENCH_IDLE:-3}
hack=$(cd "$(dirname "$0")" && pwd)

work=$(mktemp -d /tmp/berth-bench-daemon.XXXXXX)
berthd_pid=
cleanup() {
    if [ -n "$berthd_pid" ] && kill -0 "$berthd_pid" 2>/dev/null; then
        kill "$berthd_pid" 2>/dev/null || true
        for _ in $(seq 1 50); do
            grep -q '^State:.*Z' "/proc/$berthd_pid/status" 2>/dev/null && break
            kill -0 "$berthd_pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -9 "$berthd_pid" 2>/dev/null || true
        wait "$berthd_pid" 2>/dev/null || true
    fi
    "$hack/containerd-private.sh" stop "$work/containerd" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

"$berthd" --root "$work/berth/root" --state "$work/berth/state" --address "$work/berth/b.sock" \
    >"$work/berthd.log" 2>&1 &
berthd_pid=$!
for _ in $(seq 1 200); do
    ctr --address "$work/berth/b.sock" version >/dev/null 2>&1 && break
    kill -0 "$berthd_pid" 2>/dev/null || { echo "berthd exited:" >&2; tail -20 "$work/berthd.log" >&2; exit 1; }
    sleep 0.05
done
eval "$("$hack/containerd-private.sh" start "$work/containerd")"
containerd_pid=$(cat "$work/containerd/containerd.pid")

exercise() {
    local address=$1
    for _ in 1 2 3; do
        for command in "version" "namespaces ls" "images ls" "content ls" "snapshots ls" "leases ls"; do
            # shellcheck disable=SC2086
            ctr --address "$address" $command >/dev/null
        done
    done
}
exercise "$work/berth/b.sock"
exercise "$CONTAINERD_ADDRESS"
sleep "$idle"

# field NAME FILE: the KiB value of "NAME:" in FILE.
field() { awk -v name="$1:" '$1 == name {print $2}' "$2"; }

declare -A rss pss private_clean private_dirty anon vmrss threads
for daemon in berthd containerd; do
    pid_var=${daemon}_pid
    pid=${!pid_var}
    vmrss[$daemon]=$(field VmRSS "/proc/$pid/status")
    threads[$daemon]=$(field Threads "/proc/$pid/status")
    rss[$daemon]=$(field Rss "/proc/$pid/smaps_rollup")
    pss[$daemon]=$(field Pss "/proc/$pid/smaps_rollup")
    private_clean[$daemon]=$(field Private_Clean "/proc/$pid/smaps_rollup")
    private_dirty[$daemon]=$(field Private_Dirty "/proc/$pid/smaps_rollup")
    anon[$daemon]=$(field Anonymous "/proc/$pid/smaps_rollup")
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "-" }'; }

printf 'idle daemon memory after start-up and 18 ctr calls, %ss idle (KiB)\n' "$idle"
printf '%-12s %8s %8s %8s %14s %14s %10s %8s\n' daemon VmRSS Rss Pss Private_Clean Private_Dirty Anonymous Threads
for daemon in containerd berthd; do
    printf '%-12s %8s %8s %8s %14s %14s %10s %8s\n' "$daemon" "${vmrss[$daemon]}" "${rss[$daemon]}" \
        "${pss[$daemon]}" "${private_clean[$daemon]}" "${private_dirty[$daemon]}" "${anon[$daemon]}" \
        "${threads[$daemon]}"
done
printf '%-12s %8s %8s %8s %14s %14s %10s\n' "berthd/ctrd" \
    "$(ratio "${vmrss[berthd]}" "${vmrss[containerd]}")" "$(ratio "${rss[berthd]}" "${rss[containerd]}")" \
    "$(ratio "${pss[berthd]}" "${pss[containerd]}")" \
    "$(ratio "${private_clean[berthd]}" "${private_clean[containerd]}")" \
    "$(ratio "${private_dirty[berthd]}" "${private_dirty[containerd]}")" \
    "$(ratio "${anon[berthd]}" "${anon[containerd]}")"
printf 'berthd VmRSS %.1f MiB (budget 32 MiB); containerd %.1f MiB\n' \
    "$(awk -v k="${vmrss[berthd]}" 'BEGIN { print k / 1024 }')" \
    "$(awk -v k="${vmrss[containerd]}" 'BEGIN { print k / 1024 }')"
