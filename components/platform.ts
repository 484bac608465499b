/**
 * The whole platform, composed from one component per concern. It owns the wiring between them:
 * which service talks to which (environment and NetworkPolicy flows come from the same `uses`
 * entries), and what operators get as stack outputs.
 */
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "crypto";
import { dataProtected, DATASTORES, DatastoreName, PlatformConfig, SECRET_KEYS } from "../config/schema";
import { PlatformBase } from "./base/namespace";
import { ClickHouse } from "./datastores/clickhouse";
import type { Datastore } from "./datastores/datastore";
import { fromSecret, type EnvVar } from "./shared/workload";
import { Kafka } from "./datastores/kafka";
import { Postgres } from "./datastores/postgres";
import { Redis } from "./datastores/redis";
import { healthTargets, PostDeployGate } from "./gate/post-deploy-gate";
import { PublicEntry } from "./ingress/public-entry";
import { Monitoring, MonitoringArgs } from "./monitoring";
import { Flow, NetworkPolicies, Traffic } from "./network/traffic";
import { Credential, credentialsChecksum, credentialsIn, GeneratedSecrets } from "./secrets/generated-secrets";
import { GrpcService } from "./services/grpc-service";
import type { InClusterTarget } from "../health";

export interface PlatformArgs {
  config: PlatformConfig;
}

/** A hash of every setting but the credentials (even a hash of one does not belong in a ConfigMap). */
function settingsFingerprint(c: PlatformConfig): string {
  const settings = Object.fromEntries(Object.entries(c).filter(([k]) => !(SECRET_KEYS as readonly string[]).includes(k)));
  return createHash("sha256").update(JSON.stringify(settings)).digest("hex");
}

/** The monitoring stack's arguments from the stack configuration. */
export function monitoringArgs(c: PlatformConfig, namespace: pulumi.Input<string>, grafanaAdmin: Credential): MonitoringArgs {
  return {
    namespace,
    namespaceName: c.namespace,
    environment: c.environment,
    storageClassName: c.storageClassName,
    prometheus: c.prometheus,
    alertmanager: c.alertmanager,
    alertReceiverSecrets: c.alertReceiverSecrets,
    grafana: c.grafana,
    grafanaAdmin,
    kubeStateMetrics: c.kubeStateMetrics,
    kubernetesEgress: c.kubernetesEgress,
    services: Object.keys(c.services),
  };
}

export class Platform extends pulumi.ComponentResource {
  public readonly namespace: pulumi.Output<string>;
  public readonly gatewayUrl: string;
  public readonly serviceAddresses: Record<string, string>;
  public readonly images: Record<string, pulumi.Output<string>>;
  public readonly grafanaAdminPassword: pulumi.Output<string>;
  public readonly secrets: GeneratedSecrets;
  public readonly datastores: Record<DatastoreName, Datastore>;
  public readonly monitoring: Monitoring;
  /** What `verify` checks: the namespace and the targets, credentials included (secret). */
  public readonly health: pulumi.Output<{ namespace: string; targets: InClusterTarget[] }>;

