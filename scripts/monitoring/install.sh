#!/usr/bin/env bash
# Installs prometheus, promtool and amtool from Debian's packages (prometheus,
# prometheus-alertmanager) for the monitoring tests. Idempotent: does nothing when the tools exist.
set -euo pipefail

if command -v prometheus >/dev/null && command -v promtool >/dev/null && command -v amtool >/dev/null; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

# The packages ship systemd units; there is no init system to start them in CI, and the tests start
# their own Prometheus, so keep the maintainer scripts from launching daemons.
POLICY=/usr/sbin/policy-rc.d
CREATED_POLICY=0
if [ ! -e "$POLICY" ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$POLICY" >/dev/null
  $SUDO chmod +x "$POLICY"
  CREATED_POLICY=1
fi
trap '[ "$CREATED_POLICY" = 1 ] && $SUDO rm -f "$POLICY"' EXIT

# apt-get may be shared with other installers running at the same time.
run_apt() { if command -v flock >/dev/null; then $SUDO flock /tmp/apt.lock apt-get "$@"; else $SUDO apt-get "$@"; fi; }

if ! apt-cache show prometheus >/dev/null 2>&1; then run_apt update -qq; fi
DEBIAN_FRONTEND=noninteractive run_apt install -y -qq --no-install-recommends prometheus prometheus-alertmanager

prometheus --version 2>&1 | head -1
promtool --version 2>&1 | head -1
amtool --version 2>&1 | head -1
