/** Every rule: at least one violating and one compliant input, and the message it gives. */
import { evaluate, Environment, PackConfig, SEEDS } from "../../policies/lib/engine";
import type { InputResource } from "../../policies/lib/k8s";
import { RULES, ruleByName } from "../../policies/rules";
import { alertRules } from "../../policies/rules/monitoring";
import { allowEgress, allowIngress, container, datastore, defaultDeny, hpa, namespace, NS, obj, pdb, workload } from "./fixtures";

interface Case {
  rule: string;
  bad: () => InputResource[];
  /** Start of the first message: `Kind "ns/name"[ container "c"]: problem`. */
  message: string;
  good: () => InputResource[];
  env?: Environment;
  config?: PackConfig;
}

const sc = (patch: Record<string, any>) => ({ ...container().securityContext, ...patch });
const env = (vars: Array<{ name: string; value?: string; valueFrom?: any }>) => [container("gateway", { env: vars })];
const rulesYaml = (alerts: string[]) => `groups:\n  - name: platform\n    rules:\n${alerts.map((a) => `      - alert: ${a}\n        expr: vector(1)\n`).join("")}`;
const prometheus = (configMap: string) =>
  workload("prometheus", { kind: "StatefulSet", labels: { "app.kubernetes.io/component": "monitoring" }, pod: { volumes: [{ name: "rules", configMap: { name: configMap } }] } });

