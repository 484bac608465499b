import { checkOne, FAST } from "./check-one";
import { HOST, Running, startRedis } from "./servers";

const PASSWORD = "redis-Pa55-word";
let redis: Running;
beforeAll(async () => {
  redis = await startRedis(PASSWORD);
});
afterAll(() => redis?.stop());

const target = (password?: string) => ({ kind: "redis" as const, name: "redis", host: HOST, port: redis.port, password });

test("an authenticated PING passes", async () => {
  const r = await checkOne(target(PASSWORD));
  expect(r).toMatchObject({ status: "pass", check: "PING with auth", detail: "PONG", attempts: 1 });
});

test("a wrong password fails at once as an authentication failure, without retries and without showing it", async () => {
  const r = await checkOne(target("not-the-password"), { ...FAST, retries: 3 });
  expect(r.status).toBe("fail");
  expect(r.detail).toMatch(/^authentication failed: WRONGPASS/);
  expect(r.attempts).toBe(1);
  expect(r.detail).not.toContain("not-the-password");
});

test("no password against a server that requires one fails as an authentication failure", async () => {
  const r = await checkOne(target(undefined));
  expect(r.detail).toMatch(/^authentication failed: NOAUTH/);
});

test("a stopped server fails fast, well within the timeout", async () => {
  const port = redis.port;
  await redis.stop();
  const r = await checkOne({ kind: "redis", name: "redis", host: HOST, port, password: PASSWORD });
  expect(r.status).toBe("fail");
  expect(r.detail).toMatch(/ECONNREFUSED/);
  expect(r.latencyMs).toBeLessThan(FAST.timeoutMs);
});
