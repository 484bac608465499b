/** The monitoring components' Kubernetes specs, under Pulumi's mocks, for both stacks. */
import { alertmanagerConfigYaml } from "../../monitoring-config/alertmanager-config";
import { RECEIVER_SECRET_KEYS } from "../../monitoring-config/endpoints";
import { prometheusConfigYaml } from "../../monitoring-config/prometheus-config";
import { ruleFiles } from "../../monitoring-config/rule-files";
import { byName, GRAFANA_PASSWORD, GRAFANA_SECRET, MonitoringRun, ofKind, runMonitoring } from "./harness";

const WORKLOADS = { prometheus: "apps/v1:StatefulSet", alertmanager: "apps/v1:StatefulSet", grafana: "apps/v1:Deployment", "kube-state-metrics": "apps/v1:Deployment" } as const;
// Pulumi's wire marker for a secret value, from the SDK.
const { specialSigKey: PULUMI_SIG_KEY, specialSecretSig: PULUMI_SECRET_SIG } = require("@pulumi/pulumi").runtime as { specialSigKey: string; specialSecretSig: string };
const CLUSTER_SCOPED = new Set(["rbac.authorization.k8s.io/v1:ClusterRole", "rbac.authorization.k8s.io/v1:ClusterRoleBinding"]);

const runs: Partial<Record<"dev" | "prod", MonitoringRun>> = {};
beforeAll(async () => {
  runs.dev = await runMonitoring("dev");
  runs.prod = await runMonitoring("prod");
});

