/**
 * The only way in from outside: an Ingress with TLS in front of the public gRPC service
 * (the gateway). Every other Service stays ClusterIP and the namespace quota allows no
 * LoadBalancer or NodePort Services. With a cert-manager ClusterIssuer, the ingress controller may
 * also reach the HTTP-01 solver pods cert-manager starts in the namespace, or no certificate is issued.
 */
import * as k8s from "../shared/k8s";
import * as pulumi from "@pulumi/pulumi";
import type { PlatformConfig } from "../../config/schema";
import type { Flow } from "../network/traffic";

/** Label and port of the pods cert-manager starts to answer HTTP-01 challenges. */
export const ACME_SOLVER_LABEL = "acme.cert-manager.io/http01-solver";
export const ACME_SOLVER_PORT = 8089;

export interface PublicEntryArgs {
  namespace: pulumi.Input<string>;
  config: PlatformConfig["ingress"];
  service: { name: string; port: number };
}

export class PublicEntry extends pulumi.ComponentResource {
  public readonly url: string;
  public readonly flow: Flow;

  constructor(name: string, args: PublicEntryArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:ingress:PublicEntry", name, {}, opts);
    const c = args.config;
    const annotations: Record<string, string> = {
      "nginx.ingress.kubernetes.io/backend-protocol": "GRPC",
      "nginx.ingress.kubernetes.io/ssl-redirect": "true",
      "nginx.ingress.kubernetes.io/force-ssl-redirect": "true",
      ...(c.clusterIssuer ? { "cert-manager.io/cluster-issuer": c.clusterIssuer } : {}),
    };
    new k8s.networking.v1.Ingress(
      args.service.name,
      {
        metadata: { name: args.service.name, namespace: args.namespace, annotations, labels: { "app.kubernetes.io/name": args.service.name } },
        spec: {
          ingressClassName: c.className,
          tls: [{ hosts: [c.host], secretName: c.tlsSecretName }],
          rules: [
            {
              host: c.host,
              http: {
                paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: args.service.name, port: { number: args.service.port } } } }],
              },
            },
          ],
        },
      },
      { parent: this },
    );
    if (c.clusterIssuer) {
      // Solver pods are not workloads of the traffic model (cert-manager creates them on demand).
      new k8s.networking.v1.NetworkPolicy(
        "acme-http01-solver",
        {
          metadata: { name: "acme-http01-solver", namespace: args.namespace },
          spec: {
            podSelector: { matchLabels: { [ACME_SOLVER_LABEL]: "true" } },
            policyTypes: ["Ingress"],
            ingress: [
              {
                from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": c.controllerNamespace } } }],
                ports: [{ protocol: "TCP", port: ACME_SOLVER_PORT }],
              },
            ],
          },
        },
        { parent: this },
      );
    }
    this.url = `https://${c.host}:443`;
    this.flow = { from: { namespace: c.controllerNamespace }, to: args.service.name, port: args.service.port, why: "public entry through the ingress controller" };
    this.registerOutputs({ url: this.url });
  }
}
