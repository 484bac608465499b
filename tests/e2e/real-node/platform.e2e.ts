/**
 * The dev stack on the local cluster's real node (scripts/node/), every container a real process on
 * the stand-in images (scripts/images/build.sh; README, Images for the local real node), with the
 * post-deploy health gate on, as `npm run up` does it. The stack is first deployed by the previous
 * release (tools/previous-release.ts) and a value written into every datastore with the credentials
 * of its Secret; the current code then upgrades it. Proven on the running pods: the upgrade replaces
 * and deletes nothing that holds data and every value is read back with the credentials; the gate
 * passes, every pod is Running with all containers ready, `verify` passes; Redis's pod deleted,
 * `verify` reports Redis within its timeout and passes again once the StatefulSet restarted it, with
 * a key written before still there; the NetworkPolicies refuse a flow the program does not allow
 * (gateway to Redis) and let an allowed one through (refinement-api to Redis); rotated Redis and
 * Postgres passwords roll the pods and pass the gate. Then a prod-shaped run on the same node.
 */
import * as path from "path";
import { checkoutPreviousRelease, PREVIOUS_RELEASE } from "../../../tools/previous-release";
import { Engine, eventually, kubectl, kubectlJson, ok, project, pulumi, REPO, Result, run, startEngine, stopEngine } from "../engine";
import { Change, changesOf, changeTable, dataLost, droppedWithoutAlias } from "../upgrade";

const NS = "platform-dev";
let e: Engine | undefined;
let dir: string;
let upResult: Result;

/** The dotted settings `npm run up` gives a local stack: every image key at its stand-in. */
function standInImages(env: NodeJS.ProcessEnv): string[] {
  const script = `source "${REPO}/scripts/engine/local-project.sh" && stand_in_images`;
  return ok(run("bash", ["-c", script], env, REPO, 60_000), "stand-in images")
    .stdout.split("\n")
    .filter(Boolean);
}

/** `npm run verify -- --stack dev` against the deployed stack, with a short timeout per check. */
function verify(args: string[] = []): Result {
  const cli = ["-r", "ts-node/register/transpile-only", path.join(REPO, "health/cli.ts"), "--stack", "dev", "--cwd", dir, ...args];
  return run(process.execPath, cli, e!.env, REPO, 300_000);
}

/** A shell command in a container of the pod a workload runs (the program's own images). */
function exec(target: string, container: string, command: string, namespace = NS): Result {
  return kubectl(e!, ["-n", namespace, "exec", target, "-c", container, "--", "sh", "-c", command]);
}

/** A Kafka admin tool in a broker's pod, with the tools' own quiet log4j (the pod's is the broker's). */
function kafka(tool: string, args: string, namespace = NS): Result {
  const log4j = "KAFKA_LOG4J_OPTS=-Dlog4j.configuration=file:/opt/kafka/config/tools-log4j.properties";
  return exec("kafka-0", "kafka", `${log4j} /opt/kafka/bin/${tool} --bootstrap-server kafka-0.kafka-headless:9092 ${args}`, namespace);
}

/** The keys of a Secret of the stack, decoded: the credentials a client of the platform is given. */
function credentials(name: string): Record<string, string> {
  const data = kubectlJson(e!, ["-n", NS, "get", "secret", name]).data as Record<string, string>;
  return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, "base64").toString()]));
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Postgres over TCP to the pod's address with the Secret's user and its password or `password` (loopback is trusted). */
function psql(sql: string, password?: string): Result {
  const c = credentials("postgres-auth");
  const podIP = kubectlJson(e!, ["-n", NS, "get", "pod", "postgres-0"]).status.podIP;
  return exec("postgres-0", "postgres", `PGPASSWORD=${quote(password ?? c.password)} psql -h ${podIP} -U ${c.user} -d ${c.database} -v ON_ERROR_STOP=1 -tAc ${quote(sql)} 2>&1`);
}

function clickhouse(sql: string): Result {
  const c = credentials("clickhouse-auth");
  return exec("clickhouse-0", "clickhouse", `clickhouse-client --user ${c.user} --password ${quote(c.password)} --database ${c.database} --query ${quote(sql)} 2>&1`);
}

/** redis-cli with the Secret's password, or `password`. */
function redis(command: string, password?: string): Result {
  return exec("redis-0", "redis", `REDISCLI_AUTH=${quote(password ?? credentials("redis-auth").password)} redis-cli ${command} 2>&1`);
}

