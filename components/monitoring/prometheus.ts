/**
 * Prometheus: one StatefulSet pod with its TSDB on a persistent volume, the generated scrape
 * configuration and the rule files from monitoring-config/rules mounted from ConfigMaps, and RBAC for
 * exactly what discovery needs (pods in the platform namespace; nodes and their kubelet metrics).
 */
import * as k8s from "../shared/k8s";
import * as pulumi from "@pulumi/pulumi";
import type { Environment, KubernetesEgress, PrometheusConfig } from "../../config/schema";
import { parseMemory } from "../../config/quantities";
import { PATHS, PROMETHEUS } from "../../monitoring-config/endpoints";
import { prometheusConfigYaml } from "../../monitoring-config/prometheus-config";
import { ruleFiles } from "../../monitoring-config/rule-files";
import type { Traffic } from "../network/traffic";
import type { HealthCheck } from "../shared/health-check";
import { clusterIpService, container, grantRole, resourceRequirements, statefulSet, workloadLabels } from "../shared/workload";
import { COMPONENT, configChecksum, configMap, httpProbe } from "./common";

export interface PrometheusArgs {
  namespace: pulumi.Input<string>;
  /** The namespace's configured name: the scrape configuration's discovery and labels, and the cluster-wide RBAC names. */
  namespaceName: string;
  environment: Environment;
  config: PrometheusConfig;
  /** Alertmanager's replicas, each of which gets the alerts. */
  alertmanagerReplicas: number;
  storageClassName?: string;
  /** Where service discovery and kubelet scrapes go outside the pod network. */
  kubernetesEgress: KubernetesEgress;
}

/** The prom/prometheus image runs as nobody. */
const UID = 65534;
const NAME = PROMETHEUS.name;

/** Retention by size at 85 % of the volume, so a full disk never stops ingestion. */
export function retentionSize(storage: string): string {
  return `${Math.floor((parseMemory(storage)! * 0.85) / 2 ** 20)}MB`;
}

export class Prometheus extends pulumi.ComponentResource {
  public readonly endpoint = { service: NAME, port: PROMETHEUS.port };
  public readonly healthCheck: HealthCheck = { check: NAME, target: { kind: "prometheus", name: NAME, serviceName: this.endpoint.service, servicePort: this.endpoint.port } };
  public readonly traffic: Traffic;

  constructor(name: string, args: PrometheusArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:monitoring:Prometheus", name, {}, opts);
    const p = args.config;
    const child = { parent: this };
    const ns = args.namespace;

    const configYaml = prometheusConfigYaml({
      namespace: args.namespaceName,
      environment: args.environment,
      scrapeInterval: p.scrapeInterval,
      alertmanagerReplicas: args.alertmanagerReplicas,
    });
    const rules = ruleFiles(p.runbookBaseUrl);
    const configCm = configMap(NAME, `${NAME}-config`, ns, { "prometheus.yml": configYaml }, child);
    const rulesCm = configMap(NAME, `${NAME}-rules`, ns, rules, child);

    const headless = clusterIpService(NAME, ns, COMPONENT, [{ name: "http", port: PROMETHEUS.port }], child, true);
    clusterIpService(NAME, ns, COMPONENT, [{ name: "http", port: PROMETHEUS.port }], child);

    const { serviceAccount } = statefulSet(
      {
        name: NAME,
        namespace: ns,
        component: COMPONENT,
        replicas: 1,
        uid: UID,
        podAnnotations: configChecksum(configYaml, ...Object.values(rules)),
        // Kubernetes service discovery calls the API.
        apiAccess: true,
        terminationGracePeriodSeconds: 120,
        serviceName: headless.metadata.name,
        data: { storage: p.storage, storageClassName: args.storageClassName },
        containers: [
          container({
            name: NAME,
            image: p.image,
            args: [
              `--config.file=${PATHS.prometheusConfigDir}/prometheus.yml`,
              "--storage.tsdb.path=/prometheus",
              `--storage.tsdb.retention.time=${p.retention}`,
              `--storage.tsdb.retention.size=${retentionSize(p.storage)}`,
              `--web.listen-address=:${PROMETHEUS.port}`,
            ],
            ports: [{ name: "http", containerPort: PROMETHEUS.port }],
            resources: resourceRequirements(p.resources),
            // Replaying the write-ahead log after a restart can take minutes on a large TSDB.
            startupProbe: httpProbe("/-/ready", PROMETHEUS.port, 10, 60),
            livenessProbe: httpProbe("/-/healthy", PROMETHEUS.port, 15, 4),
            readinessProbe: httpProbe("/-/ready", PROMETHEUS.port, 5, 3),
            volumeMounts: [
              { name: "data", mountPath: "/prometheus" },
              { name: "config", mountPath: PATHS.prometheusConfigDir, readOnly: true },
              { name: "rules", mountPath: PATHS.prometheusRulesDir, readOnly: true },
              { name: "tmp", mountPath: "/tmp" },
            ],
          }),
        ],
        volumes: [
          { name: "config", configMap: { name: configCm.metadata.name } },
          { name: "rules", configMap: { name: rulesCm.metadata.name } },
          { name: "tmp", emptyDir: {} },
        ],
      },
      child,
    );
    this.rbac(ns, args.namespaceName, serviceAccount);

    const egress = args.kubernetesEgress;
    this.traffic = {
      workloads: [{ name: NAME, metricsPort: PROMETHEUS.port }],
      flows: [],
      external: [
        { from: NAME, cidr: egress.apiServerCidr, ports: egress.apiServerPorts, why: "Kubernetes service discovery (pods, nodes)" },
        { from: NAME, cidr: egress.nodeCidr, ports: [egress.kubeletPort], why: "kubelet and cAdvisor metrics" },
      ],
    };
    this.registerOutputs({ service: NAME, port: PROMETHEUS.port });
  }

  /** Pods of the platform namespace (namespaced Role); node discovery and kubelet metrics (ClusterRole). */
  private rbac(ns: pulumi.Input<string>, namespace: string, serviceAccount: k8s.core.v1.ServiceAccount): void {
    const labels = workloadLabels(NAME, COMPONENT);
    grantRole({ name: `${NAME}-discovery`, namespace: ns, labels, rules: [{ apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch"] }], serviceAccount }, { parent: this });
    // Cluster-scoped names carry the namespace so dev and prod can share a cluster.
    grantRole(
      {
        name: `${namespace}-${NAME}-nodes`,
        namespace: ns,
        clusterWide: true,
        labels,
        rules: [
          { apiGroups: [""], resources: ["nodes"], verbs: ["get", "list", "watch"] },
          { apiGroups: [""], resources: ["nodes/metrics"], verbs: ["get"] },
        ],
        serviceAccount,
      },
      { parent: this },
    );
  }
}
