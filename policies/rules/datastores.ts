/** Datastores: persistent volumes, Kafka replication, Postgres backups, and who may reach them. */
import { inboundFrom, podFlows } from "../lib/network-flows";
import type { Finding, ResourceRule, StackRule } from "../lib/engine";
import { containers, isUnknown, isWorkload, K8sResource, podLabels, podTemplate, replicas } from "../lib/k8s";

const NAME = "app.kubernetes.io/name";

function appName(r: K8sResource): string | undefined {
  return podLabels(r)[NAME] ?? r.labels[NAME];
}

export const datastorePersistence: ResourceRule<{ datastores: string[] }> = {
  scope: "resource",
  name: "datastore-persistence",
  description:
    "Every datastore (Redis, ClickHouse, Kafka, Postgres, Prometheus, or anything labelled app.kubernetes.io/component: datastore) is a StatefulSet with a PersistentVolumeClaim for its data.",
  sources: [
    { seed: "001", heading: "Infrastructure", item: "Persistent volumes configured" },
    { seed: "002", heading: "Step 2: Prepare Infrastructure", item: "Pre-create volumes (optional, for persistent storage)" },
    { seed: "003", heading: "System Requirements", item: "Disk: 50Gi minimum for PVC" },
  ],
  fix: "run the datastore as a StatefulSet with volumeClaimTemplates (or a persistentVolumeClaim volume) mounted at its data directory",
  levels: { dev: "advisory", prod: "mandatory" },
  defaults: () => ({ datastores: ["redis", "clickhouse", "kafka", "postgres", "prometheus"] }),
  schema: { datastores: { type: "array", items: { type: "string" }, description: "app.kubernetes.io/name values that are datastores" } },
  check(r, { params }) {
    if (r.kind !== "Deployment" && r.kind !== "StatefulSet") return [];
    const name = appName(r);
    const isStore = (name !== undefined && params.datastores.includes(name)) || podLabels(r)["app.kubernetes.io/component"] === "datastore";
    if (!isStore) return [];
    const claims = r.kind === "StatefulSet" && Array.isArray(r.props.spec?.volumeClaimTemplates) && r.props.spec.volumeClaimTemplates.length > 0;
    const pvcVolume = (podTemplate(r)?.spec?.volumes ?? []).some((v: any) => v?.persistentVolumeClaim);
    return claims || pvcVolume ? [] : [{ target: r, problem: "is a datastore without a PersistentVolumeClaim, so its data is lost with the pod" }];
  },
};

/** Env of the first container that sets a variable. */
function envValue(r: K8sResource, name: string): string | undefined {
  for (const { container } of containers(r)) {
    const e = (container.env ?? []).find((x: any) => x?.name === name);
    if (e && typeof e.value === "string") return e.value;
  }
  return undefined;
}

function isKafkaBroker(r: K8sResource): boolean {
  return r.kind === "StatefulSet" && (envValue(r, "KAFKA_PROCESS_ROLES") !== undefined || envValue(r, "KAFKA_BROKER_ID") !== undefined || envValue(r, "KAFKA_ZOOKEEPER_CONNECT") !== undefined);
}