/** A value each datastore is given by the previous release's deployment and must return after the upgrade. */
const PROBE = `written-under-${PREVIOUS_RELEASE.slice(0, 7)}-${Date.now()}`;
const probes: Record<string, { write(): void; read(): string }> = {
  redis: {
    write: () => ok(redis(`SET e2e:upgrade ${PROBE}`), "redis SET"),
    read: () => redis("GET e2e:upgrade").stdout.trim(),
  },
  postgres: {
    write: () => ok(psql(`CREATE TABLE upgrade_probe (v text); INSERT INTO upgrade_probe VALUES ('${PROBE}')`), "postgres INSERT"),
    read: () => psql("SELECT v FROM upgrade_probe").stdout.trim(),
  },
  clickhouse: {
    write: () => {
      ok(clickhouse("CREATE TABLE upgrade_probe (v String) ENGINE = MergeTree ORDER BY v"), "clickhouse CREATE");
      ok(clickhouse(`INSERT INTO upgrade_probe VALUES ('${PROBE}')`), "clickhouse INSERT");
    },
    read: () => clickhouse("SELECT v FROM upgrade_probe").stdout.trim(),
  },
  kafka: {
    write: () => {
      ok(kafka("kafka-topics.sh", "--create --if-not-exists --topic upgrade-probe --partitions 1 --replication-factor 1"), "kafka topic");
      ok(kafka("kafka-console-producer.sh", `--topic upgrade-probe <<'EOF'\n${PROBE}\nEOF`), "kafka produce");
    },
    read: () => kafka("kafka-console-consumer.sh", "--topic upgrade-probe --from-beginning --max-messages 1 --timeout-ms 30000").stdout.trim(),
  },
};

let upgrade: Map<string, Change>;

beforeAll(() => {
  e = startEngine("platform", "real");
  const images = standInImages(e.env);
  // The stack as its users have it: deployed by the previous release, with data in every datastore.
  const previous = checkoutPreviousRelease(path.join(e.root, "previous-release"), "own");
  dir = project(e, "dev", images, "dev-real", previous);
  ok(pulumi(e, dir, ["up", "--stack", "dev", "--yes", "--skip-preview"], 1_500_000), `up dev with the previous release ${PREVIOUS_RELEASE.slice(0, 7)}`);
  for (const p of Object.values(probes)) p.write();
  // The same scratch project (state, salt) now runs the current code.
  project(e, "dev", images, "dev-real");
  upgrade = changesOf(ok(pulumi(e, dir, ["preview", "--stack", "dev", "--json", "--show-sames"]), "preview of the upgrade").stdout);
  upResult = pulumi(e, dir, ["up", "--stack", "dev", "--yes", "--skip-preview", "--policy-pack", path.join(REPO, "policies")], 1_500_000);
}, 2_400_000);

afterAll(() => stopEngine(e), 300_000);

test("pulumi up of the current code over the previous release's dev stack passes its health gate on the running pods", () => {
  expect(upResult.output).not.toContain("post-deploy health checks failed");
  expect({ code: upResult.code, output: upResult.code === 0 ? "" : upResult.output.slice(-6000) }).toEqual({ code: 0, output: "" });
  expect(upResult.output).toMatch(/all 10 checks passed/);
  const pods = kubectlJson(e!, ["-n", NS, "get", "pods"]).items as any[];
  const rows = pods.map((p) => {
    const ready = p.status.conditions?.find((c: any) => c.type === "Ready");
    const seconds = ready?.status === "True" ? (Date.parse(ready.lastTransitionTime) - Date.parse(p.metadata.creationTimestamp)) / 1000 : NaN;
    const job = p.metadata.ownerReferences?.[0]?.kind === "Job";
    return {
      pod: p.metadata.name,
      phase: p.status.phase,
      ready: job ? p.status.phase === "Succeeded" : ready?.status === "True",
      seconds,
      images: p.spec.containers.map((c: any) => c.image).join(" "),
    };
  });
  // The table in the issue note: time from the pod's creation to Ready, per pod.
  console.log(rows.map((r) => `${r.pod.padEnd(40)} ${r.phase.padEnd(10)} ${String(r.seconds).padStart(5)} s  ${r.images}`).join("\n"));
  expect(rows.filter((r) => !r.ready)).toEqual([]);
  expect(rows.every((r) => r.images.split(" ").every((i: string) => i.startsWith("platform.local/stand-in/")))).toBe(true);
  // Every workload of the platform has a running pod: the four services, datastores, monitoring.
  for (const name of [
    "gateway",
    "refinement-api",
    "learning-api",
    "storage-service",
    "redis-0",
    "postgres-0",
    "clickhouse-0",
    "kafka-0",
    "prometheus",
    "alertmanager",
    "grafana",
    "kube-state-metrics",
  ]) {
    expect(rows.filter((r) => r.pod.startsWith(name) && r.phase === "Running").map(() => name)).toEqual([name]);
  }
});

