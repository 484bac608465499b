/**
 * What the health checks expect of a deployed stack, derived from the same configuration that
 * built it: one target per gRPC service and datastore, plus Prometheus and Grafana. Used by the
 * post-deploy gate and exported (as a secret) for `npm run verify`.
 */
import * as pulumi from "@pulumi/pulumi";
import type { PlatformConfig } from "../../config/schema";
import { InClusterTarget, parseInClusterTargets } from "../../health";
import { clickhouseTables } from "../datastores/clickhouse";
import type { Credential } from "../secrets/generated-secrets";

export interface TargetCredentials {
  redis: Credential;
  clickhouse: Credential;
  postgres: Credential;
}

export function healthTargets(
  c: PlatformConfig,
  creds: TargetCredentials,
  endpoints: { prometheus: { service: string; port: number }; grafana: { service: string; port: number } },
): pulumi.Output<InClusterTarget[]> {
  return pulumi.all([creds.redis.value, creds.clickhouse.value, creds.postgres.value]).apply(([redisPw, clickhousePw, postgresPw]) =>
    parseInClusterTargets([
      ...Object.entries(c.services).map(([name, s]) => ({ kind: "grpc" as const, name, serviceName: name, servicePort: s.port, services: s.healthServices })),
      { kind: "redis", name: "redis", serviceName: "redis", servicePort: 6379, password: redisPw },
      {
        kind: "clickhouse",
        name: "clickhouse",
        serviceName: "clickhouse",
        servicePort: 8123,
        user: c.clickhouse.user,
        password: clickhousePw,
        database: c.clickhouse.database,
        tables: clickhouseTables(c.clickhouse.database),
      },
      {
        kind: "kafka",
        name: "kafka",
        serviceName: "kafka",
        servicePort: 9092,
        brokers: c.kafka.brokers,
        topics: c.kafka.topics.map((t) => ({ name: t.name, partitions: t.partitions })),
      },
      { kind: "postgres", name: "postgres", serviceName: "postgres", servicePort: 5432, user: c.postgres.user, password: postgresPw, database: c.postgres.database },
      { kind: "prometheus", name: "prometheus", serviceName: endpoints.prometheus.service, servicePort: endpoints.prometheus.port },
      { kind: "grafana", name: "grafana", serviceName: endpoints.grafana.service, servicePort: endpoints.grafana.port },
    ]),
  );
}
