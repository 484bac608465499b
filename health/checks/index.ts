/**
 * Which check handles which kind of target. A check's module, with its client library (gRPC, ioredis,
 * kafkajs, pg, @clickhouse/client), is loaded when a target of its kind is first checked: the Pulumi
 * program imports the health checks for its deploy hooks, and a preview, which runs none, would
 * otherwise load every client.
 */
import type { ParsedTarget } from "../targets";
import type { Check } from "./check";

type Checks = { [K in ParsedTarget["kind"]]: Check<Extract<ParsedTarget, { kind: K }>> };

const CHECKS: { [K in keyof Checks]: () => Checks[K] } = {
  grpc: () => (require("./grpc") as typeof import("./grpc")).grpcCheck,
  redis: () => (require("./redis") as typeof import("./redis")).redisCheck,
  clickhouse: () => (require("./clickhouse") as typeof import("./clickhouse")).clickhouseCheck,
  kafka: () => (require("./kafka") as typeof import("./kafka")).kafkaCheck,
  postgres: () => (require("./postgres") as typeof import("./postgres")).postgresCheck,
  prometheus: () => (require("./prometheus") as typeof import("./prometheus")).prometheusCheck,
  grafana: () => (require("./grafana") as typeof import("./grafana")).grafanaCheck,
};

export function checkFor(target: ParsedTarget): Check<ParsedTarget> {
  return CHECKS[target.kind]() as Check<ParsedTarget>;
}
