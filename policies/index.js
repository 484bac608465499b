/**
 * Entry of the policy pack (package.json "main"); the pack itself is index.ts. Pulumi starts a
 * TypeScript policy pack through ts-node with type checking forced on (cmd/run-plugin ignores every
 * setting), which builds a whole TypeScript program on every `preview --policy-pack` and more than
 * doubles the pack's start-up. `tsc --noEmit` already type-checks the pack in CI and `npm test`, so
 * here the pack is transpiled only, by ts-node with swc (tsconfig.pulumi.json), as the program is.
 */
"use strict";
// First, before @pulumi/policy loads the SDK: the compile cache and @npmcli/arborist on first use
// (../startup/preload.js; the program gets it from Pulumi.yaml's nodeargs, but Pulumi's language host
// passes a plugin's nodeargs to the runner, not to node). The runner has already switched V8's
// debugger on by now: that cut of the preload reaches only the program.
require("../startup/preload");
const path = require("path");

// Loaders chain, so the type-checking one is switched off (it then passes every file on), not replaced.
process[Symbol.for("ts-node.register.instance")]?.enabled(false);
require("ts-node").register({ project: path.join(__dirname, "..", "tsconfig.pulumi.json"), transpileOnly: true });
// The program's stack traces (startup/index.ts), before @pulumi/policy loads the SDK.
require("../startup");
require("./index.ts");
// Node writes the compile cache at exit, but the engine kills the pack: written now that it has loaded.
require("module").flushCompileCache?.();
