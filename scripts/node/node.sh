#!/usr/bin/env bash
# The local cluster's real node: containerd, kubelet, kube-proxy and kube-router (NetworkPolicy)
# running inside the cluster's network namespace, so pods start real processes.
#   bash scripts/node/node.sh start|stop|images   (images: import what build.sh built since the start)
# Called by scripts/engine/cluster.sh when PLATFORM_CLUSTER_NODE=real, after the control plane is up;
# it reads the cluster's directory, kubeconfig and namespace from the environment cluster.sh exports.
#
# Facts of this machine kind that shape it (docs/real-node.md has the measurements):
# - every process enters only the network namespace (nsenter --net): `ip netns exec` remounts /sys
#   and hides the cgroup v1 hierarchies, and runc then fails;
# - cgroup v1 with the cgroupfs driver, and kubelet's failCgroupV1: false;
# - the VM's bounding set lacks CAP_SYS_RESOURCE, so containerd must not raise oom_score_adj;
# - kubelet changes global sysctls when it starts: they are saved here and restored on stop.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../engine/env.sh
source "$HERE/../engine/env.sh"

: "${DIR:?run through scripts/engine/cluster.sh}" "${KCFG:?}" "${NETNS:?}" "${NODE_IP:?}"
NODE_NAME=${PLATFORM_NODE_NAME:-real-node}
POD_CIDR=10.244.0.0/24
DNS_IP=10.96.0.10
# Images imported into containerd outlive a cluster: a new cluster reuses them.
STORE=${PLATFORM_NODE_STORE:-$HOME/.cache/platform-node}
RUN=/run/platform-node
SOCK=$RUN/containerd.sock
SYSCTLS="vm.overcommit_memory kernel.panic kernel.panic_on_oops"

log() { printf '[node] %s\n' "$*"; }
inns() { nsenter --net="/run/netns/$NETNS" "$@"; }
running() { [ -f "$DIR/$1.pid" ] && kill -0 "$(cat "$DIR/$1.pid")" 2>/dev/null; }
spawn() {
  local name=$1; shift
  if running "$name"; then return; fi
  setsid nsenter --net="/run/netns/$NETNS" "$@" >"$DIR/$name.log" 2>&1 < /dev/null &
  echo $! > "$DIR/$name.pid"
}
wait_for() { # wait_for SECONDS DESCRIPTION CMD...
  local limit=$1 what=$2 i; shift 2
  for ((i = 0; i < limit * 5; i++)); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
  log "timed out waiting for $what"; return 1
}
k() { kubectl --kubeconfig "$KCFG" "$@"; }

configs() {
  mkdir -p "$DIR/node/cni/net.d" "$DIR/node/kubelet" "$STORE/containerd" "$RUN"
  cat > "$DIR/node/containerd.toml" <<CFG
version = 2
root = "$STORE/containerd"
state = "$RUN/containerd"
[grpc]
  address = "$SOCK"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  # The VM's bounding set lacks CAP_SYS_RESOURCE: runc cannot raise a sandbox's oom_score_adj.
  restrict_oom_score_adj = true
  enable_unprivileged_ports = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$DIR/node/cni/net.d"
CFG
  cat > "$DIR/node/cni/net.d/10-platform.conflist" <<CFG
{
  "cniVersion": "0.4.0",
  "name": "platform",
  "plugins": [
    {"type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": true, "hairpinMode": true,
     "ipam": {"type": "host-local", "ranges": [[{"subnet": "$POD_CIDR"}]], "routes": [{"dst": "0.0.0.0/0"}],
              "dataDir": "$DIR/node/cni/ipam"}},
    {"type": "portmap", "capabilities": {"portMappings": true}},
    {"type": "loopback"}
  ]
}
CFG
  cat > "$DIR/node/kubelet.yaml" <<CFG
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_IP
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $DIR/pki/ca.crt}
authorization: {mode: Webhook}
tlsCertFile: $DIR/pki/kubelet.crt
tlsPrivateKeyFile: $DIR/pki/kubelet.key
cgroupDriver: cgroupfs
failCgroupV1: false
containerRuntimeEndpoint: unix://$SOCK
clusterDomain: cluster.local
clusterDNS: [$DNS_IP]
resolvConf: $DIR/node/resolv.conf
failSwapOn: false
# The node is this VM shared with the tests: no image or disk pressure eviction of the platform.
evictionHard: {memory.available: "100Mi", nodefs.available: "1%", imagefs.available: "1%"}
imageGCHighThresholdPercent: 100
serializeImagePulls: false
podPidsLimit: 4096
maxPods: 110
cgroupsPerQOS: true
enforceNodeAllocatable: [pods]
staticPodPath: ""
CFG
  # Pods resolve through CoreDNS only; the node itself has no upstream resolver to offer.
  printf 'nameserver 127.0.0.1\n' > "$DIR/node/resolv.conf"
  cat > "$DIR/node/kube-proxy.yaml" <<CFG
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: $KCFG}
mode: iptables
clusterCIDR: $POD_CIDR
hostnameOverride: $NODE_NAME
bindAddress: $NODE_IP
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
# 0 leaves the host's conntrack table size alone (a global setting).
conntrack: {maxPerCore: 0, min: 0}
CFG
}