  constructor(name: string, args: PlatformArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:index:Platform", name, {}, opts);
    const c = args.config;
    const child = { parent: this };
    const protect = dataProtected(c);
    if (c.environment === "prod" && !protect) pulumi.log.warn("platform:protectData is false: a destroy or a replacement deletes this prod stack's data and secrets", this);

    const base = new PlatformBase("base", { namespace: c.namespace, environment: c.environment, quota: c.quota, protect, dns: c.dns }, child);
    const namespace = base.namespaceName;
    this.namespace = namespace;
    this.secrets = new GeneratedSecrets(
      "secrets",
      {
        namespace,
        given: { redis: c.redisPassword, clickhouse: c.clickhousePassword, postgres: c.postgresPassword, grafana: c.grafanaAdminPassword, jwt: c.jwtSecret },
        accounts: {
          clickhouse: { user: c.clickhouse.user, database: c.clickhouse.database },
          postgres: { user: c.postgres.user, database: c.postgres.database },
          grafanaAdminUser: c.grafana.adminUser,
        },
        protect,
      },
      child,
    );
    const creds = this.secrets.credentials;
    const storageClassName = c.storageClassName;

    const redis = new Redis("redis", { namespace, config: c.redis, storageClassName, protect, credential: creds.redis }, child);
    const clickhouse = new ClickHouse("clickhouse", { namespace, config: c.clickhouse, storageClassName, protect, credential: creds.clickhouse }, child);
    const kafka = new Kafka("kafka", { namespace, config: c.kafka, storageClassName, protect }, child);
    const postgres = new Postgres("postgres", { namespace, config: c.postgres, storageClassName, protect, credential: creds.postgres }, child);
    this.datastores = { redis, clickhouse, kafka, postgres };

    const serviceFlows: Flow[] = [];
    const services = Object.entries(c.services).map(([svcName, svc]) => {
      const env: EnvVar[] = [
        { name: "METRICS_PORT", value: String(svc.metricsPort) },
        { name: "LOG_LEVEL", value: c.app.logLevel },
        { name: "ENABLE_DEBUG_ENDPOINTS", value: String(c.app.debugEndpoints) },
        ...(svc.motionLimits
          ? [
              { name: "MAX_SPEED_KMH", value: String(c.app.maxSpeedKmh) },
              { name: "MAX_TIME_DIFF", value: c.app.maxTimeDiff },
            ]
          : []),
        ...svc.uses.flatMap((u) => {
          const store = (DATASTORES as readonly string[]).includes(u.target) ? this.datastores[u.target as DatastoreName] : undefined;
          const port = store ? store.clientPort : c.services[u.target].port;
          serviceFlows.push({ from: svcName, to: u.target, port, why: `${svcName} uses ${u.target} (${u.env})` });
          return store ? store.clientEnv(u.env) : [{ name: u.env, value: `${u.target}:${port}` }];
        }),
        ...Object.entries(svc.secretEnv).map(([envName, secret]) => fromSecret(envName, creds[secret].ref)),
        ...Object.entries(svc.env).map(([envName, value]) => ({ name: envName, value })),
      ];
      const used = credentialsIn(env, Object.values(creds));
      const podAnnotations = used.length > 0 ? credentialsChecksum(used) : undefined;
      return [svcName, new GrpcService(svcName, { namespace, config: svc, env, podAnnotations }, child)] as const;
    });

    const [publicName, publicSvc] = Object.entries(c.services).find(([, s]) => s.public)!;
    const entry = new PublicEntry("public-entry", { namespace, config: c.ingress, service: { name: publicName, port: publicSvc.port } }, child);
    this.gatewayUrl = entry.url;

    this.monitoring = new Monitoring("monitoring", monitoringArgs(c, namespace, creds.grafana), child);

    const traffic: Traffic[] = [
      ...Object.values(this.datastores).map((d) => d.traffic),
      ...services.map(([, s]) => s.traffic),
      this.monitoring.traffic,
      { workloads: [], flows: [...serviceFlows, entry.flow] },
    ];
    new NetworkPolicies("network", { namespace, traffic }, child);

    this.serviceAddresses = Object.fromEntries(Object.entries(c.services).map(([n, s]) => [n, `${n}:${s.port}`]));
    this.images = Object.fromEntries(services.map(([n, s]) => [n, s.image]));
    this.grafanaAdminPassword = creds.grafana.value;
    // One check per service and datastore, then the monitoring stack: each component says where it answers.
    const checks = [...services.map(([, s]) => s.healthCheck), ...Object.values(this.datastores).map((d) => d.healthCheck), ...this.monitoring.healthChecks];
    const targets = healthTargets(checks);
    this.health = pulumi.secret(pulumi.all([namespace, targets]).apply(([ns, ts]) => ({ namespace: ns, targets: ts })));
    if (c.health.enabled) {
      new PostDeployGate(
        "platform-health",
        {
          namespace,
          health: c.health,
          settingsFingerprint: settingsFingerprint(c),
          checks,
          images: services.map(([, s]) => s.image),
          credentialsChecksum: credentialsChecksum(Object.values(creds))["checksum/credentials"],
          dependsOn: [redis, clickhouse, kafka, postgres, this.monitoring, entry, ...services.map(([, s]) => s)],
        },
        child,
      );
    }
    this.registerOutputs({ namespace, gatewayUrl: this.gatewayUrl, serviceAddresses: this.serviceAddresses });
  }
}
