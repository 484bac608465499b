/**
 * The CrossGuard side of the rules: turns each rule into a Pulumi policy whose default enforcement
 * level is the rule's level for the detected environment, whose config schema holds the rule's
 * parameters, and whose validation resolves exemptions like `evaluate` does.
 *
 * Exemption state spans policies: `exemption-annotations` is served first and records the pack
 * setting allowAnnotations for the rules after it (the SDK runs a resource's policies in order);
 * exemptions found by any rule are collected and reported by the advisory `policy-exemptions`,
 * served last, when the stack is analysed.
 */
import type { PolicyConfigSchema, PolicyResource, ReportViolation, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { applyExemptions, Environment, EXEMPTION_RULE, EXEMPTIONS_REPORT, mergeParams, Rule } from "./engine";
import { InputResource, toK8s, toK8sAll } from "./k8s";

type Policy = ResourceValidationPolicy | StackValidationPolicy;

/** The SDK wraps props in a proxy that throws on unknown values; the rules read the plain target. */
function rawProps(props: any): Record<string, any> {
  return (props && props["__getSpecialProxyTarget"]) ?? props ?? {};
}

function configSchema(rule: Rule): PolicyConfigSchema {
  return { properties: Object.fromEntries(Object.entries(rule.schema).map(([k, v]) => [k, v as any])) };
}

export interface PackState {
  allowAnnotations: boolean;
  /** urn|rule|container -> message, so repeated analysis does not repeat a note. */
  exemptions: Map<string, { urn?: string; message: string }>;
}

export function newState(): PackState {
  return { allowAnnotations: true, exemptions: new Map() };
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

export function toPolicy(rule: Rule, env: Environment, state: PackState): Policy {
  const base = { name: rule.name, description: rule.description, enforcementLevel: rule.levels[env], configSchema: configSchema(rule) };
  const params = (own: Record<string, unknown>) => mergeParams(rule.defaults(env), own);
  if (rule.scope === "resource") {
    return {
      ...base,
      validateResource: (args, reportViolation) => {
        const config = args.getConfig<Record<string, unknown>>();
        if (rule.name === EXEMPTION_RULE) state.allowAnnotations = config.allowAnnotations !== false;
        const r = toK8s({ type: args.type, name: args.name, urn: args.urn, props: rawProps(args.props) });
        if (!r) return;
        report(state, rule, rule.check(r, { env, params: params(config) }), reportViolation);
      },
    };
  }
  return {
    ...base,
    validateStack: (args, reportViolation) => {
      const resources = toK8sAll(args.resources.map((p: PolicyResource): InputResource => ({ type: p.type, name: p.name, urn: p.urn, props: rawProps(p.props) })));
      report(state, rule, rule.check(resources, { env, params: params(args.getConfig<Record<string, unknown>>()) }), reportViolation);
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

export function toPolicies(rules: Rule[], env: Environment, state: PackState = newState()): Policy[] {
  return [...rules.map((r) => toPolicy(r, env, state)), exemptionsReport(state)];
}
