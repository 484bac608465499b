/**
 * A real Prometheus, on 127.0.0.1 with a free port and a temp dir, loads the generated
 * configuration and every rule file. Kubernetes discovery stays in the configuration, pointed at
 * an API server address on loopback where nothing listens.
 */
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { prometheusConfigYaml } from "../../monitoring-config/prometheus-config";
import { metricSources } from "../../monitoring-config/metric-sources";
import { ruleFiles } from "../../monitoring-config/rule-files";
import { fakeServiceAccountDir, freePort, platformConfig, tempDir, tool } from "./tools";

jest.setTimeout(90_000);

let proc: ChildProcess | undefined;
let dir = "";
let base = "";
let log = "";
let deadApi = "";

async function get(pathname: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base}${pathname}`);
  const text = await res.text();
  return { status: res.status, body: text.startsWith("{") ? JSON.parse(text) : text };
}

/** Polls `check` every 250 ms until it returns a value, for at most `ms`. */
async function until<T>(what: string, ms: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (proc && proc.exitCode !== null) throw new Error(`prometheus exited (${proc?.exitCode}):\n${log.slice(-3000)}`);
    const v = await check().catch(() => undefined);
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}; prometheus log:\n${log.slice(-3000)}`);
}

beforeAll(async () => {
  const c = platformConfig("prod");
  dir = tempDir("prometheus-live");
  const [port, deadApiPort] = [await freePort(), await freePort()];
  base = `http://127.0.0.1:${port}`;
  deadApi = `http://127.0.0.1:${deadApiPort}`;
  const rulesDir = path.join(dir, "rules");
  fs.mkdirSync(rulesDir);
  for (const [name, text] of Object.entries(ruleFiles(c.prometheus.runbookBaseUrl))) fs.writeFileSync(path.join(rulesDir, name), text);
  const configFile = path.join(dir, "prometheus.yml");
  fs.writeFileSync(
    configFile,
    prometheusConfigYaml({
      namespace: c.namespace,
      environment: c.environment,
      // Short, so the rule groups are evaluated within the test.
      scrapeInterval: "1s",
      alertmanagerReplicas: c.alertmanager.replicas,
      rulesDir,
      serviceAccountDir: fakeServiceAccountDir(),
      apiServer: deadApi,
      selfTarget: `127.0.0.1:${port}`,
    }),
  );
  proc = spawn(tool("prometheus"), [`--config.file=${configFile}`, `--storage.tsdb.path=${path.join(dir, "data")}`, `--web.listen-address=127.0.0.1:${port}`]);
  proc.stdout!.on("data", (d) => (log += d));
  proc.stderr!.on("data", (d) => (log += d));
});

afterAll(async () => {
  if (proc && proc.exitCode === null) {
    const exited = new Promise((r) => proc!.once("exit", r));
    proc.kill("SIGTERM");
    await exited;
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

test("reports ready", async () => {
  const ready = await until("/-/ready", 30_000, async () => ((await get("/-/ready")).status === 200 ? true : undefined));
  expect(ready).toBe(true);
});

test("loads every rule group of every rule file, and evaluates each without error", async () => {
  const expected = Object.entries(ruleFiles()).flatMap(([file, text]) =>
    (parse(text) as { groups: Array<{ name: string; rules: unknown[] }> }).groups.map((g) => ({ file, name: g.name, rules: g.rules.length })),
  );
  const groups = await until("every rule group evaluated", 30_000, async () => {
    const { body } = await get("/api/v1/rules");
    const gs = body.data.groups as Array<{ name: string; file: string; rules: Array<{ health: string; lastError?: string; name: string }>; lastEvaluation: string }>;
    return gs.length === expected.length && gs.every((g) => !g.lastEvaluation.startsWith("0001-")) && gs.every((g) => g.rules.every((r) => r.health !== "unknown")) ? gs : undefined;
  });
  expect(groups.map((g) => ({ file: path.basename(g.file), name: g.name, rules: g.rules.length })).sort((a, b) => a.name.localeCompare(b.name))).toEqual(
    expected.sort((a, b) => a.name.localeCompare(b.name)),
  );
  const broken = groups.flatMap((g) => g.rules.filter((r) => r.health !== "ok").map((r) => `${g.name}/${r.name}: ${r.lastError}`));
  expect(broken).toEqual([]);
  expect(log).not.toMatch(/level=error.*(rule|config)/i);
});

test("keeps every scrape job, with Kubernetes discovery, and scrapes itself", async () => {
  const { body } = await get("/api/v1/status/config");
  const loaded = parse(body.data.yaml) as { scrape_configs: Array<{ job_name: string; kubernetes_sd_configs?: Array<{ api_server: string }> }> };
  expect(loaded.scrape_configs.map((j) => j.job_name).sort()).toEqual(["cadvisor", "kube-state-metrics", "kubelet", "kubernetes-pods", "prometheus"]);
  const discovered = loaded.scrape_configs.filter((j) => j.job_name !== "prometheus");
  expect(discovered.map((j) => j.kubernetes_sd_configs?.[0]?.api_server)).toEqual(discovered.map(() => deadApi));
  const up = await until("up{job=prometheus}", 30_000, async () => {
    const { body: q } = await get("/api/v1/query?query=up%7Bjob%3D%22prometheus%22%7D");
    return q.data.result.length === 1 ? q.data.result[0].value[1] : undefined;
  });
  expect(up).toBe("1");
});

test("produces the metrics the catalogue lists for Prometheus itself", async () => {
  // ALERTS and ALERTS_FOR_STATE exist only while an alert is pending or firing.
  const expected = metricSources().prometheus.metrics.filter((m) => !m.startsWith("ALERTS"));
  const names = await until("self-scraped metric names", 30_000, async () => {
    const { body } = await get("/api/v1/label/__name__/values");
    const have = new Set(body.data as string[]);
    return expected.every((m) => have.has(m)) ? have : undefined;
  });
  expect(expected.filter((m) => !names.has(m))).toEqual([]);
});