test(`the upgrade from the previous release ${PREVIOUS_RELEASE.slice(0, 7)} replaces and deletes nothing that holds data, and every datastore returns what was written before, with its credentials`, () => {
  console.log(changeTable("dev (real node)", upgrade));
  expect(dataLost(upgrade)).toEqual([]);
  expect(droppedWithoutAlias(upgrade)).toEqual([]);
  const read = Object.fromEntries(Object.entries(probes).map(([name, p]) => [name, p.read()]));
  expect(read).toEqual({ redis: PROBE, postgres: PROBE, clickhouse: PROBE, kafka: PROBE });
}, 300_000);

test("verify passes on the deployed platform", () => {
  const r = verify(["--timeout", "10", "--retries", "2"]);
  expect({ code: r.code, output: r.code === 0 ? "" : r.output }).toEqual({ code: 0, output: "" });
  expect(r.output).toContain("all 10 checks passed");
});

test("a flow the program does not allow (gateway to Redis) is refused; an allowed one (refinement-api to Redis) answers", () => {
  // Redis answers an unauthenticated PING with NOAUTH: a real answer over an allowed connection.
  const ping = "echo PING | timeout 8 nc -w 4 redis 6379; true";
  expect(exec("deploy/refinement-api", "refinement-api", ping).output).toContain("NOAUTH");
  expect(exec("deploy/learning-api", "learning-api", ping).output).toContain("NOAUTH");
  const denied = exec("deploy/gateway", "gateway", ping);
  expect(denied.output).not.toContain("NOAUTH");
  expect(denied.output).toMatch(/can.t connect|timed out|Terminated/);
  // The gateway may still reach what the program allows it: refinement-api's gRPC port.
  expect(exec("deploy/gateway", "gateway", "timeout 8 nc -w 4 refinement-api 50051 </dev/null && echo OPEN").output).toContain("OPEN");
});

test("Redis's pod deleted: verify reports Redis within its timeout, then passes once the StatefulSet restarted it, and a key written before is still there", async () => {
  const value = `written-before-${Date.now()}`;
  ok(exec("redis-0", "redis", `redis-cli SET e2e:durable ${value}`), "redis SET");
  ok(kubectl(e!, ["-n", NS, "delete", "pod", "redis-0", "--wait=false"]), "delete redis-0");
  // From the deletion until the new pod is Ready (its readiness probe waits 5 s) no Redis is behind the Service.
  const down = await eventually(
    "verify failing on redis",
    () => {
      const r = verify(["--timeout", "3", "--retries", "0", "--json"]);
      return r.code === 1 && /"component":\s*"redis"[^}]*"status":\s*"fail"/.test(r.stdout) ? r : undefined;
    },
    60_000,
  );
  const report = JSON.parse(down.stdout.slice(down.stdout.indexOf("{"), down.stdout.lastIndexOf("}") + 1)) as { results: Array<{ component: string; status: string; detail: string }> };
  const failing = report.results.filter((x) => x.status !== "pass");
  // Redis, saying why; besides it at most the services whose health follows Redis (refinement-api and
  // learning-api use it, the gateway uses them) and Prometheus (the new pod's exporter not scraped yet).
  expect(failing.find((x) => x.component === "redis")?.detail).toMatch(/^no ready pod behind Service platform-dev\/redis/);
  expect(failing.map((x) => x.component).filter((c) => !["redis", "gateway", "refinement-api", "learning-api", "prometheus"].includes(c))).toEqual([]);
  // The check's timeout bounds the report: 3 s per check, no retries, plus the CLI's own start.
  expect(down.seconds).toBeLessThan(30);

  await eventually(
    "verify passing again",
    () => {
      const r = verify(["--timeout", "5", "--retries", "0"]);
      return r.code === 0 ? r : undefined;
    },
    240_000,
  );
  expect(exec("redis-0", "redis", "redis-cli GET e2e:durable").stdout.trim()).toBe(value);
}, 600_000);

