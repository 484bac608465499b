#!/usr/bin/env bash
# Installs what the project needs on a fresh machine: `bash scripts/setup.sh [part...]`, parts npm,
# servers, monitoring, node, engine, images (default: all). Every step is idempotent and the slow ones (Go builds,
# Kafka jars) are cached outside the repo, so a second run takes seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
# Every part runs on the project's Node.js (scripts/nodejs/), installed first.
# shellcheck source=nodejs/env.sh
source scripts/nodejs/env.sh

step() { printf '\n== %s\n' "$*"; }

npm_packages() {
  step "npm packages"
  local lock_hash
  lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
  if [ "$(cat node_modules/.lock-hash 2>/dev/null)" != "$lock_hash" ]; then
    npm ci --no-audit --no-fund
    echo "$lock_hash" > node_modules/.lock-hash
  else
    echo "node_modules matches package-lock.json"
  fi
}

parts=("$@")
[ ${#parts[@]} -gt 0 ] || parts=(npm servers monitoring node engine images)
for p in "${parts[@]}"; do
  case "$p" in
    npm) npm_packages ;;
    servers) step "test servers (Redis, Postgres, ClickHouse, Kafka, Prometheus)"; bash scripts/servers/install.sh ;;
    monitoring) step "monitoring tools (promtool, amtool)"; bash scripts/monitoring/install.sh ;;
    node) step "real node packages (containerd, runc, CNI plugins, iptables)"; bash scripts/node/install.sh ;;
    engine) step "Pulumi engine, plugins and local Kubernetes control plane"; bash scripts/engine/install.sh ;;
    images) step "stand-in container images for the local real node"; bash scripts/images/build.sh ;;
    *) echo "setup.sh: unknown part '$p' (npm, servers, monitoring, node, engine, images)" >&2; exit 2 ;;
  esac
done
