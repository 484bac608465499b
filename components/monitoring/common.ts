/** Helpers the monitoring components share. */
import * as k8s from "../shared/k8s";
import * as pulumi from "@pulumi/pulumi";
import { configFiles } from "../shared/workload";

export { configChecksum } from "../shared/workload";

export const COMPONENT = "monitoring";

/** Files the monitoring workload `owner` mounts (an auto-named ConfigMap, see configFiles). */
export function configMap(owner: string, name: string, namespace: pulumi.Input<string>, data: Record<string, string>, opts: pulumi.CustomResourceOptions): k8s.core.v1.ConfigMap {
  return configFiles(owner, COMPONENT, name, namespace, data, opts);
}

/** HTTP probe on a port; `initialDelaySeconds` left to the startup probe where there is one. */
export function httpProbe(path: string, port: number, periodSeconds = 10, failureThreshold = 3): k8s.types.input.core.v1.Probe {
  return { httpGet: { path, port }, periodSeconds, timeoutSeconds: 3, failureThreshold };
}