test("rotating the Redis and Postgres passwords: pulumi up rolls the pods, the gate passes with the new ones, the old ones are refused, the data stays", () => {
  const secret = (name: string) => credentials(name).password;
  const old = { redis: secret("redis-auth"), postgres: secret("postgres-auth") };
  const rotated = { redis: `rotated-Redis-${Date.now()}-pw`, postgres: `rotated-Postgres-${Date.now()}-pw` };
  ok(pulumi(e!, dir, ["config", "set", "--secret", "platform:redisPassword", rotated.redis, "--stack", "dev"]), "config set redisPassword");
  ok(pulumi(e!, dir, ["config", "set", "--secret", "platform:postgresPassword", rotated.postgres, "--stack", "dev"]), "config set postgresPassword");
  const up = pulumi(e!, dir, ["up", "--stack", "dev", "--yes", "--skip-preview", "--policy-pack", path.join(REPO, "policies")], 1_200_000);
  expect({ code: up.code, output: up.code === 0 ? "" : up.output.slice(-6000) }).toEqual({ code: 0, output: "" });
  // The gate ran after the rollout, with the new credentials, and every service reached Redis again.
  expect(up.output).toMatch(/all 10 checks passed/);
  expect({ redis: secret("redis-auth"), postgres: secret("postgres-auth") }).toEqual(rotated);

  const redisWith = (pw: string) => redis("ping", pw).stdout.trim();
  expect(redisWith(rotated.redis)).toBe("PONG");
  expect(redisWith(old.redis)).toMatch(/WRONGPASS|NOAUTH/);
  // Over TCP to the pod's own address (loopback and the socket are trusted, as in the upstream image).
  const psqlWith = (pw: string) => psql("SELECT 1", pw).stdout.trim();
  expect(psqlWith(rotated.postgres)).toBe("1");
  expect(psqlWith(old.postgres)).toMatch(/password authentication failed/);
  // Redis's data survived the rolled pod (written by the test above).
  expect(exec("redis-0", "redis", "redis-cli GET e2e:durable").stdout.trim()).toMatch(/^written-before-/);
}, 1_500_000);

test("moving Postgres onto a new, empty volume (what a change of engine does) keeps the data: the dump taken before is restored into the replacement", () => {
  const ops = (args: string[]) => run("bash", [path.join(REPO, "scripts/ops/postgres-backup.sh"), ...args], e!.env, REPO, 900_000);
  ok(psql("CREATE TABLE drill (id int PRIMARY KEY, v text); INSERT INTO drill SELECT g, md5(g::text) FROM generate_series(1, 20000) g"), "rows");
  const digest = () => psql("SELECT count(*) || ':' || md5(string_agg(v, ',' ORDER BY id)) FROM drill").stdout.trim();
  const before = digest();
  expect(before).toMatch(/^20000:[0-9a-f]{32}$/);
  expect(ok(ops(["backup", NS]), "backup").stdout).toMatch(/backup written: \/backups\/platform-\d{8}T\d{6}Z\.dump/);

  // The old datastore and its volume go; pulumi up (refreshed, so it sees them gone) makes a new one.
  ok(kubectl(e!, ["-n", NS, "delete", "statefulset", "postgres", "--cascade=foreground", "--wait=true"]), "delete the StatefulSet");
  ok(kubectl(e!, ["-n", NS, "delete", "pvc", "data-postgres-0", "--wait=true"]), "delete the data volume");
  const up = pulumi(e!, dir, ["up", "--stack", "dev", "--yes", "--skip-preview", "--refresh"], 1_200_000);
  expect({ code: up.code, output: up.code === 0 ? "" : up.output.slice(-6000) }).toEqual({ code: 0, output: "" });
  expect(up.output).toMatch(/\+ 1 created/);
  // Only the StatefulSet is new (same spec), so the gate does not run again: verify, as the runbook says.
  const checked = verify(["--timeout", "10", "--retries", "2"]);
  expect({ code: checked.code, output: checked.code === 0 ? "" : checked.output }).toEqual({ code: 0, output: "" });
  // A new, empty database: what is there next comes from the dump.
  expect(psql("SELECT count(*) FROM drill").stdout).toMatch(/relation "drill" does not exist/);

  expect(ok(ops(["list", NS]), "list").stdout).toMatch(/^\/backups\/platform-\d{8}T\d{6}Z\.dump$/m);
  expect(ok(ops(["restore", NS]), "restore").stdout).toMatch(/restored: \/backups\/platform-/);
  expect(digest()).toBe(before);
  expect(probes.postgres.read()).toBe(PROBE);
}, 1_500_000);

