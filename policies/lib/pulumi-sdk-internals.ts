/**
 * Every place the program under mocks relies on internals of the Pulumi Node.js SDK, in one module.
 * Pinned to @pulumi/pulumi 3.270.0: tests/program/sdk-internals.test.ts fails, naming what moved,
 * when an upgrade breaks one of them.
 */
import type * as Pulumi from "@pulumi/pulumi";
import type { Registered } from "./program-under-mocks";

export const PINNED_SDK_VERSION = "3.270.0";

/** Inputs with the SDK's secret markers removed, so checks see the values that reach Kubernetes. */
export function unwrapSecrets(pulumi: typeof Pulumi, v: any): any {
  if (Array.isArray(v)) return v.map((x) => unwrapSecrets(pulumi, x));
  if (v === null || typeof v !== "object") return v;
  if (v[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig) return unwrapSecrets(pulumi, v.value);
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrapSecrets(pulumi, x)]));
}

/** What the mocks' newResource does not see of a registration, read from the monitor's request. */
export type Recorded = Pick<Registered, "hooks" | "dependsOn" | "protect" | "retainOnDelete" | "urn" | "aliases">;

const HOOK_BINDINGS = ["BeforeCreate", "AfterCreate", "BeforeUpdate", "AfterUpdate", "BeforeDelete", "AfterDelete"];

/** URNs a resource answers to besides its own: its aliases, and its parent's carried down as the engine does. */
function aliasUrns(monitor: any, req: any, aliasesOf: Map<string, string[]>): string[] {
  const parent: string = req.getParent();
  const parents = parent ? [parent, ...(aliasesOf.get(parent) ?? [])] : [""];
  const own = (req.getAliasesList() as any[]).flatMap((a) => {
    if (a.hasUrn()) return [a.getUrn() as string];
    const spec = a.getSpec();
    const under = spec.getNoparent() ? [""] : spec.getParenturn() ? [spec.getParenturn()] : parents;
    return under.map((p: string) => monitor.newUrn(p, spec.getType() || req.getType(), spec.getName() || req.getName()) as string);
  });
  const inherited = parents.slice(1).map((p) => monitor.newUrn(p, req.getType(), req.getName()) as string);
  return [...new Set([...own, ...inherited])];
}

/**
 * Patches the SDK's mock monitor (`pulumi.runtime.getMonitor()` after `setMocks`). It has no
 * registerResourceHook, so a program that binds hooks would fail under mocks: registrations are
 * accepted (hooks never run here). And per resource (`<type>::<name>`), it records which hooks the
 * program bound, what it depends on, its protect/retainOnDelete options and its URN and aliases,
 * read from the RegisterResourceRequest, so tests can assert them.
 */
export function recordRequests(monitor: any, requests: Map<string, Recorded>): void {
  const aliasesOf = new Map<string, string[]>();
  monitor.registerResourceHook = (_req: unknown, callback: (err: null, res: object) => void) => callback(null, {});
  const registerResource = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req: any, callback: unknown) => {
    const binding = req.getHooks?.();
    const hooks = binding ? Object.fromEntries(HOOK_BINDINGS.map((b) => [b[0].toLowerCase() + b.slice(1), binding[`get${b}List`]() as string[]] as const).filter(([, names]) => names.length > 0)) : {};
    const urn: string = monitor.newUrn(req.getParent(), req.getType(), req.getName());
    const aliases = aliasUrns(monitor, req, aliasesOf);
    aliasesOf.set(urn, aliases);
    requests.set(`${req.getType()}::${req.getName()}`, {
      hooks,
      dependsOn: req.getDependenciesList(),
      protect: req.getProtect() ?? false,
      retainOnDelete: req.getRetainondelete() ?? false,
      urn,
      aliases,
    });
    return registerResource(req, callback);
  };
}
