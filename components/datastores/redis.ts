/**
 * Redis: one StatefulSet pod with password auth (requirepass from the generated Secret), AOF
 * persistence on a volume, exec/TCP probes and a redis_exporter sidecar for the datastore alerts.
 */
import * as pulumi from "@pulumi/pulumi";
import { parseMemory } from "../../config/quantities";
import type { RedisConfig } from "../../config/schema";
import { credentialsChecksum } from "../secrets/generated-secrets";
import { container, exporterContainer, fromSecret, resourceRequirements, type EnvVar } from "../shared/workload";
import type { InClusterTarget } from "../../health";
import type { HealthCheck } from "../shared/health-check";
import type { Datastore, DatastoreArgs } from "./datastore";
import { statefulWorkload } from "./stateful";

export type RedisArgs = DatastoreArgs<RedisConfig>;

const PORT = 6379;
const METRICS_PORT = 9121;

/**
 * maxmemory for a container memory limit: 70 % of it, in MiB. With noeviction Redis then refuses
 * writes at the bound instead of growing into the OOM killer; the rest covers fragmentation, client
 * buffers and the copy-on-write of the AOF rewrite's fork.
 */
export function redisMaxmemory(memoryLimit: string): string {
  return `${Math.floor((parseMemory(memoryLimit)! * 0.7) / 2 ** 20)}mb`;
}

export class Redis extends pulumi.ComponentResource implements Datastore {
  public readonly name: string;
  public readonly clientPort = PORT;
  public readonly traffic;
  public readonly healthCheck: HealthCheck;
  private readonly args: RedisArgs;

  constructor(name: string, args: RedisArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:datastores:Redis", name, {}, opts);
    this.name = name;
    this.args = args;
    const c = args.config;
    const auth = fromSecret("REDIS_PASSWORD", args.credential.ref);
    const { service } = statefulWorkload(
      {
        name: this.name,
        namespace: args.namespace,
        replicas: 1,
        uid: 999,
        storage: c.storage,
        storageClassName: args.storageClassName,
        protect: args.protect,
        ports: [{ name: "redis", port: PORT }],
        metricsPort: METRICS_PORT,
        podAnnotations: credentialsChecksum([args.credential]),
        containers: [
          container({
            name: "redis",
            image: c.image,
            // $(VAR) is expanded by the kubelet from the Secret-backed env; nothing is inlined.
            args: [
              "--requirepass",
              "$(REDIS_PASSWORD)",
              "--appendonly",
              "yes",
              "--dir",
              "/data",
              "--protected-mode",
              "yes",
              "--maxmemory",
              redisMaxmemory(c.resources.limits.memory),
              "--maxmemory-policy",
              "noeviction",
            ],
            env: [auth, fromSecret("REDISCLI_AUTH", args.credential.ref)],
            ports: [{ name: "redis", containerPort: PORT }],
            resources: resourceRequirements(c.resources),
            livenessProbe: { tcpSocket: { port: PORT }, initialDelaySeconds: 15, periodSeconds: 10, failureThreshold: 6 },
            readinessProbe: { exec: { command: ["redis-cli", "ping"] }, initialDelaySeconds: 5, periodSeconds: 5, timeoutSeconds: 3 },
            volumeMounts: [
              { name: "data", mountPath: "/data" },
              { name: "tmp", mountPath: "/tmp" },
            ],
          }),
          exporterContainer({ image: c.exporterImage, port: METRICS_PORT, healthPath: "/health", memoryLimit: "64Mi", env: [{ name: "REDIS_ADDR", value: `redis://localhost:${PORT}` }, auth] }),
        ],
      },
      this,
    );
    this.traffic = { workloads: [{ name: this.name, metricsPort: METRICS_PORT }], flows: [] };
    this.healthCheck = { check: name, target: args.credential.value.apply((password): InClusterTarget => ({ kind: "redis", name, serviceName: name, servicePort: PORT, password })) };
    this.registerOutputs({ service: service.metadata.name });
  }

  clientEnv(addrEnv: string): EnvVar[] {
    return [{ name: addrEnv, value: `${this.name}:${PORT}` }, fromSecret("REDIS_PASSWORD", this.args.credential.ref)];
  }
}
