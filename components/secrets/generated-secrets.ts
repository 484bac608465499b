/**
 * Every credential is generated with @pulumi/random (or taken from `pulumi config set --secret`),
 * kept as a Pulumi secret, and written only into Kubernetes Secrets. Workloads reference the
 * Secrets by name and key; no value is ever inlined into a spec.
 */
import * as k8s from "../shared/k8s";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { createHash, createHmac } from "crypto";
import type { GeneratedSecretName } from "../../config/schema";
import { keepData } from "../shared/data-safety";
import type { EnvVar } from "../shared/workload";

export interface SecretRef {
  /** Kubernetes Secret name. */
  name: string;
  /** Key holding the credential itself. */
  key: string;
}

export interface Credential {
  ref: SecretRef;
  /** The value, marked secret. */
  value: pulumi.Output<string>;
  /** Non-secret companions (user, database) stored in the same Secret. */
  extra: Record<string, string>;
  /** A keyed hash of the value: changes when the credential does and tells nothing about it. */
  checksum: pulumi.Output<string>;
}

/**
 * Pod annotation that changes with the credentials the pod reads (as environment, only at start):
 * rotating one rolls the pods, so Redis gets the new requirepass, Postgres and ClickHouse re-sync
 * their user, and clients reconnect with it.
 */
export function credentialsChecksum(credentials: Credential[]): Record<string, pulumi.Output<string>> {
  const sums = pulumi.all(credentials.map((c) => c.checksum));
  return { "checksum/credentials": sums.apply((s) => createHash("sha256").update(s.join("\0")).digest("hex")) };
}

/** The credentials among `all` whose Secrets the environment references. */
export function credentialsIn(env: EnvVar[], all: Credential[]): Credential[] {
  const names = new Set(env.map((e) => (e.valueFrom as { secretKeyRef?: { name?: string } } | undefined)?.secretKeyRef?.name));
  return all.filter((c) => names.has(c.ref.name));
}

export interface GeneratedSecretsArgs {
  namespace: pulumi.Input<string>;
  /** Values the stack sets itself (`pulumi config set --secret`); the others are generated. */
  given: Partial<Record<GeneratedSecretName, string>>;
  /** The accounts the passwords belong to, stored beside them for clients that read the whole Secret. */
  accounts: { clickhouse: { user: string; database: string }; postgres: { user: string; database: string }; grafanaAdminUser: string };
  /** A regenerated password no longer opens the data written with the old one. */
  protect: boolean;
}

export class GeneratedSecrets extends pulumi.ComponentResource {
  public readonly credentials: Record<GeneratedSecretName, Credential>;

  constructor(name: string, args: GeneratedSecretsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:secrets:GeneratedSecrets", name, {}, opts);
    const { given, accounts } = args;
    const child = { parent: this };
    const kept = keepData(args.protect, child);

    const password = (id: string, override: string | undefined): pulumi.Output<string> =>
      override !== undefined
        ? pulumi.secret(override)
        : pulumi.secret(new random.RandomPassword(`${id}-password`, { length: 32, special: false, minLower: 2, minUpper: 2, minNumeric: 2 }, kept).result);

    // Keys the credentials' checksums; kept only in Pulumi state, so a pod annotation reveals nothing.
    // Protected like the passwords: a new key would roll every datastore and service at once.
    const checksumKey = new random.RandomBytes("credential-checksum-key", { length: 32 }, kept).base64;
    // The keyed hash is safe to show in specs and diffs, unlike the value it derives from.
    const checksum = (value: pulumi.Output<string>) => pulumi.unsecret(pulumi.all([checksumKey, value]).apply(([k, v]) => createHmac("sha256", k).update(v).digest("hex")));

    // 48 random bytes = 384 bits, above the 256-bit minimum of the checklist.
    const jwt = given.jwt !== undefined ? pulumi.secret(given.jwt) : pulumi.secret(new random.RandomBytes("jwt-secret", { length: 48 }, kept).base64);

    const specs: Record<GeneratedSecretName, { secret: string; key: string; value: pulumi.Output<string>; extra: Record<string, string> }> = {
      redis: { secret: "redis-auth", key: "password", value: password("redis", given.redis), extra: {} },
      clickhouse: { secret: "clickhouse-auth", key: "password", value: password("clickhouse", given.clickhouse), extra: { ...accounts.clickhouse } },
      postgres: { secret: "postgres-auth", key: "password", value: password("postgres", given.postgres), extra: { ...accounts.postgres } },
      grafana: { secret: "grafana-admin", key: "admin-password", value: password("grafana-admin", given.grafana), extra: { "admin-user": accounts.grafanaAdminUser } },
      jwt: { secret: "jwt-secret", key: "secret", value: jwt, extra: {} },
    };

    const entries = Object.entries(specs).map(([id, s]) => {
      new k8s.core.v1.Secret(
        s.secret,
        {
          metadata: { name: s.secret, namespace: args.namespace, labels: { "app.kubernetes.io/part-of": "platform", "platform/credential": id } },
          type: "Opaque",
          stringData: pulumi.all([s.value]).apply(([v]) => ({ ...s.extra, [s.key]: v })),
        },
        { ...keepData(args.protect, child, true), additionalSecretOutputs: ["data", "stringData"] },
      );
      return [id, { ref: { name: s.secret, key: s.key }, value: s.value, extra: s.extra, checksum: checksum(s.value) }] as const;
    });
    this.credentials = Object.fromEntries(entries) as Record<GeneratedSecretName, Credential>;
    this.registerOutputs({ secretNames: Object.values(specs).map((s) => s.secret) });
  }
}
