/**
 * Starts the real servers the health checks are tested against, each on 127.0.0.1 with a free port
 * and a temporary data directory, and stops them. Binaries come from scripts/servers/install.sh.
 */
import { ChildProcess, execFileSync, spawn } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer as createHttpServer } from "node:http";
import { AddressInfo, connect, createServer, Socket } from "node:net";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import * as grpc from "@grpc/grpc-js";
import { HealthImplementation, ServingStatusMap } from "grpc-health-check";

export const HOST = "127.0.0.1";

export interface Running {
  port: number;
  stop(): Promise<void>;
}

/** Unprivileged user that install.sh creates: PostgreSQL refuses to run as root. */
const TEST_USER = "platform-test";
const children = new Set<ChildProcess>();
// A crashed test run must not leave servers behind.
process.on("exit", () => children.forEach((c) => c.kill("SIGKILL")));

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `health-${prefix}-`));
}

async function waitForPort(port: number, child: ChildProcess, log: string, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode} before listening:\n${tail(log)}`);
    const open = await new Promise<boolean>((resolve) => {
      const s: Socket = connect({ host: HOST, port }, () => {
        s.destroy();
        resolve(true);
      });
      s.on("error", () => resolve(false));
    });
    if (open) return;
    await sleep(100);
  }
  throw new Error(`nothing listened on ${HOST}:${port} within ${timeoutMs} ms:\n${tail(log)}`);
}

function tail(log: string): string {
  return existsSync(log) ? readFileSync(log, "utf8").split("\n").slice(-20).join("\n") : "(no log)";
}

interface ProcessOptions {
  dir: string;
  port: number;
  /** Run as TEST_USER when we are root (setpriv execs, so the pid stays the server's). */
  unprivileged?: boolean;
  startTimeoutMs?: number;
}

/** Spawns a server, waits until its port accepts connections, and returns how to stop it. */
async function startProcess(cmd: string, args: string[], opts: ProcessOptions): Promise<Running> {
  const log = join(opts.dir, "server.log");
  const asUser = opts.unprivileged && process.getuid?.() === 0;
  const [file, argv] = asUser ? ["setpriv", [`--reuid=${TEST_USER}`, `--regid=${TEST_USER}`, "--init-groups", cmd, ...args]] : [cmd, args];
  const out = openSync(log, "a");
  const child = spawn(file, argv, { cwd: opts.dir, stdio: ["ignore", out, out] });
  children.add(child);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      if ((await Promise.race([exited.then(() => true), sleep(10_000, false, { ref: false })])) === false) child.kill("SIGKILL");
      await exited;
    }
    children.delete(child);
    rmSync(opts.dir, { recursive: true, force: true });
  };
  try {
    await waitForPort(opts.port, child, log, opts.startTimeoutMs ?? 30_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return { port: opts.port, stop };
}

/** redis-server without persistence; no password means none required. `args` override the defaults. */
export async function startRedis(password?: string, args: string[] = []): Promise<Running> {
  const dir = tempDir("redis");
  const port = await freePort();
  const auth = password === undefined ? [] : ["--requirepass", password];
  return startProcess("redis-server", ["--port", String(port), "--bind", HOST, ...auth, "--save", "", "--appendonly", "no", "--dir", dir, ...args], { dir, port });
}

/**
 * A Redis that is still loading its dataset for about `keys` × 10 ms after it opens its port, as
 * one restarting with a large RDB is: commands other than AUTH get -LOADING meanwhile.
 */
export async function startLoadingRedis(password: string, keys = 3000): Promise<Running> {
  const data = tempDir("redis-rdb");
  const seed = await startRedis(password, ["--dir", data, "--enable-debug-command", "local", "--rdbcompression", "no"]);
  const cli = (...args: string[]) => execFileSync("redis-cli", ["-h", HOST, "-p", String(seed.port), "--no-auth-warning", "-a", password, ...args], { stdio: "pipe" });
  // Values of 1 KiB, so that the loading server serves its clients after every key (below).
  cli("DEBUG", "POPULATE", String(keys), "key", "1024");
  cli("SAVE");
  await seed.stop();
  // Redis' own test settings for a slow load: a delay per key, and clients served every 1 KiB read.
  const loading = await startRedis(password, ["--dir", data, "--key-load-delay", "10000", "--loading-process-events-interval-bytes", "1024"]);
  return {
    port: loading.port,
    stop: async () => {
      await loading.stop();
      rmSync(data, { recursive: true, force: true });
    },
  };
}

/**
 * A TCP relay on 127.0.0.1 whose connections reach `port` from 127.0.0.2: still loopback, but not
 * the address Redis' protected mode lets in.
 */
export async function startRelayFromOtherAddress(port: number): Promise<Running> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect({ host: HOST, port, localAddress: "127.0.0.2" });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("error", () => undefined);
      s.on("close", () => {
        sockets.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  return {
    port: (server.address() as AddressInfo).port,
    stop: async () => {
      sockets.forEach((s) => s.destroy());
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

export interface PostgresSetup {
  user: string;
  password: string;
  database: string;
}

export async function startPostgres(setup: PostgresSetup): Promise<Running> {
  const bin = join("/usr/lib/postgresql", readdirSync("/usr/lib/postgresql").sort().pop()!, "bin");
  const dir = tempDir("postgres");
  const data = join(dir, "data");
  const root = process.getuid?.() === 0;
  if (root) {
    const uid = Number(execFileSync("id", ["-u", TEST_USER]).toString());
    const gid = Number(execFileSync("id", ["-g", TEST_USER]).toString());
    chownSync(dir, uid, gid);
  }
  const asUser = (cmd: string, args: string[]) =>
    execFileSync(root ? "setpriv" : cmd, root ? [`--reuid=${TEST_USER}`, `--regid=${TEST_USER}`, "--init-groups", cmd, ...args] : args, { stdio: "pipe" });
  const superPassword = "postgres-super-secret";
  writeFileSync(join(dir, "pwfile"), superPassword, { mode: 0o644 });
  asUser(join(bin, "initdb"), ["-D", data, "-U", "postgres", "--auth=scram-sha-256", `--pwfile=${join(dir, "pwfile")}`, "--no-sync"]);
  const port = await freePort();
  const running = await startProcess(join(bin, "postgres"), ["-D", data, "-p", String(port), "-k", dir, "-c", `listen_addresses=${HOST}`, "-c", "fsync=off"], { dir, port, unprivileged: true });
  // The port opens before the server accepts logins; psql retries are bounded by this loop.
  const psql = (sql: string) =>
    execFileSync(join(bin, "psql"), ["-h", HOST, "-p", String(port), "-U", "postgres", "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-c", sql], {
      env: { ...process.env, PGPASSWORD: superPassword },
      stdio: "pipe",
    });
  for (let i = 0; ; i++) {
    try {
      psql("SELECT 1");
      break;
    } catch (err) {
      if (i >= 50) throw err;
      await sleep(200);
    }
  }
  psql(`CREATE ROLE ${setup.user} LOGIN PASSWORD '${setup.password}'`);
  psql(`CREATE DATABASE ${setup.database} OWNER ${setup.user}`);
  return running;
}

export interface ClickHouseSetup {
  user: string;
  password: string;
  database: string;
  tables: string[];
}

/** clickhouse-server over HTTP; creates the database and tables the way the program's init does. */
export async function startClickHouse(setup: ClickHouseSetup): Promise<Running> {
  const dir = tempDir("clickhouse");
  const [port, tcpPort] = [await freePort(), await freePort()];
  writeFileSync(
    join(dir, "config.xml"),
    `<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><console>1</console></logger>
  <http_port>${port}</http_port>
  <tcp_port>${tcpPort}</tcp_port>
  <listen_host>${HOST}</listen_host>
  <path>${dir}/data/</path>
  <tmp_path>${dir}/tmp/</tmp_path>
  <users_config>${dir}/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>5368709</mark_cache_size>
