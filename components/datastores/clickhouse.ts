/**
 * ClickHouse: StatefulSet with a password-protected application user, HTTP 8123 and native 9000,
 * data on a volume, the schema in schema/clickhouse/ applied on every start (its statements are
 * idempotent, so a later schema change reaches an existing volume), logs on the console at
 * information level, and the built-in Prometheus endpoint on 9363.
 */
import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import * as path from "path";
import type { ClickHouseConfig } from "../../config/schema";
import { credentialsChecksum } from "../secrets/generated-secrets";
import { configChecksum, configFiles, container, fromSecret, resourceRequirements, type EnvVar } from "../shared/workload";
import type { InClusterTarget } from "../../health";
import type { HealthCheck } from "../shared/health-check";
import type { Datastore, DatastoreArgs } from "./datastore";
import { statefulWorkload } from "./stateful";

export type ClickHouseArgs = DatastoreArgs<ClickHouseConfig>;

const HTTP_PORT = 8123;
const NATIVE_PORT = 9000;
const METRICS_PORT = 9363;
const SCHEMA_DIR = path.join(__dirname, "..", "..", "schema", "clickhouse");

/** The schema files with the configured database name filled in, by file name. */
export function clickhouseSchema(database: string): Record<string, string> {
  return Object.fromEntries(
    fs
      .readdirSync(SCHEMA_DIR)
      .filter((f) => f.endsWith(".sql"))
      .sort()
      .map((f) => [f, fs.readFileSync(path.join(SCHEMA_DIR, f), "utf8").replaceAll("{database}", database)]),
  );
}

/** Tables the schema creates; the health check expects each of them. */
export function clickhouseTables(database: string): string[] {
  const sql = Object.values(clickhouseSchema(database)).join("\n");
  return [...sql.matchAll(/CREATE TABLE IF NOT EXISTS \w+\.(\w+)/g)].map((m) => m[1]);
}

const PROMETHEUS_XML = `<clickhouse>
  <prometheus>
    <endpoint>/metrics</endpoint>
    <port>${METRICS_PORT}</port>
    <metrics>true</metrics>
    <events>true</events>
    <asynchronous_metrics>true</asynchronous_metrics>
  </prometheus>
  <listen_host>0.0.0.0</listen_host>
</clickhouse>
`;

/** The image logs at trace level into files under /var/log; information level on the console instead. */
export const LOGGER_XML = `<clickhouse>
  <logger>
    <level>information</level>
    <console>1</console>
    <log remove="remove"/>
    <errorlog remove="remove"/>
  </logger>
</clickhouse>
`;

/** Server settings, mounted as a directory (a subPath mount never sees a ConfigMap update) at conf.d, which ClickHouse merges like config.d. */
const SERVER_CONFIG = { "prometheus.xml": PROMETHEUS_XML, "logger.xml": LOGGER_XML };

export class ClickHouse extends pulumi.ComponentResource implements Datastore {
  public readonly name: string;
  public readonly clientPort = NATIVE_PORT;
  public readonly traffic;
  public readonly healthCheck: HealthCheck;
  private readonly args: ClickHouseArgs;

  constructor(name: string, args: ClickHouseArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:datastores:ClickHouse", name, {}, opts);
    this.name = name;
    this.args = args;
    const c = args.config;
    const schema = clickhouseSchema(c.database);
    const configMap = configFiles(name, "datastore", `${name}-config`, args.namespace, { ...SERVER_CONFIG, ...schema }, { parent: this });
    const items = (files: Record<string, string>) => Object.keys(files).map((key) => ({ key, path: key }));
    const { service } = statefulWorkload(
      {
        name: this.name,
        namespace: args.namespace,
        replicas: 1,
        uid: 101,
        storage: c.storage,
        storageClassName: args.storageClassName,
        protect: args.protect,
        ports: [
          { name: "http", port: HTTP_PORT },
          { name: "native", port: NATIVE_PORT },
        ],
        metricsPort: METRICS_PORT,
        // A change of configuration, schema or password rolls the pod: each is read at start.
        podAnnotations: { ...configChecksum(...Object.values(SERVER_CONFIG), ...Object.values(schema)), ...credentialsChecksum([args.credential]) },
        volumes: [
          { name: "config", configMap: { name: configMap.metadata.name, items: items(SERVER_CONFIG) } },
          { name: "schema", configMap: { name: configMap.metadata.name, items: items(schema) } },
          { name: "users-d", emptyDir: {} },
          // Nothing logs to files (LOGGER_XML); the limit bounds an image that would anyway.
          { name: "logs", emptyDir: { sizeLimit: "100Mi" } },
        ],
        containers: [
          container({
            name: "clickhouse",
            image: c.image,
            env: [
              { name: "CLICKHOUSE_DB", value: c.database },
              { name: "CLICKHOUSE_USER", value: c.user },
              fromSecret("CLICKHOUSE_PASSWORD", args.credential.ref),
              { name: "CLICKHOUSE_DEFAULT_ACCESS_MANAGEMENT", value: "0" },
              // The entrypoint runs /docker-entrypoint-initdb.d on a non-empty volume too.
              { name: "CLICKHOUSE_ALWAYS_RUN_INITDB_SCRIPTS", value: "1" },
            ],
            ports: [
              { name: "http", containerPort: HTTP_PORT },
              { name: "native", containerPort: NATIVE_PORT },
              { name: "metrics", containerPort: METRICS_PORT },
            ],
            resources: resourceRequirements(c.resources),
            // The first start (schema, a large volume's parts) may be slow: up to 10 minutes before liveness counts.
            startupProbe: { httpGet: { path: "/ping", port: HTTP_PORT }, periodSeconds: 5, failureThreshold: 120 },
            livenessProbe: { httpGet: { path: "/ping", port: HTTP_PORT }, periodSeconds: 10, failureThreshold: 6 },
            readinessProbe: { httpGet: { path: "/ping", port: HTTP_PORT }, initialDelaySeconds: 5, periodSeconds: 5 },
            volumeMounts: [
              { name: "data", mountPath: "/var/lib/clickhouse" },
              { name: "tmp", mountPath: "/tmp" },
              { name: "logs", mountPath: "/var/log/clickhouse-server" },
              // The image's entrypoint writes the application user into users.d at start.
              { name: "users-d", mountPath: "/etc/clickhouse-server/users.d" },
              { name: "config", mountPath: "/etc/clickhouse-server/conf.d", readOnly: true },
              { name: "schema", mountPath: "/docker-entrypoint-initdb.d", readOnly: true },
            ],
          }),
        ],
      },
      this,
    );
    this.traffic = { workloads: [{ name: this.name, metricsPort: METRICS_PORT }], flows: [] };
    // Checked over HTTP, which the check library speaks; clients use the native port.
    this.healthCheck = {
      check: name,
      target: args.credential.value.apply((password): InClusterTarget => ({
        kind: "clickhouse",
        name,
        serviceName: name,
        servicePort: HTTP_PORT,
        user: c.user,
        password,
        database: c.database,
        tables: clickhouseTables(c.database),
      })),
    };
    this.registerOutputs({ service: service.metadata.name });
  }

  clientEnv(addrEnv: string): EnvVar[] {
    const ref = this.args.credential.ref;
    return [
      { name: addrEnv, value: `${this.name}:${NATIVE_PORT}` },
      { name: "CLICKHOUSE_DATABASE", value: this.args.config.database },
      fromSecret("CLICKHOUSE_USER", ref, "user"),
      fromSecret("CLICKHOUSE_PASSWORD", ref),
    ];
  }
}
