/**
 * Driver of scripts/bench/startup.sh (not a test): the program's start-up as `pulumi preview` pays
 * it, without an engine. It registers ts-node the way @pulumi/pulumi's cmd/run does for this project
 * (Pulumi.yaml's runtime options, the tsconfig they name), then builds the prod stack under mocks
 * (tools/program-under-mocks.ts). Plain JavaScript: nothing is compiled before ts-node is registered.
 */
"use strict";
const fs = require("fs");
const path = require("path");
const YAML = require("yaml");
const { loadTypeScriptCompilerOptions } = require("@pulumi/pulumi/tsutils");

const ROOT = path.resolve(__dirname, "..", "..");
process.chdir(ROOT);
const options = YAML.parse(fs.readFileSync("Pulumi.yaml", "utf8")).runtime.options ?? {};
const tsconfig = options.tsconfig ?? "tsconfig.json";
const compilerOptions = loadTypeScriptCompilerOptions(tsconfig);
const transpileOnlyEnv = process.env.PULUMI_NODEJS_TRANSPILE_ONLY;
require("ts-node").register({
  compiler: "typescript",
  transpileOnly: transpileOnlyEnv ? transpileOnlyEnv === "true" : compilerOptions.noCheck,
  project: tsconfig,
  skipProject: !fs.existsSync(tsconfig),
  compilerOptions: { target: "ES2020", module: "nodenext", moduleResolution: "nodenext", sourceMap: "true", ...compilerOptions },
});
require("../../tools/program-under-mocks")
  .runProgram("prod")
  .then((run) => console.log(`${run.resources.length} resources`));
