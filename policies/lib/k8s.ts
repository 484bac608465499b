/**
 * The Kubernetes view the rules work on: one object per registered Kubernetes resource, with
 * kind, name, namespace, labels and annotations pulled out, and values the engine cannot know
 * during a preview (e.g. a generated password before it exists) replaced by UNKNOWN.
 */
import { UNKNOWN_SENTINELS } from "./policy-sdk-internals";

/** Stands for a value Pulumi cannot know yet (preview of a create); rules never judge it. */
export const UNKNOWN = "<unknown until the resource is created>";

/** A resource as both entry points hand it over: Pulumi type token, Pulumi name, inputs. */
export interface InputResource {
  type: string;
  name: string;
  urn?: string;
  props: Record<string, any>;
}

export interface K8sResource {
  kind: string;
  name: string;
  namespace?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  props: Record<string, any>;
  /** Pulumi resource name and URN (the URN only under the Pulumi CLI). */
  resourceName: string;
  urn?: string;
}

export function isUnknown(v: unknown): boolean {
  return v === UNKNOWN;
}

/** Deep copy with the SDK's unknown sentinels replaced by UNKNOWN. */
export function normalise(v: any): any {
  if (typeof v === "string") return UNKNOWN_SENTINELS.has(v) ? UNKNOWN : v;
  if (Array.isArray(v)) return v.map(normalise);
  if (v === null || typeof v !== "object") return v;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalise(x)]));
}

/** `kubernetes:apps/v1:Deployment` -> `Deployment`; undefined for anything not Kubernetes. */
export function kindOf(type: string, props: Record<string, any>): string | undefined {
  if (!type.startsWith("kubernetes:")) return undefined;
  if (typeof props.kind === "string" && !isUnknown(props.kind)) return props.kind;
  return type.split(":").pop();
}

function stringMap(v: any): Record<string, string> {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return {};
  return Object.fromEntries(Object.entries(v).filter(([, x]) => typeof x === "string")) as Record<string, string>;
}

export function toK8s(r: InputResource): K8sResource | undefined {
  const props = normalise(r.props ?? {});
  const kind = kindOf(r.type, props);
  if (!kind) return undefined;
  const md = props.metadata ?? {};
  return {
    kind,
    name: typeof md.name === "string" ? md.name : r.name,
    namespace: typeof md.namespace === "string" ? md.namespace : undefined,
    labels: stringMap(md.labels),
    annotations: stringMap(md.annotations),
    props,
    resourceName: r.name,
    urn: r.urn,
  };
}

export function toK8sAll(rs: InputResource[]): K8sResource[] {
  return rs.flatMap((r) => toK8s(r) ?? []);
}

export const WORKLOAD_KINDS = ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod"] as const;
/** Workloads that run continuously and so need probes, spreading and disruption budgets. */
export const LONG_RUNNING = ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Pod"];

export function isWorkload(r: K8sResource): boolean {
  return (WORKLOAD_KINDS as readonly string[]).includes(r.kind);
}

/** The pod template (metadata and spec) of any workload kind. */
export function podTemplate(r: K8sResource): { metadata: any; spec: any } | undefined {
  const s = r.props.spec;
  if (r.kind === "Pod") return { metadata: r.props.metadata ?? {}, spec: s ?? {} };
  if (r.kind === "CronJob") {
    const t = s?.jobTemplate?.spec?.template;
    return t ? { metadata: t.metadata ?? {}, spec: t.spec ?? {} } : undefined;
  }
  if (!isWorkload(r)) return undefined;
  return s?.template ? { metadata: s.template.metadata ?? {}, spec: s.template.spec ?? {} } : undefined;
}

export interface ContainerRef {
  container: any;
  name: string;
  init: boolean;
}

export function containers(r: K8sResource): ContainerRef[] {
  const spec = podTemplate(r)?.spec;
  if (!spec) return [];
  const list = (xs: any, init: boolean): ContainerRef[] => (Array.isArray(xs) ? xs.map((c: any) => ({ container: c, name: typeof c?.name === "string" ? c.name : "?", init })) : []);
  return [...list(spec.initContainers, true), ...list(spec.containers, false)];
}

/** Pod labels of a workload (what Services, PDBs and NetworkPolicies select). */
export function podLabels(r: K8sResource): Record<string, string> {
  return stringMap(podTemplate(r)?.metadata?.labels);
}

export function matchesSelector(selector: any, labels: Record<string, string>): boolean {
  if (!selector || typeof selector !== "object") return false;
  const ml = stringMap(selector.matchLabels);
  const exprs: any[] = Array.isArray(selector.matchExpressions) ? selector.matchExpressions : [];
  if (Object.keys(ml).length === 0 && exprs.length === 0) return true;
  const okLabels = Object.entries(ml).every(([k, v]) => labels[k] === v);
  const okExprs = exprs.every((e) => {
    const has = e.key in labels;
    const vals: string[] = Array.isArray(e.values) ? e.values : [];
    switch (e.operator) {
      case "In":
        return has && vals.includes(labels[e.key]);
      case "NotIn":
        return !has || !vals.includes(labels[e.key]);
      case "Exists":
        return has;
      case "DoesNotExist":
        return !has;
      default:
        return false;
    }
  });
  return okLabels && okExprs;
}

/** Replica count a workload asks for (1 when unset, as the API defaults it). */
export function replicas(r: K8sResource): number {
  const n = r.props.spec?.replicas;
  return typeof n === "number" ? n : 1;
}

/** Plain environment of a container: name -> literal value (valueFrom entries are left out). */
export function plainEnv(c: any): Array<{ name: string; value: string }> {
  return (Array.isArray(c?.env) ? c.env : []).filter((e: any) => typeof e?.value === "string").map((e: any) => ({ name: String(e.name), value: e.value }));
}

/** Display name used in every message: `Kind "namespace/name"`. */
export function describe(r: K8sResource): string {
  return `${r.kind} "${r.namespace && !isUnknown(r.namespace) ? `${r.namespace}/` : ""}${r.name}"`;
}
