/**
 * Runs the real program (index.ts) under Pulumi's mocks and returns every registered resource.
 * Used by the tests and by the fast policy check (policies/check.ts), which need no Pulumi CLI.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { SECRET_KEYS } from "../../config/schema";
import { recordRequests, Recorded, unwrapSecrets } from "./pulumi-sdk-internals";

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
export const ROOT = path.resolve(__dirname, "../..");

/** The stack's `platform:` config from Pulumi.<stack>.yaml, as plain objects keyed without namespace. */
export function stackConfig(stack: Stack, root = ROOT): Record<string, unknown> {
  const doc = parse(fs.readFileSync(path.join(root, `Pulumi.${stack}.yaml`), "utf8")) as { config: Record<string, unknown> };
  return Object.fromEntries(Object.entries(doc.config).map(([k, v]) => [k.replace(/^platform:/, ""), v]));
}

/** The flat map the Pulumi CLI hands a program: `platform:` keys, objects JSON-encoded, scalars as text. */
export function flatConfig(config: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(config).map(([k, v]) => [`platform:${k}`, typeof v === "string" ? v : JSON.stringify(v)]));
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

/**
 * The inputs as the provider's Check returns them, which is what the engine records and policy packs
 * see: a Kubernetes object without metadata.name gets its auto-name, `<resource name>-<suffix>`
 * (here a fixed suffix instead of the provider's random one, so runs compare equal).
 */
export function providerChecked(type: string, name: string, inputs: Record<string, any>): Record<string, any> {
  if (!type.startsWith("kubernetes:") || !inputs.metadata || inputs.metadata.name !== undefined) return inputs;
  return { ...inputs, metadata: { ...inputs.metadata, name: `${name}-${createHash("sha256").update(name).digest("hex").slice(0, 8)}` } };
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
          const inputs = providerChecked(args.type, args.name, unwrapSecrets(pulumi, args.inputs));
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
  // An auto-named object is found by its resource name, the prefix of its auto-name.
  const found = run.resources.find((r) => r.type === type && (r.inputs?.metadata?.name === name || r.name === name));
  if (!found)
    throw new Error(
      `no ${type} named ${name}; have: ${ofType(run, type)
        .map((r) => r.inputs?.metadata?.name)
        .join(", ")}`,
    );
  return found;
}
