#!/usr/bin/env bash
# Installs everything the project needs on a fresh machine. Every step is idempotent and the slow
# ones (Go builds, Kafka jars) are cached outside the repo, so a second run takes seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

step "npm packages"
lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$(cat node_modules/.lock-hash 2>/dev/null)" != "$lock_hash" ]; then
  npm ci --no-audit --no-fund
  echo "$lock_hash" > node_modules/.lock-hash
else
  echo "node_modules matches package-lock.json"
fi

step "test servers (Redis, Postgres, ClickHouse, Kafka, Prometheus)"
bash scripts/servers/install.sh

step "monitoring tools (promtool, amtool)"
bash scripts/monitoring/install.sh

step "Pulumi engine, plugins and local Kubernetes control plane"
bash scripts/engine/install.sh
