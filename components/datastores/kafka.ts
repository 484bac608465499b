/**
 * Kafka in KRaft mode (no ZooKeeper): every broker is also a controller voter, 1 in dev and 3 in
 * prod; topics are created (and their partitions raised) by a Job with the configured partitions
 * and replication factor; a kafka-exporter Deployment exposes broker and consumer-lag metrics.
 * The broker's heap follows its memory limit and it logs to the console only.
 */
import * as k8s from "../shared/k8s";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { createHash } from "crypto";
import type { KafkaConfig } from "../../config/schema";
import { parseMemory } from "../../config/quantities";
import { configChecksum, configFiles, container, deployment, exporterContainer, podDefaults, resourceRequirements, serviceAccount, workloadLabels, type EnvVar } from "../shared/workload";
import type { InClusterTarget } from "../../health";
import type { HealthCheck } from "../shared/health-check";
import type { Datastore, DatastoreArgs } from "./datastore";
import { keepData } from "../shared/data-safety";
import { statefulWorkload } from "./stateful";

/** Kafka has no generated password: its listeners are PLAINTEXT, and its NetworkPolicy admits only its clients. */
export type KafkaArgs = Omit<DatastoreArgs<KafkaConfig>, "credential">;

const PORT = 9092;
const CONTROLLER_PORT = 9093;
const EXPORTER_PORT = 9308;
const KAFKA_UID = 1000;
const KAFKA_BIN = "/opt/kafka/bin";
const DATA_MOUNT = "/var/lib/kafka/data";
/** A directory inside the volume: Kafka reads every entry of a log dir, and ext4 puts lost+found at the root. */
export const LOG_DIRS = `${DATA_MOUNT}/logs`;
const LOG4J_DIR = "/etc/kafka/log4j";
/** Console only: the distribution's file appenders would grow files on the container's writable layer. */
export const LOG4J_PROPERTIES = `log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.kafka.authorizer.logger=WARN
log4j.logger.state.change.logger=INFO
log4j.logger.kafka.controller=INFO
`;

/**
 * The JVM heap for a container memory limit: half of it (the rest is page cache, metaspace and
 * direct buffers), at most the 6 GiB Kafka's documentation recommends. The image's default of
 * 1 GiB does not fit a 1 GiB limit.
 */
export function kafkaHeapOpts(memoryLimit: string): string {
  const mib = Math.floor(Math.min(parseMemory(memoryLimit)! / 2, 6 * 2 ** 30) / 2 ** 20);
  return `-Xms${mib}m -Xmx${mib}m`;
}

/**
 * Moves a log dir the previous release kept at the volume root into LOG_DIRS, by renames on the
 * same filesystem, so topics and the KRaft metadata survive the upgrade. meta.properties moves
 * last and the directory is renamed into place at the end, so an interrupted run resumes.
 */
export const LOG_DIR_MIGRATION = `d=${DATA_MOUNT}; new=${LOG_DIRS}; tmp=$new.migrating
if [ ! -d "$new" ] && { [ -f "$d/meta.properties" ] || [ -d "$tmp" ]; }; then
  echo "moving the log dir from $d into $new"
  mkdir -p "$tmp"
  for f in "$d"/* "$d"/.[!.]*; do
    case "\${f##*/}" in lost+found|meta.properties|"\${tmp##*/}") ;; *) if [ -e "$f" ]; then mv "$f" "$tmp"/; fi ;; esac
  done
  if [ -f "$d/meta.properties" ]; then mv "$d/meta.properties" "$tmp"/; fi
  mv "$tmp" "$new"
fi`;

/**
 * The topics Job's script: creates each topic, raises its partitions to the configured count
 * (Kafka cannot lower them: a smaller count is reported and left), and sets min.insync.replicas.
 * Every step is idempotent, so the Job can rerun any time.
 */
export function topicsScript(c: KafkaConfig, bootstrap: string): string {
  return [
    "set -eu",
    `topics() { ${KAFKA_BIN}/kafka-topics.sh --bootstrap-server ${bootstrap} "$@"; }`,
    "ensure_topic() {",
    '  topics --create --if-not-exists --topic "$1" --partitions "$2" --replication-factor "$3" --config min.insync.replicas="$4"',
    "  have=$(topics --describe --topic \"$1\" | sed -n 's/.*PartitionCount: *\\([0-9]*\\).*/\\1/p' | head -n 1)",
    '  case "$have" in ""|*[!0-9]*) echo "topic $1: cannot read its partition count" >&2; exit 1 ;; esac',
    '  if [ "$have" -lt "$2" ]; then',
    '    echo "topic $1: raising partitions from $have to $2"',
    '    topics --alter --topic "$1" --partitions "$2"',
    '  elif [ "$have" -gt "$2" ]; then',
    '    echo "topic $1: keeps its $have partitions; Kafka cannot lower them to the configured $2"',
    "  fi",
    `  ${KAFKA_BIN}/kafka-configs.sh --bootstrap-server ${bootstrap} --alter --entity-type topics --entity-name "$1" --add-config min.insync.replicas="$4"`,
    "}",
    ...c.topics.map((t) => `ensure_topic ${t.name} ${t.partitions} ${t.replicationFactor} ${Math.min(c.minInsyncReplicas, t.replicationFactor)}`),
  ].join("\n");
}

