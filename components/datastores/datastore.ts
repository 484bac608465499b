/** What the platform needs to know about a datastore to wire clients, traffic and health checks. */
import * as k8s from "@pulumi/kubernetes";
import type { Traffic } from "../network/traffic";
import type { SecretRef } from "../secrets/generated-secrets";

export type EnvVar = k8s.types.input.core.v1.EnvVar;

export interface Datastore {
  /** Workload and Service name (pods carry app.kubernetes.io/name=<name>). */
  readonly name: string;
  /** Port clients connect to. */
  readonly clientPort: number;
  /** The environment a client gets: `<addrEnv>=<address>` plus credentials from the Secret. */
  clientEnv(addrEnv: string): EnvVar[];
  readonly traffic: Traffic;
}

export function fromSecret(name: string, ref: SecretRef, key = ref.key): EnvVar {
  return { name, valueFrom: { secretKeyRef: { name: ref.name, key } } };
}
