/**
 * Postgres: StatefulSet with the application database and user created on first start, password
 * from the generated Secret, data on a volume, a postgres_exporter sidecar, and a pg_dump backup
 * CronJob writing custom-format dumps to their own volume with retention (seed 001 "Backup Strategy").
 */
import * as k8s from "../shared/k8s";
import * as pulumi from "@pulumi/pulumi";
import { parseMemory } from "../../config/quantities";
import type { PostgresConfig } from "../../config/schema";
import { credentialsChecksum } from "../secrets/generated-secrets";
import { container, exporterContainer, fromSecret, podDefaults, resourceRequirements, serviceAccount, workloadLabels, type EnvVar } from "../shared/workload";
import type { InClusterTarget } from "../../health";
import type { HealthCheck } from "../shared/health-check";
import type { Datastore, DatastoreArgs } from "./datastore";
import { keepData } from "../shared/data-safety";
import { statefulWorkload } from "./stateful";

export type PostgresArgs = DatastoreArgs<PostgresConfig>;

const PORT = 5432;
const METRICS_PORT = 9187;
const UID = 999;

const SOCKET_DIR = "/var/run/postgresql";

/**
 * The backup script: Postgres awaited (bounded: a new pod's first connections are refused until the
 * NetworkPolicy covers its address, found on the real node, and the server may be restarting),
 * partial files of failed runs removed (concurrencyPolicy Forbid: none is being written), a dated
 * pg_dump, verified readable, then dumps older than the retention pruned.
 */
export function backupScript(retentionDays: number): string {
  return [
    "set -eu",
    "for i in $(seq 1 60); do pg_isready --quiet --timeout=2 && break; sleep 1; done",
    "find /backups -name '*.partial' -print -delete",
    'file="/backups/${PGDATABASE}-$(date -u +%Y%m%dT%H%M%SZ).dump"',
    'pg_dump --format=custom --no-owner --file="$file.partial"',
    'pg_restore --list "$file.partial" > /dev/null',
    'mv "$file.partial" "$file"',
    `find /backups -name '*.dump' -mtime +${retentionDays} -delete`,
    'echo "backup written: $file"',
  ].join("\n");
}

/**
 * /dev/shm for parallel queries' shared memory: a quarter of the memory limit, at least the 64 MiB
 * a container gets by default. It is memory, counted against the limit only as it is used.
 */
export function sharedMemorySize(memoryLimit: string): string {
  return `${Math.max(64, Math.floor(parseMemory(memoryLimit)! / 4 / 2 ** 20))}Mi`;
}

/**
 * Run after every start (postStart): once the server accepts TCP (the init-time server listens on
 * the socket only), set the role's password to the Secret's. The image reads POSTGRES_PASSWORD only
 * at initdb, so this is what makes a rotated password take effect. The password travels on stdin
 * (printf is a shell builtin: never in a process's arguments) and statement logging is off for the
 * session, so it reaches no log. Never fails the container: a hook failure would kill it.
 */
export const SYNC_ROLE_PASSWORD = `i=0
until pg_isready -q -h 127.0.0.1 -p ${PORT}; do
  i=$((i + 1)); if [ "$i" -ge 600 ]; then echo "postgres not accepting connections; role password not synchronised" >&2; exit 0; fi
  sleep 1
done
printf "SET log_statement = 'none'; SET log_min_error_statement = 'panic'; ALTER ROLE CURRENT_USER PASSWORD '%s';\\n" "$(printf '%s' "$POSTGRES_PASSWORD" | sed "s/'/''/g")" |
  psql -X -q -v ON_ERROR_STOP=1 -h ${SOCKET_DIR} -p ${PORT} -U "$POSTGRES_USER" -d postgres || echo "role password not synchronised" >&2
exit 0`;

export class Postgres extends pulumi.ComponentResource implements Datastore {
  public readonly name: string;
  public readonly clientPort = PORT;
  public readonly traffic;
  public readonly healthCheck: HealthCheck;
  /** The backup CronJob, its volume and ServiceAccount. */
  private readonly backupName: string;
  private readonly args: PostgresArgs;

