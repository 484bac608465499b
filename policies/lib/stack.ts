/**
 * The resources of a stack for the policy check without the Pulumi CLI: the real program run under
 * Pulumi's mocks (tools/program-under-mocks.ts), in the shape the rules take.
 */
import { ProgramRun, RunOptions, runProgram, Stack } from "../../tools/program-under-mocks";
import type { InputResource } from "./k8s";

/**
 * Whether Pulumi's mock monitor can register resource hooks. The SDK's mocks (3.248) cannot, and a
 * program that attaches hooks (the post-deploy health gate) then never finishes under mocks.
 */
export function mocksSupportHooks(): boolean {
  const { MockMonitor } = require("@pulumi/pulumi/runtime/mocks");
  return typeof MockMonitor?.prototype?.registerResourceHook === "function";
}

/**
 * Runs the program for a stack. Where the mocks cannot register hooks, the health gate (a ConfigMap
 * that only carries the hooks) is left out; every other resource is registered as in `pulumi up`.
 */
export async function stackResources(stack: Stack, opts: RunOptions = {}): Promise<{ run: ProgramRun; resources: InputResource[]; healthGateOmitted: boolean }> {
  const omit = !mocksSupportHooks();
  const override = (c: Record<string, any>) => {
    opts.override?.(c);
    if (omit) c.health = { ...(c.health ?? {}), enabled: false };
  };
  const run = await runProgram(stack, { ...opts, override });
  return { run, resources: run.resources.map((r) => ({ type: r.type, name: r.name, props: r.inputs })), healthGateOmitted: omit };
}