</yandex>
`,
  );
  writeFileSync(
    join(dir, "users.xml"),
    `<?xml version="1.0"?>
<yandex>
  <profiles><default></default></profiles>
  <users>
    <${setup.user}>
      <password>${setup.password}</password>
      <networks><ip>${HOST}</ip></networks>
      <profile>default</profile>
      <quota>default</quota>
    </${setup.user}>
  </users>
  <quotas><default></default></quotas>
</yandex>
`,
  );
  const bin = existsSync("/usr/sbin/clickhouse-server") ? "/usr/sbin/clickhouse-server" : "clickhouse-server";
  const running = await startProcess(bin, [`--config-file=${dir}/config.xml`], { dir, port });
  const exec = async (query: string) => {
    const res = await fetch(`http://${HOST}:${port}/`, {
      method: "POST",
      body: query,
      headers: { "X-ClickHouse-User": setup.user, "X-ClickHouse-Key": setup.password },
    });
    if (!res.ok) throw new Error(`ClickHouse setup failed: ${query}: ${await res.text()}`);
  };
  await exec(`CREATE DATABASE ${setup.database}`);
  for (const table of setup.tables) {
    await exec(`CREATE TABLE ${setup.database}.${table} (ts DateTime, id String) ENGINE = MergeTree() ORDER BY ts`);
  }
  return running;
}

