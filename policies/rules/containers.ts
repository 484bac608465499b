/** Container basics: requests and limits, probes, pinned images and an explicit pull policy. */
import type { Finding, ResourceRule } from "../lib/engine";
import { containers, isUnknown, K8sResource, LONG_RUNNING } from "../lib/k8s";

const RESOURCES = ["cpu", "memory"] as const;

export const containerResources: ResourceRule<{ resources: string[] }> = {
  scope: "resource",
  name: "container-resources",
  description: "Every container (init containers included) sets CPU and memory requests and limits, and no request exceeds its limit.",
  sources: [
    { seed: "001", heading: "Infrastructure", item: "Resource limits set (CPU, memory)" },
    { seed: "004", heading: "Environment Configuration", item: "Resource limits and requests are appropriate" },
    { seed: "003", heading: "System Requirements", item: "CPU/memory requested and limit per pod" },
  ],
  alsoFrom: "Polaris cpu/memoryRequestsMissing, cpu/memoryLimitsMissing; kube-score container-resources; Kyverno require-requests-limits",
  fix: "set resources.requests and resources.limits for cpu and memory on the container (platform:<component>.resources in the stack config)",
  levels: { dev: "advisory", prod: "mandatory" },
  defaults: () => ({ resources: [...RESOURCES] }),
  schema: { resources: { type: "array", items: { type: "string" }, description: "resource names that need a request and a limit" } },
  check(r, { params }) {
    return containers(r).flatMap(({ container, name }): Finding[] => {
      const req = container.resources?.requests ?? {};
      const lim = container.resources?.limits ?? {};
      const missing = params.resources.flatMap((res) => [...(req[res] === undefined ? [`requests.${res}`] : []), ...(lim[res] === undefined ? [`limits.${res}`] : [])]);
      return missing.length ? [{ target: r, container: name, problem: `no ${missing.join(", ")}` }] : [];
    });
  },
};

function hasProbe(p: any): boolean {
  return !!p && (p.httpGet || p.tcpSocket || p.grpc || p.exec);
}

export const containerProbes: ResourceRule<{ probes: string[] }> = {
  scope: "resource",
  name: "container-probes",
  description: "Every container of a long-running workload (Deployment, StatefulSet, DaemonSet) has a liveness and a readiness probe.",
  sources: [
    { seed: "001", heading: "Infrastructure", item: "Health checks configured for all services" },
    { seed: "004", heading: "Environment Configuration", item: "Health check endpoints are configured" },
    { seed: "000", heading: "Runtime", item: "Health endpoints responding" },
  ],
  alsoFrom: "Polaris livenessProbeMissing/readinessProbeMissing; kube-score container-probes",
  fix: "add livenessProbe and readinessProbe (grpc, httpGet, tcpSocket or exec) to the container",
  levels: { dev: "advisory", prod: "mandatory" },
  defaults: () => ({ probes: ["livenessProbe", "readinessProbe"] }),
  schema: { probes: { type: "array", items: { type: "string" }, description: "probe fields every long-running container needs" } },
  check(r, { params }) {
    if (!LONG_RUNNING.includes(r.kind)) return [];
    return containers(r)
      .filter((c) => !c.init)
      .flatMap(({ container, name }): Finding[] => {
        const missing = params.probes.filter((p) => !hasProbe(container[p]));
        return missing.length ? [{ target: r, container: name, problem: `no ${missing.join(" and ")}` }] : [];
      });
  },
};

/** `registry:5000/team/app:1.2` -> tag `1.2`; the port of a registry host is not a tag. */
export function imageTag(image: string): { tag?: string; digest: boolean } {
  const digest = image.includes("@sha256:");
  const last = image.split("@")[0].split("/").pop() ?? "";
  const i = last.lastIndexOf(":");
  return { tag: i >= 0 ? last.slice(i + 1) : undefined, digest };
}

export const imagePinned: ResourceRule<{ forbiddenTags: string[] }> = {
  scope: "resource",
  name: "image-pinned",
  description: "Every container image is pinned to a version tag or a digest: no missing tag and no floating tag such as `latest`.",
  sources: [
    { seed: "001", heading: "Infrastructure", item: "Docker images built and tagged" },
    { seed: "003", heading: "2. Deploy Service", item: "docker tag video-ranking-service:1.0.0" },
  ],
  alsoFrom: "Polaris tagNotSpecified; kube-score container-image-tag; Kyverno disallow-latest-tag",
  fix: "pin the image to a release tag or a digest (platform:<component>.image, never `latest`)",
  levels: { dev: "advisory", prod: "mandatory" },
  defaults: () => ({ forbiddenTags: ["latest", "main", "master", "dev", "edge", "nightly"] }),
  schema: { forbiddenTags: { type: "array", items: { type: "string" }, description: "floating tags that do not pin a version" } },
  check(r, { params }) {
    return containers(r).flatMap(({ container, name }): Finding[] => {
      const image = container.image;
      if (typeof image !== "string" || isUnknown(image)) return [];
      const { tag, digest } = imageTag(image);
      if (digest) return [];
      if (!tag) return [{ target: r, container: name, problem: `image "${image}" has no tag, so it means latest` }];
      if (params.forbiddenTags.includes(tag.toLowerCase())) return [{ target: r, container: name, problem: `image "${image}" uses the floating tag "${tag}"` }];
      return [];
    });
  },
};

export const imagePullPolicy: ResourceRule<{ allowed: string[] }> = {
  scope: "resource",
  name: "image-pull-policy",
  description: "Every container sets imagePullPolicy explicitly to an allowed value (IfNotPresent with a pinned tag, or Always); never `Never`.",
  sources: [{ seed: "001", heading: "Infrastructure", item: "Container registry set up" }],
  alsoFrom: "kube-score container-image-pull-policy; Polaris pullPolicyNotAlways",
  fix: "set imagePullPolicy: IfNotPresent (pinned tags) or Always on the container",
  levels: { dev: "advisory", prod: "mandatory" },
  defaults: () => ({ allowed: ["IfNotPresent", "Always"] }),
  schema: { allowed: { type: "array", items: { type: "string" }, description: "allowed imagePullPolicy values" } },
  check(r: K8sResource, { params }) {
    return containers(r).flatMap(({ container, name }): Finding[] => {
      const p = container.imagePullPolicy;
      if (isUnknown(p)) return [];
      if (p === undefined) return [{ target: r, container: name, problem: "imagePullPolicy is not set, so it depends on the tag" }];
      return params.allowed.includes(p) ? [] : [{ target: r, container: name, problem: `imagePullPolicy is "${p}"; allowed: ${params.allowed.join(", ")}` }];
    });
  },
};