export const kafkaReplication: ResourceRule<{ minBrokers: number; minReplicationFactor: number; minInsyncReplicas: number }> = {
  scope: "resource",
  name: "kafka-replication",
  description:
    "Kafka runs enough brokers, and its default, internal and topic replication factors and min.insync.replicas meet the minimum, with min.insync.replicas below the replication factor so one broker may fail.",
  sources: [
    { seed: "003", heading: "4. Kafka Topics", item: "--partitions 3 --replication-factor 2" },
    { seed: "001", heading: "Kafka Partitioning", item: "Increase Kafka partitions for better parallelism" },
    { seed: "000", heading: "Infrastructure", item: "Kafka cluster provisioned" },
  ],
  fix: "in prod set platform:kafka.brokers >= 3, minInsyncReplicas >= 2 and every topic's replicationFactor >= 2 (above minInsyncReplicas)",
  levels: { dev: "advisory", prod: "mandatory" },
  defaults: () => ({ minBrokers: 3, minReplicationFactor: 2, minInsyncReplicas: 2 }),
  schema: {
    minBrokers: { type: "integer", minimum: 1, description: "minimum broker count" },
    minReplicationFactor: { type: "integer", minimum: 1, description: "minimum replication factor" },
    minInsyncReplicas: { type: "integer", minimum: 1, description: "minimum min.insync.replicas" },
  },
  check(r, { params }) {
    const out: Finding[] = [];
    if (isKafkaBroker(r)) {
      if (!isUnknown(r.props.spec?.replicas) && replicas(r) < params.minBrokers) out.push({ target: r, problem: `runs ${replicas(r)} broker(s), below ${params.minBrokers}` });
      const rf = Number(envValue(r, "KAFKA_DEFAULT_REPLICATION_FACTOR") ?? 1);
      const isr = Number(envValue(r, "KAFKA_MIN_INSYNC_REPLICAS") ?? 1);
      const offsets = Number(envValue(r, "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR") ?? 3);
      if (rf < params.minReplicationFactor) out.push({ target: r, problem: `default replication factor is ${rf}, below ${params.minReplicationFactor}` });
      if (offsets < params.minReplicationFactor) out.push({ target: r, problem: `offsets topic replication factor is ${offsets}, below ${params.minReplicationFactor}` });
      if (isr < params.minInsyncReplicas) out.push({ target: r, problem: `min.insync.replicas is ${isr}, below ${params.minInsyncReplicas}` });
      else if (rf > 1 && isr >= rf) out.push({ target: r, problem: `min.insync.replicas ${isr} is not below the replication factor ${rf}, so one broker down stops writes` });
    }
    if (r.kind === "Job" || r.kind === "CronJob") {
      const script = containers(r)
        .flatMap(({ container }) => [...(container.command ?? []), ...(container.args ?? [])])
        .filter((s) => typeof s === "string")
        .join("\n");
      for (const line of script.split("\n").filter((l) => /kafka-topics(\.sh)?\b.*--create/.test(l))) {
        const topic = /--topic\s+(\S+)/.exec(line)?.[1] ?? "?";
        const rf = Number(/--replication-factor\s+(\d+)/.exec(line)?.[1] ?? 1);
        const isr = Number(/min\.insync\.replicas=(\d+)/.exec(line)?.[1] ?? 1);
        if (rf < params.minReplicationFactor) out.push({ target: r, problem: `topic "${topic}" is created with replication factor ${rf}, below ${params.minReplicationFactor}` });
        if (isr < params.minInsyncReplicas) out.push({ target: r, problem: `topic "${topic}" is created with min.insync.replicas ${isr}, below ${params.minInsyncReplicas}` });
      }
    }
    return out;
  },
};

export const postgresBackup: StackRule<{ postgres: string; tools: string[] }> = {
  scope: "stack",
  name: "postgres-backup",
  description: "When the stack runs Postgres, a CronJob dumps it on a schedule (pg_dump or another listed tool), is not suspended, and writes to a PersistentVolumeClaim rather than an emptyDir.",
  sources: [
    { seed: "001", heading: "Backup Strategy", item: "Hourly incremental / daily full PostgreSQL backup" },
    { seed: "002", heading: "Database Backup", item: "Automated daily backup" },
    { seed: "004", heading: "Backup and Recovery", item: "Backup scripts are tested and working" },
  ],
  fix: "add a CronJob that runs pg_dump against Postgres and writes to a PersistentVolumeClaim (platform:postgres.backup)",
  levels: { dev: "advisory", prod: "mandatory" },
  defaults: () => ({ postgres: "postgres", tools: ["pg_dump", "pg_dumpall", "pg_basebackup", "pgbackrest", "wal-g"] }),
  schema: {
    postgres: { type: "string", description: "app.kubernetes.io/name of the Postgres workload" },
    tools: { type: "array", items: { type: "string" }, description: "commands that count as a backup" },
  },
  check(resources, { params }) {
    const pg = resources.find((r) => (r.kind === "StatefulSet" || r.kind === "Deployment") && appName(r) === params.postgres);
    if (!pg) return [];
    const backups = resources.filter(
      (r) =>
        r.kind === "CronJob" &&
        containers(r).some(({ container }) => [...(container.command ?? []), ...(container.args ?? [])].some((a) => typeof a === "string" && params.tools.some((t) => a.includes(t)))),
    );
    if (backups.length === 0) return [{ target: pg, problem: `no CronJob runs ${params.tools[0]} against it` }];
    const good = backups.filter((b) => b.props.spec?.suspend !== true && (podTemplate(b)?.spec?.volumes ?? []).some((v: any) => v?.persistentVolumeClaim));
    return good.length ? [] : [{ target: backups[0], problem: "the backup CronJob is suspended or writes its dumps to no PersistentVolumeClaim" }];
  },
};

