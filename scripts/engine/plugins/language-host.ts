/**
 * A Node.js language host for the Pulumi CLI (`pulumi-language-nodejs`), used because the module
 * proxy here does not serve the upstream one (github.com/pulumi/pulumi/sdk/nodejs/cmd/
 * pulumi-language-nodejs/v3 answers "403 This module version is not available" for every version).
 *
 * It implements the part of the LanguageRuntime protocol that `pulumi preview/up/destroy` and Node.js
 * policy packs use, the way the upstream host does: `Run` starts `@pulumi/pulumi/cmd/run` from the
 * program's own node_modules with the config in PULUMI_CONFIG, and `RunPlugin` starts
 * `@pulumi/pulumi/cmd/run-plugin` for a policy pack, streaming its output back to the engine. The
 * protocol definitions are the SDK's own generated ones, so they match the CLI of the same release.
 * Code generation, templates and packing are left unimplemented (the engine gets UNIMPLEMENTED).
 */
import * as grpc from "@grpc/grpc-js";
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";

const langproto = require("@pulumi/pulumi/proto/language_pb.js");
const langrpc = require("@pulumi/pulumi/proto/language_grpc_pb.js");
const pluginproto = require("@pulumi/pulumi/proto/plugin_pb.js");
const emptyproto = require("google-protobuf/google/protobuf/empty_pb.js");

/** Exit code of `cmd/run` after it has already reported the error to the engine. */
const EXIT_AFTER_REPORTED_ERROR = 32;

const args = process.argv.slice(2);
let engineAddress = args.find((a) => !a.startsWith("-")) ?? "";

function runtimeOptions(info: any): Record<string, unknown> {
  const opts = info?.getOptions?.();
  return opts ? (opts.toJavaScript() as Record<string, unknown>) : {};
}

/** The SDK script to start, resolved from the program's directory as `require` would from there. */
function sdkScript(programDir: string, script: string): string {
  try {
    return require.resolve(`@pulumi/pulumi/cmd/${script}`, { paths: [programDir, process.cwd()] });
  } catch {
    // A program without its own node_modules (NODE_PATH): the SDK next to this host.
    return require.resolve(`@pulumi/pulumi/cmd/${script}`);
  }
}

function nodeEnv(base: NodeJS.ProcessEnv, opts: Record<string, unknown>): NodeJS.ProcessEnv {
  const env = { ...base };
  // This host's own ts-node settings (see its launcher) are not the program's.
  for (const k of Object.keys(env)) if (k.startsWith("TS_NODE_")) delete env[k];
  if (opts.typescript === undefined || opts.typescript === true || opts.typescript === "true") env.PULUMI_NODEJS_TYPESCRIPT = "true";
  if (typeof opts.tsconfig === "string" && opts.tsconfig !== "") env.PULUMI_NODEJS_TSCONFIG_PATH = opts.tsconfig;
  return env;
}

function nodeArgs(opts: Record<string, unknown>): string[] {
  return typeof opts.nodeargs === "string" && opts.nodeargs.trim() !== "" ? opts.nodeargs.trim().split(/\s+/) : [];
}

function handshake(call: grpc.ServerUnaryCall<any, any>, cb: grpc.sendUnaryData<any>): void {
  engineAddress = call.request.getEngineAddress() || engineAddress;
  cb(null, new langproto.LanguageHandshakeResponse());
}

function getPluginInfo(_call: grpc.ServerUnaryCall<any, any>, cb: grpc.sendUnaryData<any>): void {
  const info = new pluginproto.PluginInfo();
  info.setVersion(require("@pulumi/pulumi/package.json").version);
  cb(null, info);
}

// Plugins are loaded by the engine when the program registers resources (each carries its provider
// version), so nothing is listed up front: listing would make the engine try to fetch packages.
function getRequiredPlugins(_call: grpc.ServerUnaryCall<any, any>, cb: grpc.sendUnaryData<any>): void {
  cb(null, new langproto.GetRequiredPluginsResponse());
}
function getRequiredPackages(_call: grpc.ServerUnaryCall<any, any>, cb: grpc.sendUnaryData<any>): void {
  cb(null, new langproto.GetRequiredPackagesResponse());
}