/**
 * The prod topology on the same real node: three Kafka brokers forming one KRaft quorum, topics at
 * replication 3, the services at prod's replica counts, prod's guards (protected data, policy pack
 * mandatory). Only the requests are cut to fit two cores (limits stay large enough for the JVMs),
 * from the test's own settings: Pulumi.prod.yaml is read as it is.
 */
describe("prod-shaped run", () => {
  const PROD_NS = "platform";
  const small = (limitMemory: string) => `{requests: {cpu: 10m, memory: 64Mi}, limits: {cpu: "1", memory: ${limitMemory}}}`;
  const sizes = [
    ...["gateway", "refinement-api", "learning-api", "storage-service"].map((s) => `services.${s}.resources=${small("128Mi")}`),
    `redis.resources=${small("256Mi")}`,
    `postgres.resources=${small("512Mi")}`,
    `clickhouse.resources=${small("1Gi")}`,
    `kafka.resources=${small("1Gi")}`,
    `prometheus.resources=${small("512Mi")}`,
    `grafana.resources=${small("256Mi")}`,
  ];
  let prodDir: string;
  let prodUp: Result;

  beforeAll(() => {
    prodDir = project(e!, "prod", [...standInImages(e!.env), ...sizes], "prod-real");
    prodUp = pulumi(e!, prodDir, ["up", "--stack", "prod", "--yes", "--skip-preview", "--policy-pack", path.join(REPO, "policies")], 1_500_000);
  }, 1_800_000);

  test("pulumi up of the prod stack passes its health gate, with every pod Running and ready", () => {
    expect({ code: prodUp.code, output: prodUp.code === 0 ? "" : prodUp.output.slice(-6000) }).toEqual({ code: 0, output: "" });
    expect(prodUp.output).toMatch(/all 10 checks passed/);
    const pods = kubectlJson(e!, ["-n", PROD_NS, "get", "pods"]).items as any[];
    const running = pods.filter((p) => p.status.phase === "Running");
    expect(pods.filter((p) => p.status.phase !== "Running" && p.status.phase !== "Succeeded").map((p) => p.metadata.name)).toEqual([]);
    const count = (name: RegExp) => running.filter((p) => name.test(p.metadata.name)).length;
    const workload = (name: string) => new RegExp(`^${name}-[a-z0-9]+-[a-z0-9]+$`);
    expect({
      kafka: count(/^kafka-\d+$/),
      gateway: count(workload("gateway")),
      refinement: count(workload("refinement-api")),
      learning: count(workload("learning-api")),
      storage: count(workload("storage-service")),
    }).toEqual({
      kafka: 3,
      gateway: 2,
      refinement: 5,
      learning: 2,
      storage: 2,
    });
  });

  test("the Kafka quorum has 3 voters and the topics replication 3", () => {
    const quorum = kafka("kafka-metadata-quorum.sh", "describe --status", PROD_NS);
    expect({ code: quorum.code, output: quorum.code === 0 ? "" : quorum.output }).toEqual({ code: 0, output: "" });
    const voters = /CurrentVoters:\s*(\[[^\n]*\])/.exec(quorum.stdout)?.[1] ?? "";
    expect(voters.match(/"?id"?[:=]\s*\d+/g) ?? voters.match(/\d+/g)).toHaveLength(3);
    for (const topic of ["raw-positions", "refined-tracks"]) {
      const d = kafka("kafka-topics.sh", `--describe --topic ${topic}`, PROD_NS);
      expect(d.stdout).toMatch(new RegExp(`Topic: ${topic}\\s.*PartitionCount: 6\\s.*ReplicationFactor: 3`));
      // Every partition has its three replicas in sync.
      const isr = [...d.stdout.matchAll(/Isr: ([\d,]+)/g)].map((m) => m[1].split(",").length);
      expect(isr).toEqual([3, 3, 3, 3, 3, 3]);
    }
  });
});
