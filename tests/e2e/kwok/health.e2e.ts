/**
 * The post-deploy health gate and `verify` on the real engine, reaching real servers. Under KWOK no
 * container runs, so the pods' ports are forwarded by KWOK (a ClusterPortForward rule) to servers
 * this test starts on loopback: the Kubernetes API's pod port-forward, which the gate and `verify`
 * use as `kubectl port-forward` does, then ends at a real Redis, Postgres, ClickHouse, Kafka,
 * Prometheus and gRPC health servers. The gate passes, `verify --stack` passes through the same
 * path, and fails naming Redis once Redis is stopped.
 */
import { execFile } from "child_process";
import * as path from "path";
import { promisify } from "util";
import { Kafka, logLevel } from "kafkajs";
import * as servers from "../../../scripts/servers/run";
import { Engine, kubectl, ok, project, pulumi, REPO, startEngine, stopEngine } from "../engine";

const NAMESPACE = "platform-dev";
const PASSWORDS = { redisPassword: "e2e-Redis-Pw-7731", clickhousePassword: "e2e-ClickHouse-Pw-7731", postgresPassword: "e2e-Postgres-Pw-7731" };
const SERVICES = { gateway: 50050, "refinement-api": 50051, "learning-api": 50052, "storage-service": 50053 };

/** The exit code, with the output when it is not the expected one, so a failure shows why. */
const exited = (r: { code: number; output: string }, code: number) => ({ code: r.code, output: r.code === code ? "" : r.output });

/** Asynchronous: the gRPC and Grafana servers live in this process and must answer meanwhile. */
async function run(e: Engine, cmd: string, args: string[], cwd: string): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(cmd, args, { env: e.env, cwd, maxBuffer: 64 * 1024 * 1024, timeout: 900_000 });
    return { code: 0, output: `${stdout}\n${stderr}` };
  } catch (err) {
    const x = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof x.code === "number" ? x.code : 1, output: `${x.stdout ?? ""}\n${x.stderr ?? ""}` };
  }
}

let e: Engine;
let dir: string;
let redis: servers.Running;
const started: servers.Running[] = [];

beforeAll(async () => {
  e = startEngine("health");
  const keep = <T extends servers.Running>(r: T) => (started.push(r), r);
  const [r, pg, ch, kafka, prometheus, grafana] = await Promise.all([
    servers.startRedis(PASSWORDS.redisPassword).then(keep),
    servers.startPostgres({ user: "platform", password: PASSWORDS.postgresPassword, database: "platform" }).then(keep),
    servers.startClickHouse({ user: "platform", password: PASSWORDS.clickhousePassword, database: "telemetry", tables: ["raw_positions", "refined_tracks"] }).then(keep),
    servers.startKafka().then(keep),
    servers.startPrometheus().then(keep),
    servers.startGrafanaStandIn().then(keep),
  ]);
  redis = r;
  const grpcServers = await Promise.all(Object.keys(SERVICES).map(() => servers.startGrpcHealth({ "": "SERVING" }).then(keep)));
  const admin = new Kafka({ brokers: [`${servers.HOST}:${kafka.port}`], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: ["raw-positions", "refined-tracks"].map((topic) => ({ topic, numPartitions: 1, replicationFactor: 1 })) });
  await admin.disconnect();

  // Every pod port of the platform namespace leads to the server standing in for it.
  const forwards = [
    ...Object.values(SERVICES).map((port, i) => [port, grpcServers[i].port]),
    [6379, r.port],
    [5432, pg.port],
    [8123, ch.port],
    [9092, kafka.port],
    [9090, prometheus.port],
    [3000, grafana.port],
  ].map(([port, target]) => ({ ports: [port], target: { port: target, address: servers.HOST } }));
  const rule = { apiVersion: "kwok.x-k8s.io/v1alpha1", kind: "ClusterPortForward", metadata: { name: "platform-dev-to-loopback" }, spec: { selector: { matchNamespaces: [NAMESPACE] }, forwards } };
  const applied = await run(e, "bash", ["-c", `kubectl apply -f - <<'EOF'\n${JSON.stringify(rule)}\nEOF`], REPO);
  if (applied.code !== 0) throw new Error(`ClusterPortForward: ${applied.output}`);

  dir = project(e, "dev", ["health.enabled=true", "health.retries=2", "health.timeoutSeconds=5"], "dev-health");
  for (const [key, value] of Object.entries(PASSWORDS)) ok(pulumi(e, dir, ["config", "set", "--secret", `platform:${key}`, value, "--stack", "dev"]), `config set ${key}`);
}, 600_000);

afterAll(async () => {
  if (dir) pulumi(e, dir, ["destroy", "--stack", "dev", "--yes", "--skip-preview"]);
  stopEngine(e);
  await Promise.all(started.map((s) => s.stop()));
}, 600_000);

test("pulumi preview runs no check: the gate's hooks only run when the platform is created or updated", async () => {
  const preview = await run(e, "pulumi", ["preview", "--stack", "dev", "--non-interactive"], dir);
  expect(exited(preview, 0)).toEqual({ code: 0, output: "" });
  expect(preview.output).toContain("platform-health");
  expect(preview.output).not.toMatch(/checks passed|checks failed|Health\/Check/);
}, 900_000);

test("pulumi up runs the health gate through the Kubernetes API's port-forwards and passes when everything is healthy", async () => {
  const up = await run(e, "pulumi", ["up", "--stack", "dev", "--yes", "--skip-preview", "--non-interactive"], dir);
  expect(up.output).not.toContain("post-deploy health checks failed");
  expect(exited(up, 0)).toEqual({ code: 0, output: "" });
  // The gate logs its table: every check passed, through a forwarded port.
  expect(up.output).toMatch(/all 10 checks passed/);
  expect(ok(kubectl(e, ["-n", NAMESPACE, "get", "configmap", "platform-health", "-o", "jsonpath={.data.checks}"]), "gate ConfigMap").stdout.split("\n")).toHaveLength(10);
}, 1_200_000);

test("verify --stack reads the stack's outputs and checks the deployed platform; a stopped Redis fails it, naming Redis", async () => {
  const cli = ["-r", "ts-node/register/transpile-only", path.join(REPO, "health/cli.ts"), "--stack", "dev", "--cwd", dir, "--timeout", "3", "--retries", "0"];
  const healthy = await run(e, process.execPath, [...cli, "--json"], REPO);
  expect(exited(healthy, 0)).toEqual({ code: 0, output: "" });
  const report = JSON.parse(healthy.output.slice(healthy.output.indexOf("{"), healthy.output.lastIndexOf("}") + 1)) as { ok: boolean; results: Array<{ component: string; status: string }> };
  expect(report.ok).toBe(true);
  expect(report.results.map((r) => r.component).sort()).toEqual(["clickhouse", "gateway", "grafana", "kafka", "learning-api", "postgres", "prometheus", "redis", "refinement-api", "storage-service"]);
  expect(healthy.output).not.toContain(PASSWORDS.redisPassword);

  await redis.stop();
  const broken = await run(e, process.execPath, cli, REPO);
  expect(exited(broken, 1)).toEqual({ code: 1, output: "" });
  expect(broken.output).toMatch(/redis\s*│[^\n]*FAIL/);
  expect(broken.output).toContain("1 of 10 checks failed");
}, 600_000);
