/** Redis: an authenticated PING must answer PONG. */
import Redis from "ioredis";
import { ParsedTarget } from "../targets";
import { Check, onAbort } from "./check";
import { authFailure, CheckFailure } from "./failure";

type RedisTarget = Extract<ParsedTarget, { kind: "redis" }>;

export const redisCheck: Check<RedisTarget> = {
  describe: (t) => (t.password ? "PING with auth" : "PING"),
  async run(t, ctx) {
    const client = new Redis({
      host: t.host,
      port: t.port,
      username: t.username,
      password: t.password,
      lazyConnect: true,
      connectTimeout: ctx.timeoutMs,
      // One attempt per call: the runner owns retries and backoff.
      retryStrategy: () => null,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
    });
    client.on("error", () => undefined); // errors arrive through connect()/ping(); avoid ioredis' unhandled-error log
    const unregister = onAbort(ctx.signal, () => client.disconnect());
    try {
      await client.connect();
      const pong = await client.ping();
      if (pong !== "PONG") throw new CheckFailure(`PING answered ${JSON.stringify(pong)}, expected PONG`);
      return "PONG";
    } catch (err) {
      if (/WRONGPASS|NOAUTH|invalid password|invalid username-password/i.test(String((err as Error).message))) throw authFailure(err);
      throw err;
    } finally {
      unregister();
      client.disconnect();
    }
  },
};
