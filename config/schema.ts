/**
 * The one schema for all stack configuration (keys under the `platform:` namespace).
 * Every message says what is allowed; the loader adds the key and the value given.
 */
import { z } from "zod";
import { CLAIM_MAX_STORAGE, CONTAINER_MAX, footprint } from "./admission";
import { cidr, MONITORING_NAMES, MONITORING_SECRET_KEYS, monitoringConfigShape } from "./monitoring";
import { cpu, cron, dnsLabel, DNS_1035_LABEL, ENV_NAME, goDuration, IDENTIFIER, imageRef, memory, port, registryRepository, resources, secretString, storage } from "./primitives";
import { parseCpu, parseMemory } from "./quantities";

const secretOverride = secretString(16, "set it with `pulumi config set --secret`");

/** Namespaces Kubernetes owns: the platform's labels, quota and default-deny policy would break the cluster there. */
const RESERVED_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"];
const namespaceName = dnsLabel.refine(
  (n) => !RESERVED_NAMESPACES.includes(n) && !n.startsWith("kube-"),
  `a namespace of the platform's own, not ${RESERVED_NAMESPACES.join(", ")} or another kube-* namespace`,
);
/** Role names Postgres reserves (pg_* and the SQL keywords that name roles). */
const postgresUser = z
  .string()
  .regex(IDENTIFIER, "a lower-case SQL identifier")
  .refine((u) => u !== "postgres", "an application user other than the superuser 'postgres'")
  .refine(
    (u) => !u.startsWith("pg_") && !["public", "none", "current_user", "current_role", "session_user"].includes(u),
    "a role name Postgres does not reserve (no pg_ prefix, not public/none/current_user/current_role/session_user)",
  );
const clickhouseDatabase = z
  .string()
  .regex(IDENTIFIER, "a lower-case SQL identifier")
  .refine((d) => !["system", "information_schema"].includes(d), "a database of the platform's own, not ClickHouse's system or information_schema");
const clickhouseUser = z
  .string()
  .regex(IDENTIFIER, "a lower-case SQL identifier")
  .refine((u) => u !== "default", "a user other than ClickHouse's built-in 'default'");
const postgresDatabase = z
  .string()
  .regex(IDENTIFIER, "a lower-case SQL identifier")
  .refine((d) => !["template0", "template1"].includes(d), "a database other than Postgres' templates template0 and template1");

const replicas = z
  .object({
    min: z.number().int("a whole number of replicas").min(1, "at least 1 replica").max(100, "at most 100 replicas"),
    max: z.number().int("a whole number of replicas").min(1, "at least 1 replica").max(100, "at most 100 replicas"),
  })
  .strict()
  .refine((r) => r.min <= r.max, { path: ["min"], message: "min replicas no greater than max replicas" });

const GENERATED_SECRETS = ["redis", "clickhouse", "postgres", "grafana", "jwt"] as const;
export type GeneratedSecretName = (typeof GENERATED_SECRETS)[number];

export const DATASTORES = ["redis", "clickhouse", "kafka", "postgres"] as const;
export type DatastoreName = (typeof DATASTORES)[number];

/** Variables a datastore adds beside the `uses` entry's own (components/datastores/*: clientEnv). */
export const DATASTORE_CLIENT_ENV: Record<DatastoreName, string[]> = {
  redis: ["REDIS_PASSWORD"],
  clickhouse: ["CLICKHOUSE_DATABASE", "CLICKHOUSE_USER", "CLICKHOUSE_PASSWORD"],
  kafka: [],
  postgres: ["POSTGRES_DB", "POSTGRES_USER", "POSTGRES_PASSWORD"],
};
/** Variables the program sets on every service (components/platform.ts, grpc-service.ts); `motionLimits` ones included, as it may be switched on later. */
export const PROGRAM_ENV = ["SERVER_PORT", "METRICS_PORT", "LOG_LEVEL", "ENABLE_DEBUG_ENDPOINTS", "MAX_SPEED_KMH", "MAX_TIME_DIFF"];
/** Workloads, Services and ServiceAccounts the program names itself; a service may not take one of these names. */
export const PROGRAM_WORKLOADS = [...DATASTORES, "kafka-exporter", "kafka-topics", "postgres-backup", ...MONITORING_NAMES];
/** Secrets the program creates (components/secrets/generated-secrets.ts). */
export const PROGRAM_SECRETS = ["redis-auth", "clickhouse-auth", "postgres-auth", "grafana-admin", "jwt-secret"];
/** Replication factor of Kafka's internal topics (offsets, transactions), as components/datastores/kafka.ts sets it. */
export const internalTopicReplication = (brokers: number): number => Math.min(3, brokers);

