/**
 * The pack's start-up as Pulumi runs it: cmd/run-plugin (and the older run-policy-pack) register
 * ts-node with type checking forced on; the pack's entry (policies/index.js) switches that loader off
 * and loads the pack transpile-only with swc, so no preview pays for a type check CI's tsc --noEmit
 * already did. Each start records the ts-node services it made (a preload) and must still serve.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const ROOT = path.resolve(__dirname, "..", "..");

interface Service {
  transpileOnly: boolean;
  swc: boolean;
  compiled: string[];
}

// Records every ts-node service registered in the process and the files each one compiled.
const PRELOAD = `
const fs = require("fs");
const services = [];
let current;
Object.defineProperty(process, Symbol.for("ts-node.register.instance"), {
  configurable: true,
  get: () => current,
  set: (s) => {
    current = s;
    const record = { transpileOnly: !!s.transpileOnly, swc: !!s.options.swc, compiled: [] };
    services.push(record);
    const compile = s.compile;
    s.compile = function (code, file, ...rest) {
      record.compiled.push(file);
      fs.writeFileSync(process.env.SERVICES_OUT, JSON.stringify(services));
      return compile.call(this, code, file, ...rest);
    };
    fs.writeFileSync(process.env.SERVICES_OUT, JSON.stringify(services));
  },
});`;

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "pack-entry-"));
  fs.writeFileSync(path.join(dir, "preload.js"), PRELOAD);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Starts the pack with `runner` until it prints its port; returns the ts-node services it made. */
async function start(runner: "run-plugin" | "run-policy-pack"): Promise<Service[]> {
  const script = require.resolve(`@pulumi/pulumi/cmd/${runner}/index.js`);
  const out = path.join(dir, `${runner}.json`);
  // As the hosts start them: run-plugin with the pack's path (from another directory: the entry must
  // not depend on it), run-policy-pack from the pack's directory with the engine address first.
  const [argv, cwd] = runner === "run-plugin" ? [[path.join(ROOT, "policies"), "127.0.0.1:0"], dir] : [["127.0.0.1:0", "."], path.join(ROOT, "policies")];
  const env = { ...process.env, SERVICES_OUT: out, PULUMI_CONFIG: JSON.stringify({ "platform:environment": "dev" }) };
  const proc = spawn(process.execPath, ["-r", path.join(dir, "preload.js"), script, ...argv], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
  const stderr: string[] = [];
  proc.stderr.on("data", (d) => stderr.push(String(d)));
  try {
    const port = await new Promise<string>((resolve, reject) => {
      proc.stdout.once("data", (d) => resolve(String(d).trim()));
      proc.once("exit", (code) => reject(new Error(`policy pack exited with ${code}: ${stderr.join("")}`)));
    });
    expect(port).toMatch(/^\d+$/);
  } finally {
    proc.kill();
  }
  return JSON.parse(fs.readFileSync(out, "utf8")) as Service[];
}

describe.each(["run-plugin", "run-policy-pack"] as const)("the pack started by %s", (runner) => {
  let services: Service[];
  beforeAll(async () => {
    services = await start(runner);
  }, 120_000);

  it("serves, after Pulumi's type-checking loader and the pack's own transpile-only one were registered", () => {
    expect(services).toHaveLength(2);
    expect(services[0].transpileOnly).toBe(false);
    expect(services[1]).toMatchObject({ transpileOnly: true, swc: true });
  });

  it("type-checks nothing: the type-checking loader compiles no file", () => {
    expect(services[0].compiled).toEqual([]);
  });

  it("loads the whole pack, rules included, through swc", () => {
    const compiled = services[1].compiled.map((f) => path.relative(ROOT, f));
    expect(compiled).toEqual(expect.arrayContaining([path.join("policies", "index.ts"), path.join("policies", "rules", "index.ts"), path.join("policies", "lib", "pack.ts")]));
  });
});
