/**
 * kube-state-metrics, limited to the platform namespace and to the objects the alerts use (pods,
 * deployments, statefulsets, HPAs, PVCs): restarts and waiting reasons for crash loops, container
 * limits for the memory/CPU alerts, HPA replicas for "at max replicas". Because it watches one
 * namespace, a namespaced Role is all the RBAC it needs.
 */
import * as pulumi from "@pulumi/pulumi";
import type { KubernetesEgress, KubeStateMetricsConfig } from "../../config/schema";
import { KUBE_STATE_METRICS } from "../../monitoring-config/endpoints";
import type { Traffic } from "../network/traffic";
import { container, deployment, grantRole, resourceRequirements, workloadLabels } from "../shared/workload";
import { COMPONENT, httpProbe } from "./common";

export interface KubeStateMetricsArgs {
  namespace: pulumi.Input<string>;
  config: KubeStateMetricsConfig;
  /** Where the API server is, outside the pod network. */
  kubernetesEgress: KubernetesEgress;
}

const UID = 65534;
const NAME = KUBE_STATE_METRICS.name;

/** Objects watched, as kube-state-metrics resource names and the RBAC rules to read them. */
const WATCHED: Array<{ resource: string; apiGroup: string; rbac: string }> = [
  { resource: "pods", apiGroup: "", rbac: "pods" },
  { resource: "deployments", apiGroup: "apps", rbac: "deployments" },
  { resource: "statefulsets", apiGroup: "apps", rbac: "statefulsets" },
  { resource: "horizontalpodautoscalers", apiGroup: "autoscaling", rbac: "horizontalpodautoscalers" },
  { resource: "persistentvolumeclaims", apiGroup: "", rbac: "persistentvolumeclaims" },
];

export class KubeStateMetrics extends pulumi.ComponentResource {
  public readonly traffic: Traffic;

  constructor(name: string, args: KubeStateMetricsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:monitoring:KubeStateMetrics", name, {}, opts);
    const c = args.config;
    const child = { parent: this };
    const ns = args.namespace;

    const { serviceAccount } = deployment(
      {
        name: NAME,
        namespace: ns,
        component: COMPONENT,
        replicas: 1,
        uid: UID,
        annotations: { "policy.platform/exempt.workload-autoscaling": "a single metrics exporter; a second replica would double every series" },
        metrics: { port: KUBE_STATE_METRICS.port },
        // Reads the objects' state from the API.
        apiAccess: true,
        containers: [
          container({
            name: NAME,
            image: c.image,
            args: [
              pulumi.interpolate`--namespaces=${ns}`,
              `--resources=${WATCHED.map((w) => w.resource).join(",")}`,
              `--port=${KUBE_STATE_METRICS.port}`,
              `--telemetry-port=${KUBE_STATE_METRICS.telemetryPort}`,
            ],
            ports: [
              { name: "metrics", containerPort: KUBE_STATE_METRICS.port },
              { name: "telemetry", containerPort: KUBE_STATE_METRICS.telemetryPort },
            ],
            resources: resourceRequirements(c.resources),
            livenessProbe: { ...httpProbe("/livez", KUBE_STATE_METRICS.port, 15), initialDelaySeconds: 5 },
            readinessProbe: httpProbe("/readyz", KUBE_STATE_METRICS.telemetryPort, 10),
          }),
        ],
      },
      child,
    );
    const groups = [...new Set(WATCHED.map((w) => w.apiGroup))];
    grantRole(
      {
        name: NAME,
        namespace: ns,
        labels: workloadLabels(NAME, COMPONENT),
        rules: groups.map((g) => ({ apiGroups: [g], resources: WATCHED.filter((w) => w.apiGroup === g).map((w) => w.rbac), verbs: ["list", "watch"] })),
        serviceAccount,
      },
      child,
    );

    const egress = args.kubernetesEgress;
    this.traffic = {
      workloads: [{ name: NAME, metricsPort: KUBE_STATE_METRICS.port }],
      flows: [],
      external: [{ from: NAME, cidr: egress.apiServerCidr, ports: egress.apiServerPorts, why: "kube-state-metrics watches the Kubernetes API" }],
    };
    this.registerOutputs({ service: NAME });
  }
}
