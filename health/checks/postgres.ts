/** Postgres: log in to the expected database and run SELECT 1. */
import { Client } from "pg";
import { ParsedTarget } from "../targets";
import { Check, onAbort } from "./check";
import { authFailure, CheckFailure, missingDatabase } from "./failure";

type PostgresTarget = Extract<ParsedTarget, { kind: "postgres" }>;

/** SQLSTATEs of a rejected login (invalid_password, invalid_authorization_specification). */
const AUTH_CODES = new Set(["28P01", "28000"]);
const INVALID_CATALOG = "3D000";

export const postgresCheck: Check<PostgresTarget> = {
  describe: (t) => `SELECT 1 in database ${t.database}`,
  async run(t, ctx) {
    const client = new Client({
      host: t.host,
      port: t.port,
      user: t.user,
      password: t.password,
      database: t.database,
      connectionTimeoutMillis: ctx.timeoutMs,
      query_timeout: ctx.timeoutMs,
    });
    client.on("error", () => undefined); // a dropped connection after the check is not a result
    const unregister = onAbort(ctx.signal, () => void client.end().catch(() => undefined));
    try {
      await client.connect();
      const res = await client.query<{ ok: number; db: string }>("SELECT 1 AS ok, current_database() AS db");
      if (res.rows[0]?.ok !== 1) throw new CheckFailure(`SELECT 1 returned ${JSON.stringify(res.rows)}`);
      return `SELECT 1 ok, database ${res.rows[0].db}`;
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code && AUTH_CODES.has(code)) throw authFailure(err);
      if (code === INVALID_CATALOG) throw missingDatabase(t.database, err);
      throw err;
    } finally {
      unregister();
      await client.end().catch(() => undefined);
    }
  },
};
