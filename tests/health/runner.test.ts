/** What the runner promises regardless of the kind of check: parallelism, bounded retries, the report. */
import { formatTable, runChecks } from "../../health";
import { HOST, Running, startGrafanaStandIn, startSilent } from "./servers";

let silent: Running;
let grafana: Running;
beforeAll(async () => {
  [silent, grafana] = await Promise.all([startSilent(), startGrafanaStandIn()]);
});
afterAll(async () => {
  await silent?.stop();
  await grafana?.stop();
});

test("checks run in parallel: five hung servers take one timeout, not five", async () => {
  const targets = ["a", "b", "c", "d", "e"].map((name) => ({ kind: "grafana" as const, name, host: HOST, port: silent.port }));
  const report = await runChecks(targets, { timeoutMs: 800, retries: 0, backoffMs: 100 });
  expect(report.ok).toBe(false);
  expect(report.results.map((r) => r.component)).toEqual(["a", "b", "c", "d", "e"]);
  expect(report.durationMs).toBeGreaterThanOrEqual(750);
  expect(report.durationMs).toBeLessThan(1600);
});

test("retries are bounded and back off exponentially: 3 attempts of 300 ms with 100 + 200 ms between", async () => {
  const report = await runChecks([{ kind: "grafana", name: "grafana", host: HOST, port: silent.port }], { timeoutMs: 300, retries: 2, backoffMs: 100 });
  const [r] = report.results;
  expect(r.attempts).toBe(3);
  expect(r.detail).toBe(`timed out after 300 ms waiting for ${HOST}:${silent.port} (after 3 attempts)`);
  expect(r.latencyMs).toBeGreaterThanOrEqual(3 * 300 + 300 - 50);
  expect(r.latencyMs).toBeLessThan(3 * 300 + 300 + 600);
});

test("the table has one row per check and a summary; a healthy report is ok", async () => {
  const report = await runChecks([
    { kind: "grafana", name: "grafana", host: HOST, port: grafana.port },
    { kind: "grafana", name: "grafana-hung", host: HOST, port: silent.port },
  ], { timeoutMs: 500, retries: 0 });
  const table = formatTable(report);
  expect(table).toMatch(/grafana\s*│\s*\/api\/health\s*│\s*PASS\s*│\s*\d+ ms\s*│\s*database ok/);
  expect(table).toMatch(/grafana-hung\s*│\s*\/api\/health\s*│\s*FAIL\s*│\s*\d+ ms\s*│\s*timed out after 500 ms/);
  expect(table).toMatch(/1 of 2 checks failed \(\d+ ms\)$/);
  expect(table).not.toMatch(/\u001b\[/); // no colour codes in Pulumi's error output
  const healthy = await runChecks([{ kind: "grafana", name: "grafana", host: HOST, port: grafana.port }]);
  expect(healthy.ok).toBe(true);
  expect(formatTable(healthy)).toMatch(/the check passed in \d+ ms$/);
});

test("invalid targets are rejected before anything runs, naming the field", async () => {
  await expect(runChecks([{ kind: "kafka", name: "kafka", host: HOST, port: 0 }])).rejects.toThrow(/port/);
});
