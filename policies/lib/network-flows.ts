/**
 * Which flows a set of Kubernetes objects allows, by evaluating their NetworkPolicies the way the
 * API defines them: a pod selected by any policy of a type is isolated for that direction, and a
 * flow needs both the source's egress and the destination's ingress to allow it. The flows have
 * the shape the program declares them in (components/network/traffic.ts), so the two compare
 * directly. Used by the policy pack's datastore-access rule and by the tests.
 */
import type { Flow } from "../../components/network/traffic";
import { K8sResource, matchesSelector, podLabels, podTemplate } from "./k8s";

/** An allowed flow: from a workload of the namespace, or from another namespace, to a workload's port. */
export type AllowedFlow = Omit<Flow, "why">;

export interface Pod {
  /** app.kubernetes.io/name of the workload, or the workload's name. */
  name: string;
  namespace: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  ports: number[];
}

/** A peer outside the namespace: another namespace's pods, optionally narrowed by labels. */
export interface ExternalPeer {
  namespace: string;
  labels?: Record<string, string>;
}

/** `src -> dst:port`, for messages and readable test expectations. */
export function flowText(f: AllowedFlow): string {
  return `${typeof f.from === "string" ? f.from : `ns:${f.from.namespace}`} -> ${f.to}:${f.port}`;
}

/** The pods of every workload kind, one per pod template. */
export function podsOf(objects: K8sResource[]): Pod[] {
  return objects.flatMap((o) => {
    const template = podTemplate(o);
    if (!template) return [];
    const labels = podLabels(o);
    return [
      {
        name: labels["app.kubernetes.io/name"] ?? o.name,
        namespace: o.namespace ?? "default",
        labels,
        annotations: template.metadata.annotations ?? {},
        ports: (template.spec.containers ?? []).flatMap((c: any) => (c.ports ?? []).map((p: any) => Number(p.containerPort))),
      },
    ];
  });
}

/** A selector the API treats as absent (a peer with only a namespaceSelector) selects every pod. */
function selects(selector: unknown, labels: Record<string, string>): boolean {
  return selector === undefined || matchesSelector(selector, labels);
}

type Party = { pod: Pod } | { external: ExternalPeer };

function peerMatches(peer: any, policyNamespace: string, party: Party): boolean {
  if (peer.ipBlock) return true; // an ipBlock such as 0.0.0.0/0 covers pod addresses too
  if ("pod" in party) {
    const inNs = peer.namespaceSelector ? matchesSelector(peer.namespaceSelector, { "kubernetes.io/metadata.name": party.pod.namespace }) : party.pod.namespace === policyNamespace;
    return inNs && selects(peer.podSelector, party.pod.labels);
  }
  if (!peer.namespaceSelector) return false;
  return matchesSelector(peer.namespaceSelector, { "kubernetes.io/metadata.name": party.external.namespace }) && selects(peer.podSelector, party.external.labels ?? {});
}

function portMatches(rulePorts: any[] | undefined, port: number, protocol: string): boolean {
  if (!rulePorts || rulePorts.length === 0) return true;
  return rulePorts.some((p) => (p.protocol ?? "TCP") === protocol && (p.port === undefined || Number(p.port) === port));
}

function allowed(policies: K8sResource[], pod: Pod, direction: "Ingress" | "Egress", other: Party, port: number, protocol: string): boolean {
  const selecting = policies.filter(
    (p) => (p.namespace ?? "default") === pod.namespace && selects(p.props.spec?.podSelector, pod.labels) && (p.props.spec?.policyTypes ?? ["Ingress"]).includes(direction),
  );
  if (selecting.length === 0) return true; // not isolated in this direction
  const key = direction === "Ingress" ? "ingress" : "egress";
  const peerKey = direction === "Ingress" ? "from" : "to";
  return selecting.some((p) =>
    (p.props.spec?.[key] ?? []).some(
      (rule: any) => portMatches(rule.ports, port, protocol) && (!rule[peerKey] || rule[peerKey].some((peer: any) => peerMatches(peer, p.namespace ?? "default", other))),
    ),
  );
}

const networkPolicies = (objects: K8sResource[]) => objects.filter((o) => o.kind === "NetworkPolicy");

function sorted(flows: AllowedFlow[]): AllowedFlow[] {
  return flows.sort((a, b) => flowText(a).localeCompare(flowText(b)));
}

/** Every allowed TCP flow between pods of the objects. */
export function podFlows(objects: K8sResource[]): AllowedFlow[] {
  const policies = networkPolicies(objects);
  const pods = podsOf(objects);
  const out = new Map<string, AllowedFlow>();
  for (const src of pods) {
    for (const dst of pods) {
      for (const port of dst.ports) {
        const flow = { from: src.name, to: dst.name, port };
        if (allowed(policies, src, "Egress", { pod: dst }, port, "TCP") && allowed(policies, dst, "Ingress", { pod: src }, port, "TCP")) out.set(flowText(flow), flow);
      }
    }
  }
  return sorted([...out.values()]);
}

/** The pods' ports a peer from another namespace may reach over TCP. */
export function inboundFrom(objects: K8sResource[], peer: ExternalPeer): AllowedFlow[] {
  const policies = networkPolicies(objects);
  return sorted(
    podsOf(objects).flatMap((dst) =>
      dst.ports.filter((port) => allowed(policies, dst, "Ingress", { external: peer }, port, "TCP")).map((port) => ({ from: { namespace: peer.namespace }, to: dst.name, port })),
    ),
  );
}

/** Whether a pod may send to a peer in another namespace (e.g. cluster DNS) on a port. */
export function egressAllowed(objects: K8sResource[], pod: Pod, peer: ExternalPeer, port: number, protocol = "TCP"): boolean {
  return allowed(networkPolicies(objects), pod, "Egress", { external: peer }, port, protocol);
}
