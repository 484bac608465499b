#!/usr/bin/env bash
# Installs what the real node runs beside the binaries scripts/engine/install.sh builds (kubelet,
# kube-proxy, CoreDNS, kube-router): containerd, runc, the CNI plugins and the iptables tools from
# Debian's packages, and umoci/mmdebstrap for the images. Idempotent.
set -euo pipefail
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
pkgs=(containerd runc containernetworking-plugins iptables ipset conntrack umoci mmdebstrap)
missing=()
for p in "${pkgs[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  # Debian's containerd ships a service; there is no init system here and node.sh starts its own.
  POLICY=/usr/sbin/policy-rc.d
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$POLICY" >/dev/null; $SUDO chmod +x "$POLICY"
  $SUDO flock /tmp/apt.lock apt-get update -qq
  $SUDO flock /tmp/apt.lock apt-get install -y -qq --no-install-recommends "${missing[@]}"
  $SUDO rm -f "$POLICY"
fi
echo "node packages installed: ${pkgs[*]}"
