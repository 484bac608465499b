/**
 * Driver of scripts/bench/startup.sh (not a test): the program's start-up as `pulumi preview` pays
 * it, without an engine. It waits for the SDK's inspector session and registers ts-node the way
 * @pulumi/pulumi's cmd/run does for this project (Pulumi.yaml's runtime options, the tsconfig they
 * name), then builds the prod stack under mocks
 * (policies/lib/program-under-mocks.ts). Plain JavaScript: nothing is compiled before ts-node is registered.
 */
"use strict";
const fs = require("fs");
const path = require("path");
const YAML = require("yaml");
const { loadTypeScriptCompilerOptions } = require("@pulumi/pulumi/tsutils");

const ROOT = path.resolve(__dirname, "..", "..");

/**
 * The ts-node options @pulumi/pulumi's cmd/run builds for this project: its defaults under the
 * compilerOptions of the tsconfig that Pulumi.yaml's runtime options name (or tsconfig.json).
 * tests/program/startup.test.ts checks what they compile.
 */
function pulumiTsNodeOptions() {
  const options = YAML.parse(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")).runtime.options ?? {};
  const tsconfig = path.join(ROOT, options.tsconfig ?? "tsconfig.json");
  const compilerOptions = loadTypeScriptCompilerOptions(tsconfig);
  const transpileOnlyEnv = process.env.PULUMI_NODEJS_TRANSPILE_ONLY;
  return {
    compiler: "typescript",
    transpileOnly: transpileOnlyEnv ? transpileOnlyEnv === "true" : compilerOptions.noCheck,
    project: tsconfig,
    skipProject: !fs.existsSync(tsconfig),
    compilerOptions: { target: "ES2020", module: "nodenext", moduleResolution: "nodenext", sourceMap: "true", ...compilerOptions },
  };
}
module.exports = { pulumiTsNodeOptions };

if (require.main === module) {
  process.chdir(ROOT);
  // As cmd/run does before it loads the program: wait for the SDK's inspector session (which
  // switches V8's debugger on, unless startup/preload.js, in Pulumi.yaml's nodeargs, defers it).
  require("@pulumi/pulumi/runtime/closure/v8Hooks")
    .isInitializedAsync()
    .then(() => {
      require("ts-node").register(pulumiTsNodeOptions());
      return require("../../policies/lib/program-under-mocks").runProgram("prod");
    })
    .then((run) => console.log(`${run.resources.length} resources`));
}
