/**
 * Runs the program's own pod specs on the images scripts/images/build.sh made, with runc: each
 * container from its OCI archive, with the spec's command/args/env (Secrets replaced by test values),
 * user, read-only root, dropped capabilities and volumes (ConfigMaps as files, claims and emptyDirs as
 * fresh directories). The containers of a pod share one network namespace with only loopback in it,
 * so nothing reaches or leaves the machine. Probes run as the kubelet runs them: exec probes inside
 * the container (runc exec), HTTP and TCP probes from the pod's network namespace.
 */
import { execFile, execFileSync, spawn } from "node:child_process";
import { chmodSync, chownSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import type { Registered } from "../helpers/program";

const run = promisify(execFile);
export const CACHE = process.env.PLATFORM_IMAGES_CACHE ?? join(homedir(), ".cache", "platform-images");
const RUNC_ROOT = "/run/platform-images-test";

/** The archive of an image by name, from the list build.sh writes. */
export function archiveOf(name: string): string | undefined {
  const list = join(CACHE, "images.tsv");
  if (!existsSync(list)) return undefined;
  const line = readFileSync(list, "utf8")
    .split("\n")
    .map((l) => l.split("\t"))
    .find(([n]) => n === name);
  return line && existsSync(line[2]) ? line[2] : undefined;
}

interface ImageConfig {
  User?: string;
  Env?: string[];
  Entrypoint?: string[];
  Cmd?: string[];
  WorkingDir?: string;
}

/** Unpacks an OCI archive into a runc bundle; returns the bundle and the image's config. */
function unpack(archive: string, dir: string): { bundle: string; config: ImageConfig } {
  const layout = join(dir, "oci");
  mkdirSync(layout, { recursive: true });
  execFileSync("tar", ["-xf", archive, "-C", layout]);
  const blob = (digest: string) => JSON.parse(readFileSync(join(layout, "blobs", ...digest.split(":")), "utf8"));
  const index = JSON.parse(readFileSync(join(layout, "index.json"), "utf8"));
  const tag = index.manifests[0].annotations["org.opencontainers.image.ref.name"];
  const manifest = blob(index.manifests[0].digest);
  const config = blob(manifest.config.digest).config as ImageConfig;
  const bundle = join(dir, "bundle");
  execFileSync("umoci", ["unpack", "--image", `${layout}:${tag}`, bundle], { stdio: "ignore" });
  rmSync(layout, { recursive: true, force: true });
  return { bundle, config };
}

/** The Kubernetes $(VAR) expansion of command and args. */
function expand(s: string, env: Record<string, string>): string {
  return s.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, v: string) => env[v] ?? m);
}

/** A Secret's value in these tests: derived from its name and key, so every consumer agrees. */
export function secretValue(name: string, key: string): string {
  return `${name}-${key}`.replace(/[^A-Za-z0-9-]/g, "-");
}

export interface PodContainer {
  /** The image to run it on (a name in catalog.tsv). */
  image: string;
  spec: any;
  /** Volumes of the container's own pod, for a run-once container from another workload. */
  volumes?: any[];
}

export interface Pod {
  name: string;
  spec: any;
  containers: PodContainer[];
  /** ConfigMaps by name (their data), for configMap volumes. */
  configMaps: Record<string, Record<string, string>>;
  /** Names that resolve to the pod itself through /etc/hosts (Services of the platform). */
  hosts: string[];
}

/** The pod spec of a workload (StatefulSet, Deployment, Job or CronJob) of a program run. */
export function podSpec(r: Registered): any {
  const spec = r.inputs.spec;
  return (spec.jobTemplate?.spec ?? spec).template.spec;
}

