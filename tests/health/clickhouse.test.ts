import { checkOne, FAST } from "./check-one";
import { HOST, Running, startClickHouse } from "../../scripts/servers/run";

const SETUP = { user: "platform", password: "ch-Pa55-word", database: "telemetry", tables: ["events", "positions"] };
let ch: Running;
beforeAll(async () => {
  ch = await startClickHouse(SETUP);
});
afterAll(() => ch?.stop());

const target = (over: Partial<typeof SETUP> = {}) => ({ kind: "clickhouse" as const, name: "clickhouse", host: HOST, port: ch.port, ...SETUP, ...over });

test("SELECT 1 with the expected database and tables passes", async () => {
  const r = await checkOne(target());
  expect(r).toMatchObject({ status: "pass", check: "SELECT 1, database telemetry, 2 tables", detail: "SELECT 1 ok, database telemetry, tables events, positions" });
});

test("a wrong password fails once as an authentication failure and never shows the password", async () => {
  const r = await checkOne(target({ password: "wrong-ch-password" }), { ...FAST, retries: 2 });
  expect(r.status).toBe("fail");
  expect(r.detail).toMatch(/^authentication failed: .*(Wrong password|Authentication failed)/);
  expect(r.attempts).toBe(1);
  expect(r.detail).not.toContain("wrong-ch-password");
});

test("a missing table fails naming it", async () => {
  const r = await checkOne(target({ tables: ["events", "positions", "trips"] }));
  expect(r.status).toBe("fail");
  expect(r.detail).toBe("missing table in telemetry: trips");
});

test("a missing database fails once, naming it: no retry creates it", async () => {
  const r = await checkOne(target({ database: "warehouse" }), { ...FAST, retries: 2 });
  expect(r.status).toBe("fail");
  expect(r.detail).toMatch(/^database warehouse is missing: .*warehouse/);
  expect(r.attempts).toBe(1);
});

test("a stopped server fails fast, well within the timeout", async () => {
  const port = ch.port;
  await ch.stop();
  const r = await checkOne({ ...target(), port });
  expect(r.status).toBe("fail");
  expect(r.detail).toMatch(/ECONNREFUSED/);
  expect(r.latencyMs).toBeLessThan(FAST.timeoutMs);
});
