/**
 * The bad-configuration corpus (tests/config/bad-configs.yaml): each entry applied to a stock stack
 * file and validated as `pulumi up` would. `npm run config:corpus` prints how many are rejected.
 */
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { ConfigError, StackContext, validateStack } from "../config/load";
import { flatConfig, ROOT, Stack, stackConfig } from "../policies/lib/program-under-mocks";

export interface CorpusEntry {
  class: number;
  what: string;
  stack?: Stack;
  stackName?: string;
  set?: Record<string, unknown>;
  extra?: Record<string, string>;
  plaintext?: string[];
  key?: string;
  got?: string;
  allowed?: string;
}

export const CORPUS_FILE = path.join(ROOT, "tests", "config", "bad-configs.yaml");

export function loadCorpus(): { bad: CorpusEntry[]; good: CorpusEntry[] } {
  return parse(fs.readFileSync(CORPUS_FILE, "utf8"));
}

/** Sets `a.b.0.c` inside the config, creating objects on the way. */
function setPath(root: Record<string, any>, dotted: string, value: unknown): void {
  const keys = dotted.split(".");
  let cur = root;
  for (const k of keys.slice(0, -1)) cur = cur[k] ??= {};
  cur[keys[keys.length - 1]] = value;
}

/** The flat config map and stack context the runtime would hand the program for an entry. */
export function stackOf(e: CorpusEntry): { all: Record<string, string>; context: StackContext } {
  const stack = e.stack ?? "prod";
  const config = stackConfig(stack) as Record<string, any>;
  for (const [k, v] of Object.entries(e.set ?? {})) setPath(config, k, v);
  const all = { ...flatConfig(config), ...e.extra };
  const plaintext = (e.plaintext ?? []).map((k) => `platform:${k}`);
  // Credentials are set with --secret unless the entry says otherwise.
  const secretKeys = Object.keys(all).filter((k) => !plaintext.includes(k));
  return { all, context: { stack: e.stackName ?? stack, secretKeys } };
}

/** The problem lines the program stops with, or [] when the entry is accepted. */
export function problemsOf(e: CorpusEntry): string[] {
  const { all, context } = stackOf(e);
  try {
    validateStack(all, context);
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
}

if (require.main === module) {
  const { bad, good } = loadCorpus();
  const results = bad.map((e) => ({ e, problems: problemsOf(e) }));
  const rejected = results.filter((r) => r.problems.length > 0);
  const rightKey = rejected.filter((r) => r.problems.some((p) => p.startsWith(`${r.e.key}:`)));
  const wronglyRejected = good.filter((e) => problemsOf(e).length > 0);
  console.log(`bad configurations rejected: ${rejected.length}/${bad.length} (naming the right key: ${rightKey.length})`);
  console.log(`good configurations accepted: ${good.length - wronglyRejected.length}/${good.length}`);
  for (const r of results.filter((x) => !rightKey.includes(x))) console.log(`  missed [class ${r.e.class}] ${r.e.what}`);
  for (const e of wronglyRejected) console.log(`  wrongly rejected [class ${e.class}] ${e.what}`);
}
