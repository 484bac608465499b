/**
 * The CrossGuard side of the rules: turns each rule into a Pulumi policy whose default enforcement
 * level is the rule's level for the environment, whose config schema holds the rule's parameters,
 * and whose validation resolves exemptions like `evaluate` does.
 *
 * State shared by the policies of one pack process:
 * - the environment, decided at start (lib/environment.ts) and again when the engine sends the
 *   stack's configuration (ConfigureStack, which comes before GetAnalyzerInfo);
 * - the pack setting allowAnnotations: `exemption-annotations` is served first and records it for
 *   the rules after it (the SDK runs a resource's policies in order);
 * - the exemptions found by any rule, reported by the advisory `policy-exemptions`, served last,
 *   when the stack is analysed.
 */
import type { PolicyConfigSchema, PolicyPackArgs, PolicyResource, ReportViolation, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { applyExemptions, Environment, EXEMPTION_RULE, EXEMPTIONS_REPORT, mergeParams, Rule } from "./engine";
import { Detected, detectEnvironment } from "./environment";
import { InputResource, toK8s, toK8sAll } from "./k8s";
import { rawProps } from "./policy-sdk-internals";

type Policy = ResourceValidationPolicy | StackValidationPolicy;

function configSchema(rule: Rule): PolicyConfigSchema {
  return { properties: Object.fromEntries(Object.entries(rule.schema).map(([k, v]) => [k, v as any])) };
}

export interface PackState {
  detected: Detected;
  allowAnnotations: boolean;
  /** urn|rule|container -> message, so repeated analysis does not repeat a note. */
  exemptions: Map<string, { urn?: string; message: string }>;
}

export function newState(detected: Detected = detectEnvironment()): PackState {
  return { detected, allowAnnotations: true, exemptions: new Map() };
}

function record(state: PackState, exemptions: ReturnType<typeof applyExemptions>["exemptions"]): void {
  for (const e of exemptions) {
    state.exemptions.set(`${e.finding.target.urn ?? e.finding.target.name}|${e.rule}|${e.finding.container ?? ""}`, { urn: e.finding.target.urn, message: e.message });
  }
}

function report(state: PackState, rule: Rule, findings: ReturnType<Rule["check"]>, reportViolation: ReportViolation): void {
  const split = applyExemptions(rule, findings, state.allowAnnotations);
  record(state, split.exemptions);
  for (const v of split.violations) reportViolation(v.message, v.finding.target.urn);
}

export function toPolicy(rule: Rule, state: PackState): Policy {
  const env = (): Environment => state.detected.environment;
  const base = { name: rule.name, description: rule.description, enforcementLevel: rule.levels[env()], configSchema: configSchema(rule) };
  const params = (own: Record<string, unknown>) => mergeParams(rule.defaults(env()), own);
  if (rule.scope === "resource") {
    return {
      ...base,
      validateResource: (args, reportViolation) => {
        const config = args.getConfig<Record<string, unknown>>();
        if (rule.name === EXEMPTION_RULE) state.allowAnnotations = config.allowAnnotations !== false;
        const r = toK8s({ type: args.type, name: args.name, urn: args.urn, props: rawProps(args.props) });
        if (!r) return;
        report(state, rule, rule.check(r, { env: env(), params: params(config) }), reportViolation);
      },
    };
  }
  return {
    ...base,
    validateStack: (args, reportViolation) => {
      const resources = toK8sAll(args.resources.map((p: PolicyResource): InputResource => ({ type: p.type, name: p.name, urn: p.urn, props: rawProps(p.props) })));
      report(state, rule, rule.check(resources, { env: env(), params: params(args.getConfig<Record<string, unknown>>()) }), reportViolation);
    },
  };
}

/** The advisory policy that lists every exemption in use with its reason. */
export function exemptionsReport(state: PackState): StackValidationPolicy {
  return {
    name: EXEMPTIONS_REPORT,
    description: "Lists every finding waived by a policy.platform/exempt.* annotation, with the annotation's reason, so exemptions stay visible in every review.",
    enforcementLevel: "advisory",
    validateStack: (_args, reportViolation) => {
      for (const e of state.exemptions.values()) reportViolation(e.message, e.urn);
    },
  };
}

function packDescription(d: Detected): string {
  return `Production checklists (seeds 000-004) as rules on the platform's Kubernetes resources; enforcement levels for ${d.environment} (${d.from}).`;
}

/** The PolicyPack arguments for the rules, with the state they share. */
export function packArgs(rules: Rule[], state: PackState = newState()): PolicyPackArgs {
  return { description: packDescription(state.detected), policies: [...rules.map((r) => toPolicy(r, state)), exemptionsReport(state)] };
}

/**
 * Applies an environment decided later (from ConfigureStack): the SDK reads each policy's level and
 * the pack description when the engine asks for them (GetAnalyzerInfo), which it does afterwards.
 */
export function setEnvironment(args: PolicyPackArgs, rules: Rule[], state: PackState, detected: Detected): void {
  state.detected = detected;
  args.description = packDescription(detected);
  for (const p of args.policies) {
    const rule = rules.find((r) => r.name === p.name);
    if (rule) p.enforcementLevel = rule.levels[detected.environment];
  }
}
