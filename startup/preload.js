/**
 * Preloaded into the program's Node.js process by the language host (`nodeargs` in Pulumi.yaml),
 * before Pulumi's runner (@pulumi/pulumi/cmd/run) loads anything; the policy pack's entry
 * (policies/index.js) loads it first thing, after its runner. Plain JavaScript: ts-node is not
 * registered yet.
 *
 * - Node's module compile cache (in the OS's temporary directory, outside the checkout; entries keyed
 *   on the file's content): what loads reuses the code V8 compiled for it in an earlier run.
 * - Two SDK modules that serve only function serialization, which neither the program nor the pack
 *   uses, load on first use: a stand-in takes each one's place in Node's module cache.
 *   - The runner's inspector session (runtime/closure/v8Hooks). Before it loads the program, the
 *     runner connects a session and switches on V8's debugger, only so that serialization can map
 *     script ids to files later. With the debugger on, every module compiled from then on is
 *     reported to it: the prod program under mocks took 1.86 s instead of 1.39 s (medians of 6).
 *     The stand-in answers the runner's "initialized?" at once; the session starts when
 *     serialization first asks for it, and switching the debugger on then reports every script
 *     loaded so far, so the map is the same.
 *   - @npmcli/arborist, and with it pacote, sigstore and a few dozen more modules (0.2 s before the
 *     first resource): loaded by the SDK as it loads, for computeCodePaths only.
 */
"use strict";
const Module = require("node:module");
const path = require("node:path");

Module.enableCompileCache?.();

/**
 * Puts a stand-in for the module at `file` into Node's module cache, for good: it answers the keys
 * that `own(real)` returns itself, and hands anything else to the real module, which `load` loads
 * the first time it is needed (`real()`).
 */
function loadOnFirstUse(file, load, own) {
  if (require.cache[file] !== undefined) return;
  const standIn = new Module(file, module);
  let loaded;
  const real = () => {
    if (loaded === undefined) {
      delete require.cache[file];
      loaded = load(file);
      require.cache[file] = standIn;
    }
    return loaded;
  };
  const mine = own(real);
  standIn.filename = file;
  standIn.loaded = true;
  standIn.exports = new Proxy(
    {},
    {
      get: (_, key) => (Object.hasOwn(mine, key) ? mine[key] : real()[key]),
      has: (_, key) => Object.hasOwn(mine, key) || key in real(),
      ownKeys: () => Reflect.ownKeys(real()),
      getOwnPropertyDescriptor: (_, key) => {
        const d = Reflect.getOwnPropertyDescriptor(real(), key);
        return d && { ...d, configurable: true };
      },
    },
  );
  require.cache[file] = standIn;
}

const post = (session, method) => new Promise((resolve, reject) => session.post(method, (err) => (err ? reject(err) : resolve())));

// The SDK the runner (the main module) loads; a process that finds none is left alone. What is
// loaded already (v8Hooks, when the pack's entry loads this after its runner) keeps its module.
let sdk;
try {
  const main = process.argv[1] || path.join(process.cwd(), "[eval]");
  sdk = Module.createRequire(Module.createRequire(main).resolve("@pulumi/pulumi/runtime/closure/codePaths"));
} catch {
  sdk = undefined;
}
if (sdk !== undefined) {
  loadOnFirstUse(sdk.resolve("./v8Hooks"), sdk, (real) => {
    let session;
    return {
      // What the runner awaits before it loads the program.
      isInitializedAsync: async () => {},
      // The real module listens for scripts only once its first Debugger.enable is done: switched off
      // and on again, the debugger reports every script loaded so far to that listener.
      getSessionAsync: () =>
        (session ??= real()
          .getSessionAsync()
          .then(async (s) => {
            await post(s, "Debugger.disable");
            await post(s, "Debugger.enable");
            return s;
          })),
    };
  });
  // The SDK's own __importStar hands a module marked __esModule through untouched.
  loadOnFirstUse(sdk.resolve("@npmcli/arborist"), sdk, () => ({ __esModule: true }));
}
