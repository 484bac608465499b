/**
 * Reads the stack configuration, validates it against the schema and turns every problem into one
 * line naming the key, the value given (never a credential) and what is allowed.
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { configSchema, environmentOfStack, PlatformConfig, SECRET_KEYS, stackSchema } from "./schema";

export const CONFIG_NAMESPACE = "platform";
/** Pulumi's own and the providers' namespaces; a key under any other namespace is read by nothing. */
export const OTHER_NAMESPACES = ["pulumi", "kubernetes", "docker", "random"];

export class ConfigError extends pulumi.RunError {
  constructor(readonly problems: string[]) {
    super(`invalid stack configuration:\n  - ${problems.join("\n  - ")}`);
    this.name = "ConfigError";
  }
}

/** What the runtime says about the stack beside its config values. */
export interface StackContext {
  stack: string;
  /** Full keys (platform:redisPassword) the stack file holds encrypted, i.e. set with --secret. */
  secretKeys: string[];
}

/** Whether a root key's schema takes text, so "123" stays the string it was written as. */
function takesText(key: string): boolean {
  let s: unknown = (configSchema.shape as Record<string, z.ZodType>)[key];
  while (s instanceof z.ZodOptional || s instanceof z.ZodDefault) s = s.unwrap();
  return s instanceof z.ZodString;
}

/**
 * Stack config values arrive as strings; objects are JSON-encoded. A root scalar cannot say whether
 * it was quoted, so it is decoded as JSON only where the schema wants a number or boolean.
 */
function decode(key: string, raw: string): unknown {
  if (takesText(key)) return raw;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

/** The `platform:` keys of a flat Pulumi config map, decoded. */
export function rawPlatformConfig(all: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(all)) {
    if (k.startsWith(`${CONFIG_NAMESPACE}:`)) {
      const key = k.slice(CONFIG_NAMESPACE.length + 1);
      out[key] = decode(key, v);
    }
  }
  return out;
}

function valueAt(root: unknown, path: PropertyKey[]): unknown {
  let cur: unknown = root;
  for (const p of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[p];
  }
  return cur;
}

const isSecretPath = (path: PropertyKey[]) => path.some((p) => (SECRET_KEYS as readonly PropertyKey[]).includes(p));
// A service's plain env is where pasted credentials end up; its problems are about names anyway.
const isEnvValue = (path: PropertyKey[]) => path.length === 4 && path[0] === "services" && path[2] === "env";

function show(path: PropertyKey[], value: unknown): string {
  if (isSecretPath(path)) return "[secret]";
  if (isEnvValue(path)) return "a value (not shown)";
  if (value === undefined) return "nothing (key missing)";
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function keyName(path: PropertyKey[]): string {
  return `${CONFIG_NAMESPACE}:${path.map(String).join(".")}`;
}

/** YAML reads 1.0, 123, yes or on as numbers or booleans; say how to write the value instead. */
function typeHint(issue: z.core.$ZodIssue, value: unknown): string {
  if (issue.code !== "invalid_type" || value === undefined || value === null) return "";
  if (issue.expected === "string" && typeof value !== "string") return ` (quote it in the stack file, e.g. "${String(value)}", so YAML reads it as text)`;
  if (["number", "boolean"].includes(issue.expected) && typeof value === "string") return " (write it without quotes in the stack file)";
  return "";
}

// Unknown keys are often a misspelt credential: their values are never shown.
const UNKNOWN_VALUE = "a value (not shown: an unknown key may hold a credential)";

export function describeIssues(raw: unknown, issues: z.core.$ZodIssue[]): string[] {
  return issues.flatMap((issue) => {
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((k) => `${keyName([...issue.path, k])}: got ${UNKNOWN_VALUE}; allowed: no such key exists here (check the spelling against the configuration reference in README.md)`);
    }
    // Problems with a record entry's name (params.name from the schema's rules) show the name, not the entry.
    if (issue.code === "invalid_key" || (issue.code === "custom" && issue.params?.name)) {
      const allowed = issue.code === "invalid_key" ? issue.issues.map((i) => i.message).join("; ") : issue.message;
      return [`${keyName(issue.path)}: got the name ${JSON.stringify(issue.path[issue.path.length - 1])}; allowed: ${allowed}`];
    }
    const value = valueAt(raw, issue.path);
    // "Required" only where the schema's type check met a missing key, not for a rule about other keys.
    const required = value === undefined && (issue.code === "invalid_type" || issue.code === "invalid_value");
    const allowed = required ? `a value is required (${issue.message})` : `${issue.message}${typeHint(issue, value)}`;
    return [`${keyName(issue.path)}: got ${show(issue.path, value)}; allowed: ${allowed}`];
  });
}

