/**
 * One set of rule code, two entry points: the CrossGuard pack (lib/pack.ts, loaded by
 * `pulumi preview --policy-pack policies`) and `evaluate` below, which the fast command and the
 * tests call on the resources of the program run under mocks. Both resolve enforcement levels,
 * parameters and exemptions the same way, and format every message here.
 */
import { describe, InputResource, K8sResource, toK8sAll } from "./k8s";

export type Environment = "dev" | "prod";
export type Level = "advisory" | "mandatory" | "disabled";

/** The five checklists in seeds/, by their number. */
export const SEEDS = {
  "000": "000_e290c506c2188438.txt",
  "001": "001_79b462367994516b.txt",
  "002": "002_513f63b99a2c2600.txt",
  "003": "003_6c63ba1467743894.txt",
  "004": "004_83aa8662de351496.txt",
} as const;
export type SeedId = keyof typeof SEEDS;

/** A checklist line: seed file, the heading it sits under, and the item itself. */
export interface Source {
  seed: SeedId;
  heading: string;
  item: string;
}

/** JSON schema of one rule parameter (the pack's config schema, a subset of JSON schema). */
export type ParamSchema = { type: "string" | "number" | "integer" | "boolean" | "array" | "object"; description?: string; [k: string]: unknown };

/** A problem a rule found, on the resource (and container) it belongs to. */
export interface Finding {
  target: K8sResource;
  container?: string;
  problem: string;
  /** Overrides the rule's general fix when the finding needs a more precise one. */
  fix?: string;
}

interface RuleBase<P> {
  name: string;
  description: string;
  sources: Source[];
  /** Where the rule comes from besides the checklists (Polaris, kube-score, Kyverno). */
  alsoFrom?: string;
  fix: string;
  levels: Record<Environment, Exclude<Level, "disabled">>;
  defaults: (env: Environment) => P;
  schema: { [K in keyof P]: ParamSchema };
}

export interface RuleContext<P> {
  env: Environment;
  params: P;
}

export interface ResourceRule<P = any> extends RuleBase<P> {
  scope: "resource";
  check(r: K8sResource, ctx: RuleContext<P>): Finding[];
}

export interface StackRule<P = any> extends RuleBase<P> {
  scope: "stack";
  check(resources: K8sResource[], ctx: RuleContext<P>): Finding[];
}

export type Rule = ResourceRule | StackRule;

/** Policy pack configuration, as in `--policy-pack-config`: rule -> level, or level plus parameters. */
export type PackConfig = Record<string, Level | ({ enforcementLevel?: Level } & Record<string, unknown>)>;

export const EXEMPT_PREFIX = "policy.platform/exempt.";
/** The rule that holds the pack-wide switch for annotation exemptions. */
export const EXEMPTION_RULE = "exemption-annotations";
/** The advisory rule that lists every exemption in use. */
export const EXEMPTIONS_REPORT = "policy-exemptions";

export function sourceText(s: Source): string {
  return `seeds/${SEEDS[s.seed]} "${s.heading}" (${s.item})`;
}

