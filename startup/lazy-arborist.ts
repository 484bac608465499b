/**
 * @npmcli/arborist loaded on first use. @pulumi/pulumi loads it (and with it pacote, sigstore,
 * npm-registry-fetch and a few dozen more modules) as it loads, for one function: computeCodePaths,
 * which collects the packages a serialized JavaScript function needs. Neither the program nor the
 * policy pack serializes a function, yet the load was about 0.2 s of every preview, up and policy
 * pack start, before the first resource. So a stand-in takes the module's place in Node's module
 * cache and loads the real module the first time anything is read from it; the SDK's own
 * `__importStar` hands the stand-in through untouched (it is marked `__esModule`).
 */
import Module from "node:module";

const sdk = Module.createRequire(require.resolve("@pulumi/pulumi/runtime/closure/codePaths"));
const file = sdk.resolve("@npmcli/arborist");

if (require.cache[file] === undefined) {
  let real: Record<PropertyKey, unknown> | undefined;
  const load = (): Record<PropertyKey, unknown> => {
    if (real === undefined) {
      delete require.cache[file];
      real = sdk(file) as Record<PropertyKey, unknown>;
    }
    return real;
  };
  const standIn = new Module(file, module);
  standIn.filename = file;
  standIn.loaded = true;
  standIn.exports = new Proxy(
    {},
    {
      get: (_, key) => (key === "__esModule" ? true : load()[key]),
      has: (_, key) => key in load(),
      ownKeys: () => Reflect.ownKeys(load()),
      getOwnPropertyDescriptor: (_, key) => {
        const d = Reflect.getOwnPropertyDescriptor(load(), key);
        return d && { ...d, configurable: true };
      },
    },
  );
  require.cache[file] = standIn;
}

export {};
