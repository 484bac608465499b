/**
 * The local cluster's real node (PLATFORM_CLUSTER_NODE=real, scripts/node/node.sh): containerd,
 * kubelet, kube-proxy, kube-router and CoreDNS inside the cluster's network namespace, pods that run
 * real processes. Proven here without the platform: the node registers at the control plane's
 * version, CoreDNS answers through kube-proxy's Service rules, Pod Security `restricted` admits a
 * compliant pod that then runs and refuses one that is not, a NetworkPolicy really drops traffic
 * (kube-router), and a stop leaves no process, mount, namespace or changed sysctl behind.
 */
import { execFileSync } from "child_process";
import { Resolver } from "dns/promises";
import * as fs from "fs";
import { connect } from "net";
import { Engine, eventually, kubectl, kubectlJson, ok, startEngine, stopEngine } from "../engine";

const NS = "node-check";
const SYSCTLS = ["vm.overcommit_memory", "kernel.panic", "kernel.panic_on_oops"];
const sysctl = (k: string) => execFileSync("sysctl", ["-n", k], { encoding: "utf8" }).trim();

/** Whether a TCP connection to host:port opens within timeoutMs (a dropped SYN never answers). */
function connects(host: string, port: number, timeoutMs = 3000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    const done = (v: boolean) => (s.destroy(), resolve(v));
    s.setTimeout(timeoutMs, () => done(false));
    s.once("connect", () => done(true));
    s.once("error", () => done(false));
  });
}

const restricted = { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } };
const container = { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } };

function apply(e: Engine, obj: object): void {
  const file = `${e.root}/obj-${Date.now()}.json`;
  fs.writeFileSync(file, JSON.stringify(obj));
  ok(kubectl(e, ["apply", "-f", file]), "kubectl apply");
}

let e: Engine | undefined;
let sysctlsBefore: Record<string, string>;
let coredns: string;

beforeAll(() => {
  sysctlsBefore = Object.fromEntries(SYSCTLS.map((k) => [k, sysctl(k)]));
  e = startEngine("node", "real");
  coredns = kubectlJson(e, ["-n", "kube-system", "get", "deployment", "coredns"]).spec.template.spec.containers[0].image;
});

afterAll(() => stopEngine(e));

test("the real node registers Ready at the control plane's version, with its pod range", () => {
  const node = kubectlJson(e!, ["get", "node", "real-node"]);
  const server = kubectlJson(e!, ["version"]).serverVersion.gitVersion;
  expect(node.status.nodeInfo.kubeletVersion).toBe(server);
  expect(node.status.nodeInfo.containerRuntimeVersion).toMatch(/^containerd:\/\/1\./);
  expect(node.status.conditions.find((c: { type: string }) => c.type === "Ready").status).toBe("True");
  expect(node.spec.podCIDR).toBe("10.244.0.0/24");
});

test("CoreDNS answers for the cluster domain at the kube-dns Service address", async () => {
  const r = new Resolver({ timeout: 2000, tries: 2 });
  r.setServers(["10.96.0.10"]);
  expect(await r.resolve4("kubernetes.default.svc.cluster.local")).toEqual(["10.96.0.1"]);
  expect(await r.resolve4("kube-dns.kube-system.svc.cluster.local")).toEqual(["10.96.0.10"]);
});

test("Pod Security restricted admits a compliant pod, which runs, and refuses one that is not", async () => {
  apply(e!, { apiVersion: "v1", kind: "Namespace", metadata: { name: NS, labels: { "pod-security.kubernetes.io/enforce": "restricted" } } });
  // No security context at all: may run as root, keeps its capabilities, no seccomp profile.
  const bad = kubectl(e!, ["-n", NS, "run", "plain", `--image=${coredns}`]);
  expect(bad.code).not.toBe(0);
  expect(bad.output).toMatch(/violates PodSecurity "restricted/);

  // CoreDNS's binary as a plain TCP/UDP server on 5353 (its default zone answers whoami).
  apply(e!, {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "server", namespace: NS, labels: { app: "server" } },
    spec: {
      securityContext: { ...restricted, runAsUser: 65532 },
      containers: [{ name: "dns", image: coredns, args: ["-dns.port", "5353"], ports: [{ containerPort: 5353 }], securityContext: container }],
    },
  });
  const pod = await eventually("server pod running and ready", () => {
    const p = kubectlJson(e!, ["-n", NS, "get", "pod", "server"]);
    return p.status.phase === "Running" && p.status.podIP ? p : undefined;
  });
  expect(pod.status.podIP).toMatch(/^10\.244\.0\./);
  // A real process: the container has a PID on this machine and restarts are zero.
  expect(pod.status.containerStatuses[0].state.running.startedAt).toBeDefined();
  expect(await eventually("server answers", async () => ((await connects(pod.status.podIP, 5353)) ? true : undefined), 30_000)).toBe(true);
});

test("a NetworkPolicy drops traffic the moment it selects the pod, and an allow rule lets it through again", async () => {
  const ip = kubectlJson(e!, ["-n", NS, "get", "pod", "server"]).status.podIP;
  apply(e!, { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: "deny", namespace: NS }, spec: { podSelector: {}, policyTypes: ["Ingress"] } });
  await eventually("traffic dropped", async () => ((await connects(ip, 5353, 1500)) ? undefined : true), 30_000);
  apply(e!, {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: "allow-host", namespace: NS },
    spec: { podSelector: { matchLabels: { app: "server" } }, policyTypes: ["Ingress"], ingress: [{ from: [{ ipBlock: { cidr: "10.250.0.1/32" } }], ports: [{ port: 5353 }] }] },
  });
  await eventually("traffic allowed again", async () => ((await connects(ip, 5353, 1500)) ? true : undefined), 30_000);
  // The allow rule names one port: another port of the same pod stays closed.
  expect(await connects(ip, 9153, 1500)).toBe(false);
});

test("stopping the cluster leaves no process, mount, network namespace or changed sysctl behind", () => {
  const dir = e!.env.PLATFORM_CLUSTER_DIR!;
  const netns = e!.env.PLATFORM_CLUSTER_NETNS!;
  stopEngine(e);
  e = undefined;
  const procs = execFileSync("ps", ["-eo", "args"], { encoding: "utf8" });
  expect(procs.split("\n").filter((l) => l.includes(dir) || /containerd-shim|\/run\/platform-node\/containerd.sock/.test(l))).toEqual([]);
  expect(
    fs
      .readFileSync("/proc/mounts", "utf8")
      .split("\n")
      .filter((l) => l.includes(dir) || l.includes("/run/netns/cni-")),
  ).toEqual([]);
  expect(execFileSync("ip", ["netns", "list"], { encoding: "utf8" })).not.toContain(netns);
  expect(Object.fromEntries(SYSCTLS.map((k) => [k, sysctl(k)]))).toEqual(sysctlsBefore);
});
