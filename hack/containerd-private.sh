#!/usr/bin/env bash
# Starts or stops a private containerd 1.6 instance (Debian's package) with its
# own root, state and sockets, so tests and benchmarks never touch a system
# containerd.
#
#   hack/containerd-private.sh start DIR   # prints: export CONTAINERD_ADDRESS=…
#   hack/containerd-private.sh stop DIR
#
# DIR holds config.toml, root/, state/, containerd.sock, containerd.log and
# containerd.pid. containerd's runc shim keeps runc state under
# /run/containerd/runc/<ns> unless told otherwise: pass `--runc-root DIR/runc`
# to `ctr run` so runs stay private too. `stop` kills the daemon by pid, then every shim it started
# (found by their bundles under DIR), unmounts what is left and removes DIR
# (unless KEEP_DIR=1).
# CONTAINERD_EXTRA_PATH, when set, is put first on containerd's PATH, so a
# runtime name such as io.containerd.berth.v2 resolves to a shim built here
# (containerd-shim-berth-v2 in .build/debug).
set -euo pipefail

action=${1:?usage: containerd-private.sh start|stop DIR}
dir=${2:?usage: containerd-private.sh start|stop DIR}

start() {
    mkdir -p "$dir"/{root,state}
    dir=$(cd "$dir" && pwd)
    cat > "$dir/config.toml" <<TOML
version = 2
root = "$dir/root"
state = "$dir/state"
[grpc]
  address = "$dir/containerd.sock"
[ttrpc]
  address = "$dir/containerd.sock.ttrpc"
[debug]
  address = "$dir/debug.sock"
  level = "info"
[metrics]
  address = ""
[plugins."io.containerd.grpc.v1.cri"]
  disable_tcp_service = true
[plugins."io.containerd.internal.v1.opt"]
  path = "$dir/opt"
TOML
    PATH="${CONTAINERD_EXTRA_PATH:+$CONTAINERD_EXTRA_PATH:}$PATH" \
        containerd --config "$dir/config.toml" >"$dir/containerd.log" 2>&1 &
    echo $! > "$dir/containerd.pid"
    for _ in $(seq 1 100); do
        if ctr --address "$dir/containerd.sock" version >/dev/null 2>&1; then
            echo "export CONTAINERD_ADDRESS=$dir/containerd.sock"
            return 0
        fi
        sleep 0.1
    done
    echo "containerd-private: containerd did not come up; log:" >&2
    tail -20 "$dir/containerd.log" >&2
    return 1
}

stop() {
    [ -d "$dir" ] || return 0
    dir=$(cd "$dir" && pwd)
    if [ -f "$dir/containerd.pid" ]; then
        pid=$(cat "$dir/containerd.pid")
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
    fi
    # Shims run with their bundle under DIR as working directory.
    for p in $(pgrep -f 'containerd-shim' || true); do
        case "$(readlink "/proc/$p/cwd" 2>/dev/null)" in
            "$dir"/*) ;;
            *) continue ;;
        esac
        # The shim is the subreaper of its containers: kill them first.
        pkill -KILL -P "$p" 2>/dev/null || true
        kill -KILL "$p" 2>/dev/null || true
    done
    # Unmount anything left below DIR, deepest first.
    awk -v d="$dir/" 'index($5, d) == 1 {print $5}' /proc/self/mountinfo | sort -r | while read -r m; do
        umount -l "$m" 2>/dev/null || true
    done
    # KEEP_DIR=1 leaves the files (benchmarks remove them at the end: mass
    # deletes slow ext4's inode allocation for minutes afterwards).
    [ "${KEEP_DIR:-}" = 1 ] || rm -rf "$dir"
}

case "$action" in
    start) start ;;
    stop) stop ;;
    *) echo "usage: containerd-private.sh start|stop DIR" >&2; exit 2 ;;
esac
