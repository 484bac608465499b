#!/usr/bin/env bash
# Builds stand-in container images for every container the program deploys, as OCI image archives
# that containerd imports (no container registry is reachable here):
#
#   bash scripts/images/build.sh [name...]      (default: every image in catalog.tsv)
#
# Each image goes to $CACHE/<name>-<version>.oci.tar, an OCI layout tarball whose index tags the
# image <version>: `ctr -n k8s.io images import --base-name platform.local/stand-in/<name> <file>`.
# $CACHE/images.tsv lists name, reference and archive of every image built. An image is rebuilt only
# when its recipe (this script, its files under scripts/images/<name>/, its version, its binary)
# changes. Debian images come from bookworm via mmdebstrap with one shared apt archive cache; the Go
# programs share one base layer (busybox, CA certificates, zoneinfo, passwd/group).
#
#   PLATFORM_IMAGES_CACHE  cache directory (default ~/.cache/platform-images)
#   COREDNS_BIN            the CoreDNS binary to package (default ~/.cache/platform-engine/bin/coredns)
set -euo pipefail
shopt -s inherit_errexit
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
CACHE="${PLATFORM_IMAGES_CACHE:-$HOME/.cache/platform-images}"
COREDNS_BIN="${COREDNS_BIN:-$HOME/.cache/platform-engine/bin/coredns}"
MONITORING_BIN="${MONITORING_TOOLS_DIR:-$HOME/.cache/platform-monitoring-tools}/bin"
SERVICES_BIN="${PLATFORM_SERVICES_HOME:-$HOME/.cache/platform-services}/bin"
REPOSITORY=platform.local/stand-in
SOURCES=/etc/apt/sources.list.d/debian.sources
[ -f "$SOURCES" ] || SOURCES=/etc/apt/sources.list
mkdir -p "$CACHE/apt-archives" "$CACHE/bin" "$CACHE/layers"