  constructor(name: string, args: PostgresArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:datastores:Postgres", name, {}, opts);
    this.name = name;
    this.backupName = `${name}-backup`;
    this.args = args;
    const c = args.config;
    const ref = args.credential.ref;
    const { statefulSet } = statefulWorkload(
      {
        name: this.name,
        namespace: args.namespace,
        replicas: 1,
        uid: UID,
        storage: c.storage,
        storageClassName: args.storageClassName,
        protect: args.protect,
        ports: [{ name: "postgres", port: PORT }],
        metricsPort: METRICS_PORT,
        podAnnotations: credentialsChecksum([args.credential]),
        volumes: [
          { name: "run", emptyDir: {} },
          { name: "dshm", emptyDir: { medium: "Memory", sizeLimit: sharedMemorySize(c.resources.limits.memory) } },
        ],
        containers: [
          container({
            name: "postgres",
            image: c.image,
            env: [
              { name: "POSTGRES_DB", value: c.database },
              { name: "POSTGRES_USER", value: c.user },
              fromSecret("POSTGRES_PASSWORD", ref),
              { name: "PGDATA", value: "/var/lib/postgresql/data/pgdata" },
            ],
            ports: [{ name: "postgres", containerPort: PORT }],
            resources: resourceRequirements(c.resources),
            // Alive on the socket, which the init-time server already serves: a slow initdb is not killed.
            livenessProbe: { exec: { command: ["pg_isready", "-U", c.user, "-d", c.database] }, initialDelaySeconds: 30, periodSeconds: 10, failureThreshold: 6 },
            // Ready on TCP, which only the final server listens on: not ready while initdb runs.
            readinessProbe: { exec: { command: ["pg_isready", "-h", "127.0.0.1", "-p", String(PORT), "-U", c.user, "-d", c.database] }, initialDelaySeconds: 5, periodSeconds: 5 },
            lifecycle: { postStart: { exec: { command: ["sh", "-c", SYNC_ROLE_PASSWORD] } } },
            volumeMounts: [
              { name: "data", mountPath: "/var/lib/postgresql/data" },
              { name: "run", mountPath: SOCKET_DIR },
              { name: "tmp", mountPath: "/tmp" },
              { name: "dshm", mountPath: "/dev/shm" },
            ],
          }),
          exporterContainer({
            image: c.exporterImage,
            port: METRICS_PORT,
            healthPath: "/",
            memoryLimit: "128Mi",
            env: [{ name: "DATA_SOURCE_URI", value: `localhost:${PORT}/${c.database}?sslmode=disable` }, { name: "DATA_SOURCE_USER", value: c.user }, fromSecret("DATA_SOURCE_PASS", ref)],
          }),
        ],
      },
      this,
    );
    this.createBackup(args, statefulSet);
    this.traffic = {
      workloads: [{ name: this.name, metricsPort: METRICS_PORT }, { name: this.backupName }],
      flows: [{ from: this.backupName, to: this.name, port: PORT, why: "scheduled pg_dump backup" }],
    };
    this.healthCheck = {
      check: name,
      target: args.credential.value.apply((password): InClusterTarget => ({ kind: "postgres", name, serviceName: name, servicePort: PORT, user: c.user, password, database: c.database })),
    };
    this.registerOutputs({ backupSchedule: c.backup.schedule });
  }

  private createBackup(args: PostgresArgs, database: k8s.apps.v1.StatefulSet): void {
    const c = args.config;
    const opts = { parent: this };
    const labels = workloadLabels(this.backupName, "backup");
    const claim = new k8s.core.v1.PersistentVolumeClaim(
      this.backupName,
      {
        metadata: { name: this.backupName, namespace: args.namespace, labels },
        spec: { accessModes: ["ReadWriteOnce"], storageClassName: args.storageClassName, resources: { requests: { storage: c.backup.storage } } },
      },
      keepData(args.protect, opts, true),
    );
    const sa = serviceAccount({ name: this.backupName, namespace: args.namespace, component: "backup" }, opts);
    new k8s.batch.v1.CronJob(
      this.backupName,
      {
        metadata: { name: this.backupName, namespace: args.namespace, labels },
        spec: {
          schedule: c.backup.schedule,
          concurrencyPolicy: "Forbid",
          startingDeadlineSeconds: 600,
          successfulJobsHistoryLimit: 3,
          failedJobsHistoryLimit: 3,
          jobTemplate: {
            spec: {
              backoffLimit: 2,
              activeDeadlineSeconds: 3600,
              template: {
                metadata: { labels },
                spec: {
                  restartPolicy: "Never",
                  serviceAccountName: sa.metadata.name,
                  ...podDefaults(UID),
                  containers: [
                    container({
                      name: "pg-dump",
                      image: c.image,
                      command: ["sh", "-c", backupScript(c.backup.retentionDays)],
                      env: [
                        { name: "PGHOST", value: this.name },
                        { name: "PGPORT", value: String(PORT) },
                        { name: "PGDATABASE", value: c.database },
                        { name: "PGUSER", value: c.user },
                        fromSecret("PGPASSWORD", args.credential.ref),
                      ],
                      resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "1", memory: "512Mi" } },
                      volumeMounts: [
                        { name: "backups", mountPath: "/backups" },
                        { name: "tmp", mountPath: "/tmp" },
                      ],
                    }),
                  ],
                  volumes: [
                    { name: "backups", persistentVolumeClaim: { claimName: claim.metadata.name } },
                    { name: "tmp", emptyDir: {} },
                  ],
                },
              },
            },
          },
        },
      },
      { ...opts, dependsOn: [database] },
    );
  }

  clientEnv(addrEnv: string): EnvVar[] {
    const ref = this.args.credential.ref;
    return [{ name: addrEnv, value: `${this.name}:${PORT}` }, fromSecret("POSTGRES_DB", ref, "database"), fromSecret("POSTGRES_USER", ref, "user"), fromSecret("POSTGRES_PASSWORD", ref)];
  }
}
