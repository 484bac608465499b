#!/bin/bash
# The clickhouse-server image's entrypoint contract, for what the program uses, on Debian's
# ClickHouse 18.16: CLICKHOUSE_USER / CLICKHOUSE_PASSWORD become the only user (written to users.d);
# on first start (no data yet), or on every start with CLICKHOUSE_ALWAYS_RUN_INITDB_SCRIPTS set,
# CLICKHOUSE_DB is created and /docker-entrypoint-initdb.d/*.sql|*.sh run against a server listening on localhost, then the server is exec'd. Arguments starting with
# '-' are options to clickhouse-server.
#
# Stand-in only: 18.16 predates DateTime64, now64() and table TTL (ClickHouse 19.6-20.1), so the .sql
# init files are downgraded on the fly (DateTime64(p, tz) -> DateTime(tz), now64(p) -> now(), a
# table's TTL clause dropped), each rewrite logged. CLICKHOUSE_DEFAULT_ACCESS_MANAGEMENT is ignored:
# 18.16 has no SQL-driven access control. 18.16 has no <prometheus> endpoint either: a stand-in
# (clickhouse-metrics-standin) serves ClickHouse's metric names on 9363 beside the server.
set -Eeuo pipefail

CONFIG="${CLICKHOUSE_CONFIG:-/etc/clickhouse-server/config.xml}"
DATA_DIR=/var/lib/clickhouse
USER_NAME="${CLICKHOUSE_USER:-default}"
PASSWORD="${CLICKHOUSE_PASSWORD:-}"

if [ "${1:-}" = "" ] || [ "${1:0:1}" = '-' ]; then set -- clickhouse-server --config-file="$CONFIG" "$@"; fi
if [ "$1" != clickhouse-server ]; then exec "$@"; fi

if [ -n "${CLICKHOUSE_USER:-}" ] || [ -n "$PASSWORD" ]; then
  # Replaces the package's password-less default user; ::/0 also matches IPv4 clients.
  cat >/etc/clickhouse-server/users.d/default-user.xml <<XML
<yandex>
  <users>
    <default remove="remove"></default>
    <${USER_NAME}>
      <profile>default</profile>
      <networks><ip>::/0</ip></networks>
      <password>${PASSWORD}</password>
      <quota>default</quota>
    </${USER_NAME}>
  </users>
</yandex>
XML
fi

downgrade_sql() {
  sed -E \
    -e "s/DateTime64\([0-9]+, *('[^']*')\)/DateTime(\1)/g" \
    -e 's/DateTime64\([0-9]+\)/DateTime/g' \
    -e 's/now64\([0-9]*\)/now()/g' \
    -e 's/^TTL [^;]*;/;/' "$1"
}

if [ ! -d "$DATA_DIR/data" ] || [ -n "${CLICKHOUSE_ALWAYS_RUN_INITDB_SCRIPTS:-}" ]; then
  "$@" -- --listen_host=127.0.0.1 &
  pid=$!
  client=(clickhouse-client --host 127.0.0.1 --user "$USER_NAME" --password "$PASSWORD" --multiquery)
  for _ in $(seq 1 60); do "${client[@]}" --query "SELECT 1" >/dev/null 2>&1 && break; sleep 1; done
  "${client[@]}" --query "SELECT 1" >/dev/null
  if [ -n "${CLICKHOUSE_DB:-}" ]; then "${client[@]}" --query "CREATE DATABASE IF NOT EXISTS ${CLICKHOUSE_DB}"; fi
  for f in /docker-entrypoint-initdb.d/*; do
    case "$f" in
      *.sh) echo "running $f"; if [ -x "$f" ]; then "$f"; else . "$f"; fi ;;
      *.sql)
        echo "running $f"
        if ! downgrade_sql "$f" | cmp -s - "$f"; then
          echo "stand-in: $f downgraded for ClickHouse 18.16:"; diff "$f" <(downgrade_sql "$f") || true
        fi
        downgrade_sql "$f" | "${client[@]}" ;;
      *) [ -e "$f" ] && echo "ignoring $f" ;;
    esac
  done
  kill -TERM "$pid"
  wait "$pid" || true
  # The init server answers on localhost as the real one will: this line tells them apart in the log.
  echo "ClickHouse init process complete; starting the server."
fi

clickhouse-metrics-standin &
exec "$@"
