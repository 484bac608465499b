/**
 * One gRPC service: own ServiceAccount (no token), Deployment with native gRPC probes, requests and
 * limits and restricted security, ClusterIP Service, HorizontalPodAutoscaler and PodDisruptionBudget.
 * The image is a pinned reference from config, or built and pushed with @pulumi/docker and
 * referenced by digest when the stack points the service at a source directory.
 */
import * as docker from "@pulumi/docker";
import * as k8s from "../shared/k8s";
import * as pulumi from "@pulumi/pulumi";
import type { ServiceConfig } from "../../config/schema";
import type { Traffic } from "../network/traffic";
import type { HealthCheck } from "../shared/health-check";
import { clusterIpService, container, deployment as workloadDeployment, disruptionBudget, resourceRequirements, workloadLabels, type EnvVar } from "../shared/workload";

export interface GrpcServiceArgs {
  namespace: pulumi.Input<string>;
  config: ServiceConfig;
  /** Everything but SERVER_PORT: dependency addresses, Secret references, settings. */
  env: EnvVar[];
  /** Pod template annotations, e.g. the checksum of the credentials in `env`: rotating one rolls the pods. */
  podAnnotations?: Record<string, pulumi.Input<string>>;
}

const COMPONENT = "grpc-service";
/** Distroless images run as this user; it owns nothing on the read-only root filesystem. */
const UID = 65532;

export class GrpcService extends pulumi.ComponentResource {
  public readonly serviceName: pulumi.Output<string>;
  public readonly image: pulumi.Output<string>;
  public readonly traffic: Traffic;
  public readonly healthCheck: HealthCheck;

  constructor(name: string, args: GrpcServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:services:GrpcService", name, {}, opts);
    const c = args.config;
    const child = { parent: this };
    const labels = workloadLabels(name, COMPONENT);
    this.image = this.resolveImage(name, c);

    const probe = (initialDelaySeconds: number) => ({ grpc: { port: c.port }, initialDelaySeconds, periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3 });
    const { deployment } = workloadDeployment(
      {
        name,
        namespace: args.namespace,
        component: COMPONENT,
        replicas: c.replicas.min,
        uid: UID,
        revisionHistoryLimit: 10,
        strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
        spread: true,
        metrics: { port: c.metricsPort },
        podAnnotations: args.podAnnotations,
        containers: [
          container({
            name,
            image: this.image,
            env: [{ name: "SERVER_PORT", value: String(c.port) }, ...args.env],
            ports: [
              { name: "grpc", containerPort: c.port },
              { name: "metrics", containerPort: c.metricsPort },
            ],
            resources: resourceRequirements(c.resources),
            startupProbe: { grpc: { port: c.port }, periodSeconds: 5, failureThreshold: 30 },
            livenessProbe: probe(10),
            readinessProbe: probe(2),
            volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
          }),
        ],
        volumes: [{ name: "tmp", emptyDir: {} }],
      },
      // The HPA owns the replica count after the first rollout.
      { ...child, ignoreChanges: ["spec.replicas"] },
    );

    const service = clusterIpService(name, args.namespace, COMPONENT, [{ name: "grpc", port: c.port }], child);
    this.serviceName = service.metadata.name;

    new k8s.autoscaling.v2.HorizontalPodAutoscaler(
      name,
      {
        metadata: { name, namespace: args.namespace, labels },
        spec: {
          scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: deployment.metadata.name },
          minReplicas: c.replicas.min,
          maxReplicas: c.replicas.max,
          metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: c.cpuTargetPercent } } }],
          behavior: { scaleDown: { stabilizationWindowSeconds: 300 } },
        },
      },
      child,
    );
    disruptionBudget(name, args.namespace, COMPONENT, child);

    this.traffic = { workloads: [{ name, metricsPort: c.metricsPort }], flows: [] };
    this.healthCheck = { check: `grpc:${name}`, target: { kind: "grpc", name, serviceName: name, servicePort: c.port, services: c.healthServices } };
    this.registerOutputs({ service: this.serviceName, image: this.image });
  }

  private resolveImage(name: string, c: ServiceConfig): pulumi.Output<string> {
    if (c.build === undefined) return pulumi.output(c.image!);
    const built = new docker.Image(
      `${name}-image`,
      {
        imageName: `${c.build.repository}:${c.build.tag}`,
        build: { context: c.build.context, dockerfile: c.build.dockerfile, platform: "linux/amd64" },
      },
      { parent: this },
    );
    // The digest pins exactly what was pushed, whatever later happens to the tag.
    return built.repoDigest;
  }
}
