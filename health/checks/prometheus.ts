/** Prometheus: /-/ready must answer 200 and every active scrape target must be up. */
import { z } from "zod";
import { addressOf, ParsedTarget } from "../targets";
import { Check, plural } from "./check";
import { CheckFailure } from "./failure";
import { getJson, getOk } from "./http";

type PrometheusTarget = Extract<ParsedTarget, { kind: "prometheus" }>;
const TargetsResponse = z.object({
  data: z.object({
    activeTargets: z.array(
      z.object({ health: z.string(), lastError: z.string().default(""), scrapeUrl: z.string(), labels: z.record(z.string(), z.string()).default({}) }),
    ),
  }),
});

export const prometheusCheck: Check<PrometheusTarget> = {
  describe: () => "ready, scrape targets up",
  async run(t, ctx) {
    const base = `http://${addressOf(t)}`;
    await getOk(`${base}/-/ready`, ctx.signal);
    const { data } = await getJson(`${base}/api/v1/targets?state=active`, ctx.signal, TargetsResponse);
    const targets = data.activeTargets;
    const down = targets.filter((x) => x.health !== "up");
    if (down.length) {
      const list = down.map((x) => `${x.labels.job ?? "?"}/${x.labels.instance ?? x.scrapeUrl} ${x.health}${x.lastError ? ` (${x.lastError})` : ""}`);
      throw new CheckFailure(`${down.length} of ${plural(targets.length, "target")} not up: ${list.join("; ")}`);
    }
    if (targets.length < t.minTargets) throw new CheckFailure(`${plural(targets.length, "active target")}, expected at least ${t.minTargets}`);
    return `ready, ${targets.length}/${targets.length} targets up`;
  },
};
