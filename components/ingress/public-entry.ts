/**
 * The only way in from outside: an Ingress with TLS in front of the public gRPC service
 * (the gateway). Every other Service stays ClusterIP and the namespace quota allows no
 * LoadBalancer or NodePort Services.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { PlatformConfig } from "../../config/schema";
import type { Flow } from "../network/traffic";

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
    this.url = `https://${c.host}:443`;
    this.flow = { from: { namespace: c.controllerNamespace }, to: args.service.name, port: args.service.port, why: "public entry through the ingress controller" };
    this.registerOutputs({ url: this.url });
  }
}