const serviceSchema = z
  .object({
    port,
    metricsPort: port.default(9464),
    image: imageRef.optional(),
    build: z
      .object({
        context: z.string().min(1, "a path to a directory holding a Dockerfile"),
        dockerfile: z.string().min(1).optional(),
        repository: registryRepository,
        tag: z
          .string()
          .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, "an image tag such as 1.4.2")
          .default("build"),
      })
      .strict()
      .optional(),
    public: z.boolean().default(false),
    replicas,
    cpuTargetPercent: z.number().int().min(10, "a CPU utilisation target between 10 and 100 (%)").max(100, "a CPU utilisation target between 10 and 100 (%)").default(70),
    resources,
    /** Dependencies: each becomes an `<env>=host:port` variable, a NetworkPolicy flow and, for datastores, credentials from their Secret. */
    uses: z.array(z.object({ target: dnsLabel, env: z.string().regex(ENV_NAME, "an environment variable name such as REDIS_ADDR") }).strict()).default([]),
    /** Environment variables filled from generated Secrets, e.g. { JWT_SECRET: jwt }. */
    secretEnv: z.record(z.string().regex(ENV_NAME, "an environment variable name"), z.enum(GENERATED_SECRETS)).default({}),
    /** Plain, non-secret settings. */
    env: z.record(z.string().regex(ENV_NAME, "an environment variable name"), z.string()).default({}),
    /** Adds MAX_SPEED_KMH and MAX_TIME_DIFF from `app`. */
    motionLimits: z.boolean().default(false),
    /** Named gRPC services the health check asks for besides the server as a whole (""). */
    healthServices: z.array(z.string()).default([]),
  })
  .strict();
export type ServiceConfig = z.infer<typeof serviceSchema>;

// --- Cluster DNS (issue 11): where pods resolve names, which the namespace's DNS egress allows. ---
const DEFAULT_DNS = { namespace: "kube-system", podLabels: { "k8s-app": "kube-dns" }, cidrs: ["169.254.20.10/32"] };
const dnsSchema = z
  .object({
    /** Namespace and labels of the cluster DNS pods (CoreDNS). */
    namespace: dnsLabel.default(DEFAULT_DNS.namespace),
    podLabels: z
      .record(z.string().min(1), z.string())
      .refine((l) => Object.keys(l).length > 0, "at least one label selecting the DNS pods, such as k8s-app: kube-dns")
      .default(DEFAULT_DNS.podLabels),
    /**
     * Addresses answering DNS outside the pod network: NodeLocal DNSCache's link-local address,
     * the kube-dns Service IP where NodeLocal DNSCache intercepts it, or the node range where DNS
     * runs on the host network. Only port 53 is opened to them.
     */
    cidrs: z.array(cidr).default(DEFAULT_DNS.cidrs),
  })
  .strict()
  .default(DEFAULT_DNS);
// --- end of cluster DNS ---

const datastoreBase = {
  image: imageRef,
  storage,
  resources,
};

