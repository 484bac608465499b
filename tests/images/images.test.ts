/**
 * Smoke tests of the stand-in images (scripts/images/build.sh): the dev stack's own pod specs run on
 * them with runc, and each server is shown to start as the spec's user on its read-only root and to
 * answer: probes pass, clients get real answers, wrong credentials are refused. Needs root, runc and
 * umoci, and the images built: `bash scripts/setup.sh images`.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { clickhouseTables } from "../../components/datastores/clickhouse";
import { named, ofType, ProgramRun, Registered, runProgram } from "../helpers/program";
import { archiveOf, Pod, podSpec, Running, secretValue, startPod } from "./pods";

jest.setTimeout(240_000);

const K = {
  sts: "kubernetes:apps/v1:StatefulSet",
  deploy: "kubernetes:apps/v1:Deployment",
  cron: "kubernetes:batch/v1:CronJob",
  job: "kubernetes:batch/v1:Job",
  cm: "kubernetes:core/v1:ConfigMap",
};

let dev: ProgramRun;
beforeAll(async () => {
  dev = await runProgram("dev");
});

/** A pod of a dev workload, each container on the image named for it. */
function pod(type: string, name: string, images: Record<string, string>, hosts: string[] = [], podName = name): Pod {
  const spec = podSpec(named(dev, type, name));
  const configMaps = Object.fromEntries(ofType(dev, K.cm).map((r: Registered) => [r.inputs.metadata.name, r.inputs.data]));
  return { name: podName, spec, configMaps, hosts, containers: spec.containers.map((c: any) => ({ image: images[c.name], spec: c })) };
}

function container(type: string, name: string, image: string, override: Record<string, unknown> = {}) {
  const spec = podSpec(dev.resources.find((r) => r.type === type && r.inputs.metadata.name.startsWith(name))!);
  return { image, spec: { ...spec.containers[0], ...override }, volumes: spec.volumes ?? [] };
}

/** The test value of the Secret key an env variable of a container reads. */
function secretOf(p: Pod, containerName: string, envName: string): string {
  const ref = p.containers.find((c) => c.spec.name === containerName)!.spec.env.find((e: any) => e.name === envName).valueFrom.secretKeyRef;
  return secretValue(ref.name, ref.key);
}