kubelet_cert() {
  [ -f "$DIR/pki/kubelet.crt" ] && return
  (cd "$DIR/pki"
   openssl req -newkey rsa:2048 -nodes -keyout kubelet.key -out kubelet.csr -subj "/O=system:nodes/CN=system:node:$NODE_NAME" 2>/dev/null
   printf 'subjectAltName=IP:%s,DNS:%s\n' "$NODE_IP" "$NODE_NAME" > kubelet.ext
   openssl x509 -req -in kubelet.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out kubelet.crt -days 30 -extfile kubelet.ext 2>/dev/null)
}

save_sysctls() {
  [ -f "$DIR/node/sysctls" ] && return
  local s; for s in $SYSCTLS; do printf '%s=%s\n' "$s" "$(sysctl -n "$s")"; done > "$DIR/node/sysctls"
}

# import_image REFERENCE ARCHIVE: into containerd's k8s.io namespace, unless it is there already
# with the archive's manifest (a rebuilt stand-in keeps its tag: the store outlives clusters).
import_image() {
  local want have
  want=$(tar -xOf "$2" ./index.json 2>/dev/null || tar -xOf "$2" index.json)
  want=$(jq -r '.manifests[0].digest' <<<"$want")
  have=$(ctr --address "$SOCK" -n k8s.io images ls | awk -v r="$1" '$1 == r { print $3 }')
  [ "$have" = "$want" ] && return
  # The archive's own tag (its ref.name) completes the reference.
  ctr --address "$SOCK" -n k8s.io images import --base-name "${1%:*}" "$2" >/dev/null
}

# The platform's images (scripts/images/build.sh) listed as NAME<TAB>REFERENCE<TAB>ARCHIVE.
import_platform_images() {
  local list=${PLATFORM_IMAGES_LIST:-$HOME/.cache/platform-images/images.tsv} name ref archive
  [ -f "$list" ] || { log "no image list at $list: only the node's own images are there"; return; }
  while IFS=$'\t' read -r name ref archive; do
    [ -n "$archive" ] && [ "${name:0:1}" != "#" ] || continue
    import_image "$ref" "$archive"
  done < "$list"
}

# CoreDNS as kube-dns at $DNS_IP: the cluster domain from the API, nothing upstream (no network).
# It binds :53 as a non-root user through the safe sysctl ip_unprivileged_port_start, not a capability.
deploy_coredns() {
  k apply -f - >/dev/null <<YAML
apiVersion: v1
kind: ServiceAccount
metadata: {name: coredns, namespace: kube-system}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: system:coredns}
rules:
- apiGroups: [""]
  resources: [endpoints, services, pods, namespaces]
  verbs: [list, watch]
