/**
 * Kafka in KRaft mode (no ZooKeeper): every broker is also a controller voter, 1 in dev and 3 in
 * prod; topics are created by a Job with the configured partitions and replication factor; a
 * kafka-exporter Deployment exposes broker and consumer-lag metrics.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { createHash } from "crypto";
import type { PlatformConfig } from "../../config/schema";
import {
  container,
  resourceRequirements,
  restrictedPodSecurity,
  scrapeAnnotations,
  selectorLabels,
  serviceAccount,
  workloadLabels,
} from "../shared/workload";
import { Datastore, EnvVar } from "./datastore";
import { keepData } from "../shared/data-safety";
import { statefulWorkload } from "./stateful";

export interface KafkaArgs {
  namespace: pulumi.Input<string>;
  config: PlatformConfig["kafka"];
  storageClassName?: string;
  protect: boolean;
}

const PORT = 9092;
const CONTROLLER_PORT = 9093;
const EXPORTER = "kafka-exporter";
const EXPORTER_PORT = 9308;
const TOPICS_JOB = "kafka-topics";
const KAFKA_UID = 1000;

/** Broker addresses through the headless Service, e.g. kafka-0.kafka-headless:9092. */
export function brokerAddresses(brokers: number): string[] {
  return Array.from({ length: brokers }, (_, i) => `kafka-${i}.kafka-headless:${PORT}`);
}

export class Kafka extends pulumi.ComponentResource implements Datastore {
  public readonly name = "kafka";
  public readonly clientPort = PORT;
  public readonly traffic;
  private readonly brokers: string[];

  constructor(name: string, args: KafkaArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:datastores:Kafka", name, {}, opts);
    const c = args.config;
    const child = { parent: this };
    this.brokers = brokerAddresses(c.brokers);
    // KRaft needs a 16-byte cluster id in URL-safe base64; generated once and kept in state.
    const clusterId = new random.RandomId("kafka-cluster-id", { byteLength: 16 }, keepData(args.protect, child)).b64Url;
    const voters = Array.from({ length: c.brokers }, (_, i) => `${i}@kafka-${i}.kafka-headless:${CONTROLLER_PORT}`).join(",");
    const internalRf = Math.min(3, c.brokers);

    const { statefulSet } = statefulWorkload(
      {
        name: this.name,
        namespace: args.namespace,
        replicas: c.brokers,
        uid: KAFKA_UID,
        storage: c.storage,
        storageClassName: args.storageClassName,
        protect: args.protect,
        ports: [{ name: "client", port: PORT }, { name: "controller", port: CONTROLLER_PORT }],
        annotations: {
          "policy.platform/exempt.container-read-only-root-filesystem":
            "the apache/kafka image renders server.properties under /opt/kafka/config at start",
        },
        containers: [
          container({
            name: "kafka",
            image: c.image,
            // Node id and advertised address come from the pod's ordinal (kafka-<n>).
            command: ["sh", "-c", "export KAFKA_NODE_ID=${HOSTNAME##*-}; export KAFKA_ADVERTISED_LISTENERS=PLAINTEXT://${HOSTNAME}.kafka-headless:9092; exec /etc/kafka/docker/run"],
            env: [
              { name: "CLUSTER_ID", value: clusterId },
              { name: "KAFKA_PROCESS_ROLES", value: "broker,controller" },
              { name: "KAFKA_LISTENERS", value: `PLAINTEXT://:${PORT},CONTROLLER://:${CONTROLLER_PORT}` },
              { name: "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP", value: "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT" },
              { name: "KAFKA_CONTROLLER_LISTENER_NAMES", value: "CONTROLLER" },
              { name: "KAFKA_INTER_BROKER_LISTENER_NAME", value: "PLAINTEXT" },
              { name: "KAFKA_CONTROLLER_QUORUM_VOTERS", value: voters },
              { name: "KAFKA_LOG_DIRS", value: "/var/lib/kafka/data" },
              { name: "KAFKA_AUTO_CREATE_TOPICS_ENABLE", value: "false" },
              { name: "KAFKA_DEFAULT_REPLICATION_FACTOR", value: String(internalRf) },
              { name: "KAFKA_MIN_INSYNC_REPLICAS", value: String(c.minInsyncReplicas) },
              { name: "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", value: String(internalRf) },
              { name: "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", value: String(internalRf) },
              { name: "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", value: String(Math.min(c.minInsyncReplicas, internalRf)) },
            ],
            ports: [{ name: "client", containerPort: PORT }, { name: "controller", containerPort: CONTROLLER_PORT }],
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
            volumeMounts: [{ name: "data", mountPath: "/var/lib/kafka/data" }, { name: "tmp", mountPath: "/tmp" }],
          }),
        ],
      },
      this,
    );

    this.createExporter(args, statefulSet);
    this.createTopicsJob(args, statefulSet);

    this.traffic = {
      workloads: [{ name: this.name }, { name: EXPORTER, metricsPort: EXPORTER_PORT }, { name: TOPICS_JOB }],
      flows: [
        { from: this.name, to: this.name, port: PORT, why: "inter-broker replication" },
        { from: this.name, to: this.name, port: CONTROLLER_PORT, why: "KRaft controller quorum" },
        { from: EXPORTER, to: this.name, port: PORT, why: "exporter reads broker and consumer-group metadata" },
        { from: TOPICS_JOB, to: this.name, port: PORT, why: "topic creation" },
      ],
    };
    this.registerOutputs({ brokers: this.brokers });
  }