/** Pod addresses of a StatefulSet `name` through its headless Service, e.g. kafka-0.kafka-headless:9092. */
function podAddresses(name: string, replicas: number, port: number): string[] {
  return Array.from({ length: replicas }, (_, i) => `${name}-${i}.${name}-headless:${port}`);
}

export class Kafka extends pulumi.ComponentResource implements Datastore {
  public readonly name: string;
  public readonly clientPort = PORT;
  public readonly traffic;
  public readonly healthCheck: HealthCheck;
  private readonly brokers: string[];
  private readonly exporterName: string;
  private readonly topicsJobName: string;

  constructor(name: string, args: KafkaArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:datastores:Kafka", name, {}, opts);
    this.name = name;
    this.exporterName = `${name}-exporter`;
    this.topicsJobName = `${name}-topics`;
    const c = args.config;
    const child = { parent: this };
    this.brokers = podAddresses(name, c.brokers, PORT);
    // KRaft needs a 16-byte cluster id in URL-safe base64; generated once and kept in state.
    const clusterId = new random.RandomId(`${name}-cluster-id`, { byteLength: 16 }, keepData(args.protect, child)).b64Url;
    const voters = podAddresses(name, c.brokers, CONTROLLER_PORT)
      .map((address, i) => `${i}@${address}`)
      .join(",");
    const internalRf = Math.min(3, c.brokers);
    const log4j = configFiles(name, "datastore", `${name}-log4j`, args.namespace, { "log4j.properties": LOG4J_PROPERTIES }, child);

    const { statefulSet } = statefulWorkload(
      {
        name: this.name,
        namespace: args.namespace,
        replicas: c.brokers,
        uid: KAFKA_UID,
        storage: c.storage,
        storageClassName: args.storageClassName,
        protect: args.protect,
        ports: [
          { name: "client", port: PORT },
          { name: "controller", port: CONTROLLER_PORT },
        ],
        annotations: {
          "policy.platform/exempt.container-read-only-root-filesystem": "the apache/kafka image renders server.properties under /opt/kafka/config at start",
        },
        containers: [
          container({
            name: "kafka",
            image: c.image,
            // Node id and advertised address come from the pod's ordinal (kafka-<n>).
            command: [
              "sh",
              "-c",
              `${LOG_DIR_MIGRATION}\nexport KAFKA_NODE_ID=\${HOSTNAME##*-}; export KAFKA_ADVERTISED_LISTENERS=PLAINTEXT://\${HOSTNAME}.${name}-headless:${PORT}; exec /etc/kafka/docker/run`,
            ],
            env: [
              { name: "CLUSTER_ID", value: clusterId },
              { name: "KAFKA_PROCESS_ROLES", value: "broker,controller" },
              { name: "KAFKA_LISTENERS", value: `PLAINTEXT://:${PORT},CONTROLLER://:${CONTROLLER_PORT}` },
              { name: "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP", value: "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT" },
              { name: "KAFKA_CONTROLLER_LISTENER_NAMES", value: "CONTROLLER" },
              { name: "KAFKA_INTER_BROKER_LISTENER_NAME", value: "PLAINTEXT" },
              { name: "KAFKA_CONTROLLER_QUORUM_VOTERS", value: voters },
              { name: "KAFKA_LOG_DIRS", value: LOG_DIRS },
              { name: "KAFKA_AUTO_CREATE_TOPICS_ENABLE", value: "false" },
              { name: "KAFKA_DEFAULT_REPLICATION_FACTOR", value: String(internalRf) },
              { name: "KAFKA_MIN_INSYNC_REPLICAS", value: String(c.minInsyncReplicas) },
              { name: "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", value: String(internalRf) },
              { name: "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", value: String(internalRf) },
              { name: "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", value: String(Math.min(c.minInsyncReplicas, internalRf)) },
              { name: "KAFKA_HEAP_OPTS", value: kafkaHeapOpts(c.resources.limits.memory) },
              { name: "KAFKA_LOG4J_OPTS", value: `-Dlog4j.configuration=file:${LOG4J_DIR}/log4j.properties` },
              // kafka-server-start.sh's default adds -loggc, which writes GC logs under /opt/kafka/logs.
              { name: "EXTRA_ARGS", value: "-name kafkaServer" },
            ],
            ports: [
              { name: "client", containerPort: PORT },
              { name: "controller", containerPort: CONTROLLER_PORT },
            ],
            resources: resourceRequirements(c.resources),
            securityContext: {
              allowPrivilegeEscalation: false,
              readOnlyRootFilesystem: false,
              runAsNonRoot: true,
              capabilities: { drop: ["ALL"] },
              seccompProfile: { type: "RuntimeDefault" },
            },
            livenessProbe: { tcpSocket: { port: CONTROLLER_PORT }, initialDelaySeconds: 30, periodSeconds: 10, failureThreshold: 6 },
            readinessProbe: { tcpSocket: { port: PORT }, initialDelaySeconds: 10, periodSeconds: 5 },
            volumeMounts: [
              { name: "data", mountPath: DATA_MOUNT },
              { name: "tmp", mountPath: "/tmp" },
              { name: "log4j", mountPath: LOG4J_DIR, readOnly: true },
            ],
          }),
        ],
        volumes: [{ name: "log4j", configMap: { name: log4j.metadata.name } }],
        podAnnotations: configChecksum(LOG4J_PROPERTIES),
      },
      this,
    );

    this.createExporter(args, statefulSet);
    this.createTopicsJob(args, statefulSet);

    this.traffic = {
      workloads: [{ name: this.name }, { name: this.exporterName, metricsPort: EXPORTER_PORT }, { name: this.topicsJobName }],
      flows: [
        { from: this.name, to: this.name, port: PORT, why: "inter-broker replication" },
        { from: this.name, to: this.name, port: CONTROLLER_PORT, why: "KRaft controller quorum" },
        { from: this.exporterName, to: this.name, port: PORT, why: "exporter reads broker and consumer-group metadata" },
        { from: this.topicsJobName, to: this.name, port: PORT, why: "topic creation" },
      ],
    };
    this.healthCheck = {
      check: name,
      target: { kind: "kafka", name, serviceName: name, servicePort: PORT, brokers: c.brokers, topics: c.topics.map((t) => ({ name: t.name, partitions: t.partitions })) } satisfies InClusterTarget,
    };
    this.registerOutputs({ brokers: this.brokers });
  }

