/**
 * The manifests against the contracts of the upstream images they run (apache/kafka, redis,
 * postgres, clickhouse-server): what each image reads at start, where it writes, and what a
 * change of configuration or credential must do to a running pod.
 */
import { execFileSync } from "child_process";
import { createHash, createHmac } from "crypto";
import * as fs from "fs";
import * as path from "path";
import type { PlatformConfig } from "../../config/schema";
import { clickhouseSchema, LOGGER_XML } from "../../components/datastores/clickhouse";
import { backupScript, sharedMemorySize, SYNC_ROLE_PASSWORD } from "../../components/datastores/postgres";
import { redisMaxmemory } from "../../components/datastores/redis";
import { kafkaHeapOpts, LOG_DIR_MIGRATION, LOG_DIRS, LOG4J_PROPERTIES, topicsScript } from "../../components/datastores/kafka";
import { named, ofType, ProgramRun, runProgram } from "../helpers/program";
import { tempDir } from "../helpers/temp";

const STS = "kubernetes:apps/v1:StatefulSet";
const CM = "kubernetes:core/v1:ConfigMap";

const runs: Partial<Record<"dev" | "prod", ProgramRun>> = {};
beforeAll(async () => {
  runs.prod = await runProgram("prod");
  runs.dev = await runProgram("dev");
});
const prod = () => runs.prod!;

/** Every pod template the program registers, by workload kind and name. */
function podTemplates(run: ProgramRun): Array<{ workload: string; spec: any }> {
  return run.resources.flatMap((r) => {
    const template = r.type === "kubernetes:batch/v1:CronJob" ? r.inputs.spec?.jobTemplate?.spec?.template : r.inputs.spec?.template;
    return template?.spec?.containers ? [{ workload: `${r.type.split(":").pop()}/${r.name}`, spec: template.spec }] : [];
  });
}

describe("every pod", () => {
  test.each(["prod", "dev"] as const)("%s: no service-link variables (the Kafka image would turn KAFKA_PORT into a broker property)", (stack) => {
    const pods = podTemplates(runs[stack]!);
    // Deployments, StatefulSets, the topics Job and the backup CronJob all count.
    expect(pods.map((p) => p.workload)).toEqual(expect.arrayContaining(["StatefulSet/kafka", "Deployment/gateway", "CronJob/postgres-backup", "StatefulSet/prometheus"]));
    expect(pods.some((p) => p.workload.startsWith("Job/kafka-topics"))).toBe(true);
    expect(pods.filter((p) => p.spec.enableServiceLinks !== false).map((p) => p.workload)).toEqual([]);
  });

  test("keeps its restricted security context, and an API token only where the API is called", () => {
    const pods = podTemplates(prod());
    for (const p of pods) expect([p.workload, p.spec.securityContext]).toEqual([p.workload, expect.objectContaining({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } })]);
    const withToken = pods
      .filter((p) => p.spec.automountServiceAccountToken !== false)
      .map((p) => p.workload)
      .sort();
    expect(withToken).toEqual(["Deployment/kube-state-metrics", "StatefulSet/prometheus"]);
  });

  test.each(["prod", "dev"] as const)("%s: mounts its files from auto-named ConfigMaps, so a content change updates the workload instead of re-creating it", (stack) => {
    // A fixed name makes Pulumi replace the ConfigMap delete-before-replace, and with it every resource that depends on it.
    const mounted = podTemplates(runs[stack]!).flatMap((p) => (p.spec.volumes ?? []).filter((v: any) => v.configMap).map((v: any) => [p.workload, v.configMap.name] as const));
    expect(mounted.map(([w]) => w)).toEqual(expect.arrayContaining(["StatefulSet/prometheus", "StatefulSet/alertmanager", "Deployment/grafana", "StatefulSet/kafka", "StatefulSet/clickhouse"]));
    const fixedNames = runs[stack]!.resources.filter((r) => r.type === CM && r.inputs.metadata.name === r.name).map((r) => r.name);
    expect(mounted.filter(([, cm]) => fixedNames.includes(cm))).toEqual([]);
  });
});

function env(container: any): Record<string, any> {
  return Object.fromEntries((container.env ?? []).map((e: any) => [e.name, e.value ?? e.valueFrom]));
}

/** Runs a shell script the way the pod's `sh -c` does; returns stdout. */
function sh(script: string, extraEnv: Record<string, string> = {}): string {
  return execFileSync("sh", ["-c", script], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: { PATH: process.env.PATH, ...extraEnv } });
}

