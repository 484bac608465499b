/**
 * What the health checks look at. One zod schema describes every kind of target; it is the type the
 * library's callers use, the format of the `verify --targets` file and of the stack's `health` output.
 *
 * A target is reached either directly (`host` + `port`) or, for services inside the cluster, through
 * a Kubernetes API port-forward (`serviceName` + `servicePort`, resolved by port-forward.ts).
 */
import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import { parseDocument } from "yaml";
import { z } from "zod";

const identifier = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "an SQL identifier (letters, digits, _)");
const port = z.number().int().min(1, "a TCP port 1-65535").max(65535, "a TCP port 1-65535");

/** Per-kind expectations; `name` is the component shown in the report. */
const kinds = {
  grpc: z.object({
    kind: z.literal("grpc"),
    /** Named services to ask for besides the server as a whole (""). */
    services: z.array(z.string()).default([]),
  }),
  redis: z.object({
    kind: z.literal("redis"),
    username: z.string().optional(),
    password: z.string().optional(),
  }),
  clickhouse: z.object({
    kind: z.literal("clickhouse"),
    /** The HTTP interface (8123). */
    user: z.string().default("default"),
    password: z.string().default(""),
    database: identifier,
    tables: z.array(identifier).default([]),
  }),
  kafka: z.object({
    kind: z.literal("kafka"),
    /** Expected number of live brokers in the cluster metadata. */
    brokers: z.number().int().min(1).optional(),
    topics: z.array(z.object({ name: z.string().min(1), partitions: z.number().int().min(1) }).strict()).default([]),
  }),
  postgres: z.object({
    kind: z.literal("postgres"),
    user: z.string().min(1),
    password: z.string(),
    database: z.string().min(1),
  }),
  prometheus: z.object({
    kind: z.literal("prometheus"),
    /** Fewer active scrape targets than this fails even if all of them are up. */
    minTargets: z.number().int().min(0).default(1),
  }),
  grafana: z.object({ kind: z.literal("grafana") }),
} as const;

const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;
/** A port or scheme in `host` ("127.0.0.1:3000") is a mistake no retry can mend: refuse it up front. */
const host = z.string().superRefine((value, ctx) => {
  if (isIP(value) === 0 && !HOST_NAME.test(value)) {
    ctx.addIssue({ code: "custom", message: `"${value}" is not a host name or IP address; give it without port or scheme (the port goes in 'port')` });
  }
});
const direct = { name: z.string().min(1), host, port };
const inCluster = { name: z.string().min(1), serviceName: z.string().min(1), servicePort: port };

const directTarget = z.discriminatedUnion("kind", [
  kinds.grpc.extend(direct).strict(),
  kinds.redis.extend(direct).strict(),
  kinds.clickhouse.extend(direct).strict(),
  kinds.kafka.extend(direct).strict(),
  kinds.postgres.extend(direct).strict(),
  kinds.prometheus.extend(direct).strict(),
  kinds.grafana.extend(direct).strict(),
]);
const inClusterTarget = z.discriminatedUnion("kind", [
  kinds.grpc.extend(inCluster).strict(),
  kinds.redis.extend(inCluster).strict(),
  kinds.clickhouse.extend(inCluster).strict(),
  kinds.kafka.extend(inCluster).strict(),
  kinds.postgres.extend(inCluster).strict(),
  kinds.prometheus.extend(inCluster).strict(),
  kinds.grafana.extend(inCluster).strict(),
]);

/** A target the checks can reach at host:port, as callers write it (fields with defaults optional). */
export type HealthTarget = z.input<typeof directTarget>;
/** A target named by its Kubernetes Service; withPortForwards turns it into a HealthTarget. */
export type InClusterTarget = z.input<typeof inClusterTarget>;
/** A validated target with every default filled in: what the checks receive. */
export type ParsedTarget = z.infer<typeof directTarget>;
type ParsedInClusterTarget = z.infer<typeof inClusterTarget>;
export type TargetKind = HealthTarget["kind"];

