import { createServer, Server } from "node:http";
import { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { durationMs } from "../../health/checks/prometheus";
import { checkOne, FAST } from "./check-one";
import { HOST, Running, startPrometheus } from "../../scripts/servers/run";

/** A scrape target the test can take down. */
let exporter: Server;
let exporterAddress: string;
let prometheus: Running;
beforeAll(async () => {
  exporter = createServer((_, res) => res.end("up_probe 1\n"));
  await new Promise<void>((resolve) => exporter.listen(0, HOST, resolve));
  exporterAddress = `${HOST}:${(exporter.address() as AddressInfo).port}`;
  prometheus = await startPrometheus([exporterAddress]);
  await scraped(2);
}, 60_000);

/** Waits (bounded) until Prometheus has scraped `count` targets, as it will have some time after a deploy. */
async function scraped(count: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const res = await fetch(`http://${HOST}:${prometheus.port}/api/v1/targets?state=active`).catch(() => undefined);
    const body = res?.ok ? ((await res.json()) as { data: { activeTargets: Array<{ health: string }> } }) : undefined;
    if (body?.data.activeTargets.filter((t) => t.health === "up").length === count) return;
    await sleep(200);
  }
  throw new Error(`Prometheus did not scrape ${count} targets within 20 s`);
}
afterAll(async () => {
  exporter.closeAllConnections();
  exporter.close();
  await prometheus?.stop();
});

const target = (minTargets?: number) => ({ kind: "prometheus" as const, name: "prometheus", host: HOST, port: prometheus.port, minTargets });

test("a ready server whose scrape targets are all up passes", async () => {
  const r = await checkOne(target(2), FAST);
  expect(r).toMatchObject({ status: "pass", check: "ready, scrape targets up", detail: "ready, 2/2 targets up" });
});

test("fewer active targets than expected fails", async () => {
  const r = await checkOne(target(5), FAST);
  expect(r.status).toBe("fail");
  expect(r.detail).toMatch(/^2 active targets, expected at least 5/);
});

test("a scrape target that went down fails naming its job and instance", async () => {
  exporter.closeAllConnections();
  await new Promise((resolve) => exporter.close(resolve));
  await sleep(2500); // two scrape intervals, so Prometheus has seen it down
  const r = await checkOne(target(), FAST);
  expect(r.status).toBe("fail");
  expect(r.detail).toContain(`1 of 2 targets not up: extra/${exporterAddress} down (`);
});

test("a stopped server fails fast, well within the timeout", async () => {
  const port = prometheus.port;
  await prometheus.stop();
  const r = await checkOne({ ...target(), port });
  expect(r.status).toBe("fail");
  expect(r.detail).toMatch(/ECONNREFUSED/);
  expect(r.latencyMs).toBeLessThan(FAST.timeoutMs);
});

describe.each(["unknown", "down"])("targets %s until their next scrape (not scraped yet, or a new pod's first scrape refused, as right after a deploy)", (before) => {
  /** Prometheus's targets API as it answers before and after the next scrape of a 2 s interval. */
  let api: Server;
  let port: number;
  let scrapedAt: number;
  beforeAll(async () => {
    api = createServer((req, res) => {
      if (req.url === "/-/ready") {
        res.end("Prometheus Server is Ready.\n");
        return;
      }
      const health = Date.now() >= scrapedAt ? "up" : before;
      const t = (job: string) => ({
        health,
        lastError: health === "down" ? "connection refused" : "",
        scrapeUrl: `http://10.0.0.1:9100/metrics`,
        scrapeInterval: "2s",
        labels: { job, instance: "10.0.0.1:9100" },
      });
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ status: "success", data: { activeTargets: [t("a"), t("b")], droppedTargets: [] } }));
    });
    await new Promise<void>((resolve) => api.listen(0, HOST, resolve));
    port = (api.address() as AddressInfo).port;
  });
  afterAll(() => new Promise((resolve) => api.close(resolve)));

  test("the next attempt waits one scrape interval instead of the short backoff, then passes", async () => {
    scrapedAt = Date.now() + 1500;
    const r = await checkOne({ kind: "prometheus", name: "prometheus", host: HOST, port }, { timeoutMs: 1500, retries: 1, backoffMs: 10 });
    expect(r).toMatchObject({ status: "pass", attempts: 2, detail: "ready, 2/2 targets up" });
    // The 10 ms backoff alone would have retried before the next scrape.
    expect(r.latencyMs).toBeGreaterThanOrEqual(2900);
  });

  test(`targets still ${before} after the retries fail, saying so`, async () => {
    scrapedAt = Date.now() + 60_000;
    const r = await checkOne({ kind: "prometheus", name: "prometheus", host: HOST, port }, { timeoutMs: 1500, retries: 0, backoffMs: 10 });
    expect(r.status).toBe("fail");
    expect(r.detail).toBe(
      before === "unknown"
        ? "2 of 2 targets not up: a/10.0.0.1:9100 unknown; b/10.0.0.1:9100 unknown (not scraped yet)"
        : "2 of 2 targets not up: a/10.0.0.1:9100 down (connection refused); b/10.0.0.1:9100 down (connection refused)",
    );
  });
});

test.each([
  ["30s", 30_000],
  ["1m", 60_000],
  ["1m30s", 90_000],
  ["500ms", 500],
  ["", 0],
  ["soon", 0],
])("Prometheus duration %p is %p ms", (d, ms) => expect(durationMs(d)).toBe(ms));
