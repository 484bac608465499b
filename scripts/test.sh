#!/usr/bin/env bash
# The test command (`npm test`, and what CI's .ci/run calls): installs whatever is missing (each step
# idempotent and cached, see scripts/setup.sh), then type check, lint, the reference services' Go
# tests, the jest suite, and the end-to-end runs of the real Pulumi engine against a local cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=nodejs/env.sh
source scripts/nodejs/env.sh

bash scripts/setup.sh
printf '\n== type check, lint, format\n'
npx tsc --noEmit -p tsconfig.json
npm run -s lint
printf '\n== go: reference services against real Redis, ClickHouse and Kafka\n'
(cd reference-services && GOTOOLCHAIN=local go vet ./... && GOTOOLCHAIN=local go test ./...)
printf '\n== jest: program under mocks, config, policies, health checks and monitoring against real servers\n'
npx jest "$@"
printf '\n== end to end: pulumi preview/up/destroy of both stacks against the local cluster\n'
npm run test:e2e
