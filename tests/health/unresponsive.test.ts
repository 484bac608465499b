/** A server that accepts the connection and never answers: every check fails at its timeout. */
import { HealthTarget } from "../../health";
import { checkOne } from "./check-one";
import { HOST, Running, startSilent } from "./servers";

let silent: Running;
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

test.each(["grpc", "redis", "clickhouse", "kafka", "postgres", "prometheus", "grafana"])("%s fails at its timeout without hanging", async (kind) => {
  const target = targets().find((t) => t.kind === kind)!;
  const r = await checkOne(target, { timeoutMs: TIMEOUT_MS, retries: 0, backoffMs: 100 });
  expect(r.status).toBe("fail");
  expect(r.latencyMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
  expect(r.latencyMs).toBeLessThan(TIMEOUT_MS + 500);
  expect(r.detail).toMatch(/timed out|DEADLINE_EXCEEDED|[Tt]imeout/);
  expect(r.detail).not.toContain("silent-secret");
});
