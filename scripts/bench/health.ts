/**
 * Health-check benchmark (not a test): starts every real server on loopback, then prints
 *  1. the total time of one verify run with everything healthy against the slowest single check
 *     (the ratio shows how well the checks run in parallel; aim: 1.2 or less), and
 *  2. how long the report of a stopped and of a hung component takes against its configured timeout,
 *  3. the connections each kind of check leaves open after 30 timed-out attempts against a hung server.
 *
 *   npx ts-node --transpile-only scripts/bench/health.ts [rounds]
 */
import { Kafka, logLevel } from "kafkajs";
import { HealthTarget, runChecks } from "../../health";
import * as servers from "../servers/run";

const ROUNDS = Number(process.argv[2] ?? 5);
const HOST = servers.HOST;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function main(): Promise<void> {
  const started: servers.Running[] = [];
  const keep = <T extends servers.Running>(r: T) => (started.push(r), r);
  try {
    const t0 = Date.now();
    const [redis, pg, ch, kafka, prometheus, grafana, silent] = await Promise.all([
      servers.startRedis("bench-redis-pw").then(keep),
      servers.startPostgres({ user: "platform", password: "bench-pg-pw", database: "platform" }).then(keep),
      servers.startClickHouse({ user: "platform", password: "bench-ch-pw", database: "telemetry", tables: ["events", "positions"] }).then(keep),
      servers.startKafka().then(keep),
      servers.startPrometheus().then(keep),
      servers.startGrafanaStandIn().then(keep),
      servers.startSilent().then(keep),
    ]);
    const grpcServers = await Promise.all(["gateway", "refinement-api", "learning-api", "storage-service"].map(() => servers.startGrpcHealth({ "": "SERVING" }).then(keep)));
    const admin = new Kafka({ brokers: [`${HOST}:${kafka.port}`], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: "positions", numPartitions: 6, replicationFactor: 1 }] });
    await admin.disconnect();
    console.log(`servers started in ${Date.now() - t0} ms`);

    const targets: HealthTarget[] = [
      ...["gateway", "refinement-api", "learning-api", "storage-service"].map((name, i) => ({ kind: "grpc" as const, name, host: HOST, port: grpcServers[i].port })),
      { kind: "redis", name: "redis", host: HOST, port: redis.port, password: "bench-redis-pw" },
      { kind: "postgres", name: "postgres", host: HOST, port: pg.port, user: "platform", password: "bench-pg-pw", database: "platform" },
      { kind: "clickhouse", name: "clickhouse", host: HOST, port: ch.port, user: "platform", password: "bench-ch-pw", database: "telemetry", tables: ["events", "positions"] },
      { kind: "kafka", name: "kafka", host: HOST, port: kafka.port, brokers: 1, topics: [{ name: "positions", partitions: 6 }] },
      { kind: "prometheus", name: "prometheus", host: HOST, port: prometheus.port },
      { kind: "grafana", name: "grafana", host: HOST, port: grafana.port },
    ];
    const healthyOpts = { timeoutMs: 5000, retries: 0, backoffMs: 250 };
    // Prometheus needs its first scrape before its check can pass: wait for that, bounded.
    for (let i = 0; ; i++) {
      const warm = await runChecks(targets, healthyOpts);
      if (warm.ok) break;
      if (i === 40)
        throw new Error(
          `servers never all healthy:\n${warm.results
            .filter((r) => r.status === "fail")
            .map((r) => `${r.component}: ${r.detail}`)
            .join("\n")}`,
        );
      await new Promise((r) => setTimeout(r, 250));
    }

    const single = new Map<string, number[]>();
    const totals: number[] = [];
    const inRunSlowest: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      for (const t of targets) {
        const r = await runChecks([t], healthyOpts);
        if (!r.ok) throw new Error(`${t.name} unhealthy: ${r.results[0].detail}`);
        single.set(t.name, [...(single.get(t.name) ?? []), r.results[0].latencyMs]);
      }
      const all = await runChecks(targets, healthyOpts);
      if (!all.ok) throw new Error("a check failed during the benchmark");
      totals.push(all.durationMs);
      inRunSlowest.push(Math.max(...all.results.map((r) => r.latencyMs)));
    }
    console.log(`\n1. everything healthy (${targets.length} checks, median of ${ROUNDS} rounds)`);
    for (const [name, xs] of single) console.log(`   ${name.padEnd(16)} alone ${String(median(xs)).padStart(5)} ms`);
    const [slowestName, slowest] = [...single].map(([n, xs]) => [n, median(xs)] as const).sort((a, b) => b[1] - a[1])[0];
    const total = median(totals);
    console.log(`   slowest single check: ${slowestName} ${slowest} ms`);
    console.log(`   all checks in parallel: ${total} ms`);
    console.log(`   slowest check inside the parallel run: ${median(inRunSlowest)} ms (the others' CPU work delays it: 2 shared cores)`);
    console.log(`   ratio total / slowest single: ${(total / slowest).toFixed(2)} (aim: <= 1.2)`);

    console.log("\n2. time to report a failed component against its configured timeout");
    const redisTarget = targets.find((t) => t.kind === "redis")!;
    await redis.stop();
    for (const [label, opts] of [
      ["timeout 2 s, no retries", { timeoutMs: 2000, retries: 0, backoffMs: 500 }],
      ["timeout 2 s, 3 retries, backoff 500 ms", { timeoutMs: 2000, retries: 3, backoffMs: 500 }],
    ] as const) {
      const stopped = await runChecks([...targets.filter((t) => t !== redisTarget), redisTarget], opts);
      const row = stopped.results.find((r) => r.component === "redis")!;
      console.log(`   stopped redis (${label}): reported in ${stopped.durationMs} ms (check ${row.latencyMs} ms): ${row.detail}`);
    }
    for (const [label, opts, bound] of [
      ["timeout 2 s, no retries", { timeoutMs: 2000, retries: 0, backoffMs: 500 }, 2000],
      ["timeout 2 s, 1 retry, backoff 500 ms", { timeoutMs: 2000, retries: 1, backoffMs: 500 }, 4500],
    ] as const) {
      const hung = await runChecks([...targets.filter((t) => t !== redisTarget), { ...redisTarget, port: silent.port }], opts);
      const row = hung.results.find((r) => r.component === "redis")!;
      console.log(`   hung redis (${label}; bound ${bound} ms): reported in ${hung.durationMs} ms (check ${row.latencyMs} ms, ${((row.latencyMs / bound) * 100).toFixed(0)} % of bound)`);
    }

    console.log("\n3. connections open 1 s after 30 timed-out attempts (timeout 100 ms) against a server that accepts and never answers");
    for (const t of targets.filter((x, i, all) => all.findIndex((y) => y.kind === x.kind) === i)) {
      const [row] = (await runChecks([{ ...t, port: silent.port }], { timeoutMs: 100, retries: 29, backoffMs: 0 })).results;
      await new Promise((r) => setTimeout(r, 1000));
      console.log(`   ${t.kind.padEnd(11)} ${row.attempts} attempts, ${silent.openConnections()} open`);
    }
  } finally {
    await Promise.all(started.map((s) => s.stop().catch(() => undefined)));
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