async function withPod(p: Pod, readyMs: number, body: (r: Running) => Promise<void>): Promise<void> {
  const running = await startPod(p);
  try {
    await running.ready(readyMs);
    await body(running);
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${running.logs()}`);
  } finally {
    await running.stop();
  }
}

/** The first result of fn that does not throw, trying for at most timeoutMs. */
async function eventually<T>(fn: () => Promise<T>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await sleep(1000);
    }
  }
}

test("every image the checks below run has been built", () => {
  const missing = ["redis", "redis-exporter", "postgres", "postgres-exporter", "clickhouse", "kafka", "prometheus", "alertmanager", "grafana", "kube-state-metrics"].filter(
    (n) => archiveOf(n) === undefined,
  );
  expect(missing).toEqual([]);
});

test("Redis with its exporter: PING answers with the password, is refused without it; the exporter sees Redis up", async () => {
  const p = pod(K.sts, "redis", { redis: "redis", exporter: "redis-exporter" });
  await withPod(p, 60_000, async (r) => {
    expect((await r.exec("redis", ["redis-cli", "ping"])).trim()).toBe("PONG");
    await r.exec("redis", ["redis-cli", "set", "image-test", "kept"]);
    expect((await r.exec("redis", ["redis-cli", "get", "image-test"])).trim()).toBe("kept");
    expect(await r.exec("redis", ["redis-cli", "ping"], { REDISCLI_AUTH: "wrong" })).toMatch(/WRONGPASS|NOAUTH/);
    expect((await r.http(9121, "/metrics")).body).toMatch(/^redis_up 1$/m);
    // appendonly with --dir /data: the data lands on the volume, not the read-only root.
    expect(await r.exec("redis", ["ls", "/data"])).toMatch(/appendonly/);
  });
});

test("Postgres: first start initialises the database and user from POSTGRES_*; SELECT 1 over TCP with the password; the backup script and the exporter work", async () => {
  const p = pod(K.sts, "postgres", { postgres: "postgres", exporter: "postgres-exporter" }, ["postgres"]);
  const password = secretOf(p, "postgres", "POSTGRES_PASSWORD");
  await withPod(p, 120_000, async (r) => {
    // Through the Service's name: the image trusts only socket and 127.0.0.1 connections, like upstream.
    const psql = ["psql", "-h", "postgres", "-U", "platform", "-d", "platform", "-tAc"];
    // Ready (pg_isready on the socket) comes while the entrypoint's socket-only init server runs, as upstream.
    expect((await eventually(() => r.exec("postgres", [...psql, "SELECT 1"], { PGPASSWORD: password }), 60_000)).trim()).toBe("1");
    await expect(r.exec("postgres", [...psql, "SELECT 1"], { PGPASSWORD: "wrong" })).rejects.toThrow(/password authentication failed/);
    expect((await r.http(9187, "/metrics")).body).toMatch(/^pg_up 1$/m);

    const backup = await r.runOnce(container(K.cron, "postgres-backup", "postgres"), 60_000);
    expect(backup).toEqual({ code: 0, output: expect.stringMatching(/backup written: \/backups\/platform-\d{8}T\d{6}Z\.dump/) });
  });
});

test("ClickHouse 18.16: the program's user and schema are set up from CLICKHOUSE_* and the init files; SELECT 1 with the password, refused without; metrics on 9363 (stand-in)", async () => {
  const p = pod(K.sts, "clickhouse", { clickhouse: "clickhouse" });
  const password = secretOf(p, "clickhouse", "CLICKHOUSE_PASSWORD");
  await withPod(p, 120_000, async (r) => {
    const client = (pw: string, q: string) => r.exec("clickhouse", ["clickhouse-client", "--user", "platform", "--password", pw, "--query", q]);
    expect((await client(password, "SELECT 1")).trim()).toBe("1");
    // The entrypoint's init server answers on loopback too, and this pod network is loopback only:
    // the probe can pass before the init files ran, and a query can meet the gap between the init
    // server's stop and the real server's start. So the end of init is awaited in the log, then the
    // real server (both bounded).
    await eventually(async () => expect(r.output("clickhouse")).toMatch(/^ClickHouse init process complete/m), 60_000);
    const tables = await eventually(async () => (await client(password, "SHOW TABLES FROM telemetry")).trim().split("\n").sort(), 60_000);
    expect(tables).toEqual(clickhouseTables("telemetry").sort());
    await expect(client("wrong", "SELECT 1")).rejects.toThrow(/password|Authentication/i);
    // The metrics stand-in (18.16 has no <prometheus> endpoint) serves ClickHouse's names on 9363.
    const metrics = (await r.http(9363, "/metrics")).body;
    expect(metrics).toMatch(/^# TYPE ClickHouseMetrics_Query gauge$/m);
    expect(metrics).toMatch(/^ClickHouseProfileEvents_Query \d+$/m);
    expect(metrics).toMatch(/^ClickHouseAsyncMetrics_Uptime \d+$/m);
    // Text exposition Prometheus accepts: valid names, each once.
    const samples = metrics.split("\n").filter((l) => l && !l.startsWith("#"));
    expect(samples.filter((l) => !/^[a-zA-Z_:][a-zA-Z0-9_:]* -?[0-9.e+]+$/.test(l))).toEqual([]);
    const names = samples.map((l) => l.split(" ")[0]);
    expect(names.length).toBe(new Set(names).size);
  });
});

test("Kafka in KRaft from KAFKA_* env: the broker answers, the topics Job creates the dev topics, the quorum has its voter", async () => {
  const p = pod(K.sts, "kafka", { kafka: "kafka" }, ["kafka-0.kafka-headless"], "kafka-0");
  await withPod(p, 150_000, async (r) => {
    const job = await r.runOnce(container(K.job, "kafka-topics", "kafka"), 120_000);
    expect(job.code).toBe(0);
    // The pod's KAFKA_LOG4J_OPTS (the broker's console log4j at INFO) would reach these tools too:
    // an operator's exec gets the tools' own quiet configuration the same way.
    const kafkaTool = (name: string) => ["env", "KAFKA_LOG4J_OPTS=-Dlog4j.configuration=file:/opt/kafka/config/tools-log4j.properties", `/opt/kafka/bin/${name}`];
    const topics = await r.exec("kafka", [...kafkaTool("kafka-topics.sh"), "--bootstrap-server", "kafka-0.kafka-headless:9092", "--list"]);
    expect(
      topics
        .trim()
        .split("\n")
        .filter((t) => !t.startsWith("__"))
        .sort(),
    ).toEqual(["raw-positions", "refined-tracks"]);
    const quorum = await r.exec("kafka", [...kafkaTool("kafka-metadata-quorum.sh"), "--bootstrap-server", "kafka-0.kafka-headless:9092", "describe", "--status"]);
    expect(quorum).toMatch(/CurrentVoters:\s+\[\{?"?id"?:?\s*0|CurrentVoters:\s+\[0\]/);
  });
});

test("Prometheus and Alertmanager start on the program's configuration and report ready", async () => {
  await withPod(pod(K.sts, "prometheus", { prometheus: "prometheus" }), 60_000, async (r) => {
    expect((await r.http(9090, "/-/ready")).status).toBe(200);
    expect((await r.http(9090, "/api/v1/rules")).body).toMatch(/"groups":\[\{/);
  });
  await withPod(pod(K.sts, "alertmanager", { alertmanager: "alertmanager" }, [], "alertmanager-0"), 60_000, async (r) => {
    expect((await r.http(9093, "/-/ready")).status).toBe(200);
  });
});

test("the Grafana stand-in: /api/health ok, the provisioned dashboards behind the admin user's password", async () => {
  const p = pod(K.deploy, "grafana", { grafana: "grafana" });
  const user = secretOf(p, "grafana", "GF_SECURITY_ADMIN_USER");
  const password = secretOf(p, "grafana", "GF_SECURITY_ADMIN_PASSWORD");
  const boards = Object.keys(named(dev, K.cm, "grafana-dashboards").inputs.data);
  await withPod(p, 30_000, async (r) => {
    expect(JSON.parse((await r.http(3000, "/api/health")).body)).toMatchObject({ database: "ok", version: expect.stringMatching(/^stand-in/) });
    const search = await r.http(3000, "/api/search", `${user}:${password}`);
    expect(JSON.parse(search.body)).toHaveLength(boards.length);
    expect((await r.http(3000, "/api/search", `${user}:wrong`)).status).toBe(401);
  });
});

test("kube-state-metrics runs as its image user and reports the pinned version", async () => {
  const p = pod(K.deploy, "kube-state-metrics", {});
  const result = await startPod({ ...p, containers: [] }).then(async (r) => {
    try {
      return await r.runOnce(container(K.deploy, "kube-state-metrics", "kube-state-metrics", { args: ["version"] }), 30_000);
    } finally {
      await r.stop();
    }
  });
  expect(result).toEqual({ code: 0, output: expect.stringMatching(/v2\.13\.0/) });
});
