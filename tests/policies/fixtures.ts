/** Small Kubernetes objects for rule tests: compliant by default, each test breaks one thing. */
import type { InputResource } from "../../policies/lib/k8s";

export const NS = "platform";

const TYPES: Record<string, string> = {
  Namespace: "kubernetes:core/v1:Namespace",
  Service: "kubernetes:core/v1:Service",
  ServiceAccount: "kubernetes:core/v1:ServiceAccount",
  ConfigMap: "kubernetes:core/v1:ConfigMap",
  Secret: "kubernetes:core/v1:Secret",
  ResourceQuota: "kubernetes:core/v1:ResourceQuota",
  LimitRange: "kubernetes:core/v1:LimitRange",
  PersistentVolumeClaim: "kubernetes:core/v1:PersistentVolumeClaim",
  Deployment: "kubernetes:apps/v1:Deployment",
  StatefulSet: "kubernetes:apps/v1:StatefulSet",
  Job: "kubernetes:batch/v1:Job",
  CronJob: "kubernetes:batch/v1:CronJob",
  Ingress: "kubernetes:networking.k8s.io/v1:Ingress",
  NetworkPolicy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
  HorizontalPodAutoscaler: "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
  PodDisruptionBudget: "kubernetes:policy/v1:PodDisruptionBudget",
  RoleBinding: "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
  ClusterRole: "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
};

/** Any Kubernetes object; metadata.namespace defaults to the platform namespace. */
export function obj(kind: string, name: string, body: Record<string, any> = {}, metadata: Record<string, any> = {}): InputResource {
  const namespaced = !["Namespace", "ClusterRole"].includes(kind);
  return { type: TYPES[kind], name, props: { kind, metadata: { name, ...(namespaced ? { namespace: NS } : {}), ...metadata }, ...body } };
}

export function container(name = "app", patch: Record<string, any> = {}): Record<string, any> {
  return {
    name,
    image: "registry.example.com/platform/app:1.0.0",
    imagePullPolicy: "IfNotPresent",
    resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
    livenessProbe: { grpc: { port: 50050 } },
    readinessProbe: { grpc: { port: 50050 } },
    ports: [{ containerPort: 50050 }, { containerPort: 9464 }],
    securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ["ALL"] }, seccompProfile: { type: "RuntimeDefault" } },
    ...patch,
  };
}

export interface WorkloadOpts {
  kind?: "Deployment" | "StatefulSet" | "Job" | "CronJob";
  replicas?: number;
  containers?: Record<string, any>[];
  pod?: Record<string, any>;
  labels?: Record<string, string>;
  podAnnotations?: Record<string, string>;
  annotations?: Record<string, string>;
  spec?: Record<string, any>;
}

/** A workload with the restricted pod context, own ServiceAccount, spread, labels and scrape annotations. */
export function workload(name: string, o: WorkloadOpts = {}): InputResource {
  const kind = o.kind ?? "Deployment";
  const labels = { "app.kubernetes.io/name": name, "app.kubernetes.io/part-of": "platform", "app.kubernetes.io/component": "grpc-service", ...o.labels };
  const template = {
    metadata: { labels, annotations: { "prometheus.io/scrape": "true", "prometheus.io/port": "9464", ...o.podAnnotations } },
    spec: {
      serviceAccountName: name,
      automountServiceAccountToken: false,
      securityContext: { runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: "RuntimeDefault" } },
      topologySpreadConstraints: [{ maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: { "app.kubernetes.io/name": name } } }],
      containers: o.containers ?? [container(name)],
      ...o.pod,
    },
  };
  const spec =
    kind === "CronJob"
      ? { schedule: "0 * * * *", jobTemplate: { spec: { template } }, ...o.spec }
      : kind === "Job"
        ? { template, ...o.spec }
        : { replicas: o.replicas ?? 2, selector: { matchLabels: { "app.kubernetes.io/name": name } }, template, ...o.spec };
  return obj(kind, name, { spec }, { labels, ...(o.annotations ? { annotations: o.annotations } : {}) });
}

export function hpa(target: string, min = 2, max = 4): InputResource {
  return obj("HorizontalPodAutoscaler", target, { spec: { scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: target }, minReplicas: min, maxReplicas: max } });
}

export function pdb(target: string, spec: Record<string, any> = { maxUnavailable: 1 }): InputResource {
  return obj("PodDisruptionBudget", target, { spec: { selector: { matchLabels: { "app.kubernetes.io/name": target } }, ...spec } });
}

export function namespace(labels: Record<string, string> = {}): InputResource {
  return obj("Namespace", NS, {}, { labels: { "pod-security.kubernetes.io/enforce": "restricted", monitoring: "enabled", environment: "prod", ...labels } });
}

export const defaultDeny = (): InputResource => obj("NetworkPolicy", "default-deny", { spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] } });

/** A NetworkPolicy for one workload: ingress from the named apps on a port, no egress. */
export function allowIngress(to: string, from: string[], port: number): InputResource {
  return obj("NetworkPolicy", `${to}-traffic`, {
    spec: {
      podSelector: { matchLabels: { "app.kubernetes.io/name": to } },
      policyTypes: ["Ingress", "Egress"],
      ingress: [{ from: from.map((f) => ({ podSelector: { matchLabels: { "app.kubernetes.io/name": f } } })), ports: [{ protocol: "TCP", port }] }],
      egress: [],
    },
  });
}

export function allowEgress(from: string, to: string, port: number): InputResource {
  return obj("NetworkPolicy", `${from}-egress`, {
    spec: {
      podSelector: { matchLabels: { "app.kubernetes.io/name": from } },
      policyTypes: ["Egress"],
      egress: [{ to: [{ podSelector: { matchLabels: { "app.kubernetes.io/name": to } } }], ports: [{ protocol: "TCP", port }] }],
    },
  });
}

/** A datastore StatefulSet with a claim template and one client port. */
export function datastore(name: string, port: number, o: WorkloadOpts = {}): InputResource {
  const w = workload(name, {
    kind: "StatefulSet",
    replicas: 1,
    labels: { "app.kubernetes.io/component": "datastore" },
    containers: [container(name, { ports: [{ containerPort: port }], livenessProbe: { tcpSocket: { port } }, readinessProbe: { tcpSocket: { port } } })],
    podAnnotations: { "prometheus.io/scrape": "false" },
    ...o,
  });
  w.props.spec.volumeClaimTemplates = [{ metadata: { name: "data" }, spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } } }];
  return w;
}
