# Versions of everything scripts/engine/install.sh builds. Sourced, not run.
# The providers match @pulumi/kubernetes and @pulumi/random (see install.sh for what the module proxy
# here serves and what is built instead). The Pulumi CLI is the newest release the module proxy
# serves, v3.274.1: it does not serve v3.270.0, the SDK's release in package.json, and a CLI newer
# than the SDK is supported (the language and provider protocols of 3.270 and 3.274 are the same).
PULUMI_VERSION=v3.274.1
# The control plane (kube-apiserver, kube-controller-manager, kube-scheduler, kubectl) and the real
# node (kubelet, kube-proxy): the newest Kubernetes the module proxy serves here. Its kubelet still
# runs on this machine's cgroup v1 (with failCgroupV1: false, default true since 1.35) and on
# Debian's containerd 1.6 (it falls back to the kubelet's cgroupDriver when the runtime has no CRI
# RuntimeConfig; the kubelet counts that as losing support in 1.38). See docs/real-node.md.
K8S_VERSION=v1.37.2
# The minors users run (docs/engine.md, Kubernetes versions): `npm run test:matrix` runs the KWOK tier's
# end-to-end test against the API server of each.
K8S_MATRIX="v1.35.4 v1.36.3 v1.37.2"
COREDNS_VERSION=v1.15.0      # kube-dns of the real node (scripts/node/)
KUBE_ROUTER_VERSION=v2.1.0   # NetworkPolicy on the real node; the newest the module proxy serves here
ETCD_VERSION=v3.6.16         # Debian's etcd-server 3.4 is too old for the 1.34 API server's consistent reads
KWOK_VERSION=v0.7.0          # go.mod asks go 1.24; v0.8.0 asks go 1.26.0, the floor of this machine's Go: pinned to the older one
ACTIONLINT_VERSION=v1.7.12
# Provider plugin versions the program asks for (package.json pins).
PULUMI_KUBERNETES_VERSION=4.34.2
PULUMI_RANDOM_VERSION=4.21.2
# The module proxy here refuses github.com/pulumi/pulumi-kubernetes/provider/v4 at every release tag
# tried (v4.34.2, v4.34.1, v4.18.0: "403 This module version is not available"); it serves this
# pseudo-version (a main-branch commit of 2026-01-15, required by crd2pulumi v1.6.1), which is built
# and installed as the plugin version the SDK asks for.
KUBERNETES_PROVIDER_MODULE_VERSION=v4.0.0-20260115033456-f47bc2d6f199
