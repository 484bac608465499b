/**
 * What the namespace's LimitRange and ResourceQuota (components/base/namespace.ts) admit, and what
 * the configured workloads ask of them, so the schema refuses a configuration whose pods would
 * never be admitted (`pulumi up` would otherwise wait on them until it times out).
 */
import type { PlatformConfig } from "./schema";
import { parseCpu, parseMemory } from "./quantities";

/** The LimitRange's per-container maximum; also the sane ceiling for one container (250 meant as 250m). */
export const CONTAINER_MAX = { cpu: "4", memory: "8Gi" } as const;
/** The LimitRange's per-claim maximum. */
export const CLAIM_MAX_STORAGE = "500Gi";

/**
 * The most the program's own helper containers take together at one time: the Redis, Postgres and
 * Kafka exporters (the Kafka one a Deployment with a surge pod), the topics Job and a backup run.
 * tests/config/agreement.test.ts holds the program to it.
 */
export const HELPER_ALLOWANCE = { cpu: 2, memory: 2 * 2 ** 30, pods: 4 };

export interface Footprint {
  /** Cores and bytes of limits (requests are never above them) and the pod count, at the worst moment. */
  cpu: number;
  memory: number;
  pods: number;
}

type Sized = { resources: { limits: { cpu: string; memory: string } } };

/**
 * Everything the namespace holds at its peak: every service at its HPA maximum plus the one surge pod
 * of a rolling update, the StatefulSets at their replica counts, Grafana (Recreate, no surge),
 * kube-state-metrics with its surge pod, and the helpers' allowance.
 */
export function footprint(c: PlatformConfig): Footprint {
  const pods: Array<[Sized, number]> = [
    ...Object.values(c.services).map((s) => [s, s.replicas.max + 1] as [Sized, number]),
    [c.redis, 1],
    [c.clickhouse, 1],
    [c.postgres, 1],
    [c.kafka, c.kafka.brokers],
    [c.prometheus, 1],
    [c.grafana, 1],
    [c.alertmanager, c.alertmanager.replicas],
    [c.kubeStateMetrics, 2],
  ];
  const sum = (f: (s: Sized) => number) => pods.reduce((t, [s, n]) => t + f(s) * n, 0);
  return {
    cpu: sum((s) => parseCpu(s.resources.limits.cpu) ?? 0) + HELPER_ALLOWANCE.cpu,
    memory: sum((s) => parseMemory(s.resources.limits.memory) ?? 0) + HELPER_ALLOWANCE.memory,
    pods: pods.reduce((t, [, n]) => t + n, 0) + HELPER_ALLOWANCE.pods,
  };
}
