#!/usr/bin/env bash
# Postgres backups on demand and restores, through the program's own backup CronJob (docs/runbooks.md, "Backup
# and restore"; docs/upgrades.md, "Replacements that cannot be avoided"):
#
#   scripts/ops/postgres-backup.sh backup  NAMESPACE          a pg_dump now, onto the postgres-backup volume
#   scripts/ops/postgres-backup.sh list    NAMESPACE          the dumps on that volume, newest first
#   scripts/ops/postgres-backup.sh restore NAMESPACE [FILE]   pg_restore of FILE (default: the newest
#                                                             dump) into the running Postgres
#
# Each runs as a Job made from the CronJob's template: the same image, the credentials from the
# stack's Secret, the backup volume mounted, and the NetworkPolicy that lets backups reach Postgres
# (list and restore run once, without the backup's retries).
# It talks to kubectl's current context (KUBECONFIG), waits for the Job (at most
# PLATFORM_JOB_TIMEOUT seconds, 900 by default), prints its log and exits non-zero when it failed.
# Stop the writers before a restore (docs/runbooks.md); the restore replaces what the dump holds, in one
# transaction, so a failed restore changes nothing.
set -euo pipefail

usage() { sed -n '5,8p' "$0" | sed 's/^# /  /' >&2; exit 2; }
[ $# -ge 2 ] || usage
action=$1 ns=$2 file=${3:-}
job="postgres-$action-$(date -u +%Y%m%d%H%M%S)"
timeout=${PLATFORM_JOB_TIMEOUT:-900}

# The restore's script: the named dump or the newest, checked readable before anything is dropped.
read -r -d '' RESTORE <<'SH' || true
set -eu
file="${RESTORE_FILE:-$(ls -1t /backups/*.dump 2>/dev/null | head -n 1)}"
[ -n "$file" ] && [ -f "$file" ] || { echo "no dump ${RESTORE_FILE:-on the backup volume}" >&2; exit 1; }
pg_restore --list "$file" > /dev/null
# As the backup script does (components/datastores/postgres.ts): a new pod's first connections can be refused.
for i in $(seq 1 60); do pg_isready --quiet --timeout=2 && break; sleep 1; done
pg_restore --clean --if-exists --no-owner --exit-on-error --single-transaction --dbname="$PGDATABASE" "$file"
echo "restored: $file"
SH

# job_from_template SCRIPT: the CronJob's Job template running SCRIPT (RESTORE_FILE in its environment).
job_from_template() {
  kubectl -n "$ns" get cronjob postgres-backup -o json |
    jq --arg name "$job" --arg script "$1" --arg file "$file" '{
      apiVersion: "batch/v1", kind: "Job",
      metadata: {name: $name, namespace: .metadata.namespace, labels: .metadata.labels},
      spec: (.spec.jobTemplate.spec
        | .ttlSecondsAfterFinished = 86400 | .backoffLimit = 0
        | .template.spec.containers[0].command = ["sh", "-c", $script]
        | .template.spec.containers[0].env += [{name: "RESTORE_FILE", value: $file}])
    }' | kubectl apply -f - > /dev/null
}

# The Job to its end (bounded), then its log; the exit status says whether it succeeded.
wait_job() {
  local deadline=$((SECONDS + timeout)) status
  while :; do
    status=$(kubectl -n "$ns" get job "$job" -o jsonpath='{range .status.conditions[?(@.status=="True")]}{.type} {end}')
    case " $status " in
      *" Complete "*) kubectl -n "$ns" logs "job/$job" --all-containers; return 0 ;;
      *" Failed "*) kubectl -n "$ns" logs "job/$job" --all-containers >&2 || true; echo "job $ns/$job failed" >&2; return 1 ;;
    esac
    [ "$SECONDS" -lt "$deadline" ] || { echo "job $ns/$job not finished after ${timeout}s" >&2; return 1; }
    sleep 2
  done
}

case $action in
  backup) kubectl -n "$ns" create job --from=cronjob/postgres-backup "$job" > /dev/null ;;
  list) job_from_template 'ls -1t /backups/*.dump 2>/dev/null || echo "no dumps on the backup volume"' ;;
  restore) job_from_template "$RESTORE" ;;
  *) usage ;;
esac
wait_job