- apiGroups: [discovery.k8s.io]
  resources: [endpointslices]
  verbs: [list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: system:coredns}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: system:coredns}
subjects: [{kind: ServiceAccount, name: coredns, namespace: kube-system}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: coredns, namespace: kube-system}
data:
  Corefile: |
    .:53 {
        errors
        health :8080
        ready :8181
        kubernetes cluster.local in-addr.arpa ip6.arpa {
            pods insecure
            fallthrough in-addr.arpa ip6.arpa
        }
        prometheus :9153
        cache 30
        loop
        loadbalance
    }
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: coredns, namespace: kube-system, labels: {k8s-app: kube-dns}}
spec:
  replicas: 1
  selector: {matchLabels: {k8s-app: kube-dns}}
  template:
    metadata: {labels: {k8s-app: kube-dns}}
    spec:
      serviceAccountName: coredns
      priorityClassName: system-cluster-critical
      securityContext:
        runAsNonRoot: true
        runAsUser: 65532
        sysctls: [{name: net.ipv4.ip_unprivileged_port_start, value: "0"}]
        seccompProfile: {type: RuntimeDefault}
      containers:
      - name: coredns
        image: $COREDNS_IMAGE
        args: [-conf, /etc/coredns/Corefile]
        ports:
        - {name: dns, containerPort: 53, protocol: UDP}
        - {name: dns-tcp, containerPort: 53, protocol: TCP}
        - {name: metrics, containerPort: 9153, protocol: TCP}
        resources:
          requests: {cpu: 50m, memory: 32Mi}
          limits: {memory: 128Mi}
        securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}
        livenessProbe: {httpGet: {path: /health, port: 8080}, periodSeconds: 10}
        readinessProbe: {httpGet: {path: /ready, port: 8181}, periodSeconds: 5}
        volumeMounts: [{name: config, mountPath: /etc/coredns, readOnly: true}]
      volumes: [{name: config, configMap: {name: coredns}}]
---
apiVersion: v1
kind: Service
metadata: {name: kube-dns, namespace: kube-system, labels: {k8s-app: kube-dns}}
spec:
  clusterIP: $DNS_IP
  selector: {k8s-app: kube-dns}
  ports:
  - {name: dns, port: 53, protocol: UDP}
  - {name: dns-tcp, port: 53, protocol: TCP}
  - {name: metrics, port: 9153, protocol: TCP}
YAML
}

start() {
  local t0=$SECONDS
  for b in containerd runc kubelet kube-proxy kube-router coredns umoci; do
    command -v "$b" >/dev/null || { log "$b not found: run bash scripts/node/install.sh"; exit 1; }
  done
  # shellcheck source=images.sh
  source "$HERE/images.sh"
  local pause; pause=$(node_image pause); PAUSE_IMAGE=${pause%% *}
  local dns; dns=$(node_image coredns); COREDNS_IMAGE=${dns%% *}
  # One real node per machine: kubelets share hard-coded paths and the kubepods cgroups.
  local owner; owner=$(cat "$RUN/cluster" 2>/dev/null || true)
  if [ -n "$owner" ] && [ "$owner" != "$DIR" ] && [ -f "$owner/containerd.pid" ] && kill -0 "$(cat "$owner/containerd.pid")" 2>/dev/null; then
    log "a real node of the cluster in $owner is running: stop it first (PLATFORM_CLUSTER_DIR=$owner bash scripts/engine/cluster.sh stop)"
    exit 1
  fi
  configs; kubelet_cert; save_sysctls
  echo "$DIR" > "$RUN/cluster"
  # The node's bridge must hand bridged pod traffic to iptables (Services, NetworkPolicy).
  inns sysctl -qw net.ipv4.ip_forward=1 net.bridge.bridge-nf-call-iptables=1
  spawn containerd containerd --config "$DIR/node/containerd.toml"
  wait_for 30 containerd ctr --address "$SOCK" version
  import_image "$PAUSE_IMAGE" "${pause#* }"
  import_image "$COREDNS_IMAGE" "${dns#* }"
  import_platform_images
  spawn kubelet kubelet --config "$DIR/node/kubelet.yaml" --kubeconfig "$KCFG" \
    --hostname-override "$NODE_NAME" --node-ip "$NODE_IP" --root-dir "$DIR/node/kubelet" \
    --cert-dir "$DIR/node/kubelet/pki" --v 1
  spawn kube-proxy kube-proxy --config "$DIR/node/kube-proxy.yaml"
  wait_for 90 "node $NODE_NAME Ready" bash -c "kubectl --kubeconfig '$KCFG' get node '$NODE_NAME' --no-headers 2>/dev/null | grep -q ' Ready '"
  # kube-router looks its node up when it starts, so after the kubelet registered it.
  # Only the NetworkPolicy firewall: routes and service proxying are the bridge's and kube-proxy's.
  spawn kube-router kube-router --kubeconfig "$KCFG" --hostname-override "$NODE_NAME" \
    --run-firewall=true --run-router=false --run-service-proxy=false \
    --metrics-port 0 --health-port 0
  deploy_coredns
  k -n kube-system rollout status deployment/coredns --timeout 120s >/dev/null
  log "real node $NODE_NAME ready in $((SECONDS - t0))s"
}

