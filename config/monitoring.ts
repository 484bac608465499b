/**
 * Configuration of the monitoring stack: Prometheus, Alertmanager, Grafana, kube-state-metrics,
 * and the addresses outside the pod network that discovery and alert delivery must reach.
 * Everything added after the first stack files has a default, so existing stacks stay valid.
 */
import { z } from "zod";
import { hostPort, imageRef, port, resources, secretString, storage } from "./primitives";

const CIDR = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}\/(3[0-2]|[12]?\d)$/;
export const cidr = z.string().regex(CIDR, "an IPv4 CIDR block such as 10.0.0.0/16 or 0.0.0.0/0");
const ports = z.array(port).min(1, "at least one TCP port");
const email = z.string().regex(/^[^@\s]+@[^@\s]+\.[^@\s]+$/, "an e-mail address such as oncall@example.com");
const secretValue = secretString(8, "set it with `pulumi config set --secret --path`");

const DEFAULT_ALERTMANAGER = {
  image: "prom/alertmanager:v0.27.0",
  replicas: 1,
  storage: "1Gi",
  resources: { requests: { cpu: "20m", memory: "32Mi" }, limits: { cpu: "200m", memory: "128Mi" } },
  receiversSecretName: "alertmanager-receivers",
  slackChannel: "#platform-alerts",
  email: { to: "platform-oncall@example.com", from: "alertmanager@example.com", smarthost: "smtp.example.com:587", authUsername: "alertmanager@example.com" },
  egressCidr: "0.0.0.0/0",
};

const DEFAULT_KUBE_STATE_METRICS = {
  image: "registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.13.0",
  resources: { requests: { cpu: "20m", memory: "64Mi" }, limits: { cpu: "200m", memory: "256Mi" } },
};

const DEFAULT_KUBERNETES_EGRESS = { apiServerCidr: "0.0.0.0/0", apiServerPorts: [443, 6443], nodeCidr: "0.0.0.0/0", kubeletPort: 10250 };

export const monitoringConfigShape = {
  prometheus: z
    .object({
      image: imageRef,
      storage,
      resources,
      retention: z.string().regex(/^[0-9]+(h|d|w|y)$/, "a Prometheus retention such as 15d or 12h"),
      scrapeInterval: z
        .string()
        .regex(/^[0-9]+(s|m)$/, "a Prometheus interval such as 15s or 1m")
        .default("30s"),
      /** Prefix that turns the rules' `docs/runbooks.md#anchor` runbook links into absolute URLs (e.g. the repository's web URL). */
      runbookBaseUrl: z
        .string()
        .regex(/^https?:\/\/\S+\/$/, "an http(s) URL ending in '/', under which the repository's files are served, e.g. https://git.example.com/team/platform/blob/main/")
        .optional(),
    })
    .strict(),
  grafana: z
    .object({
      image: imageRef,
      resources,
      adminUser: z
        .string()
        .min(1, "an admin user name")
        .refine((u) => u.trim().toLowerCase() !== "admin", "an admin user name other than the default 'admin' (in any case)")
        .default("platform-admin"),
    })
    .strict(),
  alertmanager: z
    .object({
      image: imageRef.default(DEFAULT_ALERTMANAGER.image),
      replicas: z.number().int().min(1, "between 1 and 5 replicas").max(5, "between 1 and 5 replicas").default(DEFAULT_ALERTMANAGER.replicas),
      storage: storage.default(DEFAULT_ALERTMANAGER.storage),
      resources: resources.default(DEFAULT_ALERTMANAGER.resources),
      /** Secret with keys pagerduty-routing-key, slack-webhook-url, smtp-password; created from `alertReceiverSecrets` or managed by the operator. */
      receiversSecretName: z
        .string()
        .regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, "a Kubernetes Secret name (DNS label)")
        .default(DEFAULT_ALERTMANAGER.receiversSecretName),
      slackChannel: z
        .string()
        .regex(/^#[a-z0-9][a-z0-9._-]{0,79}$/, "a Slack channel such as #platform-alerts")
        .default(DEFAULT_ALERTMANAGER.slackChannel),
      email: z
        .object({
          to: email,
          from: email,
          smarthost: hostPort("smtp.example.com:587"),
          authUsername: z.string().min(1).optional(),
        })
        .strict()
        .default(DEFAULT_ALERTMANAGER.email),
      /** Where the receivers (PagerDuty, Slack, SMTP) live; narrow it where egress goes through a known proxy. */
      egressCidr: cidr.default(DEFAULT_ALERTMANAGER.egressCidr),
    })
    .strict()
    .default(DEFAULT_ALERTMANAGER),
  kubeStateMetrics: z
    .object({ image: imageRef.default(DEFAULT_KUBE_STATE_METRICS.image), resources: resources.default(DEFAULT_KUBE_STATE_METRICS.resources) })
    .strict()
    .default(DEFAULT_KUBE_STATE_METRICS),
  /** Addresses outside the pod network that Prometheus and kube-state-metrics must reach; narrow them per cluster. */
  kubernetesEgress: z
    .object({
      apiServerCidr: cidr.default(DEFAULT_KUBERNETES_EGRESS.apiServerCidr),
      apiServerPorts: ports.default(DEFAULT_KUBERNETES_EGRESS.apiServerPorts),
      nodeCidr: cidr.default(DEFAULT_KUBERNETES_EGRESS.nodeCidr),
      kubeletPort: port.default(DEFAULT_KUBERNETES_EGRESS.kubeletPort),
    })
    .strict()
    .default(DEFAULT_KUBERNETES_EGRESS),
  /**
   * Receiver credentials, set with `pulumi config set --secret --path platform:alertReceiverSecrets.<key>`.
   * When present the program writes them into the receivers Secret; otherwise the operator creates it.
   */
  alertReceiverSecrets: z
    .object({
      pagerdutyRoutingKey: secretValue.regex(/^[A-Za-z0-9_-]{20,64}$/, "a PagerDuty Events v2 routing key: 20 to 64 letters, digits, '-' or '_'").optional(),
      // The webhook URL is itself the credential: over plain http it would cross the network readable.
      slackWebhookUrl: z
        .url({ protocol: /^https$/, error: "an https:// webhook URL (never plain http)" })
        .pipe(secretValue)
        .optional(),
      smtpPassword: secretValue.optional(),
    })
    .strict()
    .optional(),
};

/** Workloads (and their Services and ServiceAccounts) the monitoring stack names itself. */
export const MONITORING_NAMES = ["prometheus", "alertmanager", "grafana", "kube-state-metrics"];

/** Root keys of this shape whose values are credentials (the loader never echoes them). */
export const MONITORING_SECRET_KEYS = ["alertReceiverSecrets"] as const;