log() { printf '[images %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

# Fields of the catalog line for $1: version source keys.
catalog() { awk -F'\t' -v n="$1" '!/^#/ && $1 == n { print $2 "\t" $3 "\t" $4 }' "$HERE/catalog.tsv"; }
catalog_names() { awk -F'\t' '!/^#/ && NF { print $1 }' "$HERE/catalog.tsv"; }

# A bookworm root filesystem tarball with PKGS, docs/man pages/locales left out. USERS lines
# (name:uid:home) are created before the packages so their maintainer scripts find the fixed ids
# the upstream images use; the archive cache is shared between images so each .deb downloads once.
debian_rootfs() {
  local out="$1" pkgs="$2" users="$3" customize="${4:-true}"
  # update-alternatives (openjdk's postinst) fails when the man directory it links into is missing.
  local essential='mkdir -p "$1/usr/share/man/man1"'
  local u name uid home
  for u in $users; do
    IFS=: read -r name uid home <<<"$u"
    essential+="; echo '$name:x:$uid:$uid::$home:/usr/sbin/nologin' >>\"\$1/etc/passwd\"; echo '$name:x:$uid:' >>\"\$1/etc/group\""
  done
  flock "$CACHE/apt-archives" mmdebstrap --quiet --variant=essential --include="$pkgs" --skip=output/dev --skip=download/empty \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
    --dpkgopt='path-exclude=/usr/share/info/*' \
    --setup-hook='mkdir -p "$1/var/cache/apt/archives"' \
    --setup-hook="sync-in $CACHE/apt-archives /var/cache/apt/archives" \
    --essential-hook="$essential" \
    --customize-hook="sync-out /var/cache/apt/archives $CACHE/apt-archives" \
    --customize-hook="$customize" \
    bookworm "$out" "$SOURCES"
}

# The layer every Go-binary image starts from: busybox (a shell and wget for probes and debugging,
# as in the upstream prom/* images), CA certificates, zoneinfo, and passwd/group with nobody.
base_layer() {
  local out="$CACHE/layers/base.tar"
  exec 7>"$CACHE/layers/.lock"
  flock 7
  [ -f "$out" ] && { echo "$out"; return; }
  local dir; dir="$(mktemp -d)"
  (cd "$dir" && apt-get download -qq busybox-static tzdata >/dev/null)
  mkdir -p "$dir/root"
  local deb
  for deb in "$dir"/*.deb; do dpkg-deb -x "$deb" "$dir/root"; done
  rm -rf "$dir/root/usr/share/doc" "$dir/root/usr/share/man" "$dir/root/usr/share/lintian" "$dir"/*.deb
  mkdir -p "$dir/root/bin" "$dir/root/etc/ssl/certs" "$dir/root/tmp"
  chmod 1777 "$dir/root/tmp"
  for applet in sh wget ls cat; do ln -sf /bin/busybox "$dir/root/bin/$applet"; done
  cp /etc/ssl/certs/ca-certificates.crt "$dir/root/etc/ssl/certs/"
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' >"$dir/root/etc/passwd"
  printf 'root:x:0:\nnobody:x:65534:\n' >"$dir/root/etc/group"
  tar -C "$dir/root" --numeric-owner --owner=0 --group=0 -cf "$out.partial" .
  mv "$out.partial" "$out"
  rm -rf "$dir"
  echo "$out"
}

# Builds the Go module MODULE at VERSION (package PKG inside it) into $CACHE/bin/NAME-VERSION. Built
# inside a copy of the module so that modules with replace directives build too.
go_binary() {
  local name="$1" module="$2" version="$3" pkg="$4" ldflags="${5:-}"
  local out="$CACHE/bin/$name-$version"
  [ -x "$out" ] && { echo "$out"; return; }
  log "go build $module@$version"
  local src work
  # The checksum database does not answer for every module here; the module's own go.sum still
  # pins all of its dependencies.
  src="$(GOTOOLCHAIN=local GONOSUMDB="$module" go mod download -json "$module@$version" | jq -r 'if .Error then error(.Error) else .Dir end')"
  [ -d "$src" ] || { echo "build.sh: $module@$version has no source directory" >&2; return 1; }
  work="$(mktemp -d)"
  cp -r "$src/." "$work/" && chmod -R u+w "$work"
  (cd "$work" && CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-buildvcs=false go build -trimpath -ldflags "-s -w $ldflags" -o "$out.partial" "$pkg")
  rm -rf "$work"
  mv "$out.partial" "$out"
  echo "$out"
}

# A stand-in program kept in this repository (scripts/images/DIR), built at VERSION into OUT.
repo_binary() {
  (cd "$HERE/$1" && CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-buildvcs=false go build -trimpath -ldflags "-s -w -X main.version=$2" -o "$3" .)
}

prom_ldflags() { echo "-X github.com/prometheus/common/version.Version=$1 -X github.com/prometheus/common/version.Branch=release -X github.com/prometheus/common/version.Revision=module"; }

# A layer with FILE placed at PATH (mode 0755), plus any further "source:path" pairs.
files_layer() {
  local out="$1"; shift
  local dir; dir="$(mktemp -d)"
  local pair src dst
  for pair in "$@"; do
    src="${pair%%:*}"; dst="${pair#*:}"
    mkdir -p "$dir/root$(dirname "$dst")"
    cp -a "$src" "$dir/root$dst"
  done
  tar -C "$dir/root" --numeric-owner --owner=0 --group=0 -cf "$out" .
  rm -rf "$dir"
}

# Assembles an OCI layout from LAYERS (tar files, bottom first) with the image config given as umoci
# config flags, and writes the archive for NAME:VERSION.
oci_archive() {
  local name="$1" version="$2" layers="$3"; shift 3
  local work; work="$(mktemp -d)"
  umoci init --layout "$work/oci"
  umoci new --image "$work/oci:$version"
  local layer
  for layer in $layers; do umoci raw add-layer --image "$work/oci:$version" "$layer"; done
  # Exec probes and the containers' own commands find programs through the image's PATH.
  local path=(--config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin)
  case " $* " in *" PATH="*) path=() ;; esac
  umoci config --image "$work/oci:$version" --author="platform images (stand-in)" \
    --config.label "org.opencontainers.image.title=$name stand-in" "${path[@]}" "$@"
  umoci gc --layout "$work/oci"
  local out="$CACHE/$name-$version.oci.tar"
  tar -C "$work/oci" -cf "$out.partial" .
  mv "$out.partial" "$out"
  rm -rf "$work"
}

# --- one function per image: build_<name> VERSION WORKDIR ------------------------------------------

build_redis() {
  local version="$1" w="$2"
  debian_rootfs "$w/rootfs.tar" redis-server,redis-tools "redis:999:/data" \
    'mkdir -p "$1/data" && chown 999:999 "$1/data"'
  files_layer "$w/files.tar" "$HERE/redis/docker-entrypoint.sh:/usr/local/bin/docker-entrypoint.sh"
  oci_archive redis "$version" "$w/rootfs.tar $w/files.tar" --config.user 999:999 --config.workingdir /data \
    --config.entrypoint /usr/local/bin/docker-entrypoint.sh --config.cmd redis-server --config.exposedports 6379/tcp
}

build_postgres() {
  local version="$1" w="$2"
  # The package's own cluster is not wanted: the entrypoint initialises PGDATA on first start.
  debian_rootfs "$w/rootfs.tar" "postgresql-$version,postgresql-client-$version" "postgres:999:/var/lib/postgresql" \
    "rm -rf \"\$1/var/lib/postgresql/$version\" \"\$1/etc/postgresql/$version\"; mkdir -p \"\$1/var/lib/postgresql/data\" \"\$1/docker-entrypoint-initdb.d\" && chown 999:999 \"\$1/var/lib/postgresql/data\" && mkdir -p \"\$1/run/postgresql\" && chmod 1777 \"\$1/run/postgresql\""
  files_layer "$w/files.tar" "$HERE/postgres/docker-entrypoint.sh:/usr/local/bin/docker-entrypoint.sh"
  oci_archive postgres "$version" "$w/rootfs.tar $w/files.tar" --config.user 999:999 \
    --config.entrypoint /usr/local/bin/docker-entrypoint.sh --config.cmd postgres --config.exposedports 5432/tcp \
    --config.env "PATH=/usr/lib/postgresql/$version/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    --config.env PGDATA=/var/lib/postgresql/data --config.env "PG_MAJOR=$version" --config.env LANG=C.UTF-8 \
    --config.volume /var/lib/postgresql/data
}

build_clickhouse() {
  local version="$1" w="$2"
  debian_rootfs "$w/rootfs.tar" clickhouse-server,clickhouse-client,tzdata,wget "clickhouse:101:/var/lib/clickhouse" \
    'mkdir -p "$1/docker-entrypoint-initdb.d" "$1/var/lib/clickhouse" "$1/var/log/clickhouse-server" "$1/etc/clickhouse-server/users.d" "$1/etc/clickhouse-server/config.d" && chown 101:101 "$1/var/lib/clickhouse" "$1/var/log/clickhouse-server" "$1/etc/clickhouse-server/users.d" "$1/etc/clickhouse-server/config.d"'
  # 18.16 has no built-in Prometheus endpoint: a stand-in serves it on 9363 (clickhouse/metrics-standin).
  repo_binary clickhouse/metrics-standin "$version" "$w/clickhouse-metrics-standin"
  files_layer "$w/files.tar" "$HERE/clickhouse/entrypoint.sh:/entrypoint.sh" \
    "$HERE/clickhouse/docker_related_config.xml:/etc/clickhouse-server/config.d/docker_related_config.xml" \
    "$w/clickhouse-metrics-standin:/usr/local/bin/clickhouse-metrics-standin"
  oci_archive clickhouse "$version" "$w/rootfs.tar $w/files.tar" --config.user 101:101 \
    --config.entrypoint /entrypoint.sh --config.exposedports 8123/tcp --config.exposedports 9000/tcp --config.exposedports 9363/tcp \
    --config.env CLICKHOUSE_CONFIG=/etc/clickhouse-server/config.xml --config.volume /var/lib/clickhouse
}

build_kafka() {
  local version="$1" w="$2"
  local jars; jars="$CACHE/kafka-$version-libs-$(sha256sum "$HERE/kafka/pom.xml" | cut -c1-8)"
  if [ ! -f "$jars/.complete" ]; then
    log "kafka $version jars"
    mkdir -p "$jars"
    mvn -q -B -f "$HERE/kafka/pom.xml" -Dkafka.version="$version" dependency:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$jars"
    touch "$jars/.complete"
  fi
  debian_rootfs "$w/rootfs.tar" openjdk-17-jre-headless "appuser:1000:/home/appuser" \
    'rm -rf "$1/usr/lib/jvm/java-17-openjdk-amd64/lib/src.zip"'
  local dir="$w/kafka"
  mkdir -p "$dir/opt/kafka/libs" "$dir/opt/kafka/config" "$dir/opt/kafka/bin" "$dir/etc/kafka/docker" "$dir/var/lib/kafka/data" "$dir/mnt/shared/config"
  cp "$jars"/*.jar "$dir/opt/kafka/libs/"
  cp -a "$HERE/kafka/bin/." "$dir/opt/kafka/bin/"
  cp -a "$HERE/kafka/docker/." "$dir/etc/kafka/docker/"
  cp -a "$HERE/kafka/config/." "$dir/opt/kafka/config/"
  chmod 0755 "$dir"/opt/kafka/bin/* "$dir"/etc/kafka/docker/*
  tar -C "$dir" --numeric-owner --owner=0 --group=0 -cf "$w/kafka.tar" opt/kafka/libs opt/kafka/bin etc/kafka
  # The run script renders server.properties into /opt/kafka/config: the image user owns it.
  tar -C "$dir" --numeric-owner --owner=1000 --group=1000 -rf "$w/kafka.tar" opt/kafka/config var/lib/kafka mnt/shared
  oci_archive kafka "$version" "$w/rootfs.tar $w/kafka.tar" --config.user 1000:1000 --config.workingdir /opt/kafka \
    --config.entrypoint /etc/kafka/docker/run --config.exposedports 9092/tcp --config.volume /var/lib/kafka/data
}

# A Go program on the base layer: name version binary path-in-image user workdir [umoci config flags].
go_image() {
  local name="$1" version="$2" bin="$3" path="$4" user="$5" workdir="$6" w="$7"; shift 7
  local base; base="$(base_layer)"
  local dir="$w/app"
  mkdir -p "$dir$(dirname "$path")" "$dir$workdir"
  cp "$bin" "$dir$path"
  [ "$workdir" = / ] || chown -R "$user" "$dir$workdir"
  tar -C "$dir" --numeric-owner -cf "$w/app.tar" .
  oci_archive "$name" "$version" "$base $w/app.tar" --config.user "$user" --config.workingdir "$workdir" \
    --config.entrypoint "$path" "$@"
}

build_redis-exporter() {
  local bin; bin="$(go_binary redis_exporter github.com/oliver006/redis_exporter "v$1" . "-X main.BuildVersion=$1")"
  go_image redis-exporter "$1" "$bin" /redis_exporter 59000:59000 / "$2" --config.exposedports 9121/tcp
}

build_postgres-exporter() {
  local bin; bin="$(go_binary postgres_exporter github.com/prometheus-community/postgres_exporter "v$1" ./cmd/postgres_exporter "$(prom_ldflags "$1")")"
  go_image postgres-exporter "$1" "$bin" /bin/postgres_exporter 65534:65534 / "$2" --config.exposedports 9187/tcp
}

# kafka_exporter's module is not served here: a stand-in kept in this repository takes its place.
build_kafka-exporter() {
  repo_binary kafka-exporter-standin "$1" "$2/kafka_exporter"
  go_image kafka-exporter "$1" "$2/kafka_exporter" /bin/kafka_exporter 65534:65534 / "$2" --config.exposedports 9308/tcp
}

build_kube-state-metrics() {
  local bin; bin="$(go_binary kube-state-metrics k8s.io/kube-state-metrics/v2 "v$1" . "-X github.com/prometheus/common/version.Version=v$1")"
  go_image kube-state-metrics "$1" "$bin" /kube-state-metrics 65534:65534 / "$2" \
    --config.exposedports 8080/tcp --config.exposedports 8081/tcp
}

# Prometheus and Alertmanager: the binaries scripts/monitoring/install.sh builds for the tests.
monitoring_binary() {
  [ -x "$MONITORING_BIN/$1" ] && "$MONITORING_BIN/$1" --version 2>&1 | head -1 | grep -q "version $2 " \
    || bash "$ROOT/scripts/monitoring/install.sh" >&2
  echo "$MONITORING_BIN/$1"
}

build_prometheus() {
  go_image prometheus "$1" "$(monitoring_binary prometheus "$1")" /bin/prometheus 65534:65534 /prometheus "$2" \
    --config.cmd --config.file=/etc/prometheus/prometheus.yml --config.cmd --storage.tsdb.path=/prometheus \
    --config.exposedports 9090/tcp --config.volume /prometheus
}

build_alertmanager() {
  go_image alertmanager "$1" "$(monitoring_binary alertmanager "$1")" /bin/alertmanager 65534:65534 /alertmanager "$2" \
    --config.cmd --config.file=/etc/alertmanager/alertmanager.yml --config.cmd --storage.path=/alertmanager \
    --config.exposedports 9093/tcp --config.volume /alertmanager
}

build_grafana() {
  local version="$1" w="$2"
  local bin="$w/grafana-standin"
  repo_binary grafana-standin "$version" "$bin"
  local base; base="$(base_layer)"
  local dir="$w/app"
  mkdir -p "$dir/usr/share/grafana/bin" "$dir/var/lib/grafana" "$dir/etc/grafana/provisioning" "$dir/var/log/grafana"
  cp "$bin" "$dir/usr/share/grafana/bin/grafana-standin"
  cp "$HERE/grafana-standin/run.sh" "$dir/run.sh"
  chown 472:0 "$dir/var/lib/grafana" "$dir/var/log/grafana"
  printf 'grafana:x:472:0::/usr/share/grafana:/bin/sh\n' >"$dir/passwd-add"
  # The base's passwd plus the grafana user, as the upstream image has it.
  mkdir -p "$dir/etc" && tar -xOf "$base" ./etc/passwd | cat - "$dir/passwd-add" >"$dir/etc/passwd" && rm "$dir/passwd-add"
  tar -C "$dir" --numeric-owner -cf "$w/app.tar" .
  oci_archive grafana "$version" "$base $w/app.tar" --config.user 472:0 --config.workingdir /usr/share/grafana \
    --config.entrypoint /run.sh --config.exposedports 3000/tcp \
    --config.env GF_PATHS_CONFIG=/etc/grafana/grafana.ini --config.env GF_PATHS_DATA=/var/lib/grafana \
    --config.env GF_PATHS_HOME=/usr/share/grafana --config.env GF_PATHS_LOGS=/var/log/grafana \
    --config.env GF_PATHS_PLUGINS=/var/lib/grafana/plugins --config.env GF_PATHS_PROVISIONING=/etc/grafana/provisioning
}

# The reference gRPC services (reference-services/, built by scripts/services/build.sh): one image per
# service, the static binary as entrypoint, uid 65532 as the program's pods run them.
reference_service() {
  local name="$1" version="$2" w="$3"
  go_image "$name" "$version" "$SERVICES_BIN/$name" "/usr/local/bin/$name" 65532:65532 / "$w" \
    --config.exposedports 9464/tcp
}
build_gateway() { reference_service gateway "$@"; }
build_refinement-api() { reference_service refinement-api "$@"; }
build_learning-api() { reference_service learning-api "$@"; }
build_storage-service() { reference_service storage-service "$@"; }

build_coredns() {
  go_image coredns "$1" "$COREDNS_BIN" /coredns 65532:65532 / "$2" --config.exposedports 53/udp --config.exposedports 53/tcp
}

# --- driver -----------------------------------------------------------------------------------------

# What decides an image: this script, its own files, its version and its input binary.
recipe_hash() {
  local name="$1" version="$2"
  {
    cat "$0"
    echo "$version"
    [ -d "$HERE/$name" ] && find "$HERE/$name" -type f | sort | xargs cat
    [ -d "$HERE/$name-standin" ] && find "$HERE/$name-standin" -type f | sort | xargs cat
    [ "$name" = coredns ] && sha256sum <"$COREDNS_BIN"
    [ "$name" = prometheus ] || [ "$name" = alertmanager ] && sha256sum <"$MONITORING_BIN/$name" 2>/dev/null
    true
  } | sha256sum | cut -d' ' -f1
}

build_one() {
  local name="$1" version
  version="$(catalog "$name" | cut -f1)"
  [ -n "$version" ] || { echo "build.sh: no image '$name' in catalog.tsv ($(catalog_names | tr '\n' ' '))" >&2; return 2; }
  if [ "$name" = coredns ]; then
    if [ ! -x "$COREDNS_BIN" ]; then log "coredns: skipped, no binary at $COREDNS_BIN (set COREDNS_BIN)"; return 0; fi
    version="$("$COREDNS_BIN" -version | sed -n 's/^CoreDNS-\([0-9.]*\).*/\1/p')"
  fi
  if [ "$version" = reference ]; then
    # Tagged by the sources' hash, so a changed service is a new reference and its pods roll.
    bash "$ROOT/scripts/services/build.sh" >&2
    version="reference-$(cut -c1-12 "$SERVICES_BIN/.source-hash")"
  fi
  local archive="$CACHE/$name-$version.oci.tar" hash
  hash="$(recipe_hash "$name" "$version")"
  if [ -f "$archive" ] && [ "$(cat "$archive.recipe" 2>/dev/null)" = "$hash" ]; then
    log "$name:$version up to date"
  else
    log "$name:$version building"
    local w; w="$(mktemp -d)"
    local start=$SECONDS
    "build_$name" "$version" "$w"
    rm -rf "$w"
    echo "$hash" >"$archive.recipe"
    log "$name:$version built in $((SECONDS - start)) s, $(du -m "$archive" | cut -f1) MB"
  fi
  # images.tsv keeps one line per image: drop the old line, add the new.
  exec 8>"$CACHE/.lock-images.tsv"
  flock 8
  touch "$CACHE/images.tsv"
  { awk -F'\t' -v n="$name" '$1 != n' "$CACHE/images.tsv"; printf '%s\t%s\t%s\n' "$name" "$REPOSITORY/$name:$version" "$archive"; } \
    | sort >"$CACHE/images.tsv.new"
  mv "$CACHE/images.tsv.new" "$CACHE/images.tsv"
}

if [ "${1:-}" = --one ]; then build_one "$2"; exit; fi
names=("$@")
[ ${#names[@]} -gt 0 ] || mapfile -t names < <(catalog_names)
# One build of an image at a time; builds of different images may run side by side.
for n in "${names[@]}"; do flock "$CACHE/.lock-$n" bash "$0" --one "$n"; done
log "images listed in $CACHE/images.tsv"
