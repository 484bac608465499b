/**
 * The NetworkPolicies the program registers allow exactly the traffic MISSION.md lists, plus the
 * platform's own internal flows named below with their reason: nothing more, nothing less.
 */
import { parseConfig } from "../../config/load";
import { K8sResource, toK8sAll } from "../../policies/lib/k8s";
import { AllowedFlow, egressAllowed, flowText, inboundFrom, podFlows as allowedFlows, podsOf } from "../../policies/lib/network-flows";
import { named, ProgramRun, runProgram, stackConfig } from "../helpers/program";

function objects(run: ProgramRun): K8sResource[] {
  return toK8sAll(run.resources.map((r) => ({ type: r.type, name: r.name, props: r.inputs })));
}

/** A Kubernetes object written in a test, in the view the evaluation takes. */
function object(o: { kind: string; apiVersion: string; metadata: any; spec: any }): K8sResource {
  return toK8sAll([{ type: `kubernetes:${o.apiVersion}:${o.kind}`, name: o.metadata.name, props: o }])[0];
}

const texts = (flows: AllowedFlow[]) => flows.map(flowText);
const podFlows = (objs: K8sResource[]) => texts(allowedFlows(objs));

/** MISSION.md "Allowed traffic", instantiated for the stack's services. */
function missionFlows(objs: K8sResource[]): string[] {
  const scrape = podsOf(objs)
    .filter((p) => p.annotations["prometheus.io/scrape"] === "true" && p.name !== "prometheus")
    .map((p) => `prometheus -> ${p.name}:${p.annotations["prometheus.io/port"]}`);
  return [
    "gateway -> refinement-api:50051",
    "gateway -> learning-api:50052",
    "refinement-api -> redis:6379",
    "learning-api -> redis:6379",
    "storage-service -> clickhouse:9000",
    "storage-service -> kafka:9092",
    ...scrape,
  ];
}

/** Flows the platform needs for itself; each is a deliberate, documented addition. */
const INTERNAL = [
  "kafka -> kafka:9092", // inter-broker replication
  "kafka -> kafka:9093", // KRaft controller quorum
  "kafka-exporter -> kafka:9092", // consumer-lag and broker metrics
  "kafka-topics -> kafka:9092", // topic creation Job
  "postgres-backup -> postgres:5432", // pg_dump CronJob
  "grafana -> prometheus:9090", // dashboards' datasource
  "prometheus -> alertmanager:9093", // alert delivery
];

