/**
 * The monitoring stack: Prometheus (scrape configuration and alert rules from monitoring/),
 * Alertmanager (routes to pager, chat and e-mail), Grafana (provisioned datasource and
 * dashboards) and kube-state-metrics (the Kubernetes object metrics the alerts need).
 */
import * as pulumi from "@pulumi/pulumi";
import type { PlatformConfig } from "../../config/schema";
import type { Traffic } from "../network/traffic";
import type { Credential } from "../secrets/generated-secrets";
import { Alertmanager } from "./alertmanager";
import { Grafana } from "./grafana";
import { KubeStateMetrics } from "./kube-state-metrics";
import { Prometheus } from "./prometheus";

export interface MonitoringArgs {
  namespace: pulumi.Input<string>;
  config: PlatformConfig;
  grafanaAdmin: Credential;
}

export interface Endpoint {
  service: string;
  port: number;
}

export class Monitoring extends pulumi.ComponentResource {
  public readonly traffic: Traffic;
  public readonly endpoints: { prometheus: Endpoint; grafana: Endpoint; alertmanager: Endpoint };

  constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:monitoring:Monitoring", name, {}, opts);
    const child = { parent: this };
    const common = { namespace: args.namespace, config: args.config };
    const prometheus = new Prometheus("prometheus", common, child);
    const alertmanager = new Alertmanager("alertmanager", common, child);
    const grafana = new Grafana("grafana", { ...common, admin: args.grafanaAdmin }, child);
    const kubeStateMetrics = new KubeStateMetrics("kube-state-metrics", common, child);

    const parts = [prometheus.traffic, alertmanager.traffic, grafana.traffic, kubeStateMetrics.traffic];
    this.traffic = {
      workloads: parts.flatMap((t) => t.workloads),
      flows: parts.flatMap((t) => t.flows),
      external: parts.flatMap((t) => t.external ?? []),
    };
    this.endpoints = { prometheus: prometheus.endpoint, grafana: grafana.endpoint, alertmanager: alertmanager.endpoint };
    this.registerOutputs({ endpoints: this.endpoints });
  }
}