/** Validates decoded `platform:` config alone; throws ConfigError listing every problem. */
export function parseConfig(raw: Record<string, unknown>): PlatformConfig {
  const result = configSchema.safeParse(raw);
  if (!result.success) throw new ConfigError(describeIssues(raw, result.error.issues));
  return result.data;
}

/** Keys the program would silently ignore: under another namespace, or a misspelt `platform:`. */
function foreignKeys(all: Record<string, string>): string[] {
  return Object.keys(all).flatMap((key) => {
    const [ns, ...rest] = key.split(":");
    if (ns === CONFIG_NAMESPACE || OTHER_NAMESPACES.includes(ns)) return [];
    const meant = ns in configSchema.shape ? `${CONFIG_NAMESPACE}:${ns}.${rest.join(":")}` : `${CONFIG_NAMESPACE}:${rest.join(":")}`;
    return [`${key}: got ${UNKNOWN_VALUE}; allowed: no key of this program (it reads only ${CONFIG_NAMESPACE}: keys, besides the ${OTHER_NAMESPACES.join(":, ")}: namespaces); did you mean ${meant}?`];
  });
}

/** Credentials written into the stack file in plain text instead of with --secret. */
function plaintextSecrets(all: Record<string, string>, secretKeys: string[]): string[] {
  return SECRET_KEYS.flatMap((root) => {
    const key = `${CONFIG_NAMESPACE}:${root}`;
    if (!(key in all) || secretKeys.includes(key)) return [];
    const command = typeof decode(root, all[key]) === "object" ? `--secret --path ${key}.<key>` : `--secret ${key}`;
    return [`${key}: got [secret] in plain text; allowed: a value set with \`pulumi config set ${command} <value>\`, stored encrypted`];
  });
}

/**
 * Validates the whole stack configuration the runtime gives: the `platform:` keys against the
 * schema and the stack's name, every other key, and how credentials were stored. Returns the
 * config and warnings to log; throws ConfigError listing every problem.
 */
export function validateStack(all: Record<string, string>, context: StackContext): { config: PlatformConfig; warnings: string[] } {
  const raw = rawPlatformConfig(all);
  const result = stackSchema(context.stack).safeParse(raw);
  const problems = [...(result.success ? [] : describeIssues(raw, result.error.issues)), ...foreignKeys(all), ...plaintextSecrets(all, context.secretKeys)];
  if (!result.success || problems.length > 0) throw new ConfigError(problems);
  const config = result.data;
  const implied = environmentOfStack(context.stack);
  const warnings =
    implied && implied !== config.environment
      ? [`stack "${context.stack}" runs as environment "${config.environment}" although its name says "${implied}" (platform:allowEnvironmentMismatch is true)`]
      : [];
  return { config, warnings };
}

// The SDK keeps isConfigSecret out of its typings; it reads the runtime's list of encrypted keys.
const runtime = pulumi.runtime as typeof pulumi.runtime & { isConfigSecret(key: string): boolean };

/** The validated configuration of the running stack. */
export function loadConfig(): PlatformConfig {
  const all = pulumi.runtime.allConfig();
  const { config, warnings } = validateStack(all, { stack: pulumi.getStack(), secretKeys: Object.keys(all).filter((k) => runtime.isConfigSecret(k)) });
  for (const w of warnings) void pulumi.log.warn(w);
  return config;
}
