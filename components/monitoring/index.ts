/**
 * The monitoring stack: Prometheus (scrape configuration and alert rules from monitoring-config/),
 * Alertmanager (routes to pager, chat and e-mail), Grafana (provisioned datasource and
 * dashboards) and kube-state-metrics (the Kubernetes object metrics the alerts need).
 */
import * as pulumi from "@pulumi/pulumi";
import type { AlertmanagerConfig, AlertReceiverSecrets, Environment, GrafanaConfig, KubernetesEgress, KubeStateMetricsConfig, PrometheusConfig } from "../../config/schema";
import { ALERTMANAGER, GRAFANA, KUBE_STATE_METRICS, PROMETHEUS } from "../../monitoring-config/endpoints";
import type { HealthCheck } from "../shared/health-check";
import type { Traffic } from "../network/traffic";
import type { Credential } from "../secrets/generated-secrets";
import { Alertmanager } from "./alertmanager";
import { Grafana } from "./grafana";
import { KubeStateMetrics } from "./kube-state-metrics";
import { Prometheus } from "./prometheus";

export interface MonitoringArgs {
  namespace: pulumi.Input<string>;
  /** The namespace's configured name (labels of the scrape configuration, cluster-wide RBAC names). */
  namespaceName: string;
  environment: Environment;
  storageClassName?: string;
  prometheus: PrometheusConfig;
  alertmanager: AlertmanagerConfig;
  alertReceiverSecrets?: AlertReceiverSecrets;
  grafana: GrafanaConfig;
  grafanaAdmin: Credential;
  kubeStateMetrics: KubeStateMetricsConfig;
  kubernetesEgress: KubernetesEgress;
  /** The gRPC services Grafana gets dashboards for. */
  services: string[];
}

export interface Endpoint {
  service: string;
  port: number;
}

export class Monitoring extends pulumi.ComponentResource {
  public readonly traffic: Traffic;
  public readonly endpoints: { prometheus: Endpoint; grafana: Endpoint; alertmanager: Endpoint };
  /** Prometheus and Grafana answer for the monitoring stack in the post-deploy checks. */
  public readonly healthChecks: HealthCheck[];

  constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:monitoring:Monitoring", name, {}, opts);
    const child = { parent: this };
    const { namespace, storageClassName, kubernetesEgress } = args;
    const prometheus = new Prometheus(
      PROMETHEUS.name,
      {
        namespace,
        namespaceName: args.namespaceName,
        environment: args.environment,
        config: args.prometheus,
        alertmanagerReplicas: args.alertmanager.replicas,
        storageClassName,
        kubernetesEgress,
      },
      child,
    );
    const alertmanager = new Alertmanager(ALERTMANAGER.name, { namespace, config: args.alertmanager, receiverSecrets: args.alertReceiverSecrets, storageClassName }, child);
    const grafana = new Grafana(GRAFANA.name, { namespace, config: args.grafana, admin: args.grafanaAdmin, scrapeInterval: args.prometheus.scrapeInterval, services: args.services }, child);
    const kubeStateMetrics = new KubeStateMetrics(KUBE_STATE_METRICS.name, { namespace, config: args.kubeStateMetrics, kubernetesEgress }, child);

    const parts = [prometheus.traffic, alertmanager.traffic, grafana.traffic, kubeStateMetrics.traffic];
    this.traffic = {
      workloads: parts.flatMap((t) => t.workloads),
      flows: parts.flatMap((t) => t.flows),
      external: parts.flatMap((t) => t.external ?? []),
    };
    this.endpoints = { prometheus: prometheus.endpoint, grafana: grafana.endpoint, alertmanager: alertmanager.endpoint };
    this.healthChecks = [prometheus.healthCheck, grafana.healthCheck];
    this.registerOutputs({ endpoints: this.endpoints });
  }
}
