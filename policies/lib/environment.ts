/**
 * Which environment the pack enforces for. Under `pulumi preview --policy-pack`, the Pulumi CLI starts
 * the pack with the stack's configuration in PULUMI_CONFIG and the stack name in PULUMI_NODEJS_STACK
 * (PULUMI_STACK), so the pack reads the same `platform:environment` key the program validates.
 */
import type { Environment } from "./engine";

export interface Detected {
  environment: Environment;
  /** How it was decided, for the pack description and the fast command's header. */
  from: string;
}

export function detectEnvironment(env: NodeJS.ProcessEnv = process.env): Detected {
  const raw = env.PULUMI_CONFIG;
  if (raw) {
    try {
      const value = (JSON.parse(raw) as Record<string, unknown>)["platform:environment"];
      if (value === "dev" || value === "prod") return { environment: value, from: "stack config platform:environment" };
    } catch {
      // Unparseable config: fall through to the stack name.
    }
  }
  const stack = env.PULUMI_NODEJS_STACK ?? env.PULUMI_STACK;
  if (stack) {
    const last = stack.split("/").pop()!.toLowerCase();
    if (/(^|[-_.])(prod|production|prd)($|[-_.])/.test(last)) return { environment: "prod", from: `stack name "${stack}"` };
    if (/(^|[-_.])(dev|development|local|test)($|[-_.])/.test(last)) return { environment: "dev", from: `stack name "${stack}"` };
  }
  // Unknown: enforce as prod, so a misconfigured run can only be stricter, never laxer.
  return { environment: "prod", from: "default (no stack configuration or recognisable stack name)" };
}
