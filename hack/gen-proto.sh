#!/usr/bin/env bash
# Regenerates the Swift code for Berth's .proto files.
#
# The protoc plugins are built from hack/protoc-tools, a separate package the
# root manifest does not depend on, so a normal `swift build` never compiles
# them (and never compiles swift-protobuf's vendored protoc either: Berth does
# not use the SwiftPM protoc build plugins). protoc itself is Debian's
# protobuf-compiler (3.21). The generated Swift is committed.
#
# Each module keeps its protos in Sources/<Module>/protos/ (excluded from the
# target) and its generated code in Sources/<Module>/Generated/, which this
# script replaces wholesale. Import paths are relative to the protos folder;
# google/protobuf/*.proto come from protoc's include directory and map onto
# SwiftProtobuf's well-known types.
#
# A module may import another module's protos (proto_deps below): those are
# put on the include path, not regenerated, and a ProtoPathModuleMappings
# file makes the generated code `import` the owning module instead.
#
# Usage: hack/gen-proto.sh [MODULE...]   (from anywhere inside the checkout;
#        default: every module)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

scratch=.build-protoc
tools=hack/protoc-tools
protoc=${PROTOC:-protoc}
include=${PROTOC_INCLUDE:-/usr/include}

command -v "$protoc" >/dev/null || { echo "gen-proto: protoc not found (apt-get install protobuf-compiler)" >&2; exit 1; }
[ -f "$include/google/protobuf/any.proto" ] || { echo "gen-proto: no well-known protos under $include" >&2; exit 1; }

# Modules whose protos are plain messages (services there are served over
# ttrpc, which has no Swift generator: their method tables are hand-written).
swift_modules=(BerthTTRPC BerthShimProto)
# Modules whose services are gRPC (berthd's API); they also get
# protoc-gen-grpc-swift-2 output.
grpc_modules=(BerthAPI)
# Modules whose protos a module imports (types shared with the shim).
declare -A proto_deps=([BerthAPI]="BerthShimProto BerthTTRPC")

# Restrict to the modules named on the command line, if any.
if [ $# -gt 0 ]; then
    wanted=" $* "
    filter() { local m; for m in "$@"; do [[ $wanted == *" $m "* ]] && echo "$m"; done; }
    mapfile -t swift_modules < <(filter "${swift_modules[@]}")
    mapfile -t grpc_modules < <(filter "${grpc_modules[@]}")
fi

build_plugin() {
    swift build -c release --package-path "$tools" --scratch-path "$scratch" --product "$1" >&2
    echo "$root/$scratch/release/$1"
}

swift_plugin=$(build_plugin protoc-gen-swift)
grpc_plugin=
if [ ${#grpc_modules[@]} -gt 0 ]; then
    grpc_plugin=$(build_plugin protoc-gen-grpc-swift-2)
fi

generate() {
    local module=$1 with_grpc=$2
    local src="Sources/$module/protos" out="Sources/$module/Generated"
    local -a files
    mapfile -t files < <(cd "$src" && find . -name '*.proto' | sed 's|^\./||' | LC_ALL=C sort)
    [ ${#files[@]} -gt 0 ] || { echo "gen-proto: no protos in $src" >&2; exit 1; }

    local tmp
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' RETURN

    local -a includes=(-I "$src")
    local mappings="" dep dep_file
    for dep in ${proto_deps[$module]:-}; do
        includes+=(-I "Sources/$dep/protos")
        while IFS= read -r dep_file; do
            printf 'mapping {\n  module_name: "%s"\n  proto_file_path: "%s"\n}\n' "$dep" "$dep_file" >>"$tmp/mappings.asciipb"
        done < <(cd "Sources/$dep/protos" && find . -name '*.proto' | sed 's|^\./||' | LC_ALL=C sort)
        mappings=",ProtoPathModuleMappings=$tmp/mappings.asciipb"
    done
    includes+=(-I "$include")

    local -a args=(
        "${includes[@]}"
        --plugin=protoc-gen-swift="$swift_plugin"
        --swift_out="$tmp"
        --swift_opt=Visibility=Public,FileNaming=PathToUnderscores$mappings
    )
    if [ "$with_grpc" = yes ]; then
        args+=(
            --plugin=protoc-gen-grpc-swift-2="$grpc_plugin"
            --grpc-swift-2_out="$tmp"
            --grpc-swift-2_opt=Visibility=Public,FileNaming=PathToUnderscores,Client=true,Server=true$mappings
        )
    fi
    (cd "$root" && "$protoc" "${args[@]}" "${files[@]/#/$src/}")

    # protoc-gen-grpc-swift-2 writes a stub for every proto, services or not.
    if [ "$with_grpc" = yes ]; then
        grep -l '^// This file contained no services' "$tmp"/*.grpc.swift | xargs -r rm -f
    fi

    rm -rf "$out"
    mkdir -p "$out"
    cp "$tmp"/*.swift "$out"/
    echo "gen-proto: $module: ${#files[@]} protos -> $(ls "$out" | wc -l) files in $out"
}

for m in "${swift_modules[@]+"${swift_modules[@]}"}"; do generate "$m" no; done
for m in "${grpc_modules[@]+"${grpc_modules[@]}"}"; do generate "$m" yes; done
