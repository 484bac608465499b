/** A server that accepts the connection and never answers: every check fails at its timeout. */
import { HealthTarget } from "../../health";
import { checkOne } from "./check-one";
import { setTimeout as sleep } from "node:timers/promises";
import { HOST, SilentServer, startSilent } from "../../scripts/servers/run";

let silent: SilentServer;
beforeAll(async () => {
  silent = await startSilent();
});
afterAll(() => silent?.stop());

const TIMEOUT_MS = 1000;
const targets = (): HealthTarget[] => {
  const at = { host: HOST, port: silent.port };
  return [
    { kind: "grpc", name: "gateway", ...at },
    { kind: "redis", name: "redis", ...at, password: "silent-secret" },
    { kind: "clickhouse", name: "clickhouse", ...at, user: "platform", password: "silent-secret", database: "telemetry" },
    { kind: "kafka", name: "kafka", ...at, brokers: 1 },
    { kind: "postgres", name: "postgres", ...at, user: "platform", password: "silent-secret", database: "platform" },
    { kind: "prometheus", name: "prometheus", ...at },
    { kind: "grafana", name: "grafana", ...at },
  ];
};

test.each(["grpc", "redis", "clickhouse", "kafka", "postgres", "prometheus", "grafana"])("%s fails at its timeout without hanging, and closes its connections", async (kind) => {
  const target = targets().find((t) => t.kind === kind)!;
  const r = await checkOne(target, { timeoutMs: TIMEOUT_MS, retries: 0, backoffMs: 100 });
  expect(r.status).toBe("fail");
  expect(r.latencyMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
  expect(r.latencyMs).toBeLessThan(TIMEOUT_MS + 500);
  expect(r.detail).toMatch(/timed out|DEADLINE_EXCEEDED|[Tt]imeout/);
  expect(r.detail).not.toContain("silent-secret");
  // Five more timed-out attempts; their connections are closed within moments (bounded poll).
  const again = await checkOne(target, { timeoutMs: 200, retries: 4, backoffMs: 10 });
  expect(again.attempts).toBe(5);
  for (let i = 0; i < 20 && silent.openConnections() > 0; i++) await sleep(50);
  expect(silent.openConnections()).toBe(0);
});
