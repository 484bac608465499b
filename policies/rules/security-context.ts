/**
 * Pod Security Standards `restricted` and the hardening checks of Polaris, kube-score and Kyverno:
 * one rule per setting, so an exemption names exactly the setting it waives.
 */
import type { Finding, ResourceRule, Source } from "../lib/engine";
import { containers, K8sResource, podTemplate } from "../lib/k8s";

const SECURITY: Source[] = [{ seed: "004", heading: "Security Configuration", item: "Security contexts are properly configured" }];
const LEVELS = { dev: "advisory", prod: "mandatory" } as const;

/** A container-level check with the pod-level value as fallback where the API has one. */
function perContainer(r: K8sResource, bad: (c: any, pod: any) => string | undefined): Finding[] {
  const pod = podTemplate(r)?.spec?.securityContext ?? {};
  return containers(r).flatMap(({ container, name }) => {
    const problem = bad(container.securityContext ?? {}, pod);
    return problem ? [{ target: r, container: name, problem }] : [];
  });
}

export const runAsNonRoot: ResourceRule<Record<string, never>> = {
  scope: "resource",
  name: "container-run-as-non-root",
  description: "Every container runs as a non-root user: runAsNonRoot true (container or pod) and no runAsUser 0.",
  sources: SECURITY,
  alsoFrom: "PSS restricted; Polaris runAsRootAllowed; kube-score container-security-context-user-group-id; Kyverno require-run-as-nonroot",
  fix: "set securityContext.runAsNonRoot: true and a non-zero runAsUser (pod or container)",
  levels: LEVELS,
  defaults: () => ({}),
  schema: {},
  check: (r) =>
    perContainer(r, (c, pod) => {
      if ((c.runAsUser ?? pod.runAsUser) === 0) return "runs as user 0 (root)";
      return (c.runAsNonRoot ?? pod.runAsNonRoot) === true ? undefined : "runAsNonRoot is not true";
    }),
};

export const privilegeEscalation: ResourceRule<Record<string, never>> = {
  scope: "resource",
  name: "container-privilege-escalation",
  description: "Every container sets allowPrivilegeEscalation: false.",
  sources: SECURITY,
  alsoFrom: "PSS restricted; Polaris privilegeEscalationAllowed; Kyverno disallow-privilege-escalation",
  fix: "set securityContext.allowPrivilegeEscalation: false on the container",
  levels: LEVELS,
  defaults: () => ({}),
  schema: {},
  check: (r) => perContainer(r, (c) => (c.allowPrivilegeEscalation === false ? undefined : "allowPrivilegeEscalation is not false")),
};

export const capabilities: ResourceRule<{ allowedAdd: string[] }> = {
  scope: "resource",
  name: "container-capabilities",
  description: "Every container drops ALL Linux capabilities and adds none beyond the allowed list (NET_BIND_SERVICE).",
  sources: SECURITY,
  alsoFrom: "PSS restricted; Polaris dangerousCapabilities/insecureCapabilities; Kyverno require-drop-all",
  fix: "set securityContext.capabilities.drop: [ALL] and remove added capabilities",
  levels: LEVELS,
  defaults: () => ({ allowedAdd: ["NET_BIND_SERVICE"] }),
  schema: { allowedAdd: { type: "array", items: { type: "string" }, description: "capabilities a container may add back" } },
  check(r, { params }) {
    return perContainer(r, (c) => {
      const drop: string[] = c.capabilities?.drop ?? [];
      const added = ((c.capabilities?.add ?? []) as string[]).filter((a) => !params.allowedAdd.includes(a));
      if (!drop.includes("ALL")) return "capabilities.drop does not include ALL";
      return added.length ? `adds capabilities ${added.join(", ")}` : undefined;
    });
  },
};

export const seccompProfile: ResourceRule<{ allowed: string[] }> = {
  scope: "resource",
  name: "container-seccomp-profile",
  description: "Every container runs with a seccomp profile of type RuntimeDefault or Localhost (container or pod level).",
  sources: SECURITY,
  alsoFrom: "PSS restricted; kube-score container-seccomp-profile; Kyverno restrict-seccomp-strict",
  fix: "set securityContext.seccompProfile.type: RuntimeDefault on the pod or container",
  levels: LEVELS,
  defaults: () => ({ allowed: ["RuntimeDefault", "Localhost"] }),
  schema: { allowed: { type: "array", items: { type: "string" }, description: "allowed seccomp profile types" } },
  check(r, { params }) {
    return perContainer(r, (c, pod) => {
      const t = c.seccompProfile?.type ?? pod.seccompProfile?.type;
      return params.allowed.includes(t) ? undefined : t === undefined ? "no seccomp profile" : `seccomp profile "${t}"`;
    });
  },
};

export const readOnlyRootFilesystem: ResourceRule<Record<string, never>> = {
  scope: "resource",
  name: "container-read-only-root-filesystem",
  description: "Every container mounts its root filesystem read-only; writable paths are volumes.",
  sources: SECURITY,
  alsoFrom: "Polaris notReadOnlyRootFilesystem; kube-score container-security-context-readonlyrootfilesystem; Kyverno require-ro-rootfs",
  fix: "set securityContext.readOnlyRootFilesystem: true and mount an emptyDir where the process writes; or annotate the workload with policy.platform/exempt.container-read-only-root-filesystem and the reason",
  levels: LEVELS,
  defaults: () => ({}),
  schema: {},
  check: (r) => perContainer(r, (c) => (c.readOnlyRootFilesystem === true ? undefined : "the root filesystem is writable (readOnlyRootFilesystem is not true)")),
};

export const hostAccess: ResourceRule<Record<string, never>> = {
  scope: "resource",
  name: "pod-host-access",
  description: "No privileged containers, hostNetwork, hostPID, hostIPC, hostPath volumes or hostPorts.",
  sources: SECURITY,
  alsoFrom:
    "PSS baseline; Polaris hostNetworkSet/hostPIDSet/hostIPCSet/privilegeEscalationAllowed; Kyverno disallow-host-namespaces, disallow-host-path, disallow-host-ports, disallow-privileged-containers",
  fix: "remove privileged, hostNetwork, hostPID, hostIPC, hostPath volumes and hostPort; use Services and PersistentVolumeClaims",
  levels: LEVELS,
  defaults: () => ({}),
  schema: {},
  check(r) {
    const spec = podTemplate(r)?.spec;
    if (!spec) return [];
    const pod = ["hostNetwork", "hostPID", "hostIPC"].filter((k) => spec[k] === true).map((k) => `${k} is true`);
    const paths = (spec.volumes ?? []).filter((v: any) => v?.hostPath).map((v: any) => `volume "${v.name}" is a hostPath`);
    const out: Finding[] = [...pod, ...paths].map((problem) => ({ target: r, problem }));
    for (const { container, name } of containers(r)) {
      if (container.securityContext?.privileged === true) out.push({ target: r, container: name, problem: "runs privileged" });
      const hostPorts = (container.ports ?? []).filter((p: any) => p?.hostPort !== undefined).map((p: any) => p.hostPort);
      if (hostPorts.length) out.push({ target: r, container: name, problem: `binds hostPort ${hostPorts.join(", ")}` });
    }
    return out;
  },
};
