/** Which check handles which kind of target. */
import { ParsedTarget } from "../targets";
import { Check } from "./check";
import { clickhouseCheck } from "./clickhouse";
import { grafanaCheck } from "./grafana";
import { grpcCheck } from "./grpc";
import { kafkaCheck } from "./kafka";
import { postgresCheck } from "./postgres";
import { prometheusCheck } from "./prometheus";
import { redisCheck } from "./redis";

const CHECKS: { [K in ParsedTarget["kind"]]: Check<Extract<ParsedTarget, { kind: K }>> } = {
  grpc: grpcCheck,
  redis: redisCheck,
  clickhouse: clickhouseCheck,
  kafka: kafkaCheck,
  postgres: postgresCheck,
  prometheus: prometheusCheck,
  grafana: grafanaCheck,
};

export function checkFor(target: ParsedTarget): Check<ParsedTarget> {
  return CHECKS[target.kind] as Check<ParsedTarget>;
}