export interface Running {
  name: string;
  /** Runs a command in a container of the pod, as its user; rejects on a non-zero exit. */
  exec(container: string, cmd: string[], env?: Record<string, string>): Promise<string>;
  /** The kubelet's verdict on a probe of a container, once. */
  probe(container: string, kind: "readinessProbe" | "livenessProbe" | "startupProbe"): Promise<boolean>;
  /** Waits, bounded, until every container's readiness probe passes. */
  ready(timeoutMs: number): Promise<void>;
  /** An HTTP GET from inside the pod's network namespace: status and body. */
  http(port: number, path: string, auth?: string): Promise<{ status: number; body: string }>;
  /** Runs a run-to-completion container (a Job's) in the pod's network namespace: exit code and output. */
  runOnce(c: PodContainer, timeoutMs: number): Promise<{ code: number; output: string }>;
  /** The containers' output so far (for failure messages). */
  logs(): string;
  /** One container's whole output so far. */
  output(container: string): string;
  stop(): Promise<void>;
}

const started = new Set<string>();
// A crashed run must not leave containers behind.
process.on("exit", () => started.forEach((id) => spawnKill(id)));
function spawnKill(id: string): void {
  try {
    execFileSync("runc", ["--root", RUNC_ROOT, "delete", "--force", id], { stdio: "ignore" });
  } catch {
    /* already gone */
  }
}

async function runc(...args: string[]): Promise<string> {
  return (await run("runc", ["--root", RUNC_ROOT, ...args], { maxBuffer: 16 << 20 })).stdout;
}

