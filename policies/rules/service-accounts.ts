/** Pods get an API token only when they need one, and never run as the `default` ServiceAccount. */
import type { Finding, StackRule } from "../lib/engine";
import { isUnknown, K8sResource, LONG_RUNNING, podTemplate, WORKLOAD_KINDS } from "../lib/k8s";

function bound(sa: string, ns: string | undefined, resources: K8sResource[]): boolean {
  return resources.some(
    (b) =>
      (b.kind === "RoleBinding" || b.kind === "ClusterRoleBinding") && (b.props.subjects ?? []).some((s: any) => s?.kind === "ServiceAccount" && s?.name === sa && (s.namespace ?? b.namespace) === ns),
  );
}

export const serviceAccountToken: StackRule<Record<string, never>> = {
  scope: "stack",
  name: "service-account-token",
  description: "Every workload runs as its own ServiceAccount (not `default`) and mounts an API token only if a RoleBinding or ClusterRoleBinding in the stack grants that ServiceAccount something.",
  sources: [{ seed: "004", heading: "Security Configuration", item: "RBAC permissions are properly configured" }],
  alsoFrom: "Polaris automountServiceAccountToken; kube-score pod-service-account; Kyverno restrict-automount-sa-token",
  fix: "set automountServiceAccountToken: false on the pod (or its ServiceAccount) and give the workload its own ServiceAccount; mount a token only together with the Role it needs",
  levels: { dev: "advisory", prod: "mandatory" },
  defaults: () => ({}),
  schema: {},
  check(resources) {
    return resources
      .filter((r) => (WORKLOAD_KINDS as readonly string[]).includes(r.kind))
      .flatMap((w): Finding[] => {
        const spec = podTemplate(w)?.spec ?? {};
        const saName: string = spec.serviceAccountName ?? "default";
        // A ServiceAccount name that is not known yet (preview of a create) cannot be judged.
        if (isUnknown(saName)) return [];
        const sa = resources.find((s) => s.kind === "ServiceAccount" && s.name === saName && s.namespace === w.namespace);
        const out: Finding[] = [];
        if (saName === "default" && LONG_RUNNING.concat(["Job", "CronJob"]).includes(w.kind)) out.push({ target: w, problem: "runs as the namespace's default ServiceAccount" });
        const mounts = (spec.automountServiceAccountToken ?? sa?.props.automountServiceAccountToken) !== false;
        if (mounts && !bound(saName, w.namespace, resources))
          out.push({ target: w, problem: `mounts an API token for ServiceAccount "${saName}", which no Role or ClusterRole binding in the stack uses` });
        return out;
      });
  },
};