function run(call: grpc.ServerUnaryCall<any, any>, cb: grpc.sendUnaryData<any>): void {
  const req = call.request;
  const info = req.getInfo();
  const programDir: string = info?.getProgramDirectory() || req.getPwd() || process.cwd();
  const opts = runtimeOptions(info);
  const config: Record<string, string> = {};
  req.getConfigMap().forEach((v: string, k: string) => (config[k] = v));
  const env = nodeEnv(process.env, opts);
  env.PULUMI_CONFIG = JSON.stringify(config);
  env.PULUMI_CONFIG_SECRET_KEYS = JSON.stringify(req.getConfigsecretkeysList());

  const argv = [...nodeArgs(opts), sdkScript(programDir, "run")];
  const flag = (k: string, v: string | number | undefined): void => {
    if (v !== undefined && v !== "" && v !== 0) argv.push(`--${k}`, String(v));
  };
  flag("monitor", req.getMonitorAddress());
  flag("engine", engineAddress);
  flag("organization", req.getOrganization());
  flag("project", req.getProject());
  flag("stack", req.getStack());
  flag("pwd", programDir);
  flag("root-directory", info?.getRootDirectory());
  if (req.getDryrun()) argv.push("--dry-run");
  flag("parallel", req.getParallel());
  argv.push(info?.getEntryPoint() || ".", ...req.getArgsList());

  const child = spawn(process.execPath, argv, { cwd: programDir, env, stdio: ["ignore", "inherit", "inherit"] });
  const res = new langproto.RunResponse();
  child.on("error", (err) => {
    res.setError(`could not start the program: ${err.message}`);
    cb(null, res);
  });
  child.on("exit", (code, signal) => {
    if (code === EXIT_AFTER_REPORTED_ERROR) res.setBail(true);
    else if (code !== 0) res.setError(`Program exited with non-zero exit code: ${code ?? signal}`);
    cb(null, res);
  });
}

function runPlugin(call: grpc.ServerWritableStream<any, any>): void {
  const req = call.request;
  const info = req.getInfo();
  const programDir: string = info?.getProgramDirectory() || req.getPwd();
  const opts = runtimeOptions(info);
  const env: NodeJS.ProcessEnv = {};
  for (const kv of req.getEnvList() as string[]) {
    const i = kv.indexOf("=");
    if (i > 0) env[kv.slice(0, i)] = kv.slice(i + 1);
  }
  // The upstream host puts a plugin's nodeargs after the runner script, where they reach the runner
  // (which ignores them), not node: so does this one, so that a pack runs here as it runs there.
  const argv = [sdkScript(programDir, "run-plugin"), ...nodeArgs(opts), programDir, ...req.getArgsList()];
  // A policy pack runs in its own directory, as the current upstream host runs packs; any other
  // plugin in the engine's working directory.
  const cwd = req.getKind() === "analyzer" ? programDir : req.getPwd() || programDir;
  const child = spawn(process.execPath, argv, { cwd, env: nodeEnv(env, opts), stdio: ["ignore", "pipe", "pipe"] });
  const send = (set: (m: any) => void): void => {
    const m = new langproto.RunPluginResponse();
    set(m);
    call.write(m);
  };
  child.stdout.on("data", (d: Buffer) => send((m) => m.setStdout(d)));
  child.stderr.on("data", (d: Buffer) => send((m) => m.setStderr(d)));
  child.on("error", (err) => call.destroy(err));
  child.on("close", (code) => {
    send((m) => m.setExitcode(code ?? 1));
    call.end();
  });
  // The engine closes the stream to stop the plugin.
  call.on("cancelled", () => child.kill("SIGTERM"));
}

function installDependencies(call: grpc.ServerWritableStream<any, any>): void {
  // Dependencies come from the repository's `npm ci`; nothing is installed behind its back.
  call.end();
}

function about(_call: grpc.ServerUnaryCall<any, any>, cb: grpc.sendUnaryData<any>): void {
  const res = new langproto.AboutResponse();
  res.setExecutable(process.execPath);
  res.setVersion(process.version);
  cb(null, res);
}

function getProgramDependencies(call: grpc.ServerUnaryCall<any, any>, cb: grpc.sendUnaryData<any>): void {
  const res = new langproto.GetProgramDependenciesResponse();
  const dir: string = call.request.getInfo()?.getProgramDirectory() || process.cwd();
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
    for (const [name, version] of Object.entries<string>(pkg.dependencies ?? {})) {
      const dep = new langproto.DependencyInfo();
      dep.setName(name);
      dep.setVersion(version);
      res.addDependencies(dep);
    }
  } catch {
    // No package.json: no dependencies to report.
  }
  cb(null, res);
}

function runtimeOptionsPrompts(_call: grpc.ServerUnaryCall<any, any>, cb: grpc.sendUnaryData<any>): void {
  cb(null, new langproto.RuntimeOptionsResponse());
}

const server = new grpc.Server({ "grpc.max_receive_message_length": 400 * 1024 * 1024 });
server.addService(langrpc.LanguageRuntimeService, {
  handshake,
  getRequiredPlugins,
  getRequiredPackages,
  run,
  getPluginInfo,
  installDependencies,
  about,
  getProgramDependencies,
  runtimeOptionsPrompts,
  runPlugin,
});
server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, port) => {
  if (err) {
    process.stderr.write(`language host: ${err.message}\n`);
    process.exit(1);
  }
  // The engine reads the port from the first line of stdout.
  process.stdout.write(`${port}\n`);
});
void emptyproto;