  private createExporter(args: KafkaArgs, brokers: k8s.apps.v1.StatefulSet): void {
    const opts = { parent: this };
    const labels = workloadLabels(EXPORTER, "monitoring");
    const sa = serviceAccount({ name: EXPORTER, namespace: args.namespace, component: "monitoring" }, opts);
    new k8s.apps.v1.Deployment(
      EXPORTER,
      {
        metadata: {
          name: EXPORTER,
          namespace: args.namespace,
          labels,
          annotations: { "policy.platform/exempt.workload-autoscaling": "a single metrics exporter; a second replica would double every series" },
        },
        spec: {
          replicas: 1,
          selector: { matchLabels: selectorLabels(EXPORTER) },
          template: {
            metadata: { labels, annotations: scrapeAnnotations(EXPORTER_PORT) },
            spec: {
              serviceAccountName: sa.metadata.name,
              automountServiceAccountToken: false,
              securityContext: restrictedPodSecurity(65534),
              containers: [
                container({
                  name: "exporter",
                  image: args.config.exporterImage,
                  args: this.brokers.map((b) => `--kafka.server=${b}`),
                  ports: [{ name: "metrics", containerPort: EXPORTER_PORT }],
                  resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { cpu: "100m", memory: "128Mi" } },
                  livenessProbe: { httpGet: { path: "/healthz", port: EXPORTER_PORT }, periodSeconds: 20 },
                  readinessProbe: { httpGet: { path: "/healthz", port: EXPORTER_PORT }, periodSeconds: 10 },
                }),
              ],
            },
          },
        },
      },
      { ...opts, dependsOn: [brokers] },
    );
  }

  /** Jobs are immutable, so the Job's name carries a hash of the topic list: a change runs a new one. */
  private createTopicsJob(args: KafkaArgs, brokers: k8s.apps.v1.StatefulSet): void {
    const c = args.config;
    if (c.topics.length === 0) return;
    const opts = { parent: this };
    const bootstrap = this.brokers.join(",");
    const script = [
      "set -e",
      ...c.topics.map(
        (t) =>
          `/opt/kafka/bin/kafka-topics.sh --bootstrap-server ${bootstrap} --create --if-not-exists --topic ${t.name} ` +
          `--partitions ${t.partitions} --replication-factor ${t.replicationFactor} --config min.insync.replicas=${Math.min(c.minInsyncReplicas, t.replicationFactor)}`,
      ),
    ].join("\n");
    const hash = createHash("sha256").update(script).digest("hex").slice(0, 8);
    const labels = workloadLabels(TOPICS_JOB, "datastore");
    const sa = serviceAccount({ name: TOPICS_JOB, namespace: args.namespace, component: "datastore" }, opts);
    new k8s.batch.v1.Job(
      `${TOPICS_JOB}-${hash}`,
      {
        metadata: { name: `${TOPICS_JOB}-${hash}`, namespace: args.namespace, labels },
        spec: {
          backoffLimit: 10,
          template: {
            metadata: { labels },
            spec: {
              restartPolicy: "OnFailure",
              serviceAccountName: sa.metadata.name,
              automountServiceAccountToken: false,
              securityContext: restrictedPodSecurity(KAFKA_UID),
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