describe.each(["prod", "dev"] as const)("%s traffic", (stack) => {
  let objs: K8sResource[];
  beforeAll(async () => {
    objs = objects(await runProgram(stack));
  });

  test("pod-to-pod flows are exactly the allowed list", () => {
    expect(podFlows(objs)).toEqual([...new Set([...missionFlows(objs), ...INTERNAL])].sort());
  });

  test("from outside the namespace only the ingress controller reaches the gateway", () => {
    expect(texts(inboundFrom(objs, { namespace: "ingress-nginx" }))).toEqual(["ns:ingress-nginx -> gateway:50050"]);
    expect(inboundFrom(objs, { namespace: "default" })).toEqual([]);
    expect(inboundFrom(objs, { namespace: "kube-system" })).toEqual([]);
  });

  test("every pod reaches cluster DNS", () => {
    const dns = { namespace: "kube-system", labels: { "k8s-app": "kube-dns" } };
    for (const pod of podsOf(objs)) {
      expect([pod.name, egressAllowed(objs, pod, dns, 53, "UDP"), egressAllowed(objs, pod, dns, 53, "TCP")]).toEqual([pod.name, true, true]);
    }
  });

  test("cluster DNS includes NodeLocal DNSCache's address, on port 53 only", () => {
    const [rule] = objs.find((o) => o.kind === "NetworkPolicy" && o.name === "allow-dns")!.props.spec.egress;
    expect(rule.to).toContainEqual({ ipBlock: { cidr: "169.254.20.10/32" } });
    expect(rule.ports).toEqual([
      { protocol: "UDP", port: 53 },
      { protocol: "TCP", port: 53 },
    ]);
  });

  test("the ingress controller reaches cert-manager's HTTP-01 solver pods exactly when a ClusterIssuer is set", () => {
    const namespace = objs.find((o) => o.kind === "Namespace")!.name;
    // What cert-manager starts for a challenge: a pod labelled as solver, serving on 8089.
    const solver = object({
      kind: "Deployment",
      apiVersion: "apps/v1",
      metadata: { name: "cm-acme-http-solver", namespace },
      spec: { template: { metadata: { labels: { "acme.cert-manager.io/http01-solver": "true" } }, spec: { containers: [{ ports: [{ containerPort: 8089 }] }] } } },
    });
    const withSolver = [...objs, solver];
    const solverPod = podsOf(withSolver).find((p) => p.name === "cm-acme-http-solver")!;
    const fromController = texts(inboundFrom(withSolver, { namespace: "ingress-nginx" })).filter((f) => f.includes("solver"));
    expect(fromController).toEqual(stack === "prod" ? ["ns:ingress-nginx -> cm-acme-http-solver:8089"] : []);
    expect(texts(inboundFrom(withSolver, { namespace: "kube-system" })).filter((f) => f.includes("solver"))).toEqual([]);
    // Nothing in the namespace reaches it, and it reaches nothing but DNS.
    expect(podFlows(withSolver).filter((f) => f.includes("solver"))).toEqual([]);
    expect(egressAllowed(withSolver, solverPod, { namespace: "kube-system", labels: { "k8s-app": "kube-dns" } }, 53, "UDP")).toBe(true);
  });

  test("the flow computation notices a policy that opens too much", () => {
    const namespace = objs.find((o) => o.kind === "Namespace")!.name;
    const allowAll = object({
      kind: "NetworkPolicy",
      apiVersion: "networking.k8s.io/v1",
      metadata: { name: "allow-all", namespace },
      spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"], ingress: [{}], egress: [{}] },
    });
    expect(podFlows(objs)).not.toContain("gateway -> redis:6379");
    expect(podFlows([...objs, allowAll])).toContain("gateway -> redis:6379");
  });
});

describe("cluster DNS is configurable", () => {
  test("DNS pods elsewhere, the kube-dns Service IP and the node range", async () => {
    const run = await runProgram("dev", (c: any) => (c.dns = { namespace: "dns-system", podLabels: { app: "coredns" }, cidrs: ["169.254.20.10/32", "10.96.0.10/32", "10.0.0.0/16"] }));
    const [rule] = named(run, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "allow-dns").inputs.spec.egress;
    expect(rule.to).toEqual([
      { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "dns-system" } }, podSelector: { matchLabels: { app: "coredns" } } },
      { ipBlock: { cidr: "169.254.20.10/32" } },
      { ipBlock: { cidr: "10.96.0.10/32" } },
      { ipBlock: { cidr: "10.0.0.0/16" } },
    ]);
  });

  test.each([
    [{ cidrs: ["169.254.20.10"] }, 'platform:dns.cidrs.0: got "169.254.20.10"; allowed: an IPv4 CIDR block'],
    [{ cidrs: ["10.96.0.300/32"] }, 'platform:dns.cidrs.0: got "10.96.0.300/32"; allowed: an IPv4 CIDR block'],
    [{ podLabels: {} }, "platform:dns.podLabels: got {}; allowed: at least one label selecting the DNS pods"],
    [{ namespace: "Kube_System" }, 'platform:dns.namespace: got "Kube_System"; allowed: a DNS label'],
    [{ resolver: "1.1.1.1" }, "platform:dns.resolver: got a value (not shown: an unknown key may hold a credential); allowed: no such key exists here"],
  ])("%j is refused before any resource", (dns, message) => {
    expect(() => parseConfig({ ...stackConfig("dev"), dns })).toThrow(message);
  });
});
