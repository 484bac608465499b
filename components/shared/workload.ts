/**
 * Pieces every workload shares: labels, Pod Security `restricted` contexts, scrape annotations,
 * the ServiceAccount each workload gets (no token unless it must talk to the API), and the one
 * skeleton Deployments and StatefulSets are built from (`deployment`, `statefulSet`), with the
 * exporter sidecar, RBAC and Secret-reference helpers beside it.
 */
import * as k8s from "./k8s";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "crypto";
import type { PlatformConfig } from "../../config/schema";
import type { SecretRef } from "../secrets/generated-secrets";

type Input<T> = pulumi.Input<T>;
export type ContainerSpec = k8s.types.input.core.v1.Container;
export type PodSpec = k8s.types.input.core.v1.PodSpec;
export type Volume = k8s.types.input.core.v1.Volume;
export type EnvVar = k8s.types.input.core.v1.EnvVar;
export type PolicyRule = k8s.types.input.rbac.v1.PolicyRule;
export type Resources = PlatformConfig["redis"]["resources"];

/** The label that NetworkPolicies, Services and PDBs select on. */
export const NAME_LABEL = "app.kubernetes.io/name";

export type ComponentKind = "grpc-service" | "datastore" | "monitoring" | "backup" | "gate";

export function workloadLabels(name: string, component: ComponentKind): Record<string, string> {
  return {
    [NAME_LABEL]: name,
    "app.kubernetes.io/component": component,
    "app.kubernetes.io/part-of": "platform",
    "app.kubernetes.io/managed-by": "pulumi",
  };
}

export function selectorLabels(name: string): Record<string, string> {
  return { [NAME_LABEL]: name };
}

/** Annotations Prometheus' Kubernetes service discovery keys on (see monitoring-config/). */
export function scrapeAnnotations(port: number, path = "/metrics"): Record<string, string> {
  return { "prometheus.io/scrape": "true", "prometheus.io/port": String(port), "prometheus.io/path": path };
}

/** Pod-level settings required by Pod Security Admission `restricted`. */
export function restrictedPodSecurity(uid: number): k8s.types.input.core.v1.PodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: uid,
    fsGroup: uid,
    fsGroupChangePolicy: "OnRootMismatch",
    seccompProfile: { type: "RuntimeDefault" },
  };
}

/**
 * Pod-level settings every pod gets: restricted security, no API token (a pod that calls the API
 * sets it back), and no service-link variables: images such as Kafka's turn every KAFKA_* variable,
 * service links like KAFKA_PORT=tcp://... included, into configuration.
 */
export function podDefaults(uid: number): Pick<PodSpec, "automountServiceAccountToken" | "enableServiceLinks" | "securityContext"> {
  return { automountServiceAccountToken: false, enableServiceLinks: false, securityContext: restrictedPodSecurity(uid) };
}

/** Pod annotation that changes with the mounted configuration, so a config change rolls the pods. */
export function configChecksum(...contents: string[]): Record<string, string> {
  return { "checksum/config": createHash("sha256").update(contents.join("\0")).digest("hex") };
}

/** Container-level settings required by `restricted`, plus a read-only root filesystem. */
export const restrictedContainerSecurity: k8s.types.input.core.v1.SecurityContext = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
  capabilities: { drop: ["ALL"] },
  seccompProfile: { type: "RuntimeDefault" },
};

export function resourceRequirements(r: Resources): k8s.types.input.core.v1.ResourceRequirements {
  return { requests: { ...r.requests }, limits: { ...r.limits } };
}

/** A container with the restricted security context and pinned pull policy filled in. */
export function container(spec: ContainerSpec & { name: string; image: Input<string> }): ContainerSpec {
  return { imagePullPolicy: "IfNotPresent", securityContext: restrictedContainerSecurity, ...spec };
}

/** Spreads replicas over nodes so one node loss does not take a whole tier down. */
export function spreadOverNodes(name: string): k8s.types.input.core.v1.TopologySpreadConstraint[] {
  return [{ maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: selectorLabels(name) } }];
}

export interface ServiceAccountArgs {
  name: string;
  namespace: Input<string>;
  component: ComponentKind;
  /** Only workloads that call the Kubernetes API (Prometheus discovery) mount a token. */
  automountToken?: boolean;
}

export function serviceAccount(args: ServiceAccountArgs, opts: pulumi.CustomResourceOptions): k8s.core.v1.ServiceAccount {
  return new k8s.core.v1.ServiceAccount(
    args.name,
    {
      metadata: { name: args.name, namespace: args.namespace, labels: workloadLabels(args.name, args.component) },
      automountServiceAccountToken: args.automountToken ?? false,
    },
    opts,
  );
}

