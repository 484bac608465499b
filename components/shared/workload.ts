/**
 * Pieces every workload shares: labels, Pod Security `restricted` contexts, scrape annotations,
 * and the ServiceAccount each workload gets (no token unless it must talk to the API).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "crypto";
import type { PlatformConfig } from "../../config/schema";

type Input<T> = pulumi.Input<T>;
export type ContainerSpec = k8s.types.input.core.v1.Container;
export type PodSpec = k8s.types.input.core.v1.PodSpec;
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

/** Annotations Prometheus' Kubernetes service discovery keys on (see monitoring/). */
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
      metadata: { name: serviceName, namespace, labels: workloadLabels(name, component) },
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