/** Starts the pod's containers in order, the first creating the network namespace the others join. */
export async function startPod(pod: Pod): Promise<Running> {
  const dir = mkdtempSync(join(tmpdir(), `images-${pod.name}-`));
  chmodSync(dir, 0o755);
  const podSec = pod.spec.securityContext ?? {};
  const hostsFile = join(dir, "hosts");
  // The pod's and its Services' names are on 127.0.0.2: not localhost, as a pod IP is not (servers
  // that trust local connections must not be tested through that trust).
  writeFileSync(hostsFile, `127.0.0.1 localhost\n127.0.0.2 ${pod.name} ${pod.hosts.join(" ")}\n::1 localhost\n`);
  const volumes = prepareVolumes(pod, dir, podSec.fsGroup ?? 0);
  const ids: Record<string, string> = {};
  const logFiles: string[] = [];
  let netns: string | undefined;

  const create = (c: PodContainer, id: string) => {
    const cdir = join(dir, id);
    mkdirSync(cdir);
    const mounted = c.volumes ? prepareVolumes({ ...pod, spec: { volumes: c.volumes } }, cdir, podSec.fsGroup ?? 0) : volumes;
    const archive = archiveOf(c.image);
    if (!archive) throw new Error(`no image '${c.image}' in ${CACHE}/images.tsv: run bash scripts/images/build.sh ${c.image}`);
    const { bundle, config } = unpack(archive, cdir);
    const spec = JSON.parse(readFileSync(join(bundle, "config.json"), "utf8"));
    const env: Record<string, string> = Object.fromEntries((config.Env ?? []).map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));
    env.HOSTNAME = pod.name;
    for (const e of c.spec.env ?? []) {
      const ref = e.valueFrom?.secretKeyRef;
      env[e.name] = ref ? secretValue(ref.name, ref.key) : expand(String(e.value), env);
    }
    const command: string[] = (c.spec.command ?? config.Entrypoint ?? []).map((s: string) => expand(s, env));
    const args: string[] = c.spec.command && !c.spec.args ? [] : (c.spec.args ?? config.Cmd ?? []).map((s: string) => expand(String(s), env));
    const sec = { ...podSec, ...(c.spec.securityContext ?? {}) };
    const [imageUid, imageGid] = (config.User ?? "0:0").split(":").map(Number);
    const uid = sec.runAsUser ?? imageUid;
    const gid = sec.runAsGroup ?? imageGid ?? uid;
    if (sec.runAsNonRoot && uid === 0) throw new Error(`${c.spec.name}: runAsNonRoot but the image runs as root`);
    const dropAll = sec.capabilities?.drop?.includes("ALL");

    spec.process = {
      ...spec.process,
      terminal: false,
      args: [...command, ...args],
      env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
      cwd: c.spec.workingDir ?? config.WorkingDir ?? "/",
      user: { uid, gid, additionalGids: podSec.fsGroup === undefined ? [] : [podSec.fsGroup] },
      noNewPrivileges: sec.allowPrivilegeEscalation === false,
      capabilities: dropAll ? { bounding: [], effective: [], permitted: [], inheritable: [], ambient: [] } : spec.process.capabilities,
    };
    // The runtime's own limits, as a kubelet's containers get them.
    delete spec.process.rlimits;
    spec.root = { path: "rootfs", readonly: sec.readOnlyRootFilesystem === true };
    spec.hostname = pod.name;
    spec.mounts = [
      ...spec.mounts.filter((m: any) => !["/etc/hosts", "/etc/resolv.conf"].includes(m.destination)),
      { destination: "/etc/hosts", type: "bind", source: hostsFile, options: ["rbind", "ro"] },
      ...(c.spec.volumeMounts ?? []).map((m: any) => {
        const source = m.subPath ? join(mounted[m.name], m.subPath) : mounted[m.name];
        if (!source || !existsSync(source)) throw new Error(`${c.spec.name}: volume ${m.name} (${m.subPath ?? ""}) has no source`);
        return { destination: m.mountPath, type: "bind", source, options: ["rbind", m.readOnly ? "ro" : "rw"] };
      }),
    ];
    spec.linux.namespaces = [{ type: "pid" }, { type: "ipc" }, { type: "uts" }, { type: "mount" }, netns ? { type: "network", path: netns } : { type: "network" }];
    delete spec.linux.resources;
    writeFileSync(join(bundle, "config.json"), JSON.stringify(spec));
    return { bundle, log: join(cdir, "output.log") };
  };

  for (const c of pod.containers) {
    const id = `images-test-${pod.name}-${c.spec.name}-${process.pid}`;
    const { bundle, log } = create(c, id);
    logFiles.push(log);
    const out = openSync(log, "a");
    const child = spawn("runc", ["--root", RUNC_ROOT, "run", "--bundle", bundle, id], { stdio: ["ignore", out, out], detached: true });
    closeSync(out);
    child.unref();
    started.add(id);
    ids[c.spec.name] = id;
    // The first container's network namespace is the pod's, as the sandbox's would be.
    if (!netns) {
      netns = `/proc/${await containerPid(id, 20_000, log)}/ns/net`;
      // The pod's own address, so connections to it come from it and not from 127.0.0.1.
      execFileSync("nsenter", [`--net=${netns}`, "ip", "addr", "add", "127.0.0.2/32", "dev", "lo"]);
    } else await containerPid(id, 20_000, log);
  }
  const netnsPath = netns!;

  const exec = async (container: string, cmd: string[], env: Record<string, string> = {}) => {
    const extra = Object.entries(env).flatMap(([k, v]) => ["--env", `${k}=${v}`]);
    return runc("exec", ...extra, ids[container], ...cmd);
  };
  let lastProbeError = "";
  const probe = async (container: string, kind: "readinessProbe" | "livenessProbe" | "startupProbe") => {
    const p = pod.containers.find((c) => c.spec.name === container)!.spec[kind];
    if (!p) return true;
    try {
      if (p.exec) await exec(container, p.exec.command);
      else if (p.httpGet) await run("nsenter", [`--net=${netnsPath}`, "curl", "-fsS", "-o", "/dev/null", "-m", "3", `http://127.0.0.1:${p.httpGet.port}${p.httpGet.path ?? "/"}`]);
      else if (p.tcpSocket) await run("nsenter", [`--net=${netnsPath}`, "bash", "-c", `exec 3<>/dev/tcp/127.0.0.1/${p.tcpSocket.port}`]);
      return true;
    } catch (e) {
      lastProbeError = `${container} ${kind}: ${(e as Error).message}`;
      return false;
    }
  };
  const output = (container: string) => readFileSync(join(dir, ids[container], "output.log"), "utf8");
  const logs = () => logFiles.map((f) => `--- ${f}\n${readFileSync(f, "utf8").slice(-4000)}`).join("\n");
  const http = async (port: number, path: string, auth?: string) => {
    const { stdout } = await run("nsenter", [`--net=${netnsPath}`, "curl", "-sS", "-m", "5", ...(auth ? ["-u", auth] : []), "-w", "\n%{http_code}", `http://127.0.0.1:${port}${path}`]);
    const at = stdout.lastIndexOf("\n");
    return { status: Number(stdout.slice(at + 1)), body: stdout.slice(0, at) };
  };
  const runOnce = async (c: PodContainer, timeoutMs: number) => {
    const id = `images-test-${pod.name}-${c.spec.name}-${process.pid}`;
    const { bundle, log } = create(c, id);
    started.add(id);
    try {
      const result = await run("timeout", [String(Math.ceil(timeoutMs / 1000)), "runc", "--root", RUNC_ROOT, "run", "--bundle", bundle, id], { maxBuffer: 16 << 20 })
        .then(({ stdout, stderr }) => ({ code: 0, output: stdout + stderr }))
        .catch((e) => ({ code: typeof e.code === "number" ? e.code : 1, output: `${e.stdout ?? ""}${e.stderr ?? ""}` }));
      writeFileSync(log, result.output);
      return result;
    } finally {
      spawnKill(id);
      started.delete(id);
    }
  };
  return {
    name: pod.name,
    exec,
    probe,
    http,
    runOnce,
    logs,
    output,
    async ready(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (const c of pod.containers) {
        while (!(await probe(c.spec.name, "readinessProbe"))) {
          if (Date.now() > deadline) throw new Error(`${pod.name}/${c.spec.name} not ready after ${timeoutMs} ms: ${lastProbeError}\n${logs()}`);
          await sleep(500);
        }
      }
    },
    async stop() {
      for (const id of Object.values(ids).reverse()) {
        spawnKill(id);
        started.delete(id);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function containerPid(id: string, timeoutMs: number, log: string): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const state = JSON.parse(await runc("state", id));
      if (state.pid > 0 && state.status === "running") return state.pid;
    } catch {
      /* not created yet */
    }
    if (Date.now() > deadline) throw new Error(`container ${id} did not start\n${existsSync(log) ? readFileSync(log, "utf8") : ""}`);
    await sleep(200);
  }
}

/** Host directories for the pod's volumes: ConfigMap data as files, everything else empty and group-owned by fsGroup. */
function prepareVolumes(pod: Pod, dir: string, fsGroup: number): Record<string, string> {
  const volumes: Record<string, string> = {};
  const claims = ["data"]; // the workloads' volumeClaimTemplates
  const all = [...(pod.spec.volumes ?? []), ...claims.filter((n) => !(pod.spec.volumes ?? []).some((v: any) => v.name === n)).map((name) => ({ name, emptyDir: {} }))];
  for (const v of all) {
    const path = join(dir, "volumes", v.name);
    mkdirSync(path, { recursive: true });
    volumes[v.name] = path;
    if (v.configMap) {
      const data = pod.configMaps[v.configMap.name];
      if (!data) throw new Error(`ConfigMap ${v.configMap.name} not in the program run`);
      for (const [k, value] of Object.entries(data)) writeFileSync(join(path, k), value);
      chmodSync(path, 0o755);
    } else if (v.secret) {
      chmodSync(path, 0o755);
    } else {
      chownSync(path, 0, fsGroup);
      chmodSync(path, 0o2777);
    }
  }
  return volumes;
}
