/**
 * What `pulumi preview` pays before the program registers anything: the TypeScript is transpiled by
 * swc without a type check (Pulumi.yaml's tsconfig option; tsc --noEmit is CI's type check), and the
 * health checks' client libraries load only when a check runs, never at a preview.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";

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
  beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "startup-"))));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

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

describe("health check clients at preview", () => {
  const CLIENTS = ["ioredis", "kafkajs", "pg", "@clickhouse/client", "grpc-health-check"];

  /** The client packages loaded in a fresh process after `script` ran. */
  function loadedAfter(script: string): string[] {
    const out = execFileSync(
      process.execPath,
      [
        "-r",
        "ts-node/register/transpile-only",
        "-e",
        `${script};
      const loaded = Object.keys(require.cache).map((f) => ${JSON.stringify(CLIENTS)}.find((c) => f.includes("/node_modules/" + c + "/"))).filter(Boolean);
      console.log(JSON.stringify([...new Set(loaded)]));`,
      ],
      { cwd: ROOT, encoding: "utf8", env: { ...process.env, TS_NODE_PROJECT: path.join(ROOT, "tsconfig.pulumi.json") } },
    );
    return (JSON.parse(out.trim().split("\n").pop()!) as string[]).sort();
  }

  it("building the platform's components loads none of them", () => {
    expect(loadedAfter(`require("./components/platform")`)).toEqual([]);
  });

  it("the health API loads none of them until a check runs", () => {
    expect(loadedAfter(`require("./health")`)).toEqual([]);
  });

  it("a check loads its own client and no other", () => {
    expect(loadedAfter(`require("./health/checks").checkFor({ kind: "redis" })`)).toEqual(["ioredis"]);
    expect(loadedAfter(`require("./health/checks").checkFor({ kind: "kafka" })`)).toEqual(["kafkajs"]);
    expect(loadedAfter(`require("./health/checks").checkFor({ kind: "grpc" })`)).toEqual(["grpc-health-check"]);
  });
});

describe("stack traces at preview and up (source-maps.ts, imported first by index.ts)", () => {
  // Type-only lines ahead of the throw: swc's JavaScript puts it on another line than the TypeScript.
  const FIXTURE =
    'interface Settings {\n  name: string;\n  size: number;\n}\n\ntype Named = Pick<Settings, "name">;\n\nexport function fail(s: Named): never {\n  throw new Error(`bad ${s.name}`);\n}\n';
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "stack-"));
    fs.writeFileSync(path.join(dir, "fail.ts"), FIXTURE);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** A process with ts-node registered as cmd/run registers it, then `before`, then a throw in a .ts file. */
  function traceAfter(before: string): { frame: string; prepareStackTrace: string; nodeMaps: boolean } {
    const out = execFileSync(
      process.execPath,
      [
        "-e",
        `require("ts-node").register(require("./scripts/bench/startup").pulumiTsNodeOptions());
        ${before};
        try { require(${JSON.stringify(path.join(dir, "fail.ts"))}).fail({ name: "x" }); }
        catch (e) { console.log(JSON.stringify({ frame: e.stack.split("\\n")[1].trim(), prepareStackTrace: typeof Error.prepareStackTrace, nodeMaps: process.sourceMapsEnabled })); }`,
      ],
      { cwd: ROOT, encoding: "utf8" },
    );
    return JSON.parse(out.trim().split("\n").pop()!);
  }

  it("the JavaScript puts the throw on another line than the TypeScript (so the mapping is tested)", () => {
    const js = pulumiTsNode().compile(FIXTURE, path.join(dir, "fail.ts"));
    expect(js.split("\n").findIndex((l) => l.includes("throw new Error")) + 1).not.toBe(9);
  });

  it("maps frames with Node's own source maps, not ts-node's source-map-support, to the TypeScript line", () => {
    expect(traceAfter(`require("./source-maps")`)).toEqual({ frame: expect.stringMatching(/fail\.ts:9:9\)$/), prepareStackTrace: "undefined", nodeMaps: true });
  });

  it("points at the same line as source-map-support did", () => {
    expect(traceAfter("")).toEqual({ frame: expect.stringMatching(/fail\.ts:9:9\)$/), prepareStackTrace: "function", nodeMaps: false });
  });

  it("changes nothing outside ts-node (jest's own transform maps jest's traces)", () => {
    const before = Error.prepareStackTrace;
    const maps = process.sourceMapsEnabled;
    require("../../source-maps");
    expect(Error.prepareStackTrace).toBe(before);
    expect(process.sourceMapsEnabled).toBe(maps);
  });
});
