/**
 * The broker settings the manifest gives Kafka, on a real broker (the jars scripts/servers/install.sh
 * caches): a volume whose root holds lost+found with log.dirs in its subdirectory, the heap for dev's
 * 1 GiB limit, and the console-only log4j configuration, which must log to stdout and write no file.
 */
import { ChildProcess, execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { setTimeout as sleep } from "timers/promises";
import { kafkaHeapOpts, LOG_DIRS, LOG4J_PROPERTIES } from "../../components/datastores/kafka";
import { freePort, HOST } from "../../scripts/servers/run";

const cache = process.env.PLATFORM_SERVERS_HOME ?? path.join(os.homedir(), ".cache", "platform-servers");
const version = fs.existsSync(cache)
  ? fs
      .readdirSync(cache)
      .filter((d) => d.startsWith("kafka-"))
      .sort()
      .pop()
  : undefined;

(version ? describe : describe.skip)("a broker with the manifest's settings", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kafka-broker-"));
  const volume = path.join(dir, "volume");
  // log.dirs at the same place relative to the volume as in the pod.
  const logDirs = path.join(volume, path.relative("/var/lib/kafka/data", LOG_DIRS));
  const appLogs = path.join(dir, "opt-kafka-logs");
  let broker: ChildProcess;
  let stdout = "";

  beforeAll(async () => {
    fs.mkdirSync(path.join(volume, "lost+found"), { recursive: true });
    fs.mkdirSync(appLogs);
    fs.writeFileSync(path.join(dir, "log4j.properties"), LOG4J_PROPERTIES);
    const [port, controllerPort] = [await freePort(), await freePort()];
    const properties = path.join(dir, "server.properties");
    fs.writeFileSync(
      properties,
      [
        "process.roles=broker,controller",
        "node.id=0",
        `controller.quorum.voters=0@${HOST}:${controllerPort}`,
        `listeners=PLAINTEXT://${HOST}:${port},CONTROLLER://${HOST}:${controllerPort}`,
        "controller.listener.names=CONTROLLER",
        "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        `log.dirs=${logDirs}`,
        "offsets.topic.replication.factor=1",
        "",
      ].join("\n"),
    );
    // As kafka-run-class.sh starts it: kafka.logs.dir is where file appenders would write.
    const java = [
      ...kafkaHeapOpts("1Gi").split(" "),
      "-XX:+UseSerialGC",
      `-Dlog4j.configuration=file:${dir}/log4j.properties`,
      `-Dkafka.logs.dir=${appLogs}`,
      "-cp",
      path.join(cache, version!, "libs", "*"),
    ];
    execFileSync("java", [...java, "kafka.tools.StorageTool", "format", "-t", "MkU5Q0FCRDE3NzQ1NDQ", "-c", properties], { stdio: "pipe" });
    broker = spawn("java", [...java, "kafka.Kafka", properties], { stdio: ["ignore", "pipe", "pipe"] });
    broker.stdout!.on("data", (d) => (stdout += d));
    for (let i = 0; !/Kafka Server started|KafkaRaftServer.*started/.test(stdout); i++) {
      if (i >= 600 || broker.exitCode !== null) throw new Error(`the broker did not start:\n${stdout.slice(-3000)}`);
      await sleep(200);
    }
  }, 180_000);

  afterAll(async () => {
    broker?.kill("SIGKILL");
    await sleep(200);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test("starts with lost+found at the volume root: log.dirs is the subdirectory", () => {
    expect(fs.readdirSync(volume).sort()).toEqual(["logs", "lost+found"]);
    expect(fs.readdirSync(logDirs)).toEqual(expect.arrayContaining(["meta.properties", "__cluster_metadata-0"]));
  });

  test("logs to stdout in the configured pattern and writes no log file", () => {
    expect(stdout).toMatch(/^\[\d{4}-\d\d-\d\d [\d:,]+\] INFO .+ \(kafka\./m);
    expect(fs.readdirSync(appLogs)).toEqual([]);
  });
});
