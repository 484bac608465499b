/**
 * Exemption annotations: `policy.platform/exempt.<rule>` (resource) or `…<rule>.<container>`
 * (container), the value being the reason. This rule keeps them honest: a reason is required,
 * the rule and container must exist. It also holds the pack-wide switch `allowAnnotations`.
 */
import { EXEMPT_PREFIX, EXEMPTION_RULE, EXEMPTIONS_REPORT, Finding, ResourceRule } from "../lib/engine";
import { containers } from "../lib/k8s";

export function exemptionAnnotations(ruleNames: string[]): ResourceRule<{ allowAnnotations: boolean }> {
  // Longest first, so `container-read-only-root-filesystem.kafka` is not read as a shorter rule.
  const names = [...ruleNames].sort((a, b) => b.length - a.length);
  return {
    scope: "resource",
    name: EXEMPTION_RULE,
    description: `Every ${EXEMPT_PREFIX}<rule>[.<container>] annotation names an existing rule (and container) and gives a non-empty reason. Its parameter allowAnnotations: false turns all annotation exemptions off for the pack.`,
    sources: [{ seed: "004", heading: "Security Officer", item: "Compliance requirements are met" }],
    fix: `write why the rule does not apply as the annotation's value, e.g. ${EXEMPT_PREFIX}container-read-only-root-filesystem: "the image renders its config at start"; or remove the annotation`,
    levels: { dev: "advisory", prod: "mandatory" },
    defaults: () => ({ allowAnnotations: true }),
    schema: { allowAnnotations: { type: "boolean", description: "false: exemption annotations are ignored and every finding is a violation (prod reviews)" } },
    check(r) {
      const out: Finding[] = [];
      const own = new Set(containers(r).map((c) => c.name));
      for (const [key, value] of Object.entries(r.annotations)) {
        if (!key.startsWith(EXEMPT_PREFIX)) continue;
        const rest = key.slice(EXEMPT_PREFIX.length);
        const rule = names.find((n) => rest === n || rest.startsWith(`${n}.`));
        if (!rule || rule === EXEMPTION_RULE || rule === EXEMPTIONS_REPORT) {
          out.push({ target: r, problem: `annotation ${key} names no rule that can be exempted` });
          continue;
        }
        const container = rest === rule ? undefined : rest.slice(rule.length + 1);
        if (container !== undefined && !own.has(container)) out.push({ target: r, problem: `annotation ${key} names container "${container}", which the resource does not have` });
        if (value.trim() === "") out.push({ target: r, container, problem: `annotation ${key} gives no reason, so it exempts nothing` });
      }
      return out;
    },
  };
}