function tree(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, encoding: "utf8" }).sort();
}

describe("sizes derived from a container's memory limit", () => {
  const derive = { "Kafka heap": kafkaHeapOpts, "Redis maxmemory": redisMaxmemory, "Postgres /dev/shm": sharedMemorySize };
  test.each([
    ["Kafka heap", "1Gi", "-Xms512m -Xmx512m"],
    ["Kafka heap", "2Gi", "-Xms1024m -Xmx1024m"],
    ["Kafka heap", "512Mi", "-Xms256m -Xmx256m"],
    ["Kafka heap", "1500M", "-Xms715m -Xmx715m"],
    ["Kafka heap", "32Gi", "-Xms6144m -Xmx6144m"], // capped at 6 GiB
    ["Redis maxmemory", "256Mi", "179mb"],
    ["Redis maxmemory", "1Gi", "716mb"],
    ["Redis maxmemory", "512Mi", "358mb"],
    ["Redis maxmemory", "2G", "1335mb"],
    ["Postgres /dev/shm", "256Mi", "64Mi"],
    ["Postgres /dev/shm", "2Gi", "512Mi"],
    ["Postgres /dev/shm", "1Gi", "256Mi"],
    ["Postgres /dev/shm", "128Mi", "64Mi"], // never below the container default
  ] as const)("%s for a %s limit is %s", (what, limit, expected) => {
    expect(derive[what](limit)).toBe(expected);
  });
});

