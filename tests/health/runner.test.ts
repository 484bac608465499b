/** What the runner promises regardless of the kind of check: parallelism, bounded retries, the report. */
import { formatTable, runChecks } from "../../health";
import { authFailure, CheckFailure, isPermanent, missingDatabase } from "../../health/checks/failure";
import { freePort, HOST, Running, startGrafanaStandIn, startSilent } from "../../scripts/servers/run";

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
  const report = await runChecks(
    [
      { kind: "grafana", name: "grafana", host: HOST, port: grafana.port },
      { kind: "grafana", name: "grafana-hung", host: HOST, port: silent.port },
    ],
    { timeoutMs: 500, retries: 0 },
  );
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

describe("failures are permanent or transient, decided in one place", () => {
  // The module object itself (an ES-style import would be a frozen copy the runner does not use).
  const dns = jest.requireActual<typeof import("node:dns/promises")>("node:dns/promises");
  const RETRIES = { timeoutMs: 500, retries: 2, backoffMs: 10 };
  afterEach(() => jest.restoreAllMocks());

  test.each([
    [authFailure(new Error("WRONGPASS invalid username-password pair")), true],
    [missingDatabase("platform", new Error('database "platform" does not exist')), true],
    [new CheckFailure("refused by protected mode", "server configuration"), true],
    [new CheckFailure("host name x does not resolve (ENOTFOUND)", "unknown host"), true],
    [new CheckFailure("loading: the server is still loading its dataset"), false],
    [new CheckFailure("topic positions is missing"), false],
    [Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" }), false],
    [new Error("Connection is closed."), false],
  ])("%s: permanent %s", (err, permanent) => {
    expect(isPermanent(err)).toBe(permanent);
  });

  // DNS is stubbed here: the tests send nothing beyond loopback, and a real lookup would.
  test("a host name DNS does not know fails once, for any kind of check, naming the host", async () => {
    const lookup = jest.spyOn(dns, "lookup").mockRejectedValue(Object.assign(new Error("getaddrinfo ENOTFOUND grafana.typo"), { code: "ENOTFOUND" }));
    const report = await runChecks(
      (["grafana", "grpc"] as const).map((kind) => ({ kind, name: kind, host: "grafana.typo", port: 3000 })),
      RETRIES,
    );
    expect(report.results.map((r) => [r.attempts, r.detail])).toEqual([
      [1, "host name grafana.typo does not resolve (ENOTFOUND)"],
      [1, "host name grafana.typo does not resolve (ENOTFOUND)"],
    ]);
    expect(lookup).toHaveBeenCalledTimes(2);
  });

  test("a temporary DNS failure is retried", async () => {
    jest.spyOn(dns, "lookup").mockRejectedValue(Object.assign(new Error("getaddrinfo EAI_AGAIN grafana"), { code: "EAI_AGAIN" }));
    const [r] = (await runChecks([{ kind: "grafana", name: "grafana", host: "grafana", port: 3000 }], RETRIES)).results;
    expect(r.attempts).toBe(3);
    expect(r.detail).toMatch(/EAI_AGAIN.*\(after 3 attempts\)$/);
  });

  test("a refused connection is retried", async () => {
    const [r] = (await runChecks([{ kind: "grafana", name: "grafana", host: HOST, port: await freePort() }], RETRIES)).results;
    expect(r.attempts).toBe(3);
    expect(r.detail).toMatch(/ECONNREFUSED.*\(after 3 attempts\)$/);
  });

  test("an IP address is not looked up, and localhost resolves from the hosts file", async () => {
    const lookup = jest.spyOn(dns, "lookup");
    const ok = await runChecks(
      [
        { kind: "grafana", name: "by-ip", host: HOST, port: grafana.port },
        { kind: "grafana", name: "by-name", host: "localhost", port: grafana.port },
      ],
      RETRIES,
    );
    expect(ok.results.map((r) => r.status)).toEqual(["pass", "pass"]);
    expect(lookup.mock.calls.map(([host]) => host)).toEqual(["localhost"]);
  });
});
