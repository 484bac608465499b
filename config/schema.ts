/**
 * The one schema for all stack configuration (keys under the `platform:` namespace).
 * Every message says what is allowed; the loader adds the key and the value given.
 */
import { z } from "zod";
import { cidr, MONITORING_SECRET_KEYS, monitoringConfigShape } from "./monitoring";
import { cpu, cron, dnsLabel, ENV_NAME, goDuration, IDENTIFIER, imageRef, memory, port, resources, storage, WEAK_PASSWORDS } from "./primitives";

export { WEAK_PASSWORDS };

const secretOverride = z
  .string()
  .min(16, "a secret of at least 16 characters (set it with `pulumi config set --secret`)")
  .refine((v) => !WEAK_PASSWORDS.includes(v.toLowerCase()), "not a default or well-known weak password");

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

const serviceSchema = z
  .object({
    port,
    metricsPort: port.default(9464),
    image: imageRef.optional(),
    build: z
      .object({
        context: z.string().min(1, "a path to a directory holding a Dockerfile"),
        dockerfile: z.string().min(1).optional(),
        repository: z.string().regex(/^[a-z0-9.-]+(:[0-9]+)?\/[a-z0-9._\/-]+$/, "a registry repository such as registry.example.com/team/gateway"),
        tag: z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, "an image tag such as 1.4.2").default("build"),
      })
      .strict()
      .optional(),
    public: z.boolean().default(false),
    replicas,
    cpuTargetPercent: z.number().int().min(10, "a CPU utilisation target between 10 and 100 (%)").max(100, "a CPU utilisation target between 10 and 100 (%)").default(70),
    resources,
    /** Dependencies: each becomes an `<env>=host:port` variable, a NetworkPolicy flow and, for datastores, credentials from their Secret. */
    uses: z
      .array(z.object({ target: dnsLabel, env: z.string().regex(ENV_NAME, "an environment variable name such as REDIS_ADDR") }).strict())
      .default([]),
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
    namespace: dnsLabel.default("platform"),
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
      .default({ maxSpeedKmh: 150, maxTimeDiff: "12h", logLevel: "INFO", debugEndpoints: false }),
    services: z.record(dnsLabel, serviceSchema).refine((s) => Object.keys(s).length > 0, "at least one gRPC service"),
    redis: z.object({ ...datastoreBase, exporterImage: imageRef }).strict(),
    clickhouse: z.object({ ...datastoreBase, database: z.string().regex(IDENTIFIER, "a lower-case SQL identifier"), user: z.string().regex(IDENTIFIER, "a lower-case SQL identifier").default("platform") }).strict(),
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
                name: z.string().regex(/^[a-zA-Z0-9._-]{1,249}$/, "a Kafka topic name: letters, digits, '.', '_' and '-'"),
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
        database: z.string().regex(IDENTIFIER, "a lower-case SQL identifier"),
        user: z.string().regex(IDENTIFIER, "a lower-case SQL identifier").refine((u) => u !== "postgres", "an application user other than the superuser 'postgres'"),
        backup: z
          .object({ schedule: cron, retentionDays: z.number().int().min(1, "between 1 and 365 days").max(365, "between 1 and 365 days"), storage })
          .strict(),
      })
      .strict(),
    ...monitoringConfigShape,
    health: z
      .object({
        enabled: z.boolean().default(true),
        timeoutSeconds: z.number().min(1, "between 1 and 300 seconds").max(300, "between 1 and 300 seconds").default(10),
        retries: z.number().int().min(0, "between 0 and 10 retries").max(10, "between 0 and 10 retries").default(3),
      })
      .strict()
      .default({ enabled: true, timeoutSeconds: 10, retries: 3 }),
    quota: z.object({ cpu, memory, pods: z.number().int().min(1).max(10000) }).strict(),
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
      if (svc.metricsPort === svc.port) ctx.addIssue({ code: "custom", path: at("metricsPort"), message: `a metrics port different from the gRPC port ${svc.port}` });
      if (svc.public) publicCount++;
      svc.uses.forEach((u, i) => {
        if (!names.has(u.target)) {
          ctx.addIssue({ code: "custom", path: at("uses", i, "target"), message: `one of the services or datastores: ${[...names].join(", ")}` });
        }
        if (u.target === name) ctx.addIssue({ code: "custom", path: at("uses", i, "target"), message: "another service or datastore, not the service itself" });
      });
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
    if (c.kafka.minInsyncReplicas > c.kafka.brokers) {
      ctx.addIssue({ code: "custom", path: ["kafka", "minInsyncReplicas"], message: `at most the broker count (${c.kafka.brokers})` });
    }
    if (prod && c.kafka.brokers < 3) ctx.addIssue({ code: "custom", path: ["kafka", "brokers"], message: "at least 3 brokers in prod" });
    if (prod && c.kafka.minInsyncReplicas < 2) ctx.addIssue({ code: "custom", path: ["kafka", "minInsyncReplicas"], message: "at least 2 in-sync replicas in prod" });
    if (prod && !["INFO", "WARN"].includes(c.app.logLevel)) ctx.addIssue({ code: "custom", path: ["app", "logLevel"], message: "INFO or WARN in prod" });
    if (prod && c.app.debugEndpoints) ctx.addIssue({ code: "custom", path: ["app", "debugEndpoints"], message: "false in prod (debug and Swagger endpoints stay off)" });
  });

export type PlatformConfig = z.infer<typeof configSchema>;

/** Every image reference in the config (keys `image` or `*Image`), with its path. */
function imageFields(node: unknown, path: Array<string | number> = []): Array<[Array<string | number>, string]> {
  if (node === null || typeof node !== "object") return [];
  return Object.entries(node).flatMap(([k, v]) =>
    typeof v === "string" && (k === "image" || k.endsWith("Image")) ? [[[...path, k], v] as [Array<string | number>, string]] : imageFields(v, [...path, k]),
  );
}

/** Keys whose values are credentials: never echoed in an error. */
export const SECRET_KEYS = ["redisPassword", "clickhousePassword", "postgresPassword", "grafanaAdminPassword", "jwtSecret", ...MONITORING_SECRET_KEYS] as const;
