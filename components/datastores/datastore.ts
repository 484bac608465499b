/** What the platform needs to know about a datastore to wire clients, traffic and health checks. */
import type * as pulumi from "@pulumi/pulumi";
import type { Traffic } from "../network/traffic";
import type { Credential } from "../secrets/generated-secrets";
import type { HealthCheck } from "../shared/health-check";
import type { EnvVar } from "../shared/workload";

export interface Datastore {
  /** Workload and Service name (pods carry app.kubernetes.io/name=<name>). */
  readonly name: string;
  /** Port clients connect to. */
  readonly clientPort: number;
  /** The environment a client gets: `<addrEnv>=<address>` plus credentials from the Secret. */
  clientEnv(addrEnv: string): EnvVar[];
  readonly traffic: Traffic;
  /** Its post-deploy check, with the address and credentials of its client port. */
  readonly healthCheck: HealthCheck;
}

/** What every datastore component takes: its slice of the configuration, where it runs, how its data is kept. */
export interface DatastoreArgs<C> {
  namespace: pulumi.Input<string>;
  config: C;
  storageClassName?: string;
  /** Protect the volumes, workload and identity (platform:protectData). */
  protect: boolean;
  /** The generated password clients and the server share. */
  credential: Credential;
}