const CASES: Case[] = [
  {
    rule: "container-resources",
    bad: () => [workload("gateway", { containers: [container("gateway", { resources: { requests: { cpu: "100m" } } })] })],
    message: 'Deployment "platform/gateway" container "gateway": no limits.cpu, requests.memory, limits.memory',
    good: () => [workload("gateway")],
  },
  {
    rule: "container-probes",
    bad: () => [workload("gateway", { containers: [container("gateway", { readinessProbe: undefined })] })],
    message: 'Deployment "platform/gateway" container "gateway": no readinessProbe',
    // A Job runs to completion: no probes needed.
    good: () => [workload("gateway"), workload("migrate", { kind: "Job", containers: [container("migrate", { livenessProbe: undefined, readinessProbe: undefined })] })],
  },
  {
    rule: "container-run-as-non-root",
    bad: () => [workload("gateway", { containers: [container("gateway", { securityContext: sc({ runAsUser: 0 }) })] })],
    message: 'Deployment "platform/gateway" container "gateway": runs as user 0 (root)',
    good: () => [workload("gateway")],
  },
  {
    rule: "container-privilege-escalation",
    bad: () => [workload("gateway", { containers: [container("gateway", { securityContext: sc({ allowPrivilegeEscalation: true }) })] })],
    message: 'Deployment "platform/gateway" container "gateway": allowPrivilegeEscalation is not false',
    good: () => [workload("gateway")],
  },
  {
    rule: "container-capabilities",
    bad: () => [workload("gateway", { containers: [container("gateway", { securityContext: sc({ capabilities: { drop: ["ALL"], add: ["SYS_ADMIN"] } }) })] })],
    message: 'Deployment "platform/gateway" container "gateway": adds capabilities SYS_ADMIN',
    good: () => [workload("gateway", { containers: [container("gateway", { securityContext: sc({ capabilities: { drop: ["ALL"], add: ["NET_BIND_SERVICE"] } }) })] })],
  },
  {
    rule: "container-seccomp-profile",
    bad: () => [workload("gateway", { pod: { securityContext: { runAsNonRoot: true } }, containers: [container("gateway", { securityContext: sc({ seccompProfile: { type: "Unconfined" } }) })] })],
    message: 'Deployment "platform/gateway" container "gateway": seccomp profile "Unconfined"',
    // The pod-level profile covers a container that sets none.
    good: () => [workload("gateway", { containers: [container("gateway", { securityContext: sc({ seccompProfile: undefined }) })] })],
  },
  {
    rule: "container-read-only-root-filesystem",
    bad: () => [workload("gateway", { containers: [container("gateway", { securityContext: sc({ readOnlyRootFilesystem: false }) })] })],
    message: 'Deployment "platform/gateway" container "gateway": the root filesystem is writable (readOnlyRootFilesystem is not true)',
    good: () => [workload("gateway")],
  },
  {
    rule: "pod-host-access",
    bad: () => [workload("gateway", { pod: { hostNetwork: true } })],
    message: 'Deployment "platform/gateway": hostNetwork is true',
    good: () => [workload("gateway")],
  },
  {
    rule: "image-pinned",
    bad: () => [workload("redis", { containers: [container("redis", { image: "redis:latest" })] })],
    message: 'Deployment "platform/redis" container "redis": image "redis:latest" uses the floating tag "latest"',
    good: () => [
      workload("a", { containers: [container("a", { image: "registry.example.com:5000/team/a:2.1.0" })] }),
      workload("b", { containers: [container("b", { image: `registry.example.com/team/b@sha256:${"ab".repeat(32)}` })] }),
    ],
  },
  {
    rule: "image-pull-policy",
    bad: () => [workload("gateway", { containers: [container("gateway", { imagePullPolicy: "Never" })] })],
    message: 'Deployment "platform/gateway" container "gateway": imagePullPolicy is "Never"; allowed: IfNotPresent, Always',
    good: () => [workload("gateway")],
  },
  {
    rule: "workload-namespace",
    bad: () => [obj("ConfigMap", "settings", { data: {} }, { namespace: "default" })],
    message: 'ConfigMap "default/settings": lives in the "default" namespace',
    good: () => [obj("ConfigMap", "settings", { data: {} }), namespace(), obj("ClusterRole", "reader", { rules: [] })],
  },
  {
    rule: "namespace-pod-security",
    bad: () => [namespace({ "pod-security.kubernetes.io/enforce": "baseline" })],
    message: 'Namespace "platform": Pod Security enforce level is baseline, not restricted',
    good: () => [namespace()],
  },
  {
    rule: "service-exposure",
    bad: () => [obj("Service", "redis", { spec: { type: "LoadBalancer", ports: [{ port: 6379 }] } })],
    message: 'Service "platform/redis": type LoadBalancer exposes port 6379 (Redis) outside the cluster',
    good: () => [obj("Service", "redis", { spec: { type: "ClusterIP", ports: [{ port: 6379 }] } })],
  },
  {
    rule: "ingress-tls",
    bad: () => [obj("Ingress", "gateway", { spec: { rules: [{ host: "api.example.com" }] } })],
    message: 'Ingress "platform/gateway": has no spec.tls, so it serves plain HTTP',
    good: () => [obj("Ingress", "gateway", { spec: { tls: [{ hosts: ["api.example.com"], secretName: "gateway-tls" }], rules: [{ host: "api.example.com" }] } })],
  },
  {
    rule: "configmap-secrets",
    bad: () => [obj("ConfigMap", "app", { data: { "settings.yaml": "database: postgres://app:hunter2@postgres:5432/app" } })],
    message: 'ConfigMap "platform/app": key "settings.yaml" contains a URL with user:password',
    good: () => [obj("ConfigMap", "app", { data: { "alertmanager.yml": "smtp_auth_password_file: /etc/alertmanager/secrets/smtp", "prometheus.yml": "bearer_token_file: /var/run/token" } })],
  },
  {
    rule: "env-plain-secrets",
    bad: () => [workload("gateway", { containers: env([{ name: "DB_PASSWORD", value: "inline-value-1234567" }]) })],
    message: 'Deployment "platform/gateway" container "gateway": env DB_PASSWORD holds a literal credential value',
    good: () => [
      workload("gateway", {
        containers: [
          container("gateway", {
            env: [
              { name: "DB_PASSWORD", valueFrom: { secretKeyRef: { name: "postgres-auth", key: "password" } } },
              { name: "GF_AUTH_ANONYMOUS_ENABLED", value: "false" },
            ],
            args: ["--requirepass", "$(DB_PASSWORD)"],
          }),
        ],
      }),
    ],
  },
  {
    rule: "weak-credentials",
    bad: () => [obj("Secret", "postgres-auth", { stringData: { password: "admin123", user: "platform" } })],
    message: 'Secret "platform/postgres-auth": key "password" is a default or well-known weak password',
    good: () => [obj("Secret", "postgres-auth", { stringData: { password: "x7Kq2mVw9PzR4tLs8NbY", user: "platform" } })],
  },
  {
    rule: "jwt-secret-strength",
    bad: () => [obj("Secret", "jwt-secret", { stringData: { secret: "short-secret" } })],
    message: 'Secret "platform/jwt-secret": key "secret" holds a JWT secret of 96 bits, below 256',
    good: () => [obj("Secret", "jwt-secret", { data: { secret: Buffer.from("k".repeat(48)).toString("base64") } })],
  },
  {
    rule: "workload-spread",
    bad: () => [workload("gateway", { replicas: 3, pod: { topologySpreadConstraints: [] } })],
    message: 'Deployment "platform/gateway": runs 3 replicas with no topologySpreadConstraints or pod anti-affinity, so they may share one node',
    good: () => [workload("gateway", { replicas: 3 }), workload("single", { replicas: 1, pod: { topologySpreadConstraints: [] } })],
  },
  {
    rule: "datastore-persistence",
    bad: () => [workload("redis", { replicas: 1, labels: { "app.kubernetes.io/component": "datastore" } })],
    message: 'Deployment "platform/redis": is a datastore without a PersistentVolumeClaim, so its data is lost with the pod',
    good: () => [datastore("redis", 6379)],
  },
  {
    rule: "kafka-replication",
    bad: () => {
      const k = datastore("kafka", 9092, { replicas: 3 });
      k.props.spec.template.spec.containers[0].env = [
        { name: "KAFKA_PROCESS_ROLES", value: "broker,controller" },
        { name: "KAFKA_DEFAULT_REPLICATION_FACTOR", value: "3" },
        { name: "KAFKA_MIN_INSYNC_REPLICAS", value: "1" },
      ];
      return [k];
    },
    message: 'StatefulSet "platform/kafka": min.insync.replicas is 1, below 2',
    good: () => {
      const k = datastore("kafka", 9092, { replicas: 3 });
      k.props.spec.template.spec.containers[0].env = [
        { name: "KAFKA_PROCESS_ROLES", value: "broker,controller" },
        { name: "KAFKA_DEFAULT_REPLICATION_FACTOR", value: "3" },
        { name: "KAFKA_MIN_INSYNC_REPLICAS", value: "2" },
        { name: "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", value: "3" },
      ];
      const script = "set -e\n/opt/kafka/bin/kafka-topics.sh --bootstrap-server kafka:9092 --create --if-not-exists --topic raw --partitions 6 --replication-factor 3 --config min.insync.replicas=2";
      return [k, workload("kafka-topics", { kind: "Job", containers: [container("create-topics", { command: ["sh", "-c", script] })] })];
    },
  },
  {
    rule: "monitoring-labels",
    bad: () => [workload("gateway", { podAnnotations: { "prometheus.io/scrape": "false" } })],
    message: 'Deployment "platform/gateway": pods are not annotated prometheus.io/scrape: "true", so their metrics are not collected',
    good: () => [namespace(), workload("gateway"), datastore("redis", 6379)],
  },
  {
    rule: "log-level",
    bad: () => [workload("gateway", { containers: env([{ name: "LOG_LEVEL", value: "DEBUG" }]) })],
    message: 'Deployment "platform/gateway" container "gateway": LOG_LEVEL is "DEBUG"; allowed: INFO, WARN, WARNING',
    good: () => [
      workload("gateway", {
        containers: env([
          { name: "LOG_LEVEL", value: "info" },
          { name: "RUST_LOG", value: "warn" },
        ]),
      }),
    ],
  },
  {
    rule: "debug-endpoints",
    bad: () => [workload("gateway", { containers: env([{ name: "ENABLE_DEBUG_ENDPOINTS", value: "true" }]) })],
    message: 'Deployment "platform/gateway" container "gateway": ENABLE_DEBUG_ENDPOINTS is "true", which turns debug or Swagger endpoints on',
    good: () => [workload("gateway", { containers: env([{ name: "ENABLE_DEBUG_ENDPOINTS", value: "false" }]) })],
  },
  {
    rule: "service-account-token",
    bad: () => [workload("gateway", { pod: { automountServiceAccountToken: true } })],
    message: 'Deployment "platform/gateway": mounts an API token for ServiceAccount "gateway", which no Role or ClusterRole binding in the stack uses',
    good: () => [
      workload("gateway"),
      workload("prometheus", { pod: { automountServiceAccountToken: true } }),
      obj("RoleBinding", "prometheus", { roleRef: { kind: "Role", name: "prometheus" }, subjects: [{ kind: "ServiceAccount", name: "prometheus", namespace: NS }] }),
    ],
  },
  {
    rule: "workload-autoscaling",
    bad: () => [workload("gateway")],
    message: 'Deployment "platform/gateway": no HorizontalPodAutoscaler targets it',
    good: () => [workload("gateway"), hpa("gateway", 2, 3)],
  },
  {
    rule: "workload-disruption-budget",
    bad: () => [workload("gateway", { replicas: 2 })],
    message: 'Deployment "platform/gateway": no PodDisruptionBudget selects its pods',
    good: () => [workload("gateway", { replicas: 2 }), pdb("gateway"), workload("single", { replicas: 1 })],
  },
  {
    rule: "network-default-deny",
    bad: () => [namespace(), workload("gateway")],
    message: 'Namespace "platform": namespace "platform" has no default-deny NetworkPolicy',
    good: () => [namespace(), workload("gateway"), defaultDeny()],
  },
  {
    rule: "namespace-quota",
    bad: () => [namespace(), workload("gateway"), obj("LimitRange", "limits", { spec: { limits: [] } })],
    message: 'Namespace "platform": namespace "platform" has no ResourceQuota',
    good: () => [namespace(), workload("gateway"), obj("LimitRange", "limits", { spec: { limits: [] } }), obj("ResourceQuota", "quota", { spec: { hard: {} } })],
  },
  {
    rule: "datastore-access",
    bad: () => [
      defaultDeny(),
      datastore("redis", 6379),
      workload("gateway"),
      workload("refinement-api"),
      allowIngress("redis", ["refinement-api", "gateway"], 6379),
      allowEgress("refinement-api", "redis", 6379),
      allowEgress("gateway", "redis", 6379),
    ],
    message: 'StatefulSet "platform/redis": "gateway" may connect to port 6379 but is not an allowed client (allowed: refinement-api, learning-api)',
    good: () => [
      defaultDeny(),
      datastore("redis", 6379),
      workload("gateway"),
      workload("refinement-api"),
      allowIngress("redis", ["refinement-api"], 6379),
      allowEgress("refinement-api", "redis", 6379),
    ],
  },
  {
    rule: "postgres-backup",
    bad: () => [datastore("postgres", 5432)],
    message: 'StatefulSet "platform/postgres": no CronJob runs pg_dump against it',
    good: () => [
      datastore("postgres", 5432),
      workload("postgres-backup", {
        kind: "CronJob",
        containers: [container("pg-dump", { command: ["sh", "-c", "pg_dump --format=custom --file=/backups/x.dump"] })],
        pod: { volumes: [{ name: "backups", persistentVolumeClaim: { claimName: "postgres-backup" } }] },
      }),
    ],
  },
  {
    rule: "alert-rules",
    bad: () => [prometheus("prometheus-rules"), obj("ConfigMap", "prometheus-rules", { data: { "services.rules.yml": rulesYaml(["GrpcErrorRateHigh"]) } })],
    message: 'StatefulSet "platform/prometheus": alert rules lack GrpcLatencyP99High, RedisDown',
    good: () => [prometheus("prometheus-rules"), obj("ConfigMap", "prometheus-rules", { data: { "all.rules.yml": rulesYaml(alertRules.defaults("prod").requiredAlerts) } })],
  },
  {
    rule: "stack-environment",
    env: "dev",
    bad: () => [namespace({ environment: "prod" })],
    message: 'Namespace "platform": is labelled environment=prod but the pack evaluated it with dev enforcement levels',
    good: () => [namespace({ environment: "dev" })],
  },
  {
    rule: "exemption-annotations",
    bad: () => [workload("grafana", { annotations: { "policy.platform/exempt.workload-autoscaling": "  " } })],
    message: 'Deployment "platform/grafana": annotation policy.platform/exempt.workload-autoscaling gives no reason, so it exempts nothing',
    good: () => [workload("kafka", { annotations: { "policy.platform/exempt.container-read-only-root-filesystem.kafka": "the image renders its config at start" } })],
  },
];

