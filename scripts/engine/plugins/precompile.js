/**
 * Compiles one of the stand-in plugins (language-host.ts, random-provider.ts) to JavaScript for its
 * launcher (scripts/engine/install.sh), so that the CLI starts it with plain `node FILE.js` and no
 * TypeScript loader: ts-node and the TypeScript compiler took most of each start (0.8 s of a 4.8 s
 * preview for the language host alone).
 *   node scripts/engine/plugins/precompile.js SOURCE.ts OUTDIR
 * prints the path of the compiled file, OUTDIR/<name>-<key>.js. The key hashes the source, the
 * directory it resolves its packages from, this file and the TypeScript version, so a changed source
 * gets a new file and an unchanged one is not compiled again (it then loads no TypeScript at all).
 * Older compiled versions of the same plugin in OUTDIR are removed.
 *
 * The compiled file resolves packages as the source would (from the checkout's node_modules, not
 * from OUTDIR) and switches on Node's module compile cache (module.enableCompileCache, its default
 * directory under the OS's temporary directory; it is not passed on to the processes it starts),
 * written a second after the start: Node writes it at exit, which a plugin the engine kills never
 * reaches.
 * Plain JavaScript: nothing has to be compiled to run it.
 */
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");

function precompile(source, outDir) {
  source = path.resolve(source);
  const name = path.basename(source, ".ts");
  const text = fs.readFileSync(source, "utf8");
  // TypeScript as the source's directory resolves it, else this checkout's.
  const tsPaths = [path.dirname(source), __dirname];
  const tsVersion = require(require.resolve("typescript/package.json", { paths: tsPaths })).version;
  const key = crypto
    .createHash("sha256")
    .update([text, path.dirname(source), fs.readFileSync(__filename, "utf8"), tsVersion, process.version].join("\0"))
    .digest("hex")
    .slice(0, 16);
  const out = path.join(outDir, `${name}-${key}.js`);
  if (fs.existsSync(out)) return out;

  const ts = require(require.resolve("typescript", { paths: tsPaths }));
  const { outputText, diagnostics } = ts.transpileModule(text, {
    fileName: source,
    reportDiagnostics: true,
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, esModuleInterop: true, strict: true },
  });
  if (diagnostics?.length) throw new Error(`${source}: ${ts.flattenDiagnosticMessageText(diagnostics[0].messageText, "\n")}`);
  const prelude = [
    // Packages resolve from the source's directory, as when the .ts file itself ran.
    `module.paths = require("module")._nodeModulePaths(${JSON.stringify(path.dirname(source))});`,
    `require("module").enableCompileCache?.();`,
    // Node writes the cache at exit, but the engine kills its plugins: written once they have started.
    `setTimeout(() => require("module").flushCompileCache?.(), 1000).unref();`,
  ].join("\n");
  // After the "use strict" directive, which must stay the first statement.
  const strict = /^"use strict";\r?\n/.exec(outputText)?.[0] ?? "";
  const js = `// Compiled by scripts/engine/plugins/precompile.js from ${source}; do not edit.\n${strict}${prelude}\n${outputText.slice(strict.length)}`;
  fs.mkdirSync(outDir, { recursive: true });
  // Written aside and renamed: a launcher starting meanwhile never sees half a file.
  const tmp = `${out}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, js);
  fs.renameSync(tmp, out);
  for (const f of fs.readdirSync(outDir)) {
    if (f !== path.basename(out) && new RegExp(`^${name}-[0-9a-f]{16}\\.js$`).test(f)) fs.rmSync(path.join(outDir, f), { force: true });
  }
  return out;
}
module.exports = { precompile };

if (require.main === module) {
  const [source, outDir] = process.argv.slice(2);
  if (!source || !outDir) {
    process.stderr.write("usage: node precompile.js SOURCE.ts OUTDIR\n");
    process.exit(2);
  }
  process.stdout.write(`${precompile(source, outDir)}\n`);
}
