/**
 * The CrossGuard policy pack loaded by `pulumi preview --policy-pack policies`. Constructing the
 * PolicyPack starts serving, so tests import the rules (policies/rules) and lib/pack.ts instead.
 */
import { PolicyPack } from "@pulumi/policy";
import { detectEnvironment } from "./lib/environment";
import { toPolicies } from "./lib/pack";
import { RULES } from "./rules";

const { environment, from } = detectEnvironment();

new PolicyPack("platform-policies", {
  description: `Production checklists (seeds 000-004) as rules on the platform's Kubernetes resources; enforcement levels for ${environment} (${from}).`,
  policies: toPolicies(RULES, environment),
});
