/**
 * What `pulumi preview` pays before the program registers anything: the TypeScript is transpiled by
 * swc without a type check (Pulumi.yaml's tsconfig option; tsc --noEmit is CI's type check), and the
 * health checks' client libraries load only when a check runs, never at a preview.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { tempDir } from "../helpers/temp";

const ROOT = path.resolve(__dirname, "..", "..");
const runtimeOptions = (parse(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")) as { runtime: { options: Record<string, unknown> } }).runtime.options;

const tsnode = require("ts-node") as typeof import("ts-node");

/** A ts-node service made the way @pulumi/pulumi's cmd/run makes one for this project. */
function pulumiTsNode() {
  const { pulumiTsNodeOptions } = require("../../scripts/bench/startup");
  return tsnode.create(pulumiTsNodeOptions());
}

describe("the program's TypeScript at preview and up", () => {
  let dir: string;
  beforeAll(() => (dir = tempDir("startup")));

  it("Pulumi.yaml points the TypeScript runtime at a tsconfig that extends the checked one", () => {
    expect(runtimeOptions.typescript).toBe(true);
    const file = path.join(ROOT, String(runtimeOptions.tsconfig));
    expect(fs.existsSync(file)).toBe(true);
    expect(fs.readFileSync(file, "utf8")).toMatch(/"extends":\s*"\.\/tsconfig\.json"/);
  });

  it("transpiles with swc and lets a type error through: type errors are CI's tsc --noEmit's to find", () => {
    const service = pulumiTsNode();
    expect(service.options.swc).toBe(true);
    const file = path.join(dir, "typed.ts");
    const js = service.compile("const n: number = 'not a number';\nexport const doubled = n + n;\n", file);
    expect(js).toContain("const doubled = n + n");
    expect(js).not.toContain(": number");
  });

  it("emits what tsc emits for the project (ES2022, CommonJS), not cmd/run's defaults", () => {
    const service = pulumiTsNode();
    const js = service.compile("import * as fs from 'fs';\nexport class A { x = 1; read = fs.readFileSync; }\n", path.join(dir, "fields.ts"));
    // ES2022 class fields stay fields (ES2020 would assign them in a constructor) ...
    expect(js).toMatch(/class A \{\s*x = 1;/);
    // ... and imports are require() calls, as the CommonJS program needs.
    expect(js).toMatch(/require\("fs"\)/);
  });

  it("still rejects a syntax error", () => {
    const service = pulumiTsNode();
    expect(() => service.compile("export const = 1;\n", path.join(dir, "broken.ts"))).toThrow();
  });

  it("the repository's own tsconfig.json (tsc, jest, the editor, scripts) keeps type-checking", () => {
    const service = tsnode.create({ project: path.join(ROOT, "tsconfig.json") });
    expect(service.options.swc).toBeFalsy();
    expect(() => service.compile("const n: number = 'not a number';\nexport const doubled = n + n;\n", path.join(ROOT, "typed-check.ts"))).toThrow(/TS2322/);
  });
});

/** Runs `script` in a fresh process with ts-node registered for the program's tsconfig; the JSON it printed last. */
function printedAfter(script: string): unknown {
  const out = execFileSync(process.execPath, ["-r", "ts-node/register/transpile-only", "-e", script], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, TS_NODE_PROJECT: path.join(ROOT, "tsconfig.pulumi.json") },
  });
  return JSON.parse(out.trim().split("\n").pop()!);
}

/** Which of `watched` (package paths under node_modules) a fresh process has loaded after `script` ran. */
function loadedAfter(script: string, watched: string[]): string[] {
  const loaded = printedAfter(
    `${script};
    const loaded = Object.keys(require.cache).map((f) => ${JSON.stringify(watched)}.find((c) => f.includes("/node_modules/" + c + "/"))).filter(Boolean);
    console.log(JSON.stringify([...new Set(loaded)]));`,
  ) as string[];
  return loaded.sort();
}

