/** Monitoring: labelled namespaces and workloads, scraped services, and the alert rules present. */
import { parse } from "yaml";
import type { Finding, ResourceRule, StackRule } from "../lib/engine";
import { containers, isUnknown, K8sResource, podLabels, podTemplate } from "../lib/k8s";

export const monitoringLabels: ResourceRule<{ namespaceLabels: Record<string, string>; podLabels: string[]; scrapedComponents: string[] }> = {
  scope: "resource",
  name: "monitoring-labels",
  description:
    "Namespaces carry the monitoring label; every long-running workload's pods carry the app labels Prometheus and Grafana group by; listed components (the gRPC services) are scraped; a scrape annotation names a port the pod declares.",
  sources: [
    { seed: "003", heading: "1. Create Namespace", item: "kubectl label namespace nova monitoring=enabled" },
    { seed: "001", heading: "Monitoring & Observability", item: "Prometheus scrape targets verified" },
    { seed: "004", heading: "Monitoring and Alerting", item: "Prometheus is scraping application metrics" },
  ],
  alsoFrom: "Kubernetes recommended labels (app.kubernetes.io/*)",
  fix: 'label the namespace monitoring: enabled; give pods app.kubernetes.io/name and app.kubernetes.io/part-of; annotate scraped pods prometheus.io/scrape: "true" and prometheus.io/port: <a declared containerPort>',
  levels: { dev: "advisory", prod: "mandatory" },
  defaults: () => ({ namespaceLabels: { monitoring: "enabled" }, podLabels: ["app.kubernetes.io/name", "app.kubernetes.io/part-of"], scrapedComponents: ["grpc-service"] }),
  schema: {
    namespaceLabels: { type: "object", description: "labels every Namespace needs" },
    podLabels: { type: "array", items: { type: "string" }, description: "labels every long-running pod needs" },
    scrapedComponents: { type: "array", items: { type: "string" }, description: "app.kubernetes.io/component values that must be scraped" },
  },
  check(r, { params }) {
    if (r.kind === "Namespace") {
      const missing = Object.entries(params.namespaceLabels).filter(([k, v]) => r.labels[k] !== v);
      return missing.length ? [{ target: r, problem: `lacks label ${missing.map(([k, v]) => `${k}=${v}`).join(", ")}` }] : [];
    }
    if (!["Deployment", "StatefulSet", "DaemonSet"].includes(r.kind)) return [];
    const out: Finding[] = [];
    const labels = podLabels(r);
    const missing = params.podLabels.filter((l) => !labels[l]);
    if (missing.length) out.push({ target: r, problem: `pod template lacks label ${missing.join(", ")}` });
    const ann = podTemplate(r)?.metadata?.annotations ?? {};
    const scraped = ann["prometheus.io/scrape"] === "true";
    if (!scraped && params.scrapedComponents.includes(labels["app.kubernetes.io/component"]))
      out.push({ target: r, problem: 'pods are not annotated prometheus.io/scrape: "true", so their metrics are not collected' });
    if (scraped) {
      const ports = containers(r).flatMap(({ container }) => (container.ports ?? []).map((p: any) => String(p.containerPort)));
      const port = ann["prometheus.io/port"];
      if (port === undefined || !ports.includes(String(port)))
        out.push({ target: r, problem: `scrape port annotation "${port ?? "(none)"}" is not a declared containerPort (${ports.join(", ") || "none"})` });
    }
    return out;
  },
};

/** Alert names in every ConfigMap value that holds Prometheus rule groups. */
function alertNames(cm: K8sResource): string[] {
  return Object.values(cm.props.data ?? {}).flatMap((text) => {
    if (typeof text !== "string" || !/^\s*groups\s*:/m.test(text)) return [];
    try {
      const doc = parse(text) as { groups?: Array<{ rules?: Array<{ alert?: string }> }> };
      return (doc?.groups ?? []).flatMap((g) => (g.rules ?? []).flatMap((x) => (x.alert ? [x.alert] : [])));
    } catch {
      return [];
    }
  });
}

/** The checklists' alerts: error rate, p99 latency, datastores down, Kafka lag, crash loops, memory, CPU, disk. */
const REQUIRED_ALERTS = [
  "GrpcErrorRateHigh",
  "GrpcLatencyP99High",
  "RedisDown",
  "ClickHouseDown",
  "KafkaDown",
  "PostgresDown",
  "KafkaConsumerLagHigh",
  "PodCrashLooping",
  "ContainerMemoryNearLimit",
  "ContainerCpuNearLimit",
  "PersistentVolumeFillingUp",
];

export const alertRules: StackRule<{ prometheus: string; requiredAlerts: string[] }> = {
  scope: "stack",
  name: "alert-rules",
  description:
    "Prometheus runs in the stack and mounts rule files that define the checklists' alerts (error rate > 1 %, p99 > 500 ms, datastore connection failures, Kafka lag, crash loops, memory/CPU/disk).",
  sources: [
    { seed: "000", heading: "Alerts", item: "High error rate (>1%); High latency (>500ms p99); Redis/ClickHouse connection failed" },
    { seed: "001", heading: "Alerts Configuration", item: "Database connection failure; Kafka consumer lag; Disk space; Memory/CPU usage > 80%" },
    { seed: "004", heading: "Monitoring and Alerting", item: "Alert rules are configured and tested" },
    { seed: "003", heading: "3. Alerting Rules", item: "Service pods in crash loop" },
  ],
  fix: "mount the rule files of monitoring-config/rules into Prometheus (components/monitoring/prometheus.ts) and keep the listed alerts in them",
  levels: { dev: "advisory", prod: "mandatory" },
  defaults: () => ({ prometheus: "prometheus", requiredAlerts: [...REQUIRED_ALERTS] }),
  schema: {
    prometheus: { type: "string", description: "app.kubernetes.io/name of the Prometheus workload" },
    requiredAlerts: { type: "array", items: { type: "string" }, description: "alert names that must be defined" },
  },
  check(resources, { params }) {
    const prom = resources.find((r) => (r.kind === "StatefulSet" || r.kind === "Deployment") && podLabels(r)["app.kubernetes.io/name"] === params.prometheus);
    const stack = resources.find((r) => r.kind === "Namespace") ?? resources[0];
    if (!prom) return stack ? [{ target: stack, problem: `no Prometheus workload (app.kubernetes.io/name=${params.prometheus}) in the stack, so no alert rules run` }] : [];
    const mounted = new Set<string>(
      (podTemplate(prom)?.spec?.volumes ?? []).flatMap((v: any) => [v?.configMap?.name, ...(v?.projected?.sources ?? []).map((s: any) => s?.configMap?.name)]).filter(Boolean),
    );
    // A mounted name not known yet (preview of a create): any ConfigMap of the namespace may be it.
    const anyName = [...mounted].some(isUnknown);
    const alerts = new Set(resources.filter((r) => r.kind === "ConfigMap" && r.namespace === prom.namespace && (anyName || mounted.has(r.name))).flatMap(alertNames));
    if (alerts.size === 0) return [{ target: prom, problem: "mounts no ConfigMap with alert rules" }];
    const missing = params.requiredAlerts.filter((a) => !alerts.has(a));
    return missing.length ? [{ target: prom, problem: `alert rules lack ${missing.join(", ")}` }] : [];
  },
};