/** An issue's message; YAML reads an unquoted 12345 or true as a number or boolean, so say how to make it text. */
function explainIssue(i: z.core.$ZodIssue): string {
  return i.code === "invalid_type" && i.expected === "string" ? `${i.message} (quote the value to make it text)` : i.message;
}

/** Either form, chosen by `serviceName`, so errors name the fields of that form (a union names none). */
const targetEntry = z.unknown().transform((value, ctx): ParsedTarget | ParsedInClusterTarget => {
  const schema = typeof value === "object" && value !== null && "serviceName" in value ? inClusterTarget : directTarget;
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  for (const issue of result.error.issues) ctx.addIssue({ code: "custom", message: explainIssue(issue), path: issue.path });
  return z.NEVER;
});

export const targetsFileSchema = z
  .object({
    /** Namespace of the Services that in-cluster targets name. */
    namespace: z.string().min(1).optional(),
    /** Kubeconfig file for port-forwards; default: KUBECONFIG or ~/.kube/config. */
    kubeconfig: z.string().min(1).optional(),
    targets: z.array(targetEntry).min(1, "at least one target"),
  })
  .strict()
  .superRefine((doc, ctx) => {
    if (doc.namespace === undefined && doc.targets.some(isInCluster)) {
      ctx.addIssue({ code: "custom", path: ["namespace"], message: "required when a target names a serviceName" });
    }
  });
export type TargetsFile = z.infer<typeof targetsFileSchema>;

export function isInCluster<D extends HealthTarget, C extends InClusterTarget>(t: D | C): t is C {
  return "serviceName" in t;
}

/** Validates with defaults applied; the error lists each bad field by its path. */
function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, what: string): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => `  ${i.path.join(".") || "(root)"}: ${explainIssue(i)}`).join("\n");
  throw new Error(`${what}:\n${issues}`);
}

export function parseTargets(input: readonly HealthTarget[]): ParsedTarget[] {
  return parseOrThrow(z.array(directTarget), input, "invalid health targets");
}

export function parseInClusterTargets(input: readonly InClusterTarget[]): ParsedInClusterTarget[] {
  return parseOrThrow(z.array(inClusterTarget), input, "invalid health targets");
}

/**
 * YAML (or JSON) to plain data. A syntax error names the line, column and the parser's error code
 * only: the parser's own messages quote the source (a password among it).
 */
function parseYamlQuietly(text: string, source: string): unknown {
  const doc = parseDocument(text);
  if (doc.errors.length) {
    const where = doc.errors.map((e) => `  line ${e.linePos?.[0].line ?? "?"}, column ${e.linePos?.[0].col ?? "?"}: ${e.code}`);
    throw new Error(`${source} is not valid YAML (values are not shown; see the file at these lines):\n${where.join("\n")}`);
  }
  try {
    return doc.toJS();
  } catch (err) {
    // e.g. an alias without its anchor, whose message names the alias
    throw new Error(`${source} is not valid YAML: ${(err as Error).name} while resolving the document (values are not shown)`);
  }
}

/** Parses a targets document (YAML or JSON text); the error names the path of every bad field. */
export function parseTargetsDocument(text: string, source: string): TargetsFile {
  return parseOrThrow(targetsFileSchema, parseYamlQuietly(text, source), `${source} is not a valid targets file`);
}

export function loadTargetsFile(path: string): TargetsFile {
  return parseTargetsDocument(readFileSync(path, "utf8"), path);
}

/** host:port as clients and messages write it (an IPv6 address in brackets). */
export function addressOf(t: { host: string; port: number }): string {
  return isIP(t.host) === 6 ? `[${t.host}]:${t.port}` : `${t.host}:${t.port}`;
}

/** Values that must never appear in a report, a log line or an error. */
export function secretsOf(t: HealthTarget | InClusterTarget): string[] {
  return "password" in t && t.password ? [t.password] : [];
}
