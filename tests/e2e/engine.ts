/**
 * The real Pulumi engine against a local Kubernetes API server, for the end-to-end tests: a cluster
 * of its own (temporary directory and ports, so a cluster started by `npm run up` is left alone), a
 * fresh file backend with a passphrase, and scratch projects whose stack files are copies of the
 * repository's (scripts/engine/local-project.sh).
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export const REPO = path.resolve(__dirname, "../..");
const CACHE = process.env.PLATFORM_ENGINE_CACHE ?? path.join(os.homedir(), ".cache", "platform-engine");
const BIN = path.join(CACHE, "bin");
/**
 * PLATFORM_K8S_VERSION runs the control plane of another minor of the matrix (K8S_MATRIX in
 * scripts/engine/versions.sh, built by `npm run test:matrix`) instead of the one in BIN.
 */
const K8S = process.env.PLATFORM_K8S_VERSION;
const K8S_BIN = K8S ? path.join(CACHE, "builds", `kubernetes-${K8S}`, "bin") : undefined;

export interface Engine {
  env: NodeJS.ProcessEnv;
  root: string;
  kubeconfig: string;
}

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout and stderr together, for messages that pulumi prints on either. */
  output: string;
  seconds: number;
}

/** A command to its end, with its output and exit code; throws only when it could not run or timed out. */
export function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, cwd: string, timeoutMs: number): Result {
  const t0 = Date.now();
  const r = spawnSync(cmd, args, { env, cwd, encoding: "utf8", timeout: timeoutMs, maxBuffer: 256 * 1024 * 1024 });
  if (r.error) throw new Error(`${cmd} ${args.join(" ")}: ${r.error.message}`);
  const stdout = r.stdout ?? "";
  const stderr = r.stderr ?? "";
  return { code: r.status ?? 1, stdout, stderr, output: `${stdout}\n${stderr}`, seconds: (Date.now() - t0) / 1000 };
}

/** Throws with the command's output when it fails, so a failing step shows why. */
export function ok(r: Result, what: string): Result {
  if (r.code !== 0) throw new Error(`${what} failed (exit ${r.code}):\n${r.output.slice(-8000)}`);
  return r;
}

/** The binaries a cluster with a real node needs besides the control plane (scripts/node/). */
const NODE_BINARIES = ["kubelet", "kube-proxy", "kube-router", "coredns"];

export function missingBinaries(node: NodeKind = "kwok"): string[] {
  const needed = ["pulumi", "pulumi-language-nodejs", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "etcd", "kubectl", ...(node === "real" ? NODE_BINARIES : ["kwok"])];
  const plugins = fs.existsSync(path.join(CACHE, "pulumi-home", "plugins")) ? fs.readdirSync(path.join(CACHE, "pulumi-home", "plugins")) : [];
  return [
    ...(K8S_BIN && !fs.existsSync(K8S_BIN) ? [`the control plane ${K8S} (npm run test:matrix builds it)`] : []),
    ...needed.filter((b) => !fs.existsSync(path.join(BIN, b))),
    ...["resource-kubernetes-v", "resource-random-v"].filter((p) => !plugins.some((d) => d.startsWith(p) && !d.endsWith(".lock"))).map((p) => `plugin ${p}*`),
  ];
}

/** kwok: fake nodes, no container runs; real: one real node (scripts/node/node.sh) where pods run. */
export type NodeKind = "kwok" | "real";

/** Names of the clusters the end-to-end files start, each with its own ports. */
const PORT_SLOTS = ["dev", "prod", "gates", "health", "upgrade", "platform", "node"];

export function startEngine(name: string, node: NodeKind = "kwok"): Engine {
  const missing = missingBinaries(node);
  if (missing.length > 0) throw new Error(`missing ${missing.join(", ")} in ${BIN}: run bash scripts/engine/install.sh`);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), `platform-e2e-${name}-`));
  // A slot per cluster, since the KWOK files run side by side; steps of 20: etcd also takes its
  // port + 10 (peers), KWOK the API port + 1.
  const slot = PORT_SLOTS.indexOf(name);
  if (slot < 0) throw new Error(`startEngine: add "${name}" to PORT_SLOTS`);
  const offset = Number(process.env.PLATFORM_E2E_PORT_OFFSET ?? 1000) + slot * 20;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${K8S_BIN ? `${K8S_BIN}:` : ""}${BIN}:${process.env.PATH}`,
    PLATFORM_ENGINE_CACHE: CACHE,
    PULUMI_HOME: path.join(CACHE, "pulumi-home"),
    PULUMI_BACKEND_URL: `file://${path.join(root, "state")}`,
    PULUMI_CONFIG_PASSPHRASE: "e2e-local-passphrase",
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_SKIP_CONFIRMATIONS: "true",
    PLATFORM_CLUSTER_DIR: path.join(root, "cluster"),
    PLATFORM_API_PORT: String(26443 + offset),
    PLATFORM_ETCD_PORT: String(23790 + offset),
    PLATFORM_CLUSTER_NODE: node,
    PLATFORM_CLUSTER_NETNS: `pn-${name}`.slice(0, 10),
  };
  delete env.KUBECONFIG;
  fs.mkdirSync(path.join(root, "state"), { recursive: true });
  // A real node also starts containerd, imports the images and rolls out CoreDNS.
  ok(run("bash", [path.join(REPO, "scripts/engine/cluster.sh"), "start"], env, REPO, node === "real" ? 600_000 : 180_000), "cluster start");
  const kubeconfig = path.join(root, "cluster", "kubeconfig");
  return { env: { ...env, KUBECONFIG: kubeconfig }, root, kubeconfig };
}

export function stopEngine(e: Engine | undefined): void {
  if (!e) return;
  // A real node with the platform on it stops its pods, runtime and mounts first: give it time.
  const stopped = run("bash", [path.join(REPO, "scripts/engine/cluster.sh"), "stop"], e.env, REPO, 300_000);
  if (stopped.code !== 0) throw new Error(`cluster stop failed (exit ${stopped.code}):\n${stopped.output.slice(-4000)}`);
  fs.rmSync(e.root, { recursive: true, force: true });
}

/**
 * A scratch project for `stack` with config overrides (dotted paths under platform:, YAML values),
 * running the program in `repo` (another checkout, e.g. the previous release, or this one).
 */
export function project(e: Engine, stack: string, sets: string[] = [], dirName = stack, repo = REPO): string {
  const dir = path.join(e.root, "projects", dirName);
  const script = `source "${repo}/scripts/engine/local-project.sh" && local_project "$@"`;
  ok(run("bash", ["-c", script, "local-project", dir, stack, ...sets], e.env, repo, 60_000), "local project");
  ok(pulumi(e, dir, ["stack", "select", "--create", stack]), `stack init ${stack}`);
  return dir;
}

export function pulumi(e: Engine, dir: string, args: string[], timeoutMs = 900_000): Result {
  return run("pulumi", [...args, "--non-interactive"], e.env, dir, timeoutMs);
}

export function kubectl(e: Engine, args: string[]): Result {
  return run("kubectl", args, e.env, REPO, 120_000);
}

export function kubectlJson(e: Engine, args: string[]): any {
  return JSON.parse(ok(kubectl(e, [...args, "-o", "json"]), `kubectl ${args.join(" ")}`).stdout);
}

export async function eventually<T>(what: string, fn: () => T | undefined | Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}