export const configSchema = z
  .object({
    environment: z.enum(["dev", "prod"]),
    namespace: namespaceName.default("platform"),
    storageClassName: dnsLabel.optional(),
    ingress: z
      .object({
        host: z.string().regex(/^([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z]{2,}$/, "a fully-qualified host name such as api.example.com"),
        tlsSecretName: dnsLabel,
        className: z.string().min(1).default("nginx"),
        clusterIssuer: z.string().min(1).optional(),
        controllerNamespace: dnsLabel.default("ingress-nginx"),
      })
      .strict(),
    app: z
      .object({
        maxSpeedKmh: z.number().int("a whole number of km/h").min(1, "a speed between 1 and 300 km/h").max(300, "a speed between 1 and 300 km/h").default(150),
        maxTimeDiff: goDuration("1m", "48h").default("12h"),
        logLevel: z.enum(["DEBUG", "INFO", "WARN", "ERROR"]).default("INFO"),
        debugEndpoints: z.boolean().default(false),
      })
      .strict()
      // prefault: an absent block is parsed as {}, so the field defaults above are the only ones.
      .prefault({}),
    services: z
      .record(z.string().regex(DNS_1035_LABEL, "a Kubernetes Service name: a lower-case letter first, then letters, digits and '-', at most 63 characters"), serviceSchema)
      .refine((s) => Object.keys(s).length > 0, "at least one gRPC service"),
    redis: z.object({ ...datastoreBase, exporterImage: imageRef }).strict(),
    clickhouse: z.object({ ...datastoreBase, database: clickhouseDatabase, user: clickhouseUser.default("platform") }).strict(),
    kafka: z
      .object({
        ...datastoreBase,
        exporterImage: imageRef,
        brokers: z.number().int().min(1, "between 1 and 9 brokers").max(9, "between 1 and 9 brokers"),
        minInsyncReplicas: z.number().int().min(1, "at least 1").default(1),
        topics: z
          .array(
            z
              .object({
                name: z
                  .string()
                  .regex(/^[a-zA-Z0-9._-]{1,249}$/, "a Kafka topic name: letters, digits, '.', '_' and '-', at most 249 characters")
                  .refine((n) => n !== "." && n !== "..", "a Kafka topic name other than '.' or '..'")
                  .refine((n) => !n.startsWith("__"), "a topic name not starting with '__' (Kafka's internal topics)"),
                partitions: z.number().int().min(1, "between 1 and 1000 partitions").max(1000, "between 1 and 1000 partitions"),
                replicationFactor: z.number().int().min(1, "a replication factor of at least 1"),
              })
              .strict(),
          )
          .default([]),
      })
      .strict(),
    postgres: z
      .object({
        ...datastoreBase,
        exporterImage: imageRef,
        database: postgresDatabase,
        user: postgresUser,
        backup: z.object({ schedule: cron, retentionDays: z.number().int().min(1, "between 1 and 365 days").max(365, "between 1 and 365 days"), storage }).strict(),
      })
      .strict(),
    ...monitoringConfigShape,
    health: z
      .object({
        enabled: z.boolean().default(true),
        timeoutSeconds: z.number().min(1, "between 1 and 300 seconds").max(300, "between 1 and 300 seconds").default(10),
        retries: z.number().int().min(0, "between 0 and 10 retries").max(10, "between 0 and 10 retries").default(3),
        /** How long the gate waits for the Deployments and StatefulSets to finish rolling out before it checks. */
        rolloutTimeoutSeconds: z.number().int().min(10, "between 10 and 3600 seconds").max(3600, "between 10 and 3600 seconds").default(600),
      })
      .strict()
      .prefault({}),
    quota: z.object({ cpu, memory, pods: z.number().int().min(1, "between 1 and 10000 pods").max(10000, "between 1 and 10000 pods") }).strict(),
    /** Lets a stack whose name says one environment run as the other; logged as a warning on every run. */
    allowEnvironmentMismatch: z.boolean().default(false),
    /** Pulumi `protect` (and retain on delete) on what holds data; unset means on in prod, off in dev (see dataProtected). */
    protectData: z.boolean().optional(),
    dns: dnsSchema,
    redisPassword: secretOverride.optional(),
    clickhousePassword: secretOverride.optional(),
    postgresPassword: secretOverride.optional(),
    grafanaAdminPassword: secretOverride.optional(),
    jwtSecret: secretOverride.refine((v) => Buffer.byteLength(v) * 8 >= 256, "a JWT secret of at least 256 bits (32 bytes)").optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    const prod = c.environment === "prod";
    const names = new Set([...Object.keys(c.services), ...DATASTORES]);
    const images = imageFields(c);
    let publicCount = 0;
    for (const [name, svc] of Object.entries(c.services)) {
      const at = (...p: Array<string | number>) => ["services", name, ...p];
      if (svc.image === undefined && svc.build === undefined) {
        ctx.addIssue({ code: "custom", path: at("image"), message: "an image reference (or a `build` section pointing at a source directory); neither is set" });
      }
      if (svc.image !== undefined && svc.build !== undefined) {
        ctx.addIssue({ code: "custom", path: at("build"), message: "either `image` or `build`, not both" });
      }
      // Reported on `port`, the key the user set: metricsPort is often the default.
      if (svc.metricsPort === svc.port) ctx.addIssue({ code: "custom", path: at("port"), message: `a gRPC port different from the service's metrics port ${svc.metricsPort}` });
      if (svc.public) publicCount++;
      if (PROGRAM_WORKLOADS.some((w) => name === w || name === `${w}-headless`)) {
        ctx.addIssue({
          code: "custom",
          path: ["services", name],
          params: { name: true },
          message: `a service name not taken by the program's own workloads (${PROGRAM_WORKLOADS.join(", ")} and their -headless Services)`,
        });
      }
      svc.uses.forEach((u, i) => {
        if (!names.has(u.target)) {
          ctx.addIssue({ code: "custom", path: at("uses", i, "target"), message: `one of the services or datastores: ${[...names].join(", ")}` });
        }
        if (u.target === name) ctx.addIssue({ code: "custom", path: at("uses", i, "target"), message: "another service or datastore, not the service itself" });
      });
      envRules(svc, at, ctx);
    }
    if (publicCount !== 1) {
      ctx.addIssue({ code: "custom", path: ["services"], message: `exactly one service with public: true (the gateway); found ${publicCount}` });
    }
    const ports = Object.entries(c.services).map(([n, s]) => [n, s.port] as const);
    for (const [i, [n, p]] of ports.entries()) {
      const other = ports.slice(0, i).find(([, q]) => q === p);
      if (other) ctx.addIssue({ code: "custom", path: ["services", n, "port"], message: `a port not already used by ${other[0]}` });
    }
    for (const [path, ref] of images) {
      const tagged = /:[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(ref.split("/").pop() ?? "") || ref.includes("@sha256:");
      if (!tagged) ctx.addIssue({ code: "custom", path, message: "an image pinned to a tag or digest (no implicit latest)" });
      else if (prod && /:latest$/.test(ref)) ctx.addIssue({ code: "custom", path, message: "a pinned version tag or digest in prod, not 'latest'" });
    }
    c.kafka.topics.forEach((t, i) => {
      if (t.replicationFactor > c.kafka.brokers) {
        ctx.addIssue({ code: "custom", path: ["kafka", "topics", i, "replicationFactor"], message: `a replication factor no larger than the broker count (${c.kafka.brokers})` });
      }
      if (prod && t.replicationFactor < 2) {
        ctx.addIssue({ code: "custom", path: ["kafka", "topics", i, "replicationFactor"], message: "a replication factor of at least 2 in prod" });
      }
    });
    kafkaRules(c.kafka, ctx);
    if (prod && c.kafka.brokers < 3) ctx.addIssue({ code: "custom", path: ["kafka", "brokers"], message: "at least 3 brokers in prod" });
    if (prod && c.kafka.minInsyncReplicas < 2) ctx.addIssue({ code: "custom", path: ["kafka", "minInsyncReplicas"], message: "at least 2 in-sync replicas in prod" });
    if (prod && !["INFO", "WARN"].includes(c.app.logLevel)) ctx.addIssue({ code: "custom", path: ["app", "logLevel"], message: "INFO or WARN in prod" });
    if (prod && c.app.debugEndpoints) ctx.addIssue({ code: "custom", path: ["app", "debugEndpoints"], message: "false in prod (debug and Swagger endpoints stay off)" });
    const secretNames: Array<[Array<string | number>, string]> = [
      [["ingress", "tlsSecretName"], c.ingress.tlsSecretName],
      [["alertmanager", "receiversSecretName"], c.alertmanager.receiversSecretName],
    ];
    for (const [path, secret] of secretNames) {
      if (PROGRAM_SECRETS.includes(secret)) ctx.addIssue({ code: "custom", path, message: `a Secret name the program does not create itself (${PROGRAM_SECRETS.join(", ")})` });
    }
    if (c.ingress.tlsSecretName === c.alertmanager.receiversSecretName) {
      ctx.addIssue({ code: "custom", path: ["ingress", "tlsSecretName"], message: `a Secret name other than platform:alertmanager.receiversSecretName (${c.alertmanager.receiversSecretName})` });
    }
    admissionRules(c, ctx);
  });

type Ctx = z.core.$RefinementCtx;
type Path = Array<string | number>;

/** A service's own `env` and `secretEnv` may not redefine what the program or a `uses` entry writes, nor two entries write one variable. */
function envRules(svc: ServiceConfig, at: (...p: Path) => Path, ctx: Ctx): void {
  const writer = new Map<string, string>(PROGRAM_ENV.map((e) => [e, "the program"]));
  const claim = (env: string, by: string, path: Path) => {
    const first = writer.get(env);
    if (first) ctx.addIssue({ code: "custom", path, message: `a variable name not already written by ${first} (${env})` });
    else writer.set(env, by);
  };
  svc.uses.forEach((u, i) => {
    const companions = (DATASTORES as readonly string[]).includes(u.target) ? DATASTORE_CLIENT_ENV[u.target as DatastoreName] : [];
    for (const env of [u.env, ...companions]) claim(env, `uses entry ${i} (${u.target})`, at("uses", i, "env"));
  });
  for (const env of Object.keys(svc.secretEnv)) claim(env, "secretEnv", at("secretEnv", env));
  for (const env of Object.keys(svc.env)) claim(env, "env", at("env", env));
}

function kafkaRules(k: PlatformConfig["kafka"], ctx: Ctx): void {
  const internal = internalTopicReplication(k.brokers);
  if (k.minInsyncReplicas > k.brokers) {
    ctx.addIssue({ code: "custom", path: ["kafka", "minInsyncReplicas"], message: `at most the broker count (${k.brokers})` });
  } else if (k.minInsyncReplicas > internal) {
    ctx.addIssue({
      code: "custom",
      path: ["kafka", "minInsyncReplicas"],
      message: `at most ${internal}, the replication factor of Kafka's internal topics (offsets, transactions) with ${k.brokers} brokers`,
    });
  }
  const seen = new Map<string, string>();
  k.topics.forEach((t, i) => {
    if (t.replicationFactor < k.minInsyncReplicas) {
      ctx.addIssue({
        code: "custom",
        path: ["kafka", "topics", i, "replicationFactor"],
        message: `a replication factor of at least platform:kafka.minInsyncReplicas (${k.minInsyncReplicas}), or no write with acks=all succeeds`,
      });
    }
    // Kafka refuses topics whose names differ only in '.' and '_' (they share metric names).
    const key = t.name.replace(/\./g, "_");
    const other = seen.get(key);
    if (other !== undefined) ctx.addIssue({ code: "custom", path: ["kafka", "topics", i, "name"], message: `a topic name not already used (or differing only in '.'/'_') by ${other}` });
    else seen.set(key, t.name);
  });
}

/** Containers and claims within the LimitRange, and the namespace's peak within the ResourceQuota. */
function admissionRules(c: PlatformConfig, ctx: Ctx): void {
  const maxCpu = parseCpu(CONTAINER_MAX.cpu)!;
  const maxMemory = parseMemory(CONTAINER_MAX.memory)!;
  const maxClaim = parseMemory(CLAIM_MAX_STORAGE)!;
  walk(c, [], (path, key, value) => {
    if (key === "resources" && typeof value === "object" && value !== null) {
      const r = value as PlatformConfig["redis"]["resources"];
      if (parseCpu(r.limits.cpu)! > maxCpu) {
        ctx.addIssue({ code: "custom", path: [...path, "limits", "cpu"], message: `at most ${CONTAINER_MAX.cpu} cores per container (the namespace's LimitRange); write millicores as e.g. 250m` });
      }
      if (parseMemory(r.limits.memory)! > maxMemory) {
        ctx.addIssue({ code: "custom", path: [...path, "limits", "memory"], message: `at most ${CONTAINER_MAX.memory} per container (the namespace's LimitRange)` });
      }
      return true;
    }
    if (key === "storage" && typeof value === "string" && parseMemory(value)! > maxClaim) {
      ctx.addIssue({ code: "custom", path, message: `at most ${CLAIM_MAX_STORAGE} per volume claim (the namespace's LimitRange)` });
    }
    return false;
  });
  const peak = footprint(c);
  const GiB = 2 ** 30;
  const checks: Array<[keyof typeof peak, number, string]> = [
    ["cpu", parseCpu(c.quota.cpu)!, `at least ${Math.ceil(peak.cpu)} cores: the limits of every pod at its peak (services at max replicas plus a rolling-update pod, helpers included)`],
    ["memory", parseMemory(c.quota.memory)!, `at least ${Math.ceil(peak.memory / GiB)}Gi: the limits of every pod at its peak (services at max replicas plus a rolling-update pod, helpers included)`],
    ["pods", c.quota.pods, `at least ${peak.pods} pods: every pod at its peak (services at max replicas plus a rolling-update pod, helpers included)`],
  ];
  for (const [kind, quota, message] of checks) {
    if (quota < peak[kind]) ctx.addIssue({ code: "custom", path: ["quota", kind], message });
  }
}

/** Visits every key of the config; `visit` returns true to stop descending. Paths lead to the key itself. */
function walk(node: unknown, path: Path, visit: (path: Path, key: string | number, value: unknown) => boolean): void {
  if (node === null || typeof node !== "object") return;
  for (const [k, v] of Object.entries(node)) {
    const key = Array.isArray(node) ? Number(k) : k;
    if (!visit([...path, key], key, v)) walk(v, [...path, key], visit);
  }
}

export type PlatformConfig = z.infer<typeof configSchema>;
/** The slices of the configuration the components take (components/*: each component's `XxxArgs`). */
export type Environment = PlatformConfig["environment"];
export type RedisConfig = PlatformConfig["redis"];
export type ClickHouseConfig = PlatformConfig["clickhouse"];
export type KafkaConfig = PlatformConfig["kafka"];
export type PostgresConfig = PlatformConfig["postgres"];
export type PrometheusConfig = PlatformConfig["prometheus"];
export type AlertmanagerConfig = PlatformConfig["alertmanager"];
export type AlertReceiverSecrets = NonNullable<PlatformConfig["alertReceiverSecrets"]>;
export type GrafanaConfig = PlatformConfig["grafana"];
export type KubeStateMetricsConfig = PlatformConfig["kubeStateMetrics"];
export type KubernetesEgress = PlatformConfig["kubernetesEgress"];
export type HealthConfig = PlatformConfig["health"];

/** Whether the stack protects its data (components/shared/data-safety.ts): the key, else on in prod only. */
export function dataProtected(c: Pick<PlatformConfig, "environment" | "protectData">): boolean {
  return c.protectData ?? c.environment === "prod";
}

/** Every image reference in the config (keys `image` or `*Image`), with its path. */
function imageFields(c: PlatformConfig): Array<[Path, string]> {
  const found: Array<[Path, string]> = [];
  walk(c, [], (path, key, v) => {
    if (typeof v === "string" && typeof key === "string" && (key === "image" || key.endsWith("Image"))) found.push([path, v]);
    return false;
  });
  return found;
}

/** Keys whose values are credentials: never echoed in an error. */
export const SECRET_KEYS = ["redisPassword", "clickhousePassword", "postgresPassword", "grafanaAdminPassword", "jwtSecret", ...MONITORING_SECRET_KEYS] as const;

const STACK_WORDS: Record<PlatformConfig["environment"], string[]> = {
  prod: ["prod", "production", "prd", "live"],
  dev: ["dev", "development", "develop", "local", "sandbox", "test", "testing"],
};

/** The environment a stack's name says (prod-eu, my-dev), or undefined when it says neither or both. */
export function environmentOfStack(stack: string): PlatformConfig["environment"] | undefined {
  const words = stack.toLowerCase().split(/[^a-z0-9]+/);
  const said = (Object.keys(STACK_WORDS) as Array<PlatformConfig["environment"]>).filter((env) => STACK_WORDS[env].some((w) => words.includes(w)));
  return said.length === 1 ? said[0] : undefined;
}

/** The schema for one stack: its environment may not contradict its name unless explicitly allowed. */
export function stackSchema(stack: string) {
  return configSchema.superRefine((c, ctx) => {
    const implied = environmentOfStack(stack);
    if (implied && implied !== c.environment && !c.allowEnvironmentMismatch) {
      ctx.addIssue({
        code: "custom",
        path: ["environment"],
        message: `"${implied}", as the stack's name "${stack}" says (every ${implied === "prod" ? "prod guard would be off" : "prod guard would apply to a dev stack"}); to run it as "${c.environment}" anyway set platform:allowEnvironmentMismatch: true`,
      });
    }
  });
}
