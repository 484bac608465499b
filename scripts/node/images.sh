#!/usr/bin/env bash
# The real node's own images, each one static binary: the pod sandbox (pause.c, a stand-in for
# Kubernetes' pause image) and CoreDNS (built from its Go module by scripts/engine/install.sh).
# Sourced by node.sh: node_image NAME prints "REFERENCE ARCHIVE", building the archive if missing
# (cached by the binary's hash, so a rebuilt binary gives a new reference).
NODE_STORE=${PLATFORM_NODE_STORE:-$HOME/.cache/platform-node}
NODE_IMAGES_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# static_image NAME BINARY USER ENTRYPOINT...: an OCI archive holding BINARY at /NAME.
static_image() {
  local name=$1 binary=$2 user=$3; shift 3
  local tag tmp archive entry=()
  tag=$(sha256sum "$binary" | cut -c1-12)
  archive=$NODE_STORE/$name-$tag.oci.tar
  if [ ! -f "$archive" ]; then
    tmp=$(mktemp -d); mkdir -p "$NODE_STORE"
    umoci init --layout "$tmp/oci"
    umoci new --image "$tmp/oci:$tag"
    umoci unpack --image "$tmp/oci:$tag" "$tmp/bundle" >/dev/null
    install -m 0755 "$binary" "$tmp/bundle/rootfs/$name"
    umoci repack --image "$tmp/oci:$tag" "$tmp/bundle"
    for a in "$@"; do entry+=(--config.entrypoint "$a"); done
    umoci config --image "$tmp/oci:$tag" "${entry[@]}" --config.user "$user"
    umoci gc --layout "$tmp/oci"
    tar -C "$tmp/oci" -cf "$archive.part" . && mv "$archive.part" "$archive"
    rm -rf "$tmp"
  fi
  echo "platform.local/stand-in/$name:$tag $archive"
}

node_image() {
  case "$1" in
    pause)
      local bin="$NODE_STORE/pause-bin-$(sha256sum "$NODE_IMAGES_HERE/pause.c" | cut -c1-12)"
      [ -x "$bin" ] || { mkdir -p "$NODE_STORE"; gcc -static -O2 -s -o "$bin" "$NODE_IMAGES_HERE/pause.c"; }
      static_image pause "$bin" 65535:65535 /pause ;;
    coredns) static_image coredns "$(readlink -f "$(command -v coredns)")" 65532:65532 /coredns ;;
    *) echo "node_image: unknown image $1" >&2; return 2 ;;
  esac
}