describe.each(["dev", "prod"] as const)("%s stack", (stack) => {
  const r = () => runs[stack]!;
  const kube = () => r().resources.filter((x) => x.type.startsWith("kubernetes:"));

  test("one child component per concern, under the Monitoring component", () => {
    const types = r()
      .resources.filter((x) => x.type.startsWith("platform:"))
      .map((x) => x.type)
      .sort();
    expect(types).toEqual([
      "platform:monitoring:Alertmanager",
      "platform:monitoring:Grafana",
      "platform:monitoring:KubeStateMetrics",
      "platform:monitoring:Monitoring",
      "platform:monitoring:Prometheus",
    ]);
  });

  test("every Kubernetes object has an explicit name, and a namespace unless cluster-scoped", () => {
    for (const x of kube()) {
      expect(x.inputs.metadata.name).toMatch(/^[a-z0-9-]+$/);
      if (!CLUSTER_SCOPED.has(x.type.replace("kubernetes:", ""))) expect(x.inputs.metadata.namespace).toBe(r().config.namespace);
    }
  });

  test.each(Object.entries(WORKLOADS))("%s runs restricted, sized and probed, as its own service account", (name, kind) => {
    const w = byName(r(), kind, name);
    const pod = w.inputs.spec.template;
    expect(pod.metadata.labels).toMatchObject({ "app.kubernetes.io/name": name, "app.kubernetes.io/component": "monitoring", "app.kubernetes.io/part-of": "platform" });
    expect(pod.spec.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
    expect(pod.spec.serviceAccountName).toBe(name);
    const callsApi = name === "prometheus" || name === "kube-state-metrics";
    expect(pod.spec.automountServiceAccountToken).toBe(callsApi);
    expect(byName(r(), "core/v1:ServiceAccount", name).inputs.automountServiceAccountToken).toBe(callsApi);
    for (const c of pod.spec.containers) {
      expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ["ALL"] } });
      expect(Object.keys(c.resources.requests).sort()).toEqual(["cpu", "memory"]);
      expect(Object.keys(c.resources.limits).sort()).toEqual(["cpu", "memory"]);
      expect(c.livenessProbe.httpGet.path).toMatch(/^\//);
      expect(c.readinessProbe.httpGet.path).toMatch(/^\//);
      expect(c.image).toMatch(/:[A-Za-z0-9_.-]+$/);
    }
    for (const v of pod.spec.volumes ?? []) expect(v.hostPath).toBeUndefined();
  });

  test("Services are ClusterIP only", () => {
    const services = ofKind(r(), "core/v1:Service");
    expect(services.map((s) => s.inputs.metadata.name).sort()).toEqual(["alertmanager", "alertmanager-headless", "grafana", "prometheus", "prometheus-headless"]);
    for (const s of services) expect(s.inputs.spec.type).toBe("ClusterIP");
  });

  test("Prometheus keeps its data on a claimed volume, with retention by time and size", () => {
    const sts = byName(r(), "apps/v1:StatefulSet", "prometheus");
    const [claim] = sts.inputs.spec.volumeClaimTemplates;
    expect(claim.spec.resources.requests.storage).toBe(r().config.prometheus.storage);
    expect(sts.inputs.spec.template.spec.containers[0].volumeMounts).toContainEqual({ name: "data", mountPath: "/prometheus" });
    const args: string[] = sts.inputs.spec.template.spec.containers[0].args;
    expect(args).toContain(`--storage.tsdb.retention.time=${r().config.prometheus.retention}`);
    expect(args.find((a) => a.startsWith("--storage.tsdb.retention.size="))).toMatch(/=\d+MB$/);
  });

  test("mounts the generated scrape configuration and the rule files", () => {
    const c = r().config;
    expect(byName(r(), "core/v1:ConfigMap", "prometheus-config").inputs.data["prometheus.yml"]).toBe(
      prometheusConfigYaml({ namespace: c.namespace, environment: c.environment, scrapeInterval: c.prometheus.scrapeInterval, alertmanagerReplicas: c.alertmanager.replicas }),
    );
    expect(byName(r(), "core/v1:ConfigMap", "prometheus-rules").inputs.data).toEqual(ruleFiles());
    expect(byName(r(), "core/v1:ConfigMap", "alertmanager-config").inputs.data["alertmanager.yml"]).toBe(
      alertmanagerConfigYaml({ slackChannel: c.alertmanager.slackChannel, email: c.alertmanager.email }),
    );
  });

  test("Grafana takes its admin credentials from the generated Secret and provisions every dashboard", () => {
    const env: Array<any> = byName(r(), "apps/v1:Deployment", "grafana").inputs.spec.template.spec.containers[0].env;
    expect(env.find((e) => e.name === "GF_SECURITY_ADMIN_PASSWORD")).toEqual({ name: "GF_SECURITY_ADMIN_PASSWORD", valueFrom: { secretKeyRef: GRAFANA_SECRET } });
    expect(env.find((e) => e.name === "GF_SECURITY_ADMIN_USER").valueFrom.secretKeyRef).toEqual({ name: GRAFANA_SECRET.name, key: "admin-user" });
    expect(JSON.stringify(r().resources)).not.toContain(GRAFANA_PASSWORD);
    const boards = Object.keys(byName(r(), "core/v1:ConfigMap", "grafana-dashboards").inputs.data).sort();
    expect(boards).toEqual(["alerts.json", "datastores.json", ...Object.keys(r().config.services).map((s) => `grpc-${s}.json`), "overview.json"].sort());
    expect(byName(r(), "core/v1:ConfigMap", "grafana-datasources").inputs.data["datasources.yaml"]).toContain("url: http://prometheus:9090");
  });

  test("RBAC grants discovery and nothing more", () => {
    const ns = r().config.namespace;
    expect(byName(r(), "rbac.authorization.k8s.io/v1:Role", "prometheus-discovery").inputs.rules).toEqual([{ apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch"] }]);
    expect(byName(r(), "rbac.authorization.k8s.io/v1:ClusterRole", `${ns}-prometheus-nodes`).inputs.rules).toEqual([
      { apiGroups: [""], resources: ["nodes"], verbs: ["get", "list", "watch"] },
      { apiGroups: [""], resources: ["nodes/metrics"], verbs: ["get"] },
    ]);
    const ksm = byName(r(), "rbac.authorization.k8s.io/v1:Role", "kube-state-metrics").inputs.rules as Array<{ verbs: string[]; resources: string[] }>;
    expect(ksm.flatMap((x) => x.resources).sort()).toEqual(["deployments", "horizontalpodautoscalers", "persistentvolumeclaims", "pods", "statefulsets"]);
    for (const x of ksm) expect(x.verbs).toEqual(["list", "watch"]);
    const text = JSON.stringify(r().resources.filter((x) => x.type.includes("rbac")));
    expect(text).not.toContain('"*"');
    for (const b of [...ofKind(r(), "rbac.authorization.k8s.io/v1:RoleBinding"), ...ofKind(r(), "rbac.authorization.k8s.io/v1:ClusterRoleBinding")]) {
      expect(b.inputs.subjects).toEqual([{ kind: "ServiceAccount", name: b.inputs.metadata.name.includes("kube-state-metrics") ? "kube-state-metrics" : "prometheus", namespace: ns }]);
    }
  });

  test("Alertmanager reads receiver credentials from the operator's Secret, which the program does not create", () => {
    expect(ofKind(r(), "core/v1:Secret")).toEqual([]);
    const pod = byName(r(), "apps/v1:StatefulSet", "alertmanager").inputs.spec.template.spec;
    expect(pod.volumes).toContainEqual({ name: "receivers", secret: { secretName: "alertmanager-receivers", optional: true, defaultMode: 0o440 } });
    expect(pod.containers[0].volumeMounts).toContainEqual({ name: "receivers", mountPath: "/etc/alertmanager/secrets", readOnly: true });
  });

  test("the traffic model lists the monitoring flows and the egress they need", () => {
    const t = r().traffic;
    expect(t.workloads).toEqual([
      { name: "prometheus", metricsPort: 9090 },
      { name: "alertmanager", metricsPort: 9093 },
      { name: "grafana", metricsPort: 3000 },
      { name: "kube-state-metrics", metricsPort: 8080 },
    ]);
    expect(t.flows).toEqual(
      expect.arrayContaining([expect.objectContaining({ from: "prometheus", to: "alertmanager", port: 9093 }), expect.objectContaining({ from: "grafana", to: "prometheus", port: 9090 })]),
    );
    const egress = Object.fromEntries((t.external ?? []).map((e) => [`${e.from}:${e.ports.join(",")}`, e.cidr]));
    expect(Object.keys(egress).sort()).toEqual(["alertmanager:443,587", "kube-state-metrics:443,6443", "prometheus:10250", "prometheus:443,6443"]);
    expect(r().endpoints).toEqual({ prometheus: { service: "prometheus", port: 9090 }, grafana: { service: "grafana", port: 3000 }, alertmanager: { service: "alertmanager", port: 9093 } });
  });
});

describe("with overrides", () => {
  test("receiver credentials from secret config go into the receivers Secret only", async () => {
    const secrets = { pagerdutyRoutingKey: "pd-routing-key-0123456789", slackWebhookUrl: "https://hooks.example.com/services/T0/B0/x", smtpPassword: "smtp-password-0123" };
    const r = await runMonitoring("prod", (c) => (c.alertReceiverSecrets = secrets));
    const [secret] = ofKind(r, "core/v1:Secret");
    expect(secret.inputs.metadata.name).toBe("alertmanager-receivers");
    // Pulumi's wire form of a secret value: the data is marked secret in the engine and state.
    expect(secret.inputs.stringData).toEqual({
      [PULUMI_SIG_KEY]: PULUMI_SECRET_SIG,
      value: {
        [RECEIVER_SECRET_KEYS.pagerdutyRoutingKey]: secrets.pagerdutyRoutingKey,
        [RECEIVER_SECRET_KEYS.slackWebhookUrl]: secrets.slackWebhookUrl,
        [RECEIVER_SECRET_KEYS.smtpPassword]: secrets.smtpPassword,
      },
    });
    const elsewhere = JSON.stringify(r.resources.filter((x) => x !== secret));
    for (const v of Object.values(secrets)) expect(elsewhere).not.toContain(v);
  });

  test("an HA Alertmanager forms a cluster and the traffic model lets its peers gossip", async () => {
    const r = await runMonitoring("prod", (c) => (c.alertmanager = { ...(c.alertmanager ?? {}), replicas: 3 }));
    const sts = byName(r, "apps/v1:StatefulSet", "alertmanager");
    expect(sts.inputs.spec.replicas).toBe(3);
    const args: string[] = sts.inputs.spec.template.spec.containers[0].args;
    expect(args.filter((a) => a.startsWith("--cluster.peer="))).toEqual([0, 1, 2].map((i) => `--cluster.peer=alertmanager-${i}.alertmanager-headless:9094`));
    expect(r.traffic.flows).toContainEqual(expect.objectContaining({ from: "alertmanager", to: "alertmanager", port: 9094 }));
    expect(byName(r, "core/v1:ConfigMap", "prometheus-config").inputs.data["prometheus.yml"]).toContain("alertmanager-2.alertmanager-headless.platform.svc:9093");
  });

  test("storage class and runbook base URL reach the volume claim and the rule files, and the changed rules roll the pod", async () => {
    const base = "https://git.example.com/team/platform/blob/main/";
    const plain = runs.prod!;
    const r = await runMonitoring("prod", (c) => {
      c.storageClassName = "fast-ssd";
      c.prometheus = { ...c.prometheus, runbookBaseUrl: base };
    });
    const sts = byName(r, "apps/v1:StatefulSet", "prometheus");
    expect(sts.inputs.spec.volumeClaimTemplates[0].spec.storageClassName).toBe("fast-ssd");
    expect(byName(r, "core/v1:ConfigMap", "prometheus-rules").inputs.data).toEqual(ruleFiles(base));
    const checksum = (run: MonitoringRun) => byName(run, "apps/v1:StatefulSet", "prometheus").inputs.spec.template.metadata.annotations["checksum/config"];
    expect(checksum(r)).toMatch(/^[0-9a-f]{64}$/);
    expect(checksum(r)).not.toBe(checksum(plain));
  });
});
