#!/usr/bin/env bash
# Installs the real servers the health-check tests start on loopback (scripts/servers/run.ts):
# redis-server, PostgreSQL, clickhouse-server and Prometheus from Debian's packages, and a Kafka
# broker (KRaft) as jars resolved by Maven into a cache. Idempotent; a second run takes a second.
#
#   PLATFORM_SERVERS_HOME  cache for the Kafka jars (default ~/.cache/platform-servers)
set -euo pipefail
cd "$(dirname "$0")"

CACHE=${PLATFORM_SERVERS_HOME:-$HOME/.cache/platform-servers}
KAFKA_VERSION=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' kafka-pom.xml)
KAFKA_LIBS="$CACHE/kafka-$KAFKA_VERSION/libs"
# PostgreSQL refuses to run as root (CI's user); the tests run it as this unprivileged user.
TEST_USER=platform-test

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
run_apt() { if command -v flock >/dev/null; then $SUDO flock /tmp/apt.lock apt-get "$@"; else $SUDO apt-get "$@"; fi; }

missing=()
command -v redis-server >/dev/null || missing+=(redis-server)
ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || missing+=(postgresql)
command -v clickhouse-server >/dev/null || [ -x /usr/sbin/clickhouse-server ] || missing+=(clickhouse-server)
command -v prometheus >/dev/null || missing+=(prometheus)
command -v java >/dev/null || missing+=(openjdk-17-jre-headless)
command -v mvn >/dev/null || missing+=(maven)
if [ ${#missing[@]} -gt 0 ]; then
  # The packages ship services; there is no init system here and the tests start their own
  # servers, so keep the maintainer scripts from launching daemons.
  POLICY=/usr/sbin/policy-rc.d
  CREATED_POLICY=0
  if [ ! -e "$POLICY" ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$POLICY" >/dev/null
    $SUDO chmod +x "$POLICY"
    CREATED_POLICY=1
  fi
  trap '[ "$CREATED_POLICY" = 1 ] && $SUDO rm -f "$POLICY"' EXIT
  if ! apt-cache show "${missing[0]}" >/dev/null 2>&1; then run_apt update -qq; fi
  DEBIAN_FRONTEND=noninteractive run_apt install -y -qq --no-install-recommends "${missing[@]}"
fi

if [ "$(id -u)" -eq 0 ] && ! id "$TEST_USER" >/dev/null 2>&1; then
  useradd --system --no-create-home --shell /usr/sbin/nologin "$TEST_USER"
fi

if [ ! -f "$KAFKA_LIBS/.complete" ]; then
  mkdir -p "$KAFKA_LIBS"
  mvn -q -B -f kafka-pom.xml dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$KAFKA_LIBS"
  touch "$KAFKA_LIBS/.complete"
fi

echo "redis-server $(redis-server --version | sed -n 's/.*v=\([^ ]*\).*/\1/p'), $(ls -d /usr/lib/postgresql/*/bin | head -1), clickhouse-server $(dpkg-query -W -f='${Version}' clickhouse-server 2>/dev/null || echo '?'), $(prometheus --version 2>&1 | head -1), kafka $KAFKA_VERSION jars in $KAFKA_LIBS"