# The pods' cgroups (cgroupfs driver: /sys/fs/cgroup/<controller>/kubepods/...): kill what runs in them
# and remove them, deepest first, in every hierarchy.
kill_cgroup_tree() {
  local procs pid hier i
  for ((i = 0; i < 3; i++)); do
    for procs in $(find /sys/fs/cgroup/pids/kubepods -name cgroup.procs 2>/dev/null); do
      # A pod's cgroup may go while this runs: a missing file is not a failed stop.
      for pid in $(cat "$procs" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
    done
    sleep 0.2
  done
  for hier in /sys/fs/cgroup/*/kubepods; do
    [ -d "$hier" ] && find "$hier" -depth -type d -exec rmdir {} + 2>/dev/null || true
  done
}

# stop_process NAME: SIGTERM and wait up to 10 s; what outlives that is killed, since
# nothing of a stopped node may stay behind (it would hold the mounts).
stop_process() {
  local name=$1 i
  running "$name" || { rm -f "$DIR/$name.pid"; return; }
  kill "$(cat "$DIR/$name.pid")" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do running "$name" || break; sleep 0.2; done
  if running "$name"; then log "$name did not stop in 10 s: killed"; kill -9 "$(cat "$DIR/$name.pid")" 2>/dev/null || true; sleep 0.5; fi
  rm -f "$DIR/$name.pid"
}

stop() {
  local name pid m t0=$SECONDS
  # The kubelet first and to its end, so it neither restarts containers nor removes their cgroups meanwhile.
  for name in kube-router kube-proxy kubelet; do stop_process "$name"; done
  # Every container's processes (they sit in the kubepods cgroups), then their shims and containerd.
  kill_cgroup_tree
  for pid in $(pgrep -f "containerd-shim-runc-v2 .*-address $SOCK" || true); do kill -9 "$pid" 2>/dev/null || true; done
  stop_process containerd
  # What the runtime and the kubelet mounted: volumes, snapshots, pod network namespaces.
  { awk '{print $2}' /proc/mounts | grep -E "^($DIR|$RUN|$STORE/containerd|/run/netns/cni-)" || true; } | sort -r |
    while read -r m; do umount -l "$m" 2>/dev/null || true; done
  rm -f /run/netns/cni-* 2>/dev/null || true
  if [ -f "$DIR/node/sysctls" ]; then sysctl -q -p "$DIR/node/sysctls" || true; fi
  rm -rf "$RUN"
  log "real node stopped in $((SECONDS - t0))s"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  images) import_platform_images ;;
  *) echo "usage: $0 start|stop|images" >&2; exit 2 ;;
esac
