import { createServer, Server } from "node:http";
import { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { checkOne, FAST } from "./check-one";
import { HOST, Running, startPrometheus } from "./servers";

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
