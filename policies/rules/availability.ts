/** Stateless services scale and survive drains: HPA, PodDisruptionBudget, spreading over nodes. */
import type { Finding, ResourceRule, StackRule } from "../lib/engine";
import { isUnknown, K8sResource, matchesSelector, podLabels, podTemplate, replicas } from "../lib/k8s";

/**
 * The HPA that scales a workload; "unknown" when an HPA's target name is not known yet (a preview
 * before the workload exists), so the rule cannot tell and says nothing.
 */
export function hpaFor(w: K8sResource, resources: K8sResource[]): K8sResource | "unknown" | undefined {
  const hpas = resources.filter((h) => h.kind === "HorizontalPodAutoscaler" && h.namespace === w.namespace && h.props.spec?.scaleTargetRef?.kind === w.kind);
  return hpas.find((h) => h.props.spec?.scaleTargetRef?.name === w.name) ?? (hpas.some((h) => isUnknown(h.props.spec?.scaleTargetRef?.name)) ? "unknown" : undefined);
}

export const workloadAutoscaling: StackRule<{ minReplicas: number }> = {
  scope: "stack",
  name: "workload-autoscaling",
  description: "Every Deployment is scaled by a HorizontalPodAutoscaler that targets it, with minReplicas at least the minimum and maxReplicas no lower than minReplicas.",
  sources: [
    { seed: "004", heading: "Performance and Scaling", item: "Horizontal Pod Autoscaler is configured" },
    { seed: "001", heading: "Infrastructure", item: "Auto-scaling policies defined" },
    { seed: "000", heading: "Scaling Strategy", item: "Gateway 2-3, Refinement API 5-10, Learning API 2-3, Storage Service 2 replicas" },
  ],
  alsoFrom: "Polaris / kube-score: replicated stateless workloads",
  fix: "add a HorizontalPodAutoscaler with scaleTargetRef to the Deployment (platform:services.<name>.replicas {min, max}); a deliberately single workload carries policy.platform/exempt.workload-autoscaling with the reason",
  levels: { dev: "advisory", prod: "mandatory" },
  defaults: () => ({ minReplicas: 2 }),
  schema: { minReplicas: { type: "integer", minimum: 1, description: "lowest acceptable HPA minReplicas" } },
  check(resources, { params }) {
    return resources
      .filter((d) => d.kind === "Deployment")
      .flatMap((d): Finding[] => {
        const hpa = hpaFor(d, resources);
        if (hpa === "unknown") return [];
        if (!hpa) return [{ target: d, problem: "no HorizontalPodAutoscaler targets it" }];
        const min = hpa.props.spec?.minReplicas ?? 1;
        const max = hpa.props.spec?.maxReplicas;
        if (isUnknown(min) || isUnknown(max)) return [];
        const out: Finding[] = [];
        if (min < params.minReplicas)
          out.push({
            target: d,
            problem: `HorizontalPodAutoscaler "${hpa.name}" allows ${min} replica(s), below the minimum of ${params.minReplicas}`,
            fix: `raise replicas.min to at least ${params.minReplicas}`,
          });
        if (typeof max === "number" && max < min) out.push({ target: d, problem: `HorizontalPodAutoscaler "${hpa.name}" has maxReplicas ${max} below minReplicas ${min}` });
        return out;
      });
  },
};

function allowsDisruption(pdb: K8sResource, pods: number): boolean {
  const s = pdb.props.spec ?? {};
  if (s.maxUnavailable !== undefined) return s.maxUnavailable !== 0 && s.maxUnavailable !== "0%";
  if (typeof s.minAvailable === "number") return s.minAvailable < pods;
  return s.minAvailable !== "100%";
}

export const workloadDisruptionBudget: StackRule<Record<string, never>> = {
  scope: "stack",
  name: "workload-disruption-budget",
  description: "Every replicated or autoscaled Deployment and StatefulSet is selected by a PodDisruptionBudget that still lets a node drain evict one pod.",
  sources: [
    { seed: "004", heading: "Performance and Scaling", item: "Horizontal Pod Autoscaler is configured" },
    { seed: "001", heading: "Testing", item: "Failover testing completed" },
  ],
  alsoFrom: "kube-score deployment-has-poddisruptionbudget / statefulset-has-poddisruptionbudget; Polaris missingPodDisruptionBudget",
  fix: "add a PodDisruptionBudget selecting the pod labels with maxUnavailable: 1",
  levels: { dev: "advisory", prod: "mandatory" },
  defaults: () => ({}),
  schema: {},
  check(resources) {
    return (
      resources
        // An HPA whose target is not known yet does not make a workload count as autoscaled.
        .filter((w) => (w.kind === "Deployment" || w.kind === "StatefulSet") && (replicas(w) > 1 || typeof hpaFor(w, resources) === "object"))
        .flatMap((w): Finding[] => {
          const labels = podLabels(w);
          const pdbs = resources.filter((p) => p.kind === "PodDisruptionBudget" && p.namespace === w.namespace && p.props.spec?.selector && matchesSelector(p.props.spec.selector, labels));
          if (pdbs.length === 0) return [{ target: w, problem: "no PodDisruptionBudget selects its pods" }];
          const hpa = hpaFor(w, resources);
          const pods = Math.max(replicas(w), (typeof hpa === "object" ? hpa.props.spec?.minReplicas : undefined) ?? 1);
          return pdbs.some((p) => allowsDisruption(p, pods)) ? [] : [{ target: w, problem: `PodDisruptionBudget "${pdbs[0].name}" allows no eviction with ${pods} pod(s), so node drains block` }];
        })
    );
  },
};

export const workloadSpread: ResourceRule<Record<string, never>> = {
  scope: "resource",
  name: "workload-spread",
  description: "Every Deployment or StatefulSet with more than one replica spreads its pods over nodes (topologySpreadConstraints or pod anti-affinity).",
  sources: [
    { seed: "000", heading: "Horizontal Scaling", item: "kubectl scale deployment refinement-api --replicas=5" },
    { seed: "001", heading: "Testing", item: "Failover testing completed" },
  ],
  alsoFrom: "kube-score pod-topology-spread / deployment-pod-anti-affinity; Polaris",
  fix: "add topologySpreadConstraints on kubernetes.io/hostname (or podAntiAffinity) selecting the workload's pods",
  levels: { dev: "advisory", prod: "mandatory" },
  defaults: () => ({}),
  schema: {},
  check(r) {
    if ((r.kind !== "Deployment" && r.kind !== "StatefulSet") || replicas(r) <= 1) return [];
    const spec = podTemplate(r)?.spec ?? {};
    const spread = Array.isArray(spec.topologySpreadConstraints) && spec.topologySpreadConstraints.length > 0;
    const anti = !!(spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution || spec.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution);
    return spread || anti ? [] : [{ target: r, problem: `runs ${replicas(r)} replicas with no topologySpreadConstraints or pod anti-affinity, so they may share one node` }];
  },
};
