/**
 * The platform's allowed traffic, as data: every component declares the flows it needs and the
 * NetworkPolicies component turns the whole list into one policy per workload. Anything not
 * listed is denied by the namespace's default-deny policy.
 */
import * as k8s from "../shared/k8s";
import * as pulumi from "@pulumi/pulumi";
import { NAME_LABEL, selectorLabels } from "../shared/workload";

/** A pod-to-pod flow inside the namespace, or from another namespace (the ingress controller). */
export interface Flow {
  from: string | { namespace: string };
  to: string;
  port: number;
  why: string;
}

/** Egress to addresses outside the cluster network (the API server, alert receivers). */
export interface ExternalEgress {
  from: string;
  cidr: string;
  ports: number[];
  why: string;
}

/** A workload whose pods carry `app.kubernetes.io/name: <name>`; metricsPort is what Prometheus scrapes. */
export interface Workload {
  name: string;
  metricsPort?: number;
}

/** What each component contributes to the traffic model. */
export interface Traffic {
  workloads: Workload[];
  flows: Flow[];
  external?: ExternalEgress[];
}

export const PROMETHEUS = "prometheus";

/** Prometheus scrapes every workload's metrics port (its own is in-pod and needs no flow). */
export function scrapeFlows(workloads: Workload[]): Flow[] {
  return workloads.filter((w) => w.metricsPort !== undefined && w.name !== PROMETHEUS).map((w) => ({ from: PROMETHEUS, to: w.name, port: w.metricsPort!, why: "metrics scrape" }));
}

export interface NetworkPoliciesArgs {
  namespace: pulumi.Input<string>;
  traffic: Traffic[];
}

function peer(from: Flow["from"]): k8s.types.input.networking.v1.NetworkPolicyPeer {
  return typeof from === "string" ? { podSelector: { matchLabels: selectorLabels(from) } } : { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": from.namespace } } };
}

function groupByPort<T>(items: T[], port: (t: T) => number): Map<number, T[]> {
  const out = new Map<number, T[]>();
  for (const i of items) out.set(port(i), [...(out.get(port(i)) ?? []), i]);
  return out;
}

/** One NetworkPolicy per workload with exactly its inbound and outbound flows. */
export class NetworkPolicies extends pulumi.ComponentResource {
  public readonly policies: k8s.networking.v1.NetworkPolicy[];

  constructor(name: string, args: NetworkPoliciesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:network:NetworkPolicies", name, {}, opts);
    const workloads = args.traffic.flatMap((t) => t.workloads);
    const flows = [...args.traffic.flatMap((t) => t.flows), ...scrapeFlows(workloads)];
    const external = args.traffic.flatMap((t) => t.external ?? []);
    const known = new Set(workloads.map((w) => w.name));
    for (const f of flows) {
      for (const end of [f.to, f.from]) {
        if (typeof end === "string" && !known.has(end)) throw new Error(`traffic model: flow "${f.why}" names unknown workload "${end}"`);
      }
    }

    this.policies = workloads.map((w) => {
      const inbound = flows.filter((f) => f.to === w.name);
      const outbound = flows.filter((f) => f.from === w.name);
      const ingress = [...groupByPort(inbound, (f) => f.port)].map(([port, fs]) => ({
        from: fs.map((f) => peer(f.from)),
        ports: [{ protocol: "TCP", port }],
      }));
      const egress = [
        ...[...groupByPort(outbound, (f) => f.port)].map(([port, fs]) => ({
          to: [...new Set(fs.map((f) => f.to))].map((to) => peer(to)),
          ports: [{ protocol: "TCP", port }],
        })),
        ...external.filter((e) => e.from === w.name).map((e) => ({ to: [{ ipBlock: { cidr: e.cidr } }], ports: e.ports.map((port) => ({ protocol: "TCP", port })) })),
      ];
      return new k8s.networking.v1.NetworkPolicy(
        `${w.name}-traffic`,
        {
          metadata: { name: `${w.name}-traffic`, namespace: args.namespace, labels: { [NAME_LABEL]: w.name } },
          spec: { podSelector: { matchLabels: selectorLabels(w.name) }, policyTypes: ["Ingress", "Egress"], ingress, egress },
        },
        { parent: this },
      );
    });
    this.registerOutputs({ policies: this.policies.map((p) => p.metadata.name) });
  }
}
