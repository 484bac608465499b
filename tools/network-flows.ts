/**
 * Computes which flows a set of Kubernetes objects allows, by evaluating their NetworkPolicies
 * the way the API defines them: a pod selected by any policy of a type is isolated for that
 * direction, and a flow needs both the source's egress and the destination's ingress to allow it.
 * Used by the tests and by the policy pack's stack-level traffic rule.
 */

export interface K8sObject {
  kind: string;
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: any;
}

export interface Pod {
  /** app.kubernetes.io/name of the workload, or the workload's name. */
  name: string;
  namespace: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  ports: number[];
}

/** Pod templates of every workload kind. */
export function podsOf(objects: K8sObject[]): Pod[] {
  return objects.flatMap((o) => {
    const template = o.kind === "CronJob" ? o.spec?.jobTemplate?.spec?.template : ["Deployment", "StatefulSet", "DaemonSet", "Job", "ReplicaSet"].includes(o.kind) ? o.spec?.template : undefined;
    if (!template) return [];
    const labels: Record<string, string> = template.metadata?.labels ?? {};
    return [
      {
        name: labels["app.kubernetes.io/name"] ?? o.metadata?.name ?? "?",
        namespace: o.metadata?.namespace ?? "default",
        labels,
        annotations: template.metadata?.annotations ?? {},
        ports: (template.spec?.containers ?? []).flatMap((c: any) => (c.ports ?? []).map((p: any) => Number(p.containerPort))),
      },
    ];
  });
}

function matches(selector: { matchLabels?: Record<string, string> } | undefined, labels: Record<string, string>): boolean {
  if (!selector) return true;
  return Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
}

/** A peer outside the namespace: another namespace's pods, optionally narrowed by labels. */
export interface ExternalPeer {
  namespace: string;
  labels?: Record<string, string>;
}

type Party = { pod: Pod } | { external: ExternalPeer };

function peerMatches(peer: any, policyNamespace: string, party: Party): boolean {
  if (peer.ipBlock) return true; // an ipBlock such as 0.0.0.0/0 covers pod addresses too
  if ("pod" in party) {
    const inNs = peer.namespaceSelector ? matches(peer.namespaceSelector, { "kubernetes.io/metadata.name": party.pod.namespace }) : party.pod.namespace === policyNamespace;
    return inNs && matches(peer.podSelector, party.pod.labels);
  }
  if (!peer.namespaceSelector) return false;
  const nsOk = matches(peer.namespaceSelector, { "kubernetes.io/metadata.name": party.external.namespace });
  return nsOk && (!peer.podSelector || matches(peer.podSelector, party.external.labels ?? {}));
}

function portMatches(rulePorts: any[] | undefined, port: number, protocol: string): boolean {
  if (!rulePorts || rulePorts.length === 0) return true;
  return rulePorts.some((p) => (p.protocol ?? "TCP") === protocol && (p.port === undefined || Number(p.port) === port));
}

function allowed(policies: K8sObject[], pod: Pod, direction: "Ingress" | "Egress", other: Party, port: number, protocol: string): boolean {
  const selecting = policies.filter(
    (p) => (p.metadata?.namespace ?? "default") === pod.namespace && matches(p.spec?.podSelector, pod.labels) && (p.spec?.policyTypes ?? ["Ingress"]).includes(direction),
  );
  if (selecting.length === 0) return true; // not isolated in this direction
  const key = direction === "Ingress" ? "ingress" : "egress";
  const peerKey = direction === "Ingress" ? "from" : "to";
  return selecting.some((p) =>
    (p.spec?.[key] ?? []).some(
      (rule: any) => portMatches(rule.ports, port, protocol) && (!rule[peerKey] || rule[peerKey].some((peer: any) => peerMatches(peer, p.metadata?.namespace ?? "default", other))),
    ),
  );
}

/** Every allowed flow between pods of the objects, as "src -> dst:port". */
export function podFlows(objects: K8sObject[]): string[] {
  const policies = objects.filter((o) => o.kind === "NetworkPolicy");
  const pods = podsOf(objects);
  const out = new Set<string>();
  for (const src of pods) {
    for (const dst of pods) {
      for (const port of dst.ports) {
        if (allowed(policies, src, "Egress", { pod: dst }, port, "TCP") && allowed(policies, dst, "Ingress", { pod: src }, port, "TCP")) {
          out.add(`${src.name} -> ${dst.name}:${port}`);
        }
      }
    }
  }
  return [...out].sort();
}

/** Pods a peer from another namespace may reach, as "ns:<namespace> -> dst:port". */
export function inboundFrom(objects: K8sObject[], peer: ExternalPeer): string[] {
  const policies = objects.filter((o) => o.kind === "NetworkPolicy");
  return podsOf(objects)
    .flatMap((dst) => dst.ports.filter((port) => allowed(policies, dst, "Ingress", { external: peer }, port, "TCP")).map((port) => `ns:${peer.namespace} -> ${dst.name}:${port}`))
    .sort();
}

/** Whether a pod may send to a peer in another namespace (e.g. cluster DNS) on a port. */
export function egressAllowed(objects: K8sObject[], pod: Pod, peer: ExternalPeer, port: number, protocol = "TCP"): boolean {
  return allowed(
    objects.filter((o) => o.kind === "NetworkPolicy"),
    pod,
    "Egress",
    { external: peer },
    port,
    protocol,
  );
}
