/**
 * Reads the `platform:` stack configuration, validates it against the schema and
 * turns every problem into one line naming the key, the value given and what is allowed.
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { configSchema, PlatformConfig, SECRET_KEYS } from "./schema";

export const CONFIG_NAMESPACE = "platform";

export class ConfigError extends pulumi.RunError {
  constructor(readonly problems: string[]) {
    super(`invalid stack configuration:\n  - ${problems.join("\n  - ")}`);
    this.name = "ConfigError";
  }
}

/** Stack config values arrive as strings; objects, numbers and booleans are JSON-encoded. */
function decode(raw: string): unknown {
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
    if (k.startsWith(`${CONFIG_NAMESPACE}:`)) out[k.slice(CONFIG_NAMESPACE.length + 1)] = decode(v);
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

function show(path: PropertyKey[], value: unknown): string {
  if (path.some((p) => (SECRET_KEYS as readonly PropertyKey[]).includes(p))) return "[secret]";
  if (value === undefined) return "nothing (key missing)";
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function keyName(path: PropertyKey[]): string {
  return `${CONFIG_NAMESPACE}:${path.map(String).join(".")}`;
}

export function describeIssues(raw: unknown, issues: z.core.$ZodIssue[]): string[] {
  return issues.flatMap((issue) => {
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((k) => {
        const path = [...issue.path, k];
        return `${keyName(path)}: got ${show(path, valueAt(raw, path))}; allowed: no such key exists here (check the spelling against the configuration reference in README.md)`;
      });
    }
    const got = show(issue.path, valueAt(raw, issue.path));
    const allowed = valueAt(raw, issue.path) === undefined ? `a value is required (${issue.message})` : issue.message;
    return [`${keyName(issue.path)}: got ${got}; allowed: ${allowed}`];
  });
}

/** Validates decoded config; throws ConfigError listing every problem. */
export function parseConfig(raw: Record<string, unknown>): PlatformConfig {
  const result = configSchema.safeParse(raw);
  if (!result.success) throw new ConfigError(describeIssues(raw, result.error.issues));
  return result.data;
}

/** The validated configuration of the running stack. */
export function loadConfig(): PlatformConfig {
  return parseConfig(rawPlatformConfig(pulumi.runtime.allConfig()));
}
