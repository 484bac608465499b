/**
 * Generates prometheus.yml. Every workload is found through Kubernetes service discovery:
 * - `kubernetes-pods`: pods in the platform namespace annotated prometheus.io/scrape=true
 *   (gRPC services, datastore exporters, ClickHouse, Alertmanager, Grafana);
 *   `job` is the pod's app.kubernetes.io/name, `component` its app.kubernetes.io/component.
 * - `kube-state-metrics`: its own job with honor_labels, because its series describe other pods
 *   and must keep their own `namespace`/`pod` labels rather than get the exporter's.
 * - `kubelet` and `cadvisor`: each node's kubelet, for volume usage and container CPU/memory,
 *   scraped directly (needs only `nodes/metrics`, not the far broader `nodes/proxy`).
 * - `prometheus`: itself.
 */
import { toYaml } from "./yaml";
import { ALERTMANAGER, KUBE_STATE_METRICS, PATHS, PROMETHEUS } from "./endpoints";
import { metricSources } from "./metric-sources";

export interface PrometheusConfigOptions {
  namespace: string;
  environment: string;
  scrapeInterval: string;
  alertmanagerReplicas: number;
  /** Directory holding the *.rules.yml files. */
  rulesDir?: string;
  /** Directory holding the service account's token and ca.crt. */
  serviceAccountDir?: string;
  /** Where Prometheus scrapes itself; in the pod, localhost:9090. */
  selfTarget?: string;
  /** Only for tests outside a cluster: the API server discovery talks to (in a pod it is found from the environment). */
  apiServer?: string;
}

type Relabel = Record<string, unknown>;

/** 10 s, or the interval when that is shorter (Prometheus refuses a timeout above the interval). */
export function scrapeTimeout(interval: string): string {
  const seconds = Number(interval.slice(0, -1)) * (interval.endsWith("m") ? 60 : 1);
  return `${Math.min(10, seconds)}s`;
}

export function alertmanagerTargets(replicas: number, namespace: string): string[] {
  return Array.from({ length: replicas }, (_, i) => `${ALERTMANAGER.name}-${i}.${ALERTMANAGER.name}-headless.${namespace}.svc:${ALERTMANAGER.port}`);
}

export function prometheusConfig(o: PrometheusConfigOptions): Record<string, unknown> {
  const saDir = o.serviceAccountDir ?? PATHS.serviceAccountDir;
  const sd = (role: "pod" | "node") => ({
    role,
    ...(role === "pod" ? { namespaces: { names: [o.namespace] } } : {}),
    ...(o.apiServer ? { api_server: o.apiServer } : {}),
  });
  const kubeletAuth = {
    scheme: "https",
    authorization: { credentials_file: `${saDir}/token` },
    // Kubelet serving certificates are self-signed on most clusters; the token still authenticates us.
    tls_config: { ca_file: `${saDir}/ca.crt`, insecure_skip_verify: true },
  };
  const keepNamespace = (metrics: string[]): Relabel[] => [
    { source_labels: ["__name__"], regex: metrics.join("|"), action: "keep" },
    { source_labels: ["namespace"], regex: o.namespace, action: "keep" },
  ];
  // Only the series listed in monitoring-config/metrics/sources.yml are kept from the node-level jobs.
  const sources = metricSources();
  const nodeLabels: Relabel[] = [{ source_labels: ["__meta_kubernetes_node_name"], target_label: "node" }];

  return {
    global: {
      scrape_interval: o.scrapeInterval,
      scrape_timeout: scrapeTimeout(o.scrapeInterval),
      evaluation_interval: o.scrapeInterval,
      external_labels: { environment: o.environment },
    },
    alerting: { alertmanagers: [{ static_configs: [{ targets: alertmanagerTargets(o.alertmanagerReplicas, o.namespace) }] }] },
    rule_files: [`${o.rulesDir ?? PATHS.prometheusRulesDir}/*.rules.yml`],
    scrape_configs: [
      { job_name: PROMETHEUS.name, static_configs: [{ targets: [o.selfTarget ?? `localhost:${PROMETHEUS.port}`] }] },
      {
        job_name: "kubernetes-pods",
        kubernetes_sd_configs: [sd("pod")],
        relabel_configs: [
          { source_labels: ["__meta_kubernetes_pod_annotation_prometheus_io_scrape"], regex: "true", action: "keep" },
          { source_labels: ["__meta_kubernetes_pod_phase"], regex: "Pending|Succeeded|Failed", action: "drop" },
          { source_labels: ["__meta_kubernetes_pod_label_app_kubernetes_io_name"], regex: KUBE_STATE_METRICS.name, action: "drop" },
          { source_labels: ["__meta_kubernetes_pod_container_init"], regex: "true", action: "drop" },
          { source_labels: ["__meta_kubernetes_pod_annotation_prometheus_io_path"], regex: "(.+)", target_label: "__metrics_path__" },
          // One target per pod at the annotated port, whatever ports its containers declare.
          {
            source_labels: ["__meta_kubernetes_pod_ip", "__meta_kubernetes_pod_annotation_prometheus_io_port"],
            regex: "(.+);([0-9]+)",
            replacement: "$1:$2",
            target_label: "__address__",
          },
          { source_labels: ["__meta_kubernetes_pod_label_app_kubernetes_io_name"], target_label: "job" },
          { source_labels: ["__meta_kubernetes_pod_label_app_kubernetes_io_component"], target_label: "component" },
          { source_labels: ["__meta_kubernetes_namespace"], target_label: "namespace" },
          { source_labels: ["__meta_kubernetes_pod_name"], target_label: "pod" },
          { source_labels: ["__meta_kubernetes_pod_node_name"], target_label: "node" },
        ],
      },
      {
        job_name: KUBE_STATE_METRICS.name,
        honor_labels: true,
        kubernetes_sd_configs: [sd("pod")],
        relabel_configs: [
          { source_labels: ["__meta_kubernetes_pod_label_app_kubernetes_io_name"], regex: KUBE_STATE_METRICS.name, action: "keep" },
          { source_labels: ["__meta_kubernetes_pod_container_port_number"], regex: String(KUBE_STATE_METRICS.port), action: "keep" },
        ],
      },
      {
        job_name: "kubelet",
        kubernetes_sd_configs: [sd("node")],
        ...kubeletAuth,
        relabel_configs: nodeLabels,
        metric_relabel_configs: keepNamespace(sources.kubelet.metrics),
      },
      {
        job_name: "cadvisor",
        kubernetes_sd_configs: [sd("node")],
        ...kubeletAuth,
        metrics_path: "/metrics/cadvisor",
        relabel_configs: nodeLabels,
        metric_relabel_configs: keepNamespace(sources.cadvisor.metrics),
      },
    ],
  };
}

export function prometheusConfigYaml(o: PrometheusConfigOptions): string {
  return toYaml(prometheusConfig(o));
}
