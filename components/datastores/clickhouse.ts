/**
 * ClickHouse: StatefulSet with a password-protected application user, HTTP 8123 and native 9000,
 * data on a volume, the schema in schema/clickhouse/ applied on first start, and the built-in
 * Prometheus endpoint on 9363.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import * as path from "path";
import type { PlatformConfig } from "../../config/schema";
import type { Credential } from "../secrets/generated-secrets";
import { container, resourceRequirements, workloadLabels } from "../shared/workload";
import { Datastore, EnvVar, fromSecret } from "./datastore";
import { statefulWorkload } from "./stateful";

export interface ClickHouseArgs {
  namespace: pulumi.Input<string>;
  config: PlatformConfig["clickhouse"];
  storageClassName?: string;
  protect: boolean;
  credential: Credential;
}

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

export class ClickHouse extends pulumi.ComponentResource implements Datastore {
  public readonly name = "clickhouse";
  public readonly clientPort = NATIVE_PORT;
  public readonly traffic;
  private readonly args: ClickHouseArgs;

  constructor(name: string, args: ClickHouseArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:datastores:ClickHouse", name, {}, opts);
    this.args = args;
    const c = args.config;
    const configMap = new k8s.core.v1.ConfigMap(
      "clickhouse-config",
      {
        metadata: { name: "clickhouse-config", namespace: args.namespace, labels: workloadLabels(this.name, "datastore") },
        data: { "prometheus.xml": PROMETHEUS_XML, ...clickhouseSchema(c.database) },
      },
      { parent: this },
    );
    const schemaFiles = Object.keys(clickhouseSchema(c.database));
    const { service } = statefulWorkload(
      {
        name: this.name,
        namespace: args.namespace,
        replicas: 1,
        uid: 101,
        storage: c.storage,
        storageClassName: args.storageClassName,
        protect: args.protect,
        ports: [{ name: "http", port: HTTP_PORT }, { name: "native", port: NATIVE_PORT }],
        metricsPort: METRICS_PORT,
        volumes: [
          { name: "config", configMap: { name: configMap.metadata.name } },
          { name: "users-d", emptyDir: {} },
          { name: "logs", emptyDir: {} },
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
            ],
            ports: [
              { name: "http", containerPort: HTTP_PORT },
              { name: "native", containerPort: NATIVE_PORT },
              { name: "metrics", containerPort: METRICS_PORT },
            ],
            resources: resourceRequirements(c.resources),
            livenessProbe: { httpGet: { path: "/ping", port: HTTP_PORT }, initialDelaySeconds: 20, periodSeconds: 10, failureThreshold: 6 },
            readinessProbe: { httpGet: { path: "/ping", port: HTTP_PORT }, initialDelaySeconds: 5, periodSeconds: 5 },
            volumeMounts: [
              { name: "data", mountPath: "/var/lib/clickhouse" },
              { name: "tmp", mountPath: "/tmp" },
              { name: "logs", mountPath: "/var/log/clickhouse-server" },
              // The image's entrypoint writes the application user into users.d at start.
              { name: "users-d", mountPath: "/etc/clickhouse-server/users.d" },
              { name: "config", mountPath: "/etc/clickhouse-server/config.d/prometheus.xml", subPath: "prometheus.xml", readOnly: true },
              ...schemaFiles.map((f) => ({ name: "config", mountPath: `/docker-entrypoint-initdb.d/${f}`, subPath: f, readOnly: true })),
            ],
          }),
        ],
      },
      this,
    );
    this.traffic = { workloads: [{ name: this.name, metricsPort: METRICS_PORT }], flows: [] };
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
