/**
 * Redis: PING must answer PONG. With a password, the check also proves that the server enforces it:
 * a PING before AUTH must be refused (NOAUTH), then AUTH and PING must succeed.
 */
import Redis from "ioredis";
import { ParsedTarget } from "../targets";
import { Check, onAbort } from "./check";
import { authFailure, CheckFailure } from "./failure";

type RedisTarget = Extract<ParsedTarget, { kind: "redis" }>;

/** What the server's error reply means, by its first word. */
function explain(err: unknown): unknown {
  const reply = String((err as Error).message ?? err);
  const code = reply.split(" ")[0];
  if (code === "WRONGPASS" || code === "NOAUTH" || /invalid password|invalid username-password/i.test(reply)) return authFailure(err);
  if (code === "LOADING") return new CheckFailure(`loading: the server is still loading its dataset into memory (${reply})`);
  if (code === "DENIED") {
    return new CheckFailure(`refused by protected mode: the server has no password and accepts only loopback clients (${reply.split(". ")[0]})`, "server configuration");
  }
  return err;
}

export const redisCheck: Check<RedisTarget> = {
  describe: (t) => (t.password ? "PING with auth" : "PING"),
  async run(t, ctx) {
    const client = new Redis({
      host: t.host,
      port: t.port,
      lazyConnect: true,
      // The runner's timeout disconnects; ioredis' own connect timer would outlive a refused connection.
      connectTimeout: 0,
      // One attempt per call: the runner owns retries and backoff.
      retryStrategy: () => null,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      // The ready check (INFO) waits while the server loads its dataset; PING reports LOADING at once.
      enableReadyCheck: false,
      // No CLIENT SETINFO on connect: protected mode's DENIED would answer it and be swallowed,
      // leaving only "Connection is closed." for the PING.
      disableClientInfo: true,
    });
    // Why a connection failed comes as an event; the command itself only says "Connection is closed.".
    let reason: unknown;
    client.on("error", (err) => (reason ??= err));
    const unregister = onAbort(ctx.signal, () => client.disconnect());
    try {
      await client.connect();
      if (t.password) {
        const open = await client.ping().then(
          () => true,
          (err: Error) => {
            if (err.message.startsWith("NOAUTH")) return false;
            throw err;
          },
        );
        if (open) throw new CheckFailure("PING without a password answered PONG: the server does not enforce authentication", "server configuration");
        await (t.username ? client.auth(t.username, t.password) : client.auth(t.password));
      }
      const pong = await client.ping();
      if (pong !== "PONG") throw new CheckFailure(`PING answered ${JSON.stringify(pong)}, expected PONG`);
      return "PONG";
    } catch (err) {
      throw explain(err instanceof CheckFailure ? err : (reason ?? err));
    } finally {
      unregister();
      // Disconnecting a connection that already ended leaves a 2 s ioredis timer behind.
      if (client.status !== "end") client.disconnect();
    }
  },
};
