/**
 * The namespace everything lives in: Pod Security Admission `restricted`, labelled for monitoring,
 * bounded by a ResourceQuota and LimitRange, and closed by a default-deny NetworkPolicy
 * (cluster DNS is the one flow every pod gets: the DNS pods, and addresses such as NodeLocal
 * DNSCache's, on port 53 only).
 */
import * as k8s from "../shared/k8s";
import * as pulumi from "@pulumi/pulumi";
import { CLAIM_MAX_STORAGE, CONTAINER_MAX } from "../../config/admission";
import type { PlatformConfig } from "../../config/schema";
import { keepData } from "../shared/data-safety";

export interface PlatformBaseArgs {
  namespace: string;
  environment: PlatformConfig["environment"];
  quota: PlatformConfig["quota"];
  /** Deleting the namespace deletes every volume in it. */
  protect: boolean;
  dns: PlatformConfig["dns"];
}

export class PlatformBase extends pulumi.ComponentResource {
  public readonly namespace: k8s.core.v1.Namespace;
  /** The namespace name, available once the Namespace exists so children wait for it. */
  public readonly namespaceName: pulumi.Output<string>;

  constructor(name: string, args: PlatformBaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:base:PlatformBase", name, {}, opts);
    const psa = "restricted";
    this.namespace = new k8s.core.v1.Namespace(
      args.namespace,
      {
        metadata: {
          name: args.namespace,
          labels: {
            "pod-security.kubernetes.io/enforce": psa,
            "pod-security.kubernetes.io/enforce-version": "latest",
            "pod-security.kubernetes.io/audit": psa,
            "pod-security.kubernetes.io/warn": psa,
            monitoring: "enabled",
            environment: args.environment,
            "app.kubernetes.io/part-of": "platform",
          },
        },
      },
      keepData(args.protect, { parent: this }, true),
    );
    this.namespaceName = this.namespace.metadata.name;
    const ns = this.namespaceName;
    const child = { parent: this };

    new k8s.core.v1.ResourceQuota(
      "quota",
      {
        metadata: { name: "platform-quota", namespace: ns },
        spec: {
          hard: {
            "requests.cpu": args.quota.cpu,
            "limits.cpu": args.quota.cpu,
            "requests.memory": args.quota.memory,
            "limits.memory": args.quota.memory,
            pods: String(args.quota.pods),
            "services.loadbalancers": "0",
            "services.nodeports": "0",
          },
        },
      },
      child,
    );

    // Defaults only apply to a container that forgot its own; every container here sets both.
    new k8s.core.v1.LimitRange(
      "limits",
      {
        metadata: { name: "platform-limits", namespace: ns },
        spec: {
          limits: [
            {
              type: "Container",
              defaultRequest: { cpu: "50m", memory: "64Mi" },
              default: { cpu: "500m", memory: "512Mi" },
              // The schema refuses what these would refuse at admission (config/admission.ts).
              max: { ...CONTAINER_MAX },
            },
            { type: "PersistentVolumeClaim", max: { storage: CLAIM_MAX_STORAGE } },
          ],
        },
      },
      child,
    );

    new k8s.networking.v1.NetworkPolicy(
      "default-deny",
      {
        metadata: { name: "default-deny", namespace: ns },
        spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
      },
      child,
    );

    new k8s.networking.v1.NetworkPolicy(
      "allow-dns",
      {
        metadata: { name: "allow-dns", namespace: ns },
        spec: {
          podSelector: {},
          policyTypes: ["Egress"],
          egress: [
            {
              to: [
                { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": args.dns.namespace } }, podSelector: { matchLabels: args.dns.podLabels } },
                ...args.dns.cidrs.map((cidr) => ({ ipBlock: { cidr } })),
              ],
              ports: [
                { protocol: "UDP", port: 53 },
                { protocol: "TCP", port: 53 },
              ],
            },
          ],
        },
      },
      child,
    );

    this.registerOutputs({ namespace: this.namespaceName });
  }
}
