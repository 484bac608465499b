/** ClickHouse (HTTP interface): SELECT 1 in the expected database, and every expected table there. */
import { ClickHouseLogLevel, createClient } from "@clickhouse/client";
import { addressOf, ParsedTarget } from "../targets";
import { Check, plural } from "./check";
import { authFailure, CheckFailure, missingDatabase } from "./failure";

type ClickHouseTarget = Extract<ParsedTarget, { kind: "clickhouse" }>;

/** Server error codes: REQUIRED_PASSWORD, WRONG_PASSWORD, UNKNOWN_USER, AUTHENTICATION_FAILED; UNKNOWN_DATABASE. */
const AUTH_CODES = new Set(["194", "193", "192", "516"]);
const UNKNOWN_DATABASE = "81";

export const clickhouseCheck: Check<ClickHouseTarget> = {
  describe: (t) => `SELECT 1, database ${t.database}${t.tables.length ? `, ${plural(t.tables.length, "table")}` : ""}`,
  async run(t, ctx) {
    const client = createClient({
      url: `http://${addressOf(t)}`,
      username: t.user,
      password: t.password,
      database: t.database,
      request_timeout: ctx.timeoutMs,
      max_open_connections: 1,
      log: { level: ClickHouseLogLevel.OFF },
    });
    // Plain queries without server-side parameters, so servers from 18.x on all understand them.
    const rows = async <R>(query: string) => (await client.query({ query, format: "JSONEachRow", abort_signal: ctx.signal })).json<R>();
    try {
      const one = await rows<{ ok: number }>("SELECT 1 AS ok");
      if (Number(one[0]?.ok) !== 1) throw new CheckFailure(`SELECT 1 returned ${JSON.stringify(one)}`);
      const present = new Set((await rows<{ name: string }>("SELECT name FROM system.tables WHERE database = currentDatabase()")).map((r) => r.name));
      const missing = t.tables.filter((name) => !present.has(name));
      if (missing.length) throw new CheckFailure(`missing table${missing.length > 1 ? "s" : ""} in ${t.database}: ${missing.join(", ")}`);
      return `SELECT 1 ok, database ${t.database}${t.tables.length ? `, tables ${t.tables.join(", ")}` : ""}`;
    } catch (err) {
      // The client parses codes from current servers' messages; older servers' need the regex.
      const code = (err as { code?: string }).code ?? /\bCode: (\d+)/.exec(String((err as Error).message))?.[1];
      if (code && AUTH_CODES.has(code)) throw authFailure(err);
      if (code === UNKNOWN_DATABASE) throw missingDatabase(t.database, err);
      throw err;
    } finally {
      await client.close();
    }
  },
};
