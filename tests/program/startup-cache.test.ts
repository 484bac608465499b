/**
 * What a preview no longer pays at each start: the stand-in plugins run as JavaScript compiled once
 * (scripts/engine/plugins/precompile.js, called by scripts/engine/install.sh for their launchers),
 * and the program and the pack reuse V8's compiled code through Node's module compile cache
 * (startup/preload.js, in the nodeargs of Pulumi.yaml and policies/PulumiPolicy.yaml).
 */
import { execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";

const ROOT = path.resolve(__dirname, "..", "..");
const { precompile } = require("../../scripts/engine/plugins/precompile") as { precompile: (source: string, outDir: string) => string };

describe("the stand-in plugins, compiled once", () => {
  let dir: string;
  beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "precompile-"))));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("compiles a source once, and again only when it changed, removing the stale file", () => {
    const source = path.join(dir, "plugin.ts");
    const out = path.join(dir, "out");
    fs.writeFileSync(source, "const greeting: string = 'one';\nconsole.log(greeting);\n");
    const first = precompile(source, out);
    expect(path.basename(first)).toMatch(/^plugin-[0-9a-f]{16}\.js$/);
    expect(execFileSync(process.execPath, [first], { encoding: "utf8" }).trim()).toBe("one");

    // Unchanged: the same file, not written again.
    const written = fs.statSync(first).mtimeMs;
    expect(precompile(source, out)).toBe(first);
    expect(fs.statSync(first).mtimeMs).toBe(written);

    fs.writeFileSync(source, "const greeting: string = 'two';\nconsole.log(greeting);\n");
    const second = precompile(source, out);
    expect(second).not.toBe(first);
    expect(execFileSync(process.execPath, [second], { encoding: "utf8" }).trim()).toBe("two");
    expect(fs.readdirSync(out)).toEqual([path.basename(second)]);
  });

  it.each(["language-host", "random-provider"])(
    "the compiled %s starts with plain node (no TypeScript loader), serves, and writes its compile cache though killed",
    async (name) => {
      const js = precompile(path.join(ROOT, `scripts/engine/plugins/${name}.ts`), path.join(dir, name));
      const cache = path.join(dir, `${name}-cache`);
      // Started from elsewhere, as the CLI does: its packages still resolve from the checkout.
      const child = spawn(process.execPath, [js], { cwd: os.tmpdir(), env: { ...process.env, NODE_OPTIONS: "", NODE_COMPILE_CACHE: cache }, stdio: ["ignore", "pipe", "pipe"] });
      try {
        const port = await new Promise<string>((resolve, reject) => {
          let out = "";
          let err = "";
          child.stdout.on("data", (d: Buffer) => {
            out += d;
            if (out.includes("\n")) resolve(out.split("\n")[0]);
          });
          child.stderr.on("data", (d: Buffer) => (err += d));
          child.on("exit", (code) => reject(new Error(`${name} exited (${code}): ${err}`)));
        });
        expect(port).toMatch(/^\d+$/);
        // The engine kills its plugins (Node would write the cache only at exit): written after a second.
        await new Promise((r) => setTimeout(r, 2000));
      } finally {
        child.kill();
      }
      const entries = fs.readdirSync(cache, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
      expect(entries.length).toBeGreaterThan(10);
      const text = fs.readFileSync(js, "utf8");
      expect(text).not.toMatch(/require\("(ts-node|typescript|@pulumi\/pulumi)"\)/);
      // "use strict" stays the first statement.
      expect(text.split("\n")[1]).toBe('"use strict";');
    },
    30000,
  );
});

describe("Node's module compile cache at preview and up", () => {
  const options = (parse(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")) as { runtime: { options: Record<string, unknown> } }).runtime.options;

  it("Pulumi.yaml's nodeargs switch it on, in the OS's temporary directory, as one argument the language host passes to node", () => {
    const nodeargs = String(options.nodeargs);
    // The stand-in host (and Pulumi's) split nodeargs on whitespace; no quotes to be taken apart.
    expect(nodeargs.trim().split(/\s+/)).toHaveLength(1);
    expect(nodeargs).not.toMatch(/["'\\]/);

    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "compile-cache-"));
    try {
      // Without NODE_COMPILE_CACHE, which would switch the cache on by itself.
      const env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: "", TMPDIR: tmp };
      delete env.NODE_COMPILE_CACHE;
      const run = (args: string[]) =>
        execFileSync(process.execPath, [...args, "-e", 'require("yaml"); console.log(String(require("module").getCompileCacheDir()))'], { cwd: ROOT, encoding: "utf8", env }).trim();
      expect(run([])).toBe("undefined");
      const used = run(nodeargs.trim().split(/\s+/));
      expect(used.startsWith(path.join(tmp, "node-compile-cache"))).toBe(true);
      // Filled by a run (the program exits, so Node writes it) for the next one.
      expect(fs.readdirSync(used).length).toBeGreaterThan(0);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  it("the policy pack's nodeargs switch it on, and its entry writes it though the engine kills the pack", async () => {
    const pack = path.join(ROOT, "policies");
    const nodeargs = String((parse(fs.readFileSync(path.join(pack, "PulumiPolicy.yaml"), "utf8")) as { runtime: { options: Record<string, unknown> } }).runtime.options.nodeargs);
    expect(nodeargs.trim().split(/\s+/)).toHaveLength(1);
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pack-cache-"));
    const env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: "", TMPDIR: tmp, PULUMI_CONFIG: JSON.stringify({ "platform:environment": "dev" }) };
    delete env.NODE_COMPILE_CACHE;
    const script = require.resolve("@pulumi/pulumi/cmd/run-plugin/index.js");
    // Notes every inspector session the process connects (startup/preload.js defers the SDK's).
    const sessions = path.join(tmp, "sessions");
    const counter = path.join(tmp, "count-sessions.js");
    fs.writeFileSync(
      counter,
      `const S = require("inspector").Session.prototype, connect = S.connect;
      S.connect = function () { require("fs").appendFileSync(${JSON.stringify(sessions)}, "session\\n"); return connect.call(this); };`,
    );
    // In the pack's own directory, with its nodeargs, as the language host starts it.
    const child = spawn(process.execPath, ["-r", counter, nodeargs.trim(), script, pack, "127.0.0.1:0"], { cwd: pack, env, stdio: ["ignore", "pipe", "pipe"] });
    try {
      await new Promise<void>((resolve, reject) => {
        let err = "";
        child.stdout.on("data", () => resolve());
        child.stderr.on("data", (d: Buffer) => (err += d));
        child.on("exit", (code) => reject(new Error(`the pack exited (${code}): ${err}`)));
      });
    } finally {
      child.kill();
    }
    const cache = path.join(tmp, "node-compile-cache");
    try {
      const entries = fs.readdirSync(cache, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
      expect(entries.length).toBeGreaterThan(10);
      // The runner (cmd/run-plugin) waited for the SDK's inspector session, yet none was connected:
      // V8's debugger stayed off while the pack loaded.
      expect(fs.existsSync(sessions)).toBe(false);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }, 60000);
});
