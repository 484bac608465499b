/**
 * The NetworkPolicies the program registers allow exactly the traffic MISSION.md lists, plus the
 * platform's own internal flows named below with their reason: nothing more, nothing less.
 */
import { egressAllowed, inboundFrom, K8sObject, podFlows, podsOf } from "../../tools/network-flows";
import { ProgramRun, runProgram } from "../helpers/program";

function objects(run: ProgramRun): K8sObject[] {
  return run.resources.filter((r) => r.type.startsWith("kubernetes:")).map((r) => r.inputs as K8sObject);
}

/** MISSION.md "Allowed traffic", instantiated for the stack's services. */
function missionFlows(objs: K8sObject[]): string[] {
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
  let objs: K8sObject[];
  beforeAll(async () => {
    objs = objects(await runProgram(stack));
  });

  test("pod-to-pod flows are exactly the allowed list", () => {
    expect(podFlows(objs)).toEqual([...new Set([...missionFlows(objs), ...INTERNAL])].sort());
  });

  test("from outside the namespace only the ingress controller reaches the gateway", () => {
    expect(inboundFrom(objs, { namespace: "ingress-nginx" })).toEqual(["ns:ingress-nginx -> gateway:50050"]);
    expect(inboundFrom(objs, { namespace: "default" })).toEqual([]);
    expect(inboundFrom(objs, { namespace: "kube-system" })).toEqual([]);
  });

  test("every pod reaches cluster DNS", () => {
    const dns = { namespace: "kube-system", labels: { "k8s-app": "kube-dns" } };
    for (const pod of podsOf(objs)) {
      expect([pod.name, egressAllowed(objs, pod, dns, 53, "UDP"), egressAllowed(objs, pod, dns, 53, "TCP")]).toEqual([pod.name, true, true]);
    }
  });

  test("the flow computation notices a policy that opens too much", () => {
    const namespace = objs.find((o) => o.kind === "Namespace")!.metadata!.name;
    const allowAll: K8sObject = { kind: "NetworkPolicy", metadata: { name: "allow-all", namespace }, spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"], ingress: [{}], egress: [{}] } };
    expect(podFlows(objs)).not.toContain("gateway -> redis:6379");
    expect(podFlows([...objs, allowAll])).toContain("gateway -> redis:6379");
  });
});
