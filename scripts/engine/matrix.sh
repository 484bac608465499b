#!/usr/bin/env bash
# npm run test:matrix: the KWOK tier's end-to-end test of both stacks (tests/e2e/kwok/stacks.e2e.ts:
# policy preview, up, workloads Ready, Pod Security, no deprecated API or field, idempotence, no
# secret in plain text, destroy) against the API server of every Kubernetes minor users run
# (K8S_MATRIX in versions.sh), then a table of the results. CI runs the same test against
# K8S_VERSION only; docs/engine.md ("Kubernetes versions") records the last results.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=versions.sh
source scripts/engine/versions.sh
bash scripts/setup.sh npm engine
PLATFORM_ENGINE_PARTS=kubernetes_matrix bash scripts/engine/install.sh
logs=$(mktemp -d)
rows=()
status=0
for v in $K8S_MATRIX; do
  t0=$SECONDS
  if PLATFORM_K8S_VERSION=$v npx jest --config tests/e2e/jest.config.js --runInBand tests/e2e/kwok/stacks.e2e.ts > "$logs/$v.log" 2>&1; then
    result=passed
  else
    result=FAILED status=1
  fi
  rows+=("$(printf '| %s | %s | %s | %d s |' "$v" "$result" "$(grep -m1 '^Tests:' "$logs/$v.log" | sed 's/^Tests: *//')" $((SECONDS - t0)))")
done
printf '\n| Kubernetes | result | tests | time |\n|---|---|---|---|\n'
printf '%s\n' "${rows[@]}"
printf '\nlogs: %s\n' "$logs"
exit $status
