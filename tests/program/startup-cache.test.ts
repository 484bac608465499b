/**
 * What a preview no longer pays at each start: the stand-in plugins run as JavaScript compiled once
 * (scripts/engine/plugins/precompile.js, called by scripts/engine/install.sh for their launchers),
 * and the program and the pack reuse V8's compiled code through Node's module compile cache
 * (startup/preload.js: Pulumi.yaml's nodeargs preload it, the pack's entry loads it).
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

  it("the policy pack's entry switches it on and writes it though the engine kills the pack, which serves without @npmcli/arborist's modules", async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pack-cache-"));
    const env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: "", TMPDIR: tmp, PULUMI_CONFIG: JSON.stringify({ "platform:environment": "dev" }) };
    delete env.NODE_COMPILE_CACHE;
    const script = require.resolve("@pulumi/pulumi/cmd/run-plugin/index.js");
    // Notes the modules loaded when the pack prints its port, that is, once it serves.
    const loaded = path.join(tmp, "loaded.json");
    const probe = path.join(tmp, "probe.js");
    fs.writeFileSync(
      probe,
      `const write = process.stdout.write.bind(process.stdout);
      process.stdout.write = (...args) => { require("fs").writeFileSync(${JSON.stringify(loaded)}, JSON.stringify(Object.keys(require.cache))); process.stdout.write = write; return write(...args); };`,
    );
    // As Pulumi's host starts it: no node arguments of the pack's, and the entry must not depend on the directory.
    const child = spawn(process.execPath, ["-r", probe, script, path.join(ROOT, "policies"), "127.0.0.1:0"], { cwd: tmp, env, stdio: ["ignore", "pipe", "pipe"] });
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
      const modules = JSON.parse(fs.readFileSync(loaded, "utf8")) as string[];
      expect(modules.some((f) => f.includes("/node_modules/@pulumi/policy/"))).toBe(true);
      expect(modules.filter((f) => /\/node_modules\/(pacote|sigstore)\//.test(f))).toEqual([]);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }, 60000);
});
