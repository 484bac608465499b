/**
 * Runs the real program (index.ts) under Pulumi's mocks and returns every registered resource.
 * Used by the tests and by the fast policy check (policies/check.ts), which need no Pulumi CLI.
 */
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { SECRET_KEYS } from "../config/schema";

export interface Registered {
  type: string;
  name: string;
  inputs: Record<string, any>;
  custom: boolean;
  /** Names of the resource hooks bound to the resource, by binding (beforeCreate, afterUpdate, ...). */
  hooks: Record<string, string[]>;
  /** URNs of the resources this one waits for (its dependsOn, components expanded to their children). */
  dependsOn: string[];
  /** Resource options the mocks' newResource does not see: protect and retainOnDelete as registered. */
  protect: boolean;
  retainOnDelete: boolean;
  /** The URN under the mocks (parent type $ type :: name), and the URNs it answers to through aliases. */
  urn: string;
  aliases: string[];
}

export interface ProgramRun {
  resources: Registered[];
  /** Stack outputs: value, and whether Pulumi marks it secret. */
  outputs: Record<string, { value: unknown; secret: boolean }>;
  /** Values the random provider mock generated: the secrets that must never leak. */
  generated: string[];
}

export type Stack = "dev" | "prod";
export const ROOT = path.resolve(__dirname, "..");

/** The stack's `platform:` config from Pulumi.<stack>.yaml, as plain objects keyed without namespace. */
export function stackConfig(stack: Stack, root = ROOT): Record<string, unknown> {
  const doc = parse(fs.readFileSync(path.join(root, `Pulumi.${stack}.yaml`), "utf8")) as { config: Record<string, unknown> };
  return Object.fromEntries(Object.entries(doc.config).map(([k, v]) => [k.replace(/^platform:/, ""), v]));
}

/** The flat map the Pulumi CLI hands a program: `platform:` keys, objects JSON-encoded, scalars as text. */
export function flatConfig(config: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(config).map(([k, v]) => [`platform:${k}`, typeof v === "string" ? v : JSON.stringify(v)]));
}

/** Pulumi's wire marker for a secret value: { [SIG_KEY]: SECRET_SIG, value }. */
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** Inputs with secret markers removed, so checks see the values that reach Kubernetes. */
function unwrapSecrets(v: any): any {
  if (Array.isArray(v)) return v.map(unwrapSecrets);
  if (v === null || typeof v !== "object") return v;
  if (v[SIG_KEY] === SECRET_SIG) return unwrapSecrets(v.value);
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrapSecrets(x)]));
}

/** A stand-in for a generated value, fixed by its resource, so two runs of a program compare equal. */
function fakeSecret(kind: string, name: string): string {
  return `${kind}${name.replace(/[^A-Za-z0-9]/g, "")}Q9x7LmZ2pW4v`;
}

function mockState(type: string, name: string, inputs: Record<string, any>, generated: string[]): Record<string, any> {
  switch (type) {
    case "random:index/randomPassword:RandomPassword": {
      const result = fakeSecret("pw", name);
      generated.push(result);
      return { ...inputs, result };
    }
    case "random:index/randomBytes:RandomBytes": {
      const base64 = Buffer.from(fakeSecret("bytes", name).repeat(2)).toString("base64");
      generated.push(base64);
      return { ...inputs, base64, hex: Buffer.from(base64, "base64").toString("hex") };
    }
    case "random:index/randomId:RandomId":
      return { ...inputs, b64Url: "MkU5Q0FCRDE3NzQ1NDQ", hex: "32e4e9c4" };
    case "docker:index/image:Image":
      return { ...inputs, repoDigest: `${String(inputs.imageName).split(":")[0]}@sha256:${"ab".repeat(32)}` };
    default:
      return { ...inputs };
  }
}

const HOOK_BINDINGS = ["BeforeCreate", "AfterCreate", "BeforeUpdate", "AfterUpdate", "BeforeDelete", "AfterDelete"];