export function clusterIpService(
  name: string,
  namespace: Input<string>,
  component: ComponentKind,
  ports: Array<{ name: string; port: number }>,
  opts: pulumi.CustomResourceOptions,
  headless = false,
): k8s.core.v1.Service {
  const serviceName = headless ? `${name}-headless` : name;
  return new k8s.core.v1.Service(
    serviceName,
    {
      metadata: {
        name: serviceName,
        namespace,
        labels: workloadLabels(name, component),
        // The provider holds a Service's create or update until 10 s after the last change to its
        // endpoints (a headless one it does not wait for), and `pulumi up` runs 4 operations per
        // core at once: on 2 cores the first deploy's eight Services held every slot for those
        // 10 s, twice. That the pods behind it are ready is what the workload's own rollout await
        // and the post-deploy health gate check.
        ...(headless ? {} : { annotations: { "pulumi.com/skipAwait": "true" } }),
      },
      spec: {
        type: "ClusterIP",
        ...(headless ? { clusterIP: "None", publishNotReadyAddresses: true } : {}),
        selector: selectorLabels(name),
        ports: ports.map((p) => ({ name: p.name, port: p.port, targetPort: p.port, protocol: "TCP" })),
      },
    },
    opts,
  );
}

/** Disruption budget: never more than one pod of a workload down at once during drains. */
export function disruptionBudget(name: string, namespace: Input<string>, component: ComponentKind, opts: pulumi.CustomResourceOptions) {
  return new k8s.policy.v1.PodDisruptionBudget(
    name,
    {
      metadata: { name, namespace, labels: workloadLabels(name, component) },
      spec: { maxUnavailable: 1, selector: { matchLabels: selectorLabels(name) } },
    },
    opts,
  );
}

/**
 * Files a workload mounts, in an auto-named ConfigMap (`<name>-<random suffix>`). A content change
 * then replaces the ConfigMap create-before-delete and only updates the workload that mounts it.
 * A fixed name forces delete-before-replace, and Pulumi replaces every resource that depends on a
 * resource deleted first: a changed alert rule re-created the Prometheus StatefulSet (found by
 * tests/e2e/kwok/upgrade.e2e.ts, for ClickHouse on the first change since release 515ef5f, for
 * Prometheus on the first rule change since e1b408c).
 */
export function configFiles(owner: string, component: ComponentKind, name: string, namespace: Input<string>, data: Record<string, string>, opts: pulumi.CustomResourceOptions): k8s.core.v1.ConfigMap {
  return new k8s.core.v1.ConfigMap(name, { metadata: { namespace, labels: workloadLabels(owner, component) }, data }, opts);
}

/** An environment variable read from a key of a Secret (by default the key the reference names). */
export function fromSecret(name: string, ref: SecretRef, key = ref.key): EnvVar {
  return { name, valueFrom: { secretKeyRef: { name: ref.name, key } } };
}

/** What the pods of every workload share, Deployment or StatefulSet. */
export interface WorkloadArgs {
  /** Name of the workload, its ServiceAccount and its pods' `app.kubernetes.io/name`. */
  name: string;
  namespace: Input<string>;
  component: ComponentKind;
  replicas: number;
  /** The user every container runs as (Pod Security `restricted`); also owns mounted volumes. */
  uid: number;
  containers: ContainerSpec[];
  volumes?: Volume[];
  /** Annotations on the workload object, e.g. reasoned policy exemptions. */
  annotations?: Record<string, string>;
  /** Scraped by Prometheus on this port (and path) when set. */
  metrics?: { port: number; path?: string };
  /** Further pod template annotations: checksums of what the pods read only at start, so a change rolls them. */
  podAnnotations?: Record<string, Input<string>>;
  /** The pods call the Kubernetes API: the ServiceAccount mounts a token. */
  apiAccess?: boolean;
  /** Spread the replicas over nodes, so one node loss does not take the whole workload down. */
  spread?: boolean;
  terminationGracePeriodSeconds?: number;
}

export interface DeploymentArgs extends WorkloadArgs {
  strategy?: k8s.types.input.apps.v1.DeploymentStrategy;
  revisionHistoryLimit?: number;
}

export interface StatefulSetArgs extends WorkloadArgs {
  /** The headless Service that gives the pods stable DNS names. */
  serviceName: Input<string>;
  podManagementPolicy?: "Parallel" | "OrderedReady";
  /** State the volumes' retention when the set is deleted or scaled down (Kubernetes' default is Retain too). */
  retainVolumes?: boolean;
  /** A `data` volume claimed per pod; containers mount it by that name. */
  data?: { storage: string; storageClassName?: string };
}

function podTemplate(args: WorkloadArgs, sa: k8s.core.v1.ServiceAccount): k8s.types.input.core.v1.PodTemplateSpec {
  const annotations = { ...(args.metrics ? scrapeAnnotations(args.metrics.port, args.metrics.path) : {}), ...args.podAnnotations };
  return {
    metadata: { labels: workloadLabels(args.name, args.component), annotations: Object.keys(annotations).length > 0 ? annotations : undefined },
    spec: {
      serviceAccountName: sa.metadata.name,
      ...podDefaults(args.uid),
      ...(args.apiAccess ? { automountServiceAccountToken: true } : {}),
      ...(args.spread ? { topologySpreadConstraints: spreadOverNodes(args.name) } : {}),
      terminationGracePeriodSeconds: args.terminationGracePeriodSeconds,
      containers: args.containers,
      volumes: args.volumes,
    },
  };
}

