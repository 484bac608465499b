#!/usr/bin/env bash
# Benchmark (not a test), no engine or cluster needed: the start-up of the program and of the policy
# pack as `pulumi preview --policy-pack policies` starts them, the median of `runs` (3 by default):
#   bash scripts/bench/startup.sh [runs]
# The program: startup.js (ts-node as Pulumi's cmd/run registers it, then the prod stack under
# mocks), with Pulumi.yaml's nodeargs (startup/preload.js) as the language host adds them. The pack:
# Pulumi's cmd/run-plugin, until it serves, with no node arguments of its own (the language host
# passes a plugin's nodeargs to the runner, not to node). Each with phases.js preloaded, which splits
# it into node start, loading packages, loading TypeScript tooling, compiling our .ts files and
# running our modules (construction included).
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
runs=${1:-3}
work=$(mktemp -d /tmp/platform-startup-XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$REPO"

# The node arguments the language host adds to the program's from Pulumi.yaml (`nodeargs`, split on
# whitespace).
program_args=$(node -e 'const o=require("yaml").parse(require("fs").readFileSync("Pulumi.yaml","utf8")).runtime?.options??{};console.log(o.nodeargs??"")')

for ((i = 0; i < runs; i++)); do
  # shellcheck disable=SC2086 # split on whitespace, as the language host splits nodeargs
  PLATFORM_BENCH_PHASES=$work/program.phases node $program_args -r ./scripts/bench/phases.js scripts/bench/startup.js > "$work/program.log"
  # run-plugin starts the pack in its own directory, as the language host does; it serves until killed.
  (cd "$REPO/policies" && exec env PLATFORM_BENCH_PHASES="$work/policy.phases" node -r "$REPO/scripts/bench/phases.js" \
    "$REPO/node_modules/@pulumi/pulumi/cmd/run-plugin/index.js" "$REPO/policies" 127.0.0.1:0 > "$work/policy.port") &
  pack=$!
  for ((t = 0; t < 1200; t++)); do [ -s "$work/policy.port" ] && break; sleep 0.1; done
  kill "$pack"; wait "$pack" 2>/dev/null || true
  : > "$work/policy.port"
done

# Median of each phase over the runs; a pid's last line counts (phases.js writes at entry load and exit).
report() {
  jq -rs --arg what "$1" '
    group_by("\(.pid)@\(.start)") | map(last) | map(select(.kind == ($what | if . == "program" then "startup.js" else "policy" end))) as $r
    | def med(f): ($r | map(f) | sort | .[(length - 1) / 2 | floor]) / 1000;
    [$what, med(if .exit then .exit - .start else .entryEnd end), med(.boot), med(.modules), med(.toolchain), med(.compile), med(.ours)]
    | @tsv' "$work/$1.phases"
}
printf '%-8s %8s %8s %9s %10s %8s %8s   (seconds, median of %s)\n' "" total "node" packages "TS tooling" compile ours "$runs"
{ report program; report policy; } | awk -F'\t' '{printf "%-8s %8.2f %8.2f %9.2f %10.2f %8.2f %8.2f\n", $1, $2, $3, $4, $5, $6, $7}'
echo "program: $(cat "$work/program.log")"
