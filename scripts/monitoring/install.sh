#!/usr/bin/env bash
# Installs the monitoring tools the tests run: prometheus and promtool at the version of the
# deployed prom/prometheus image, alertmanager and amtool at the version of the deployed
# Alertmanager image.
#
# They are built from their Go modules because Debian's prometheus package is compiled without
# Kubernetes service discovery: its promtool rejects `kubernetes_sd_configs`, so it can neither
# check the generated scrape configuration nor load it. Only the Kubernetes discovery plugin is
# compiled in, which keeps the build to a few minutes.
#
# Idempotent and cached: binaries go to $MONITORING_TOOLS_DIR/bin (default
# ~/.cache/platform-monitoring-tools/bin) and are rebuilt only when a version changes.
set -euo pipefail

PROMETHEUS_VERSION=2.55.1   # prom/prometheus:v2.55.1 in Pulumi.<stack>.yaml
ALERTMANAGER_VERSION=0.27.0 # prom/alertmanager:v0.27.0, the default in config/monitoring.ts
TOOLS_DIR="${MONITORING_TOOLS_DIR:-$HOME/.cache/platform-monitoring-tools}"
BIN="$TOOLS_DIR/bin"

has_version() { [ -x "$BIN/$1" ] && "$BIN/$1" --version 2>&1 | head -1 | grep -q "version $2 "; }

if has_version prometheus "$PROMETHEUS_VERSION" && has_version promtool "$PROMETHEUS_VERSION" \
  && has_version alertmanager "$ALERTMANAGER_VERSION" && has_version amtool "$ALERTMANAGER_VERSION"; then
  echo "monitoring tools up to date in $BIN"
  exit 0
fi

if ! command -v go >/dev/null; then
  echo "install.sh: Go 1.22 or newer is needed to build prometheus/promtool/amtool" >&2
  exit 1
fi
mkdir -p "$BIN"
export GOFLAGS=-buildvcs=false CGO_ENABLED=0
ldflags() { echo "-s -w -X github.com/prometheus/common/version.Version=$1 -X github.com/prometheus/common/version.Branch=release -X github.com/prometheus/common/version.Revision=module"; }

if ! has_version prometheus "$PROMETHEUS_VERSION" || ! has_version promtool "$PROMETHEUS_VERSION"; then
  # Prometheus 2.x is published as Go module version v0.x (2.55.1 -> v0.55.1). Its go.mod has replace
  # directives, so `go install module@version` refuses it: build inside a copy of the module instead.
  module="github.com/prometheus/prometheus@v0.${PROMETHEUS_VERSION#2.}"
  src_dir="$(go mod download -json "$module" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  cp -r "$src_dir/." "$work/"
  chmod -R u+w "$work"
  cat >"$work/plugins/plugins.go" <<'EOF'
// Service discovery plugins compiled in: only Kubernetes, the one the platform's configuration uses.
package plugins

import (
	_ "github.com/prometheus/prometheus/discovery/kubernetes" // Register kubernetes plugin.
)
EOF
  (cd "$work" && go build -ldflags "$(ldflags "$PROMETHEUS_VERSION")" -o "$BIN/" ./cmd/prometheus ./cmd/promtool)
fi

if ! has_version alertmanager "$ALERTMANAGER_VERSION" || ! has_version amtool "$ALERTMANAGER_VERSION"; then
  GOBIN="$BIN" go install -ldflags "$(ldflags "$ALERTMANAGER_VERSION")" \
    "github.com/prometheus/alertmanager/cmd/alertmanager@v$ALERTMANAGER_VERSION" "github.com/prometheus/alertmanager/cmd/amtool@v$ALERTMANAGER_VERSION"
fi

for tool in prometheus promtool alertmanager amtool; do "$BIN/$tool" --version 2>&1 | head -1; done
