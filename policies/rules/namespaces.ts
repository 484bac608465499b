/** Namespaces: nothing in `default`, Pod Security `restricted`, quotas, and a default-deny NetworkPolicy. */
import type { Finding, ResourceRule, StackRule } from "../lib/engine";
import { isUnknown, isWorkload, K8sResource } from "../lib/k8s";

const CLUSTER_SCOPED = new Set([
  "Namespace",
  "ClusterRole",
  "ClusterRoleBinding",
  "PersistentVolume",
  "StorageClass",
  "CustomResourceDefinition",
  "PriorityClass",
  "IngressClass",
  "MutatingWebhookConfiguration",
  "ValidatingWebhookConfiguration",
  "APIService",
  "RuntimeClass",
]);

export const workloadNamespace: ResourceRule<{ forbidden: string[] }> = {
  scope: "resource",
  name: "workload-namespace",
  description: "Every namespaced resource names its namespace explicitly, and it is not `default` or a system namespace.",
  sources: [{ seed: "004", heading: "Step 3: Application Deployment", item: "Deploy namespace: kubectl apply -f deployments/kubernetes/namespace.yaml" }],
  alsoFrom: "kube-score / Polaris / Kyverno disallow-default-namespace",
  fix: "set metadata.namespace to the platform namespace (platform:namespace)",
  levels: { dev: "advisory", prod: "mandatory" },
  defaults: () => ({ forbidden: ["default", "kube-system", "kube-public", "kube-node-lease"] }),
  schema: { forbidden: { type: "array", items: { type: "string" }, description: "namespaces nothing of the platform may live in" } },
  check(r, { params }) {
    if (CLUSTER_SCOPED.has(r.kind)) return [];
    const ns = r.props.metadata?.namespace;
    if (isUnknown(ns)) return [];
    if (ns === undefined || ns === "") return [{ target: r, problem: "has no metadata.namespace, so it lands in the provider's default namespace" }];
    return params.forbidden.includes(ns) ? [{ target: r, problem: `lives in the "${ns}" namespace` }] : [];
  },
};

export const namespacePodSecurity: ResourceRule<{ level: string }> = {
  scope: "resource",
  name: "namespace-pod-security",
  description: "Every Namespace enforces Pod Security Admission `restricted` (label pod-security.kubernetes.io/enforce).",
  sources: [{ seed: "004", heading: "Security Configuration", item: "Security contexts are properly configured" }],
  alsoFrom: "Kyverno pod-security (restricted profile)",
  fix: "label the Namespace pod-security.kubernetes.io/enforce: restricted",
  levels: { dev: "advisory", prod: "mandatory" },
  defaults: () => ({ level: "restricted" }),
  schema: { level: { type: "string", enum: ["baseline", "restricted"], description: "required enforce level" } },
  check(r, { params }) {
    if (r.kind !== "Namespace") return [];
    const enforce = r.labels["pod-security.kubernetes.io/enforce"];
    const rank = (l?: string) => ["privileged", "baseline", "restricted"].indexOf(l ?? "privileged");
    return rank(enforce) >= rank(params.level) ? [] : [{ target: r, problem: `Pod Security enforce level is ${enforce ?? "unset (privileged)"}, not ${params.level}` }];
  },
};

/** Namespaces that hold workloads, with the object to report on (the Namespace if the stack has it). */
export function workloadNamespaces(resources: K8sResource[]): Map<string, K8sResource> {
  const out = new Map<string, K8sResource>();
  for (const r of resources.filter(isWorkload)) {
    if (!r.namespace || isUnknown(r.namespace) || out.has(r.namespace)) continue;
    out.set(r.namespace, resources.find((n) => n.kind === "Namespace" && n.name === r.namespace) ?? r);
  }
  return out;
}

export const namespaceQuota: StackRule<{ kinds: string[] }> = {
  scope: "stack",
  name: "namespace-quota",
  description: "Every namespace with workloads has a ResourceQuota and a LimitRange.",
  sources: [{ seed: "004", heading: "Step 1: Pre-deployment Validation", item: "Check resource quotas and limits" }],
  alsoFrom: "Kyverno add-ns-quota",
  fix: "create a ResourceQuota and a LimitRange in the namespace (platform:quota)",
  levels: { dev: "advisory", prod: "mandatory" },
  defaults: () => ({ kinds: ["ResourceQuota", "LimitRange"] }),
  schema: { kinds: { type: "array", items: { type: "string" }, description: "objects every workload namespace needs" } },
  check(resources, { params }) {
    return [...workloadNamespaces(resources)].flatMap(([ns, target]): Finding[] => {
      const missing = params.kinds.filter((k) => !resources.some((r) => r.kind === k && r.namespace === ns));
      return missing.length ? [{ target, problem: `namespace "${ns}" has no ${missing.join(" and ")}` }] : [];
    });
  },
};

function isDefaultDeny(p: K8sResource): boolean {
  const s = p.props.spec ?? {};
  const sel = s.podSelector ?? {};
  const empty = (x: any) => x === undefined || (Array.isArray(x) && x.length === 0);
  const types: string[] = s.policyTypes ?? [];
  return Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0 && types.includes("Ingress") && types.includes("Egress") && empty(s.ingress) && empty(s.egress);
}

export const networkDefaultDeny: StackRule<Record<string, never>> = {
  scope: "stack",
  name: "network-default-deny",
  description: "Every namespace with workloads has a default-deny NetworkPolicy (all pods, Ingress and Egress, no rules); allowed flows are opened by narrower policies.",
  sources: [
    { seed: "001", heading: "Infrastructure", item: "Network policies configured" },
    { seed: "004", heading: "Security Configuration", item: "Network policies are configured (if applicable)" },
    { seed: "000", heading: "Pre-Deployment", item: "Firewall rules configured" },
  ],
  alsoFrom: "Kyverno add-networkpolicy (default deny); kube-score pod-networkpolicy",
  fix: "add a NetworkPolicy with podSelector: {} and policyTypes [Ingress, Egress] and no rules to the namespace",
  levels: { dev: "advisory", prod: "mandatory" },
  defaults: () => ({}),
  schema: {},
  check(resources) {
    return [...workloadNamespaces(resources)].flatMap(([ns, target]): Finding[] =>
      resources.some((p) => p.kind === "NetworkPolicy" && p.namespace === ns && isDefaultDeny(p)) ? [] : [{ target, problem: `namespace "${ns}" has no default-deny NetworkPolicy` }],
    );
  },
};
