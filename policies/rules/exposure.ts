/** Nothing but the public entry leaves the cluster, and the public entry speaks TLS only. */
import type { Finding, ResourceRule } from "../lib/engine";
import { isUnknown } from "../lib/k8s";

const DEFAULT_PROTECTED: Record<string, string> = {
  "6379": "Redis",
  "8123": "ClickHouse HTTP",
  "9000": "ClickHouse native",
  "9092": "Kafka",
  "9093": "Kafka controller",
  "5432": "Postgres",
  "50051": "refinement-api gRPC",
  "50052": "learning-api gRPC",
  "50053": "storage-service gRPC",
};

export const serviceExposure: ResourceRule<{ allowedPublicServices: string[]; protectedPorts: Record<string, string> }> = {
  scope: "resource",
  name: "service-exposure",
  description: "No Service of type LoadBalancer or NodePort, and no externalIPs: datastores and internal gRPC ports stay ClusterIP; the gateway is public only through the TLS Ingress.",
  sources: [
    { seed: "000", heading: "Network", item: "gRPC ports not exposed publicly; Redis, ClickHouse, Kafka not exposed publicly" },
    { seed: "002", heading: "Network Security", item: "Block metrics and database ports from outside" },
  ],
  alsoFrom: "kube-score service-type; Kyverno restrict-service-external-ips, restrict-nodeport",
  fix: "make the Service type ClusterIP and reach it from outside only through the gateway's TLS Ingress",
  levels: { dev: "advisory", prod: "mandatory" },
  defaults: () => ({ allowedPublicServices: [], protectedPorts: { ...DEFAULT_PROTECTED } }),
  schema: {
    allowedPublicServices: { type: "array", items: { type: "string" }, description: "Service names allowed to be LoadBalancer/NodePort" },
    protectedPorts: { type: "object", description: "port -> what listens there; named in messages" },
  },
  check(r, { params }) {
    if (r.kind !== "Service" || params.allowedPublicServices.includes(r.name)) return [];
    const type = r.props.spec?.type ?? "ClusterIP";
    const ports: number[] = (r.props.spec?.ports ?? []).map((p: any) => Number(p.port));
    const named = ports.map((p) => (params.protectedPorts[String(p)] ? `${p} (${params.protectedPorts[String(p)]})` : String(p))).join(", ");
    const out: Finding[] = [];
    if (!isUnknown(type) && (type === "LoadBalancer" || type === "NodePort")) out.push({ target: r, problem: `type ${type} exposes port ${named} outside the cluster` });
    if (Array.isArray(r.props.spec?.externalIPs) && r.props.spec.externalIPs.length) out.push({ target: r, problem: `externalIPs expose port ${named} outside the cluster` });
    return out;
  },
};

export const ingressTls: ResourceRule<Record<string, never>> = {
  scope: "resource",
  name: "ingress-tls",
  description: "Every Ingress terminates TLS for every host it serves (spec.tls with a certificate Secret) and does not turn the HTTPS redirect off.",
  sources: [
    { seed: "000", heading: "Network", item: "Load balancer with TLS" },
    { seed: "001", heading: "Security", item: "TLS/HTTPS configured for all public endpoints" },
    { seed: "004", heading: "Security Configuration", item: "TLS is enabled for all external communications" },
  ],
  alsoFrom: "kube-score ingress-targets-service; Polaris / Kyverno ingress TLS best practice",
  fix: "add spec.tls with the host and a certificate Secret (platform:ingress.tlsSecretName, issued by cert-manager with platform:ingress.clusterIssuer)",
  levels: { dev: "advisory", prod: "mandatory" },
  defaults: () => ({}),
  schema: {},
  check(r) {
    if (r.kind !== "Ingress") return [];
    const tls: any[] = Array.isArray(r.props.spec?.tls) ? r.props.spec.tls : [];
    const covered = new Set(tls.flatMap((t) => (Array.isArray(t.hosts) ? t.hosts : [])));
    const hosts: string[] = (r.props.spec?.rules ?? []).map((x: any) => x.host ?? "*");
    const out: Finding[] = [];
    if (tls.length === 0) out.push({ target: r, problem: "has no spec.tls, so it serves plain HTTP" });
    else {
      for (const h of hosts.filter((h) => !isUnknown(h) && !covered.has(h))) out.push({ target: r, problem: `host "${h}" is not covered by spec.tls` });
      if (tls.some((t) => !t.secretName)) out.push({ target: r, problem: "a spec.tls entry names no certificate Secret" });
    }
    const redirect = ["nginx.ingress.kubernetes.io/ssl-redirect", "nginx.ingress.kubernetes.io/force-ssl-redirect"].filter((k) => r.annotations[k] === "false");
    if (redirect.length) out.push({ target: r, problem: `annotation ${redirect.join(", ")} is "false", so plain HTTP is served` });
    return out;
  },
};
