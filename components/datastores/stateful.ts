/**
 * The shape every datastore shares: own ServiceAccount without a token, a headless Service for
 * stable pod DNS, a ClusterIP Service for clients, a StatefulSet with a persistent volume per pod
 * and restricted security, and a PodDisruptionBudget.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { clusterIpService, ContainerSpec, disruptionBudget, podDefaults, scrapeAnnotations, selectorLabels, serviceAccount, spreadOverNodes, workloadLabels } from "../shared/workload";
import { keepData } from "../shared/data-safety";

export interface StatefulWorkloadArgs {
  name: string;
  namespace: pulumi.Input<string>;
  replicas: number;
  /** The user every container runs as; also owns the data volume. */
  uid: number;
  containers: ContainerSpec[];
  volumes?: k8s.types.input.core.v1.Volume[];
  /** Size of the `data` volume claimed per pod; containers mount it by the name `data`. */
  storage: string;
  storageClassName?: string;
  /** Ports clients reach through the ClusterIP Service. */
  ports: Array<{ name: string; port: number }>;
  /** Scraped by Prometheus when set. */
  metricsPort?: number;
  metricsPath?: string;
  /** Annotations on the StatefulSet (e.g. reasoned policy exemptions). */
  annotations?: Record<string, string>;
  /** Protect the StatefulSet (platform:protectData). */
  protect: boolean;
  /** Annotations on the pod template: checksums of what the pods read only at start, so a change rolls them. */
  podAnnotations?: Record<string, pulumi.Input<string>>;
}

export interface StatefulWorkload {
  service: k8s.core.v1.Service;
  statefulSet: k8s.apps.v1.StatefulSet;
}

function podAnnotations(args: StatefulWorkloadArgs): Record<string, pulumi.Input<string>> | undefined {
  const all = { ...(args.metricsPort === undefined ? {} : scrapeAnnotations(args.metricsPort, args.metricsPath)), ...args.podAnnotations };
  return Object.keys(all).length > 0 ? all : undefined;
}

export function statefulWorkload(args: StatefulWorkloadArgs, parent: pulumi.Resource): StatefulWorkload {
  const opts = { parent };
  const labels = workloadLabels(args.name, "datastore");
  const sa = serviceAccount({ name: args.name, namespace: args.namespace, component: "datastore" }, opts);
  const headless = clusterIpService(args.name, args.namespace, "datastore", args.ports, opts, true);
  const service = clusterIpService(args.name, args.namespace, "datastore", args.ports, opts);
  const statefulSet = new k8s.apps.v1.StatefulSet(
    args.name,
    {
      metadata: { name: args.name, namespace: args.namespace, labels, annotations: args.annotations },
      spec: {
        serviceName: headless.metadata.name,
        replicas: args.replicas,
        podManagementPolicy: "Parallel",
        // The data volumes outlive the set and a scale-down (also Kubernetes' default, stated so it stays).
        persistentVolumeClaimRetentionPolicy: { whenDeleted: "Retain", whenScaled: "Retain" },
        selector: { matchLabels: selectorLabels(args.name) },
        template: {
          metadata: { labels, annotations: podAnnotations(args) },
          spec: {
            serviceAccountName: sa.metadata.name,
            ...podDefaults(args.uid),
            topologySpreadConstraints: spreadOverNodes(args.name),
            terminationGracePeriodSeconds: 60,
            containers: args.containers,
            volumes: [{ name: "tmp", emptyDir: {} }, ...(args.volumes ?? [])],
          },
        },
        volumeClaimTemplates: [
          {
            metadata: { name: "data", labels },
            spec: {
              accessModes: ["ReadWriteOnce"],
              storageClassName: args.storageClassName,
              resources: { requests: { storage: args.storage } },
            },
          },
        ],
      },
    },
    keepData(args.protect, opts),
  );
  disruptionBudget(args.name, args.namespace, "datastore", opts);
  return { service, statefulSet };
}