export function formatMessage(rule: Rule, f: Finding): string {
  const where = `${describe(f.target)}${f.container ? ` container "${f.container}"` : ""}`;
  return `${where}: ${f.problem}. Fix: ${f.fix ?? rule.fix}. Checklist: ${rule.sources.map(sourceText).join("; ")}.`;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Parameters after the configuration: a value replaces the default, an object is merged key by key. */
export function mergeParams<P>(defaults: P, overrides: Record<string, unknown>): P {
  const out: Record<string, unknown> = { ...(defaults as Record<string, unknown>) };
  for (const [k, v] of Object.entries(overrides)) {
    if (k === "enforcementLevel") continue;
    out[k] = isPlainObject(out[k]) && isPlainObject(v) ? { ...out[k], ...v } : v;
  }
  return out as P;
}

/** The rule's level and parameters for an environment, after the pack configuration. */
export function resolve<P>(rule: Rule, env: Environment, config: PackConfig = {}): { level: Level; params: P } {
  const c = config[rule.name];
  const level = typeof c === "string" ? c : (c?.enforcementLevel ?? rule.levels[env]);
  return { level, params: mergeParams<P>(rule.defaults(env), typeof c === "object" && c !== null ? c : {}) };
}

export function allowAnnotations(config: PackConfig = {}): boolean {
  const c = config[EXEMPTION_RULE];
  return !(typeof c === "object" && c !== null && c.allowAnnotations === false);
}

export interface Exemption {
  rule: string;
  key: string;
  reason: string;
  finding: Finding;
  message: string;
}

/** The annotation that would exempt a finding: the container's own key first, then the resource's. */
export function exemptionKey(ruleName: string, f: Finding): { key: string; reason: string } | undefined {
  const keys = [...(f.container ? [`${EXEMPT_PREFIX}${ruleName}.${f.container}`] : []), `${EXEMPT_PREFIX}${ruleName}`];
  for (const key of keys) {
    const reason = f.target.annotations[key];
    if (reason !== undefined) return { key, reason: reason.trim() };
  }
  return undefined;
}

/** Splits findings into violations and reasoned exemptions; an empty reason never exempts. */
export function applyExemptions(rule: Rule, findings: Finding[], allow: boolean): { violations: Array<{ finding: Finding; message: string }>; exemptions: Exemption[] } {
  const violations: Array<{ finding: Finding; message: string }> = [];
  const exemptions: Exemption[] = [];
  for (const f of findings) {
    const message = formatMessage(rule, f);
    const ex = exemptionKey(rule.name, f);
    if (ex && ex.reason !== "" && allow) {
      exemptions.push({
        rule: rule.name,
        key: ex.key,
        reason: ex.reason,
        finding: f,
        message: `exempted from ${rule.name} by annotation ${ex.key}: "${ex.reason}". Finding: ${message}`,
      });
      continue;
    }
    const note = !ex
      ? ""
      : ex.reason === ""
        ? ` (annotation ${ex.key} has an empty reason, so it does not exempt)`
        : ` (annotation ${ex.key} ignored: annotation exemptions are turned off in the pack configuration, ${EXEMPTION_RULE}.allowAnnotations)`;
    violations.push({ finding: f, message: message + note });
  }
  return { violations, exemptions };
}

/** Runs one rule on the resources (a resource rule on each, a stack rule on all). */
export function runRule(rule: Rule, resources: K8sResource[], ctx: RuleContext<any>): Finding[] {
  return rule.scope === "resource" ? resources.flatMap((r) => rule.check(r, ctx)) : rule.check(resources, ctx);
}

export interface Violation {
  rule: string;
  level: "advisory" | "mandatory";
  kind: string;
  name: string;
  namespace?: string;
  container?: string;
  message: string;
}

export interface Evaluation {
  violations: Violation[];
  exemptions: Exemption[];
}

export interface EvaluateOptions {
  environment: Environment;
  config?: PackConfig;
}

/** Evaluates every rule over a list of resources, the way the pack does under the Pulumi CLI. */
export function evaluate(input: InputResource[], rules: Rule[], opts: EvaluateOptions): Evaluation {
  const resources = toK8sAll(input);
  const allow = allowAnnotations(opts.config);
  const violations: Violation[] = [];
  const exemptions: Exemption[] = [];
  for (const rule of rules) {
    const { level, params } = resolve(rule, opts.environment, opts.config);
    if (level === "disabled") continue;
    const split = applyExemptions(rule, runRule(rule, resources, { env: opts.environment, params }), allow);
    exemptions.push(...split.exemptions);
    for (const v of split.violations) {
      const t = v.finding.target;
      violations.push({ rule: rule.name, level, kind: t.kind, name: t.name, namespace: t.namespace, container: v.finding.container, message: v.message });
    }
  }
  return { violations, exemptions };
}