describe("health check clients at preview", () => {
  const CLIENTS = ["ioredis", "kafkajs", "pg", "@clickhouse/client", "grpc-health-check"];
  const clientsAfter = (script: string) => loadedAfter(script, CLIENTS);

  it("building the platform's components loads none of them", () => {
    expect(clientsAfter(`require("./components/platform")`)).toEqual([]);
  });

  it("the health API loads none of them until a check runs", () => {
    expect(clientsAfter(`require("./health")`)).toEqual([]);
  });

  it("a check loads its own client and no other", () => {
    expect(clientsAfter(`require("./health/checks").checkFor({ kind: "redis" })`)).toEqual(["ioredis"]);
    expect(clientsAfter(`require("./health/checks").checkFor({ kind: "kafka" })`)).toEqual(["kafkajs"]);
    expect(clientsAfter(`require("./health/checks").checkFor({ kind: "grpc" })`)).toEqual(["grpc-health-check"]);
  });
});

describe("stack traces at preview and up (startup/source-maps.ts, imported first by index.ts)", () => {
  // Type-only lines ahead of the throw: swc's JavaScript puts it on another line than the TypeScript.
  const FIXTURE =
    'interface Settings {\n  name: string;\n  size: number;\n}\n\ntype Named = Pick<Settings, "name">;\n\nexport function fail(s: Named): never {\n  throw new Error(`bad ${s.name}`);\n}\n';
  let dir: string;
  beforeAll(() => {
    dir = tempDir("stack");
    fs.writeFileSync(path.join(dir, "fail.ts"), FIXTURE);
  });

  interface Trace {
    /** The frame of the throw in fail.ts. */
    ours: string;
    /** The frame of a throw inside @pulumi/pulumi (JavaScript shipped with its own source maps). */
    sdk: string;
    sourceMapSupport: boolean;
    nodeMaps: boolean;
  }

  /** A process with ts-node registered as cmd/run registers it, then `before`, then a throw in a .ts file and one in the SDK. */
  function traceAfter(before: string): Trace {
    const out = execFileSync(
      process.execPath,
      [
        "-e",
        `require("ts-node").register(require("./scripts/bench/startup").pulumiTsNodeOptions());
        ${before};
        const frame = (f) => { try { f(); } catch (e) { return e.stack.split("\\n").find((l) => l.includes("  at ")).trim(); } };
        console.log(JSON.stringify({
          ours: frame(() => require(${JSON.stringify(path.join(dir, "fail.ts"))}).fail({ name: "x" })),
          sdk: frame(() => new (require("@pulumi/pulumi").Config)("x").require("missing")),
          sourceMapSupport: String(Error.prepareStackTrace).includes("hookState"),
          nodeMaps: process.sourceMapsEnabled,
        }));`,
      ],
      { cwd: ROOT, encoding: "utf8" },
    );
    return JSON.parse(out.trim().split("\n").pop()!) as Trace;
  }

  it("the JavaScript puts the throw on another line than the TypeScript (so the mapping is tested)", () => {
    const js = pulumiTsNode().compile(FIXTURE, path.join(dir, "fail.ts"));
    expect(js.split("\n").findIndex((l) => l.includes("throw new Error")) + 1).not.toBe(9);
  });

  it("maps our frames to the TypeScript line with the maps Node records, not ts-node's source-map-support", () => {
    const trace = traceAfter(`require("./startup/source-maps")`);
    expect(trace.ours).toMatch(/fail\.ts:9:9\)$/);
    expect(trace.sourceMapSupport).toBe(false);
    expect(trace.nodeMaps).toBe(true);
  });

  it("leaves the SDK's frames at their lines in the JavaScript on disk (its TypeScript is not shipped)", () => {
    expect(traceAfter(`require("./startup/source-maps")`).sdk).toMatch(/node_modules\/@pulumi\/pulumi\/config\.js:\d+:\d+\)$/);
    // What Node's own mapping of every frame gave: a .ts file that is not there.
    expect(traceAfter("process.setSourceMapsEnabled(true); delete Error.prepareStackTrace").sdk).toMatch(/node_modules\/@pulumi\/config\.ts:/);
  });

  it("points at the same line as source-map-support did", () => {
    const trace = traceAfter("");
    expect(trace.ours).toMatch(/fail\.ts:9:9\)$/);
    expect(trace.sourceMapSupport).toBe(true);
  });

  it("changes nothing outside ts-node (jest's own transform maps jest's traces)", () => {
    const before = Error.prepareStackTrace;
    const maps = process.sourceMapsEnabled;
    require("../../startup/source-maps");
    expect(Error.prepareStackTrace).toBe(before);
    expect(process.sourceMapsEnabled).toBe(maps);
  });
});

