#!/usr/bin/env bash
# bash scripts/engine/preview.sh STACK [pulumi preview flags]
# `pulumi preview --policy-pack policies` of one stack with the local engine, before a pull request:
# against the cluster in KUBECONFIG, or the local cluster (started when needed), with the local file
# backend.
# The stack runs from a scratch copy of its configuration (scripts/engine/local-project.sh), so the
# tracked Pulumi.<stack>.yaml is never rewritten. Exits with pulumi's status: a mandatory policy
# violation fails it.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
stack=${1:?usage: preview.sh STACK [flags]}
shift
# shellcheck source=env.sh
source "$REPO/scripts/engine/env.sh"
# shellcheck source=local-project.sh
source "$REPO/scripts/engine/local-project.sh"
[ -n "${KUBECONFIG:-}" ] || use_local_cluster
work=${PLATFORM_PREVIEW_DIR:-$PLATFORM_ENGINE_CACHE/preview-project}
local_project "$work" "$stack"
cd "$work"
pulumi stack select --create "$stack" >/dev/null
exec pulumi preview --stack "$stack" --policy-pack "$REPO/policies" --non-interactive --diff=false "$@"
