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
      // The runner's timeout disconnects; ioredis' own connect timer would outlive a refused connection.
      connectTimeout: 0,
      // One attempt per call: the runner owns retries and backoff.
      retryStrategy: () => null,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
    });
    // With retries off, connect() only says "Connection is closed."; the reason comes as an event.
    let reason: unknown;
    client.on("error", (err) => (reason ??= err));
    const unregister = onAbort(ctx.signal, () => client.disconnect());
    try {
      await client.connect();
      const pong = await client.ping();
      if (pong !== "PONG") throw new CheckFailure(`PING answered ${JSON.stringify(pong)}, expected PONG`);
      return "PONG";
    } catch (err) {
      const cause = reason ?? err;
      if (/WRONGPASS|NOAUTH|invalid password|invalid username-password/i.test(String((cause as Error).message))) throw authFailure(cause);
      throw cause;
    } finally {
      unregister();
      // Disconnecting a connection that already ended leaves a 2 s ioredis timer behind.
      if (client.status !== "end") client.disconnect();
    }
  },
};
