/**
 * Generates alertmanager.yml: critical alerts page (PagerDuty), warnings go to chat (Slack) and
 * e-mail. Receiver credentials are read from files of the mounted receivers Secret, so the
 * generated file (kept in a ConfigMap) holds no key.
 */
import { toYaml } from "./yaml";
import type { PlatformConfig } from "../config/schema";
import { PATHS, RECEIVER_SECRET_KEYS } from "./endpoints";

export interface AlertmanagerConfigOptions {
  slackChannel: string;
  email: PlatformConfig["alertmanager"]["email"];
  /** Directory where the receivers Secret is mounted. */
  secretsDir?: string;
}

export const RECEIVERS = { pager: "pager", chatAndEmail: "chat-and-email" } as const;

export function alertmanagerConfig(o: AlertmanagerConfigOptions): Record<string, unknown> {
  const file = (key: keyof typeof RECEIVER_SECRET_KEYS) => `${o.secretsDir ?? PATHS.alertmanagerSecretsDir}/${RECEIVER_SECRET_KEYS[key]}`;
  const auth = o.email.authUsername === undefined ? {} : { auth_username: o.email.authUsername, auth_password_file: file("smtpPassword") };
  return {
    global: { resolve_timeout: "5m", smtp_require_tls: true },
    route: {
      receiver: RECEIVERS.chatAndEmail,
      group_by: ["alertname", "namespace", "job"],
      group_wait: "30s",
      group_interval: "5m",
      repeat_interval: "4h",
      routes: [
        { matchers: ['severity="critical"'], receiver: RECEIVERS.pager, repeat_interval: "1h" },
        { matchers: ['severity="warning"'], receiver: RECEIVERS.chatAndEmail },
      ],
    },
    // A critical alert silences the warning of the same alert on the same target.
    inhibit_rules: [
      {
        source_matchers: ['severity="critical"'],
        target_matchers: ['severity="warning"'],
        equal: ["alertname", "namespace", "job", "pod", "container", "persistentvolumeclaim", "horizontalpodautoscaler"],
      },
    ],
    receivers: [
      {
        name: RECEIVERS.pager,
        pagerduty_configs: [{ routing_key_file: file("pagerdutyRoutingKey"), send_resolved: true, severity: "critical" }],
      },
      {
        name: RECEIVERS.chatAndEmail,
        slack_configs: [
          {
            api_url_file: file("slackWebhookUrl"),
            channel: o.slackChannel,
            send_resolved: true,
            title: "[{{ .Status | toUpper }}] {{ .CommonLabels.alertname }} ({{ .CommonLabels.severity }})",
            text: "{{ range .Alerts }}{{ .Annotations.summary }}\nRunbook: {{ .Annotations.runbook_url }}\n{{ end }}",
          },
        ],
        email_configs: [{ to: o.email.to, from: o.email.from, smarthost: o.email.smarthost, require_tls: true, send_resolved: true, ...auth }],
      },
    ],
  };
}

export function alertmanagerConfigYaml(o: AlertmanagerConfigOptions): string {
  return toYaml(alertmanagerConfig(o));
}
