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
      z.object({
        health: z.string(),
        lastError: z.string().default(""),
        scrapeUrl: z.string(),
        labels: z.record(z.string(), z.string()).default({}),
        scrapeInterval: z.string().default(""),
      }),
    ),
  }),
});

/** A Prometheus duration such as 30s, 1m or 1m30s in milliseconds (0 when absent or unreadable). */
export function durationMs(d: string): number {
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const parts = [...d.matchAll(/(\d+)(ms|s|m|h)/g)];
  return parts.length && parts.map((p) => p[0]).join("") === d ? parts.reduce((sum, p) => sum + Number(p[1]) * units[p[2]], 0) : 0;
}

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
      const message = `${down.length} of ${plural(targets.length, "target")} not up: ${list.join("; ")}`;
      // A target's health changes only at its next scrape, so the next attempt waits one scrape
      // interval instead of the short backoff: targets discovered but not scraped yet ("unknown", as
      // after a deploy), and new pods whose first scrape was refused while the network plugin had not
      // yet applied their NetworkPolicy (about a second on kube-router, so "down" once after a rollout).
      const pending = down.every((x) => x.health === "unknown");
      throw new CheckFailure(pending ? `${message} (not scraped yet)` : message, undefined, Math.max(...down.map((x) => durationMs(x.scrapeInterval))) + 1000);
    }
    if (targets.length < t.minTargets) throw new CheckFailure(`${plural(targets.length, "active target")}, expected at least ${t.minTargets}`);
    return `ready, ${targets.length}/${targets.length} targets up`;
  },
};
