#!/usr/bin/env bash
# Fails when the shim binary links full Foundation (or ICU), or the C
# libraries that only daemon-tier modules may use. The shim runs once per
# container, so what it maps is multiplied by the number of containers.
set -euo pipefail
shim=${1:?usage: check-shim.sh PATH_TO_BERTH_SHIM}
[ -x "$shim" ] || { echo "check-shim: $shim not built" >&2; exit 1; }

needed=$(ldd "$shim" | awk '{print $1}')
bad=$(echo "$needed" | grep -E '^lib(Foundation|FoundationNetworking|FoundationXML)\.so|libicu|^libcap\.|^libseccomp\.|^libbpf\.' || true)
if [ -n "$bad" ]; then
    echo "check-shim: $shim links what the shim tier must not:" >&2
    echo "$bad" >&2
    exit 1
fi
echo "check-shim: ok ($(echo "$needed" | grep -c .) shared objects, no full Foundation)"