const ALLOWED: Record<string, { ports: number[]; clients: string[] }> = {
  redis: { ports: [6379], clients: ["refinement-api", "learning-api"] },
  clickhouse: { ports: [8123, 9000], clients: ["storage-service"] },
  kafka: { ports: [9092, 9093], clients: ["storage-service", "kafka", "kafka-exporter", "kafka-topics"] },
  postgres: { ports: [5432], clients: ["postgres-backup"] },
};

/** A namespace that exists nowhere: what a policy lets it reach, it lets any other namespace reach. */
const OUTSIDER = "policy-check-any-other-namespace";

export const datastoreAccess: StackRule<{ datastores: Record<string, { ports: number[]; clients: string[] }> }> = {
  scope: "stack",
  name: "datastore-access",
  description: "Evaluating the NetworkPolicies, each datastore's client ports are reachable only from its allowed clients in the namespace and from no other namespace.",
  sources: [
    { seed: "000", heading: "Dependencies", item: "Redis reachable from Refinement/Learning; ClickHouse and Kafka reachable from Storage" },
    { seed: "000", heading: "Network", item: "Redis, ClickHouse, Kafka not exposed publicly" },
    { seed: "002", heading: "Network Security", item: "restrict database access to allowed sources" },
  ],
  alsoFrom: "the mission's allowed-traffic list; policies/lib/network-flows.ts evaluates the policies",
  fix: "remove the flow from the traffic model (platform:services.<name>.uses) or, if the client really needs it, add it to the rule's datastores.<store>.clients in the pack config",
  levels: { dev: "advisory", prod: "mandatory" },
  defaults: () => ({ datastores: JSON.parse(JSON.stringify(ALLOWED)) }),
  schema: { datastores: { type: "object", description: "datastore app name -> { ports: client ports, clients: app names allowed to connect }" } },
  check(resources, { params }) {
    const objects = resources.filter((r) => r.kind === "NetworkPolicy" || isWorkload(r));
    const flows = podFlows(objects);
    const outside = inboundFrom(objects, { namespace: OUTSIDER });
    const out: Finding[] = [];
    for (const [store, allowed] of Object.entries(params.datastores)) {
      const target = resources.find((r) => (r.kind === "StatefulSet" || r.kind === "Deployment") && appName(r) === store);
      if (!target) continue;
      const bad = new Map<string, number[]>();
      for (const f of flows) {
        if (typeof f.from !== "string" || f.to !== store || !allowed.ports.includes(f.port) || allowed.clients.includes(f.from)) continue;
        bad.set(f.from, [...(bad.get(f.from) ?? []), f.port]);
      }
      for (const [client, ports] of bad) out.push({ target, problem: `"${client}" may connect to port ${ports.join(", ")} but is not an allowed client (allowed: ${allowed.clients.join(", ")})` });
      const open = outside.filter((f) => f.to === store && allowed.ports.includes(f.port));
      if (open.length) out.push({ target, problem: `pods of other namespaces may connect to port ${[...new Set(open.map((f) => f.port))].join(", ")}` });
    }
    return out;
  },
};
