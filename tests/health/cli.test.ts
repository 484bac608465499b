/** The `verify` command as an operator runs it, on a targets file with explicit addresses. */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { stringify } from "yaml";
import { targetsFromStackOutputs } from "../../health/cli";
import { HOST, Running, startGrafanaStandIn, startRedis } from "../../scripts/servers/run";

const ROOT = join(__dirname, "..", "..");
const PASSWORD = "cli-redis-Pa55";
let redis: Running;
let grafana: Running;
let dir: string;
beforeAll(async () => {
  [redis, grafana] = await Promise.all([startRedis(PASSWORD), startGrafanaStandIn()]);
  dir = mkdtempSync(join(tmpdir(), "health-cli-"));
});
afterAll(async () => {
  await redis?.stop();
  await grafana?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function targetsFile(name: string, doc: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, stringify(doc));
  return path;
}

const healthy = () => [
  { kind: "redis", name: "redis", host: HOST, port: redis.port, password: PASSWORD },
  { kind: "grafana", name: "grafana", host: HOST, port: grafana.port },
];

async function verify(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ["-r", "ts-node/register/transpile-only", "health/cli.ts", ...args], { cwd: ROOT });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

test("a healthy targets file prints the table and exits 0", async () => {
  const { code, stdout } = await verify("--targets", targetsFile("ok.yaml", { targets: healthy() }), "--timeout", "2", "--retries", "0");
  expect(code).toBe(0);
  expect(stdout).toMatch(/component\s*│\s*check\s*│\s*status\s*│\s*latency\s*│\s*detail/);
  expect(stdout).toMatch(/redis\s*│\s*PING with auth\s*│\s*PASS\s*│\s*\d+ ms\s*│\s*PONG/);
  expect(stdout).toMatch(/grafana\s*│\s*\/api\/health\s*│\s*PASS/);
  expect(stdout).toContain("all 2 checks passed");
  expect(stdout).not.toContain(PASSWORD);
});

test("--json prints a machine-readable report; a failing check exits 1 and never shows a password", async () => {
  const targets = [...healthy(), { kind: "redis", name: "cache", host: HOST, port: redis.port, password: "stale-password" }];
  const { code, stdout } = await verify("--targets", targetsFile("bad.yaml", { targets }), "--json", "--timeout", "2", "--retries", "0");
  expect(code).toBe(1);
  const report = JSON.parse(stdout);
  expect(report.ok).toBe(false);
  expect(report.results.map((r: { component: string; status: string }) => [r.component, r.status])).toEqual([
    ["redis", "pass"],
    ["grafana", "pass"],
    ["cache", "fail"],
  ]);
  expect(report.results[2].detail).toMatch(/^authentication failed/);
  expect(stdout).not.toContain("stale-password");
  expect(stdout).not.toContain(PASSWORD);
});

test("an invalid targets file exits 2 naming the bad field", async () => {
  const path = targetsFile("invalid.yaml", { targets: [{ kind: "postgres", name: "pg", host: HOST, port: 70000, user: "app", password: "x" }] });
  const { code, stderr } = await verify("--targets", path);
  expect(code).toBe(2);
  expect(stderr).toContain("targets.0.port: a TCP port 1-65535");
  expect(stderr).toContain("targets.0.database");
});

test("a targets file with a YAML syntax error exits 2 naming the file and line, never the password", async () => {
  const path = join(dir, "broken.yaml");
  writeFileSync(path, `targets:\n  - kind: redis\n    name: redis\n    password: ${PASSWORD}\n   host: x: y\n`);
  const { code, stdout, stderr } = await verify("--targets", path);
  expect(code).toBe(2);
  expect(stderr).toContain(`${path} is not valid YAML`);
  expect(stderr).toMatch(/line 5, column \d+/);
  expect(stdout + stderr).not.toContain(PASSWORD);
});

test("a host with a port is a usage error: exit 2 at once, nothing checked or retried", async () => {
  const path = targetsFile("host-port.yaml", { targets: [{ kind: "grafana", name: "grafana", host: `${HOST}:${grafana.port}`, port: grafana.port }] });
  const started = Date.now();
  const { code, stdout, stderr } = await verify("--targets", path, "--retries", "5", "--backoff", "2000");
  expect(code).toBe(2);
  expect(stderr).toContain(`targets.0.host: "${HOST}:${grafana.port}" is not a host name or IP address; give it without port or scheme`);
  expect(stdout).toBe("");
  // One backoff alone would take 2 s.
  expect(Date.now() - started).toBeLessThan(15_000);
});

test("a stack's health output may be a targets list, placed in the stack's namespace", () => {
  const doc = targetsFromStackOutputs({ namespace: "platform", health: [{ kind: "grafana", name: "grafana", serviceName: "grafana", servicePort: 3000 }] }, "dev");
  expect(doc).toEqual({ namespace: "platform", targets: [{ kind: "grafana", name: "grafana", serviceName: "grafana", servicePort: 3000 }] });
  expect(() => targetsFromStackOutputs({ namespace: "platform" }, "dev")).toThrow("stack dev has no 'health' output");
  expect(() => targetsFromStackOutputs({ health: [{ kind: "grafana", name: "g", serviceName: "grafana", servicePort: 3000 }] }, "dev")).toThrow(
    /namespace: required when a target names a serviceName/,
  );
});