/**
 * Pulumi's mock monitor cannot register resource hooks (3.248 to 3.270 have no registerResourceHook on it), so
 * a program that binds hooks would fail under mocks. Accept the registrations and keep, per
 * resource, which hooks the program bound, what it depends on, its protect/retainOnDelete options and
 * its URN and aliases, which the mocks' newResource does not see, so tests can assert them; hooks
 * never run here.
 */
type Recorded = Pick<Registered, "hooks" | "dependsOn" | "protect" | "retainOnDelete" | "urn" | "aliases">;

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

function recordRequests(monitor: any, requests: Map<string, Recorded>): void {
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

export interface RunOptions {
  /** Edits the decoded config (add, change or delete keys) before the program sees it. */
  override?: (config: Record<string, any>) => void;
  /**
   * Loads modules in a fresh registry so several runs in one process each start a clean Pulumi
   * runtime (jest.isolateModules in tests); a one-shot command can load them directly.
   */
  isolate?: (load: () => void) => void;
  /** Another checkout of the program to run (its index.ts and stack files), e.g. the previous release. */
  root?: string;
}

/** Runs index.ts for a stack under mocks. */
export async function runProgram(stack: Stack, opts: RunOptions = {}): Promise<ProgramRun> {
  const { override, isolate = (load) => load(), root = ROOT } = opts;
  const config = stackConfig(stack, root);
  override?.(config);
  const resources: Registered[] = [];
  const generated: string[] = [];
  let exported: Record<string, unknown> = {};
  let pulumi: typeof import("@pulumi/pulumi") = undefined as never;
  let programError: unknown;
  const requests = new Map<string, Recorded>();

  isolate(() => {
    pulumi = require("@pulumi/pulumi");
    pulumi.runtime.setMocks(
      {
        newResource: (args) => {
          const inputs = unwrapSecrets(args.inputs);
          resources.push({
            type: args.type,
            name: args.name,
            inputs,
            custom: args.custom ?? true,
            ...(requests.get(`${args.type}::${args.name}`) ?? { hooks: {}, dependsOn: [], protect: false, retainOnDelete: false, urn: "", aliases: [] }),
          });
          return { id: `${args.name}-id`, state: mockState(args.type, args.name, inputs, generated) };
        },
        call: (args) => args.inputs,
      },
      "platform",
      stack,
      false,
    );
    recordRequests(pulumi.runtime.getMonitor(), requests);
    pulumi.runtime.setAllConfig(
      flatConfig(config),
      // As `pulumi config set --secret` leaves them: credentials are encrypted in the stack file.
      SECRET_KEYS.filter((k) => k in config).map((k) => `platform:${k}`),
    );
    try {
      exported = require(path.join(root, "index.ts"));
    } catch (e) {
      programError = e;
    }
  });
  if (programError) {
    await pulumi.runtime.disconnect();
    // Callers check that a rejected configuration registered nothing.
    throw Object.assign(programError as object, { registered: resources.length });
  }

  const outputs: ProgramRun["outputs"] = {};
  for (const [k, v] of Object.entries(exported)) {
    const out = pulumi.output(v);
    const [value, secret] = await Promise.all([(out as any).promise(), (out as any).isSecret]);
    outputs[k] = { value, secret };
  }
  await pulumi.runtime.disconnect();
  return { resources, outputs, generated };
}

export function ofType(run: ProgramRun, type: string): Registered[] {
  return run.resources.filter((r) => r.type === type);
}

export function named(run: ProgramRun, type: string, name: string): Registered {
  // An auto-named object (no metadata.name) is found by its resource name, the prefix Pulumi names it from.
  const found = run.resources.find((r) => r.type === type && (r.inputs?.metadata?.name ?? r.name) === name);
  if (!found)
    throw new Error(
      `no ${type} named ${name}; have: ${ofType(run, type)
        .map((r) => r.inputs?.metadata?.name)
        .join(", ")}`,
    );
  return found;
}
