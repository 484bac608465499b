/** Grafana: /api/health must answer 200 with database "ok". */
import { z } from "zod";
import { addressOf, ParsedTarget } from "../targets";
import { Check } from "./check";
import { CheckFailure } from "./failure";
import { getJson } from "./http";

type GrafanaTarget = Extract<ParsedTarget, { kind: "grafana" }>;
const Health = z.object({ database: z.string().optional(), version: z.string().optional() });

export const grafanaCheck: Check<GrafanaTarget> = {
  describe: () => "/api/health",
  async run(t, ctx) {
    const health = await getJson(`http://${addressOf(t)}/api/health`, ctx.signal, Health);
    if (health.database !== "ok") throw new CheckFailure(`database is ${JSON.stringify(health.database ?? null)}, expected "ok"`);
    return `database ok${health.version ? `, version ${health.version}` : ""}`;
  },
};
