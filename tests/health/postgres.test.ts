import { checkOne, FAST } from "./check-one";
import { HOST, Running, startPostgres } from "../../scripts/servers/run";

const SETUP = { user: "platform", password: "pg-Pa55-word", database: "platform" };
let pg: Running;
beforeAll(async () => {
  pg = await startPostgres(SETUP);
});
afterAll(() => pg?.stop());

const target = (over: Partial<typeof SETUP> = {}) => ({ kind: "postgres" as const, name: "postgres", host: HOST, port: pg.port, ...SETUP, ...over });

test("SELECT 1 in the expected database passes", async () => {
  const r = await checkOne(target());
  expect(r).toMatchObject({ status: "pass", check: "SELECT 1 in database platform", detail: "SELECT 1 ok, database platform" });
});

test("a wrong password fails once as an authentication failure and never shows the password", async () => {
  const r = await checkOne(target({ password: "wrong-pg-password" }), { ...FAST, retries: 2 });
  expect(r.status).toBe("fail");
  expect(r.detail).toMatch(/^authentication failed: (28P01: )?password authentication failed for user "platform"/);
  expect(r.attempts).toBe(1);
  expect(r.detail).not.toContain("wrong-pg-password");
});

test("a missing database fails once, naming it: no retry creates it", async () => {
  const r = await checkOne(target({ database: "analytics" }), { ...FAST, retries: 2 });
  expect(r.status).toBe("fail");
  expect(r.detail).toMatch(/^database analytics is missing: (3D000: )?database "analytics" does not exist/);
  expect(r.attempts).toBe(1);
});

test("a stopped server fails fast, well within the timeout", async () => {
  const port = pg.port;
  await pg.stop();
  const r = await checkOne({ ...target(), port });
  expect(r.status).toBe("fail");
  expect(r.detail).toMatch(/ECONNREFUSED/);
  expect(r.latencyMs).toBeLessThan(FAST.timeoutMs);
});