function violations(c: Case, resources: InputResource[]) {
  return evaluate(resources, [ruleByName(c.rule)], { environment: c.env ?? "prod", config: c.config }).violations;
}

describe.each(CASES)("$rule", (c) => {
  test("a violating input is reported with what, where, how to fix and the checklist line", () => {
    const found = violations(c, c.bad());
    expect(found.length).toBeGreaterThan(0);
    const rule = ruleByName(c.rule);
    expect(found[0].rule).toBe(c.rule);
    expect(found[0].level).toBe(rule.levels[c.env ?? "prod"]);
    expect(found[0].message.slice(0, c.message.length)).toBe(c.message);
    for (const v of found) {
      expect(v.message).toMatch(/\. Fix: .+\. Checklist: /);
      for (const s of rule.sources) expect(v.message).toContain(`seeds/${SEEDS[s.seed]} "${s.heading}"`);
    }
  });

  test("a compliant input gives nothing", () => {
    expect(violations(c, c.good())).toEqual([]);
  });
});

test("every rule has a case", () => {
  expect(CASES.map((c) => c.rule).sort()).toEqual(RULES.map((r) => r.name).sort());
});

// The seeds live beside the repository in the shared workspace; elsewhere there is nothing to compare.
const SEED_DIR = require("path").join(__dirname, "..", "..", "seeds");
test("every rule's checklist heading exists in its seed file", () => {
  const fs = require("fs") as typeof import("fs");
  const missing = RULES.flatMap((r) =>
    r.sources.filter((s) => !fs.readFileSync(require("path").join(SEED_DIR, SEEDS[s.seed]), "utf8").includes(s.heading)).map((s) => `${r.name}: "${s.heading}" in ${SEEDS[s.seed]}`),
  );
  expect(missing).toEqual([]);
});
