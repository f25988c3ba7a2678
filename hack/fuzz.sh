#!/usr/bin/env bash
# Builds Berth's libFuzzer targets and runs each for a bounded time.
#
#   hack/fuzz.sh [TARGET...]          build, then run each target FUZZ_SECONDS (default 30)
#   FUZZ_BUILD_ONLY=1 hack/fuzz.sh    build only
#
# The targets (hack/fuzz/targets/<name>/) exist only when BERTH_FUZZ=1 (see the
# end of Package.swift) and are built in their own scratch path, .build-fuzz,
# so the normal build in .build is never touched or locked. Berth's library
# targets are compiled there with -sanitize=fuzzer,address.
#
# Each run starts from the committed seeds (hack/fuzz/corpus/<name>/, read
# only) plus what earlier runs found (.build-fuzz/corpus/<name>/, where new
# inputs go). A crash, a sanitizer report or a timeout leaves the input in
# .build-fuzz/artifacts/<name>/ and makes the script fail; reproduce it with
#   .build-fuzz/debug/<name> .build-fuzz/artifacts/<name>/crash-…
#
# fuzz-unpack writes files as root, so it runs in a private mount namespace
# in which / is read-only, only .build-fuzz stays writable, and its scratch
# directories live on a fresh tmpfs (TMPDIR=.build-fuzz/tmp): a layer that
# escaped its directory could not damage the host. (Not a tmpfs over /tmp:
# the checkout itself may live under /tmp.)
set -euo pipefail

cd "$(dirname "$0")/.."
ALL_TARGETS=(fuzz-oci fuzz-tar fuzz-unpack fuzz-reference fuzz-filter fuzz-ttrpc)
TARGETS=("${@:-${ALL_TARGETS[@]}}")
SECONDS_PER_TARGET="${FUZZ_SECONDS:-30}"
SWIFT="${SWIFT:-swift}"
SCRATCH=.build-fuzz
BIN="$SCRATCH/debug"

for target in "${TARGETS[@]}"; do
    [[ -d "hack/fuzz/targets/$target" ]] || { echo "fuzz: unknown target $target (${ALL_TARGETS[*]})" >&2; exit 2; }
done

build_start=$(date +%s)
mkdir -p "$SCRATCH/logs"
for target in "${TARGETS[@]}"; do
    # gold warns once per ASan helper symbol; keep the output readable.
    build_log="$SCRATCH/logs/$target.build.log"
    if ! BERTH_FUZZ=1 "$SWIFT" build --scratch-path "$SCRATCH" --product "$target" > "$build_log" 2>&1; then
        grep -v "Cannot export local symbol" "$build_log" | tail -40 >&2
        echo "fuzz: building $target failed (log: $build_log)" >&2
        exit 1
    fi
done
echo "fuzz: built ${TARGETS[*]} in $(($(date +%s) - build_start)) s"
[[ "${FUZZ_BUILD_ONLY:-0}" == 1 ]] && exit 0

failed=()
for target in "${TARGETS[@]}"; do
    work="$SCRATCH/corpus/$target"
    artifacts="$SCRATCH/artifacts/$target"
    log="$SCRATCH/logs/$target.log"
    mkdir -p "$work" "$artifacts" "$(dirname "$log")"
    command=(
        "$BIN/$target" -max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=2048
        -detect_leaks=0 -print_final_stats=1 -artifact_prefix="$artifacts/"
        "$work" "hack/fuzz/corpus/$target"
    )
    status=0
    if [[ "$target" == fuzz-unpack ]]; then
        root="$PWD/$SCRATCH"
        SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=0 unshare --mount --propagation private -- sh -c '
            set -e
            mount --bind "$1" "$1"
            mkdir -p "$1/tmp"
            mount -t tmpfs -o mode=1777 tmpfs "$1/tmp"
            mount -o remount,bind,ro /
            export TMPDIR="$1/tmp"
            shift
            exec "$@"' sh "$root" "${command[@]}" > "$log" 2>&1 || status=$?
    else
        SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=0 "${command[@]}" > "$log" 2>&1 || status=$?
    fi
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    corpus=$(find "$work" -type f | wc -l)
    if [[ $status -ne 0 ]]; then
        failed+=("$target")
        grep -E "ERROR|SUMMARY|fuzz-|Fatal|panic|==[0-9]+==" "$log" | head -20 >&2 || true
        echo "fuzz: $target FAILED (exit $status) after ${runs:-?} inputs; input saved in $artifacts/, log $log" >&2
    else
        echo "fuzz: $target: ${runs:-?} inputs in ${SECONDS_PER_TARGET} s, no failure (corpus: $corpus found + $(find "hack/fuzz/corpus/$target" -type f | wc -l) seeds)"
    fi
done

if [[ ${#failed[@]} -gt 0 ]]; then
    echo "fuzz: failures in ${failed[*]}" >&2
    exit 1
fi