function workloadMetadata(args: WorkloadArgs): k8s.types.input.meta.v1.ObjectMeta {
  return { name: args.name, namespace: args.namespace, labels: workloadLabels(args.name, args.component), annotations: args.annotations };
}

function ownServiceAccount(args: WorkloadArgs, opts: pulumi.CustomResourceOptions): k8s.core.v1.ServiceAccount {
  return serviceAccount({ name: args.name, namespace: args.namespace, component: args.component, automountToken: args.apiAccess }, { parent: opts.parent });
}

/** A Deployment with its own ServiceAccount; `opts` apply to the Deployment (e.g. ignoreChanges). */
export function deployment(args: DeploymentArgs, opts: pulumi.CustomResourceOptions): { serviceAccount: k8s.core.v1.ServiceAccount; deployment: k8s.apps.v1.Deployment } {
  const sa = ownServiceAccount(args, opts);
  const workload = new k8s.apps.v1.Deployment(
    args.name,
    {
      metadata: workloadMetadata(args),
      spec: {
        replicas: args.replicas,
        revisionHistoryLimit: args.revisionHistoryLimit,
        strategy: args.strategy,
        selector: { matchLabels: selectorLabels(args.name) },
        template: podTemplate(args, sa),
      },
    },
    opts,
  );
  return { serviceAccount: sa, deployment: workload };
}

/** A StatefulSet with its own ServiceAccount; `opts` apply to the StatefulSet (e.g. protection). */
export function statefulSet(args: StatefulSetArgs, opts: pulumi.CustomResourceOptions): { serviceAccount: k8s.core.v1.ServiceAccount; statefulSet: k8s.apps.v1.StatefulSet } {
  const sa = ownServiceAccount(args, opts);
  const labels = workloadLabels(args.name, args.component);
  const workload = new k8s.apps.v1.StatefulSet(
    args.name,
    {
      metadata: workloadMetadata(args),
      spec: {
        serviceName: args.serviceName,
        replicas: args.replicas,
        podManagementPolicy: args.podManagementPolicy,
        persistentVolumeClaimRetentionPolicy: args.retainVolumes ? { whenDeleted: "Retain", whenScaled: "Retain" } : undefined,
        selector: { matchLabels: selectorLabels(args.name) },
        template: podTemplate(args, sa),
        volumeClaimTemplates: args.data
          ? [{ metadata: { name: "data", labels }, spec: { accessModes: ["ReadWriteOnce"], storageClassName: args.data.storageClassName, resources: { requests: { storage: args.data.storage } } } }]
          : undefined,
      },
    },
    opts,
  );
  return { serviceAccount: sa, statefulSet: workload };
}

/** A metrics exporter beside (or for) a server: small fixed resources, health on its HTTP port. */
export function exporterContainer(args: { image: Input<string>; port: number; healthPath: string; memoryLimit: string; env?: EnvVar[]; args?: Input<string>[] }): ContainerSpec {
  const health = { httpGet: { path: args.healthPath, port: args.port } };
  return container({
    name: "exporter",
    image: args.image,
    args: args.args,
    env: args.env,
    ports: [{ name: "metrics", containerPort: args.port }],
    resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { cpu: "100m", memory: args.memoryLimit } },
    livenessProbe: { ...health, periodSeconds: 20 },
    readinessProbe: { ...health, periodSeconds: 10 },
  });
}

/**
 * A role for a workload's ServiceAccount (in `namespace`) and its binding, both named `name`: a
 * namespaced Role, or with `clusterWide` a ClusterRole, whose name must then be unique in the cluster.
 */
export function grantRole(
  args: { name: string; namespace: Input<string>; clusterWide?: boolean; labels: Record<string, string>; rules: PolicyRule[]; serviceAccount: k8s.core.v1.ServiceAccount },
  opts: pulumi.CustomResourceOptions,
): void {
  const subjects = [{ kind: "ServiceAccount", name: args.serviceAccount.metadata.name, namespace: args.namespace }];
  if (args.clusterWide) {
    const metadata = { name: args.name, labels: args.labels };
    const role = new k8s.rbac.v1.ClusterRole(args.name, { metadata, rules: args.rules }, opts);
    new k8s.rbac.v1.ClusterRoleBinding(args.name, { metadata, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role.metadata.name }, subjects }, opts);
  } else {
    const metadata = { name: args.name, namespace: args.namespace, labels: args.labels };
    const role = new k8s.rbac.v1.Role(args.name, { metadata, rules: args.rules }, opts);
    new k8s.rbac.v1.RoleBinding(args.name, { metadata, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name }, subjects }, opts);
  }
}