  private createExporter(args: KafkaArgs, brokers: k8s.apps.v1.StatefulSet): void {
    const opts = { parent: this };
    deployment(
      {
        name: this.exporterName,
        namespace: args.namespace,
        component: "monitoring",
        replicas: 1,
        uid: 65534,
        annotations: { "policy.platform/exempt.workload-autoscaling": "a single metrics exporter; a second replica would double every series" },
        metrics: { port: EXPORTER_PORT },
        containers: [exporterContainer({ image: args.config.exporterImage, port: EXPORTER_PORT, healthPath: "/healthz", memoryLimit: "128Mi", args: this.brokers.map((b) => `--kafka.server=${b}`) })],
      },
      { ...opts, dependsOn: [brokers] },
    );
  }

  /** Jobs are immutable, so the Job's name carries a hash of the topic list: a change runs a new one. */
  private createTopicsJob(args: KafkaArgs, brokers: k8s.apps.v1.StatefulSet): void {
    const c = args.config;
    if (c.topics.length === 0) return;
    const opts = { parent: this };
    const script = topicsScript(c, this.brokers.join(","));
    const hash = createHash("sha256").update(script).digest("hex").slice(0, 8);
    const labels = workloadLabels(this.topicsJobName, "datastore");
    const sa = serviceAccount({ name: this.topicsJobName, namespace: args.namespace, component: "datastore" }, opts);
    new k8s.batch.v1.Job(
      `${this.topicsJobName}-${hash}`,
      {
        metadata: { name: `${this.topicsJobName}-${hash}`, namespace: args.namespace, labels },
        spec: {
          backoffLimit: 10,
          template: {
            metadata: { labels },
            spec: {
              restartPolicy: "OnFailure",
              serviceAccountName: sa.metadata.name,
              ...podDefaults(KAFKA_UID),
              containers: [
                container({
                  name: "create-topics",
                  image: c.image,
                  command: ["sh", "-c", script],
                  resources: { requests: { cpu: "100m", memory: "256Mi" }, limits: { cpu: "500m", memory: "512Mi" } },
                  volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
                }),
              ],
              volumes: [{ name: "tmp", emptyDir: {} }],
            },
          },
        },
      },
      { ...opts, dependsOn: [brokers] },
    );
  }

  clientEnv(addrEnv: string): EnvVar[] {
    return [{ name: addrEnv, value: this.brokers.join(",") }];
  }
}
