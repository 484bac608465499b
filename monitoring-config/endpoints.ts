/** Names and ports of the monitoring workloads; Services, config generators and flows all use these. */
export const PROMETHEUS = { name: "prometheus", port: 9090 } as const;
export const ALERTMANAGER = { name: "alertmanager", port: 9093, clusterPort: 9094 } as const;
export const GRAFANA = { name: "grafana", port: 3000 } as const;
export const KUBE_STATE_METRICS = { name: "kube-state-metrics", port: 8080, telemetryPort: 8081 } as const;

/** Where each generated file is mounted inside the pods. */
export const PATHS = {
  prometheusConfigDir: "/etc/prometheus/config",
  prometheusRulesDir: "/etc/prometheus/rules",
  alertmanagerConfigDir: "/etc/alertmanager/config",
  alertmanagerSecretsDir: "/etc/alertmanager/secrets",
  serviceAccountDir: "/var/run/secrets/kubernetes.io/serviceaccount",
  grafanaProvisioningDir: "/etc/grafana/provisioning",
  grafanaDashboardsDir: "/etc/grafana/dashboards",
} as const;

/** Keys of the Alertmanager receivers Secret, mounted as files under PATHS.alertmanagerSecretsDir. */
export const RECEIVER_SECRET_KEYS = {
  pagerdutyRoutingKey: "pagerduty-routing-key",
  slackWebhookUrl: "slack-webhook-url",
  smtpPassword: "smtp-password",
} as const;

/** Uid of the provisioned Prometheus datasource; every dashboard panel names it. */
export const PROMETHEUS_DATASOURCE_UID = "prometheus";
