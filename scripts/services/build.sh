#!/usr/bin/env bash
# Builds the reference gRPC services (reference-services/) as static Linux binaries, one per
# service: gateway, refinement-api, learning-api, storage-service. The container image build
# copies them from here.
#
#   PLATFORM_SERVICES_HOME  output cache (default ~/.cache/platform-services); binaries in its bin/
#
# Idempotent: a stamp holds a hash of the module's sources and the Go version, and a second run
# with nothing changed only prints where the binaries are. The Go module and build caches are the
# user's usual ones (shared with other Go builds); the machine's Go is the toolchain.
set -euo pipefail
MODULE=$(cd "$(dirname "$0")/../../reference-services" && pwd)
CACHE=${PLATFORM_SERVICES_HOME:-$HOME/.cache/platform-services}
BIN=$CACHE/bin
SERVICES=(gateway refinement-api learning-api storage-service)
export GOTOOLCHAIN=local CGO_ENABLED=0 GOOS=linux

command -v go >/dev/null || { echo "build.sh: Go is not installed" >&2; exit 1; }
cd "$MODULE"
key=$( { go version; find . -type f \( -name '*.go' -o -name go.mod -o -name go.sum \) ! -name '*_test.go' | LC_ALL=C sort | xargs sha256sum; } | sha256sum | cut -c1-16)

up_to_date() {
  [ "$(cat "$BIN/.source-hash" 2>/dev/null)" = "$key" ] || return 1
  for s in "${SERVICES[@]}"; do [ -x "$BIN/$s" ] || return 1; done
}

if up_to_date; then
  echo "[services] up to date in $BIN (${SERVICES[*]})"
  exit 0
fi
mkdir -p "$BIN"
rm -f "$BIN/.source-hash"
start=$(date +%s)
# -p=1: the machine is shared with other builds; -trimpath keeps local paths out of the binaries.
go build -p=1 -trimpath -buildvcs=false -ldflags "-s -w" -o "$BIN/" "${SERVICES[@]/#/./cmd/}"
echo "$key" > "$BIN/.source-hash"
echo "[services] built ${SERVICES[*]} into $BIN in $(( $(date +%s) - start )) s"
