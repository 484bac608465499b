/**
 * No real Grafana server can be installed on this machine (none in Debian or the package
 * registries), so this runs against a real HTTP server answering Grafana's /api/health JSON.
 */
import { checkOne, FAST } from "./check-one";
import { HOST, Running, startGrafanaStandIn } from "../../scripts/servers/run";

let healthy: Running;
let failing: Running;
beforeAll(async () => {
  [healthy, failing] = await Promise.all([startGrafanaStandIn("ok"), startGrafanaStandIn("failing")]);
});
afterAll(async () => {
  await healthy?.stop();
  await failing?.stop();
});

const target = (port: number) => ({ kind: "grafana" as const, name: "grafana", host: HOST, port });

test("/api/health with database ok passes", async () => {
  expect(await checkOne(target(healthy.port))).toMatchObject({ status: "pass", check: "/api/health", detail: "database ok, version 11.3.0" });
});

test("a failing database (HTTP 503) fails with Grafana's answer", async () => {
  const r = await checkOne(target(failing.port));
  expect(r.status).toBe("fail");
  expect(r.detail).toMatch(/^GET \/api\/health answered HTTP 503: .*"database":"failing"/);
});

test.each([
  ["null", /^GET \/api\/health answered JSON of an unexpected shape \(.*\): null$/],
  ["[]", /^GET \/api\/health answered JSON of an unexpected shape \(.*\): \[\]$/],
  ['"ok"', /^GET \/api\/health answered JSON of an unexpected shape/],
  ['{"database": 1}', /^GET \/api\/health answered JSON of an unexpected shape \(.* at database\)/],
  ["{}", /^database is null, expected "ok"$/],
  ["<html>", /^GET \/api\/health did not answer JSON: <html>$/],
])("a 200 answer of %s fails saying what came back", async (body, detail) => {
  const odd = await startGrafanaStandIn("ok", body);
  try {
    const r = await checkOne(target(odd.port));
    expect(r.status).toBe("fail");
    expect(r.detail).toMatch(detail);
    expect(r.detail).not.toMatch(/TypeError|Cannot read/);
  } finally {
    await odd.stop();
  }
});

test("an IPv6 host is reached in brackets", async () => {
  const v6 = await startGrafanaStandIn("ok", undefined, "::1");
  try {
    expect(await checkOne({ ...target(v6.port), host: "::1" })).toMatchObject({ status: "pass", detail: "database ok, version 11.3.0" });
  } finally {
    await v6.stop();
  }
});

test("a stopped server fails fast, well within the timeout", async () => {
  const port = healthy.port;
  await healthy.stop();
  const r = await checkOne(target(port));
  expect(r.detail).toMatch(/ECONNREFUSED/);
  expect(r.latencyMs).toBeLessThan(FAST.timeoutMs);
});
