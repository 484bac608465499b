import { checkOne, FAST } from "./check-one";
import { HOST, Running, startLoadingRedis, startRedis, startRelayFromOtherAddress } from "../../scripts/servers/run";

const PASSWORD = "redis-Pa55-word";
let redis: Running;
beforeAll(async () => {
  redis = await startRedis(PASSWORD);
});
afterAll(() => redis?.stop());

const target = (password?: string, port = redis.port) => ({ kind: "redis" as const, name: "redis", host: HOST, port, password });

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

test("an ACL user logs in with its name and password", async () => {
  const acl = await startRedis(PASSWORD, ["--user", "app", "on", ">app-Pa55-word", "~*", "+@all"]);
  try {
    const as = (password: string) => ({ ...target(password, acl.port), username: "app" });
    expect(await checkOne(as("app-Pa55-word"))).toMatchObject({ status: "pass", detail: "PONG" });
    expect((await checkOne(as(PASSWORD))).detail).toMatch(/^authentication failed: WRONGPASS/);
  } finally {
    await acl.stop();
  }
});

describe("a server without a password", () => {
  let open: Running;
  beforeAll(async () => {
    open = await startRedis(undefined);
  });
  afterAll(() => open?.stop());

  test("fails 'PING with auth': auth is not enforced, and no retry changes that", async () => {
    const r = await checkOne(target(PASSWORD, open.port), { ...FAST, retries: 3 });
    expect(r).toMatchObject({ status: "fail", check: "PING with auth", attempts: 1 });
    expect(r.detail).toBe("PING without a password answered PONG: the server does not enforce authentication");
  });

  test("passes a plain PING when the target expects no password", async () => {
    expect(await checkOne(target(undefined, open.port))).toMatchObject({ status: "pass", check: "PING", detail: "PONG" });
  });

  test("refusing a client in protected mode is reported as such, not as a closed connection", async () => {
    const relay = await startRelayFromOtherAddress(open.port);
    try {
      for (const password of [undefined, PASSWORD]) {
        const r = await checkOne(target(password, relay.port), { ...FAST, retries: 2 });
        expect(r.status).toBe("fail");
        expect(r.detail).toMatch(/^refused by protected mode: the server has no password and accepts only loopback clients \(DENIED Redis is running in protected mode/);
        expect(r.attempts).toBe(1);
      }
    } finally {
      await relay.stop();
    }
  });
});

test("a server still loading its dataset is reported as loading, at once, and retried", async () => {
  const loading = await startLoadingRedis(PASSWORD);
  try {
    const r = await checkOne(target(PASSWORD, loading.port), { ...FAST, retries: 1 });
    expect(r.status).toBe("fail");
    expect(r.detail).toMatch(/^loading: the server is still loading its dataset into memory \(LOADING Redis is loading the dataset in memory\)/);
    expect(r.attempts).toBe(2);
    expect(r.latencyMs).toBeLessThan(FAST.timeoutMs);
  } finally {
    await loading.stop();
  }
});

test("a stopped server fails fast, well within the timeout", async () => {
  const port = redis.port;
  await redis.stop();
  const r = await checkOne({ kind: "redis", name: "redis", host: HOST, port, password: PASSWORD });
  expect(r.status).toBe("fail");
  expect(r.detail).toMatch(/ECONNREFUSED/);
  expect(r.latencyMs).toBeLessThan(FAST.timeoutMs);
});