describe("Kafka", () => {
  const broker = (run: ProgramRun) => named(run, STS, "kafka").inputs.spec.template.spec.containers[0];

  test("log.dirs is a directory inside the volume, not its root (lost+found would halt the broker)", () => {
    for (const run of [prod(), runs.dev!]) {
      const c = broker(run);
      const dataMount = c.volumeMounts.find((m: any) => m.name === "data").mountPath;
      expect(env(c).KAFKA_LOG_DIRS).toBe(LOG_DIRS);
      expect(path.dirname(LOG_DIRS)).toBe(dataMount);
      expect(c.command[2]).toContain(LOG_DIR_MIGRATION);
    }
  });

  describe("the log dir of the previous release moves into the subdirectory", () => {
    const DATA = "/var/lib/kafka/data";
    const migrate = (root: string) => sh(LOG_DIR_MIGRATION.replaceAll(DATA, root));
    const write = (root: string, files: string[]) => {
      for (const f of files) {
        fs.mkdirSync(path.join(root, path.dirname(f)), { recursive: true });
        fs.writeFileSync(path.join(root, f), f);
      }
    };

    test("a broker's data at the volume root: everything but lost+found moves, contents intact", () => {
      const root = tempDir("manifests");
      fs.mkdirSync(path.join(root, "lost+found"));
      write(root, ["meta.properties", ".lock", "__cluster_metadata-0/00000000000000000000.log", "raw-positions-0/00000000000000000000.log", "recovery-point-offset-checkpoint"]);
      expect(migrate(root)).toContain("moving the log dir");
      expect(fs.readdirSync(root).sort()).toEqual(["logs", "lost+found"]);
      expect(tree(path.join(root, "logs"))).toEqual([
        ".lock",
        "__cluster_metadata-0",
        "__cluster_metadata-0/00000000000000000000.log",
        "meta.properties",
        "raw-positions-0",
        "raw-positions-0/00000000000000000000.log",
        "recovery-point-offset-checkpoint",
      ]);
      expect(fs.readFileSync(path.join(root, "logs/raw-positions-0/00000000000000000000.log"), "utf8")).toBe("raw-positions-0/00000000000000000000.log");
    });

    test("a fresh volume (only lost+found) is left alone; Kafka formats the subdirectory itself", () => {
      const root = tempDir("manifests");
      fs.mkdirSync(path.join(root, "lost+found"));
      expect(migrate(root)).toBe("");
      expect(fs.readdirSync(root)).toEqual(["lost+found"]);
    });

    test("an interrupted move resumes where it stopped", () => {
      const root = tempDir("manifests");
      write(root, ["meta.properties", "b-0/x.log", "logs.migrating/a-0/x.log"]);
      migrate(root);
      expect(fs.readdirSync(root)).toEqual(["logs"]);
      expect(tree(path.join(root, "logs"))).toEqual(["a-0", "a-0/x.log", "b-0", "b-0/x.log", "meta.properties"]);
      // Interrupted after meta.properties moved, before the final rename.
      const late = tempDir("manifests");
      write(late, ["logs.migrating/meta.properties", "logs.migrating/a-0/x.log"]);
      migrate(late);
      expect(tree(path.join(late, "logs"))).toEqual(["a-0", "a-0/x.log", "meta.properties"]);
    });

    test("an already moved log dir is never touched again", () => {
      const root = tempDir("manifests");
      write(root, ["logs/meta.properties", "logs/a-0/x.log", "meta.properties"]);
      expect(migrate(root)).toBe("");
      expect(tree(root)).toEqual(["logs", "logs/a-0", "logs/a-0/x.log", "logs/meta.properties", "meta.properties"]);
    });
  });

  test("the broker's heap follows its stack's memory limit", async () => {
    expect(env(broker(runs.dev!)).KAFKA_HEAP_OPTS).toBe("-Xms512m -Xmx512m");
    expect(env(broker(prod())).KAFKA_HEAP_OPTS).toBe("-Xms1024m -Xmx1024m");
    const bigger = await runProgram("dev", (c: any) => (c.kafka.resources.limits.memory = "3Gi"));
    expect(env(broker(bigger)).KAFKA_HEAP_OPTS).toBe("-Xms1536m -Xmx1536m");
  });

  test("logs go to the console only: no file appender, no GC log file", () => {
    const c = broker(prod());
    const appenders = LOG4J_PROPERTIES.split("\n").filter((l) => /^log4j\.appender\.\w+=/.test(l));
    expect(appenders).toEqual(["log4j.appender.stdout=org.apache.log4j.ConsoleAppender"]);
    expect(LOG4J_PROPERTIES).toMatch(/^log4j\.rootLogger=INFO, stdout$/m);
    expect(named(prod(), CM, "kafka-log4j").inputs.data["log4j.properties"]).toBe(LOG4J_PROPERTIES);
    const mount = c.volumeMounts.find((m: any) => m.name === "log4j");
    expect(env(c).KAFKA_LOG4J_OPTS).toBe(`-Dlog4j.configuration=file:${mount.mountPath}/log4j.properties`);
    expect(mount.subPath).toBeUndefined();
    expect(env(c).EXTRA_ARGS).toBe("-name kafkaServer"); // without -loggc
  });

  describe("the topics Job", () => {
    /** A stand-in for kafka-topics.sh and kafka-configs.sh keeping topics as files, logging each call. */
    function fakeKafka(topics: Record<string, number>): { bin: string; state: string; calls: () => string[] } {
      const bin = tempDir("manifests");
      const state = tempDir("manifests");
      for (const [t, n] of Object.entries(topics)) fs.writeFileSync(path.join(state, t), String(n));
      const log = path.join(state, ".calls");
      fs.writeFileSync(
        path.join(bin, "kafka-topics.sh"),
        `#!/bin/sh
echo "topics $*" >> ${log}
op=; topic=; parts=
while [ $# -gt 0 ]; do
  case "$1" in --create|--describe|--alter) op=$1 ;; --topic) topic=$2; shift ;; --partitions) parts=$2; shift ;; esac
  shift
done
f=${state}/$topic
case $op in
  --create) [ -f "$f" ] || echo "$parts" > "$f" ;;
  --describe) printf 'Topic: %s\tTopicId: abc\tPartitionCount: %s\tReplicationFactor: 1\tConfigs: \n' "$topic" "$(cat "$f")" ;;
  --alter) [ "$parts" -gt "$(cat "$f")" ] || { echo "can only be increased" >&2; exit 1; }; echo "$parts" > "$f" ;;
esac
`,
        { mode: 0o755 },
      );
      fs.writeFileSync(path.join(bin, "kafka-configs.sh"), `#!/bin/sh\necho "configs $*" >> ${log}\n`, { mode: 0o755 });
      return { bin, state, calls: () => (fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n") : []) };
    }
    const config = (partitions: number) =>
      ({
        minInsyncReplicas: 2,
        topics: [
          { name: "raw-positions", partitions, replicationFactor: 3 },
          { name: "refined-tracks", partitions: 6, replicationFactor: 3 },
        ],
      }) as PlatformConfig["kafka"];
    const run = (kafka: ReturnType<typeof fakeKafka>, partitions: number) => sh(topicsScript(config(partitions), "kafka-0:9092").replaceAll("/opt/kafka/bin", kafka.bin));
    const partitionsOf = (kafka: ReturnType<typeof fakeKafka>, t: string) => Number(fs.readFileSync(path.join(kafka.state, t), "utf8"));

    test("creates missing topics with the configured partitions and min.insync.replicas", () => {
      const kafka = fakeKafka({});
      run(kafka, 6);
      expect([partitionsOf(kafka, "raw-positions"), partitionsOf(kafka, "refined-tracks")]).toEqual([6, 6]);
      expect(kafka.calls().filter((c) => c.startsWith("configs"))).toEqual([
        "configs --bootstrap-server kafka-0:9092 --alter --entity-type topics --entity-name raw-positions --add-config min.insync.replicas=2",
        "configs --bootstrap-server kafka-0:9092 --alter --entity-type topics --entity-name refined-tracks --add-config min.insync.replicas=2",
      ]);
    });

    test("raises the partitions of an existing topic to the configured count", () => {
      const kafka = fakeKafka({ "raw-positions": 3, "refined-tracks": 6 });
      expect(run(kafka, 12)).toContain("topic raw-positions: raising partitions from 3 to 12");
      expect([partitionsOf(kafka, "raw-positions"), partitionsOf(kafka, "refined-tracks")]).toEqual([12, 6]);
    });

    test("never lowers them, and says so", () => {
      const kafka = fakeKafka({ "raw-positions": 8, "refined-tracks": 6 });
      expect(run(kafka, 4)).toContain("topic raw-positions: keeps its 8 partitions; Kafka cannot lower them to the configured 4");
      expect(partitionsOf(kafka, "raw-positions")).toBe(8);
      expect(kafka.calls().some((c) => c.includes("--alter --topic"))).toBe(false);
    });

    test("is idempotent: a second run changes nothing", () => {
      const kafka = fakeKafka({ "raw-positions": 3 });
      run(kafka, 6);
      const before = kafka.calls().length;
      expect(run(kafka, 6)).not.toContain("raising");
      expect(
        kafka
          .calls()
          .slice(before)
          .some((c) => c.includes("--alter --topic")),
      ).toBe(false);
      expect([partitionsOf(kafka, "raw-positions"), partitionsOf(kafka, "refined-tracks")]).toEqual([6, 6]);
    });

    test("a topic whose description cannot be read fails the Job instead of passing silently", () => {
      const kafka = fakeKafka({});
      fs.writeFileSync(path.join(kafka.bin, "kafka-topics.sh"), "#!/bin/sh\nexit 0\n", { mode: 0o755 });
      expect(() => run(kafka, 6)).toThrow(/cannot read its partition count/);
    });

    test("is what the Job runs, and a partition change names a new Job", async () => {
      const jobs = (r: ProgramRun) => r.resources.filter((x) => x.type === "kubernetes:batch/v1:Job");
      const [job] = jobs(prod());
      const script = job.inputs.spec.template.spec.containers[0].command[2];
      expect(script).toBe(topicsScript(config(6), "kafka-0.kafka-headless:9092,kafka-1.kafka-headless:9092,kafka-2.kafka-headless:9092"));
      const raised = await runProgram("prod", (c: any) => (c.kafka.topics[0].partitions = 12));
      expect(jobs(raised)[0].name).not.toBe(job.name);
    });
  });
});

/** Writes executable stand-ins for the image's tools into a fresh directory, for PATH. */
function fakeBin(tools: Record<string, string>): string {
  const bin = tempDir("manifests");
  for (const [name, body] of Object.entries(tools)) fs.writeFileSync(path.join(bin, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return bin;
}

describe("Redis", () => {
  test.each([
    ["dev", "179mb"],
    ["prod", "716mb"],
  ] as const)("%s: refuses writes at maxmemory (noeviction) below the container limit", (stack, maxmemory) => {
    const args: string[] = named(runs[stack]!, STS, "redis").inputs.spec.template.spec.containers[0].args;
    const flag = (name: string) => args[args.indexOf(name) + 1];
    expect([flag("--maxmemory"), flag("--maxmemory-policy")]).toEqual([maxmemory, "noeviction"]);
  });
});

describe("Postgres", () => {
  const pod = (run: ProgramRun) => named(run, STS, "postgres").inputs.spec.template.spec;

  test("is ready only when the server accepts TCP (the initdb server listens on the socket only); alive on the socket", () => {
    const c = pod(prod()).containers[0];
    expect(c.readinessProbe.exec.command).toEqual(["pg_isready", "-h", "127.0.0.1", "-p", "5432", "-U", "platform", "-d", "platform"]);
    expect(c.livenessProbe.exec.command).not.toContain("-h");
  });

  test.each([
    ["dev", "64Mi"],
    ["prod", "512Mi"],
  ] as const)("%s: /dev/shm is a memory-backed volume of a set size", (stack, size) => {
    const spec = pod(runs[stack]!);
    const mount = spec.containers[0].volumeMounts.find((m: any) => m.mountPath === "/dev/shm");
    expect(spec.volumes.find((v: any) => v.name === mount.name).emptyDir).toEqual({ medium: "Memory", sizeLimit: size });
  });

  describe("the role's password follows the Secret on every start", () => {
    function fakePostgres(notReadyFor: number, psqlExit = 0) {
      const state = tempDir("manifests");
      const bin = fakeBin({
        pg_isready: `echo "$*" >> ${state}/isready; n=$(cat ${state}/n 2>/dev/null || echo 0); echo $((n + 1)) > ${state}/n; [ "$n" -ge ${notReadyFor} ]`,
        psql: `echo "$*" > ${state}/psql-args; cat > ${state}/psql-stdin; exit ${psqlExit}`,
        sleep: "exit 0",
      });
      return {
        state,
        run: () =>
          execFileSync("sh", ["-c", SYNC_ROLE_PASSWORD], {
            encoding: "utf8",
            stdio: ["ignore", "pipe", "pipe"],
            env: { PATH: `${bin}:${process.env.PATH}`, POSTGRES_USER: "platform", POSTGRES_PASSWORD: "it's-a-Rotated-pass" },
          }),
      };
    }

    test("waits for TCP readiness, then alters the role with the password on stdin, quoted, logging off", () => {
      const pg = fakePostgres(3);
      pg.run();
      const isready = fs.readFileSync(path.join(pg.state, "isready"), "utf8").trim().split("\n");
      expect(isready).toHaveLength(4);
      expect(isready[0]).toBe("-q -h 127.0.0.1 -p 5432");
      expect(fs.readFileSync(path.join(pg.state, "psql-stdin"), "utf8")).toBe(
        "SET log_statement = 'none'; SET log_min_error_statement = 'panic'; ALTER ROLE CURRENT_USER PASSWORD 'it''s-a-Rotated-pass';\n",
      );
      const args = fs.readFileSync(path.join(pg.state, "psql-args"), "utf8");
      expect(args).toBe("-X -q -v ON_ERROR_STOP=1 -h /var/run/postgresql -p 5432 -U platform -d postgres\n");
      expect(args).not.toContain("Rotated");
    });

    test("never fails the container: a failed ALTER is reported and the hook still exits 0", () => {
      const pg = fakePostgres(0, 1);
      expect(() => pg.run()).not.toThrow();
      expect(fs.existsSync(path.join(pg.state, "psql-stdin"))).toBe(true);
    });

    test("gives up waiting after a bounded time without failing the container", () => {
      const pg = fakePostgres(10_000);
      expect(() => pg.run()).not.toThrow();
      expect(fs.readFileSync(path.join(pg.state, "isready"), "utf8").trim().split("\n")).toHaveLength(600);
      expect(fs.existsSync(path.join(pg.state, "psql-stdin"))).toBe(false);
    });

    test("is the postgres container's postStart hook", () => {
      expect(pod(prod()).containers[0].lifecycle.postStart.exec.command).toEqual(["sh", "-c", SYNC_ROLE_PASSWORD]);
    });
  });

  describe("the backup", () => {
    function backupDir() {
      const dir = tempDir("manifests");
      const bin = fakeBin({
        pg_dump: `for a in "$@"; do case "$a" in --file=*) f=\${a#--file=} ;; esac; done; echo partial > "$f"; [ -z "$FAIL_DUMP" ] || exit 1; echo dump >> "$f"`,
        pg_restore: "exit 0",
        // Refuses as often as READY_AFTER says, counting its calls.
        pg_isready: `n=$(($(cat "$STATE/isready" 2>/dev/null || echo 0) + 1)); echo $n > "$STATE/isready"; [ $n -gt \${READY_AFTER:-0} ]`,
      });
      const state = tempDir("manifests");
      const run = (fail = false, readyAfter = 0) =>
        execFileSync("sh", ["-c", backupScript(3).replaceAll("/backups", dir)], {
          encoding: "utf8",
          stdio: ["ignore", "pipe", "pipe"],
          env: { PATH: `${bin}:${process.env.PATH}`, PGDATABASE: "platform", STATE: state, READY_AFTER: String(readyAfter), ...(fail ? { FAIL_DUMP: "1" } : {}) },
        });
      return { dir, run, files: () => fs.readdirSync(dir).sort(), isreadyCalls: () => Number(fs.readFileSync(path.join(state, "isready"), "utf8")) };
    }

    test("waits until Postgres accepts connections before dumping (a new pod's first ones can be refused)", () => {
      const b = backupDir();
      expect(b.run(false, 2)).toContain("backup written: ");
      expect(b.isreadyCalls()).toBe(3);
      expect(b.files().filter((f) => f.endsWith(".dump"))).toHaveLength(1);
    });

    test("a failed dump's .partial file is removed by the next run", () => {
      const b = backupDir();
      expect(() => b.run(true)).toThrow();
      expect(b.files().filter((f) => f.endsWith(".partial"))).toHaveLength(1);
      b.run();
      expect(b.files().filter((f) => f.endsWith(".partial"))).toEqual([]);
      expect(b.files().filter((f) => f.endsWith(".dump"))).toHaveLength(1);
    });

    test("dumps past the retention are pruned, recent ones and the new one kept", () => {
      const b = backupDir();
      const old = path.join(b.dir, "platform-20200101T000000Z.dump");
      const recent = path.join(b.dir, "platform-recent.dump");
      fs.writeFileSync(old, "old");
      fs.writeFileSync(recent, "recent");
      const tenDaysAgo = new Date(Date.now() - 10 * 86_400_000);
      fs.utimesSync(old, tenDaysAgo, tenDaysAgo);
      b.run();
      const dumps = b.files();
      expect(dumps).not.toContain(path.basename(old));
      expect(dumps).toContain(path.basename(recent));
      expect(dumps).toHaveLength(2);
    });
  });
});

describe("ClickHouse", () => {
  const template = (run: ProgramRun) => named(run, STS, "clickhouse").inputs.spec.template;
  const server = (run: ProgramRun) => template(run).spec.containers[0];

  test("logs at information level on the console; no trace files under /var/log", () => {
    expect(LOGGER_XML).toContain("<level>information</level>");
    expect(LOGGER_XML).toContain("<console>1</console>");
    expect(LOGGER_XML).toMatch(/<log remove="remove"\/>/);
    expect(LOGGER_XML).toMatch(/<errorlog remove="remove"\/>/);
    const data = named(prod(), CM, "clickhouse-config").inputs.data;
    expect(data["logger.xml"]).toBe(LOGGER_XML);
    const spec = template(prod()).spec;
    const logs = server(prod()).volumeMounts.find((m: any) => m.mountPath === "/var/log/clickhouse-server");
    expect(spec.volumes.find((v: any) => v.name === logs.name).emptyDir.sizeLimit).toBe("100Mi");
  });

  test.each(["prod", "dev"] as const)("%s: no ConfigMap in any pod is mounted by subPath (such a mount never sees an update)", (stack) => {
    for (const { workload, spec } of podTemplates(runs[stack]!)) {
      const fromConfigMaps = new Set((spec.volumes ?? []).filter((v: any) => v.configMap).map((v: any) => v.name));
      const bySubPath = spec.containers.flatMap((c: any) => c.volumeMounts ?? []).filter((m: any) => fromConfigMaps.has(m.name) && m.subPath);
      expect([workload, bySubPath]).toEqual([workload, []]);
    }
  });

  test("server settings and schema are directories: conf.d (merged like config.d) and the init directory", () => {
    const spec = template(prod()).spec;
    const mounts = Object.fromEntries(server(prod()).volumeMounts.map((m: any) => [m.mountPath, m.name]));
    const keys = (name: string) =>
      spec.volumes
        .find((v: any) => v.name === name)
        .configMap.items.map((i: any) => i.key)
        .sort();
    expect(keys(mounts["/etc/clickhouse-server/conf.d"])).toEqual(["logger.xml", "prometheus.xml"]);
    expect(keys(mounts["/docker-entrypoint-initdb.d"])).toEqual(Object.keys(clickhouseSchema("telemetry")).sort());
  });

  test("the schema applies on every start, so a later change reaches an existing volume", () => {
    expect(env(server(prod())).CLICKHOUSE_ALWAYS_RUN_INITDB_SCRIPTS).toBe("1");
    // Every statement must then be harmless to repeat.
    for (const [database, sql] of [
      ["telemetry", clickhouseSchema("telemetry")],
      ["other_db", clickhouseSchema("other_db")],
    ] as const) {
      const statements = Object.values(sql)
        .join("\n")
        .replace(/--.*$/gm, "")
        .split(";")
        .map((s) => s.trim().replace(/\s+/g, " "))
        .filter(Boolean);
      expect(statements.length).toBeGreaterThanOrEqual(3);
      for (const s of statements)
        expect([database, s]).toEqual([
          database,
          expect.stringMatching(/^(CREATE (DATABASE|TABLE|(MATERIALIZED )?VIEW|DICTIONARY) IF NOT EXISTS|ALTER TABLE \S+ (ADD|DROP|MODIFY) (COLUMN|INDEX) IF (NOT )?EXISTS) /),
        ]);
    }
  });

  test("a change of any mounted file rolls the pod: its checksum is on the pod template", () => {
    const data = named(prod(), CM, "clickhouse-config").inputs.data;
    expect(Object.keys(data).sort()).toEqual(["001_tables.sql", "logger.xml", "prometheus.xml"]);
    // Server settings first, then the schema files: the order the component hashes them in.
    const contents = ["prometheus.xml", "logger.xml", "001_tables.sql"].map((k) => data[k]);
    expect(template(prod()).metadata.annotations["checksum/config"]).toBe(createHash("sha256").update(contents.join("\0")).digest("hex"));
  });

  test("a startup probe covers a slow first start before liveness counts", () => {
    const c = server(prod());
    expect(c.startupProbe).toEqual({ httpGet: { path: "/ping", port: 8123 }, periodSeconds: 5, failureThreshold: 120 });
    expect(c.livenessProbe.initialDelaySeconds).toBeUndefined();
  });
});

describe("rotating a credential rolls the pods that read it", () => {
  const SECRET = "kubernetes:core/v1:Secret";
  const hmac = (key: string, value: string) => createHmac("sha256", key).update(value).digest("hex");
  const sum = (parts: string[]) => createHash("sha256").update(parts.join("\0")).digest("hex");

  test("each pod carries a keyed hash of exactly the credentials it reads; the key is in no manifest", () => {
    const run = prod();
    const secrets = Object.fromEntries(ofType(run, SECRET).map((s) => [s.inputs.metadata.name, s.inputs.stringData]));
    const value = (secret: string) => Object.entries(secrets[secret]).find(([k]) => ["password", "admin-password", "secret"].includes(k))![1] as string;
    const inSecrets = Object.keys(secrets).map(value);
    const keys = run.generated.filter((g) => !inSecrets.includes(g));
    expect(keys).toHaveLength(1);
    const expected = (...names: string[]) => sum(names.map((n) => hmac(keys[0], value(n))));
    const annotation = (kind: string, name: string) => named(run, kind, name).inputs.spec.template.metadata.annotations?.["checksum/credentials"];
    const DEPLOY = "kubernetes:apps/v1:Deployment";
    expect(annotation(STS, "redis")).toBe(expected("redis-auth"));
    expect(annotation(STS, "postgres")).toBe(expected("postgres-auth"));
    expect(annotation(STS, "clickhouse")).toBe(expected("clickhouse-auth"));
    expect(annotation(DEPLOY, "refinement-api")).toBe(expected("redis-auth"));
    expect(annotation(DEPLOY, "learning-api")).toBe(expected("redis-auth"));
    expect(annotation(DEPLOY, "storage-service")).toBe(expected("clickhouse-auth"));
    expect(annotation(DEPLOY, "gateway")).toBe(expected("jwt-secret"));
    expect(annotation(STS, "kafka")).toBeUndefined();
    const manifests = JSON.stringify(run.resources.filter((r) => r.type.startsWith("kubernetes:")).map((r) => r.inputs));
    expect(manifests).not.toContain(keys[0]);
    for (const v of inSecrets) expect(JSON.stringify(named(run, STS, "redis").inputs)).not.toContain(v);
  });
});