describe("SDK parts the program does not use, at preview and up (startup/preload.js, components/shared/k8s.ts)", () => {
  // @npmcli/arborist loads these; @pulumi/kubernetes' root module loads Helm, YAML and every API group.
  const UNUSED = ["pacote", "sigstore", "@pulumi/kubernetes/helm", "@pulumi/kubernetes/yaml", "@pulumi/kubernetes/storage"];

  it("Pulumi.yaml preloads startup/preload.js into the program, by a path relative to the program's directory", () => {
    const options = (file: string) => (parse(fs.readFileSync(path.join(ROOT, file), "utf8")) as { runtime: { options: { nodeargs?: string } } }).runtime.options;
    expect(path.resolve(ROOT, String(options("Pulumi.yaml").nodeargs).replace("--require=", ""))).toBe(path.join(ROOT, "startup", "preload.js"));
    // Pulumi's host passes a plugin's nodeargs to the runner, not to node: the pack's entry loads it.
    expect(options("policies/PulumiPolicy.yaml").nodeargs).toBeUndefined();
  });

  it("building the platform after the start-up cuts loads none of them", () => {
    expect(loadedAfter(`require("./startup/preload"); require("./startup"); require("./components/platform")`, UNUSED)).toEqual([]);
  });

  it("without the cuts, the SDKs load all of them (so the check above can fail)", () => {
    expect(loadedAfter(`require("@pulumi/kubernetes")`, UNUSED)).toEqual([...UNUSED].sort());
  });

  it("@npmcli/arborist still works when the SDK uses it: the real module loads on first use", () => {
    expect(loadedAfter(`require("./startup/preload"); if (typeof require("@npmcli/arborist").Arborist !== "function") throw new Error("no Arborist")`, UNUSED)).toEqual(["pacote", "sigstore"]);
  });

  it("the SDK's function serialization still finds a program's packages", () => {
    const paths = printedAfter(`require("./startup/preload"); require("@pulumi/pulumi").runtime.computeCodePaths().then((m) => console.log(JSON.stringify([...m.keys()])));`);
    expect(paths).toEqual(expect.arrayContaining(["node_modules/ioredis", "node_modules/@grpc/grpc-js"]));
  });

  interface Debugger {
    /** Inspector sessions connected once the runner's wait for its session was over. */
    sessionsWhenReady: number;
    sessionsAfterSerializing: number;
    serialized: boolean;
    /** Where the SDK's serialization places `pulumi.output`, a function loaded before any session. */
    location: { file: string; line: number };
  }

  /** What cmd/run does before the program (wait for the SDK's inspector session), after `before`; then a function serialized. */
  function debuggerAfter(before: string): Debugger {
    return printedAfter(
      `const inspector = require("inspector");
      let sessions = 0;
      const connect = inspector.Session.prototype.connect;
      inspector.Session.prototype.connect = function () { sessions++; return connect.call(this); };
      ${before};
      require("@pulumi/pulumi/runtime/closure/v8Hooks").isInitializedAsync().then(async () => {
        const sessionsWhenReady = sessions;
        const pulumi = require("@pulumi/pulumi");
        const serialized = (await pulumi.runtime.serializeFunction(() => 42)).text.includes("42");
        const location = await require("@pulumi/pulumi/runtime/closure/v8").getFunctionLocationAsync(pulumi.output);
        console.log(JSON.stringify({ sessionsWhenReady, sessionsAfterSerializing: sessions, serialized, location }));
      });`,
    ) as Debugger;
  }

  it("the SDK's runner no longer switches V8's debugger on before the program: the session starts when a function is serialized", () => {
    const d = debuggerAfter(`require("./startup/preload")`);
    expect(d.sessionsWhenReady).toBe(0);
    expect(d.sessionsAfterSerializing).toBe(1);
    expect(d.serialized).toBe(true);
  });

  it("serialization still maps a function loaded before the session to its file", () => {
    expect(debuggerAfter(`require("./startup/preload")`).location).toMatchObject({ file: expect.stringMatching(/^file:\/\/.*\/node_modules\/@pulumi\/pulumi\/output\.js$/), line: expect.any(Number) });
  });

  it("without the preload, the runner's wait connects the session (so the check above can fail)", () => {
    const d = debuggerAfter("");
    expect(d.sessionsWhenReady).toBe(1);
    expect(d.location.file).toMatch(/\/@pulumi\/pulumi\/output\.js$/);
  });
});