/** Single-node Kafka in KRaft mode (broker and controller in one process) from the cached jars. */
export async function startKafka(): Promise<Running> {
  const cache = process.env.PLATFORM_SERVERS_HOME ?? join(homedir(), ".cache", "platform-servers");
  const versions = existsSync(cache) ? readdirSync(cache).filter((d) => d.startsWith("kafka-")) : [];
  if (versions.length === 0) throw new Error(`no Kafka jars under ${cache}: run scripts/servers/install.sh`);
  const classpath = join(cache, versions.sort().pop()!, "libs", "*");
  const dir = tempDir("kafka");
  const [port, controllerPort] = [await freePort(), await freePort()];
  const properties = join(dir, "server.properties");
  writeFileSync(
    properties,
    [
      "process.roles=broker,controller",
      "node.id=1",
      `controller.quorum.voters=1@${HOST}:${controllerPort}`,
      `listeners=PLAINTEXT://${HOST}:${port},CONTROLLER://${HOST}:${controllerPort}`,
      `advertised.listeners=PLAINTEXT://${HOST}:${port}`,
      "controller.listener.names=CONTROLLER",
      "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
      "inter.broker.listener.name=PLAINTEXT",
      `log.dirs=${dir}/data`,
      "offsets.topic.replication.factor=1",
      "transaction.state.log.replication.factor=1",
      "transaction.state.log.min.isr=1",
      "group.initial.rebalance.delay.ms=0",
      "",
    ].join("\n"),
  );
  const java = ["-Xms128m", "-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Dlog4j.configuration=file:/dev/null", "-cp", classpath];
  const clusterId = execFileSync("java", [...java, "kafka.tools.StorageTool", "random-uuid"], { stdio: ["ignore", "pipe", "ignore"] })
    .toString()
    .trim()
    .split("\n")
    .pop()!;
  execFileSync("java", [...java, "kafka.tools.StorageTool", "format", "-t", clusterId, "-c", properties], { stdio: "pipe" });
  return startProcess("java", [...java, "kafka.Kafka", properties], { dir, port, startTimeoutMs: 60_000 });
}

/** Prometheus scraping itself and `extraTargets` (host:port) every second. */
export async function startPrometheus(extraTargets: string[] = []): Promise<Running> {
  const dir = tempDir("prometheus");
  const port = await freePort();
  writeFileSync(
    join(dir, "prometheus.yml"),
    [
      "global: { scrape_interval: 1s, scrape_timeout: 1s }",
      "scrape_configs:",
      `  - job_name: prometheus`,
      `    static_configs: [{ targets: ["${HOST}:${port}"] }]`,
      ...(extraTargets.length ? ["  - job_name: extra", `    static_configs: [{ targets: [${extraTargets.map((t) => `"${t}"`).join(", ")}] }]`] : []),
      "",
    ].join("\n"),
  );
  return startProcess("prometheus", [`--config.file=${dir}/prometheus.yml`, `--storage.tsdb.path=${dir}/data`, `--web.listen-address=${HOST}:${port}`, "--log.level=warn"], { dir, port });
}

export interface GrpcHealthServer extends Running {
  health: HealthImplementation;
}

/** A gRPC server built with grpc-js serving grpc.health.v1 through grpc-health-check. */
export async function startGrpcHealth(statuses: ServingStatusMap): Promise<GrpcHealthServer> {
  const server = new grpc.Server();
  const health = new HealthImplementation(statuses);
  health.addToServer(server);
  const port = await new Promise<number>((resolve, reject) => server.bindAsync(`${HOST}:0`, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
  return { port, health, stop: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())) };
}

export interface SilentServer extends Running {
  /** Connections the clients have not closed yet. */
  openConnections(): number;
}

/** Accepts TCP connections and never says anything: the "hung server" case. */
export async function startSilent(): Promise<SilentServer> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on("error", () => undefined);
    // Reads (and drops) what arrives, so a client's close is seen and counted.
    s.resume();
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  return {
    port: (server.address() as AddressInfo).port,
    openConnections: () => sockets.size,
    stop: async () => {
      sockets.forEach((s) => s.destroy());
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/**
 * No Grafana server can be installed here (no Debian package or registry package ships one), so
 * the Grafana check is tested against this HTTP server answering /api/health with Grafana's shape.
 */
export async function startGrafanaStandIn(database: "ok" | "failing" = "ok", body = JSON.stringify({ commit: "03f502a94d", database, version: "11.3.0" }), host = HOST): Promise<Running> {
  const server = createHttpServer((req, res) => {
    if (req.url === "/api/health") {
      res.writeHead(database === "ok" ? 200 : 503, { "content-type": "application/json" });
      res.end(body);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return {
    port: (server.address() as AddressInfo).port,
    stop: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
