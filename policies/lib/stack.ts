/**
 * The resources of a stack for the policy check without the Pulumi CLI: the real program run under
 * Pulumi's mocks (policies/lib/program-under-mocks.ts), in the shape the rules take.
 */
import { RunOptions, runProgram, Stack } from "./program-under-mocks";
import type { InputResource } from "./k8s";

/** Runs the program for a stack, exactly as `pulumi up` would register it, health gate included. */
export async function stackResources(stack: Stack, opts: RunOptions = {}): Promise<InputResource[]> {
  const run = await runProgram(stack, opts);
  return run.resources.map((r) => ({ type: r.type, name: r.name, props: r.inputs }));
}
