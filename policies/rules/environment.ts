/** The pack's enforcement levels match the environment the program says it deploys. */
import type { StackRule } from "../lib/engine";

export const stackEnvironment: StackRule<{ label: string }> = {
  scope: "stack",
  name: "stack-environment",
  description:
    "The environment the pack decided on (and so its dev/prod enforcement levels) matches the `environment` label the program puts on its Namespace; a prod stack is never checked with dev levels.",
  sources: [{ seed: "001", heading: "Configuration", item: "All environment variables validated" }],
  fix: "run the pack with the stack's configuration (pulumi preview --stack <stack> --policy-pack policies), or set platform:environment in the stack config",
  levels: { dev: "mandatory", prod: "mandatory" },
  defaults: () => ({ label: "environment" }),
  schema: { label: { type: "string", description: "Namespace label holding the environment" } },
  check(resources, { env, params }) {
    return resources
      .filter((r) => r.kind === "Namespace" && r.labels[params.label] !== undefined && r.labels[params.label] !== env)
      .map((r) => ({ target: r, problem: `is labelled ${params.label}=${r.labels[params.label]} but the pack evaluated it with ${env} enforcement levels` }));
  },
};
