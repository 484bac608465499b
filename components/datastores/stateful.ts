/**
 * The shape every datastore shares: own ServiceAccount without a token, a headless Service for
 * stable pod DNS, a ClusterIP Service for clients, a StatefulSet with a persistent volume per pod
 * and restricted security, and a PodDisruptionBudget.
 */
import * as k8s from "../shared/k8s";
import * as pulumi from "@pulumi/pulumi";
import { clusterIpService, ContainerSpec, disruptionBudget, statefulSet } from "../shared/workload";
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

export function statefulWorkload(args: StatefulWorkloadArgs, parent: pulumi.Resource): StatefulWorkload {
  const opts = { parent };
  const headless = clusterIpService(args.name, args.namespace, "datastore", args.ports, opts, true);
  const service = clusterIpService(args.name, args.namespace, "datastore", args.ports, opts);
  const { statefulSet: workload } = statefulSet(
    {
      name: args.name,
      namespace: args.namespace,
      component: "datastore",
      replicas: args.replicas,
      uid: args.uid,
      annotations: args.annotations,
      metrics: args.metricsPort === undefined ? undefined : { port: args.metricsPort, path: args.metricsPath },
      podAnnotations: args.podAnnotations,
      spread: true,
      terminationGracePeriodSeconds: 60,
      containers: args.containers,
      volumes: [{ name: "tmp", emptyDir: {} }, ...(args.volumes ?? [])],
      serviceName: headless.metadata.name,
      podManagementPolicy: "Parallel",
      // The data volumes outlive the set and a scale-down (also Kubernetes' default, stated so it stays).
      retainVolumes: true,
      data: { storage: args.storage, storageClassName: args.storageClassName },
    },
    keepData(args.protect, opts),
  );
  disruptionBudget(args.name, args.namespace, "datastore", opts);
  return { service, statefulSet: workload };
}
