/** Helpers the monitoring components share. */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { workloadLabels } from "../shared/workload";

export { configChecksum } from "../shared/workload";

export const COMPONENT = "monitoring";

/** A ConfigMap labelled as belonging to the workload `owner`. */
export function configMap(owner: string, name: string, namespace: pulumi.Input<string>, data: Record<string, string>, opts: pulumi.CustomResourceOptions): k8s.core.v1.ConfigMap {
  return new k8s.core.v1.ConfigMap(name, { metadata: { name, namespace, labels: workloadLabels(owner, COMPONENT) }, data }, opts);
}

/** HTTP probe on a port; `initialDelaySeconds` left to the startup probe where there is one. */
export function httpProbe(path: string, port: number, periodSeconds = 10, failureThreshold = 3): k8s.types.input.core.v1.Probe {
  return { httpGet: { path, port }, periodSeconds, timeoutSeconds: 3, failureThreshold };
}
